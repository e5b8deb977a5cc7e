package dev.nimbus.services.apigateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.store.Store;
import dev.nimbus.store.Table;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Every API (REST, HTTP, WebSocket) as one JSON document keyed by its id: an API's routes,
 * integrations, stages and deployments are small and change together, and invoke URLs name the API
 * id alone, so the data plane finds an API with one lookup. Documents are cached with what the data
 * plane derives from them (route tables), replaced whole on every write.
 */
final class ApiStore {
    /** A document as last written, and the data plane's derived forms of it (by stage), built on first use. */
    static final class Entry {
        final ObjectNode doc;
        final Map<String, Object> derived = new ConcurrentHashMap<>();

        Entry(ObjectNode doc) {
            this.doc = doc;
        }
    }

    private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
    private static final SecureRandom RANDOM = new SecureRandom();
    private final Store store;
    private final Table table;
    private final Map<String, Entry> cache = new ConcurrentHashMap<>();

    ApiStore(Store store) {
        this.store = store;
        this.table = store.table("apigateway");
    }

    /** A random id of lowercase letters and digits, as API Gateway's ids are (10 for APIs, 6-7 for the rest). */
    static String id(int length) {
        StringBuilder b = new StringBuilder(length);
        for (int i = 0; i < length; i++) b.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
        return b.toString();
    }

    /** The API for the data plane, whoever owns it, or null. */
    Entry get(String apiId) {
        Entry e = cache.get(apiId);
        if (e != null) return e;
        JsonNode doc = table.getJson(apiId);
        if (doc == null) return null;
        return cache.computeIfAbsent(apiId, k -> new Entry((ObjectNode) doc));
    }

    /** The caller's API of this kind ("REST" for v1, else HTTP/WEBSOCKET), or null. */
    ObjectNode find(RequestContext ctx, String apiId, boolean rest) {
        Entry e = get(apiId);
        if (e == null || !owned(ctx, e.doc) || rest != "REST".equals(e.doc.path("_kind").asText())) return null;
        return e.doc;
    }

    private static boolean owned(RequestContext ctx, JsonNode doc) {
        return ctx.accountId().equals(doc.path("_account").asText()) && ctx.region().equals(doc.path("_region").asText());
    }

    void create(RequestContext ctx, String apiId, String kind, ObjectNode doc) {
        doc.put("_account", ctx.accountId()).put("_region", ctx.region()).put("_kind", kind);
        store.transaction(() -> {
            if (!table.putJsonIfAbsent(apiId, doc)) throw new AwsException("ConflictException", "API id " + apiId + " exists", 409);
        });
        cache.put(apiId, new Entry(doc));
    }

    /**
     * Changes one API atomically: {@code change} edits a copy of the document (or throws, leaving it
     * as it was) and returns the operation's output. An unknown id is NotFoundException.
     */
    <T> T update(RequestContext ctx, String apiId, boolean rest, Function<ObjectNode, T> change) {
        ObjectNode[] written = new ObjectNode[1];
        T out = store.transaction(() -> {
            JsonNode stored = table.getJson(apiId);
            if (stored == null || !owned(ctx, stored) || rest != "REST".equals(stored.path("_kind").asText())) throw notFound(ctx, apiId, rest);
            ObjectNode doc = (ObjectNode) stored;
            T result = change.apply(doc);
            table.putJson(apiId, doc);
            written[0] = doc;
            return result;
        });
        // Cached only once committed: a rolled back change never reaches the data plane.
        cache.put(apiId, new Entry(written[0]));
        return out;
    }

    void delete(RequestContext ctx, String apiId, boolean rest) {
        store.transaction(() -> {
            JsonNode stored = table.getJson(apiId);
            if (stored == null || !owned(ctx, stored) || rest != "REST".equals(stored.path("_kind").asText())) throw notFound(ctx, apiId, rest);
            table.delete(apiId);
        });
        cache.remove(apiId);
    }

    /** The caller's APIs of one family, in id order. */
    List<ObjectNode> list(RequestContext ctx, boolean rest) {
        List<ObjectNode> out = new ArrayList<>();
        for (Iterator<Table.Entry> it = table.iterate("", null, 100); it.hasNext(); ) {
            JsonNode doc = it.next().json();
            if (owned(ctx, doc) && rest == "REST".equals(doc.path("_kind").asText())) out.add((ObjectNode) doc);
        }
        return out;
    }

    static AwsException notFound(RequestContext ctx, String apiId, boolean rest) {
        AwsException e = new AwsException("NotFoundException", "Invalid API identifier specified " + ctx.accountId() + ":" + apiId, 404);
        return rest ? e : e.with("ResourceType", "Api");
    }
}
