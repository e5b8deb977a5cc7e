package dev.nimbus.protocol;

/** S3 virtual-host addressing: the bucket is the part of the Host before ".s3.". */
public final class S3Hosts {
    private S3Hosts() {}

    /** "photos.s3.localhost:4566" -> "photos"; "photos.s3.us-east-1.amazonaws.com" -> "photos"; else null. */
    public static String bucketFromHost(String host) {
        if (host == null) return null;
        int s3 = host.indexOf(".s3.");
        if (s3 <= 0) s3 = host.indexOf(".s3-");
        if (s3 <= 0) return null;
        return host.substring(0, s3);
    }
}
