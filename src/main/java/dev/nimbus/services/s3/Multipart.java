package dev.nimbus.services.s3;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.POJONode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.Payload;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.Values;
import dev.nimbus.protocol.codec.AwsChunkedInputStream;
import dev.nimbus.services.Operations;
import dev.nimbus.store.Store;
import dev.nimbus.store.Table;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * Multipart uploads: an upload record (table {@code s3.uploads}, key bucket/uploadId) and its
 * parts (table {@code s3.parts}, key uploadId/00001), each part a blob of its own. Completing an
 * upload does not copy bytes: the object's record lists the chosen parts' blobs in order. An upload
 * created with a ChecksumAlgorithm keeps each part's checksum, and the object gets their COMPOSITE
 * checksum or, for a FULL_OBJECT upload, their CRCs combined ({@link Checksums}).
 */
final class Multipart {
    static final long MIN_PART = 5L * 1024 * 1024;
    private static final int MAX_PART_NUMBER = 10000;

    private final Store store;
    private final S3Service s3;
    private final Table uploads;
    private final Table parts;

    Multipart(Store store, S3Service s3) {
        this.store = store;
        this.s3 = s3;
        this.uploads = store.table("s3.uploads");
        this.parts = store.table("s3.parts");
    }

    void register(Operations ops) {
        ops.add("CreateMultipartUpload", this::create);
        ops.add("UploadPart", this::uploadPart);
        ops.add("UploadPartCopy", this::uploadPartCopy);
        ops.add("CompleteMultipartUpload", this::complete);
        ops.add("AbortMultipartUpload", this::abort);
        ops.add("ListParts", this::listParts);
        ops.add("ListMultipartUploads", this::listUploads);
    }

    boolean hasUploads(String bucket) {
        return !uploads.scan(bucket + "/", null, 1).isEmpty();
    }

    private JsonNode create(RequestContext ctx, ObjectNode in) {
        String bucket = S3Service.bucket(in);
        String key = Values.text(in, "Key");
        S3Service.checkKey(key);
        S3Service.checkMetadata(in.get("Metadata"));
        s3.requireBucket(bucket);
        // Upload ids sort by creation time, which is the order ListMultipartUploads gives a key's uploads in.
        String uploadId = String.format("%013x", System.currentTimeMillis()) + UUID.randomUUID().toString().replace("-", "");
        ObjectNode u = Values.object().put("bucket", bucket).put("key", key).put("account", ctx.accountId())
                .put("initiated", Instant.now().truncatedTo(ChronoUnit.SECONDS).toEpochMilli())
                .put("type", Values.text(in, "ContentType", "binary/octet-stream")).put("storage", Values.text(in, "StorageClass", "STANDARD"));
        u.set("meta", in.has("Metadata") ? in.get("Metadata") : Values.object());
        u.set("headers", S3Service.headersOf(in));
        if (in.hasNonNull("Tagging")) u.set("tags", Tagging.parseHeader(in.get("Tagging").asText()));
        checksumMode(in, u);
        uploads.putJson(bucket + "/" + uploadId, u);
        ObjectNode out = Values.object().put("Bucket", bucket).put("Key", key).put("UploadId", uploadId);
        if (u.has("checksum")) out.put("ChecksumAlgorithm", u.get("checksum").asText()).put("ChecksumType", checksumType(u));
        return out;
    }

    /**
     * The upload's checksum algorithm and type: COMPOSITE (a checksum of the part checksums) by default, FULL_OBJECT
     * (the parts' CRCs combined) for CRC64NVME; SHA algorithms cannot combine into a full-object value.
     */
    private static void checksumMode(JsonNode in, ObjectNode u) {
        String type = Values.text(in, "ChecksumType", null);
        if (!in.hasNonNull("ChecksumAlgorithm")) {
            if (type != null) throw new AwsException("InvalidRequest", "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.", 400);
            return;
        }
        String alg = in.get("ChecksumAlgorithm").asText().toUpperCase(Locale.ROOT);
        if (!Checksums.ALGORITHMS.contains(alg)) throw new AwsException("InvalidRequest", "Checksum algorithm provided is unsupported.", 400);
        if (type == null) type = alg.equals("CRC64NVME") ? "FULL_OBJECT" : "COMPOSITE";
        if (!type.equals("FULL_OBJECT") && !type.equals("COMPOSITE")) throw new AwsException("InvalidRequest", "Value for x-amz-checksum-type header is invalid.", 400);
        if (type.equals("FULL_OBJECT") && alg.startsWith("SHA") || type.equals("COMPOSITE") && alg.equals("CRC64NVME")) {
            throw new AwsException("InvalidRequest", "The " + type + " checksum type cannot be used with the " + alg.toLowerCase(Locale.ROOT)
                    + " checksum algorithm.", 400);
        }
        u.put("checksum", alg).put("checksumType", type);
    }

