package dev.nimbus.protocol;

import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The HTTP request as the protocol layer sees it, independent of the server library.
 * Header lookups are case-insensitive; the body is a stream read at most once.
 */
public final class HttpRequest {
    public final String method;
    /** path as sent, still percent-encoded */
    public final String rawPath;
    /** query string as sent, without '?', or "" */
    public final String rawQuery;
    private final Function<String, String> headerLookup;
    private final Iterable<Map.Entry<String, String>> allHeaders;
    private final InputStream body;
    /** declared Content-Length, or -1 when chunked / unknown */
    public final long contentLength;
    private Map<String, List<String>> query;
    private byte[] bytes;
    public final long maxBodyBytes;
    private Supplier<String> sourceIp = () -> null;
    /**
     * CORS headers chosen by a front door that let this request through to the API (S3 answers by the bucket's
     * rules, possibly with none); null leaves CORS to the server's permissive default.
     */
    public List<String[]> corsHeaders;

    public HttpRequest(String method, String rawPath, String rawQuery, Function<String, String> headerLookup,
                       Iterable<Map.Entry<String, String>> allHeaders, InputStream body, long contentLength, long maxBodyBytes) {
        this.method = method;
        this.rawPath = rawPath;
        this.rawQuery = rawQuery == null ? "" : rawQuery;
        this.headerLookup = headerLookup;
        this.allHeaders = allHeaders;
        this.body = body;
        this.contentLength = contentLength;
        this.maxBodyBytes = maxBodyBytes;
    }

    /** The client's IP address (API Gateway's sourceIp), or null when not known. */
    public String sourceIp() {
        return sourceIp.get();
    }

    /** Asked for only when a service needs it: formatting the peer's address on every request costs ~1.5% of a small one. */
    public void sourceIp(Supplier<String> ip) {
        this.sourceIp = ip;
    }

    /** First value of a header (name in any case), or null. */
    public String header(String name) {
        return headerLookup.apply(name);
    }

    public Iterable<Map.Entry<String, String>> headers() {
        return allHeaders;
    }

    /** Decoded query parameters, in order; a key without '=' maps to "". */
    public Map<String, List<String>> query() {
        if (query == null) query = parseForm(rawQuery);
        return query;
    }

    public String queryParam(String name) {
        List<String> v = query().get(name);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    /** The body as a stream, for operations whose payload streams (S3 objects). */
    public InputStream bodyStream() {
        return body;
    }

    /**
     * The whole body, for operations whose input is a document. Bounded: a body over the limit
     * is refused with 413 before it is all read, so no client can fill the heap.
     */
    public byte[] bodyBytes() {
        if (bytes != null) return bytes;
        if (contentLength > maxBodyBytes) throw tooLarge();
        try {
            bytes = contentLength >= 0 && contentLength <= PREALLOCATED ? readDeclared((int) contentLength)
                    : body.readNBytes((int) Math.min(maxBodyBytes + 1, Integer.MAX_VALUE - 8));
        } catch (IOException e) {
            throw new AwsException("IncompleteBody", "The request body could not be read: " + e.getMessage(), 400);
        }
        if (bytes.length > maxBodyBytes) throw tooLarge();
        if (contentLength >= 0 && bytes.length < contentLength) {
            throw new AwsException("IncompleteBody", "The request body ended after " + bytes.length + " of " + contentLength + " bytes", 400);
        }
        if (gzipped()) bytes = gunzip(bytes);
        return bytes;
    }

    /** Up to this declared length a body is read into an array of its size, allocated before the bytes arrive. */
    private static final int PREALLOCATED = 1 << 20;

    /**
     * A body of declared length into an array of that size: readNBytes with only a limit would
     * start with a 16 KiB buffer and copy the result, on every request. Then on to the end of the
     * stream: reaching it tells the server the body was consumed, so the connection can serve the
     * next request. A shorter body comes back short (the caller reports it); a longer one cannot
     * be, as the server reads no more than the declared length.
     */
    private byte[] readDeclared(int length) throws IOException {
        byte[] buf = new byte[length];
        int n = body.readNBytes(buf, 0, length);
        if (body.read() >= 0) throw new IOException("it is longer than its Content-Length");
        return n == length ? buf : java.util.Arrays.copyOf(buf, n);
    }

    /**
     * SDKs gzip some document bodies (CloudWatch PutMetricData: the requestcompression trait).
     * Only documents are decoded: a streamed payload's Content-Encoding (an S3 object's) is the
     * object's own metadata and its bytes are kept as sent.
     */
    private boolean gzipped() {
        String encoding = header("Content-Encoding");
        return encoding != null && encoding.toLowerCase(java.util.Locale.ROOT).contains("gzip");
    }

    /** Inflates within the same limit as plain bodies, so a small bomb cannot fill the heap. */
    private byte[] gunzip(byte[] compressed) {
        try (InputStream in = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(compressed))) {
            byte[] out = in.readNBytes((int) Math.min(maxBodyBytes + 1, Integer.MAX_VALUE - 8));
            if (out.length > maxBodyBytes) throw tooLarge();
            return out;
        } catch (IOException e) {
            throw new AwsException("SerializationException", "The request body is not valid gzip: " + e.getMessage(), 400);
        }
    }

    /** AWS's common error for an HTTP request entity over the limit. */
    private AwsException tooLarge() {
        return new AwsException("RequestEntityTooLargeException", "Request body is larger than the limit of " + maxBodyBytes + " bytes", 413);
    }

    public static Map<String, List<String>> parseForm(String raw) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) return out;
        int start = 0;
        while (start <= raw.length()) {
            int amp = raw.indexOf('&', start);
            if (amp < 0) amp = raw.length();
            if (amp > start) {
                int eq = raw.indexOf('=', start);
                String k, v;
                if (eq < 0 || eq > amp) {
                    k = decode(raw.substring(start, amp));
                    v = "";
                } else {
                    k = decode(raw.substring(start, eq));
                    v = decode(raw.substring(eq + 1, amp));
                }
                out.computeIfAbsent(k, x -> new ArrayList<>(1)).add(v);
            }
            start = amp + 1;
        }
        return out;
    }

    private static String decode(String s) {
        if (s.indexOf('%') < 0 && s.indexOf('+') < 0) return s;
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            // 404 is what AWS's common-errors reference gives for MalformedQueryString.
            throw new AwsException("MalformedQueryString", "Malformed percent-encoding in: " + s, 404);
        }
    }
}
