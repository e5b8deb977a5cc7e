package dev.nimbus.services.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nimbus.testing.TestServer;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * ListObjects v1 and v2 paged through at every page size over keys that mix plain keys, "folders"
 * of one to a dozen keys, nested folders and keys whose current version is a delete marker: each
 * listing must give exactly what rolling up the visible keys gives, whatever the page boundaries.
 */
class S3ListingTest {
    static final List<String> KEYS = List.of("a", "b/1", "b/2", "b/3/x", "c", "d/e/1", "d/e/2", "d/f", "d/g/h/i", "e0", "e1/", "f/",
            "m/k00", "m/k01", "m/k02", "m/k03", "m/k04", "m/k05", "m/k06", "m/k07", "m/k08", "m/k09", "m/k10", "m/k11", "n", "o/p", "o/q", "q");
    /** Deleted in a versioned bucket: their current versions are delete markers, so listings skip them ("o/" with them). */
    static final List<String> DELETED = List.of("c", "d/f", "m/k05", "o/p", "o/q");
    static TestServer t;
    static S3Client s3;

    @BeforeAll
    static void start() {
        t = TestServer.start();
        s3 = t.client(S3Client.builder().forcePathStyle(true));
        s3.createBucket(b -> b.bucket("paged"));
        s3.putBucketVersioning(b -> b.bucket("paged").versioningConfiguration(v -> v.status("Enabled")));
        for (String k : KEYS) s3.putObject(b -> b.bucket("paged").key(k), RequestBody.fromString(k));
        for (String k : DELETED) s3.deleteObject(b -> b.bucket("paged").key(k));
    }

    @AfterAll
    static void stop() {
        s3.close();
        t.close();
    }

    /** What a listing must give: the visible keys under the prefix, each rolled up to its common prefix when it has one. */
    static List<String> expected(String prefix, String delimiter) {
        TreeSet<String> out = new TreeSet<>();
        for (String k : KEYS) {
            if (DELETED.contains(k) || !k.startsWith(prefix)) continue;
            int d = delimiter == null ? -1 : k.indexOf(delimiter, prefix.length());
            out.add(d < 0 ? k : k.substring(0, d + delimiter.length()));
        }
        return List.copyOf(out);
    }

    @Test
    void everyPageSizeGivesTheSameListing() {
        for (String prefix : List.of("", "d/", "m/", "b/3/", "zz")) {
            for (String delimiter : new String[] {null, "/"}) {
                List<String> want = expected(prefix, delimiter);
                for (int max : new int[] {1, 2, 3, 5, 1000}) {
                    String what = "prefix " + prefix + ", delimiter " + delimiter + ", max-keys " + max;
                    assertEquals(want, v2(prefix, delimiter, max), "v2 " + what);
                    assertEquals(want, v1(prefix, delimiter, max), "v1 " + what);
                }
            }
        }
    }

    static List<String> v2(String prefix, String delimiter, int max) {
        List<String> seen = new ArrayList<>();
        String token = null;
        ListObjectsV2Response page;
        do {
            String tk = token;
            page = s3.listObjectsV2(b -> b.bucket("paged").prefix(prefix).delimiter(delimiter).maxKeys(max).continuationToken(tk));
            List<String> items = items(page.contents(), page.commonPrefixes());
            assertTrue(items.size() <= max);
            assertEquals(items.size(), page.keyCount());
            seen.addAll(items);
            token = page.nextContinuationToken();
            assertEquals(page.isTruncated(), token != null);
        } while (token != null);
        return seen;
    }

    static List<String> v1(String prefix, String delimiter, int max) {
        List<String> seen = new ArrayList<>();
        String marker = null;
        ListObjectsResponse page;
        do {
            String m = marker;
            page = s3.listObjects(b -> b.bucket("paged").prefix(prefix).delimiter(delimiter).maxKeys(max).marker(m));
            List<String> items = items(page.contents(), page.commonPrefixes());
            assertTrue(items.size() <= max);
            seen.addAll(items);
            // with a delimiter S3 gives NextMarker; without one the client continues from the last key
            marker = delimiter != null ? page.nextMarker() : page.contents().isEmpty() ? null : page.contents().getLast().key();
            if (!page.isTruncated()) break;
        } while (true);
        return seen;
    }

    /** A page's keys and common prefixes in one key order. */
    static List<String> items(List<S3Object> contents, List<CommonPrefix> prefixes) {
        TreeSet<String> all = new TreeSet<>();
        contents.forEach(o -> all.add(o.key()));
        prefixes.forEach(p -> all.add(p.prefix()));
        assertEquals(contents.size() + prefixes.size(), all.size());
        return List.copyOf(all);
    }

    @Test
    void entriesShowWhatHeadObjectShows() {
        s3.createBucket(b -> b.bucket("shown"));
        s3.putObject(b -> b.bucket("shown").key("plain"), RequestBody.fromString("plain body"));
        s3.putObject(b -> b.bucket("shown").key("ia").storageClass("STANDARD_IA").checksumAlgorithm(ChecksumAlgorithm.SHA256), RequestBody.fromString("infrequent"));
        List<S3Object> listed = s3.listObjectsV2(b -> b.bucket("shown")).contents();
        assertEquals(List.of("ia", "plain"), listed.stream().map(S3Object::key).toList());
        for (S3Object o : listed) {
            HeadObjectResponse head = s3.headObject(b -> b.bucket("shown").key(o.key()));
            assertEquals(head.eTag(), o.eTag());
            assertEquals(head.contentLength(), o.size());
            assertEquals(head.lastModified(), o.lastModified());
            assertEquals(head.storageClass() == null ? "STANDARD" : head.storageClass().toString(), o.storageClassAsString());
        }
        assertEquals(List.of(ChecksumAlgorithm.SHA256), listed.get(0).checksumAlgorithm());
        assertEquals("FULL_OBJECT", listed.get(0).checksumTypeAsString());
        // the SDK sends CRC32 when told no algorithm
        assertEquals(List.of(ChecksumAlgorithm.CRC32), listed.get(1).checksumAlgorithm());
        assertNull(listed.get(1).owner());
        assertEquals("000000000000", s3.listObjectsV2(b -> b.bucket("shown").fetchOwner(true)).contents().get(0).owner().displayName());
    }
}
