package dev.nimbus.services.s3;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.Values;
import dev.nimbus.protocol.codec.XmlShapes;
import dev.nimbus.protocol.codec.XmlWriter;
import dev.nimbus.store.Table;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * ListObjects and ListObjectsV2 as range scans of {@code s3.objects} from the prefix on: a page
 * reads about as many records as it returns. A common prefix is skipped over in one seek, not
 * read key by key, so a "folder" of a million keys costs one row.
 */
final class Listing {
    /**
     * Appended to a common prefix to seek past every key that starts with it: keys are at most
     * 1,024 UTF-8 bytes, so nothing that starts with the prefix sorts after the prefix followed by
     * 257 of the greatest code point (4 bytes each).
     */
    private static final String PAST = Character.toString(Character.MAX_CODE_POINT).repeat(257);

    private final Table objects;

    Listing(Table objects) {
        this.objects = objects;
    }

    /**
     * A listed key, its stored record and what a listing shows of it: the markup the record leads
     * with (see {@link #stored}), or else its summary, read while listing (it says whether the key's
     * current version is a delete marker).
     */
    record Entry(String key, byte[] value, Summary summary, String xml) {
        /** The whole record, parsed: ListObjectVersions needs all of it; ListObjects only the summary. */
        JsonNode record() {
            return value == null ? null : Table.parse(value);
        }
    }

    /**
     * The fields of an object record a listing shows, read from its JSON without building a tree:
     * the rest (user metadata, headers, parts with up to 4 KiB of inline data) is skipped, not
     * copied. Absent fields read as {@code JsonNode.path(...)} would give them (a checksum's type as
     * {@link Checksums#type} reads it); checksum is null when the record has none.
     */
    record Summary(long modified, String etag, long size, String storage, String checksum, String checksumType, boolean marker) {
        /**
         * Read straight from the record's bytes: a Jackson parser made anew for each record was a
         * quarter of a listing page's CPU, and the most bytecode a page ran before the JIT compiled
         * it. Whatever the reader does not expect (a \\u escape, a number with a fraction, a field
         * of another type) it leaves to {@link #parsed}, so the result is always the parser's.
         */
        static Summary of(byte[] value) {
            Summary s = new RecordReader(value).summary();
            return s != null ? s : parsed(value);
        }

        /** The summary of a record the reader left alone: parsed whole. */
        static Summary parsed(byte[] value) {
            return of(Table.parse(value));
        }

        static Summary of(JsonNode r) {
            JsonNode c = r.get("checksum");
            return new Summary(r.path("modified").asLong(), r.path("etag").asText(""), r.path("size").asLong(), r.path("storage").asText("STANDARD"),
                    c == null ? null : c.path("alg").asText(""), c == null ? null : c.path("type").asText("FULL_OBJECT"), r.path("marker").asBoolean());
        }
    }

    /** A cursor over an object record's JSON for {@link Summary#of}; null or false from a method: not what it expected. */
    static final class RecordReader {
        private final byte[] b;
        private int i;

        RecordReader(byte[] b) {
            this.b = b;
        }

        Summary summary() {
            long modified = 0, size = 0;
            String etag = "", storage = "STANDARD", checksum = null, checksumType = null;
            boolean marker = false;
            if (!next('{')) return null;
            if (next('}')) return new Summary(modified, etag, size, storage, checksum, checksumType, marker);
            do {
                int field = name(FIELDS);
                if (field == BAD) return null;
                switch (field) {
                    case 0, 1 -> { // modified, size
                        int start = i;
                        long n = integer();
                        if (i == start) return null;
                        if (field == 0) modified = n;
                        else size = n;
                    }
                    case 2 -> etag = string();
                    case 3 -> storage = string();
                    case 4 -> { // marker
                        if (literal("true")) marker = true;
                        else if (literal("false")) marker = false;
                        else return null;
                    }
                    case 5 -> { // checksum
                        checksum = "";
                        checksumType = "FULL_OBJECT";
                        if (!next('{')) return null;
                        if (!next('}')) {
                            do {
                                int f = name(CHECKSUM_FIELDS);
                                if (f == BAD) return null;
                                if (f == 0) checksum = string();
                                else if (f == 1) checksumType = string();
                                else if (!skip()) return null;
                            } while (next(','));
                            if (!next('}') || checksum == null || checksumType == null) return null;
                        }
                    }
                    default -> {
                        if (!skip()) return null;
                    }
                }
                if (etag == null || storage == null) return null; // not strings
            } while (next(','));
            return next('}') ? new Summary(modified, etag, size, storage, checksum, checksumType, marker) : null;
        }

