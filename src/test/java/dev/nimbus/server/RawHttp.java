package dev.nimbus.server;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 spoken by hand over a socket, for requests no well-behaved client would send. A read
 * that waits longer than the socket timeout fails the test instead of hanging it.
 */
final class RawHttp implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    RawHttp(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(30_000);
        in = new BufferedInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    /** One parsed response; header names are lower-cased. */
    record Response(int status, Map<String, List<String>> headers, byte[] body) {
        String header(String name) {
            List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
            return v == null ? null : v.get(0);
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    RawHttp send(String text) throws IOException {
        return send(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    RawHttp send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /** Half-closes: the server sees the end of the request stream. */
    void shutdownOutput() throws IOException {
        socket.shutdownOutput();
    }

    /** The next response (an interim 100 Continue counts as one), or null when the server closed the connection first. */
    Response read() throws IOException {
        String statusLine;
        try {
            statusLine = line();
        } catch (SocketException e) {
            return null; // reset by the server: closed
        }
        if (statusLine == null) return null;
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) throw new IOException("not an HTTP response: " + statusLine);
        int status = Integer.parseInt(parts[1]);
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (String h = line(); h != null && !h.isEmpty(); h = line()) {
            int colon = h.indexOf(':');
            headers.computeIfAbsent(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(h.substring(colon + 1).trim());
        }
        Response head = new Response(status, headers, new byte[0]);
        if (status == 100 || status == 204 || status == 304) return head;
        if ("chunked".equalsIgnoreCase(head.header("transfer-encoding"))) return new Response(status, headers, chunked());
        String length = head.header("content-length");
        if (length != null) return new Response(status, headers, in.readNBytes(Integer.parseInt(length)));
        return new Response(status, headers, in.readAllBytes());
    }

    /** True when the server has closed the connection (EOF or reset); waits up to the socket timeout. */
    boolean closedByServer() throws IOException {
        try {
            return in.read() < 0;
        } catch (SocketException e) {
            return true;
        }
    }

    private byte[] chunked() throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String size = line();
            if (size == null) throw new IOException("connection closed inside a chunked body");
            int n = Integer.parseInt(size.split(";", 2)[0].trim(), 16);
            if (n == 0) {
                while (true) {
                    String trailer = line();
                    if (trailer == null || trailer.isEmpty()) return body.toByteArray();
                }
            }
            body.write(in.readNBytes(n));
            line();
        }
    }

    /** A CRLF-terminated line without its terminator, or null at end of stream. */
    private String line() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                byte[] bytes = b.toByteArray();
                int len = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, len, StandardCharsets.ISO_8859_1);
            }
            b.write(c);
        }
        return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
