package dev.nimbus.compute;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The loopback HTTP/1.1 listener of one environment's Runtime API: a blocking socket per
 * connection, read by a virtual thread of its own, with just the HTTP a runtime client speaks
 * (Content-Length or chunked bodies, Expect: 100-continue, keep-alive).
 *
 * Not the JDK's HttpServer: that one wakes a selector thread of its own and starts a new thread for
 * every request, two of each per warm invocation, which cost more CPU than the rest of the invoke
 * path. Here a runtime's kept-alive connection has one reader, and an event is written to the
 * connection of the waiting "next" request by the thread that invokes (see {@link Connection#respond}),
 * so a warm invoke wakes no thread but the one that reads the runtime's answer.
 */
final class RuntimeApi implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger("nimbus.lambda");
    /** Request line and headers together; runtime clients send a few hundred bytes. */
    private static final int MAX_HEAD = 64 * 1024;

    /** A request as the handler sees it: the body is cut at {@code maxBody} + 1 bytes (the rest is read and dropped). */
    record Request(String method, String path, Map<String, String> headers, byte[] body) {
        /** A header by case-insensitive name, or null. */
        String header(String name) {
            return headers.get(name);
        }
    }

    /** What serves the requests: called on the connection's thread; answers through {@link Connection#respond}, now or later. */
    interface Handler {
        void handle(Request request, Connection connection) throws IOException;

        /** The connection ended (the runtime closed it, or it broke): a request of it still unanswered will never be read. */
        void ended(Connection connection);
    }

    private final ServerSocket server;
    private volatile Handler handler;
    private final int maxBody;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    /** Listens at once (the port goes into the runtime's environment); accepts from {@link #start} on. */
    RuntimeApi(int maxBody) throws IOException {
        this.maxBody = maxBody;
        this.server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    }

    int port() {
        return server.getLocalPort();
    }

    void start(Handler handler, String name) {
        this.handler = handler;
        Thread.ofVirtual().name("runtime-api-" + name).start(this::accept);
    }

    private void accept() {
        while (!closed) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            open.add(s);
            if (closed) { // close() ran between accept and add
                closeQuietly(s);
                return;
            }
            Thread.ofVirtual().start(() -> serve(s));
        }
    }

    private void serve(Socket s) {
        Connection c;
        try {
            c = new Connection(s.getOutputStream());
        } catch (IOException e) {
            open.remove(s);
            closeQuietly(s);
            return;
        }
        try (s) {
            s.setTcpNoDelay(true); // an answer goes out at once, not after the ACK of the previous segment
            Input in = new Input(s.getInputStream());
            while (!closed) {
                Request r = read(in, c);
                if (r == null) return;
                c.keepAlive = !"close".equalsIgnoreCase(r.header("connection"));
                c.pending();
                handler.handle(r, c);
                // The last request of the connection: its answer (perhaps the invoker's, later) goes out before the close.
                if (!c.keepAlive) {
                    c.awaitAnswer();
                    return;
                }
            }
        } catch (SocketException e) {
            // the runtime or close() ended the connection
        } catch (IOException e) {
            if (!closed) LOG.log(Level.FINE, "runtime API connection failed", e);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "runtime API request failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            open.remove(s);
            handler.ended(c);
        }
    }

    /** The next request on the connection, or null at its end (the runtime closed it between requests). */
    private Request read(Input in, Connection c) throws IOException {
        String line = in.line(true);
        if (line == null) return null;
        String[] parts = line.split(" ", 3);
        if (parts.length < 3) throw new IOException("bad request line: " + line);
        Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        int headBytes = line.length();
        for (String h; !(h = in.line(false)).isEmpty(); ) {
            headBytes += h.length();
            if (headBytes > MAX_HEAD) throw new IOException("request head too large");
            int colon = h.indexOf(':');
            if (colon > 0) headers.merge(h.substring(0, colon).strip(), h.substring(colon + 1).strip(), (a, b) -> a + ", " + b);
        }
        if (parts[2].equals("HTTP/1.0") && !"keep-alive".equalsIgnoreCase(headers.get("connection"))) headers.put("connection", "close");
        if ("100-continue".equalsIgnoreCase(headers.get("expect"))) c.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        byte[] body;
        String te = headers.get("transfer-encoding");
        if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
            body = chunked(in);
        } else {
            String cl = headers.get("content-length");
            long length;
            try {
                length = cl == null ? 0 : Long.parseLong(cl.strip());
            } catch (NumberFormatException e) {
                throw new IOException("bad Content-Length: " + cl);
            }
            body = in.readNBytes((int) Math.min(length, maxBody + 1L));
            if (body.length < Math.min(length, maxBody + 1L)) throw new IOException("body cut short");
            in.skipNBytes(length - body.length);
        }
        String target = parts[1];
        int q = target.indexOf('?');
        return new Request(parts[0], q < 0 ? target : target.substring(0, q), headers, body);
    }

    private byte[] chunked(Input in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (true) {
            String size = in.line(false);
            int semi = size.indexOf(';');
            long n;
            try {
                n = Long.parseLong((semi < 0 ? size : size.substring(0, semi)).strip(), 16);
            } catch (NumberFormatException e) {
                throw new IOException("bad chunk size: " + size);
            }
            if (n == 0) break;
            long keep = Math.max(0, Math.min(n, maxBody + 1L - out.size()));
            out.write(in.readNBytes((int) keep));
            in.skipNBytes(n - keep);
            in.line(false); // the CRLF after the chunk
        }
        while (!in.line(false).isEmpty()) { } // trailers
        return out.toByteArray();
    }

    /**
     * The connection's input, buffered without the lock BufferedInputStream takes on every read():
     * request heads are scanned a byte at a time, by the connection's one reader.
     */
    private static final class Input {
        private final InputStream in;
        private final byte[] buf = new byte[8192];
        private int pos, lim;

        Input(InputStream in) {
            this.in = in;
        }

        /** Whether there is a byte to read; false at the end of the stream. */
        private boolean fill() throws IOException {
            if (pos < lim) return true;
            int n = in.read(buf);
            if (n <= 0) return false;
            pos = 0;
            lim = n;
            return true;
        }

        /** One CRLF- (or LF-) terminated line, ISO-8859-1; null at the end of the stream when {@code eofOk}, else an error. */
        String line(boolean eofOk) throws IOException {
            StringBuilder sb = new StringBuilder(64);
            while (true) {
                if (!fill()) {
                    if (eofOk && sb.isEmpty()) return null;
                    throw new IOException("connection ended inside a request");
                }
                int start = pos;
                while (pos < lim && buf[pos] != '\n') pos++;
                for (int i = start; i < pos; i++) sb.append((char) (buf[i] & 0xff));
                if (sb.length() > MAX_HEAD) throw new IOException("line too long");
                if (pos < lim) { // the LF
                    pos++;
                    break;
                }
            }
            int n = sb.length();
            if (n > 0 && sb.charAt(n - 1) == '\r') sb.setLength(n - 1);
            return sb.toString();
        }

        /** Up to {@code n} bytes, fewer only at the end of the stream. */
        byte[] readNBytes(int n) throws IOException {
            int buffered = Math.min(n, lim - pos);
            byte[] out = new byte[n];
            System.arraycopy(buf, pos, out, 0, buffered);
            pos += buffered;
            int got = buffered;
            while (got < n) {
                int r = in.read(out, got, n - got);
                if (r < 0) return java.util.Arrays.copyOf(out, got);
                got += r;
            }
            return out;
        }

        void skipNBytes(long n) throws IOException {
            long buffered = Math.min(n, lim - pos);
            pos += (int) buffered;
            if (n > buffered) in.skipNBytes(n - buffered);
        }
    }

    /** The answering side of one connection; a response may be written by another thread than the reader's (the invoker's). */
    final class Connection {
        private final OutputStream out;
        private volatile boolean keepAlive = true;
        /** Requests read and not answered yet; guarded by this. */
        private int unanswered;

        Connection(OutputStream out) {
            this.out = out;
        }

        /**
         * Writes one response, head and body in one write. {@code headers}: name, value, name, value ...
         * A failed write (the runtime went away) is not the caller's problem: the process's exit is reported on its own.
         */
        void respond(int status, byte[] body, String... headers) {
            StringBuilder head = new StringBuilder(256).append("HTTP/1.1 ").append(status).append(' ').append(reason(status)).append("\r\n");
            for (int i = 0; i < headers.length; i += 2) head.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
            head.append("Content-Length: ").append(body.length).append("\r\n");
            if (!keepAlive) head.append("Connection: close\r\n");
            head.append("\r\n");
            byte[] h = head.toString().getBytes(StandardCharsets.UTF_8);
            byte[] all = new byte[h.length + body.length];
            System.arraycopy(h, 0, all, 0, h.length);
            System.arraycopy(body, 0, all, h.length, body.length);
            try {
                write(all);
            } catch (IOException e) {
                LOG.log(Level.FINE, "runtime API response not delivered", e);
            } finally {
                answered();
            }
        }

        private synchronized void write(byte[] b) throws IOException {
            out.write(b);
            out.flush();
        }

        private synchronized void pending() {
            unanswered++;
        }

        private synchronized void answered() {
            unanswered--;
            notifyAll();
        }

        private synchronized void awaitAnswer() throws InterruptedException {
            while (unanswered > 0 && !closed) wait(100); // close() does not notify: the timeout sees it
        }

        private static String reason(int status) {
            return switch (status) {
                case 200 -> "OK";
                case 202 -> "Accepted";
                case 400 -> "Bad Request";
                case 404 -> "Not Found";
                case 413 -> "Payload Too Large";
                default -> "Status";
            };
        }
    }

    /** Stops listening and ends every connection (their threads end with them). */
    @Override
    public void close() {
        closed = true;
        closeQuietly(server);
        for (Socket s : open) closeQuietly(s);
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // closing: nothing left to do with it
        }
    }
}
