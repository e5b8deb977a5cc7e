package dev.nimbus.protocol.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.Values;
import dev.nimbus.protocol.model.Catalog;
import dev.nimbus.protocol.model.Shape;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class JsonShapesTest {
    private static final Shape TABLE_DESCRIPTION = new Catalog().model("dynamodb").shapes.get("TableDescription");

    private static String written(Instant t) throws Exception {
        JsonNode out = JsonShapes.output(Values.object().set("CreationDateTime", Values.timestamp(t)), TABLE_DESCRIPTION, null);
        return Values.JSON.writeValueAsString(out.get("CreationDateTime"));
    }

    @Test
    void timestampsAreWrittenAsPlainEpochSeconds() throws Exception {
        assertEquals("1767225660", written(Instant.ofEpochSecond(1767225660)));
        assertEquals("1767225660.123", written(Instant.ofEpochMilli(1767225660123L)));
    }
}
