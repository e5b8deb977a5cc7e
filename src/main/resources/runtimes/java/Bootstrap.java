// Nimbus's Java runtime: pulls events from the Lambda Runtime API (2018-06-01), calls the handler
// named by _HANDLER ("package.Class::method" or "package.Class") from the function's code
// (classes at LAMBDA_TASK_ROOT, jars in lib/) and posts its result or error in AWS's Java shapes.
// JDK only: compiled once (--release 17) by Nimbus, and run on the classpath apart from the
// function's classes, which get their own class loader. aws-lambda-java-core, when the function
// bundles it, is used through that loader (Context and the handler interfaces are the function's own).
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Proxy;
import java.lang.reflect.Type;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

public final class Bootstrap {
    private static final String CORE = "com.amazonaws.services.lambda.runtime.";
    private static final Api API = new Api(System.getenv("AWS_LAMBDA_RUNTIME_API"));

    /** Thrown for a handler that cannot be loaded: reported to init/error with AWS's error type. */
    static final class InitError extends Exception {
        final String type;

        InitError(String type, String message, Throwable cause) {
            super(message, cause);
            this.type = type;
        }
    }

    /** How the handler is called: the object, its method, and what each parameter wants. */
    record Handler(Object target, Method method, boolean stream, Type input, boolean wantsContext, ClassLoader loader) {}

    public static void main(String[] args) throws Exception {
        Handler handler;
        try {
            handler = load(System.getenv("_HANDLER"));
        } catch (InitError e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            String body = errorJson(e.getMessage(), e.type, cause);
            System.err.println(e.getMessage());
            post("/init/error", body, e.type);
            System.exit(1);
            return;
        }
        while (true) {
            Api.Response next = API.call("GET", "/invocation/next", new byte[0], null);
            byte[] event = next.body();
            String id = next.header("Lambda-Runtime-Aws-Request-Id");
            String deadline = next.header("Lambda-Runtime-Deadline-Ms");
            String arn = next.header("Lambda-Runtime-Invoked-Function-Arn");
            String trace = next.header("Lambda-Runtime-Trace-Id");
            if (trace != null) System.setProperty("com.amazonaws.xray.traceHeader", trace);
            byte[] result;
            try {
                result = call(handler, event, id, deadline == null ? Long.MAX_VALUE : Long.parseLong(deadline), arn);
            } catch (Throwable t) {
                Throwable cause = t instanceof InvocationTargetException ite && ite.getCause() != null ? ite.getCause() : t;
                String type = cause.getClass().getName();
                cause.printStackTrace();
                post("/invocation/" + id + "/error", errorJson(String.valueOf(cause.getMessage()), type, cause), type);
                continue;
            }
            post("/invocation/" + id + "/response", result, null);
        }
    }

    // ---- loading the handler

