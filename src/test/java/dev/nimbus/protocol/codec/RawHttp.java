package dev.nimbus.protocol.codec;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * One HTTP/1.1 exchange over a plain socket, for what SDKs cannot show or send: the exact bytes
 * of an error body, a Host header naming a bucket, a HEAD response's headers, a hostile body.
 */
public final class RawHttp {
    public record Response(int status, Map<String, String> headers, String body) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private RawHttp() {}

    /** Sends {@code method path} with the given headers ("Name: value" lines) and body; reads the whole response. */
    public static Response exchange(int port, String method, String path, String host, String body, String... headers) {
        return exchangeFrom("127.0.0.1", port, method, path, host, body, headers);
    }

    /** {@link #exchange} from another local address (any of 127.0.0.0/8 on Linux), as a client on another host would come. */
    public static Response exchangeFrom(String source, int port, String method, String path, String host, String body, String... headers) {
        try (Socket s = new Socket(InetAddress.getByName("127.0.0.1"), port, InetAddress.getByName(source), 0)) {
            byte[] content = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
            StringBuilder req = new StringBuilder()
                    .append(method).append(' ').append(path).append(" HTTP/1.1\r\n")
                    .append("Host: ").append(host).append("\r\n");
            for (String h : headers) req.append(h).append("\r\n");
            if (body != null) req.append("Content-Length: ").append(content.length).append("\r\n");
            req.append("\r\n");
            boolean head = method.equals("HEAD");
            // After a HEAD, a second request on the same connection shows whether a body slipped out:
            // its status line must come right after the HEAD response's headers.
            if (head) req.append("GET /_nimbus/health HTTP/1.1\r\nHost: ").append(host).append("\r\n\r\n");
            OutputStream out = s.getOutputStream();
            out.write(req.toString().getBytes(StandardCharsets.UTF_8));
            out.write(content);
            out.flush();
            InputStream in = s.getInputStream();
            Response r = read(in, head);
            if (!head) return r;
            String next = line(in);
            return new Response(r.status(), r.headers(), next.startsWith("HTTP/1.1 200") ? "" : next);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Response read(InputStream in, boolean head) throws IOException {
        String statusLine = line(in);
        int status = Integer.parseInt(statusLine.split(" ")[1]);
        Map<String, String> headers = new TreeMap<>();
        for (String l = line(in); !l.isEmpty(); l = line(in)) {
            int colon = l.indexOf(':');
            headers.merge(l.substring(0, colon).trim().toLowerCase(Locale.ROOT), l.substring(colon + 1).trim(), (a, b) -> a + "," + b);
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (head) {
            return new Response(status, headers, "");
        } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            for (int size = Integer.parseInt(line(in).split(";")[0].trim(), 16); size > 0; size = Integer.parseInt(line(in).split(";")[0].trim(), 16)) {
                body.write(in.readNBytes(size));
                line(in);
            }
            line(in);
        } else if (headers.containsKey("content-length")) {
            body.write(in.readNBytes(Integer.parseInt(headers.get("content-length"))));
        } else {
            in.transferTo(body);
        }
        return new Response(status, headers, body.toString(StandardCharsets.UTF_8));
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int c = in.read(); c >= 0 && c != '\n'; c = in.read()) if (c != '\r') sb.append((char) c);
        return sb.toString();
    }
}
