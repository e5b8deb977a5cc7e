package dev.nimbus.services.apigateway;

import dev.nimbus.protocol.HttpRequest;
import dev.nimbus.protocol.HttpResponse;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** One call of an API through an invoke URL, as the gateways see it: which API, and the path below the API. */
final class GatewayRequest {
    static final DateTimeFormatter REQUEST_TIME = DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.US).withZone(ZoneOffset.UTC);

    final HttpRequest http;
    final String apiId;
    /** the path under the API (stage included, when the URL has one), still percent-encoded */
    final String path;
    final String domainName;
    final String requestId;
    final Instant time;
    final List<Map.Entry<String, String>> headers = new ArrayList<>();
    /** the query string the integration sees: as sent unless a parameter mapping changed it */
    String rawQuery;
    byte[] body;
    // What the gateway found, for access logs and metrics: set as the request goes through.
    String stage;
    String resourcePath;
    String resourceId;
    String routeKey;
    long integrationNanos = -1;
    String errorMessage;
    /** the gateway response type the request was answered with, or null */
    String responseType;
    /** what a Lambda authorizer allowed the request with (principalId and its context), or null */
    com.fasterxml.jackson.databind.node.ObjectNode authorizer;

    GatewayRequest(HttpRequest http, String apiId, String path, String domainName, String requestId, Instant time) {
        this.http = http;
        this.apiId = apiId;
        this.path = path.isEmpty() ? "/" : path;
        this.domainName = domainName;
        this.requestId = requestId;
        this.time = time;
        this.rawQuery = http.rawQuery;
        for (Map.Entry<String, String> h : http.headers()) headers.add(new AbstractMap.SimpleImmutableEntry<>(h.getKey(), h.getValue()));
    }

    String method() {
        return http.method;
    }

    String sourceIp() {
        String ip = http.sourceIp();
        return ip == null ? "127.0.0.1" : ip;
    }

    String header(String name) {
        return http.header(name);
    }

    /** Header values by name (first spelling seen), in order. */
    Map<String, List<String>> multiHeaders() {
        Map<String, List<String>> out = new LinkedHashMap<>();
        Map<String, String> spelling = new LinkedHashMap<>();
        for (Map.Entry<String, String> h : headers) {
            String name = spelling.computeIfAbsent(h.getKey().toLowerCase(Locale.ROOT), k -> h.getKey());
            out.computeIfAbsent(name, k -> new ArrayList<>(1)).add(h.getValue());
        }
        return out;
    }

    /** The integration's query parameters, decoded (see {@link #rawQuery}). */
    Map<String, List<String>> query() {
        return rawQuery.equals(http.rawQuery) ? http.query() : HttpRequest.parseForm(rawQuery);
    }

    /** $context.requestTime: formatted once a second, not once a request. */
    String requestTime() {
        Formatted last = lastRequestTime;
        long second = time.getEpochSecond();
        if (last != null && last.second == second) return last.text;
        String text = REQUEST_TIME.format(time);
        lastRequestTime = new Formatted(second, text);
        return text;
    }

    private record Formatted(long second, String text) {}

    private static volatile Formatted lastRequestTime;

    /** A percent-encoded path's decoded segments ('+' stays '+': it only means space in a query). */
    static List<String> decodedSegments(String rawPath) {
        List<String> out = new ArrayList<>();
        for (String s : PathPattern.split(rawPath)) out.add(s.indexOf('%') < 0 ? s : decode(s));
        return out;
    }

    static String decode(String s) {
        try {
            return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return s;
        }
    }

    /** {"message":...} with the status, as API Gateway writes its own errors. */
    static HttpResponse message(int status, String json) {
        HttpResponse res = new HttpResponse();
        res.status = status;
        return res.body("application/json", json.getBytes(StandardCharsets.UTF_8));
    }
}
