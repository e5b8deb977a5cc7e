package dev.nimbus.protocol.codec;

import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import com.fasterxml.jackson.dataformat.cbor.CBORGenerator;
import com.fasterxml.jackson.dataformat.cbor.CBORParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Requests the SDKs cannot make (malformed bodies, missing required members, protocols an SDK
 * version does not speak), sent as plain HTTP, and a CBOR reader that keeps tags visible.
 */
public final class Raw {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final CBORFactory CBOR = new CBORFactory();

    /** A CBOR value with its tag (tag 1 marks epoch-seconds timestamps). */
    record Tagged(int tag, Object value) {}

    @FunctionalInterface
    interface CborBody {
        void write(CBORGenerator g) throws IOException;
    }

    private Raw() {}

    /** A SigV4 Authorization header naming the service: what routing reads (signatures are not verified). */
    public static String auth(String service) {
        return "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/" + service + "/aws4_request, SignedHeaders=host, Signature=00";
    }

    public static HttpResponse<byte[]> post(URI endpoint, String path, byte[] body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(endpoint.resolve(path)).POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (headers.length > 0) b.headers(headers);
        try {
            return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static byte[] cbor(CborBody body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (CBORGenerator g = CBOR.createGenerator(out)) {
            body.write(g);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Decodes CBOR into maps, lists, strings, numbers, byte[] and {@link Tagged} values. */
    @SuppressWarnings("unchecked")
    static <T> T decode(byte[] body) {
        try (CBORParser p = CBOR.createParser(body)) {
            p.nextToken();
            return (T) value(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Object value(CBORParser p) throws IOException {
        int tag = p.getCurrentTag();
        JsonToken t = p.currentToken();
        Object v = switch (t) {
            case START_OBJECT -> {
                Map<String, Object> m = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String key = p.currentName();
                    p.nextToken();
                    m.put(key, value(p));
                }
                yield m;
            }
            case START_ARRAY -> {
                List<Object> l = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) l.add(value(p));
                yield l;
            }
            case VALUE_STRING -> p.getText();
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> p.getNumberValue();
            case VALUE_TRUE -> true;
            case VALUE_FALSE -> false;
            case VALUE_NULL -> null;
            case VALUE_EMBEDDED_OBJECT -> p.getBinaryValue();
            default -> throw new IllegalStateException("unexpected CBOR token " + t);
        };
        return tag >= 0 ? new Tagged(tag, v) : v;
    }
}
