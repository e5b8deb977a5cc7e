package dev.nimbus.services.iam;

import java.security.SecureRandom;
import java.util.Base64;

/**
 * Identifiers shaped like AWS's: unique ids are a 4-letter type prefix (AROA role, AIDA user, AGPA
 * group, ANPA policy) and 17 base32 characters; access key ids are AKIA (long-term) or ASIA
 * (temporary) and 16 more; secrets are 40 characters of base64.
 */
public final class Ids {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".toCharArray();

    public static final String ROLE = "AROA";
    public static final String USER = "AIDA";
    public static final String GROUP = "AGPA";
    public static final String POLICY = "ANPA";
    public static final String LONG_TERM_KEY = "AKIA";
    public static final String TEMPORARY_KEY = "ASIA";

    private Ids() {}

    public static String uniqueId(String prefix) {
        return prefix + base32(17);
    }

    public static String accessKeyId(String prefix) {
        return prefix + base32(16);
    }

    /** Whether a key id has the shape of one Nimbus issues: only those can be in the credentials table. */
    public static boolean isIssuedKeyShape(String accessKeyId) {
        if (accessKeyId == null || accessKeyId.length() != 20) return false;
        if (!accessKeyId.startsWith(LONG_TERM_KEY) && !accessKeyId.startsWith(TEMPORARY_KEY)) return false;
        for (int i = 4; i < 20; i++) {
            char c = accessKeyId.charAt(i);
            if (!(c >= 'A' && c <= 'Z' || c >= '2' && c <= '7')) return false;
        }
        return true;
    }

    public static String secretAccessKey() {
        byte[] b = new byte[30];
        RANDOM.nextBytes(b);
        return Base64.getEncoder().encodeToString(b);
    }

    /** Opaque, as long as AWS's (clients size buffers and headers for that). */
    public static String sessionToken() {
        byte[] b = new byte[264];
        RANDOM.nextBytes(b);
        return Base64.getEncoder().encodeToString(b);
    }

    /** A stable id for something AWS defines (its managed policies), derived from its name. */
    public static String stableId(String prefix, String name) {
        long h = 1125899906842597L;
        StringBuilder sb = new StringBuilder(prefix);
        for (int round = 0; sb.length() < prefix.length() + 17; round++) {
            for (int i = 0; i < name.length(); i++) h = 31 * h + name.charAt(i) + round;
            h ^= h >>> 29;
            for (int i = 0; i < 5 && sb.length() < prefix.length() + 17; i++) {
                sb.append(BASE32[(int) (h >>> (i * 5)) & 31]);
            }
        }
        return sb.toString();
    }

    private static String base32(int n) {
        char[] c = new char[n];
        for (int i = 0; i < n; i++) c[i] = BASE32[RANDOM.nextInt(32)];
        return new String(c);
    }
}
