package dev.nimbus.services.apigateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.Values;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * API Gateway's management calls as the SDKs send them (rest-json, signed for "apigateway"; no SDK
 * v2 client is available to the build), and plain HTTP calls of invoke URLs as curl makes them.
 */
final class ApiGatewayApi {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private final URI endpoint;

    ApiGatewayApi(URI endpoint) {
        this.endpoint = endpoint;
    }

    /** An HTTP answer: status, headers by lower-case name, body. */
    record Answer(int status, Map<String, String> headers, String body) {
        JsonNode json() {
            try {
                return body.isEmpty() ? Values.object() : Values.JSON.readTree(body);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** A management call that must answer {@code status}; its JSON body. */
    JsonNode ok(int status, String method, String path, ObjectNode body) {
        Answer a = call(method, path, body);
        assertEquals(status, a.status(), () -> method + " " + path + " " + body + " -> " + a.body());
        return a.json();
    }

    Answer call(String method, String path, ObjectNode body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(endpoint.resolve(path))
                .header("Authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/apigateway/aws4_request, SignedHeaders=host, Signature=00")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body.toString()));
        if (body != null) b.header("Content-Type", "application/json");
        return send(b.build());
    }

    /** A call of an invoke URL path on this server ({@code /_aws/execute-api/...}), with header pairs. */
    Answer invoke(String method, String path, String body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(endpoint.resolve(path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
        return send(b.build());
    }

    private static Answer send(HttpRequest req) {
        try {
            HttpResponse<String> r = HTTP.send(req, HttpResponse.BodyHandlers.ofString());
            Map<String, String> headers = new LinkedHashMap<>();
            r.headers().map().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), String.join(",", v)));
            return new Answer(r.statusCode(), headers, r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A GET with its own Host header ({apiId}.execute-api.localhost), which the JDK client does not let one set. */
    Answer getWithHost(String host, String path) {
        return withHost("GET", host, path);
    }

    /** A request without a body, with its own Host header and these header name/value pairs. */
    Answer withHost(String method, String host, String path, String... headers) {
        try (Socket s = new Socket(endpoint.getHost(), endpoint.getPort())) {
            OutputStream out = s.getOutputStream();
            StringBuilder head = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n");
            for (int i = 0; i + 1 < headers.length; i += 2) head.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
            out.write(head.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            in.transferTo(all);
            String text = all.toString(StandardCharsets.UTF_8);
            int end = text.indexOf("\r\n\r\n");
            String[] lines = text.substring(0, end).split("\r\n");
            Map<String, String> answered = new LinkedHashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                answered.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
            }
            return new Answer(Integer.parseInt(lines[0].split(" ")[1]), answered, text.substring(end + 4));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A deployment package of one file. */
    static software.amazon.awssdk.core.SdkBytes zip(String name, String content) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (java.util.zip.ZipOutputStream zip = new java.util.zip.ZipOutputStream(bytes)) {
            zip.putNextEntry(new java.util.zip.ZipEntry(name));
            zip.write(content.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return software.amazon.awssdk.core.SdkBytes.fromByteArray(bytes.toByteArray());
    }

    /** An input object from name/value pairs. */
    static ObjectNode in(Object... pairs) {
        ObjectNode o = Values.object();
        for (int i = 0; i < pairs.length; i += 2) o.set((String) pairs[i], Values.JSON.valueToTree(pairs[i + 1]));
        return o;
    }
}
