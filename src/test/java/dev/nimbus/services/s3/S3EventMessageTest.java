package dev.nimbus.services.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.Values;
import dev.nimbus.protocol.codec.RawHttp;
import dev.nimbus.testing.TestServer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.Event;
import software.amazon.awssdk.services.s3.model.QueueConfiguration;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;

/** The S3 event messages a queue receives: the s3:TestEvent on configuration, then one record per change, field for field. */
class S3EventMessageTest {
    static TestServer t;
    static S3Client s3;
    static SqsClient sqs;

    @BeforeAll
    static void start() {
        t = TestServer.start();
        s3 = t.client(S3Client.builder().forcePathStyle(true));
        sqs = t.client(SqsClient.builder());
    }

    @AfterAll
    static void stop() {
        s3.close();
        sqs.close();
        t.close();
    }

    /** Receives until {@code n} messages came (bounded), deleting each. */
    static List<JsonNode> receive(String url, int n) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (int attempt = 0; attempt < 100 && out.size() < n; attempt++) {
            for (Message m : sqs.receiveMessage(b -> b.queueUrl(url).maxNumberOfMessages(10).waitTimeSeconds(1)).messages()) {
                out.add(Values.JSON.readTree(m.body()));
                sqs.deleteMessage(b -> b.queueUrl(url).receiptHandle(m.receiptHandle()));
            }
        }
        return out;
    }

    @Test
    void aQueueGetsTheTestEventThenOneRecordPerChange() throws Exception {
        String url = sqs.createQueue(b -> b.queueName("s3-events")).queueUrl();
        String queueArn = "arn:aws:sqs:us-east-1:000000000000:s3-events";
        s3.createBucket(b -> b.bucket("evented"));
        s3.putBucketVersioning(b -> b.bucket("evented").versioningConfiguration(v -> v.status("Enabled")));
        s3.putBucketNotificationConfiguration(b -> b.bucket("evented").notificationConfiguration(n -> n.queueConfigurations(
                QueueConfiguration.builder().id("all").queueArn(queueArn).events(Event.S3_OBJECT_CREATED, Event.S3_OBJECT_REMOVED).build())));

        JsonNode test = receive(url, 1).get(0);
        assertEquals("Amazon S3", test.path("Service").asText());
        assertEquals("s3:TestEvent", test.path("Event").asText());
        assertEquals("evented", test.path("Bucket").asText());
        assertTrue(test.path("Time").asText().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"), test.toString());
        assertFalse(test.path("RequestId").asText().isEmpty());
        assertFalse(test.path("HostId").asText().isEmpty());
        assertFalse(test.has("Records"));

        var put = s3.putObject(b -> b.bucket("evented").key("dir/a b+c.txt"), RequestBody.fromString("hello"));
        s3.copyObject(b -> b.sourceBucket("evented").sourceKey("dir/a b+c.txt").destinationBucket("evented").destinationKey("copy.txt"));
        String id = s3.createMultipartUpload(b -> b.bucket("evented").key("multi.bin")).uploadId();
        String etag = s3.uploadPart(b -> b.bucket("evented").key("multi.bin").uploadId(id).partNumber(1), RequestBody.fromString("part")).eTag();
        s3.completeMultipartUpload(b -> b.bucket("evented").key("multi.bin").uploadId(id)
                .multipartUpload(m -> m.parts(CompletedPart.builder().partNumber(1).eTag(etag).build())));
        var marker = s3.deleteObject(b -> b.bucket("evented").key("dir/a b+c.txt"));
        s3.deleteObject(b -> b.bucket("evented").key("copy.txt").versionId(
                s3.listObjectVersions(l -> l.bucket("evented").prefix("copy.txt")).versions().get(0).versionId()));

        List<JsonNode> records = new ArrayList<>();
        for (JsonNode m : receive(url, 5)) records.add(m.path("Records").get(0));
        records.sort((x, y) -> x.path("s3").path("object").path("sequencer").asText().compareTo(y.path("s3").path("object").path("sequencer").asText()));
        assertEquals(List.of("ObjectCreated:Put", "ObjectCreated:Copy", "ObjectCreated:CompleteMultipartUpload", "ObjectRemoved:DeleteMarkerCreated",
                "ObjectRemoved:Delete"), records.stream().map(r -> r.path("eventName").asText()).toList());

        JsonNode created = records.get(0);
        assertEquals("2.1", created.path("eventVersion").asText());
        assertEquals("aws:s3", created.path("eventSource").asText());
        assertEquals("us-east-1", created.path("awsRegion").asText());
        assertTrue(created.path("userIdentity").path("principalId").asText().startsWith("AWS:"), created.toString());
        assertEquals("127.0.0.1", created.path("requestParameters").path("sourceIPAddress").asText());
        assertTrue(created.path("responseElements").has("x-amz-request-id"));
        assertTrue(created.path("responseElements").has("x-amz-id-2"));
        JsonNode s3Part = created.path("s3");
        assertEquals("1.0", s3Part.path("s3SchemaVersion").asText());
        assertEquals("all", s3Part.path("configurationId").asText());
        assertEquals("evented", s3Part.path("bucket").path("name").asText());
        assertEquals("arn:aws:s3:::evented", s3Part.path("bucket").path("arn").asText());
        assertTrue(s3Part.path("bucket").path("ownerIdentity").has("principalId"));
        // the key URL-encoded as a form value: a space is '+', a '+' is %2B, '/' stays
        assertEquals("dir/a+b%2Bc.txt", s3Part.path("object").path("key").asText());
        assertEquals(5, s3Part.path("object").path("size").asLong());
        assertEquals(put.eTag().replace("\"", ""), s3Part.path("object").path("eTag").asText());
        assertEquals(put.versionId(), s3Part.path("object").path("versionId").asText());
        assertTrue(s3Part.path("object").path("sequencer").asText().matches("[0-9A-F]+"), s3Part.toString());

        JsonNode markerRecord = records.get(3).path("s3").path("object");
        assertEquals(marker.versionId(), markerRecord.path("versionId").asText());
        assertFalse(markerRecord.has("size"));
        assertFalse(markerRecord.has("eTag"));
        assertEquals("copy.txt", records.get(4).path("s3").path("object").path("key").asText());
    }

    @Test
    void sourceIpAddressIsTheClients() throws Exception {
        String url = sqs.createQueue(b -> b.queueName("s3-ip-events")).queueUrl();
        s3.createBucket(b -> b.bucket("from-afar"));
        s3.putBucketNotificationConfiguration(b -> b.bucket("from-afar").notificationConfiguration(n -> n.queueConfigurations(
                QueueConfiguration.builder().queueArn("arn:aws:sqs:us-east-1:000000000000:s3-ip-events").events(Event.S3_OBJECT_CREATED).build())));
        assertEquals("s3:TestEvent", receive(url, 1).get(0).path("Event").asText());

        // Another loopback address stands for a client on another host.
        assertEquals(200, RawHttp.exchangeFrom("127.0.0.2", t.port(), "PUT", "/from-afar/x", "127.0.0.1", "hi", S3ObjectsTest.SIGNED).status());
        JsonNode record = receive(url, 1).get(0).path("Records").get(0);
        assertEquals("127.0.0.2", record.path("requestParameters").path("sourceIPAddress").asText(), record.toString());
    }

    @Test
    void taggingAndAclChangesAreEventsOfTheirOwn() throws Exception {
        String url = sqs.createQueue(b -> b.queueName("s3-tag-events")).queueUrl();
        s3.createBucket(b -> b.bucket("tagged"));
        s3.putBucketNotificationConfiguration(b -> b.bucket("tagged").notificationConfiguration(n -> n.queueConfigurations(
                QueueConfiguration.builder().id("meta").queueArn("arn:aws:sqs:us-east-1:000000000000:s3-tag-events")
                        .events(Event.S3_OBJECT_TAGGING, Event.S3_OBJECT_ACL_PUT).build())));
        assertEquals("s3:TestEvent", receive(url, 1).get(0).path("Event").asText());

        s3.putObject(b -> b.bucket("tagged").key("doc.txt"), RequestBody.fromString("x")); // not configured: no event
        s3.putObjectTagging(b -> b.bucket("tagged").key("doc.txt").tagging(t -> t.tagSet(s -> s.key("k").value("v"))));
        s3.putObjectAcl(b -> b.bucket("tagged").key("doc.txt").acl("public-read"));
        s3.deleteObjectTagging(b -> b.bucket("tagged").key("doc.txt"));

        List<JsonNode> records = new ArrayList<>();
        for (JsonNode m : receive(url, 3)) records.add(m.path("Records").get(0));
        records.sort((x, y) -> x.path("s3").path("object").path("sequencer").asText().compareTo(y.path("s3").path("object").path("sequencer").asText()));
        assertEquals(List.of("ObjectTagging:Put", "ObjectAcl:Put", "ObjectTagging:Delete"), records.stream().map(r -> r.path("eventName").asText()).toList());
        for (JsonNode r : records) {
            assertEquals("2.3", r.path("eventVersion").asText(), r.toString());
            assertEquals("meta", r.path("s3").path("configurationId").asText());
            assertEquals("doc.txt", r.path("s3").path("object").path("key").asText());
            assertFalse(r.path("s3").path("object").has("size"), r.toString());
        }
        // The events above came within a second of their changes; two seconds of nothing more is the absence of a fourth.
        assertTrue(sqs.receiveMessage(b -> b.queueUrl(url).waitTimeSeconds(2)).messages().isEmpty(), "the PutObject was not configured, so no fourth message");
    }
}
