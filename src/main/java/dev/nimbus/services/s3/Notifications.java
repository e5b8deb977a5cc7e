package dev.nimbus.services.s3;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.Targets;
import dev.nimbus.store.Store;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Bucket event notifications: the configuration (Lambda, SQS, SNS, EventBridge; event types and
 * key-name filters), validated as S3 validates destinations, and the event records S3 sends,
 * delivered through {@link Targets} inside the store transaction that made the change.
 */
final class Notifications {
    private static final Logger LOG = Logger.getLogger(Notifications.class.getName());
    static final String KIND = "notification";

    /** The three target lists of a configuration: member, ARN member, what the destination is called in errors. */
    private record Kind(String list, String arnMember, String noun) {}

    private static final List<Kind> KINDS = List.of(
            new Kind("TopicConfigurations", "TopicArn", "topic"),
            new Kind("QueueConfigurations", "QueueArn", "queue"),
            new Kind("LambdaFunctionConfigurations", "LambdaFunctionArn", "function"));

    private final Store store;
    private final Targets targets;
    private final Buckets buckets;
    /** orders events for one key, as S3's sequencer does (hex, compared as strings of equal length) */
    private final AtomicLong sequence = new AtomicLong(System.currentTimeMillis() * 1000);

    Notifications(Store store, Targets targets, Buckets buckets) {
        this.store = store;
        this.targets = targets;
        this.buckets = buckets;
    }

    /** PutBucketNotificationConfiguration: validate every destination, store, then send s3:TestEvent to queues and topics. */
    void put(RequestContext ctx, String bucket, JsonNode config) {
        ObjectNode conf = config == null ? Values.object() : ((ObjectNode) config).deepCopy();
        List<String[]> invalid = new ArrayList<>();
        List<String> testTargets = new ArrayList<>();
        for (Kind k : KINDS) {
            for (JsonNode c : conf.path(k.list)) {
                if (c.path("Events").isEmpty()) throw S3Errors.malformedXml();
                for (JsonNode e : c.path("Events")) {
                    if (!validEvent(e.asText())) throw S3Errors.invalidArgument("The event is not supported for notifications", "Event", e.asText());
                }
                checkFilter(c);
                if (!c.hasNonNull("Id")) ((ObjectNode) c).put("Id", java.util.UUID.randomUUID().toString());
                String arn = c.path(k.arnMember).asText();
                if (!targets.accepts(arn)) invalid.add(new String[] {arn, "The destination " + k.noun + " does not exist"});
                else if (!k.noun.equals("function")) testTargets.add(arn);
            }
        }
        if (!invalid.isEmpty()) {
            AwsException e = S3Errors.invalidArgument("Unable to validate the following destination configurations", null, null);
            for (int i = 0; i < invalid.size(); i++) e.with("ArgumentName" + (i + 1), invalid.get(i)[0]).with("ArgumentValue" + (i + 1), invalid.get(i)[1]);
            throw e;
        }
        List<Runnable> after = new ArrayList<>();
        store.transaction(() -> {
            buckets.get(bucket);
            String message = testEvent(ctx, bucket).toString();
            for (String arn : testTargets) {
                try {
                    Runnable r = targets.send(arn, new Targets.Message(message, "Amazon S3 Notification", java.util.Map.of()));
                    if (r != null) after.add(r);
                } catch (AwsException e) {
                    throw S3Errors.invalidArgument("Unable to validate the following destination configurations", null, null)
                            .with("ArgumentName1", arn).with("ArgumentValue1", e.getMessage());
                }
            }
            buckets.putConfig(bucket, KIND, conf);
        });
        after.forEach(Runnable::run);
    }

    private static boolean validEvent(String event) {
        return event.startsWith("s3:") && List.of("s3:ObjectCreated:*", "s3:ObjectCreated:Put", "s3:ObjectCreated:Post", "s3:ObjectCreated:Copy",
                "s3:ObjectCreated:CompleteMultipartUpload", "s3:ObjectRemoved:*", "s3:ObjectRemoved:Delete", "s3:ObjectRemoved:DeleteMarkerCreated",
                "s3:ObjectTagging:*", "s3:ObjectTagging:Put", "s3:ObjectTagging:Delete", "s3:LifecycleExpiration:*", "s3:LifecycleExpiration:Delete",
                "s3:LifecycleExpiration:DeleteMarkerCreated", "s3:ObjectRestore:*", "s3:ObjectRestore:Post", "s3:ObjectRestore:Completed",
                "s3:ObjectRestore:Delete", "s3:ReducedRedundancyLostObject", "s3:Replication:*", "s3:ObjectAcl:Put",
                "s3:LifecycleTransition", "s3:IntelligentTiering").contains(event);
    }

