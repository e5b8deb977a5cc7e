package dev.nimbus.protocol;

/**
 * What routing needs from a request's signature: access key, region and signing service, from
 * the Authorization header (SigV4, or S3's legacy SigV2) or a presigned URL's query. Signatures are
 * parsed, not verified: the account comes from the access key (see {@link Identity}).
 */
public record SigV4(String accessKey, String region, String service) {
    public static final String DEFAULT_REGION = "us-east-1";
    public static final SigV4 ANONYMOUS = new SigV4(null, DEFAULT_REGION, null);

    public static SigV4 of(HttpRequest req) {
        String auth = req.header("Authorization");
        if (auth != null) {
            int cred = auth.indexOf("Credential=");
            if (auth.startsWith("AWS4-") && cred >= 0) {
                int end = auth.indexOf(',', cred);
                return fromScope(auth.substring(cred + 11, end < 0 ? auth.length() : end).trim());
            }
            if (auth.startsWith("AWS ")) { // SigV2: "AWS AKID:signature", S3 only
                int colon = auth.indexOf(':');
                return new SigV4(auth.substring(4, colon < 0 ? auth.length() : colon).trim(), DEFAULT_REGION, "s3");
            }
        }
        if (!req.rawQuery.isEmpty()) {
            if (req.rawQuery.contains("X-Amz-Credential=")) {
                String scope = req.queryParam("X-Amz-Credential");
                if (scope != null) return fromScope(scope);
            }
            if (req.rawQuery.contains("AWSAccessKeyId=")) return new SigV4(req.queryParam("AWSAccessKeyId"), DEFAULT_REGION, "s3");
        }
        return ANONYMOUS;
    }

    /**
     * "AKID/20240101/us-east-1/sts/aws4_request", read with indexOf: String.split's list and array cost more
     * than the rest of this class. A scope without a service part (nothing but slashes after the region)
     * says neither region nor service.
     */
    static SigV4 fromScope(String scope) {
        int key = scope.indexOf('/');
        int date = key < 0 ? -1 : scope.indexOf('/', key + 1);
        int region = date < 0 ? -1 : scope.indexOf('/', date + 1);
        if (region < 0 || onlySlashes(scope, region)) return new SigV4(key < 0 ? scope : scope.substring(0, key), DEFAULT_REGION, null);
        int service = scope.indexOf('/', region + 1);
        return new SigV4(scope.substring(0, key), region == date + 1 ? DEFAULT_REGION : scope.substring(date + 1, region),
                scope.substring(region + 1, service < 0 ? scope.length() : service));
    }

    private static boolean onlySlashes(String s, int from) {
        for (int i = from; i < s.length(); i++) if (s.charAt(i) != '/') return false;
        return true;
    }
}