        private static final int BAD = -2;
        private static final byte[][] FIELDS = bytes("modified", "size", "etag", "storage", "marker", "checksum");
        private static final byte[][] CHECKSUM_FIELDS = bytes("alg", "type");

        private static byte[][] bytes(String... names) {
            byte[][] out = new byte[names.length][];
            for (int k = 0; k < names.length; k++) out[k] = names[k].getBytes(StandardCharsets.US_ASCII);
            return out;
        }

        /**
         * A field's name and its colon: which of {@code names} it is, -1 for another, BAD when there is none (or it has
         * an escape). Compared as bytes: making a String of every name cost as much as the parser saved.
         */
        private int name(byte[][] names) {
            if (!next('"')) return BAD;
            int start = i;
            while (i < b.length && b[i] != '"' && b[i] != '\\') i++;
            if (i >= b.length || b[i] == '\\') return BAD;
            int length = i++ - start, found = -1;
            if (!next(':')) return BAD;
            for (int k = 0; k < names.length && found < 0; k++) {
                if (names[k].length == length && java.util.Arrays.equals(b, start, start + length, names[k], 0, length)) found = k;
            }
            return found;
        }

        /** The next character after white space, not taken; -1 at the end. */
        private int peek() {
            while (i < b.length && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t')) i++;
            return i < b.length ? b[i] : -1;
        }

        private boolean next(char c) {
            if (peek() != c) return false;
            i++;
            return true;
        }

        private boolean literal(String word) {
            peek();
            if (i + word.length() > b.length) return false;
            for (int k = 0; k < word.length(); k++) if (b[i + k] != word.charAt(k)) return false;
            i += word.length();
            return true;
        }

        /** An integer of up to 18 digits, with no fraction or exponent; the position is unmoved if there is none. */
        private long integer() {
            int start = i;
            boolean negative = peek() == '-';
            int at = negative ? i + 1 : i, end = at;
            while (end < b.length && end - at < 19 && b[end] >= '0' && b[end] <= '9') end++;
            if (end == at || end - at > 18 || end < b.length && (b[end] == '.' || b[end] == 'e' || b[end] == 'E' || b[end] >= '0' && b[end] <= '9')) {
                i = start;
                return 0;
            }
            long n = 0;
            for (int k = at; k < end; k++) n = n * 10 + (b[k] - '0');
            i = end;
            return negative ? -n : n;
        }

        /** A string's value: runs of UTF-8 between the escapes JSON writers use for quotes, backslashes and controls. */
        private String string() {
            if (!next('"')) return null;
            StringBuilder sb = null;
            int run = i;
            while (i < b.length) {
                byte c = b[i];
                if (c != '"' && c != '\\') {
                    i++;
                    continue;
                }
                String part = new String(b, run, i - run, StandardCharsets.UTF_8);
                if (c == '"') {
                    i++;
                    return sb == null ? part : sb.append(part).toString();
                }
                if (i + 1 >= b.length) return null;
                char e = switch (b[i + 1]) {
                    case '"' -> '"';
                    case '\\' -> '\\';
                    case '/' -> '/';
                    case 'b' -> '\b';
                    case 'f' -> '\f';
                    case 'n' -> '\n';
                    case 'r' -> '\r';
                    case 't' -> '\t';
                    default -> 0; // \\u: left to the parser
                };
                if (e == 0) return null;
                if (sb == null) sb = new StringBuilder();
                sb.append(part).append(e);
                i += 2;
                run = i;
            }
            return null;
        }

        /**
         * The quote that ends a string whose text starts at {@code from} (b.length if none), found with
         * String.indexOf over a Latin-1 view of the record (one char a byte, so the same positions):
         * a small object's record holds its data as a base64 string of up to ~5,500 bytes, and
         * stepping over that a byte at a time made most of a first listing's interpreted work, as
         * the JIT had not compiled this loop yet; indexOf is compiled (and vectorized) from the start.
         */
        private int closingQuote(int from) {
            if (view == null) view = new String(b, StandardCharsets.ISO_8859_1);
            for (int at = from; ; ) {
                int quote = view.indexOf('"', at);
                if (quote < 0) return b.length;
                int escape = view.indexOf('\\', at, quote);
                if (escape < 0) return quote;
                at = escape + 2;
            }
        }

        private String view;

        /** Past one value of any kind (the record is JSON a JSON writer wrote: strings and nesting are all that matter). */
        private boolean skip() {
            int c = peek(), depth = 0;
            if (c != '{' && c != '[' && c != '"') {
                int start = i;
                while (i < b.length && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] > ' ') i++;
                return i > start;
            }
            do {
                c = b[i++];
                if (c == '"') {
                    i = closingQuote(i);
                    if (i++ >= b.length) return false;
                } else if (c == '{' || c == '[') {
                    depth++;
                } else if (c == '}' || c == ']') {
                    depth--;
                }
            } while (depth > 0 && i < b.length);
            return depth == 0;
        }
    }