    private static void checkFilter(JsonNode c) {
        boolean prefix = false, suffix = false;
        for (JsonNode rule : c.path("Filter").path("Key").path("FilterRules")) {
            String name = rule.path("Name").asText().toLowerCase(Locale.ROOT);
            if (name.equals("prefix") && !prefix) prefix = true;
            else if (name.equals("suffix") && !suffix) suffix = true;
            else throw S3Errors.invalidArgument(name.equals("prefix") || name.equals("suffix")
                    ? "Cannot specify more than one " + name + " rule in a filter." : "filter rule name must be either prefix or suffix", "FilterRule", name);
        }
    }

    JsonNode get(String bucket) {
        buckets.get(bucket);
        JsonNode c = buckets.config(bucket, KIND);
        return c == null ? Values.object() : c;
    }

    /**
     * Sends the event to every configured destination that wants it; call inside the transaction
     * that made the change. Returns what to run after commit. A destination that refuses (deleted
     * since configuration) loses the event, as in S3; the change itself stands.
     */
    List<Runnable> fire(RequestContext ctx, String bucket, String eventName, String key, long size, String etag, String versionId) {
        JsonNode conf = buckets.settings(bucket).notification();
        if (conf == null) return List.of();
        List<Runnable> after = new ArrayList<>();
        String sequencer = String.format("%016X", sequence.incrementAndGet());
        Instant now = Instant.now();
        for (Kind k : KINDS) {
            for (JsonNode c : conf.path(k.list)) {
                if (!matches(c, eventName, key)) continue;
                ObjectNode record = record(ctx, bucket, eventName, key, size, etag, versionId, sequencer, now, c.path("Id").asText());
                ObjectNode message = Values.object();
                message.putArray("Records").add(record);
                deliver(c.path(k.arnMember).asText(), new Targets.Message(message.toString(), "Amazon S3 Notification", java.util.Map.of()), after);
            }
        }
        if (conf.has("EventBridgeConfiguration")) {
            String arn = "arn:aws:events:" + ctx.region() + ":" + ctx.accountId() + ":event-bus/default";
            // S3 does not validate EventBridge delivery; events flow once EventBridge is served.
            if (targets.accepts(arn)) deliver(arn, new Targets.Message(eventBridge(ctx, bucket, eventName, key, size, etag, versionId, sequencer, now).toString(),
                    null, java.util.Map.of()), after);
        }
        return after;
    }

    private void deliver(String arn, Targets.Message message, List<Runnable> after) {
        try {
            // nested: a refusal undoes only the target's own writes, never the object change around it
            Runnable r = store.transaction(() -> targets.send(arn, message));
            if (r != null) after.add(r);
        } catch (AwsException e) {
            LOG.log(Level.INFO, "S3 event to " + arn + " dropped: " + e.getMessage());
        }
    }

    static boolean matches(JsonNode c, String eventName, String key) {
        boolean wanted = false;
        for (JsonNode e : c.path("Events")) {
            String ev = e.asText();
            String want = ev.startsWith("s3:") ? ev.substring(3) : ev;
            if (want.equals(eventName) || want.endsWith(":*") && eventName.startsWith(want.substring(0, want.length() - 1))) wanted = true;
        }
        if (!wanted) return false;
        for (JsonNode rule : c.path("Filter").path("Key").path("FilterRules")) {
            String name = rule.path("Name").asText().toLowerCase(Locale.ROOT);
            String value = rule.path("Value").asText();
            if (name.equals("prefix") && !key.startsWith(value)) return false;
            if (name.equals("suffix") && !key.endsWith(value)) return false;
        }
        return true;
    }