    private static String checksumType(JsonNode u) {
        return u.path("checksumType").asText("COMPOSITE");
    }

    /**
     * The checksums a part is stored with: those the request carries, and always the upload's algorithm (S3 computes it
     * for a FULL_OBJECT upload when the request has none). A request with another algorithm, or a COMPOSITE upload's part
     * without its checksum, is refused.
     */
    private static Map<String, String> partChecksums(JsonNode u, JsonNode in) {
        Map<String, String> declared = Upload.declared(in);
        String alg = u.path("checksum").asText(null);
        if (alg == null) return declared;
        for (String a : declared.keySet()) if (!a.equals(alg)) throw typeMismatch(alg, a);
        declared.putIfAbsent(alg, null);
        return declared;
    }

    private static AwsException typeMismatch(String expected, String actual) {
        return new AwsException("InvalidRequest", "Checksum Type mismatch occurred, expected checksum Type: " + expected.toLowerCase(Locale.ROOT)
                + ", actual checksum Type: " + (actual == null ? "null" : actual.toLowerCase(Locale.ROOT)), 400);
    }

    private ObjectNode upload(String bucket, String key, String uploadId) {
        s3.requireBucket(bucket);
        JsonNode u = uploads.getJson(bucket + "/" + uploadId);
        if (u == null || key != null && !u.path("key").asText().equals(key)) throw S3Errors.noSuchUpload(uploadId);
        return (ObjectNode) u;
    }

    private static int partNumber(JsonNode in) {
        int n = Values.integer(in, "PartNumber", 0);
        if (n < 1 || n > MAX_PART_NUMBER) {
            throw S3Errors.invalidArgument("Part number must be an integer between 1 and 10000, inclusive", "partNumber", String.valueOf(n));
        }
        return n;
    }

    private static String partKey(String uploadId, int n) {
        return uploadId + "/" + String.format("%05d", n);
    }

    private JsonNode uploadPart(RequestContext ctx, ObjectNode in) {
        String bucket = S3Service.bucket(in);
        String uploadId = Values.text(in, "UploadId");
        int n = partNumber(in);
        JsonNode u = upload(bucket, Values.text(in, "Key"), uploadId);
        Map<String, String> declared = partChecksums(u, in);
        String expected = u.path("checksum").asText(null);
        Payload body = (Payload) ((POJONode) in.get("Body")).getPojo();
        Upload up = Upload.store(s3.blobs(), body.stream(), body.length(), Values.text(in, "ContentMD5", null), withDefault(u, declared));
        if (expected != null && checksumType(u).equals("COMPOSITE") && declared.get(expected) == null && !trailed(body, expected)) {
            // the upload's algorithm was computed here, not sent: a COMPOSITE upload needs the client's own value
            s3.blobs().delete(up.blobId());
            throw typeMismatch(expected, null);
        }
        Map<String, String> given = new LinkedHashMap<>(up.checksums());
        // the default computed for an upload without an algorithm is the object's business, not this part's answer
        if (expected == null && !declared.containsKey(Checksums.DEFAULT) && !trailed(body, Checksums.DEFAULT)) given.remove(Checksums.DEFAULT);
        ObjectNode part = newPart(u, up, given, Instant.now());
        savePart(bucket, uploadId, n, part);
        ObjectNode out = Values.object().put("ETag", up.etag());
        given.forEach((alg, v) -> out.put(Checksums.member(alg), v));
        return out;
    }

    /**
     * The checksums a part computes: those asked for and, in an upload created without an algorithm, S3's default
     * too, since the object such an upload completes gets the parts' CRC64NVMEs combined into a full-object one.
     */
    private static Map<String, String> withDefault(JsonNode u, Map<String, String> declared) {
        if (u.has("checksum") || declared.containsKey(Checksums.DEFAULT)) return declared;
        Map<String, String> out = new LinkedHashMap<>(declared);
        out.put(Checksums.DEFAULT, null);
        return out;
    }

