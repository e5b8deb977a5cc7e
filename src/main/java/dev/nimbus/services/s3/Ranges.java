package dev.nimbus.services.s3;

import dev.nimbus.protocol.AwsException;

/** HTTP byte ranges as S3 reads them: one range; a malformed one is ignored (whole object), an unsatisfiable one is 416. */
final class Ranges {
    private Ranges() {}

    /** [first, last] inclusive, or null for the whole object. */
    static long[] parse(String header, long size) {
        String h = header.trim();
        if (!h.startsWith("bytes=") || h.indexOf(',') >= 0) return null;
        String spec = h.substring(6).trim();
        int dash = spec.indexOf('-');
        if (dash < 0) return null;
        String a = spec.substring(0, dash).trim(), b = spec.substring(dash + 1).trim();
        long first, last;
        try {
            if (a.isEmpty()) { // suffix: the last N bytes
                if (b.isEmpty()) return null;
                long n = Long.parseLong(b);
                if (n == 0) throw unsatisfiable(header, size);
                first = Math.max(0, size - n);
                last = size - 1;
            } else {
                first = Long.parseLong(a);
                last = b.isEmpty() ? size - 1 : Math.min(Long.parseLong(b), size - 1);
                if (!b.isEmpty() && Long.parseLong(b) < first) return null;
            }
        } catch (NumberFormatException e) {
            return null;
        }
        if (first >= size || size == 0) throw unsatisfiable(header, size);
        return new long[] {first, last};
    }

    /**
     * UploadPartCopy's x-amz-copy-source-range, read strictly: exactly "bytes=first-last" within the source; [first, last].
     * A malformed value, and a last byte past the end, are InvalidArgument; a first byte past the end is InvalidRequest.
     */
    static long[] copySource(String header, long size) {
        AwsException malformed = S3Errors.invalidArgument("The x-amz-copy-source-range value must be of the form bytes=first-last where first"
                + " and last are the zero-based offsets of the first and last bytes to copy", "x-amz-copy-source-range", header);
        String h = header.trim();
        int dash = h.indexOf('-');
        if (!h.startsWith("bytes=") || h.indexOf(',') >= 0 || dash < 0) throw malformed;
        long first, last;
        try {
            first = Long.parseLong(h.substring(6, dash).trim());
            last = Long.parseLong(h.substring(dash + 1).trim());
        } catch (NumberFormatException e) {
            throw malformed;
        }
        if (first < 0 || first > last) throw malformed;
        if (first >= size) throw S3Errors.invalidRequest("The specified copy range is invalid for the source object size");
        if (last >= size) throw S3Errors.invalidArgument("Range specified is not valid for source object of size: " + size, "x-amz-copy-source-range", header);
        return new long[] {first, last};
    }

    private static AwsException unsatisfiable(String header, long size) {
        return new AwsException("InvalidRange", "The requested range is not satisfiable", 416)
                .with("RangeRequested", header).with("ActualObjectSize", String.valueOf(size));
    }
}
