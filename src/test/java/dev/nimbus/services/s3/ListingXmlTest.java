package dev.nimbus.services.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.Values;
import dev.nimbus.protocol.codec.XmlShapes;
import dev.nimbus.protocol.codec.XmlWriter;
import dev.nimbus.protocol.model.ServiceModel;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** A listing page's Contents and CommonPrefixes are written by hand: they must be what XmlShapes writes for them by the model. */
class ListingXmlTest {
    static final ServiceModel S3 = ServiceModel.load("s3");
    static final String CHARS = "ab/<>&\"' é\u00ff\u4e2d\r\n\t\u0001%+";

    /** The page as a value tree, as every other output is written. */
    static void tree(ObjectNode out, Listing.Page page, boolean url, String owner) {
        if (!page.contents().isEmpty()) {
            ArrayNode contents = out.putArray("Contents");
            for (Listing.Entry e : page.contents()) {
                Listing.Summary r = e.summary();
                ObjectNode o = contents.addObject().put("Key", Listing.enc(e.key(), url));
                o.set("LastModified", Values.timestamp(Instant.ofEpochMilli(r.modified())));
                o.put("ETag", r.etag()).put("Size", r.size()).put("StorageClass", r.storage());
                if (r.checksum() != null) {
                    o.putArray("ChecksumAlgorithm").add(r.checksum());
                    o.put("ChecksumType", r.checksumType());
                }
                if (owner != null) o.set("Owner", Buckets.owner(owner));
            }
        }
        if (!page.prefixes().isEmpty()) {
            ArrayNode prefixes = out.putArray("CommonPrefixes");
            for (String p : page.prefixes()) prefixes.addObject().put("Prefix", Listing.enc(p, url));
        }
    }

    static int withMarkup;

    /** The entries as {@link Listing#list} makes them from the records {@link Listing#stored} gives for their summaries. */
    static List<Listing.Entry> asStored(List<Listing.Entry> entries) throws Exception {
        List<Listing.Entry> out = new ArrayList<>();
        for (Listing.Entry e : entries) {
            Listing.Summary s = e.summary();
            ObjectNode record = Values.object().put("size", s.size()).put("etag", s.etag()).put("modified", s.modified()).put("storage", s.storage());
            record.putObject("meta").put("k", "v");
            if (s.checksum() != null) record.putObject("checksum").put("alg", s.checksum()).put("type", s.checksumType()).put("value", "AAAAAAAAAAA=");
            byte[] value = Values.JSON.writeValueAsBytes(Listing.stored(record));
            String xml = Listing.storedXml(value);
            if (xml != null) withMarkup++;
            out.add(new Listing.Entry(e.key(), value, xml == null ? Listing.Summary.of(value) : null, xml));
        }
        return out;
    }

    @Test
    void markupIsKeptOnlyForObjectsAndOnlyWhenPlain() throws Exception {
        ObjectNode object = Values.object().put("size", 5).put("etag", "\"0123\"").put("modified", 1_000L).put("storage", "STANDARD");
        byte[] stored = Values.JSON.writeValueAsBytes(Listing.stored(object));
        assertEquals("<LastModified>1970-01-01T00:00:01.000Z</LastModified><ETag>\"0123\"</ETag><Size>5</Size><StorageClass>STANDARD</StorageClass>",
                Listing.storedXml(stored));
        // a record stored again (an ACL or tags changed) gets its markup anew, in front, once
        ObjectNode again = (ObjectNode) Values.JSON.readTree(stored);
        again.put("storage", "GLACIER");
        String twice = new String(Values.JSON.writeValueAsBytes(Listing.stored(again)), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(twice.startsWith("{\"list\":\"") && twice.indexOf("\"list\"", 2) < 0 && twice.contains("<StorageClass>GLACIER</StorageClass>"), twice);
        // found in the record's head, whatever inline data follows it
        ObjectNode withData = object.deepCopy();
        withData.putArray("parts").addObject().put("data", "A".repeat(6000)).put("size", 4500);
        assertEquals(Listing.storedXml(stored), Listing.storedXml(Values.JSON.writeValueAsBytes(Listing.stored(withData))));
        // delete markers are never listed; markup JSON would escape otherwise than its quotes is not kept
        assertEquals(null, Listing.storedXml(Values.JSON.writeValueAsBytes(Listing.stored(Values.object().put("marker", true).put("modified", 1L)))));
        assertEquals(null, Listing.storedXml(Values.JSON.writeValueAsBytes(Listing.stored(object.deepCopy().put("etag", "\"é\"")))));
        assertEquals(null, Listing.storedXml(Values.JSON.writeValueAsBytes(Listing.stored(object.deepCopy().put("storage", "a\\b")))));
        assertEquals(null, Listing.storedXml(Values.JSON.writeValueAsBytes(object)));
    }

    static String xml(ObjectNode out, String shape) {
        XmlWriter w = new XmlWriter().millisTimestamps();
        XmlShapes.members(w, out, S3.shapes.get(shape));
        return w.toString();
    }

    static String text(Random r, int max) {
        StringBuilder sb = new StringBuilder();
        for (int n = r.nextInt(max + 1); n > 0; n--) sb.append(CHARS.charAt(r.nextInt(CHARS.length())));
        return sb.toString();
    }

    @Test
    void pagesAreWrittenAsTheModelWritesThem() throws Exception {
        Random r = new Random(11);
        for (int round = 0; round < 300; round++) {
            List<Listing.Entry> contents = new ArrayList<>();
            for (int n = r.nextInt(6); n > 0; n--) {
                boolean checksum = r.nextBoolean();
                // years 1970-9999 (past them the tree's timestamps, doubles of seconds, lose the millis)
                long modified = r.nextLong(0, 253_402_300_800_000L);
                if (r.nextBoolean()) modified -= modified % 1000; // a whole second: .000 all the same
                contents.add(new Listing.Entry(text(r, 12), null, new Listing.Summary(modified, text(r, 6), r.nextLong(0, Long.MAX_VALUE) >> r.nextInt(63),
                        r.nextBoolean() ? "STANDARD" : text(r, 4), checksum ? text(r, 5) : null, checksum ? text(r, 5) : null, false), null));
            }
            List<String> prefixes = new ArrayList<>();
            for (int n = r.nextInt(3); n > 0; n--) prefixes.add(text(r, 8));
            Listing.Page page = new Listing.Page(contents, prefixes, r.nextBoolean(), null);
            boolean url = r.nextBoolean();
            String owner = r.nextBoolean() ? "000000000000" : null;
            for (String shape : List.of("ListObjectsV2Output", "ListObjectsOutput")) {
                ObjectNode generic = Values.object().put("Name", "b").put("KeyCount", 1);
                tree(generic, page, url, owner);
                ObjectNode direct = Values.object().put("Name", "b").put("KeyCount", 1);
                Listing.contents(direct, page, url, owner);
                String expected = xml(generic, shape);
                assertEquals(expected, xml(direct, shape), "round " + round);
                // the same page from records as the store holds them, most with their markup (Listing.stored)
                ObjectNode fromStore = Values.object().put("Name", "b").put("KeyCount", 1);
                Listing.contents(fromStore, new Listing.Page(asStored(contents), prefixes, page.truncated(), null), url, owner);
                assertEquals(expected, xml(fromStore, shape), "round " + round);
                if (!contents.isEmpty()) assertTrue(expected.contains("<Contents><Key>"), expected);
            }
        }
        assertTrue(withMarkup > 100, "pages written from stored markup: " + withMarkup);
    }
}
