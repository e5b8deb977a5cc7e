package dev.nimbus.protocol.codec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.POJONode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.Payload;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.AwsService;
import dev.nimbus.services.Operations;
import dev.nimbus.store.Blobs;
import java.io.InputStream;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Test-only S3 operations over a {@link Blobs} store: object bodies go from the request's
 * {@link Payload} stream straight into a blob file and back out as a stream, never as a byte[],
 * which is what lets a 20 MB object pass a server whose document-body limit is 1 MB.
 */
final class BlobS3 implements AwsService {
    record Meta(long size, String etag, String contentType, ObjectNode metadata, Instant lastModified, String blobId) {}

    private final Blobs blobs;
    final Map<String, Meta> objects = new ConcurrentSkipListMap<>();
    private final Map<String, ObjectNode> acls = new ConcurrentSkipListMap<>();

    BlobS3(Blobs blobs) {
        this.blobs = blobs;
    }

    @Override
    public String modelName() {
        return "s3";
    }

    @Override
    public void register(Operations ops) {
        ops.add("CreateBucket", (ctx, in) -> Values.object().put("Location", "/" + Values.text(in, "Bucket")));
        ops.add("PutObject", this::putObject);
        ops.add("GetObject", this::getObject);
        ops.add("HeadObject", this::headObject);
        ops.add("ListObjectsV2", this::listObjectsV2);
        ops.add("DeleteObjects", this::deleteObjects);
        ops.add("PutObjectAcl", (ctx, in) -> {
            find(in);
            acls.put(Values.text(in, "Bucket") + "/" + Values.text(in, "Key"), (ObjectNode) in.get("AccessControlPolicy"));
            return Values.object();
        });
        ops.add("GetObjectAcl", (ctx, in) -> {
            find(in);
            ObjectNode policy = acls.get(Values.text(in, "Bucket") + "/" + Values.text(in, "Key"));
            return policy == null ? Values.object() : policy.deepCopy();
        });
        ops.add("GetBucketLocation", (ctx, in) -> Values.object().put("LocationConstraint", "eu-west-1"));
    }

    private JsonNode putObject(RequestContext ctx, ObjectNode in) {
        String bucket = Values.text(in, "Bucket");
        String key = Values.text(in, "Key");
        Payload body = (Payload) ((POJONode) in.get("Body")).getPojo();
        MessageDigest md5 = digest("MD5");
        String blobId = bucket + "/" + HexFormat.of().formatHex(digest("SHA-256").digest(key.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        long size;
        try (InputStream stream = new DigestInputStream(body.stream(), md5)) {
            size = blobs.write(blobId, stream);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        String etag = "\"" + HexFormat.of().formatHex(md5.digest()) + "\"";
        ObjectNode metadata = in.has("Metadata") ? (ObjectNode) in.get("Metadata") : Values.object();
        objects.put(bucket + "/" + key, new Meta(size, etag, Values.text(in, "ContentType", "binary/octet-stream"), metadata, Instant.now(), blobId));
        return Values.object().put("ETag", etag);
    }

    private Meta find(ObjectNode in) {
        String key = Values.text(in, "Key");
        Meta meta = objects.get(Values.text(in, "Bucket") + "/" + key);
        if (meta == null) throw new AwsException("NoSuchKey", "The specified key does not exist.", 404).with("Key", key);
        return meta;
    }

    private ObjectNode headers(Meta meta) {
        ObjectNode out = Values.object()
                .put("ContentLength", meta.size())
                .put("ContentType", meta.contentType())
                .put("ETag", meta.etag())
                .put("AcceptRanges", "bytes");
        out.set("LastModified", Values.timestamp(meta.lastModified()));
        out.set("Metadata", meta.metadata());
        return out;
    }

    private JsonNode getObject(RequestContext ctx, ObjectNode in) {
        Meta meta = find(in);
        ObjectNode out = headers(meta);
        out.set("Body", new POJONode(new Payload(blobs.open(meta.blobId()), meta.size(), meta.contentType())));
        return out;
    }

    private JsonNode headObject(RequestContext ctx, ObjectNode in) {
        return headers(find(in));
    }

    private JsonNode listObjectsV2(RequestContext ctx, ObjectNode in) {
        String bucket = Values.text(in, "Bucket");
        String prefix = Values.text(in, "Prefix", "");
        int max = Values.integer(in, "MaxKeys", 1000);
        ObjectNode out = Values.object().put("Name", bucket).put("Prefix", prefix).put("MaxKeys", max);
        ArrayNode contents = out.putArray("Contents");
        boolean truncated = false;
        for (Map.Entry<String, Meta> e : objects.entrySet()) {
            if (!e.getKey().startsWith(bucket + "/" + prefix)) continue;
            if (contents.size() == max) {
                truncated = true;
                break;
            }
            ObjectNode o = contents.addObject().put("Key", e.getKey().substring(bucket.length() + 1)).put("Size", e.getValue().size())
                    .put("ETag", e.getValue().etag()).put("StorageClass", "STANDARD");
            o.set("LastModified", Values.timestamp(e.getValue().lastModified()));
        }
        return out.put("KeyCount", contents.size()).put("IsTruncated", truncated);
    }

    private JsonNode deleteObjects(RequestContext ctx, ObjectNode in) {
        String bucket = Values.text(in, "Bucket");
        JsonNode delete = in.get("Delete");
        boolean quiet = delete.path("Quiet").asBoolean(false);
        ObjectNode out = Values.object();
        for (JsonNode id : delete.path("Objects")) {
            String key = id.path("Key").asText();
            Meta meta = objects.remove(bucket + "/" + key);
            if (meta != null) blobs.delete(meta.blobId());
            if (!quiet) out.withArray("Deleted").addObject().put("Key", key);
        }
        return out;
    }

    private static MessageDigest digest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
