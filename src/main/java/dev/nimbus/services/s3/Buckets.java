package dev.nimbus.services.s3;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.Values;
import dev.nimbus.store.Store;
import dev.nimbus.store.Table;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Bucket records (table {@code s3.buckets}, key: the bucket name, one namespace for every
 * account as in AWS) and their sub-resource configurations (table {@code s3.config}, key
 * bucket/kind: tagging, cors, policy, notification ...), kept as the model-shaped documents the
 * client sent.
 */
final class Buckets {
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
    private static final Pattern IP = Pattern.compile("\\d+\\.\\d+\\.\\d+\\.\\d+");
    private static final List<String> RESERVED_PREFIXES = List.of("xn--", "sthree-", "amzn-s3-demo-");
    private static final List<String> RESERVED_SUFFIXES = List.of("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3");

    final Table buckets;
    final Table config;
    private final Store store;
    /** {@link #settings} by bucket name; emptied by every change to a bucket's record or configuration */
    private final Map<String, Settings> settings = new ConcurrentHashMap<>();

    /** What every object read and write needs of its bucket: the record (versioning) and the notification configuration (or null). */
    record Settings(ObjectNode bucket, JsonNode notification) {}

    Buckets(Store store) {
        this.store = store;
        this.buckets = store.table("s3.buckets");
        this.config = store.table("s3.config");
    }

    /** The general purpose bucket naming rules. */
    static void checkName(String name) {
        boolean ok = NAME.matcher(name).matches() && !name.contains("..") && !IP.matcher(name).matches();
        for (String p : RESERVED_PREFIXES) ok &= !name.startsWith(p);
        for (String s : RESERVED_SUFFIXES) ok &= !name.endsWith(s);
        if (!ok) throw S3Errors.invalidBucketName(name);
    }

    /** The bucket record, or NoSuchBucket. */
    ObjectNode get(String name) {
        JsonNode b = buckets.getJson(name);
        if (b == null) throw S3Errors.noSuchBucket(name);
        return (ObjectNode) b;
    }

    /**
     * The bucket's {@link Settings} for object operations (read only), or NoSuchBucket: cached, so
     * that a small PUT or GET does not read them from the store each time. A miss reads them inside a
     * transaction, holding the store's one writer: every change to a bucket happens inside one too
     * (and empties the cache), so what is cached is never a state some change has half replaced.
     * Configuration requests read the store ({@link #get}, {@link #config}), never this cache.
     */
    Settings settings(String name) {
        Settings s = settings.get(name);
        if (s != null) return s;
        return store.transaction(() -> {
            Settings fresh = new Settings(get(name), config(name, Notifications.KIND));
            settings.put(name, fresh);
            return fresh;
        });
    }

    private void changed() {
        settings.clear();
    }

    /** Changes the bucket record (an existing bucket, else NoSuchBucket) in one transaction. */
    void update(String name, java.util.function.Consumer<ObjectNode> change) {
        store.transaction(() -> {
            changed();
            ObjectNode b = get(name);
            change.accept(b);
            buckets.putJson(name, b);
        });
    }

    JsonNode config(String bucket, String kind) {
        return config.getJson(bucket + "/" + kind);
    }

    void putConfig(String bucket, String kind, JsonNode value) {
        changed();
        config.putJson(bucket + "/" + kind, value);
    }

    void deleteConfig(String bucket, String kind) {
        changed();
        config.delete(bucket + "/" + kind);
    }

    /** Removes the bucket and every configuration it has. */
    void delete(String name) {
        changed();
        buckets.delete(name);
        for (Table.Entry e : config.scan(name + "/", null, 1000)) config.delete(e.key());
    }

    /** The canonical user ID S3 shows as an account's Owner.ID: 64 hex digits, stable per account. */
    static String canonicalId(String account) {
        return Checksums.hex(Checksums.md("SHA-256").digest(("nimbus-s3-owner:" + account).getBytes(StandardCharsets.UTF_8)));
    }

    static ObjectNode owner(String account) {
        return Values.object().put("DisplayName", account).put("ID", canonicalId(account));
    }

    static AwsException alreadyOwned(String name) {
        return new AwsException("BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.", 409)
                .with("BucketName", name);
    }

    static AwsException alreadyExists(String name) {
        return new AwsException("BucketAlreadyExists", "The requested bucket name is not available. The bucket namespace is shared by all users"
                + " of the system. Please select a different name and try again.", 409).with("BucketName", name);
    }
}
