package dev.nimbus.services.apigateway;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.HttpResponse;
import dev.nimbus.protocol.Values;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * HTTP APIs' parameter mapping: an integration's requestParameters change the request before it
 * reaches the integration (append, overwrite or remove a header or query string parameter,
 * overwrite the path), and its responseParameters, chosen by the integration's status code, change
 * the response (headers, status code). Values are static text with $request..., $response...,
 * $context... and $stageVariables... variables, written bare or as ${...}.
 */
final class ParameterMapping {
    private static final Pattern REQUEST_KEY = Pattern.compile("(append|overwrite|remove):(header|querystring)\\.([^\\s]+)|overwrite:path");
    private static final Pattern RESPONSE_KEY = Pattern.compile("(append|overwrite|remove):header\\.([^\\s]+)|overwrite:statuscode");
    /** ${anything} or a bare $variable (letters, digits, '.', '_' and '-', as header names have them). */
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([^}]*)}|\\$([A-Za-z][A-Za-z0-9_.\\-]*)");
    private static final Pattern REQUEST_SOURCE = Pattern.compile("request\\.(header|querystring|path)\\.[^.\\s]+.*|request\\.path|request\\.body(\\..+)?");
    private static final Pattern RESPONSE_SOURCE = Pattern.compile("response\\.header\\.[^\\s]+|response\\.body(\\..+)?");
    private static final Pattern COMMON_SOURCE = Pattern.compile("context\\.[A-Za-z0-9_.]+|stageVariables\\.[A-Za-z0-9_]+");
    /** Headers API Gateway keeps for itself: a mapping may not write them. */
    private static final Set<String> RESERVED = Set.of("authorization", "connection", "content-encoding", "content-length", "content-location",
            "forwarded", "keep-alive", "origin", "proxy-authenticate", "proxy-authorization", "te", "trailers", "transfer-encoding", "upgrade",
            "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "via", "host");

    private ParameterMapping() {}

    /** Checks an integration's mappings as CreateIntegration and UpdateIntegration do: BadRequestException naming the first problem. */
    static void validate(JsonNode requestParameters, JsonNode responseParameters) {
        if (requestParameters != null && !requestParameters.isNull()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = requestParameters.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> p = it.next();
                Matcher key = REQUEST_KEY.matcher(p.getKey());
                if (!key.matches()) throw invalid("Invalid mapping expression specified: " + p.getKey());
                if (key.group(1) != null && key.group(2).equals("header")) reserved(key.group(3));
                if (!"remove".equals(key.group(1))) checkValue(p.getValue().asText(), REQUEST_SOURCE);
            }
        }
        if (responseParameters != null && !responseParameters.isNull()) {
            for (Iterator<Map.Entry<String, JsonNode>> codes = responseParameters.fields(); codes.hasNext(); ) {
                Map.Entry<String, JsonNode> code = codes.next();
                if (!code.getKey().matches("[2-5]\\d\\d")) throw invalid("Invalid status code specified: " + code.getKey() + ". Must be between 200 and 599");
                for (Iterator<Map.Entry<String, JsonNode>> it = code.getValue().fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> p = it.next();
                    Matcher key = RESPONSE_KEY.matcher(p.getKey());
                    if (!key.matches()) throw invalid("Invalid mapping expression specified: " + p.getKey());
                    if (key.group(1) != null) reserved(key.group(2));
                    String value = p.getValue().asText();
                    if (!"remove".equals(key.group(1))) checkValue(value, RESPONSE_SOURCE);
                    if (key.group(1) == null && value.indexOf('$') < 0 && !value.matches("[2-5]\\d\\d")) {
                        throw invalid("Invalid status code specified: " + value + ". Must be between 200 and 599");
                    }
                }
            }
        }
    }

    private static void checkValue(String value, Pattern sources) {
        Matcher m = VARIABLE.matcher(value);
        while (m.find()) {
            String name = m.group(1) != null ? m.group(1) : m.group(2);
            if (!sources.matcher(name).matches() && !COMMON_SOURCE.matcher(name).matches()) throw invalid("Invalid mapping expression specified: " + value);
        }
    }

    private static void reserved(String header) {
        String h = header.toLowerCase(Locale.ROOT);
        if (RESERVED.contains(h) || h.startsWith("x-amz") || h.startsWith("apigw-") || h.startsWith("access-control-")) {
            throw invalid("Invalid mapping expression specified: header " + header + " is reserved");
        }
    }

    private static AwsException invalid(String message) {
        return new AwsException("BadRequestException", message, 400);
    }

    /** What a request looks like to the integration once mapped; path is null unless overwritten. */
    record Mapped(List<Map.Entry<String, String>> headers, String rawQuery, String path) {}

    /**
     * Applies requestParameters to the request: values come from the request as it arrived.
     * {@code path} is the request path below the stage; {@code context} answers $context variables.
     */
    static Mapped request(JsonNode parameters, GatewayRequest req, String path, Map<String, String> pathParameters,
                          Map<String, String> stageVariables, Function<String, String> context) {
        List<Map.Entry<String, String>> headers = new ArrayList<>(req.headers);
        Map<String, List<String>> query = new LinkedHashMap<>();
        req.http.query().forEach((k, v) -> query.put(k, new ArrayList<>(v)));
        String newPath = null;
        Function<String, String> source = name -> {
            if (name.startsWith("request.header.")) return joined(headerValues(req.headers, name.substring("request.header.".length())));
            if (name.startsWith("request.querystring.")) return joined(req.http.query().get(name.substring("request.querystring.".length())));
            if (name.equals("request.path")) return path;
            if (name.startsWith("request.path.")) return pathParameters.get(name.substring("request.path.".length()));
            if (name.equals("request.body") || name.startsWith("request.body.")) return bodyValue(req.body, name.substring("request.body".length()));
            return common(name, stageVariables, context);
        };
        for (Iterator<Map.Entry<String, JsonNode>> it = parameters.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> p = it.next();
            Matcher key = REQUEST_KEY.matcher(p.getKey());
            if (!key.matches()) continue;
            String action = key.group(1);
            String value = "remove".equals(action) ? null : evaluate(p.getValue().asText(), source);
            if (!"remove".equals(action) && value == null) continue;
            if (action == null) {
                newPath = value.startsWith("/") ? value : "/" + value;
            } else if (key.group(2).equals("header")) {
                String name = key.group(3);
                if (!action.equals("append")) headers.removeIf(h -> h.getKey().equalsIgnoreCase(name));
                if (value != null) headers.add(new AbstractMap.SimpleImmutableEntry<>(name, value));
            } else {
                String name = key.group(3);
                if (!action.equals("append")) query.remove(name);
                if (value != null) query.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
            }
        }
        StringBuilder raw = new StringBuilder();
        query.forEach((k, values) -> {
            for (String v : values) {
                if (!raw.isEmpty()) raw.append('&');
                raw.append(encode(k));
                if (!v.isEmpty()) raw.append('=').append(encode(v));
            }
        });
        return new Mapped(headers, raw.toString(), newPath);
    }

    /** Applies the responseParameters for the response's status code, if any; values come from the integration's response. */
    static void response(JsonNode parameters, HttpResponse res, Map<String, String> stageVariables, Function<String, String> context) {
        JsonNode forStatus = parameters == null ? null : parameters.get(Integer.toString(res.status));
        if (forStatus == null) return;
        List<Map.Entry<String, String>> original = new ArrayList<>();
        for (String[] h : res.headers) original.add(new AbstractMap.SimpleImmutableEntry<>(h[0], h[1]));
        byte[] body = res.body;
        Function<String, String> source = name -> {
            if (name.startsWith("response.header.")) return joined(headerValues(original, name.substring("response.header.".length())));
            if (name.equals("response.body") || name.startsWith("response.body.")) return bodyValue(body, name.substring("response.body".length()));
            return common(name, stageVariables, context);
        };
        for (Iterator<Map.Entry<String, JsonNode>> it = forStatus.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> p = it.next();
            Matcher key = RESPONSE_KEY.matcher(p.getKey());
            if (!key.matches()) continue;
            String action = key.group(1);
            String value = "remove".equals(action) ? null : evaluate(p.getValue().asText(), source);
            if (!"remove".equals(action) && value == null) continue;
            if (action == null) {
                try {
                    res.status = Integer.parseInt(value.trim());
                } catch (NumberFormatException e) {
                    // A status code mapped from a value that is not one leaves the integration's.
                }
                continue;
            }
            String name = key.group(2);
            if (!action.equals("append")) res.headers.removeIf(h -> h[0].equalsIgnoreCase(name));
            if (value != null) res.header(name, value);
        }
    }

    /** The expression with its variables replaced; null when it is only variables and none has a value (the mapping is skipped). */
    static String evaluate(String expression, Function<String, String> source) {
        Matcher m = VARIABLE.matcher(expression);
        StringBuilder out = new StringBuilder();
        boolean found = false;
        boolean literal = false;
        int last = 0;
        while (m.find()) {
            if (m.start() > last) literal = true;
            String v = source.apply(m.group(1) != null ? m.group(1) : m.group(2));
            if (v != null) found = true;
            m.appendReplacement(out, Matcher.quoteReplacement(v == null ? "" : v));
            last = m.end();
        }
        if (last < expression.length()) literal = true;
        m.appendTail(out);
        return found || literal ? out.toString() : null;
    }

    private static String common(String name, Map<String, String> stageVariables, Function<String, String> context) {
        if (name.startsWith("stageVariables.")) return stageVariables.get(name.substring("stageVariables.".length()));
        if (name.startsWith("context.")) return context.apply(name.substring("context.".length()));
        return null;
    }

    /** The whole body ("" path) or a value in a JSON body by a dotted path ($.a.b written as ".a.b"). */
    private static String bodyValue(byte[] body, String path) {
        if (body == null) return null;
        if (path.isEmpty()) return new String(body, StandardCharsets.UTF_8);
        try {
            JsonNode node = Values.JSON.readTree(body);
            for (String part : path.substring(1).split("\\.")) node = node == null ? null : node.get(part);
            if (node == null || node.isNull() || node.isMissingNode()) return null;
            return node.isValueNode() ? node.asText() : node.toString();
        } catch (IOException e) {
            return null;
        }
    }

    private static List<String> headerValues(List<Map.Entry<String, String>> headers, String name) {
        List<String> out = new ArrayList<>(1);
        for (Map.Entry<String, String> h : headers) if (h.getKey().equalsIgnoreCase(name)) out.add(h.getValue());
        return out;
    }

    private static String joined(List<String> values) {
        return values == null || values.isEmpty() ? null : String.join(",", values);
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
