package dev.nimbus.protocol.model;

import dev.nimbus.protocol.AwsException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A rest-json / rest-xml requestUri such as {@code /{Bucket}/{Key+}?uploads}: literal segments,
 * labels ({@code {Name}}), one greedy label ({@code {Name+}}) and query literals the request must carry.
 */
public final class UriTemplate {
    private record Segment(String literal, String label, boolean greedy) {}

    private final List<Segment> segments = new ArrayList<>();
    /** query keys (with optional required value, or null) that select this operation */
    private final Map<String, String> requiredQuery = new LinkedHashMap<>();
    /** higher wins when several templates match one request */
    public final int specificity;
    public final String text;

    public UriTemplate(String text) {
        this.text = text;
        int q = text.indexOf('?');
        String path = q < 0 ? text : text.substring(0, q);
        if (q >= 0) {
            for (String pair : text.substring(q + 1).split("&")) {
                if (pair.isEmpty()) continue;
                int eq = pair.indexOf('=');
                requiredQuery.put(eq < 0 ? pair : pair.substring(0, eq), eq < 0 ? null : pair.substring(eq + 1));
            }
        }
        int score = 0;
        for (String part : path.split("/", -1)) {
            if (part.isEmpty()) continue;
            if (part.startsWith("{") && part.endsWith("}")) {
                String name = part.substring(1, part.length() - 1);
                boolean greedy = name.endsWith("+");
                segments.add(new Segment(null, greedy ? name.substring(0, name.length() - 1) : name, greedy));
                score += greedy ? 1 : 10;
            } else {
                segments.add(new Segment(part, null, false));
                score += 100;
            }
        }
        // A trailing slash in the template ("/2015-03-31/functions/") must still match "/…/functions".
        this.specificity = score * 10 + requiredQuery.size() * 500 + (requiredQuery.containsValue(null) ? 0 : requiredQuery.size());
    }

    /**
     * Matches a raw (still percent-encoded) path and decoded query; returns decoded labels, or null.
     */
    public Map<String, String> match(String rawPath, Map<String, List<String>> query) {
        for (Map.Entry<String, String> required : requiredQuery.entrySet()) {
            List<String> values = query.get(required.getKey());
            if (values == null) return null;
            if (required.getValue() != null && !values.contains(required.getValue())) return null;
        }
        String[] parts = splitPath(rawPath);
        Map<String, String> labels = new LinkedHashMap<>();
        int i = 0;
        for (int s = 0; s < segments.size(); s++) {
            Segment seg = segments.get(s);
            if (seg.greedy) {
                int rest = segments.size() - s - 1;
                int end = parts.length - rest;
                if (end <= i) return null;
                String value = String.join("/", java.util.Arrays.copyOfRange(parts, i, end));
                // "/bucket/" names the bucket, not an object with an empty key.
                if (value.isEmpty()) return null;
                labels.put(seg.label, decode(value));
                i = end;
                continue;
            }
            if (i >= parts.length) return null;
            if (seg.literal != null) {
                if (!seg.literal.equals(parts[i])) return null;
            } else {
                if (parts[i].isEmpty()) return null;
                labels.put(seg.label, decode(parts[i]));
            }
            i++;
        }
        if (i != parts.length) return null;
        return labels;
    }

    /** Path segments without the leading slash; a trailing slash is kept only where a greedy label may own it. */
    private String[] splitPath(String rawPath) {
        String p = rawPath.startsWith("/") ? rawPath.substring(1) : rawPath;
        if (p.isEmpty()) return new String[0];
        String[] parts = p.split("/", -1);
        boolean greedyLast = !segments.isEmpty() && segments.get(segments.size() - 1).greedy;
        if (parts[parts.length - 1].isEmpty() && !greedyLast) {
            return java.util.Arrays.copyOf(parts, parts.length - 1);
        }
        return parts;
    }

    /** Query keys the template requires ({@code uploads} of {@code ?uploads}): they select the operation, they are no input. */
    public Set<String> queryLiterals() {
        return requiredQuery.keySet();
    }

    private static String decode(String raw) {
        if (raw.indexOf('%') < 0) return raw;
        try {
            return URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new AwsException("InvalidURI", "Couldn't parse the specified URI: malformed percent-encoding in " + raw, 400);
        }
    }

    @Override
    public String toString() {
        return text;
    }
}