    /** A part's record: its blob, size, ETag, the checksums it answers with, and the default one kept for the object. */
    private static ObjectNode newPart(JsonNode u, Upload up, Map<String, String> given, Instant modified) {
        ObjectNode part = Values.object().put("id", up.blobId()).put("size", up.size()).put("etag", up.etag()).put("md5", HexFormat.of().formatHex(up.md5()))
                .put("modified", modified.toEpochMilli());
        ObjectNode sums = part.putObject("checksums");
        given.forEach(sums::put);
        if (!u.has("checksum")) part.put("default", up.checksums().get(Checksums.DEFAULT));
        return part;
    }

    /** Whether an aws-chunked body, now read, carried the algorithm's checksum as a trailer. */
    private static boolean trailed(Payload body, String alg) {
        return body.stream() instanceof AwsChunkedInputStream chunked && chunked.trailers().containsKey(Checksums.header(alg));
    }

    /** Records a part (replacing one with the same number), unless the upload ended meanwhile; then the blob goes. */
    private void savePart(String bucket, String uploadId, int n, ObjectNode part) {
        JsonNode old;
        try {
            old = store.transaction(() -> {
                if (uploads.get(bucket + "/" + uploadId) == null) throw S3Errors.noSuchUpload(uploadId);
                JsonNode previous = parts.getJson(partKey(uploadId, n));
                parts.putJson(partKey(uploadId, n), part);
                return previous;
            });
        } catch (RuntimeException e) {
            s3.blobs().delete(part.path("id").asText());
            throw e;
        }
        if (old != null) s3.blobs().delete(old.path("id").asText());
    }

