package dev.nimbus.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Operation inputs and outputs are Jackson trees shaped like the model (member names as keys).
 * Conventions every codec and service shares: a timestamp is a number of epoch seconds (fractions
 * for milliseconds); a blob is a BinaryNode; a streaming payload is a POJONode holding a {@link Payload}.
 */
public final class Values {
    /** Strings as long as the body limit allows: a 50 MB Lambda zip is a 67 MB base64 string, beyond Jackson's 20 MB default. */
    public static final ObjectMapper JSON = new ObjectMapper(com.fasterxml.jackson.core.JsonFactory.builder()
            .streamReadConstraints(com.fasterxml.jackson.core.StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).build()).build());
    public static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private Values() {}

    /**
     * A random version 4 UUID, the shape of AWS's request and message ids, without SecureRandom's
     * cost on every request or message: these ids need to be unique, not secret.
     */
    public static String uuid() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        return new UUID((r.nextLong() & ~0xF000L) | 0x4000L, (r.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L).toString();
    }

    public static ObjectNode object() {
        return NODES.objectNode();
    }

    public static ArrayNode array() {
        return NODES.arrayNode();
    }

    public static DoubleNode timestamp(Instant t) {
        return DoubleNode.valueOf(t.toEpochMilli() / 1000.0);
    }

    public static Instant instant(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) return null;
        if (n.isNumber()) {
            BigDecimal seconds = n.decimalValue();
            return Instant.ofEpochMilli(seconds.movePointRight(3).longValue());
        }
        return parseTimestamp(n.asText());
    }

    /** ISO 8601 (with or without fraction/offset), RFC 1123 http-date, or epoch seconds. */
    public static Instant parseTimestamp(String text) {
        String s = text.trim();
        try {
            if (!s.isEmpty() && (Character.isDigit(s.charAt(0)) && s.indexOf('-') < 0)) {
                return Instant.ofEpochMilli(new BigDecimal(s).movePointRight(3).longValue());
            }
            if (s.length() > 4 && Character.isLetter(s.charAt(0))) {
                return ZonedDateTime.parse(s, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            }
            return DateTimeFormatter.ISO_OFFSET_DATE_TIME.parse(s.endsWith("Z") || s.matches(".*[+-]\\d\\d:\\d\\d$") ? s : s + "Z", Instant::from);
        } catch (DateTimeParseException | NumberFormatException e) {
            throw AwsException.serialization("Cannot parse timestamp: " + text);
        }
    }

    /** ISO 8601 as AWS writes it in XML and query responses: seconds, plus millis when present. */
    public static String iso8601(Instant t) {
        return t.truncatedTo(ChronoUnit.MILLIS).toString();
    }

    /** IMF-fixdate ("Tue, 03 Jun 2008 11:05:30 GMT"): two-digit day, unlike RFC_1123_DATE_TIME's output. */
    private static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", java.util.Locale.US)
            .withZone(java.time.ZoneOffset.UTC);

    private static final String[] DAYS = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    private static final String[] MONTHS = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

    /** Written by hand for four-digit years: the pattern formatter cost 3% of an S3 GET (Last-Modified) in profiles. */
    public static String httpDate(Instant t) {
        java.time.LocalDateTime d = java.time.LocalDateTime.ofEpochSecond(t.getEpochSecond(), 0, java.time.ZoneOffset.UTC);
        if (d.getYear() < 1000 || d.getYear() > 9999) return HTTP_DATE.format(t);
        StringBuilder sb = new StringBuilder(29).append(DAYS[d.getDayOfWeek().ordinal()]).append(", ");
        twoDigits(sb, d.getDayOfMonth()).append(' ').append(MONTHS[d.getMonthValue() - 1]).append(' ').append(d.getYear()).append(' ');
        twoDigits(sb, d.getHour()).append(':');
        twoDigits(sb, d.getMinute()).append(':');
        return twoDigits(sb, d.getSecond()).append(" GMT").toString();
    }

    private static StringBuilder twoDigits(StringBuilder sb, int n) {
        return sb.append((char) ('0' + n / 10)).append((char) ('0' + n % 10));
    }

    private static final DateTimeFormatter ISO_MILLIS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(java.time.ZoneOffset.UTC);

    /**
     * 2026-11-22T10:00:00.000Z: always three digits of millis, as AWS writes event times, log lines and
     * S3's LastModified (Instant.toString and ISO_INSTANT drop them on a whole second). By hand for
     * four-digit years: the pattern formatter was ~5% of a 1,000-key listing page's CPU.
     */
    public static String isoMillis(Instant t) {
        java.time.LocalDateTime d = java.time.LocalDateTime.ofEpochSecond(t.getEpochSecond(), 0, java.time.ZoneOffset.UTC);
        if (d.getYear() < 1000 || d.getYear() > 9999) return ISO_MILLIS.format(t);
        StringBuilder sb = new StringBuilder(24).append(d.getYear()).append('-');
        twoDigits(sb, d.getMonthValue()).append('-');
        twoDigits(sb, d.getDayOfMonth()).append('T');
        twoDigits(sb, d.getHour()).append(':');
        twoDigits(sb, d.getMinute()).append(':');
        twoDigits(sb, d.getSecond()).append('.');
        int millis = t.getNano() / 1_000_000;
        return sb.append((char) ('0' + millis / 100)).append((char) ('0' + millis / 10 % 10)).append((char) ('0' + millis % 10)).append('Z').toString();
    }

    /** Epoch seconds as a JSON number: integral when there are no millis. */
    public static JsonNode epochSeconds(Instant t) {
        long millis = t.toEpochMilli();
        return millis % 1000 == 0 ? NODES.numberNode(millis / 1000) : NODES.numberNode(BigDecimal.valueOf(millis, 3));
    }

    /** Required string member, or a ValidationException naming it. */
    public static String text(JsonNode input, String member) {
        JsonNode n = input.get(member);
        if (n == null || n.isNull()) throw AwsException.validation("1 validation error detected: Value null at '" + lowerFirst(member)
                + "' failed to satisfy constraint: Member must not be null");
        return n.asText();
    }

    public static String text(JsonNode input, String member, String orElse) {
        JsonNode n = input.get(member);
        return n == null || n.isNull() ? orElse : n.asText();
    }

    public static int integer(JsonNode input, String member, int orElse) {
        JsonNode n = input.get(member);
        return n == null || n.isNull() ? orElse : n.asInt();
    }

    public static String lowerFirst(String name) {
        return name.isEmpty() ? name : Character.toLowerCase(name.charAt(0)) + name.substring(1);
    }
}
