package dev.nimbus.services.dynamodb;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.Values;
import dev.nimbus.store.SqliteStore;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Stream records are kept 24 hours, as in DynamoDB Streams. */
class StreamsTrimTest {
    @Test
    void recordsOlderThanADayAreDropped() throws Exception {
        try (SqliteStore store = SqliteStore.ephemeral()) {
            Streams streams = new Streams(store);
            ObjectNode table = (ObjectNode) Values.JSON.readTree("""
                    {"TableName":"x","TableId":"0123456789abcdef","TableArn":"arn:aws:dynamodb:us-east-1:000000000000:table/x",
                     "LatestStreamArn":"arn:aws:dynamodb:us-east-1:000000000000:table/x/stream/L","LatestStreamLabel":"L",
                     "KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],
                     "StreamSpecification":{"StreamEnabled":true,"StreamViewType":"KEYS_ONLY"}}""");
            TableDef def = new TableDef(Values.object().put("id", "0123456789abcdef").set("description", table));
            store.transaction(() -> {
                streams.sync(table, false);
                streams.record(def, null, Values.object().set("id", AttributeValues.s("a")), false);
                streams.record(def, null, Values.object().set("id", AttributeValues.s("b")), false);
            });
            assertEquals(0, streams.trim(store, Instant.now()), "a fresh record stays");
            assertEquals(2, streams.trim(store, Instant.now().plusSeconds(24 * 3600 + 60)), "a day later both go");
            assertEquals(0, streams.trim(store, Instant.now().plusSeconds(24 * 3600 + 60)));
        }
    }
}
