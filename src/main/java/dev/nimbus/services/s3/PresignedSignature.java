package dev.nimbus.services.s3;

import dev.nimbus.protocol.HttpRequest;
import dev.nimbus.protocol.HttpResponse;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Checks the SigV4 signature of a presigned S3 URL (X-Amz-Signature in the query) when the signing
 * key's secret is known, that is for keys Nimbus issued itself (IAM users' and STS's); any other
 * access key is accepted unchecked, since "any credentials" is what Nimbus promises and their
 * secrets are nobody's to know here. A URL changed after signing (another key, a longer expiry, a
 * different method) then answers SignatureDoesNotMatch, as S3 does.
 *
 * The canonical request is S3's: the path URI-encoded once (not twice as other services do), the
 * query without X-Amz-Signature, the signed headers, and UNSIGNED-PAYLOAD unless the URL names a
 * payload hash.
 */
final class PresignedSignature {
    private static final HexFormat HEX = HexFormat.of();

    private PresignedSignature() {}

    /** SignatureDoesNotMatch when the URL's signature is not the one {@code secret} gives; null when it is. */
    static HttpResponse check(HttpRequest req, String secret) {
        String credential = req.queryParam("X-Amz-Credential");
        String date = req.queryParam("X-Amz-Date");
        String signedHeaders = req.queryParam("X-Amz-SignedHeaders");
        String provided = req.queryParam("X-Amz-Signature");
        if (credential == null || date == null || signedHeaders == null || provided == null) {
            return S3Doors.error(400, "AuthorizationQueryParametersError",
                    "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.");
        }
        String[] scope = credential.split("/");
        if (scope.length != 5) return S3Doors.error(400, "AuthorizationQueryParametersError", "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".");
        String payloadHash = req.queryParam("X-Amz-Content-Sha256");
        String canonicalRequest = req.method + "\n" + encode(decode(req.rawPath), true) + "\n" + canonicalQuery(req.rawQuery) + "\n"
                + canonicalHeaders(req, signedHeaders) + "\n" + signedHeaders + "\n" + (payloadHash == null ? "UNSIGNED-PAYLOAD" : payloadHash);
        String stringToSign = "AWS4-HMAC-SHA256\n" + date + "\n" + credential.substring(credential.indexOf('/') + 1) + "\n"
                + HEX.formatHex(Checksums.md("SHA-256").digest(canonicalRequest.getBytes(StandardCharsets.UTF_8)));
        byte[] key = ("AWS4" + secret).getBytes(StandardCharsets.UTF_8);
        for (int i = 1; i < 5; i++) key = hmac(key, scope[i]);
        String expected = HEX.formatHex(hmac(key, stringToSign));
        if (MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII), provided.toLowerCase().getBytes(StandardCharsets.US_ASCII))) return null;
        return S3Doors.error(403, "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
                "AWSAccessKeyId", scope[0], "StringToSign", stringToSign, "SignatureProvided", provided,
                "StringToSignBytes", spacedHex(stringToSign), "CanonicalRequest", canonicalRequest, "CanonicalRequestBytes", spacedHex(canonicalRequest));
    }

    /** Every parameter but the signature, names and values encoded the AWS way, sorted by name then value. */
    private static String canonicalQuery(String rawQuery) {
        List<String> pairs = new ArrayList<>();
        for (String p : rawQuery.split("&")) {
            if (p.isEmpty()) continue;
            int eq = p.indexOf('=');
            String name = encode(decode(eq < 0 ? p : p.substring(0, eq)), false);
            if (name.equals("X-Amz-Signature")) continue;
            pairs.add(name + "=" + (eq < 0 ? "" : encode(decode(p.substring(eq + 1)), false)));
        }
        // '=' sorts below every character an encoded name may hold, so sorting "name=value" sorts by name, then value.
        pairs.sort(null);
        return String.join("&", pairs);
    }

    private static String canonicalHeaders(HttpRequest req, String signedHeaders) {
        StringBuilder b = new StringBuilder();
        for (String name : signedHeaders.split(";")) {
            String v = req.header(name);
            b.append(name).append(':').append(v == null ? "" : v.strip().replaceAll(" +", " ")).append('\n');
        }
        return b.toString();
    }

    /** RFC 3986 encoding as SigV4 wants it: unreserved characters kept, everything else %XX of its UTF-8 bytes. */
    static String encode(String s, boolean keepSlash) {
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (byte x : s.getBytes(StandardCharsets.UTF_8)) {
            int c = x & 0xff;
            if (c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~'
                    || keepSlash && c == '/') {
                b.append((char) c);
            } else {
                b.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16))).append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
            }
        }
        return b.toString();
    }

    /** Percent-decoding only: a '+' in a URL's path or a signed query is a plus, not a space. */
    static String decode(String s) {
        if (s.indexOf('%') < 0) return s;
        byte[] in = s.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream(in.length);
        for (int i = 0; i < in.length; i++) {
            int hi, lo;
            if (in[i] == '%' && i + 2 < in.length && (hi = Character.digit(in[i + 1], 16)) >= 0 && (lo = Character.digit(in[i + 2], 16)) >= 0) {
                out.write(hi << 4 | lo);
                i += 2;
            } else {
                out.write(in[i]);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static String spacedHex(String s) {
        StringBuilder b = new StringBuilder();
        for (byte x : s.getBytes(StandardCharsets.UTF_8)) {
            if (!b.isEmpty()) b.append(' ');
            b.append(HEX.toHexDigits(x));
        }
        return b.toString();
    }

    private static byte[] hmac(byte[] key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