    /** How a record that {@link #stored} gave markup starts, as the store holds it (compact JSON, fields in order). */
    private static final byte[] MARKUP_HEAD = "{\"list\":\"".getBytes(StandardCharsets.US_ASCII);
    /** bytes of a record's head in which {@link #storedXml} looks for the end of its markup */
    private static final int MARKUP_VIEW = 1024;

    /**
     * An object record as {@code s3.objects} stores it: led by "list", the markup a listing writes for
     * the object after its Key, so that a page copies each record's markup instead of reading its
     * fields and writing them one by one. That per-field work was most of a page, and all of it ran
     * in the interpreter on the first listing after a start (27-56 ms for 1,000 keys). A delete
     * marker, which is never listed, has none; nor has markup that JSON would escape beyond its
     * quotes (see {@link #storedXml}). Every write of a current record goes through here, so the
     * markup always says what the record says.
     */
    static ObjectNode stored(JsonNode record) {
        ObjectNode out = Values.object();
        Summary s = Summary.of(record);
        if (!s.marker()) {
            String xml = fields(new XmlWriter(), s).toString();
            if (plain(xml)) out.put("list", xml);
        }
        record.fields().forEachRemaining(f -> {
            if (!f.getKey().equals("list")) out.set(f.getKey(), f.getValue());
        });
        return out;
    }

