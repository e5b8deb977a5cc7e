package dev.nimbus.services.sqs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.Values;
import dev.nimbus.store.Table;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * One message of a queue. What was sent never changes (stored once in {@code sqs.messages}); its
 * delivery state (when it is visible again, how often it was received, the current receipt
 * token) is stored apart in {@code sqs.states}, so a receive rewrites a few bytes, not the body.
 * The body and attributes ({@link Content}) stay in memory only while the server's
 * {@link BodyBudget} allows; otherwise a receive reads them from the store.
 * Mutable fields are guarded by the queue's lock.
 */
final class Message {
    /**
     * What was sent besides its ids and digests: the body, and MessageAttributes as the json model
     * spells them (StringValue / BinaryValue as base64 text, DataType), or null.
     */
    record Content(String body, ObjectNode attributes) {}

    final long seq;
    final String id;
    /** The body's length in chars, for metrics once the body itself may be gone from memory. */
    final int bodyLength;
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
    /** Whether the queue's {@link ReadyMessages} holds it. */
    boolean ready;
    /** The content while it is held in memory, else null: read it with {@link Queue#content}. */
    Content content;
    /** The size of the stored row, known once stored or loaded: what holding the content costs, about (bodies are mostly one byte a char in memory too). */
    int weight;

    Message(long seq, String id, String body, ObjectNode attributes, String md5OfBody, String md5OfAttributes, String traceHeader,
            String senderId, long sent, String groupId, String dedupId, String deadLetterSource, long visibleAt) {
        this.seq = seq;
        this.id = id;
        this.bodyLength = body.length();
        this.content = new Content(body, attributes);
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

    /** A copy for another queue (a dead-letter queue or a move task's destination), delivery state reset; {@code c} is this message's content. */
    Message movedTo(long newSeq, String source, long now, Content c) {
        return new Message(newSeq, id, c.body(), c.attributes(), md5OfBody, md5OfAttributes, traceHeader, senderId, sent, groupId, dedupId, source, now);
    }

    /**
     * The stored form of what was sent (read by {@link #fromBytes}): a version byte, the sent and
     * visibleAt times, then every text field as a 4-byte length (-1 for null) and its UTF-8 bytes.
     * Not JSON, as every send writes one: Jackson escaping a body full of quotes (an SNS envelope)
     * cost more than the rest of the message's storing; rows of older versions are JSON.
     */
    byte[] toBytes() {
        byte[][] texts = {utf8(id), utf8(content.body()), utf8(md5OfBody), utf8(senderId), content.attributes() == null ? null : Table.toBytes(content.attributes()),
                utf8(md5OfAttributes), utf8(traceHeader), utf8(groupId), utf8(dedupId), utf8(deadLetterSource)};
        int size = 1 + 16 + 4 * texts.length;
        for (byte[] t : texts) size += t == null ? 0 : t.length;
        ByteBuffer out = ByteBuffer.allocate(size).put(COMPACT).putLong(sent).putLong(visibleAt);
        for (byte[] t : texts) {
            if (t == null) out.putInt(-1);
            else out.putInt(t.length).put(t);
        }
        weight = size;
        return out.array();
    }

    /** The first byte of {@link #toBytes}'s form; a JSON row starts with '{'. */
    private static final byte COMPACT = 1;

    private static byte[] utf8(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    /** A stored message, in either form ({@link #toBytes}, or the JSON object older versions wrote), with its stored delivery state or null. */
    static Message fromBytes(long seq, byte[] stored, JsonNode state) {
        Message m;
        if (stored[0] == COMPACT) {
            ByteBuffer in = ByteBuffer.wrap(stored, 1, stored.length - 1);
            long sent = in.getLong(), visibleAt = in.getLong();
            String id = text(in), body = text(in), md5 = text(in), sender = text(in);
            byte[] attributes = bytes(in);
            m = new Message(seq, id, body, attributes == null ? null : (ObjectNode) Table.parse(attributes), md5,
                    text(in), text(in), sender, sent, text(in), text(in), text(in), visibleAt);
        } else {
            m = fromJson(seq, Table.parse(stored));
        }
        m.restored = true;
        m.weight = stored.length;
        if (state != null) {
            m.stateStored = true;
            m.visibleAt = state.get("visibleAt").asLong();
            m.receiveCount = state.get("count").asInt();
            m.firstReceive = state.get("first").asLong();
            m.token = text(state, "token");
        }
        return m;
    }

    /** The content of a stored row, in either form. */
    static Content content(byte[] stored) {
        return fromBytes(0, stored, null).content;
    }

    private static String text(ByteBuffer in) {
        byte[] b = bytes(in);
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    private static byte[] bytes(ByteBuffer in) {
        int n = in.getInt();
        if (n < 0) return null;
        byte[] b = new byte[n];
        in.get(b);
        return b;
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

    /** The JSON form Nimbus stored messages in before {@link #toBytes}'s. */
    private static Message fromJson(long seq, JsonNode n) {
        return new Message(seq, n.get("id").asText(), n.get("body").asText(),
                n.has("attributes") ? (ObjectNode) n.get("attributes") : null, n.get("md5").asText(), text(n, "md5Attributes"),
                text(n, "trace"), n.path("sender").asText(), n.get("sent").asLong(), text(n, "group"), text(n, "dedup"), text(n, "dlqSource"),
                n.get("visibleAt").asLong());
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