    static Handler load(String spec) throws InitError {
        if (spec == null || spec.isBlank()) throw new InitError("Runtime.MalformedHandlerName", "No handler specified", null);
        int sep = spec.indexOf("::");
        String className = sep < 0 ? spec : spec.substring(0, sep);
        String methodName = sep < 0 ? null : spec.substring(sep + 2);
        ClassLoader loader = userLoader();
        Thread.currentThread().setContextClassLoader(loader);
        Class<?> cls;
        try {
            cls = Class.forName(className, true, loader);
        } catch (ClassNotFoundException e) {
            throw new InitError("java.lang.ClassNotFoundException", "Class not found: " + className, e);
        } catch (Throwable e) { // static initializer failed
            Throwable cause = e instanceof ExceptionInInitializerError && e.getCause() != null ? e.getCause() : e;
            throw new InitError(cause.getClass().getName(), "Error loading class " + className + ": " + cause, cause);
        }
        Object target;
        try {
            target = cls.getDeclaredConstructor().newInstance();
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            throw new InitError(cause.getClass().getName(), "Error constructing " + className + ": " + cause, cause);
        } catch (ReflectiveOperationException e) {
            throw new InitError("java.lang.Exception", "Class " + className + " has no public zero-argument constructor", e);
        }
        Class<?> streamIface = optional(loader, CORE + "RequestStreamHandler");
        Class<?> requestIface = optional(loader, CORE + "RequestHandler");
        Class<?> context = optional(loader, CORE + "Context");
        String name = methodName == null ? "handleRequest" : methodName;
        if (streamIface != null && streamIface.isInstance(target) && name.equals("handleRequest")) {
            return new Handler(target, method(cls, name, InputStream.class, OutputStream.class, context), true, null, true, loader);
        }
        if (requestIface != null && requestIface.isInstance(target) && name.equals("handleRequest")) {
            Type input = Object.class;
            for (Type t : genericInterfaces(cls)) {
                if (t instanceof ParameterizedType p && p.getRawType() == requestIface) input = p.getActualTypeArguments()[0];
            }
            Method m = null;
            for (Method c : cls.getMethods()) {
                if (c.getName().equals(name) && c.getParameterCount() == 2 && !c.isBridge()) m = c;
            }
            if (m == null) m = method(cls, name, Object.class, context);
            return new Handler(target, m, false, m.getGenericParameterTypes()[0], true, loader);
        }
        // A plain method: (input), (input, Context), (InputStream, OutputStream[, Context]).
        Method best = null;
        for (Method c : cls.getMethods()) {
            if (!c.getName().equals(name) || c.isBridge() || c.getParameterCount() == 0 || c.getParameterCount() > 3) continue;
            if (best == null || c.getParameterCount() > best.getParameterCount()) best = c;
        }
        if (best == null) {
            throw new InitError("java.lang.NoSuchMethodException", "No public method named " + name + " with appropriate signature found on class " + className, null);
        }
        Class<?>[] p = best.getParameterTypes();
        boolean stream = p.length >= 2 && p[0] == InputStream.class && p[1] == OutputStream.class;
        boolean wantsContext = stream ? p.length == 3 : p.length == 2;
        if (Modifier.isStatic(best.getModifiers())) target = null;
        return new Handler(target, best, stream, stream ? null : best.getGenericParameterTypes()[0], wantsContext, loader);
    }

    private static List<Type> genericInterfaces(Class<?> cls) {
        List<Type> all = new ArrayList<>();
        for (Class<?> c = cls; c != null; c = c.getSuperclass()) all.addAll(List.of(c.getGenericInterfaces()));
        return all;
    }

    private static Method method(Class<?> cls, String name, Class<?> a, Class<?> b, Class<?> c) throws InitError {
        try {
            return cls.getMethod(name, a, b, c);
        } catch (NoSuchMethodException e) {
            throw new InitError("java.lang.NoSuchMethodException", "No public method named " + name + " with appropriate signature found on class " + cls.getName(), e);
        }
    }

    private static Method method(Class<?> cls, String name, Class<?> a, Class<?> b) throws InitError {
        try {
            return cls.getMethod(name, a, b);
        } catch (NoSuchMethodException e) {
            throw new InitError("java.lang.NoSuchMethodException", "No public method named " + name + " with appropriate signature found on class " + cls.getName(), e);
        }
    }

    private static Class<?> optional(ClassLoader loader, String name) {
        try {
            return Class.forName(name, false, loader);
        } catch (ClassNotFoundException | LinkageError e) {
            return null;
        }
    }

    /** The function's classes and lib/*.jar, with only the JDK's platform classes as parent: none of ours. */
    private static ClassLoader userLoader() {
        File root = new File(System.getenv("LAMBDA_TASK_ROOT"));
        List<URL> urls = new ArrayList<>();
        try {
            urls.add(root.toURI().toURL());
            File[] jars = new File(root, "lib").listFiles((d, n) -> n.endsWith(".jar"));
            if (jars != null) {
                java.util.Arrays.sort(jars);
                for (File j : jars) urls.add(j.toURI().toURL());
            }
        } catch (java.net.MalformedURLException e) {
            throw new IllegalStateException(e);
        }
        return new URLClassLoader(urls.toArray(new URL[0]), ClassLoader.getPlatformClassLoader());
    }

    // ---- one invocation

