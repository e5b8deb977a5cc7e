package dev.nimbus.services.lambda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.Values;
import dev.nimbus.store.Table;
import java.util.List;
import java.util.function.BiFunction;

/**
 * Lambda's Marker/MaxItems paging for the List* operations whose items are the entries under one
 * key prefix: the marker is the last returned item's key after the prefix, so a page resumes
 * right even when items were added or removed in between.
 */
final class Pages {
    private Pages() {}

    /**
     * One page of the entries under {@code prefix}, each shown by {@code view} (given the key after
     * the prefix and the stored record), in an object with {@code member} and NextMarker.
     */
    static ObjectNode page(Table table, String prefix, ObjectNode in, String member, BiFunction<String, JsonNode, JsonNode> view) {
        int max = Values.integer(in, "MaxItems", 50);
        String marker = Values.text(in, "Marker", null);
        List<Table.Entry> page = table.scan(prefix, marker == null ? null : prefix + marker, max + 1);
        ObjectNode out = Values.object();
        ArrayNode list = out.putArray(member);
        for (int i = 0; i < Math.min(max, page.size()); i++) {
            list.add(view.apply(page.get(i).key().substring(prefix.length()), page.get(i).json()));
        }
        if (page.size() > max) out.put("NextMarker", page.get(max - 1).key().substring(prefix.length()));
        return out;
    }
}
