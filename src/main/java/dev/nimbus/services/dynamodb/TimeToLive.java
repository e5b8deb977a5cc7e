package dev.nimbus.services.dynamodb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.store.Table;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Deletes items whose TTL attribute (a Number of epoch seconds) has passed, on tables with time to
 * live enabled, as DynamoDB's background process does: each deletion is a normal write (indexes,
 * a stream record naming the service). Like AWS, a value more than five years in the past is
 * taken for a mistake in units and left alone.
 */
final class TimeToLive {
    private static final long FIVE_YEARS = 5L * 365 * 24 * 3600;
    private static final int BATCH = 500;

    private final Tables tables;
    private final Items items;

    TimeToLive(Tables tables, Items items) {
        this.tables = tables;
        this.items = items;
    }

    /** One pass over every TTL-enabled table; returns how many items it deleted. */
    long sweep() {
        long deleted = 0;
        for (TableDef t : tables.all()) {
            JsonNode ttl = t.record.path("ttl");
            if (!ttl.path("TimeToLiveStatus").asText().equals("ENABLED")) continue;
            String attribute = ttl.path("AttributeName").asText();
            String cursor = null;
            while (true) {
                List<Table.Entry> page = items.table().scan(t.prefix(), cursor, BATCH);
                List<String> expired = new ArrayList<>();
                long now = Instant.now().getEpochSecond();
                for (Table.Entry e : page) if (expired(Items.decode(e.value()), attribute, now)) expired.add(e.key());
                if (!expired.isEmpty()) {
                    deleted += items.store().transaction(() -> {
                        int n = 0;
                        for (String key : expired) {
                            ObjectNode item = items.read(key);
                            // re-checked inside the transaction: a write since the scan may have renewed it
                            if (item != null && expired(item, attribute, Instant.now().getEpochSecond())) {
                                items.write(t, key, item, null, true);
                                n++;
                            }
                        }
                        return n;
                    });
                }
                if (page.size() < BATCH) break;
                cursor = page.get(page.size() - 1).key();
            }
        }
        return deleted;
    }

    private static boolean expired(JsonNode item, String attribute, long now) {
        JsonNode v = item.get(attribute);
        if (v == null || !v.has("N")) return false;
        BigDecimal at = new BigDecimal(v.get("N").asText());
        return at.compareTo(BigDecimal.valueOf(now)) <= 0 && at.compareTo(BigDecimal.valueOf(now - FIVE_YEARS)) > 0;
    }
}
