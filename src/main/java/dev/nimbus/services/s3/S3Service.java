package dev.nimbus.services.s3;

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
import dev.nimbus.services.Targets;
import dev.nimbus.store.Blobs;
import dev.nimbus.store.GroupCommit;
import dev.nimbus.store.Store;
import dev.nimbus.store.Table;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * Amazon S3: buckets and objects. Object records live in table {@code s3.objects} under
 * "bucket/key", so a listing is a range scan in key order (each record led by the markup a listing
 * writes for it: {@link Listing#stored}); object bytes are blobs, written whole
 * and checked before the record that points to them commits, so a reader never sees a partial
 * object and an upload cut off midway leaves nothing behind.
 */
public final class S3Service implements AwsService, AutoCloseable {
    static final String DEFAULT_REGION = "us-east-1";
    private static final int MAX_KEY_BYTES = 1024;
    private static final int MAX_METADATA_BYTES = 2048;
    /** Lambda's limit on a deployment package's unzipped size bounds what it may read from S3. */
    private static final long MAX_CODE_BYTES = 262_144_000;

    private final Store store;
    private final Blobs blobs;
    private final Buckets buckets;
    final Table objects;
    final Versions versions;
    private final Notifications notifications;
    private final Listing listing;
    final Multipart multipart;
    final Lifecycle lifecycle;
    private final S3Doors doors;
    private final GroupCommit commits;

    public S3Service(Store store, Targets targets) {
        this.store = store;
        this.blobs = store.blobs();
        this.buckets = new Buckets(store);
        this.objects = store.table("s3.objects");
        this.versions = new Versions(store.table("s3.versions"));
        this.notifications = new Notifications(store, targets, buckets);
        this.listing = new Listing(objects);
        this.multipart = new Multipart(store, this);
        this.lifecycle = new Lifecycle(this, buckets);
        this.doors = new S3Doors(this, buckets);
        this.commits = new GroupCommit(store);
    }

    /** Presigned URL expiry, CORS preflights by bucket rules, website endpoints: asked before API routing. */
    public dev.nimbus.services.FrontDoor frontDoor() {
        return doors;
    }

    /** Where presigned URLs' secrets come from (access key -> secret, null when unknown): the keys Nimbus issued. */
    public void checkPresignedWith(java.util.function.Function<String, String> secrets) {
        doors.secrets = secrets;
    }

    /** Runs the lifecycle expiration sweep as of {@code now} (tests; the background sweep uses the clock); returns objects deleted. */
    public int expire(Instant now) {
        return lifecycle.sweep(now);
    }

    /** Starts the lifecycle expiration sweep. */
    public void start() {
        lifecycle.start();
    }

    @Override
    public void close() {
        lifecycle.close();
    }

    @Override
    public String modelName() {
        return "s3";
    }

    @Override
    public void register(Operations ops) {
        ops.add("CreateBucket", this::createBucket);
        ops.add("DeleteBucket", this::deleteBucket);
        ops.add("HeadBucket", (ctx, in) -> Values.object().put("BucketRegion", buckets.get(bucket(in)).path("region").asText()));
        ops.add("ListBuckets", this::listBuckets);
        ops.add("GetBucketLocation", (ctx, in) -> {
            String region = buckets.get(bucket(in)).path("region").asText();
            return region.equals(DEFAULT_REGION) ? Values.object() : Values.object().put("LocationConstraint", region);
        });
        ops.add("PutObject", this::putObject);
        ops.add("GetObject", (ctx, in) -> getObject(in, true));
        ops.add("HeadObject", (ctx, in) -> getObject(in, false));
        ops.add("DeleteObject", this::deleteObject);
        ops.add("DeleteObjects", this::deleteObjects);
        ops.add("CopyObject", this::copyObject);
        ops.add("ListObjects", (ctx, in) -> listing.v1(buckets.get(bucket(in)), in));
        ops.add("ListObjectsV2", (ctx, in) -> listing.v2(buckets.get(bucket(in)), in));
        ops.add("ListObjectVersions", (ctx, in) -> versions.list(listing, buckets.get(bucket(in)), in));
        ops.add("PutBucketNotificationConfiguration", (ctx, in) -> {
            notifications.put(ctx, bucket(in), in.get("NotificationConfiguration"));
            return null;
        });
        ops.add("GetBucketNotificationConfiguration", (ctx, in) -> notifications.get(bucket(in)));
        ops.add("PutObjectAcl", this::putObjectAcl);
        ops.add("GetObjectAcl", this::getObjectAcl);
        multipart.register(ops);
        new Configs(buckets).register(ops);
        ops.add("PutObjectTagging", (ctx, in) -> {
            ObjectNode tags = Tagging.fromTagSet(in.get("Tagging"));
            update(ctx, in, "ObjectTagging:Put", r -> r.set("tags", tags));
            return null;
        });
        ops.add("GetObjectTagging", (ctx, in) -> {
            JsonNode r = version(in);
            ObjectNode out = Tagging.toTagSet(r.get("tags"));
            if (r.has("seq")) out.put("VersionId", Versions.vid(r));
            return out;
        });
        ops.add("DeleteObjectTagging", (ctx, in) -> {
            update(ctx, in, "ObjectTagging:Delete", r -> r.remove("tags"));
            return null;
        });
        ops.add("GetObjectAttributes", this::getObjectAttributes);
    }

    static String bucket(JsonNode in) {
        return Values.text(in, "Bucket");
    }

    // ---- buckets ----

    private JsonNode createBucket(RequestContext ctx, ObjectNode in) {
        String name = bucket(in);
        Buckets.checkName(name);
        String constraint = in.path("CreateBucketConfiguration").path("LocationConstraint").asText(null);
        if ("EU".equals(constraint)) constraint = "eu-west-1";
        String requestRegion = ctx.region();
        if (constraint != null && constraint.equals(DEFAULT_REGION)) {
            throw new AwsException("InvalidLocationConstraint", "The specified location-constraint is not valid", 400).with("LocationConstraint", constraint);
        }
        // The us-east-1 endpoint creates buckets in any region; every other endpoint only in its own.
        if (!requestRegion.equals(DEFAULT_REGION) && !requestRegion.equals(constraint)) {
            throw new AwsException("IllegalLocationConstraintException", "The " + (constraint == null ? "unspecified" : constraint)
                    + " location constraint is incompatible for the region specific endpoint this request was sent to.", 400);
        }
        String region = constraint == null ? DEFAULT_REGION : constraint;
        ObjectNode record = Values.object().put("name", name).put("account", ctx.accountId()).put("region", region)
                .put("created", Instant.now().truncatedTo(ChronoUnit.SECONDS).toEpochMilli());
        store.transaction(() -> {
            if (!buckets.buckets.putJsonIfAbsent(name, record)) {
                JsonNode existing = buckets.buckets.getJson(name);
                if (!existing.path("account").asText().equals(ctx.accountId())) throw Buckets.alreadyExists(name);
                // us-east-1 answers success to its owner's repeated create (legacy behaviour kept by AWS)
                if (!region.equals(DEFAULT_REGION) || !existing.path("region").asText().equals(DEFAULT_REGION)) throw Buckets.alreadyOwned(name);
            }
            if (buckets.config(name, "ownership") == null) Configs.defaults(buckets, name, Values.text(in, "ObjectOwnership", null));
        });
        return Values.object().put("Location", "/" + name);
    }

    static ObjectNode ownership(String value) {
        ObjectNode c = Values.object();
        c.putArray("Rules").addObject().put("ObjectOwnership", value);
        return c;
    }

    private JsonNode deleteBucket(RequestContext ctx, ObjectNode in) {
        String name = bucket(in);
        store.transaction(() -> {
            buckets.get(name);
            if (!objects.scan(name + "/", null, 1).isEmpty() || multipart.hasUploads(name)) {
                throw new AwsException("BucketNotEmpty", "The bucket you tried to delete is not empty", 409).with("BucketName", name);
            }
            buckets.delete(name);
        });
        return null;
    }

    private JsonNode listBuckets(RequestContext ctx, ObjectNode in) {
        String prefix = Values.text(in, "Prefix", "");
        String region = Values.text(in, "BucketRegion", null);
        int max = Values.integer(in, "MaxBuckets", 10000);
        if (max < 1 || max > 10000) throw S3Errors.invalidArgument("Argument max-buckets must be an integer between 1 and 10000", "max-buckets", String.valueOf(max));
        String token = Values.text(in, "ContinuationToken", null);
        ObjectNode out = Values.object();
        ArrayNode list = out.putArray("Buckets");
        String last = null;
        boolean more = false;
        var it = buckets.buckets.iterate(prefix, token, 1000);
        while (it.hasNext()) {
            JsonNode b = it.next().json();
            if (!b.path("account").asText().equals(ctx.accountId())) continue;
            if (region != null && !b.path("region").asText().equals(region)) continue;
            if (list.size() == max) {
                more = true;
                break;
            }
            ObjectNode e = list.addObject().put("Name", b.path("name").asText()).put("BucketRegion", b.path("region").asText());
            e.set("CreationDate", Values.timestamp(Instant.ofEpochMilli(b.path("created").asLong())));
            last = b.path("name").asText();
        }
        out.set("Owner", Buckets.owner(ctx.accountId()));
        if (!prefix.isEmpty()) out.put("Prefix", prefix);
        if (more) out.put("ContinuationToken", last);
        return out;
    }

    // ---- objects ----

    static String objectKey(String bucket, String key) {
        return bucket + "/" + key;
    }

    static void checkKey(String key) {
        if (key.getBytes(StandardCharsets.UTF_8).length > MAX_KEY_BYTES) {
            throw new AwsException("KeyTooLongError", "Your key is too long", 400).with("Size", String.valueOf(key.getBytes(StandardCharsets.UTF_8).length))
                    .with("MaxSizeAllowed", String.valueOf(MAX_KEY_BYTES));
        }
    }

    /** User metadata is limited to 2 KB, counted as the UTF-8 bytes of every key and value. */
    static void checkMetadata(JsonNode metadata) {
        if (metadata == null) return;
        int size = 0;
        for (var it = metadata.fields(); it.hasNext(); ) {
            var e = it.next();
            size += e.getKey().getBytes(StandardCharsets.UTF_8).length + e.getValue().asText().getBytes(StandardCharsets.UTF_8).length;
        }
        if (size > MAX_METADATA_BYTES) {
            throw new AwsException("MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size.", 400)
                    .with("Size", String.valueOf(size)).with("MaxSizeAllowed", String.valueOf(MAX_METADATA_BYTES));
        }
    }

    /** The object's stored headers as they come in (PutObject, CopyObject with REPLACE, CreateMultipartUpload). */
    static ObjectNode headersOf(JsonNode in) {
        ObjectNode h = Values.object();
        for (String m : List.of("CacheControl", "ContentDisposition", "ContentEncoding", "ContentLanguage", "WebsiteRedirectLocation", "ServerSideEncryption")) {
            if (in.hasNonNull(m)) h.put(m, in.get(m).asText());
        }
        if (in.hasNonNull("Expires")) h.set("Expires", in.get("Expires"));
        return h;
    }

    /** A new object record (the blobs already written). */
    static ObjectNode record(JsonNode in, String contentType, JsonNode metadata, ObjectNode headers, ArrayNode parts, long size, String etag) {
        ObjectNode r = Values.object().put("size", size).put("etag", etag)
                .put("modified", Instant.now().truncatedTo(ChronoUnit.SECONDS).toEpochMilli())
                .put("type", contentType == null ? "binary/octet-stream" : contentType)
                .put("storage", Values.text(in, "StorageClass", "STANDARD"));
        r.set("meta", metadata == null ? Values.object() : metadata);
        r.set("headers", headers);
        r.set("parts", parts);
        return r;
    }

    static ArrayNode oneBlob(String id, long size) {
        ArrayNode parts = Values.array();
        parts.addObject().put("id", id).put("size", size);
        return parts;
    }

    private JsonNode putObject(RequestContext ctx, ObjectNode in) {
        String bucket = bucket(in);
        String key = Values.text(in, "Key");
        checkKey(key);
        checkMetadata(in.get("Metadata"));
        buckets.settings(bucket);
        Payload body = (Payload) ((POJONode) in.get("Body")).getPojo();
        Upload up = Upload.receive(blobs, body.stream(), body.length(), Values.text(in, "ContentMD5", null), Checksums.orDefault(Upload.declared(in)));
        ObjectNode record = record(in, body.contentType(), in.get("Metadata"), headersOf(in), up.parts(), up.size(), up.etag());
        record.set("checksum", Checksums.record(up.checksums()));
        if (in.hasNonNull("Tagging")) record.set("tags", Tagging.parseHeader(in.get("Tagging").asText()));
        String versionId = publish(ctx, bucket, key, record, in, "ObjectCreated:Put", null);
        ObjectNode out = Values.object().put("ETag", up.etag());
        if (versionId != null) out.put("VersionId", versionId);
        up.checksums().forEach((alg, v) -> out.put(Checksums.member(alg), v));
        out.put("ChecksumType", "FULL_OBJECT");
        return out;
    }

    /**
     * Makes a record the key's current object in one transaction (conditions checked inside it),
     * fires the bucket's notifications, and deletes the replaced object's blobs once committed.
     * If anything fails, nothing was published; the new blobs are deleted unless {@code alsoInTransaction}
     * is given (completing a multipart upload: its parts stay with the upload). On a versioned
     * bucket the replaced object becomes a noncurrent version; returns the new version id (null
     * when the bucket never had versioning). Without {@code alsoInTransaction}, writes made at the same
     * time commit together ({@link GroupCommit}), so never call this inside a store transaction.
     */
    String publish(RequestContext ctx, String bucket, String key, ObjectNode record, JsonNode conditions, String event, Runnable alsoInTransaction) {
        List<Runnable> after = new ArrayList<>();
        List<JsonNode> dropped = new ArrayList<>();
        String versionId;
        java.util.function.Supplier<String> work = () -> {
            after.clear();
            dropped.clear();
            String status = buckets.settings(bucket).bucket().path("versioning").asText(null);
            JsonNode old = objects.getJson(objectKey(bucket, key));
            checkWriteConditions(conditions, Versions.isMarker(old) ? null : old, key);
            String id = null;
            if (status == null) {
                if (old != null) dropped.add(old);
            } else {
                id = versions.stack(bucket, key, record, old, status.equals("Enabled"), dropped);
            }
            objects.putJson(objectKey(bucket, key), Listing.stored(record));
            if (alsoInTransaction != null) alsoInTransaction.run();
            after.addAll(notifications.fire(ctx, bucket, event, key, record.path("size").asLong(), record.path("etag").asText(), id));
            return id;
        };
        try {
            // completing a multipart upload commits on its own: its extra work is not written to run twice
            versionId = alsoInTransaction == null ? commits.run(work) : store.transaction(work);
        } catch (RuntimeException e) {
            if (alsoInTransaction == null) deleteBlobs(record);
            throw e;
        }
        dropped.forEach(this::deleteBlobs);
        after.forEach(Runnable::run);
        return versionId;
    }

    /** Conditional writes (If-None-Match: *, If-Match: etag) on PutObject and CompleteMultipartUpload. */
    private static void checkWriteConditions(JsonNode in, JsonNode old, String key) {
        if (in == null) return;
        String noneMatch = in.path("IfNoneMatch").asText(null);
        if (noneMatch != null && old != null) throw S3Errors.preconditionFailed("If-None-Match");
        String match = in.path("IfMatch").asText(null);
        if (match != null) {
            if (old == null) throw S3Errors.noSuchKey(key);
            if (!etagMatches(match, old.path("etag").asText())) throw S3Errors.preconditionFailed("If-Match");
        }
    }

    void deleteBlobs(JsonNode record) {
        // a small object's bytes are in its record ("data"): nothing else to delete
        for (JsonNode p : record.path("parts")) if (p.has("id")) blobs.delete(p.path("id").asText());
    }

    /** An object's bytes whole, for Lambda's code from S3 (deployment packages are bounded, so never a large object). */
    public byte[] readObject(String bucket, String key, String versionId) {
        JsonNode r = find(bucket, key, versionId);
        long size = r.path("size").asLong();
        if (size > MAX_CODE_BYTES) {
            throw new AwsException("EntityTooLarge", "Your proposed upload exceeds the maximum allowed object size.", 400);
        }
        try (InputStream in = new ObjectBody(blobs, r.path("parts"), 0, size)) {
            return in.readAllBytes();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    Blobs blobs() {
        return blobs;
    }

    void requireBucket(String bucket) {
        buckets.settings(bucket);
    }

    JsonNode find(String bucket, String key) {
        return find(bucket, key, null);
    }

    /**
     * The key's current object, or the version {@code versionId} (null: the current one). A key
     * whose current version is a delete marker is NoSuchKey; a delete marker asked for by its
     * version id is MethodNotAllowed; both say x-amz-delete-marker, as S3 does.
     */
    JsonNode find(String bucket, String key, String versionId) {
        buckets.settings(bucket);
        JsonNode r = objects.getJson(objectKey(bucket, key));
        if (versionId == null) {
            if (r == null) throw S3Errors.noSuchKey(key);
            if (Versions.isMarker(r)) throw S3Errors.noSuchKey(key).withHeader("x-amz-delete-marker", "true").withHeader("x-amz-version-id", Versions.vid(r));
            return r;
        }
        if (r == null || !Versions.vid(r).equals(versionId)) {
            Table.Entry e = versions.find(bucket, key, versionId);
            r = e == null ? null : e.json();
        }
        if (r == null) {
            throw new AwsException("NoSuchVersion", "The specified version does not exist.", 404).with("Key", key).with("VersionId", versionId);
        }
        if (Versions.isMarker(r)) {
            throw new AwsException("MethodNotAllowed", "The specified method is not allowed against this resource.", 405).with("Method", "GET")
                    .with("ResourceType", "DeleteMarker").withHeader("x-amz-delete-marker", "true").withHeader("x-amz-version-id", versionId)
                    .withHeader("Allow", "DELETE");
        }
        return r;
    }

    private JsonNode getObject(ObjectNode in, boolean withBody) {
        String bucket = bucket(in);
        String key = Values.text(in, "Key");
        JsonNode r = find(bucket, key, Values.text(in, "VersionId", null));
        checkReadConditions(in, r);
        long size = r.path("size").asLong();
        ObjectNode out = headers(r);
        long start = 0, length = size;
        int partNumber = Values.integer(in, "PartNumber", 0);
        if (in.has("PartNumber")) {
            JsonNode parts = r.path("parts");
            int count = r.path("partsCount").asInt(0);
            if (partNumber < 1 || partNumber > Math.max(count, 1)) {
                throw new AwsException("InvalidPartNumber", "The requested partnumber is not satisfiable", 416).with("PartNumberRequested", String.valueOf(partNumber))
                        .with("ActualPartCount", String.valueOf(Math.max(count, 1)));
            }
            for (int i = 0; i < partNumber - 1 && count > 0; i++) start += parts.get(i).path("size").asLong();
            length = count > 0 ? parts.get(partNumber - 1).path("size").asLong() : size;
            if (count > 0) out.put("PartsCount", count);
            out.put("ContentRange", "bytes " + start + "-" + (start + length - 1) + "/" + size);
        } else if (in.hasNonNull("Range")) {
            long[] range = Ranges.parse(in.get("Range").asText(), size);
            if (range != null) {
                start = range[0];
                length = range[1] - range[0] + 1;
                out.put("ContentRange", "bytes " + start + "-" + range[1] + "/" + size);
            }
        }
        if ("ENABLED".equals(in.path("ChecksumMode").asText())) Checksums.forRead(out, r, start == 0 && length == size, partNumber);
        out.put("ContentLength", length);
        overrides(in, out);
        if (withBody) out.set("Body", new POJONode(new Payload(new ObjectBody(blobs, r.path("parts"), start, length), length, out.path("ContentType").asText())));
        return out;
    }

    /** The headers GetObject and HeadObject answer with, from the record. */
    static ObjectNode headers(JsonNode r) {
        ObjectNode out = Values.object().put("ContentType", r.path("type").asText()).put("ETag", r.path("etag").asText()).put("AcceptRanges", "bytes");
        out.set("LastModified", Values.timestamp(Instant.ofEpochMilli(r.path("modified").asLong())));
        JsonNode meta = r.path("meta");
        if (!meta.isEmpty()) out.set("Metadata", meta);
        r.path("headers").fields().forEachRemaining(e -> out.set(e.getKey(), e.getValue()));
        String storage = r.path("storage").asText("STANDARD");
        if (!storage.equals("STANDARD")) out.put("StorageClass", storage);
        if (r.path("tags").size() > 0) out.put("TagCount", r.path("tags").size());
        if (r.has("seq")) out.put("VersionId", Versions.vid(r));
        return out;
    }

    private static void overrides(JsonNode in, ObjectNode out) {
        for (String[] o : new String[][] {{"ResponseContentType", "ContentType"}, {"ResponseContentLanguage", "ContentLanguage"},
                {"ResponseCacheControl", "CacheControl"}, {"ResponseContentDisposition", "ContentDisposition"},
                {"ResponseContentEncoding", "ContentEncoding"}, {"ResponseExpires", "Expires"}}) {
            if (in.hasNonNull(o[0])) out.set(o[1], in.get(o[0]));
        }
    }

    /**
     * If-Match / If-Unmodified-Since (412) and If-None-Match / If-Modified-Since (304), with RFC
     * 7232's precedence: a true If-Match outranks a false If-Unmodified-Since, a false If-None-Match
     * outranks a true If-Modified-Since.
     */
    static void checkReadConditions(JsonNode in, JsonNode r) {
        String etag = r.path("etag").asText();
        Instant modified = Instant.ofEpochMilli(r.path("modified").asLong());
        String match = in.path("IfMatch").asText(null);
        if (match != null && !etagMatches(match, etag)) throw S3Errors.preconditionFailed("If-Match");
        Instant unmodifiedSince = Values.instant(in.get("IfUnmodifiedSince"));
        if (match == null && unmodifiedSince != null && modified.isAfter(unmodifiedSince)) throw S3Errors.preconditionFailed("If-Unmodified-Since");
        String noneMatch = in.path("IfNoneMatch").asText(null);
        if (noneMatch != null && etagMatches(noneMatch, etag)) throw S3Errors.notModified();
        Instant modifiedSince = Values.instant(in.get("IfModifiedSince"));
        if (noneMatch == null && modifiedSince != null && !modified.isAfter(modifiedSince)) throw S3Errors.notModified();
    }

    static boolean etagMatches(String condition, String etag) {
        for (String c : condition.split(",")) {
            String t = c.trim();
            if (t.equals("*") || t.equals(etag) || ("\"" + t + "\"").equals(etag)) return true;
        }
        return false;
    }

    private JsonNode deleteObject(RequestContext ctx, ObjectNode in) {
        Removed r = remove(ctx, bucket(in), Values.text(in, "Key"), Values.text(in, "VersionId", null), "ObjectRemoved");
        ObjectNode out = Values.object();
        if (r.marker) out.put("DeleteMarker", true);
        if (r.versionId != null) out.put("VersionId", r.versionId);
        return out;
    }

    /** What a delete did: the version it removed or the delete marker it created (null: an unversioned delete). */
    record Removed(String versionId, boolean marker) {}

    /** Deletes the key's current object (or the version {@code versionId}) and tells the bucket's listeners. */
    void remove(RequestContext ctx, String bucket, String key) {
        remove(ctx, bucket, key, null, "ObjectRemoved");
    }

    /**
     * Without a version id: on an unversioned bucket deletes the object if present (deleting nothing
     * is a success in S3), on a versioned one stacks a delete marker ({@code event}:DeleteMarkerCreated).
     * With one: deletes that version for good, the newest remaining one becoming current.
     */
    Removed remove(RequestContext ctx, String bucket, String key, String versionId, String event) {
        List<Runnable> after = new ArrayList<>();
        List<JsonNode> dropped = new ArrayList<>();
        Removed result = store.transaction(() -> {
            after.clear();
            dropped.clear();
            String status = buckets.settings(bucket).bucket().path("versioning").asText(null);
            String k = objectKey(bucket, key);
            JsonNode current = objects.getJson(k);
            if (versionId == null && status != null) {
                ObjectNode marker = Values.object().put("marker", true).put("modified", Instant.now().truncatedTo(ChronoUnit.SECONDS).toEpochMilli());
                String id = versions.stack(bucket, key, marker, current, status.equals("Enabled"), dropped);
                objects.putJson(k, Listing.stored(marker));
                after.addAll(notifications.fire(ctx, bucket, event + ":DeleteMarkerCreated", key, 0, "", id));
                return new Removed(id, true);
            }
            if (versionId == null || current != null && Versions.vid(current).equals(versionId)) {
                if (current == null) return new Removed(null, false);
                objects.delete(k);
                ObjectNode next = status == null ? null : versions.promote(bucket, key);
                if (next != null) objects.putJson(k, Listing.stored(next));
                dropped.add(current);
                after.addAll(notifications.fire(ctx, bucket, event + ":Delete", key, 0, "", versionId));
                return new Removed(versionId, Versions.isMarker(current));
            }
            Table.Entry old = versions.find(bucket, key, versionId);
            if (old == null) return new Removed(versionId, false);
            versions.versions.delete(old.key());
            dropped.add(old.json());
            after.addAll(notifications.fire(ctx, bucket, event + ":Delete", key, 0, "", versionId));
            return new Removed(versionId, Versions.isMarker(old.json()));
        });
        dropped.forEach(this::deleteBlobs);
        after.forEach(Runnable::run);
        return result;
    }

    private JsonNode deleteObjects(RequestContext ctx, ObjectNode in) {
        String bucket = bucket(in);
        buckets.get(bucket);
        JsonNode delete = in.get("Delete");
        JsonNode items = delete.path("Objects");
        if (items.size() > 1000) throw S3Errors.malformedXml();
        boolean quiet = delete.path("Quiet").asBoolean(false);
        ObjectNode out = Values.object();
        ArrayNode deleted = out.putArray("Deleted");
        for (JsonNode id : items) {
            String key = id.path("Key").asText();
            Removed r = remove(ctx, bucket, key, Values.text(id, "VersionId", null), "ObjectRemoved");
            if (quiet) continue;
            ObjectNode d = deleted.addObject().put("Key", key);
            if (id.hasNonNull("VersionId")) d.put("VersionId", r.versionId);
            if (r.marker) d.put("DeleteMarker", true).put("DeleteMarkerVersionId", r.versionId);
        }
        return out;
    }

    private JsonNode copyObject(RequestContext ctx, ObjectNode in) {
        String bucket = bucket(in);
        String key = Values.text(in, "Key");
        checkKey(key);
        String[] source = copySource(Values.text(in, "CopySource"));
        JsonNode src = find(source[0], source[1], source[2]);
        checkCopyConditions(in, src);
        boolean replace = "REPLACE".equals(in.path("MetadataDirective").asText("COPY"));
        // copying an older version over its key is how a version is restored, not a copy to itself
        boolean sameObject = source[0].equals(bucket) && source[1].equals(key) && source[2] == null;
        if (sameObject && !replace && !in.hasNonNull("StorageClass") && !in.hasNonNull("WebsiteRedirectLocation") && !in.hasNonNull("ServerSideEncryption")) {
            throw S3Errors.invalidRequest("This copy request is illegal because it is trying to copy an object to itself without changing the object's"
                    + " metadata, storage class, website redirect location or encryption attributes.");
        }
        if (replace) checkMetadata(in.get("Metadata"));
        buckets.get(bucket);
        Upload up;
        try (InputStream body = new ObjectBody(blobs, src.path("parts"), 0, src.path("size").asLong())) {
            up = Upload.receive(blobs, body, src.path("size").asLong(), null, Checksums.forCopy(in, src));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        ObjectNode record = replace
                ? record(in, Values.text(in, "ContentType", null), in.get("Metadata"), headersOf(in), up.parts(), up.size(), up.etag())
                : record(in, src.path("type").asText(), src.path("meta"), (ObjectNode) src.path("headers"), up.parts(), up.size(), up.etag());
        if (!in.hasNonNull("StorageClass")) record.put("storage", src.path("storage").asText("STANDARD"));
        record.set("checksum", Checksums.record(up.checksums()));
        if ("REPLACE".equals(in.path("TaggingDirective").asText())) {
            if (in.hasNonNull("Tagging")) record.set("tags", Tagging.parseHeader(in.get("Tagging").asText()));
        } else if (src.has("tags")) {
            record.set("tags", src.get("tags"));
        }
        String versionId = publish(ctx, bucket, key, record, null, "ObjectCreated:Copy", null);
        ObjectNode result = Values.object().put("ETag", up.etag());
        result.set("LastModified", Values.timestamp(Instant.ofEpochMilli(record.path("modified").asLong())));
        Checksums.put(result, record.get("checksum"));
        ObjectNode out = Values.object();
        if (versionId != null) out.put("VersionId", versionId);
        if (src.has("seq")) out.put("CopySourceVersionId", Versions.vid(src));
        out.set("CopyObjectResult", result);
        return out;
    }

    /** x-amz-copy-source: "bucket/key" or "/bucket/key", URL-encoded, optionally with "?versionId=": {bucket, key, version id or null}. */
    static String[] copySource(String header) {
        String s = header;
        String version = null;
        int q = s.indexOf("?versionId=");
        if (q >= 0) {
            version = s.substring(q + "?versionId=".length());
            s = s.substring(0, q);
        }
        s = URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
        if (s.startsWith("/")) s = s.substring(1);
        int slash = s.indexOf('/');
        if (slash <= 0 || slash == s.length() - 1) throw S3Errors.invalidArgument("Invalid copy source object key", "x-amz-copy-source", header);
        return new String[] {s.substring(0, slash), s.substring(slash + 1), version};
    }

    static void checkCopyConditions(JsonNode in, JsonNode src) {
        String etag = src.path("etag").asText();
        Instant modified = Instant.ofEpochMilli(src.path("modified").asLong());
        String match = in.path("CopySourceIfMatch").asText(null);
        if (match != null && !etagMatches(match, etag)) throw S3Errors.preconditionFailed("x-amz-copy-source-If-Match");
        Instant unmodifiedSince = Values.instant(in.get("CopySourceIfUnmodifiedSince"));
        if (match == null && unmodifiedSince != null && modified.isAfter(unmodifiedSince)) throw S3Errors.preconditionFailed("x-amz-copy-source-If-Unmodified-Since");
        String noneMatch = in.path("CopySourceIfNoneMatch").asText(null);
        if (noneMatch != null && etagMatches(noneMatch, etag)) throw S3Errors.preconditionFailed("x-amz-copy-source-If-None-Match");
        Instant modifiedSince = Values.instant(in.get("CopySourceIfModifiedSince"));
        if (noneMatch == null && modifiedSince != null && !modified.isAfter(modifiedSince)) throw S3Errors.preconditionFailed("x-amz-copy-source-If-Modified-Since");
    }

    /** The object (or its version VersionId) that a request on one object names. */
    private JsonNode version(JsonNode in) {
        return find(bucket(in), Values.text(in, "Key"), Values.text(in, "VersionId", null));
    }

    /** Changes the record of the object (or its version VersionId) in place (tags, ACL), in one transaction. */
    /** Changes an object's (or a version's) record in place, and tells the bucket's notification targets with {@code event}. */
    private void update(RequestContext ctx, JsonNode in, String event, java.util.function.Consumer<ObjectNode> change) {
        String bucket = bucket(in), key = Values.text(in, "Key"), versionId = Values.text(in, "VersionId", null);
        List<Runnable> after = store.transaction(() -> {
            ObjectNode r = (ObjectNode) find(bucket, key, versionId);
            change.accept(r);
            JsonNode current = objects.getJson(objectKey(bucket, key));
            if (versionId == null || Versions.vid(current).equals(versionId)) objects.putJson(objectKey(bucket, key), Listing.stored(r));
            else versions.versions.putJson(versions.find(bucket, key, versionId).key(), r);
            return notifications.fire(ctx, bucket, event, key, r.path("size").asLong(), r.path("etag").asText(), r.has("seq") ? Versions.vid(r) : null);
        });
        after.forEach(Runnable::run);
    }

    private JsonNode getObjectAttributes(RequestContext ctx, ObjectNode in) {
        JsonNode r = version(in);
        List<String> wanted = new ArrayList<>();
        for (JsonNode a : in.path("ObjectAttributes")) wanted.add(a.asText());
        ObjectNode out = Values.object();
        out.set("LastModified", Values.timestamp(Instant.ofEpochMilli(r.path("modified").asLong())));
        // GetObjectAttributes gives the ETag without its quotes
        if (wanted.contains("ETag")) out.put("ETag", r.path("etag").asText().replace("\"", ""));
        if (wanted.contains("ObjectSize")) out.put("ObjectSize", r.path("size").asLong());
        if (wanted.contains("StorageClass")) out.put("StorageClass", r.path("storage").asText("STANDARD"));
        if (wanted.contains("Checksum") && r.has("checksum")) {
            Checksums.put(out.putObject("Checksum"), r.get("checksum"));
        }
        if (wanted.contains("ObjectParts") && r.path("partsCount").asInt(0) > 0) out.set("ObjectParts", Multipart.objectParts(r, in));
        return out;
    }

    // ---- ACLs: stored and returned (enforcement belongs to the IAM work) ----

    private JsonNode putObjectAcl(RequestContext ctx, ObjectNode in) {
        JsonNode policy = in.get("AccessControlPolicy");
        JsonNode acl = policy != null ? policy : Acls.canned(ctx.accountId(), Values.text(in, "ACL", "private"));
        update(ctx, in, "ObjectAcl:Put", r -> r.set("acl", acl));
        return null;
    }

    private JsonNode getObjectAcl(RequestContext ctx, ObjectNode in) {
        JsonNode r = version(in);
        return r.has("acl") ? r.get("acl") : Acls.canned(ctx.accountId(), "private");
    }
}