    static byte[] call(Handler h, byte[] event, String id, long deadline, String arn) throws Throwable {
        Object context = h.wantsContext() ? context(h.loader(), id, deadline, arn) : null;
        if (h.stream()) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Object[] args = h.method().getParameterCount() == 3 ? new Object[] {new ByteArrayInputStream(event), out, context}
                    : new Object[] {new ByteArrayInputStream(event), out};
            h.method().invoke(h.target(), args);
            return out.toByteArray();
        }
        Object input = convert(event.length == 0 ? null : Json.parse(new String(event, StandardCharsets.UTF_8)), h.input(), event);
        Object result = h.wantsContext() ? h.method().invoke(h.target(), input, context) : h.method().invoke(h.target(), input);
        if (result instanceof byte[] b) return b;
        return Json.write(result).getBytes(StandardCharsets.UTF_8);
    }

    /** LoggingConfig LogFormat JSON: LambdaLogger messages are written as JSON objects, filtered by the ApplicationLogLevel. */
    static final boolean JSON_LOGS = "JSON".equals(System.getenv("AWS_LAMBDA_LOG_FORMAT"));
    private static final List<String> LEVELS = List.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL");

    /** One message as Lambda's Java runtime writes it in JSON; a message logged without a level is always written. */
    static void logJson(String message, String level, String requestId) {
        int min = Math.max(0, LEVELS.indexOf(System.getenv().getOrDefault("AWS_LAMBDA_LOG_LEVEL", "INFO")));
        if (level != null && LEVELS.contains(level) && LEVELS.indexOf(level) < min) return;
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("timestamp", java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS).toString());
        if (level != null && LEVELS.contains(level)) record.put("level", level);
        record.put("message", message.endsWith("\n") ? message.substring(0, message.length() - 1) : message);
        record.put("AWSRequestId", requestId);
        System.out.println(Json.write(record));
    }

    /** The function's Context (its own interface, when it bundles aws-lambda-java-core), else nothing to implement. */
    private static Object context(ClassLoader loader, String id, long deadline, String arn) {
        Class<?> iface = optional(loader, CORE + "Context");
        if (iface == null) return null;
        Class<?> loggerIface = optional(loader, CORE + "LambdaLogger");
        Object logger = loggerIface == null ? null : Proxy.newProxyInstance(loader, new Class<?>[] {loggerIface}, (p, m, a) -> {
            // log(String), log(byte[]) and the newer overloads with a LogLevel after the message
            if (m.getName().equals("log") && a != null && a.length >= 1) {
                Object msg = a[0];
                String text = msg instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(msg);
                if (JSON_LOGS) logJson(text, a.length > 1 && a[1] != null ? a[1].toString() : null, id);
                else System.out.print(text);
                System.out.flush();
                return null;
            }
            return objectMethod(p, m, a);
        });
        return Proxy.newProxyInstance(loader, new Class<?>[] {iface}, (p, m, a) -> switch (m.getName()) {
            case "getAwsRequestId" -> id;
            case "getLogGroupName" -> System.getenv("AWS_LAMBDA_LOG_GROUP_NAME");
            case "getLogStreamName" -> System.getenv("AWS_LAMBDA_LOG_STREAM_NAME");
            case "getFunctionName" -> System.getenv("AWS_LAMBDA_FUNCTION_NAME");
            case "getFunctionVersion" -> System.getenv("AWS_LAMBDA_FUNCTION_VERSION");
            case "getInvokedFunctionArn" -> arn;
            case "getRemainingTimeInMillis" -> (int) Math.max(0, Math.min(Integer.MAX_VALUE, deadline - System.currentTimeMillis()));
            case "getMemoryLimitInMB" -> Integer.parseInt(System.getenv().getOrDefault("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"));
            case "getLogger" -> logger;
            case "getIdentity", "getClientContext" -> null;
            default -> objectMethod(p, m, a);
        });
    }

    private static Object objectMethod(Object proxy, Method m, Object[] a) {
        return switch (m.getName()) {
            case "hashCode" -> System.identityHashCode(proxy);
            case "equals" -> proxy == a[0];
            case "toString" -> "Context";
            default -> null;
        };
    }

    // ---- JSON <-> Java values (the function's class path has no Jackson, and we bring none)

    /** Converts a parsed JSON value (Map, List, String, Number, Boolean, null) to the handler's parameter type. */
    static Object convert(Object v, Type type, byte[] raw) throws ReflectiveOperationException {
        Class<?> cls = raw(type);
        if (v == null) return cls.isPrimitive() ? convert(0, type, raw) : null;
        if (cls == Object.class || cls.isInstance(v) && !(v instanceof Map || v instanceof List)) return v;
        if (cls == String.class) return v instanceof String ? v : Json.write(v);
        if (cls == byte[].class) return raw;
        if (v instanceof Number n) {
            if (cls == int.class || cls == Integer.class) return n.intValue();
            if (cls == long.class || cls == Long.class) return n.longValue();
            if (cls == double.class || cls == Double.class) return n.doubleValue();
            if (cls == float.class || cls == Float.class) return n.floatValue();
            if (cls == short.class || cls == Short.class) return n.shortValue();
            if (cls == java.math.BigDecimal.class) return new java.math.BigDecimal(n.toString());
        }
        if (v instanceof Boolean && cls == boolean.class) return v;
        if (v instanceof String s && (cls == int.class || cls == Integer.class)) return Integer.parseInt(s);
        if (v instanceof List<?> list) {
            Type element = type instanceof ParameterizedType p ? p.getActualTypeArguments()[0] : Object.class;
            if (cls.isArray()) {
                Object arr = Array.newInstance(cls.getComponentType(), list.size());
                for (int i = 0; i < list.size(); i++) Array.set(arr, i, convert(list.get(i), cls.getComponentType(), raw));
                return arr;
            }
            List<Object> out = new ArrayList<>();
            for (Object o : list) out.add(convert(o, element, raw));
            return out;
        }
        if (v instanceof Map<?, ?> map) {
            if (Map.class.isAssignableFrom(cls)) {
                Type value = type instanceof ParameterizedType p ? p.getActualTypeArguments()[1] : Object.class;
                Map<Object, Object> out = new LinkedHashMap<>();
                for (Map.Entry<?, ?> e : map.entrySet()) out.put(e.getKey(), convert(e.getValue(), value, raw));
                return out;
            }
            // A POJO: a public no-argument constructor, then setters or public fields by name.
            Object pojo = cls.getDeclaredConstructor().newInstance();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                String key = (String) e.getKey();
                Method setter = setter(cls, key);
                if (setter != null) {
                    setter.invoke(pojo, convert(e.getValue(), setter.getGenericParameterTypes()[0], raw));
                    continue;
                }
                try {
                    Field f = cls.getField(key);
                    f.set(pojo, convert(e.getValue(), f.getGenericType(), raw));
                } catch (NoSuchFieldException ignored) {
                    // an unknown property is skipped, as Lambda's serializer does
                }
            }
            return pojo;
        }
        throw new IllegalArgumentException("Cannot convert " + v.getClass().getSimpleName() + " to " + cls.getName());
    }

    private static Method setter(Class<?> cls, String key) {
        if (key.isEmpty()) return null;
        String name = "set" + Character.toUpperCase(key.charAt(0)) + key.substring(1);
        for (Method m : cls.getMethods()) {
            if (m.getName().equalsIgnoreCase(name) && m.getParameterCount() == 1) return m;
        }
        return null;
    }

    private static Class<?> raw(Type t) {
        if (t instanceof Class<?> c) return c;
        if (t instanceof ParameterizedType p) return (Class<?>) p.getRawType();
        return Object.class;
    }

    static final class Json {
        private final String s;
        private int i;

        private Json(String s) {
            this.s = s;
        }

        static Object parse(String text) {
            Json j = new Json(text);
            j.space();
            Object v = j.value();
            j.space();
            if (j.i != text.length()) throw j.fail("trailing characters");
            return v;
        }

        private Object value() {
            if (i >= s.length()) throw fail("unexpected end");
            char c = s.charAt(i);
            switch (c) {
                case '{': {
                    i++;
                    Map<String, Object> m = new LinkedHashMap<>();
                    space();
                    if (peek('}')) return m;
                    do {
                        space();
                        String k = string();
                        space();
                        expect(':');
                        space();
                        m.put(k, value());
                        space();
                    } while (peek(','));
                    expect('}');
                    return m;
                }
                case '[': {
                    i++;
                    List<Object> l = new ArrayList<>();
                    space();
                    if (peek(']')) return l;
                    do {
                        space();
                        l.add(value());
                        space();
                    } while (peek(','));
                    expect(']');
                    return l;
                }
                case '"':
                    return string();
                case 't':
                    return word("true", Boolean.TRUE);
                case 'f':
                    return word("false", Boolean.FALSE);
                case 'n':
                    return word("null", null);
                default:
                    return number();
            }
        }

        private Object word(String w, Object v) {
            if (!s.startsWith(w, i)) throw fail("unexpected character");
            i += w.length();
            return v;
        }

        private Object number() {
            int start = i;
            while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) i++;
            String n = s.substring(start, i);
            if (n.isEmpty()) throw fail("unexpected character");
            if (n.indexOf('.') < 0 && n.indexOf('e') < 0 && n.indexOf('E') < 0) {
                long l = Long.parseLong(n);
                return l == (int) l ? (Object) (int) l : (Object) l;
            }
            return Double.parseDouble(n);
        }

        private String string() {
            expect('"');
            StringBuilder b = new StringBuilder();
            while (true) {
                if (i >= s.length()) throw fail("unterminated string");
                char c = s.charAt(i++);
                if (c == '"') return b.toString();
                if (c != '\\') {
                    b.append(c);
                    continue;
                }
                char e = s.charAt(i++);
                switch (e) {
                    case 'n' -> b.append('\n');
                    case 't' -> b.append('\t');
                    case 'r' -> b.append('\r');
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'u' -> {
                        b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                        i += 4;
                    }
                    default -> b.append(e);
                }
            }
        }

        private void space() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
        }

        private boolean peek(char c) {
            if (i < s.length() && s.charAt(i) == c) {
                i++;
                return true;
            }
            return false;
        }

        private void expect(char c) {
            if (!peek(c)) throw fail("expected '" + c + "'");
        }

        private IllegalArgumentException fail(String what) {
            return new IllegalArgumentException("Invalid JSON at offset " + i + ": " + what);
        }

        static String write(Object v) {
            StringBuilder b = new StringBuilder();
            write(b, v);
            return b.toString();
        }

        private static void write(StringBuilder b, Object v) {
            if (v == null) b.append("null");
            else if (v instanceof String s) quote(b, s);
            else if (v instanceof Character c) quote(b, c.toString());
            else if (v instanceof Boolean || v instanceof Number) b.append(v);
            else if (v instanceof Enum<?> e) quote(b, e.name());
            else if (v instanceof Map<?, ?> m) {
                b.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!first) b.append(',');
                    first = false;
                    quote(b, String.valueOf(e.getKey()));
                    b.append(':');
                    write(b, e.getValue());
                }
                b.append('}');
            } else if (v instanceof Collection<?> c) {
                b.append('[');
                boolean first = true;
                for (Object o : c) {
                    if (!first) b.append(',');
                    first = false;
                    write(b, o);
                }
                b.append(']');
            } else if (v.getClass().isArray()) {
                List<Object> l = new ArrayList<>();
                for (int k = 0; k < Array.getLength(v); k++) l.add(Array.get(v, k));
                write(b, l);
            } else {
                write(b, properties(v));
            }
        }

        /** A POJO's getters (getX/isX) and public fields, as a JSON object. */
        private static Map<String, Object> properties(Object pojo) {
            Map<String, Object> m = new LinkedHashMap<>();
            try {
                for (Method g : pojo.getClass().getMethods()) {
                    if (g.getParameterCount() != 0 || Modifier.isStatic(g.getModifiers()) || g.getDeclaringClass() == Object.class) continue;
                    String n = g.getName();
                    String prop = n.startsWith("get") && n.length() > 3 ? n.substring(3)
                            : n.startsWith("is") && n.length() > 2 && g.getReturnType() == boolean.class ? n.substring(2) : null;
                    if (prop != null) m.put(Character.toLowerCase(prop.charAt(0)) + prop.substring(1), g.invoke(pojo));
                }
                for (Field f : pojo.getClass().getFields()) {
                    if (!Modifier.isStatic(f.getModifiers())) m.putIfAbsent(f.getName(), f.get(pojo));
                }
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("Unable to serialize " + pojo.getClass().getName() + ": " + e, e);
            }
            return m;
        }

        private static void quote(StringBuilder b, String s) {
            b.append('"');
            for (int k = 0; k < s.length(); k++) {
                char c = s.charAt(k);
                switch (c) {
                    case '"' -> b.append("\\\"");
                    case '\\' -> b.append("\\\\");
                    case '\n' -> b.append("\\n");
                    case '\r' -> b.append("\\r");
                    case '\t' -> b.append("\\t");
                    default -> {
                        if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                        else b.append(c);
                    }
                }
            }
            b.append('"');
        }
    }

    // ---- errors and the runtime API

    /** AWS's Java error shape: errorMessage, errorType, stackTrace as "Class.method(File.java:N)" strings, cause. */
    static String errorJson(String message, String type, Throwable t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("errorMessage", message);
        m.put("errorType", type);
        List<String> stack = new ArrayList<>();
        if (t != null) {
            for (StackTraceElement e : t.getStackTrace()) {
                if (e.getClassName().startsWith("jdk.internal.reflect.") || e.getClassName().startsWith("java.lang.reflect.")
                        || e.getClassName().equals(Bootstrap.class.getName())) break;
                stack.add(e.toString());
            }
        }
        m.put("stackTrace", stack);
        if (t != null && t.getCause() != null && t.getCause() != t) {
            Throwable c = t.getCause();
            m.put("cause", Json.parse(errorJson(String.valueOf(c.getMessage()), c.getClass().getName(), c)));
        }
        return Json.write(m);
    }

    private static void post(String path, String body, String errorType) throws Exception {
        post(path, body.getBytes(StandardCharsets.UTF_8), errorType);
    }

    private static void post(String path, byte[] body, String errorType) throws Exception {
        API.call("POST", path, body, errorType);
    }

    /**
     * The Runtime API over one kept-alive socket, in the little HTTP/1.1 it needs (one request at a
     * time, Content-Length bodies): HttpURLConnection's machinery, run by C1-compiled code, cost
     * more than the function on a warm invoke.
     */
    static final class Api {
        record Response(int status, Map<String, String> headers, byte[] body) {
            String header(String name) {
                return headers.get(name.toLowerCase(java.util.Locale.ROOT));
            }
        }

        private final String address;
        private java.net.Socket socket;
        private InputStream in;
        private OutputStream out;

        Api(String address) {
            this.address = address;
        }

        /** One request; a dropped connection is reopened once. */
        Response call(String method, String path, byte[] body, String errorType) throws java.io.IOException {
            for (int attempt = 0; ; attempt++) {
                try {
                    if (socket == null) connect();
                    return exchange(method, path, body, errorType);
                } catch (java.io.IOException e) {
                    try {
                        if (socket != null) socket.close();
                    } catch (java.io.IOException ignored) {
                        // already broken
                    }
                    socket = null;
                    if (attempt > 0) throw e;
                }
            }
        }

        private void connect() throws java.io.IOException {
            int colon = address.lastIndexOf(':');
            socket = new java.net.Socket(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1)));
            socket.setTcpNoDelay(true);
            in = new java.io.BufferedInputStream(socket.getInputStream(), 65536);
            out = new java.io.BufferedOutputStream(socket.getOutputStream(), 65536);
        }

        private Response exchange(String method, String path, byte[] body, String errorType) throws java.io.IOException {
            StringBuilder head = new StringBuilder(160).append(method).append(" /2018-06-01/runtime").append(path).append(" HTTP/1.1\r\nHost: ")
                    .append(address).append("\r\nContent-Length: ").append(body.length).append("\r\n");
            if (errorType != null) head.append("Lambda-Runtime-Function-Error-Type: ").append(errorType).append("\r\n");
            out.write(head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
            out.write(body);
            out.flush();
            String status = line();
            Map<String, String> headers = new java.util.HashMap<>();
            for (String h; !(h = line()).isEmpty(); ) {
                int c = h.indexOf(':');
                if (c > 0) headers.put(h.substring(0, c).trim().toLowerCase(java.util.Locale.ROOT), h.substring(c + 1).trim());
            }
            String length = headers.get("content-length");
            int n = length == null ? 0 : Integer.parseInt(length);
            byte[] data = in.readNBytes(n);
            if (data.length < n) throw new java.io.EOFException("the runtime API closed the connection");
            return new Response(Integer.parseInt(status.split(" ", 3)[1]), headers, data);
        }

        private String line() throws java.io.IOException {
            StringBuilder sb = new StringBuilder(64);
            for (int b; (b = in.read()) != '\n'; ) {
                if (b < 0) throw new java.io.EOFException("the runtime API closed the connection");
                if (b != '\r') sb.append((char) b);
            }
            return sb.toString();
        }
    }

    static {
        // Function output goes to the log line by line as the function writes it.
        System.setOut(new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8));
    }
}
