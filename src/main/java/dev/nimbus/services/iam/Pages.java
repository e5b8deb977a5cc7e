package dev.nimbus.services.iam;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.Values;
import dev.nimbus.store.Table;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * IAM's list pagination: MaxItems (default 100), an opaque Marker to continue, IsTruncated.
 * Items are visited in key order; the marker is the key of the last item returned, so a page
 * resumes correctly even when items were added or removed in between.
 */
final class Pages {
    static final int DEFAULT_MAX_ITEMS = 100;
    private static final int BATCH = 200;

    /** One item to list: its sort key and its output form (null to skip it, e.g. filtered out). */
    record Item(String key, JsonNode value) {}

    private Pages() {}

    /**
     * Writes one page of {@code items} into {@code out} under {@code listMember}, with IsTruncated
     * and Marker, honouring the request's MaxItems and Marker. Items must come in key order.
     */
    static ObjectNode page(ObjectNode input, Iterator<Item> items, ObjectNode out, String listMember) {
        int max = Values.integer(input, "MaxItems", DEFAULT_MAX_ITEMS);
        ArrayNode list = out.putArray(listMember);
        String last = null;
        boolean truncated = false;
        while (items.hasNext()) {
            Item item = items.next();
            if (item.value() == null) continue;
            if (list.size() == max) {
                truncated = true;
                break;
            }
            list.add(item.value());
            last = item.key();
        }
        out.put("IsTruncated", truncated);
        if (truncated) out.put("Marker", Base64.getUrlEncoder().withoutPadding().encodeToString(last.getBytes(StandardCharsets.UTF_8)));
        return out;
    }

    /** The key after which the requested page starts, or null for the first page. */
    static String after(ObjectNode input) {
        String marker = Values.text(input, "Marker", null);
        if (marker == null) return null;
        try {
            return new String(Base64.getUrlDecoder().decode(marker), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new AwsException("ValidationError", "Invalid Marker: " + marker, 400);
        }
    }

    /** Items of a table under a prefix (keys relative to it), read lazily in batches, mapped by {@code map}. */
    static Iterator<Item> scan(Table table, String prefix, ObjectNode input, Function<Table.Entry, JsonNode> map) {
        String afterKey = after(input);
        Iterator<Table.Entry> entries = table.iterate(prefix, afterKey == null ? null : prefix + afterKey, BATCH);
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return entries.hasNext();
            }

            @Override
            public Item next() {
                Table.Entry e = entries.next();
                return new Item(e.key().substring(prefix.length()), map.apply(e));
            }
        };
    }

    /** Items of an in-memory list, already sorted by key. */
    static Iterator<Item> of(List<Item> sorted, ObjectNode input) {
        String afterKey = after(input);
        List<Item> rest = new ArrayList<>();
        for (Item i : sorted) if (afterKey == null || i.key().compareTo(afterKey) > 0) rest.add(i);
        return rest.iterator();
    }

    /** Items of an array in its order (tags, versions). */
    static Iterator<Item> of(JsonNode array, ObjectNode input) {
        List<Item> items = new ArrayList<>();
        if (array != null) for (int i = 0; i < array.size(); i++) items.add(new Item(String.format("%05d", i), array.get(i)));
        return of(items, input);
    }

    /** Items of a sorted map. */
    static Iterator<Item> of(Map<String, JsonNode> sorted, ObjectNode input) {
        List<Item> items = new ArrayList<>();
        sorted.forEach((k, v) -> items.add(new Item(k, v)));
        return of(items, input);
    }
}