    /** Printable ASCII without backslashes: what JSON stores as it is but for quotes (a stream here was 1% of a PUT's CPU). */
    private static boolean plain(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < ' ' || c >= 0x7f || c == '\\') return false;
        }
        return true;
    }

    /**
     * The markup a record from {@link #stored} leads with, or null (a delete marker, a record stored
     * before there was markup). Found with String methods, which run compiled from the start: the
     * markup is printable ASCII without backslashes, so its only escapes are the ETag's quotes.
     */
    static String storedXml(byte[] value) {
        if (value.length <= MARKUP_HEAD.length || !java.util.Arrays.equals(value, 0, MARKUP_HEAD.length, MARKUP_HEAD, 0, MARKUP_HEAD.length)) return null;
        // Only the record's head: the markup is a few hundred bytes, and up to ~5.5 KB of a small object's
        // data may follow it. Markup that does not end within it is read from the fields instead.
        String view = new String(value, 0, Math.min(value.length, MARKUP_VIEW), StandardCharsets.ISO_8859_1);
        for (int at = MARKUP_HEAD.length; ; ) {
            int quote = view.indexOf('"', at);
            if (quote < 0) return null;
            if (view.charAt(quote - 1) != '\\') return view.substring(MARKUP_HEAD.length, quote).replace("\\\"", "\"");
            at = quote + 1;
        }
    }

    record Page(List<Entry> contents, List<String> prefixes, boolean truncated, String last) {}

    /** The key's current record (an object or a delete marker), or null. */
    JsonNode current(String bucket, String key) {
        return objects.getJson(bucket + "/" + key);
    }

    Page list(String bucket, String prefix, String delimiter, String after, int max) {
        return list(bucket, prefix, delimiter, after, max, false);
    }

    /**
     * Keys under {@code prefix} after {@code after} (null: from the start), common prefixes rolled
     * up by {@code delimiter}; keys whose current version is a delete marker only {@code withMarkers}.
     *
     * Each scan reads no more rows than the page can still take, plus one that says whether it is
     * truncated (a fixed batch of 1,000 would read a second full batch to find that one row). After a seek
     * past a common prefix the next scan reads one row (the next key may well start another common
     * prefix, as every key does at the top of a bucket of "folders"), and each scan that ends
     * without a seek doubles the next one's size up to what the page needs.
     */
    Page list(String bucket, String prefix, String delimiter, String after, int max, boolean withMarkers) {
        String base = bucket + "/";
        List<Entry> contents = new ArrayList<>();
        List<String> prefixes = new ArrayList<>();
        String cursor = after == null ? null : base + after;
        String last = null;
        boolean delimited = delimiter != null && !delimiter.isEmpty();
        int batch = max + 1;
        while (true) {
            int limit = Math.min(batch, max - contents.size() - prefixes.size() + 1);
            List<Table.Entry> page = objects.scan(base + prefix, cursor, limit);
            boolean sought = false;
            for (Table.Entry e : page) {
                String key = e.key().substring(base.length());
                String xml = storedXml(e.value());
                Summary summary = xml == null ? Summary.of(e.value()) : null;
                if (!withMarkers && summary != null && summary.marker()) {
                    cursor = e.key();
                    continue;
                }
                int d = delimited ? key.indexOf(delimiter, prefix.length()) : -1;
                if (d >= 0) {
                    String common = key.substring(0, d + delimiter.length());
                    cursor = base + common + PAST;
                    sought = true;
                    if (common.equals(after)) break; // the page before ended on this common prefix
                    if (contents.size() + prefixes.size() >= max) return new Page(contents, prefixes, true, last);
                    prefixes.add(common);
                    last = common;
                    break;
                }
                if (contents.size() + prefixes.size() >= max) return new Page(contents, prefixes, true, last);
                contents.add(new Entry(key, e.value(), summary, xml));
                last = key;
                cursor = e.key();
            }
            if (!sought && page.size() < limit) return new Page(contents, prefixes, false, last);
            batch = sought ? 1 : Math.min(max + 1, batch * 2);
        }
    }

    JsonNode v2(JsonNode bucket, JsonNode in) {
        String name = bucket.path("name").asText();
        String prefix = Values.text(in, "Prefix", "");
        String delimiter = Values.text(in, "Delimiter", null);
        boolean url = encoding(in);
        int max = maxKeys(in);
        String token = Values.text(in, "ContinuationToken", null);
        String startAfter = Values.text(in, "StartAfter", null);
        String after = token != null ? decodeToken(token) : startAfter;
        Page page = list(name, prefix, delimiter, after, max);
        ObjectNode out = Values.object().put("Name", name).put("Prefix", enc(prefix, url)).put("MaxKeys", max)
                .put("KeyCount", page.contents.size() + page.prefixes.size()).put("IsTruncated", page.truncated);
        if (delimiter != null) out.put("Delimiter", enc(delimiter, url));
        if (url) out.put("EncodingType", "url");
        if (token != null) out.put("ContinuationToken", token);
        if (startAfter != null) out.put("StartAfter", enc(startAfter, url));
        if (page.truncated) out.put("NextContinuationToken", Base64.getUrlEncoder().withoutPadding().encodeToString(page.last.getBytes(StandardCharsets.UTF_8)));
        contents(out, page, url, in.path("FetchOwner").asBoolean(false) ? bucket.path("account").asText() : null);
        return out;
    }

    JsonNode v1(JsonNode bucket, JsonNode in) {
        String name = bucket.path("name").asText();
        String prefix = Values.text(in, "Prefix", "");
        String delimiter = Values.text(in, "Delimiter", null);
        boolean url = encoding(in);
        int max = maxKeys(in);
        String marker = Values.text(in, "Marker", null);
        Page page = list(name, prefix, delimiter, marker, max);
        ObjectNode out = Values.object().put("Name", name).put("Prefix", enc(prefix, url)).put("Marker", marker == null ? "" : enc(marker, url))
                .put("MaxKeys", max).put("IsTruncated", page.truncated);
        if (delimiter != null) out.put("Delimiter", enc(delimiter, url));
        if (url) out.put("EncodingType", "url");
        // S3 gives NextMarker only with a delimiter; without one the client continues from the last key.
        if (page.truncated && delimiter != null) out.put("NextMarker", enc(page.last, url));
        contents(out, page, url, bucket.path("account").asText());
        return out;
    }

    /**
     * The page's Contents and CommonPrefixes, written straight into the document (see
     * XmlShapes.Written) as the model's Object and CommonPrefix shapes would be, in their members'
     * order. Built as a tree and written by shape, a cold first page of 1,000 keys spent 11-30 ms here.
     */
    static void contents(ObjectNode out, Page page, boolean url, String owner) {
        if (!page.contents.isEmpty()) out.putPOJO("Contents", (XmlShapes.Written) w -> {
            String ownerId = owner == null ? null : Buckets.canonicalId(owner);
            for (Entry e : page.contents) write(w, e, url, owner, ownerId);
        });
        if (!page.prefixes.isEmpty()) out.putPOJO("CommonPrefixes", (XmlShapes.Written) w -> {
            for (String p : page.prefixes) w.open("CommonPrefixes").element("Prefix", enc(p, url)).close("CommonPrefixes");
        });
    }

    /**
     * One listed object. A method of its own, not the loop's body: the JIT compiles a method after a
     * few hundred calls but a loop's body only after tens of thousands of turns, so a cold first page
     * ran all 1,000 in the interpreter (an A/B of cold first pages: 40-75 ms before, 27-45 after).
     */
    private static void write(XmlWriter w, Entry e, boolean url, String owner, String ownerId) {
        w.open("Contents").element("Key", enc(e.key, url));
        if (e.xml != null) w.markup(e.xml);
        else fields(w, e.summary);
        if (owner != null) w.open("Owner").element("DisplayName", owner).element("ID", ownerId).close("Owner");
        w.close("Contents");
    }

    /** An object's listed fields after its Key: what {@link #stored} keeps as markup. */
    private static XmlWriter fields(XmlWriter w, Summary r) {
        w.element("LastModified", Values.isoMillis(Instant.ofEpochMilli(r.modified))).element("ETag", r.etag);
        if (r.checksum != null) w.element("ChecksumAlgorithm", r.checksum).element("ChecksumType", r.checksumType);
        return w.element("Size", Long.toString(r.size)).element("StorageClass", r.storage);
    }

    static boolean encoding(JsonNode in) {
        String e = Values.text(in, "EncodingType", null);
        if (e == null) return false;
        if (!e.equals("url")) throw S3Errors.invalidArgument("Invalid Encoding Method specified in Request", "encoding-type", e);
        return true;
    }

    static int maxKeys(JsonNode in) {
        int max = Values.integer(in, "MaxKeys", 1000);
        if (max < 0) throw S3Errors.invalidArgument("Argument maxKeys must be an integer between 0 and 2147483647", "maxKeys", String.valueOf(max));
        return Math.min(max, 1000);
    }

    private static String decodeToken(String token) {
        try {
            return new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw S3Errors.invalidArgument("The continuation token provided is incorrect", "continuation-token", token);
        }
    }

    /** encoding-type=url: names percent-encoded as in a form, '/' kept (what the SDKs and CLI decode). */
    static String enc(String s, boolean url) {
        return url ? URLEncoder.encode(s, StandardCharsets.UTF_8).replace("%2F", "/") : s;
    }
}
