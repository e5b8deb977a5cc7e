package dev.nimbus.services.iam;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.Identity;
import dev.nimbus.protocol.Values;
import dev.nimbus.store.Store;
import dev.nimbus.store.Table;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Access key id -> who signs with it: keys IAM issued to users (AKIA...) and temporary keys STS
 * issued (ASIA...), stored durably in {@code iam.credentials}; any other key is
 * {@link Identity#ofUnknownKey}.
 *
 * Every request resolves its key here, so the lookup must not touch the store per request: only
 * keys shaped like ours are looked up at all, and each result (including "not ours") is cached.
 * Cache entries are loaded with computeIfAbsent and dropped by {@link #refresh} after the writing
 * transaction commits; both lock the same map bin, so a load that read the store before a commit
 * cannot overwrite the invalidation that follows it.
 */
public final class CredentialRegistry {
    static final String TABLE = "iam.credentials";
    /** Bounds memory when clients cycle through many made-up keys; entries are re-read on demand. */
    private static final int MAX_CACHED = 100_000;

    private record Entry(Identity identity, long expiresAtMillis, boolean active, String secret) {}

    private static final Entry NOT_ISSUED = new Entry(null, Long.MAX_VALUE, true, null);

    private final Table table;
    private final ConcurrentHashMap<String, Entry> cache = new ConcurrentHashMap<>();

    public CredentialRegistry(Store store) {
        this.table = store.table(TABLE);
    }

    /** The identity behind a request's access key; throws the AWS error for expired or deactivated keys. */
    public Identity identity(String accessKeyId) {
        if (!Ids.isIssuedKeyShape(accessKeyId)) return Identity.ofUnknownKey(accessKeyId);
        Entry e = entry(accessKeyId);
        if (e == NOT_ISSUED) return Identity.ofUnknownKey(accessKeyId);
        if (!e.active) throw new AwsException("InvalidClientTokenId", "The security token included in the request is invalid.", 403);
        if (e.expiresAtMillis <= System.currentTimeMillis()) {
            throw new AwsException("ExpiredToken", "The security token included in the request is expired", 403);
        }
        return e.identity;
    }

    /** The secret of a key Nimbus issued, so that its signatures can be checked; null for any other key. */
    public String secret(String accessKeyId) {
        return Ids.isIssuedKeyShape(accessKeyId) ? entry(accessKeyId).secret : null;
    }

    private Entry entry(String accessKeyId) {
        Entry e = cache.get(accessKeyId);
        if (e == null) {
            if (cache.size() >= MAX_CACHED) cache.clear();
            e = cache.computeIfAbsent(accessKeyId, this::load);
        }
        return e;
    }

    private Entry load(String accessKeyId) {
        JsonNode r = table.getJson(accessKeyId);
        if (r == null) return NOT_ISSUED;
        Identity id = new Identity(r.path("Account").asText(), r.path("Arn").asText(), r.path("UserId").asText(), accessKeyId);
        long expires = r.has("Expiration") ? Values.instant(r.get("Expiration")).toEpochMilli() : Long.MAX_VALUE;
        return new Entry(id, expires, !"Inactive".equals(r.path("Status").asText()), r.path("SecretAccessKey").asText(null));
    }

    /** The stored record of an issued key, or null. */
    public ObjectNode record(String accessKeyId) {
        JsonNode r = table.getJson(accessKeyId);
        return r == null ? null : (ObjectNode) r;
    }

    /** Stores a key's record; call inside the writing transaction, then {@link #refresh} after it. */
    void put(String accessKeyId, ObjectNode record) {
        table.putJson(accessKeyId, record);
    }

    void delete(String accessKeyId) {
        table.delete(accessKeyId);
    }

    /**
     * Issues temporary credentials (ASIA...) for a principal, valid until {@code expiration}: the
     * record is written in the caller's transaction; call {@link #refresh} once it has committed.
     * Returns the model's Credentials structure.
     */
    public ObjectNode issueTemporary(Identity principal, Instant expiration) {
        String keyId = Ids.accessKeyId(Ids.TEMPORARY_KEY);
        String secret = Ids.secretAccessKey();
        String token = Ids.sessionToken();
        put(keyId, Values.object()
                .put("Account", principal.accountId())
                .put("Arn", principal.arn())
                .put("UserId", principal.userId())
                .put("SecretAccessKey", secret)
                .put("SessionToken", token)
                .put("Status", "Active")
                .set("Expiration", Values.timestamp(expiration)));
        ObjectNode credentials = Values.object()
                .put("AccessKeyId", keyId)
                .put("SecretAccessKey", secret)
                .put("SessionToken", token);
        credentials.set("Expiration", Values.timestamp(expiration));
        return credentials;
    }

    /** Forgets what is cached about these keys; call after the transaction that changed them committed. */
    public void refresh(String... accessKeyIds) {
        for (String k : accessKeyIds) cache.remove(k);
    }
}