    /**
     * One entry of Records[], field for field as S3 writes it: event message structure version 2.1, and 2.3 for the
     * object ACL and tagging events, which S3 documents as using that version.
     */
    static ObjectNode record(RequestContext ctx, String bucket, String eventName, String key, long size, String etag, String versionId,
                             String sequencer, Instant time, String configurationId) {
        boolean v23 = eventName.startsWith("ObjectTagging") || eventName.startsWith("ObjectAcl");
        ObjectNode r = Values.object().put("eventVersion", v23 ? "2.3" : "2.1").put("eventSource", "aws:s3").put("awsRegion", ctx.region())
                .put("eventTime", Values.isoMillis(time)).put("eventName", eventName);
        r.putObject("userIdentity").put("principalId", principal(ctx));
        String ip = ctx.sourceIp();
        r.putObject("requestParameters").put("sourceIPAddress", ip != null ? ip : "127.0.0.1");
        r.putObject("responseElements").put("x-amz-request-id", ctx.requestId()).put("x-amz-id-2", hostId(ctx.requestId()));
        ObjectNode s3 = r.putObject("s3").put("s3SchemaVersion", "1.0").put("configurationId", configurationId);
        ObjectNode b = s3.putObject("bucket").put("name", bucket);
        b.putObject("ownerIdentity").put("principalId", principal(ctx));
        b.put("arn", "arn:aws:s3:::" + bucket);
        ObjectNode o = s3.putObject("object").put("key", Listing.enc(key, true));
        if (eventName.startsWith("ObjectCreated")) {
            o.put("size", size);
            o.put("eTag", etag.replace("\"", ""));
        }
        if (versionId != null) o.put("versionId", versionId);
        o.put("sequencer", sequencer);
        return r;
    }

    private ObjectNode eventBridge(RequestContext ctx, String bucket, String eventName, String key, long size, String etag, String versionId,
                                   String sequencer, Instant time) {
        String type = switch (eventName.substring(0, eventName.indexOf(':'))) {
            case "ObjectCreated" -> "Object Created";
            case "ObjectRemoved" -> "Object Deleted";
            case "ObjectTagging" -> eventName.endsWith(":Put") ? "Object Tags Added" : "Object Tags Deleted";
            case "ObjectAcl" -> "Object ACL Updated";
            default -> eventName;
        };
        ObjectNode e = Values.object().put("version", "0").put("id", java.util.UUID.randomUUID().toString()).put("detail-type", type)
                .put("source", "aws.s3").put("account", ctx.accountId()).put("time", Values.iso8601(time.truncatedTo(java.time.temporal.ChronoUnit.SECONDS)))
                .put("region", ctx.region());
        e.putArray("resources").add("arn:aws:s3:::" + bucket);
        ObjectNode d = e.putObject("detail").put("version", "0");
        d.putObject("bucket").put("name", bucket);
        ObjectNode o = d.putObject("object").put("key", key);
        if (eventName.startsWith("ObjectCreated")) o.put("size", size).put("etag", etag.replace("\"", ""));
        if (versionId != null) o.put("version-id", versionId);
        o.put("sequencer", sequencer);
        d.put("request-id", ctx.requestId()).put("requester", ctx.accountId()).put("source-ip-address", "127.0.0.1");
        if (type.equals("Object Created") || type.equals("Object Deleted")) {
            d.put("reason", eventName.endsWith(":Put") ? "PutObject" : eventName.endsWith(":Copy") ? "CopyObject"
                    : eventName.endsWith(":CompleteMultipartUpload") ? "CompleteMultipartUpload" : "DeleteObject");
        }
        if (type.equals("Object Deleted")) d.put("deletion-type", eventName.endsWith("DeleteMarkerCreated") ? "Delete Marker Created" : "Permanently Deleted");
        return e;
    }

    static ObjectNode testEvent(RequestContext ctx, String bucket) {
        return Values.object().put("Service", "Amazon S3").put("Event", "s3:TestEvent").put("Time", Values.isoMillis(Instant.now()))
                .put("Bucket", bucket).put("RequestId", ctx.requestId()).put("HostId", hostId(ctx.requestId()));
    }

    private static String principal(RequestContext ctx) {
        return "AWS:" + ctx.identity().userId();
    }

    private static String hostId(String requestId) {
        return java.util.Base64.getEncoder().encodeToString(requestId.getBytes(StandardCharsets.US_ASCII));
    }
}
