package dev.nimbus.services.sqs;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.Values;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * One message of a queue. What was sent never changes (stored once in {@code sqs.messages}); its
 * delivery state (when it is visible again, how often it was received, the current receipt
 * token) is stored apart in {@code sqs.states}, so a receive rewrites a few bytes, not the body.
 * Mutable fields are guarded by the queue's lock.
 */
final class Message {
    final long seq;
    final String id;
    final String body;
    /** MessageAttributes as the json model spells them (StringValue / BinaryValue as base64 text, DataType), or null */
    final ObjectNode attributes;
    final String md5OfBody;
    final String md5OfAttributes;
    /** AWSTraceHeader, the one system attribute a sender may set, or null */
    final String traceHeader;
    final String senderId;
    final long sent;
    final String groupId;
    final String dedupId;
    /** the queue this message was moved from to a dead-letter queue, or null */
    final String deadLetterSource;

    long visibleAt;
    int receiveCount;
    long firstReceive;
    /** the token of the latest receipt handle; null until received */
    String token;
    /** whether the store holds a delivery state row for this message (so a delete must drop it) */
    boolean stateStored;
    /**
     * Loaded at start and not received since: the store may have missed its latest receives (their
     * states are written behind, see {@link Queue#saveStates}), so a receipt handle naming it may
     * carry a token the store never saw.
     */
    boolean restored;

    Message(long seq, String id, String body, ObjectNode attributes, String md5OfBody, String md5OfAttributes, String traceHeader,
            String senderId, long sent, String groupId, String dedupId, String deadLetterSource, long visibleAt) {
        this.seq = seq;
        this.id = id;
        this.body = body;
        this.attributes = attributes;
        this.md5OfBody = md5OfBody;
        this.md5OfAttributes = md5OfAttributes;
        this.traceHeader = traceHeader;
        this.senderId = senderId;
        this.sent = sent;
        this.groupId = groupId;
        this.dedupId = dedupId;
        this.deadLetterSource = deadLetterSource;
        this.visibleAt = visibleAt;
    }

    /** A copy for another queue (a dead-letter queue or a move task's destination), delivery state reset. */
    Message movedTo(long newSeq, String source, long now) {
        return new Message(newSeq, id, body, attributes, md5OfBody, md5OfAttributes, traceHeader, senderId, sent, groupId, dedupId, source, now);
    }

    /** The stored form of what was sent (read by {@link #fromJson}); written field by field, as every send writes one. */
    byte[] toBytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.length() + 256);
        try (JsonGenerator g = Values.JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("id", id);
            g.writeStringField("body", body);
            g.writeStringField("md5", md5OfBody);
            g.writeNumberField("sent", sent);
            g.writeNumberField("visibleAt", visibleAt);
            g.writeStringField("sender", senderId);
            if (attributes != null) {
                g.writeFieldName("attributes");
                g.writeTree(attributes);
                g.writeStringField("md5Attributes", md5OfAttributes);
            }
            if (traceHeader != null) g.writeStringField("trace", traceHeader);
            if (groupId != null) g.writeStringField("group", groupId);
            if (dedupId != null) g.writeStringField("dedup", dedupId);
            if (deadLetterSource != null) g.writeStringField("dlqSource", deadLetterSource);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** The stored delivery state, written behind receives and visibility changes ({@link Queue#saveStates}). */
    byte[] stateBytes() {
        return ("{\"visibleAt\":" + visibleAt + ",\"count\":" + receiveCount + ",\"first\":" + firstReceive + ",\"token\":\"" + token + "\"}")
                .getBytes(StandardCharsets.UTF_8);
    }

    /** What a FIFO duplicate of this message answers with (ids and digests), without the body. */
    Message original() {
        return new Message(seq, id, "", null, md5OfBody, md5OfAttributes, traceHeader, senderId, sent, groupId, dedupId, null, 0);
    }

    /** The stored form of a deduplication id: the original's answer and when the id expires. */
    ObjectNode dedupJson(long expires) {
        ObjectNode n = Values.object().put("seq", seq).put("id", id).put("md5", md5OfBody).put("sent", sent).put("group", groupId).put("dedup", dedupId)
                .put("expires", expires);
        if (md5OfAttributes != null) n.put("md5Attributes", md5OfAttributes);
        if (traceHeader != null) n.put("trace", traceHeader);
        return n;
    }

    static Message fromDedupJson(JsonNode n) {
        return new Message(n.get("seq").asLong(), n.get("id").asText(), "", null, n.get("md5").asText(), text(n, "md5Attributes"), text(n, "trace"),
                null, n.get("sent").asLong(), text(n, "group"), text(n, "dedup"), null, 0);
    }

    static Message fromJson(long seq, JsonNode n, JsonNode state) {
        Message m = new Message(seq, n.get("id").asText(), n.get("body").asText(),
                n.has("attributes") ? (ObjectNode) n.get("attributes") : null, n.get("md5").asText(), text(n, "md5Attributes"),
                text(n, "trace"), n.path("sender").asText(), n.get("sent").asLong(), text(n, "group"), text(n, "dedup"), text(n, "dlqSource"),
                n.get("visibleAt").asLong());
        m.restored = true;
        if (state != null) {
            m.stateStored = true;
            m.visibleAt = state.get("visibleAt").asLong();
            m.receiveCount = state.get("count").asInt();
            m.firstReceive = state.get("first").asLong();
            m.token = text(state, "token");
        }
        return m;
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
