package dev.nimbus.services.s3;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.Operations;
import java.util.List;

/**
 * Bucket sub-resources that S3 stores and returns as given: tagging, policy, ACL, ownership
 * controls, public access block, default encryption, CORS, lifecycle, website, versioning. What
 * acts on them lives elsewhere (CORS preflight and website in {@link S3Doors}, lifecycle in
 * {@link Lifecycle}); enforcing policies and ACLs is the IAM work's.
 */
final class Configs {
    /**
     * One sub-resource: its operations' suffix, where the document is in the Put input, where it goes
     * in the Get output (null: its members are the output's), and the error when there is none.
     */
    private record Sub(String put, String get, String delete, String kind, String in, String out, String code, String message) {}

    private static final List<Sub> SUBS = List.of(
            new Sub("PutBucketTagging", "GetBucketTagging", "DeleteBucketTagging", "tagging", "Tagging", null, "NoSuchTagSet", "The TagSet does not exist"),
            new Sub("PutBucketPolicy", "GetBucketPolicy", "DeleteBucketPolicy", "policy", "Policy", "Policy", "NoSuchBucketPolicy", "The bucket policy does not exist"),
            new Sub("PutBucketOwnershipControls", "GetBucketOwnershipControls", "DeleteBucketOwnershipControls", "ownership", "OwnershipControls",
                    "OwnershipControls", "OwnershipControlsNotFoundError", "The bucket ownership controls were not found"),
            new Sub("PutPublicAccessBlock", "GetPublicAccessBlock", "DeletePublicAccessBlock", "publicaccessblock", "PublicAccessBlockConfiguration",
                    "PublicAccessBlockConfiguration", "NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found"),
            new Sub("PutBucketEncryption", "GetBucketEncryption", "DeleteBucketEncryption", "encryption", "ServerSideEncryptionConfiguration",
                    "ServerSideEncryptionConfiguration", "ServerSideEncryptionConfigurationNotFoundError", "The server side encryption configuration was not found"),
            new Sub("PutBucketCors", "GetBucketCors", "DeleteBucketCors", "cors", "CORSConfiguration", null, "NoSuchCORSConfiguration",
                    "The CORS configuration does not exist"),
            new Sub("PutBucketLifecycleConfiguration", "GetBucketLifecycleConfiguration", "DeleteBucketLifecycle", "lifecycle", "LifecycleConfiguration", null,
                    "NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist"),
            new Sub("PutBucketWebsite", "GetBucketWebsite", "DeleteBucketWebsite", "website", "WebsiteConfiguration", null, "NoSuchWebsiteConfiguration",
                    "The specified bucket does not have a website configuration"));

    private final Buckets buckets;

    Configs(Buckets buckets) {
        this.buckets = buckets;
    }

    void register(Operations ops) {
        for (Sub s : SUBS) {
            ops.add(s.put, (ctx, in) -> {
                String bucket = S3Service.bucket(in);
                buckets.get(bucket);
                JsonNode value = in.get(s.in);
                if (value == null) throw S3Errors.malformedXml();
                check(s.kind, value);
                buckets.putConfig(bucket, s.kind, value);
                return null;
            });
            ops.add(s.get, (ctx, in) -> {
                String bucket = S3Service.bucket(in);
                buckets.get(bucket);
                JsonNode c = buckets.config(bucket, s.kind);
                if (c == null) throw S3Errors.noSuchConfiguration(s.code, s.message, bucket);
                if (s.out == null) return c;
                ObjectNode out = Values.object();
                out.set(s.out, c);
                return out;
            });
            ops.add(s.delete, (ctx, in) -> {
                String bucket = S3Service.bucket(in);
                buckets.get(bucket);
                buckets.deleteConfig(bucket, s.kind);
                return null;
            });
        }
        ops.add("PutBucketVersioning", (ctx, in) -> {
            String bucket = S3Service.bucket(in);
            String status = in.path("VersioningConfiguration").path("Status").asText("");
            if (!status.equals("Enabled") && !status.equals("Suspended")) throw S3Errors.malformedXml();
            // kept in the bucket record, which every write reads anyway: knowing it costs a write nothing
            buckets.update(bucket, b -> b.put("versioning", status));
            return null;
        });
        ops.add("GetBucketVersioning", (ctx, in) -> {
            JsonNode b = buckets.get(S3Service.bucket(in));
            return b.has("versioning") ? Values.object().put("Status", b.get("versioning").asText()) : Values.object();
        });
        ops.add("PutBucketAcl", this::putAcl);
        ops.add("GetBucketAcl", (ctx, in) -> {
            String bucket = S3Service.bucket(in);
            JsonNode b = buckets.get(bucket);
            JsonNode acl = buckets.config(bucket, "acl");
            return acl != null ? acl : Acls.canned(b.path("account").asText(), "private");
        });
    }

    private JsonNode putAcl(RequestContext ctx, ObjectNode in) {
        String bucket = S3Service.bucket(in);
        JsonNode b = buckets.get(bucket);
        JsonNode policy = in.get("AccessControlPolicy");
        buckets.putConfig(bucket, "acl", policy != null ? policy : Acls.canned(b.path("account").asText(), Values.text(in, "ACL", "private")));
        return null;
    }

    /** The checks S3 makes on the documents it stores. */
    private static void check(String kind, JsonNode value) {
        switch (kind) {
            case "policy" -> {
                String text = value.asText().trim();
                boolean json;
                try {
                    json = text.startsWith("{") && Values.JSON.readTree(text).isObject();
                } catch (java.io.IOException e) {
                    json = false;
                }
                if (!json) throw new AwsException("MalformedPolicy", "Policies must be valid JSON and the first byte must be '{'", 400);
            }
            case "tagging" -> Tagging.fromTagSet(value);
            case "cors" -> {
                if (value.path("CORSRules").isEmpty()) throw S3Errors.malformedXml();
                for (JsonNode rule : value.path("CORSRules")) {
                    for (JsonNode m : rule.path("AllowedMethods")) {
                        if (!List.of("GET", "PUT", "POST", "DELETE", "HEAD").contains(m.asText())) {
                            throw S3Errors.invalidRequest("Found unsupported HTTP method in CORS config. Unsupported method is " + m.asText());
                        }
                    }
                }
            }
            case "lifecycle" -> {
                for (JsonNode rule : value.path("Rules")) {
                    String status = rule.path("Status").asText();
                    if (!status.equals("Enabled") && !status.equals("Disabled")) throw S3Errors.malformedXml();
                }
            }
            default -> { }
        }
    }

    /** What a new bucket has without being asked, as S3 creates buckets since 2023. */
    static void defaults(Buckets buckets, String bucket, String ownership) {
        buckets.putConfig(bucket, "ownership", S3Service.ownership(ownership == null ? "BucketOwnerEnforced" : ownership));
        buckets.putConfig(bucket, "publicaccessblock", Values.object().put("BlockPublicAcls", true).put("IgnorePublicAcls", true)
                .put("BlockPublicPolicy", true).put("RestrictPublicBuckets", true));
        ObjectNode sse = Values.object();
        ObjectNode rule = sse.putArray("Rules").addObject();
        rule.putObject("ApplyServerSideEncryptionByDefault").put("SSEAlgorithm", "AES256");
        rule.put("BucketKeyEnabled", false);
        buckets.putConfig(bucket, "encryption", sse);
    }
}
