package dev.nimbus.services.apigateway;

import dev.nimbus.protocol.HttpResponse;
import dev.nimbus.protocol.Lazy;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** HTTP and HTTP_PROXY integrations: the request sent on to an HTTP endpoint, its answer relayed. */
final class HttpForward {
    /** Headers the JDK client sets itself or that describe only one hop. */
    private static final Set<String> HOP = Set.of("host", "connection", "content-length", "expect", "upgrade", "keep-alive",
            "transfer-encoding", "te", "trailer", "proxy-authorization", "proxy-connection", "http2-settings");
    private final Lazy<HttpClient> client = new Lazy<>(() -> HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
            .followRedirects(HttpClient.Redirect.NEVER).version(HttpClient.Version.HTTP_1_1).build());

    /** The endpoint's answer; throws HttpTimeoutException past the timeout and IOException when it cannot be reached. */
    HttpResponse send(String method, String url, List<Map.Entry<String, String>> headers, byte[] body, int timeoutMillis)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMillis(timeoutMillis))
                .method(method, body == null || body.length == 0 ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        for (Map.Entry<String, String> h : headers) {
            if (!HOP.contains(h.getKey().toLowerCase(Locale.ROOT))) b.header(h.getKey(), h.getValue());
        }
        java.net.http.HttpResponse<byte[]> r = client.get().send(b.build(), java.net.http.HttpResponse.BodyHandlers.ofByteArray());
        HttpResponse out = new HttpResponse();
        out.status = r.statusCode();
        r.headers().map().forEach((name, values) -> {
            if (!HOP.contains(name.toLowerCase(Locale.ROOT)) && !name.startsWith(":")) for (String v : values) out.header(name, v);
        });
        out.body = r.body();
        return out;
    }

    static boolean isTimeout(IOException e) {
        return e instanceof HttpTimeoutException;
    }
}
