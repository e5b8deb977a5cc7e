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

    private static AwsException unsatisfiable(String header, long size) {
        return new AwsException("InvalidRange", "The requested range is not satisfiable", 416)
                .with("RangeRequested", header).with("ActualObjectSize", String.valueOf(size));
    }
}
