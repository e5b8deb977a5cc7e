package dev.nimbus.services.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.Values;
import dev.nimbus.testing.TestServer;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketVersioningStatus;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.DeleteObjectResponse;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.Event;
import software.amazon.awssdk.services.s3.model.ExpirationStatus;
import software.amazon.awssdk.services.s3.model.ListObjectVersionsResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.ObjectVersion;
import software.amazon.awssdk.services.s3.model.QueueConfiguration;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

class S3VersioningTest {
    static TestServer t;
    static S3Client s3;

    @BeforeAll
    static void start() {
        t = TestServer.start();
        s3 = t.client(S3Client.builder().forcePathStyle(true));
    }

    @AfterAll
    static void stop() {
        t.close();
    }

    private static void versioned(String bucket, BucketVersioningStatus status) {
        s3.createBucket(b -> b.bucket(bucket));
        s3.putBucketVersioning(b -> b.bucket(bucket).versioningConfiguration(v -> v.status(status)));
    }

    private static String put(String bucket, String key, String body) {
        return s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromString(body)).versionId();
    }

    private static String get(String bucket, String key, String versionId) {
        return s3.getObjectAsBytes(b -> b.bucket(bucket).key(key).versionId(versionId)).asUtf8String();
    }

    @Test
    void versionsAreKeptAndReadableById() {
        s3.createBucket(b -> b.bucket("plain"));
        assertNull(s3.getBucketVersioning(b -> b.bucket("plain")).status());
        assertNull(put("plain", "k", "x"), "an unversioned bucket gives no version id");
        assertNull(s3.headObject(b -> b.bucket("plain").key("k")).versionId());
        ObjectVersion only = s3.listObjectVersions(b -> b.bucket("plain")).versions().get(0);
        assertEquals("null", only.versionId());
        assertTrue(only.isLatest());

        versioned("ver", BucketVersioningStatus.ENABLED);
        assertEquals(BucketVersioningStatus.ENABLED, s3.getBucketVersioning(b -> b.bucket("ver")).status());
        String v1 = put("ver", "doc.txt", "one");
        String v2 = put("ver", "doc.txt", "two");
        assertNotEquals(v1, v2);
        assertEquals(32, v1.length());
        assertEquals("two", get("ver", "doc.txt", null));
        assertEquals("one", get("ver", "doc.txt", v1));
        assertEquals(v1, s3.headObject(b -> b.bucket("ver").key("doc.txt").versionId(v1)).versionId());
        assertEquals(v2, s3.getObjectAsBytes(b -> b.bucket("ver").key("doc.txt")).response().versionId());

        S3Exception missing = assertThrows(S3Exception.class, () -> get("ver", "doc.txt", Versions.newId(1)));
        assertEquals("NoSuchVersion", missing.awsErrorDetails().errorCode());
        assertEquals("InvalidArgument", assertThrows(S3Exception.class, () -> get("ver", "doc.txt", "nonsense")).awsErrorDetails().errorCode());

        // deleting the current version by id makes the previous one current again
        DeleteObjectResponse gone = s3.deleteObject(b -> b.bucket("ver").key("doc.txt").versionId(v2));
        assertEquals(v2, gone.versionId());
        assertEquals("one", get("ver", "doc.txt", null));
    }

    @Test
    void deleteMarkersHideTheKey() {
        versioned("marked", BucketVersioningStatus.ENABLED);
        String v1 = put("marked", "a.txt", "alpha");
        DeleteObjectResponse d = s3.deleteObject(b -> b.bucket("marked").key("a.txt"));
        assertTrue(d.deleteMarker());
        String marker = d.versionId();
        assertNotEquals(v1, marker);

        NoSuchKeyException e = assertThrows(NoSuchKeyException.class, () -> get("marked", "a.txt", null));
        assertEquals("true", e.awsErrorDetails().sdkHttpResponse().firstMatchingHeader("x-amz-delete-marker").orElse(null));
        S3Exception byId = assertThrows(S3Exception.class, () -> get("marked", "a.txt", marker));
        assertEquals(405, byId.statusCode());
        assertEquals("MethodNotAllowed", byId.awsErrorDetails().errorCode());
        assertEquals("alpha", get("marked", "a.txt", v1));
        assertTrue(s3.listObjectsV2(b -> b.bucket("marked")).contents().isEmpty(), "a key behind a delete marker is not listed");
        assertEquals("BucketNotEmpty", assertThrows(S3Exception.class, () -> s3.deleteBucket(b -> b.bucket("marked"))).awsErrorDetails().errorCode());

        // removing the marker brings the object back
        DeleteObjectResponse undo = s3.deleteObject(b -> b.bucket("marked").key("a.txt").versionId(marker));
        assertTrue(undo.deleteMarker());
        assertEquals("alpha", get("marked", "a.txt", null));
    }

    @Test
    void listObjectVersionsPagesNewestFirstPerKey() {
        versioned("listed", BucketVersioningStatus.ENABLED);
        List<String> a = new ArrayList<>();
        for (int i = 0; i < 3; i++) a.add(put("listed", "a", "a" + i));
        String b1 = put("listed", "b", "b");
        String bMarker = s3.deleteObject(r -> r.bucket("listed").key("b")).versionId();
        put("listed", "dir/x", "x");

        ListObjectVersionsResponse all = s3.listObjectVersions(r -> r.bucket("listed"));
        assertFalse(all.isTruncated());
        assertEquals(List.of(a.get(2), a.get(1), a.get(0), b1), all.versions().stream().filter(v -> !v.key().equals("dir/x")).map(ObjectVersion::versionId).toList());
        assertEquals(List.of(true, false, false, false), all.versions().stream().filter(v -> !v.key().equals("dir/x")).map(ObjectVersion::isLatest).toList());
        assertEquals(1, all.deleteMarkers().size());
        assertEquals(bMarker, all.deleteMarkers().get(0).versionId());
        assertTrue(all.deleteMarkers().get(0).isLatest());

        // two at a time: the pages join up through KeyMarker/VersionIdMarker
        List<String> seen = new ArrayList<>();
        String key = null, id = null;
        while (true) {
            String k = key, v = id;
            ListObjectVersionsResponse page = s3.listObjectVersions(r -> r.bucket("listed").maxKeys(2).keyMarker(k).versionIdMarker(v));
            page.versions().forEach(x -> seen.add(x.key() + "@" + x.versionId()));
            page.deleteMarkers().forEach(x -> seen.add(x.key() + "@" + x.versionId()));
            assertTrue(page.versions().size() + page.deleteMarkers().size() <= 2);
            if (!page.isTruncated()) break;
            key = page.nextKeyMarker();
            id = page.nextVersionIdMarker();
        }
        assertEquals(6, seen.size(), seen.toString());
        assertEquals(6, seen.stream().distinct().count());

        ListObjectVersionsResponse rolled = s3.listObjectVersions(r -> r.bucket("listed").delimiter("/"));
        assertEquals("dir/", rolled.commonPrefixes().get(0).prefix());
        assertEquals(1, s3.listObjectVersions(r -> r.bucket("listed").prefix("dir/")).versions().size());
    }

    @Test
    void versionsAndDeleteMarkersInterleaveNewestFirst() {
        versioned("woven", BucketVersioningStatus.ENABLED);
        String c1 = put("woven", "c", "one");
        String marker = s3.deleteObject(r -> r.bucket("woven").key("c")).versionId();
        String c2 = put("woven", "c", "two");
        String dMarker = s3.deleteObject(r -> r.bucket("woven").key("d")).versionId();
        // the document gives them in S3's order: by key, then newest first, delete markers where they fall
        String xml = dev.nimbus.protocol.codec.RawHttp.exchange(t.port(), "GET", "/woven?versions", "127.0.0.1", null).body();
        List<String> ids = new ArrayList<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("<(Version|DeleteMarker)>.*?<VersionId>([^<]+)</VersionId>").matcher(xml);
        while (m.find()) ids.add(m.group(1) + ":" + m.group(2));
        assertEquals(List.of("Version:" + c2, "DeleteMarker:" + marker, "Version:" + c1, "DeleteMarker:" + dMarker), ids, xml);

        // one at a time, the pages walk the same order across versions and markers
        List<String> walked = new ArrayList<>();
        String key = null, id = null;
        while (true) {
            String k = key, v = id;
            ListObjectVersionsResponse page = s3.listObjectVersions(r -> r.bucket("woven").maxKeys(1).keyMarker(k).versionIdMarker(v));
            page.versions().forEach(x -> walked.add(x.versionId()));
            page.deleteMarkers().forEach(x -> walked.add(x.versionId()));
            if (!page.isTruncated()) break;
            key = page.nextKeyMarker();
            id = page.nextVersionIdMarker();
        }
        assertEquals(List.of(c2, marker, c1, dMarker), walked);
    }

    @Test
    void suspendedWritesReplaceTheNullVersion() {
        versioned("susp", BucketVersioningStatus.ENABLED);
        String v1 = put("susp", "k", "kept");
        s3.putBucketVersioning(b -> b.bucket("susp").versioningConfiguration(v -> v.status(BucketVersioningStatus.SUSPENDED)));
        assertEquals("null", put("susp", "k", "n1"));
        assertEquals("null", put("susp", "k", "n2"));
        List<ObjectVersion> versions = s3.listObjectVersions(r -> r.bucket("susp")).versions();
        assertEquals(List.of("null", v1), versions.stream().map(ObjectVersion::versionId).toList());
        assertEquals("n2", get("susp", "k", "null"));
        assertEquals("kept", get("susp", "k", v1));
    }

    @Test
    void copyFromAVersionAndMultipartGetVersionIds() {
        versioned("copies", BucketVersioningStatus.ENABLED);
        String old = put("copies", "src", "old");
        put("copies", "src", "new");
        var copy = s3.copyObject(b -> b.sourceBucket("copies").sourceKey("src").sourceVersionId(old).destinationBucket("copies").destinationKey("src"));
        assertEquals(old, copy.copySourceVersionId());
        assertEquals("old", get("copies", "src", null));
        assertEquals(copy.versionId(), s3.headObject(b -> b.bucket("copies").key("src")).versionId());

        String upload = s3.createMultipartUpload(b -> b.bucket("copies").key("big")).uploadId();
        String etag = s3.uploadPart(b -> b.bucket("copies").key("big").uploadId(upload).partNumber(1), RequestBody.fromString("part")).eTag();
        var done = s3.completeMultipartUpload(b -> b.bucket("copies").key("big").uploadId(upload)
                .multipartUpload(m -> m.parts(CompletedPart.builder().partNumber(1).eTag(etag).build())));
        assertEquals(done.versionId(), s3.headObject(b -> b.bucket("copies").key("big")).versionId());
    }

    @Test
    void tagsBelongToEachVersion() {
        versioned("tags", BucketVersioningStatus.ENABLED);
        String v1 = put("tags", "t", "1");
        String v2 = put("tags", "t", "2");
        s3.putObjectTagging(b -> b.bucket("tags").key("t").versionId(v1).tagging(g -> g.tagSet(x -> x.key("age").value("old"))));
        assertEquals("old", s3.getObjectTagging(b -> b.bucket("tags").key("t").versionId(v1)).tagSet().get(0).value());
        assertTrue(s3.getObjectTagging(b -> b.bucket("tags").key("t")).tagSet().isEmpty());
        assertEquals(v2, s3.getObjectTagging(b -> b.bucket("tags").key("t")).versionId());
        assertEquals("1", get("tags", "t", v1), "the tagged version keeps its bytes");
    }

    @Test
    void deleteObjectsWithVersions() {
        versioned("batch", BucketVersioningStatus.ENABLED);
        String v1 = put("batch", "one", "1");
        put("batch", "two", "2");
        DeleteObjectsResponse r = s3.deleteObjects(b -> b.bucket("batch").delete(d -> d.objects(
                ObjectIdentifier.builder().key("one").versionId(v1).build(), ObjectIdentifier.builder().key("two").build())));
        assertEquals(2, r.deleted().size());
        assertEquals(v1, r.deleted().get(0).versionId());
        assertTrue(r.deleted().get(1).deleteMarker());
        assertEquals(32, r.deleted().get(1).deleteMarkerVersionId().length());
        assertThrows(NoSuchKeyException.class, () -> get("batch", "one", null));
        assertEquals(1, s3.listObjectVersions(b -> b.bucket("batch").prefix("two")).versions().size());
    }

    @Test
    void lifecycleExpiresNoncurrentVersionsAndLoneMarkers() {
        versioned("aging", BucketVersioningStatus.ENABLED);
        put("aging", "k", "v1");
        String v2 = put("aging", "k", "v2");
        s3.putBucketLifecycleConfiguration(b -> b.bucket("aging").lifecycleConfiguration(c -> c.rules(r -> r.id("old").status(ExpirationStatus.ENABLED)
                .filter(f -> f.prefix("")).noncurrentVersionExpiration(n -> n.noncurrentDays(1)).expiration(e -> e.expiredObjectDeleteMarker(true)))));
        S3Service service = t.server.services().s3();
        assertEquals(0, service.expire(Instant.now()));
        assertEquals(1, service.expire(Instant.now().plus(3, ChronoUnit.DAYS)));
        assertEquals(List.of(v2), s3.listObjectVersions(b -> b.bucket("aging")).versions().stream().map(ObjectVersion::versionId).toList());

        // a delete marker in front of nothing goes too (the version behind it expires first)
        s3.deleteObject(b -> b.bucket("aging").key("k"));
        assertEquals(1, service.expire(Instant.now().plus(3, ChronoUnit.DAYS)));
        assertEquals(1, service.expire(Instant.now().plus(3, ChronoUnit.DAYS)));
        ListObjectVersionsResponse left = s3.listObjectVersions(b -> b.bucket("aging"));
        assertTrue(left.versions().isEmpty() && left.deleteMarkers().isEmpty(), left.toString());
    }

    @Test
    void lifecycleKeepsTheNewerNoncurrentVersions() {
        versioned("keep-two", BucketVersioningStatus.ENABLED);
        List<String> ids = new ArrayList<>();
        for (int i = 1; i <= 4; i++) ids.add(put("keep-two", "k", "v" + i));
        put("keep-two", "other", "only");
        s3.putBucketLifecycleConfiguration(b -> b.bucket("keep-two").lifecycleConfiguration(c -> c.rules(r -> r.id("keep").status(ExpirationStatus.ENABLED)
                .filter(f -> f.prefix("")).noncurrentVersionExpiration(n -> n.noncurrentDays(1).newerNoncurrentVersions(2)))));
        S3Service service = t.server.services().s3();
        assertEquals(0, service.expire(Instant.now()), "not noncurrent for a day yet");
        // v4 is current; of v3, v2, v1 the two newest stay
        assertEquals(1, service.expire(Instant.now().plus(3, ChronoUnit.DAYS)));
        assertEquals(List.of(ids.get(3), ids.get(2), ids.get(1)), s3.listObjectVersions(b -> b.bucket("keep-two").prefix("k")).versions().stream()
                .map(ObjectVersion::versionId).toList());
        assertEquals(0, service.expire(Instant.now().plus(3, ChronoUnit.DAYS)));
    }

    @Test
    void deleteMarkerEventsCarryTheVersionId() throws Exception {
        versioned("events", BucketVersioningStatus.ENABLED);
        SqsClient sqs = t.client(SqsClient.builder());
        String url = sqs.createQueue(b -> b.queueName("s3-events")).queueUrl();
        String arn = sqs.getQueueAttributes(b -> b.queueUrl(url).attributeNames(QueueAttributeName.QUEUE_ARN)).attributes().get(QueueAttributeName.QUEUE_ARN);
        s3.putBucketNotificationConfiguration(b -> b.bucket("events").notificationConfiguration(n -> n.queueConfigurations(
                QueueConfiguration.builder().queueArn(arn).events(Event.S3_OBJECT_CREATED_PUT, Event.S3_OBJECT_REMOVED_DELETE_MARKER_CREATED).build())));
        String v1 = put("events", "e.txt", "e");
        String marker = s3.deleteObject(b -> b.bucket("events").key("e.txt")).versionId();
        List<JsonNode> records = new ArrayList<>();
        while (records.size() < 2) {
            for (Message m : sqs.receiveMessage(b -> b.queueUrl(url).maxNumberOfMessages(10).waitTimeSeconds(1)).messages()) {
                JsonNode body = Values.JSON.readTree(m.body());
                body.path("Records").forEach(records::add);
            }
        }
        assertEquals("ObjectCreated:Put", records.get(0).path("eventName").asText());
        assertEquals(v1, records.get(0).path("s3").path("object").path("versionId").asText());
        assertEquals("ObjectRemoved:DeleteMarkerCreated", records.get(1).path("eventName").asText());
        assertEquals(marker, records.get(1).path("s3").path("object").path("versionId").asText());
    }
}
