package dev.nimbus.services.apigateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.Values;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.velocity.Template;
import org.apache.velocity.VelocityContext;
import org.apache.velocity.runtime.RuntimeInstance;
import org.apache.velocity.runtime.parser.ParseException;

/**
 * Mapping templates: Apache Velocity with API Gateway's variables ($input, $util, $context,
 * $stageVariables). Templates are parsed once and kept, so a request only merges.
 */
final class Templates {
    /** Velocity logs a template's syntax errors before throwing them; they are the API author's, answered as BadRequestException. */
    private static final java.util.logging.Logger VELOCITY_LOG = java.util.logging.Logger.getLogger("org.apache.velocity");

    static {
        VELOCITY_LOG.setLevel(java.util.logging.Level.OFF);
    }

    private final RuntimeInstance velocity = new RuntimeInstance();
    private final Map<String, Template> parsed = new ConcurrentHashMap<>();

    Templates() {
        // Lenient, as API Gateway is: an undefined reference renders as itself rather than failing the request.
        velocity.setProperty("runtime.strict_mode.enable", "false");
        velocity.init();
    }

    /** A BadRequestException naming the syntax error, as AWS answers when a template is put. */
    void check(String text) {
        parse(text);
    }

    private Template parse(String text) {
        Template t = parsed.get(text);
        if (t != null) return t;
        Template template = new Template();
        template.setName("mapping-template");
        template.setRuntimeServices(velocity);
        try {
            template.setData(velocity.parse(new StringReader(text), template));
        } catch (ParseException e) {
            throw new AwsException("BadRequestException", "Invalid mapping expression specified: " + e.getMessage().lines().findFirst().orElse(""), 400);
        }
        template.initDocument();
        if (parsed.size() < 10_000) parsed.put(text, template);
        return template;
    }

    /** The template's output for a request or integration response whose body is {@code body}. */
    String render(String text, Input input, Map<String, Object> context, Map<String, String> stageVariables) {
        VelocityContext ctx = new VelocityContext();
        ctx.put("input", input);
        ctx.put("util", UTIL);
        ctx.put("context", context);
        ctx.put("stageVariables", stageVariables);
        StringWriter out = new StringWriter();
        parse(text).merge(ctx, out);
        return out.toString();
    }

    /** $input: the body (as JSON when it is), and the request's parameters. */
    public static final class Input {
        private final String body;
        private final Map<String, Map<String, String>> params;
        private JsonNode json;

        Input(String body, Map<String, String> path, Map<String, String> query, Map<String, String> headers) {
            this.body = body == null ? "" : body;
            this.params = new LinkedHashMap<>();
            params.put("path", path);
            params.put("querystring", query);
            params.put("header", headers);
        }

        public String getBody() {
            return body;
        }

        /** The JSONPath's value as JSON text ("$.name" gives "\"x\""). */
        public String json(String path) {
            JsonNode n = select(path);
            return n.isMissingNode() ? "" : n.toString();
        }

        /** The JSONPath's value as an object the template can walk ($input.path('$').items.size()). */
        public Object path(String path) {
            return toJava(select(path));
        }

        public Map<String, Map<String, String>> params() {
            return params;
        }

        /** A parameter by name, looked up in the path, then the query string, then the headers. */
        public String params(String name) {
            for (Map<String, String> m : params.values()) {
                if (m.containsKey(name)) return m.get(name);
            }
            for (Map.Entry<String, String> h : params.get("header").entrySet()) if (h.getKey().equalsIgnoreCase(name)) return h.getValue();
            return "";
        }

        private JsonNode select(String path) {
            if (json == null) {
                try {
                    json = body.isBlank() ? Values.object() : Values.JSON.readTree(body);
                } catch (IOException e) {
                    json = Values.NODES.textNode(body);
                }
            }
            return JsonPaths.select(json, path);
        }
    }

    /** The JSONPath subset mapping templates use: $, .name, ['name'], [index]. */
    static final class JsonPaths {
        private JsonPaths() {}

        static JsonNode select(JsonNode root, String path) {
            if (path == null || !path.startsWith("$")) return MissingNode.getInstance();
            JsonNode n = root;
            int i = 1;
            while (i < path.length() && !n.isMissingNode()) {
                char c = path.charAt(i);
                if (c == '.') {
                    int end = i + 1;
                    while (end < path.length() && path.charAt(end) != '.' && path.charAt(end) != '[') end++;
                    n = n.path(path.substring(i + 1, end));
                    i = end;
                } else if (c == '[') {
                    int end = path.indexOf(']', i);
                    if (end < 0) return MissingNode.getInstance();
                    String key = path.substring(i + 1, end).trim();
                    if (key.startsWith("'") || key.startsWith("\"")) n = n.path(key.substring(1, key.length() - 1));
                    else if (key.matches("\\d+")) n = n.path(Integer.parseInt(key));
                    else return MissingNode.getInstance();
                    i = end + 1;
                } else {
                    return MissingNode.getInstance();
                }
            }
            return n;
        }
    }

    static Object toJava(JsonNode n) {
        if (n == null || n.isMissingNode() || n.isNull()) return null;
        if (n.isObject()) {
            Map<String, Object> m = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                m.put(e.getKey(), toJava(e.getValue()));
            }
            return m;
        }
        if (n.isArray()) {
            List<Object> l = new ArrayList<>(n.size());
            for (JsonNode x : n) l.add(toJava(x));
            return l;
        }
        if (n.isBoolean()) return n.booleanValue();
        if (n.isIntegralNumber()) return n.canConvertToInt() ? (Object) n.intValue() : (Object) n.longValue();
        if (n.isNumber()) return n.doubleValue();
        return n.asText();
    }

    private static final Util UTIL = new Util();

    /** $util. */
    public static final class Util {
        public String escapeJavaScript(String s) {
            if (s == null) return "";
            StringBuilder b = new StringBuilder(s.length() + 8);
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> b.append("\\\"");
                    case '\'' -> b.append("\\'");
                    case '\\' -> b.append("\\\\");
                    case '/' -> b.append("\\/");
                    case '\n' -> b.append("\\n");
                    case '\r' -> b.append("\\r");
                    case '\t' -> b.append("\\t");
                    case '\b' -> b.append("\\b");
                    case '\f' -> b.append("\\f");
                    default -> {
                        if (c < 0x20 || c > 0x7e) b.append(String.format("\\u%04X", (int) c));
                        else b.append(c);
                    }
                }
            }
            return b.toString();
        }

        public Object parseJson(String s) {
            try {
                return toJava(Values.JSON.readTree(s));
            } catch (IOException e) {
                return null;
            }
        }

        public String base64Encode(String s) {
            return s == null ? "" : Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
        }

        public String base64Decode(String s) {
            return s == null ? "" : new String(Base64.getMimeDecoder().decode(s), StandardCharsets.UTF_8);
        }

        public String urlEncode(String s) {
            return s == null ? "" : URLEncoder.encode(s, StandardCharsets.UTF_8);
        }

        public String urlDecode(String s) {
            return s == null ? "" : URLDecoder.decode(s, StandardCharsets.UTF_8);
        }
    }
}