    private JsonNode uploadPartCopy(RequestContext ctx, ObjectNode in) {
        String bucket = S3Service.bucket(in);
        String uploadId = Values.text(in, "UploadId");
        int n = partNumber(in);
        JsonNode u = upload(bucket, Values.text(in, "Key"), uploadId);
        String[] source = S3Service.copySource(Values.text(in, "CopySource"));
        JsonNode src = s3.find(source[0], source[1], source[2]);
        S3Service.checkCopyConditions(in, src);
        long size = src.path("size").asLong();
        long start = 0, length = size;
        if (in.hasNonNull("CopySourceRange")) {
            long[] r = Ranges.copySource(in.get("CopySourceRange").asText(), size);
            start = r[0];
            length = r[1] - r[0] + 1;
        }
        Upload up;
        try (InputStream body = new ObjectBody(s3.blobs(), src.path("parts"), start, length)) {
            // a copied part gets the upload's checksum, computed from its bytes
            String alg = u.path("checksum").asText(Checksums.DEFAULT);
            up = Upload.store(s3.blobs(), body, length, null, Collections.singletonMap(alg, null));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Instant now = Instant.now();
        Map<String, String> given = u.has("checksum") ? up.checksums() : Map.of();
        ObjectNode part = newPart(u, up, given, now);
        savePart(bucket, uploadId, n, part);
        ObjectNode result = Values.object().put("ETag", up.etag());
        given.forEach((alg, v) -> result.put(Checksums.member(alg), v));
        result.set("LastModified", Values.timestamp(now.truncatedTo(ChronoUnit.SECONDS)));
        ObjectNode out = Values.object();
        out.set("CopyPartResult", result);
        return out;
    }

    private JsonNode complete(RequestContext ctx, ObjectNode in) {
        String bucket = S3Service.bucket(in);
        String key = Values.text(in, "Key");
        String uploadId = Values.text(in, "UploadId");
        ObjectNode u = upload(bucket, key, uploadId);
        JsonNode listed = in.path("MultipartUpload").path("Parts");
        if (listed.isEmpty()) {
            throw new AwsException("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema", 400);
        }
        ArrayNode blobs = Values.array();
        MessageDigest md5s = Checksums.md("MD5");
        long size = 0;
        int previous = 0;
        // The order is checked first: S3 answers InvalidPartOrder before looking at any part.
        for (JsonNode p : listed) {
            int n = p.path("PartNumber").asInt();
            if (n <= previous) throw new AwsException("InvalidPartOrder", "The list of parts was not in ascending order. Parts must be ordered by part number.", 400)
                    .with("UploadId", uploadId);
            previous = n;
        }
        String alg = u.path("checksum").asText(null);
        String type = checksumType(u);
        if (alg != null && in.hasNonNull("ChecksumType") && !in.get("ChecksumType").asText().equals(type)) {
            throw new AwsException("InvalidRequest", "The upload was created using the " + type + " checksum mode. The complete request must use the same checksum mode.", 400);
        }
        List<String> partSums = new ArrayList<>();
        List<Long> sizes = new ArrayList<>();
        List<String> chosen = new ArrayList<>();
        for (int i = 0; i < listed.size(); i++) {
            JsonNode p = listed.get(i);
            int n = p.path("PartNumber").asInt();
            JsonNode part = parts.getJson(partKey(uploadId, n));
            if (part == null || !S3Service.etagMatches(p.path("ETag").asText(), part.path("etag").asText()) || !checksumsMatch(p, part)) {
                throw new AwsException("InvalidPart", "One or more of the specified parts could not be found.  The part may not have been uploaded,"
                        + " or the specified entity tag may not match the part's entity tag.", 400)
                        .with("UploadId", uploadId).with("PartNumber", String.valueOf(n)).with("ETag", p.path("ETag").asText());
            }
            if (i < listed.size() - 1 && part.path("size").asLong() < MIN_PART) {
                throw new AwsException("EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size.", 400)
                        .with("ProposedSize", part.path("size").asText()).with("MinSizeAllowed", String.valueOf(MIN_PART))
                        .with("PartNumber", String.valueOf(n)).with("ETag", part.path("etag").asText());
            }
            if (alg != null && type.equals("COMPOSITE") && !p.hasNonNull(Checksums.member(alg))) {
                throw new AwsException("InvalidRequest", "The upload was created using a " + alg.toLowerCase(Locale.ROOT) + " checksum. The complete request must"
                        + " include the checksum for each part. It was missing for part " + n + " in the request.", 400);
            }
            partSums.add(alg != null ? part.path("checksums").path(alg).asText(null) : part.path("default").asText(null));
            sizes.add(part.path("size").asLong());
            md5s.update(HexFormat.of().parseHex(part.path("md5").asText()));
            blobs.addObject().put("id", part.path("id").asText()).put("size", part.path("size").asLong());
            chosen.add(part.path("id").asText());
            size += part.path("size").asLong();
        }
        if (in.hasNonNull("MpuObjectSize") && in.get("MpuObjectSize").asLong() != size) {
            throw S3Errors.invalidRequest("The provided 'x-amz-mp-object-size' header value " + in.get("MpuObjectSize").asText()
                    + " does not match what was computed: " + size);
        }
        String etag = "\"" + HexFormat.of().formatHex(md5s.digest()) + "-" + listed.size() + "\"";
        ObjectNode record = S3Service.record(u, u.path("type").asText(), u.path("meta"), (ObjectNode) u.path("headers"), blobs, size, etag);
        record.put("partsCount", listed.size());
        if (u.has("tags")) record.set("tags", u.get("tags"));
        // an upload created without an algorithm: S3's default, the parts' CRC64NVMEs combined (none for parts stored before it was kept)
        if (alg == null && !partSums.contains(null)) record.set("checksum", Values.object().put("alg", Checksums.DEFAULT)
                .put("value", Checksums.combined(Checksums.DEFAULT, partSums, sizes)).put("type", "FULL_OBJECT"));
        if (alg != null && !partSums.contains(null)) record.set("checksum", objectChecksum(in, alg, type, partSums, sizes));
        List<String> unused = new ArrayList<>();
        String versionId = s3.publish(ctx, bucket, key, record, in, "ObjectCreated:CompleteMultipartUpload", () -> {
            if (uploads.get(bucket + "/" + uploadId) == null) throw S3Errors.noSuchUpload(uploadId);
            uploads.delete(bucket + "/" + uploadId);
            for (Table.Entry e : parts.scan(uploadId + "/", null, MAX_PART_NUMBER + 1)) {
                String id = e.json().path("id").asText();
                if (!chosen.contains(id)) unused.add(id);
                parts.delete(e.key());
            }
        });
        unused.forEach(id -> s3.blobs().delete(id));
        ObjectNode out = Values.object().put("Location", "/" + bucket + "/" + key).put("Bucket", bucket).put("Key", key).put("ETag", etag);
        if (versionId != null) out.put("VersionId", versionId);
        if (record.has("checksum")) Checksums.put(out, record.get("checksum"));
        return out;
    }

    /**
     * The completed object's checksum, from its parts' (a COMPOSITE one keeps them, for GetObjectAttributes), checked
     * against the value the complete request gives, if any.
     */
    private static ObjectNode objectChecksum(JsonNode in, String alg, String type, List<String> partSums, List<Long> sizes) {
        String value = type.equals("COMPOSITE") ? Checksums.composite(alg, partSums) : Checksums.combined(alg, partSums, sizes);
        String expected = in.path(Checksums.member(alg)).asText(null);
        if (expected != null && !expected.trim().equals(value)) {
            throw new AwsException("BadDigest", "The " + alg + " you specified did not match the calculated checksum.", 400);
        }
        ObjectNode c = Values.object().put("alg", alg).put("value", value).put("type", type);
        if (type.equals("COMPOSITE")) partSums.forEach(c.putArray("parts")::add);
        return c;
    }

    /**
     * GetObjectAttributes' ObjectParts of a completed multipart object: the part count, and for a COMPOSITE checksum
     * the parts' numbers, sizes and checksums, a page at a time (MaxParts, PartNumberMarker).
     */
    static ObjectNode objectParts(JsonNode record, JsonNode in) {
        ObjectNode out = Values.object().put("TotalPartsCount", record.path("partsCount").asInt());
        JsonNode sums = record.path("checksum").path("parts");
        if (sums.isEmpty()) return out;
        int max = Math.min(Values.integer(in, "MaxParts", 1000), 1000);
        int marker = Values.integer(in, "PartNumberMarker", 0);
        String member = Checksums.member(record.path("checksum").path("alg").asText());
        out.put("PartNumberMarker", marker).put("MaxParts", max);
        ArrayNode parts = out.putArray("Parts");
        int last = marker;
        for (int n = marker + 1; n <= sums.size() && parts.size() < max; n++) {
            parts.addObject().put("PartNumber", n).put("Size", record.path("parts").path(n - 1).path("size").asLong()).put(member, sums.get(n - 1).asText());
            last = n;
        }
        out.put("IsTruncated", last < sums.size());
        if (last < sums.size()) out.put("NextPartNumberMarker", last);
        return out;
    }

    /** A CompletedPart's checksums, where given, must be the part's. */
    private static boolean checksumsMatch(JsonNode listed, JsonNode part) {
        for (String alg : Checksums.ALGORITHMS) {
            String given = listed.path(Checksums.member(alg)).asText(null);
            String stored = part.path("checksums").path(alg).asText(null);
            if (given != null && stored != null && !given.equals(stored)) return false;
        }
        return true;
    }

    private JsonNode abort(RequestContext ctx, ObjectNode in) {
        String bucket = S3Service.bucket(in);
        String uploadId = Values.text(in, "UploadId");
        upload(bucket, Values.text(in, "Key"), uploadId);
        abort(bucket, uploadId);
        return null;
    }

    private void abort(String bucket, String uploadId) {
        List<String> ids = store.transaction(() -> {
            List<String> out = new ArrayList<>();
            uploads.delete(bucket + "/" + uploadId);
            for (Table.Entry e : parts.scan(uploadId + "/", null, MAX_PART_NUMBER + 1)) {
                out.add(e.json().path("id").asText());
                parts.delete(e.key());
            }
            return out;
        });
        ids.forEach(id -> s3.blobs().delete(id));
    }

    /** Aborts the bucket's uploads of keys under {@code prefix} whose initiation time passes {@code due} (lifecycle); returns how many. */
    int abortWhere(String bucket, String prefix, Predicate<Instant> due) {
        List<String> ids = new ArrayList<>();
        for (var it = uploads.iterate(bucket + "/", null, 1000); it.hasNext(); ) {
            Table.Entry e = it.next();
            JsonNode u = e.json();
            if (u.path("key").asText().startsWith(prefix) && due.test(Instant.ofEpochMilli(u.path("initiated").asLong()))) {
                ids.add(e.key().substring(bucket.length() + 1));
            }
        }
        ids.forEach(id -> abort(bucket, id));
        return ids.size();
    }

    private JsonNode listParts(RequestContext ctx, ObjectNode in) {
        String bucket = S3Service.bucket(in);
        String key = Values.text(in, "Key");
        String uploadId = Values.text(in, "UploadId");
        JsonNode u = upload(bucket, key, uploadId);
        int max = Math.min(Values.integer(in, "MaxParts", 1000), 1000);
        int marker = Values.integer(in, "PartNumberMarker", 0);
        List<Table.Entry> page = parts.scan(uploadId + "/", marker > 0 ? partKey(uploadId, marker) : null, max + 1);
        ObjectNode out = Values.object().put("Bucket", bucket).put("Key", key).put("UploadId", uploadId)
                .put("PartNumberMarker", marker).put("MaxParts", max).put("IsTruncated", page.size() > max)
                .put("StorageClass", u.path("storage").asText("STANDARD"));
        out.set("Initiator", initiator(u.path("account").asText()));
        out.set("Owner", Buckets.owner(u.path("account").asText()));
        ArrayNode list = out.putArray("Parts");
        int last = marker;
        for (Table.Entry e : page.subList(0, Math.min(max, page.size()))) {
            JsonNode p = e.json();
            last = Integer.parseInt(e.key().substring(uploadId.length() + 1));
            ObjectNode o = list.addObject().put("PartNumber", last).put("ETag", p.path("etag").asText()).put("Size", p.path("size").asLong());
            o.set("LastModified", Values.timestamp(Instant.ofEpochMilli(p.path("modified").asLong())));
            p.path("checksums").fields().forEachRemaining(c -> o.put(Checksums.member(c.getKey()), c.getValue().asText()));
        }
        if (page.size() > max) out.put("NextPartNumberMarker", last);
        if (u.has("checksum")) out.put("ChecksumAlgorithm", u.get("checksum").asText()).put("ChecksumType", checksumType(u));
        return out;
    }

    private static ObjectNode initiator(String account) {
        return Values.object().put("ID", "arn:aws:iam::" + account + ":root").put("DisplayName", account);
    }

    private JsonNode listUploads(RequestContext ctx, ObjectNode in) {
        String bucket = S3Service.bucket(in);
        s3.requireBucket(bucket);
        String prefix = Values.text(in, "Prefix", "");
        int max = Math.min(Values.integer(in, "MaxUploads", 1000), 1000);
        String keyMarker = Values.text(in, "KeyMarker", null);
        String idMarker = Values.text(in, "UploadIdMarker", null);
        // A bucket's uploads in progress are few: gathered, then ordered by key and initiation.
        List<JsonNode> all = new ArrayList<>();
        for (var it = uploads.iterate(bucket + "/", null, 1000); it.hasNext(); ) {
            Table.Entry e = it.next();
            ObjectNode u = (ObjectNode) e.json();
            u.put("uploadId", e.key().substring(bucket.length() + 1));
            if (!u.path("key").asText().startsWith(prefix)) continue;
            all.add(u);
        }
        all.sort((a, b) -> {
            int c = a.path("key").asText().compareTo(b.path("key").asText());
            return c != 0 ? c : a.path("uploadId").asText().compareTo(b.path("uploadId").asText());
        });
        ObjectNode out = Values.object().put("Bucket", bucket).put("KeyMarker", keyMarker == null ? "" : keyMarker)
                .put("UploadIdMarker", idMarker == null ? "" : idMarker).put("MaxUploads", max);
        if (!prefix.isEmpty()) out.put("Prefix", prefix);
        ArrayNode list = out.putArray("Uploads");
        boolean truncated = false;
        JsonNode last = null;
        for (JsonNode u : all) {
            String k = u.path("key").asText(), id = u.path("uploadId").asText();
            if (keyMarker != null) {
                int c = k.compareTo(keyMarker);
                if (c < 0 || c == 0 && (idMarker == null || id.compareTo(idMarker) <= 0)) continue;
            }
            if (list.size() == max) {
                truncated = true;
                break;
            }
            ObjectNode o = list.addObject().put("UploadId", id).put("Key", k).put("StorageClass", u.path("storage").asText("STANDARD"));
            o.set("Initiated", Values.timestamp(Instant.ofEpochMilli(u.path("initiated").asLong())));
            o.set("Owner", Buckets.owner(u.path("account").asText()));
            o.set("Initiator", initiator(u.path("account").asText()));
            last = u;
        }
        out.put("IsTruncated", truncated);
        if (truncated && last != null) out.put("NextKeyMarker", last.path("key").asText()).put("NextUploadIdMarker", last.path("uploadId").asText());
        return out;
    }
}
