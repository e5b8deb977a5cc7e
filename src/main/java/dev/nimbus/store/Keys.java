package dev.nimbus.store;

/**
 * Store keys in the order the store promises: by UTF-8 bytes, which is code point order (Java's
 * String.compareTo orders UTF-16 units, which differs above U+FFFF).
 */
final class Keys {
    private Keys() {}

    static int compare(String a, String b) {
        int i = 0, j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i), cb = b.codePointAt(j);
            if (ca != cb) return Integer.compare(ca, cb);
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    /**
     * The least key above every key that starts with {@code prefix}, so a prefix scan is the range
     * [prefix, successor): the last code point that can grow, grown by one. Null when nothing is
     * above (the empty prefix, or one made only of U+10FFFF).
     */
    static String successor(String prefix) {
        int end = prefix.length();
        while (end > 0) {
            int cp = prefix.codePointBefore(end);
            int start = end - Character.charCount(cp);
            if (cp < Character.MAX_CODE_POINT) {
                // Surrogate code points are not characters: no key holds one, so skip over them.
                int next = cp + 1 == Character.MIN_SURROGATE ? Character.MAX_SURROGATE + 1 : cp + 1;
                return prefix.substring(0, start) + Character.toString(next);
            }
            end = start;
        }
        return null;
    }

    /** True when the string has no lone surrogates, so it has a UTF-8 encoding. */
    static boolean isWellFormed(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 == s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) return false;
                i++;
            } else if (Character.isLowSurrogate(c)) {
                return false;
            }
        }
        return true;
    }
}
