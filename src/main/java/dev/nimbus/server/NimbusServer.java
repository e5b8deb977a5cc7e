package dev.nimbus.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.HttpRequest;
import dev.nimbus.protocol.HttpResponse;
import dev.nimbus.protocol.Values;
import dev.nimbus.protocol.model.Catalog;
import dev.nimbus.services.AwsService;
import dev.nimbus.services.Operations;
import dev.nimbus.services.ServiceSet;
import dev.nimbus.store.SqliteStore;
import dev.nimbus.store.Store;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Headers;
import io.helidon.http.encoding.ContentDecoder;
import io.helidon.http.encoding.ContentEncoder;
import io.helidon.http.encoding.ContentEncodingContext;
import io.helidon.http.encoding.ContentEncodingContextConfig;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.helidon.webserver.http1.Http1Config;
import io.helidon.webserver.http1.Http1ConnectionSelector;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.AbstractMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The composition root: one HTTP listener (Helidon SE, a virtual thread per request) in front of
 * the dispatcher, the store and the services.
 */
public final class NimbusServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger("nimbus.request");
    /**
     * The largest unread body of a refused request that is read to keep the connection (see serve):
     * past API Gateway's 10 MB payload limit, so its 413 reaches a client still uploading (with 1 MiB
     * here, a 10 MiB + 1 POST was cut off, and its client at times read the reset, not the 413).
     */
    private static final long DRAIN_LIMIT = 16 << 20;
    public static final String VERSION = "0.1.0";
    static final HeaderName REQUEST_ID = HeaderNames.create("x-amzn-RequestId");
    static final HeaderName S3_REQUEST_ID = HeaderNames.create("x-amz-request-id");

    private final ServerConfig config;
    private final Store store;
    private final ServiceSet services;
    private final Dispatcher dispatcher;
    private final Capabilities capabilities;
    private final long startedAt = System.currentTimeMillis();
    private final SlowHeaderGuard slowHeaders;
    private final WebServer web;

    private NimbusServer(ServerConfig config, List<AwsService> extraServices, Store store) {
        this.config = config;
        this.slowHeaders = new SlowHeaderGuard(config.headerTimeout());
        // Helidon's builder takes ~100-170 ms of a ~400 ms start, loading and linking its classes: it runs
        // on a thread of its own while the services are made. Nothing reaches them before web.start().
        FutureTask<WebServer> webBuild = new FutureTask<>(this::buildWeb);
        Thread.ofPlatform().name("nimbus-web-build").start(webBuild);
        try {
            this.capabilities = Capabilities.detect();
            this.store = store;
            Catalog catalog = new Catalog();
            this.services = new ServiceSet(store, extraServices, this::url, config.ephemeral() ? null : config.dataDir());
            services.limitLambda(config.lambda());
            this.dispatcher = new Dispatcher(catalog, services.operations(), services.identities());
            this.web = webBuild.get();
        } catch (InterruptedException e) {
            slowHeaders.close();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting", e);
        } catch (ExecutionException e) {
            slowHeaders.close();
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (RuntimeException | Error e) {
            slowHeaders.close();
            throw e;
        }
    }

    /** The HTTP listener, not yet started; the WebSocket door is looked up per upgrade, as the services are made meanwhile. */
    private WebServer buildWeb() {
        return WebServer.builder()
                .host(config.host())
                .port(config.port())
                .shutdownHook(false)
                .contentEncoding(new PassThroughEncoding())
                // Idle keep-alive connections (and request lines that never finish) are closed; Helidon checks a few times per timeout.
                .idleConnectionTimeout(config.idleTimeout())
                .idleConnectionPeriod(config.idleTimeout().dividedBy(4))
                // Nagle off (Helidon leaves it on): the tail of a ListObjectsV2 page (~290 KB) otherwise waited, on one
                // page in ten, for an ACK the client delayed 40 ms; the pages' max went from ~50-60 to ~11-25 ms. The
                // cost, measured: the bench's 1 GiB PUT and GET took ~2.4x as many TCP segments, the GET ~0.9 -> ~1.3-1.6 s of CPU.
                .connectionOptions(o -> o.tcpNoDelay(true))
                .directHandlers(TransportErrors.handlers())
                // Exactly this HTTP/1.1 configuration: with a second, discovered one, Helidon must tell them apart
                // by the first bytes and silently drops a connection that looks like neither instead of answering 400.
                .protocolsDiscoverServices(false)
                // Given as a connection selector rather than a protocol so that it carries the WebSocket upgrade (API Gateway WebSocket APIs).
                .addConnectionSelector(Http1ConnectionSelector.builder().config(Http1Config.builder()
                        // Presigned S3 URLs (long keys, session tokens) outgrow Helidon's 4 KiB default request line.
                        .maxPrologueLength(16 * 1024)
                        // A malformed query string is the protocol layer's to answer, in AWS terms (MalformedQueryString).
                        .validatePrologue(false)
                        // Checked in serve, where only the headers a service set need it (Helidon's check covered
                        // its own and ours on every response, ~5% of a small request's CPU).
                        .validateResponseHeaders(false)
                        // Helidon's per-connection trace loggers: a level check on every read and write, never enabled.
                        .receiveLog(false)
                        .sendLog(false)
                        .addReceiveListener(slowHeaders)
                        .build())
                        .addUpgrader(new WebSockets(request -> services.webSockets().open(request)))
                        .build())
                .routing(r -> r.any(this::serve))
                .build();
    }

    public static NimbusServer start(ServerConfig config) {
        return start(config, List.of());
    }

    /** With services beyond the built-in ones: tests use this to exercise protocols no built-in service speaks yet. */
    public static NimbusServer start(ServerConfig config, List<AwsService> extraServices) {
        Store store = config.ephemeral() ? SqliteStore.ephemeral() : SqliteStore.open(config.dataDir());
        NimbusServer s;
        try {
            s = new NimbusServer(config, extraServices, store);
        } catch (RuntimeException | Error e) { // release the data dir, so that a corrected start can open it
            store.close();
            throw e;
        }
        try {
            s.web.start();
            // Helidon logs a listener it cannot bind (a port in use) and stops, without throwing: without
            // this check the server said it was ready "on port -1" and waited for nothing.
            if (!s.web.isRunning() || s.web.port() < 0) {
                throw new IllegalStateException("cannot listen on " + config.host() + ":" + config.port() + " (is the port in use?)");
            }
        } catch (RuntimeException e) { // port taken, say: release the services, the store and the sweeper before reporting it
            s.services.close();
            s.slowHeaders.close();
            store.close();
            throw e;
        }
        s.services.start();
        return s;
    }

    public int port() {
        return web.port();
    }

    public String url() {
        return "http://" + (config.host().equals("0.0.0.0") ? "localhost" : config.host()) + ":" + port();
    }

    public Capabilities capabilities() {
        return capabilities;
    }

    public ServerConfig config() {
        return config;
    }

    public Operations operations() {
        return services.operations();
    }

    /** The services, for what tests drive directly (CloudWatch's alarm evaluator). */
    public ServiceSet services() {
        return services;
    }

    private void serve(ServerRequest req, ServerResponse res) {
        String requestId = Values.uuid();
        long started = System.nanoTime();
        String method = req.prologue().method().text();
        String rawPath = req.path().rawPath();
        // A request line in absolute form ("GET http://host/path", as clients send through a proxy, and HTTP/1.1 servers must
        // accept): Helidon passes the target on as the path; the host it names replaces the Host header (RFC 9112, 3.2.2).
        String authority = null;
        if (!rawPath.startsWith("/")) {
            int scheme = rawPath.indexOf("://");
            if (scheme > 0) {
                int slash = rawPath.indexOf('/', scheme + 3);
                authority = rawPath.substring(scheme + 3, slash < 0 ? rawPath.length() : slash);
                rawPath = slash < 0 ? "/" : rawPath.substring(slash);
            }
        }
        HttpResponse out;
        // Helidon 4.5 announces "Connection: close" but keeps reading the connection (helidon-io/helidon#12324),
        // so the connection is closed here after the response whenever it must be.
        boolean close = req.headers().contains(HeaderValues.CONNECTION_CLOSE);
        if (rawPath.startsWith("/_nimbus/")) {
            out = admin(method, rawPath);
        } else {
            Headers headers = req.headers();
            String host = authority;
            long length = headers.contentLength().orElse(-1);
            ClientBody body = new ClientBody(req, headers.contains(HeaderNames.TRANSFER_ENCODING) ? -1 : length);
            HttpRequest request = new HttpRequest(method, rawPath, req.query().rawValue(),
                    name -> host != null && name.equalsIgnoreCase("Host") ? host : headers.first(headerName(name)).orElse(null),
                    () -> headerIterator(headers, host), body, length, config.maxBodyBytes());
            request.sourceIp(req.remotePeer()::host);
            out = frontDoor(request, requestId);
            if (out == null) {
                out = Cors.preflight(request);
                if (out == null) out = dispatcher.handle(request, requestId);
                Cors.decorate(request, out);
            }
            // An error answered before the body was read (too large, unknown operation): a small body the
            // client is sending anyway (within the server's limit: one over it may never come) is read and
            // dropped, because closing with it unread resets the connection and the client may lose the
            // answer; a larger one, or one the client waits to be asked for (100-continue), closes rather
            // than let Helidon drain a body of any size or answer 100 Continue to a refused request.
            if (out.status >= 400 && !req.content().consumed()) {
                close = length < 0 || length > Math.min(DRAIN_LIMIT, config.maxBodyBytes()) || headers.contains(HeaderNames.EXPECT) || !body.drain();
            }
            if (body.readPastHelidon()) close = true; // Helidon would take the next request's bytes for the rest of this body
        }
        if (close) res.header(HeaderValues.CONNECTION_CLOSE);
        res.status(out.status);
        res.header(REQUEST_ID, requestId);
        res.header(S3_REQUEST_ID, requestId);
        // Added, not set: a header may repeat (Set-Cookie from a function URL or an API Gateway integration).
        for (String[] h : out.headers) res.headers().add(checked(HeaderValues.create(headerName(h[0]), h[1])));
        try {
            if (out.stream != null) {
                if (out.streamLength >= 0) res.contentLength(out.streamLength);
                try (OutputStream os = res.outputStream()) {
                    out.stream.writeTo(os);
                }
            } else {
                res.send(out.body == null ? new byte[0] : out.body);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e); // client went away mid-body: Helidon closes the connection
        }
        if (LOG.isLoggable(Level.FINE)) {
            LOG.fine(String.format("%s %s %s -> %d in %.1f ms", requestId, method, rawPath, out.status, (System.nanoTime() - started) / 1e6));
        }
        if (close) throw new CloseConnectionException("response sent with Connection: close");
    }

    /**
     * A header a service set, which may carry a client's or a function's text (S3 metadata, a function
     * URL's response headers), must not break the response (a CR or LF would start a header of its own).
     * Plain ASCII passes a cheap scan; anything else goes through Helidon's own check, which throws as
     * it did when Helidon checked every header itself: the client gets a 500 InternalFailure instead.
     */
    private static io.helidon.http.Header checked(io.helidon.http.Header h) {
        if (!plainToken(h.name()) || !plainValue(h.get())) h.validate();
        return h;
    }

    /** RFC 9110 token characters, ASCII only. */
    private static boolean plainToken(String name) {
        if (name.isEmpty()) return false;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c >= 128 || !TCHAR[c]) return false;
        }
        return true;
    }

    /** Visible ASCII, spaces and tabs inside; none leading (Helidon refuses a value starting with whitespace). */
    private static boolean plainValue(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c > '~' || c < ' ' && c != '\t' || i == 0 && (c == ' ' || c == '\t')) return false;
        }
        return true;
    }

    private static final boolean[] TCHAR = new boolean[128];

    static {
        for (char c = '0'; c <= '9'; c++) TCHAR[c] = true;
        for (char c = 'a'; c <= 'z'; c++) TCHAR[c] = true;
        for (char c = 'A'; c <= 'Z'; c++) TCHAR[c] = true;
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) TCHAR[c] = true;
    }

    /** A front door's answer; a bug in one is a logged 500, never a stack trace to the client. */
    private HttpResponse frontDoor(HttpRequest request, String requestId) {
        try {
            return services.frontDoor(request);
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, requestId + " " + request.method + " " + request.rawPath + " failed", e);
            HttpResponse out = new HttpResponse();
            out.status = 500;
            return out.body("application/json", "{\"message\":\"Internal server error\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    /**
     * Request bodies reach the protocol layer as sent, whatever their Content-Encoding: whether to
     * decode is the API's business (S3 stores gzip bodies as they are and takes aws-chunked uploads,
     * which Helidon would refuse with 400 as an encoding it does not know). Responses are not compressed.
     */
    private static final class PassThroughEncoding implements ContentEncodingContext {
        private final ContentEncodingContextConfig config = ContentEncodingContextConfig.builder().contentEncodingsDiscoverServices(false).buildPrototype();

        @Override
        public ContentEncodingContextConfig prototype() {
            return config;
        }

        @Override
        public boolean contentEncodingEnabled() {
            return false;
        }

        @Override
        public boolean contentDecodingEnabled() {
            return true;
        }

        @Override
        public boolean contentEncodingSupported(String encoding) {
            return false;
        }

        @Override
        public boolean contentDecodingSupported(String encoding) {
            return true;
        }

        @Override
        public ContentEncoder encoder(String encoding) {
            return ContentEncoder.NO_OP;
        }

        @Override
        public ContentDecoder decoder(String encoding) {
            return ContentDecoder.NO_OP;
        }

        @Override
        public ContentEncoder encoder(Headers headers) {
            return ContentEncoder.NO_OP;
        }
    }

    /** {@code host}: the authority of an absolute-form request line, which stands for the Host header; else null. */
    private static Iterator<Map.Entry<String, String>> headerIterator(Headers headers, String host) {
        Iterator<io.helidon.http.Header> it = headers.iterator();
        return new Iterator<>() {
            public boolean hasNext() {
                return it.hasNext();
            }

            public Map.Entry<String, String> next() {
                io.helidon.http.Header h = it.next();
                if (host != null && h.headerName().equals(HeaderNames.HOST)) return new AbstractMap.SimpleImmutableEntry<>(h.name(), host);
                // every value of a repeated header, comma-joined as HTTP reads them (SDKs send list headers as repeated lines)
                return new AbstractMap.SimpleImmutableEntry<>(h.name(), h.values());
            }
        };
    }

    /** Header names as the code spells them (a few dozen), so that lookups skip Helidon's name parsing; bounded all the same. */
    private static final Map<String, HeaderName> HEADER_NAMES = new ConcurrentHashMap<>();

    private static HeaderName headerName(String name) {
        HeaderName n = HEADER_NAMES.get(name);
        if (n != null) return n;
        n = HeaderNames.create(name);
        if (HEADER_NAMES.size() < 1024) HEADER_NAMES.put(name, n);
        return n;
    }

    private HttpResponse admin(String method, String path) {
        HttpResponse res = new HttpResponse();
        if (path.equals("/_nimbus/health") && (method.equals("GET") || method.equals("HEAD"))) {
            ObjectNode body = Values.object()
                    .put("status", "running")
                    .put("version", VERSION)
                    .put("uptimeSeconds", (System.currentTimeMillis() - startedAt) / 1000.0)
                    .put("dataDir", config.ephemeral() ? null : config.dataDir().toString())
                    .put("ephemeral", config.ephemeral());
            ObjectNode svc = body.putObject("services");
            for (String s : services.operations().services()) svc.put(s, "running");
            body.set("capabilities", Values.JSON.valueToTree(capabilities.asMap()));
            return res.body("application/json", body.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        HttpResponse served = services.internal(method, path);
        if (served != null) return served;
        res.status = 404;
        return res.body("application/json", "{\"message\":\"no such Nimbus endpoint\"}".getBytes());
    }

    /**
     * The request body as Helidon streams it, with three differences. It is opened on the first read,
     * because opening it is what sends "100 Continue": a request refused before its body is read
     * (too large, unknown operation) must not invite the body. It fails the way an InputStream
     * should: Helidon reports a client gone mid-body with runtime exceptions, which would look like bugs.
     * And a large body of declared length is read from the socket once Helidon holds none of it ({@link SocketBody}).
     */
    private static final class ClientBody extends InputStream {
        private final ServerRequest req;
        /** the declared Content-Length of a body that is not chunked, else -1 */
        private final long length;
        private InputStream in;
        /** bytes of the body read so far; once {@code socket} is set, those still to come */
        private long read, left;
        private SocketChannel socket;

        ClientBody(ServerRequest req, long length) {
            this.req = req;
            this.length = length;
        }

        /** Whether part of the body was read from the socket, past Helidon. */
        boolean readPastHelidon() {
            return socket != null;
        }

        @Override
        public int read() throws IOException {
            if (length >= SocketBody.FROM) { // counted, and from the socket once switched
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }
            try {
                return stream().read();
            } catch (UncheckedIOException e) {
                throw e.getCause();
            } catch (RuntimeException e) {
                throw unreadable(e);
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (socket != null) return fromSocket(b, off, len);
            try {
                int n = stream().read(b, off, len);
                if (n > 0 && length >= SocketBody.FROM) {
                    read += n;
                    if (read < length && (socket = SocketBody.take(req, in)) != null) left = length - read;
                }
                return n;
            } catch (UncheckedIOException e) {
                throw e.getCause();
            } catch (RuntimeException e) {
                throw unreadable(e);
            }
        }

        private int fromSocket(byte[] b, int off, int len) throws IOException {
            if (left == 0) return -1;
            if (len == 0) return 0;
            int n = socket.read(ByteBuffer.wrap(b, off, (int) Math.min(len, left)));
            if (n < 0) throw new IOException("it ended early");
            left -= n;
            return n;
        }

        /** Helidon says "Chunk size is invalid" and the like; a body cut short comes without a message. */
        private static IOException unreadable(RuntimeException e) {
            return new IOException(e.getMessage() == null || e.getMessage().isEmpty() ? "it ended early" : e.getMessage(), e);
        }

        private InputStream stream() {
            if (in == null) in = req.content().inputStream();
            return in;
        }

        /** Reads what is left of the body and drops it; false when that failed. */
        boolean drain() {
            try {
                transferTo(OutputStream.nullOutputStream());
                return true;
            } catch (IOException | RuntimeException e) {
                return false;
            }
        }
    }


    @Override
    public void close() {
        web.stop();
        services.close(); // function environments end before the store they read from
        slowHeaders.close();
        store.close();
    }
}
