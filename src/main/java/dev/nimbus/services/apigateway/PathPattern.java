package dev.nimbus.services.apigateway;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A route's or resource's path ({@code /users/{id}}, {@code /{proxy+}}) matched against a request
 * path, and ordered as API Gateway picks among several matches: the most specific first, where a
 * literal segment beats a path parameter, which beats a greedy one.
 */
record PathPattern(String path, String[] segments) {
    static PathPattern of(String path) {
        return new PathPattern(path, split(path).toArray(String[]::new));
    }

    /** A path's segments, empty ones (a trailing or doubled slash) dropped. */
    static List<String> split(String path) {
        List<String> out = new ArrayList<>();
        int start = 0;
        while (start < path.length()) {
            int slash = path.indexOf('/', start);
            if (slash < 0) slash = path.length();
            if (slash > start) out.add(path.substring(start, slash));
            start = slash + 1;
        }
        return out;
    }

    /** The path parameters when {@code path} (decoded segments) matches, else null. */
    Map<String, String> match(List<String> path) {
        Map<String, String> params = new LinkedHashMap<>();
        for (int i = 0; i < segments.length; i++) {
            String s = segments[i];
            int kind = kind(s);
            if (kind == 2) {
                if (i >= path.size()) return null;
                params.put(s.substring(1, s.length() - 2), String.join("/", path.subList(i, path.size())));
                return params;
            }
            if (i >= path.size()) return null;
            if (kind == 1) params.put(s.substring(1, s.length() - 1), path.get(i));
            else if (!s.equals(path.get(i))) return null;
        }
        return segments.length == path.size() ? params : null;
    }

    /** 0 literal, 1 {param}, 2 {greedy+}. */
    static int kind(String segment) {
        if (!segment.startsWith("{") || !segment.endsWith("}")) return 0;
        return segment.endsWith("+}") ? 2 : 1;
    }

    /** Negative when this pattern is more specific than {@code other}. */
    int compareSpecificity(PathPattern other) {
        int n = Math.min(segments.length, other.segments.length);
        for (int i = 0; i < n; i++) {
            int c = Integer.compare(kind(segments[i]), kind(other.segments[i]));
            if (c != 0) return c;
        }
        return Integer.compare(other.segments.length, segments.length);
    }
}
