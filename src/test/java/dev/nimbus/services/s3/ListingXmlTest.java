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
    void pagesAreWrittenAsTheModelWritesThem() {
        Random r = new Random(11);
        for (int round = 0; round < 300; round++) {
            List<Listing.Entry> contents = new ArrayList<>();
            for (int n = r.nextInt(6); n > 0; n--) {
                boolean checksum = r.nextBoolean();
                // years 1970-9999 (past them the tree's timestamps, doubles of seconds, lose the millis)
                long modified = r.nextLong(0, 253_402_300_800_000L);
                if (r.nextBoolean()) modified -= modified % 1000; // a whole second: .000 all the same
                contents.add(new Listing.Entry(text(r, 12), null, new Listing.Summary(modified, text(r, 6), r.nextLong(0, Long.MAX_VALUE) >> r.nextInt(63),
                        r.nextBoolean() ? "STANDARD" : text(r, 4), checksum ? text(r, 5) : null, checksum ? text(r, 5) : null, false)));
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
                if (!contents.isEmpty()) assertTrue(expected.contains("<Contents><Key>"), expected);
            }
        }
    }
}
