package dev.nimbus.services.s3;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.Identity;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.store.Table;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Lifecycle expiration: a background sweep deletes the objects that enabled rules with an
 * Expiration (Days or Date) have expired, noncurrent versions past NoncurrentDays or beyond the
 * NewerNoncurrentVersions to keep, delete markers left alone (ExpiredObjectDeleteMarker), and aborts
 * multipart uploads older than AbortIncompleteMultipartUpload allows, as S3's daily lifecycle run does. Days count from the
 * object's creation and round up to the next midnight UTC, as in S3.
 */
final class Lifecycle implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Lifecycle.class.getName());
    /** How often the sweep runs (S3 evaluates rules about once a day; sooner is harmless). */
    static volatile Duration interval = Duration.ofMinutes(10);

    private final S3Service s3;
    private final Buckets buckets;
    private volatile Thread thread;

    Lifecycle(S3Service s3, Buckets buckets) {
        this.s3 = s3;
        this.buckets = buckets;
    }

    void start() {
        thread = Thread.ofVirtual().name("s3-lifecycle").start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    Thread.sleep(interval);
                    sweep(Instant.now());
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "S3 lifecycle sweep failed", e);
                }
            }
        });
    }

    @Override
    public void close() {
        Thread t = thread;
        if (t != null) t.interrupt();
    }

    /** Applies every bucket's expiration rules as of {@code now}; returns how many objects it deleted. */
    public int sweep(Instant now) {
        int deleted = 0, aborted = 0;
        for (var it = buckets.buckets.iterate("", null, 100); it.hasNext(); ) {
            JsonNode bucket = it.next().json();
            String name = bucket.path("name").asText();
            JsonNode config = buckets.config(name, "lifecycle");
            if (config == null) continue;
            RequestContext ctx = new RequestContext("lifecycle-" + UUID.randomUUID(), Identity.ofUnknownKey(bucket.path("account").asText()),
                    bucket.path("region").asText(), null);
            for (JsonNode rule : config.path("Rules")) {
                if (!rule.path("Status").asText().equals("Enabled")) continue;
                deleted += expireCurrent(ctx, name, rule, now) + expireNoncurrent(ctx, name, rule, now);
                aborted += abortIncomplete(name, rule, now);
            }
        }
        if (aborted > 0) LOG.info("S3 lifecycle aborted " + aborted + " incomplete multipart uploads");
        return deleted;
    }

    /**
     * Expiration Days/Date: the current object is deleted (a versioned bucket gets a delete marker
     * instead). ExpiredObjectDeleteMarker: a delete marker with no versions left behind it goes.
     */
    private int expireCurrent(RequestContext ctx, String name, JsonNode rule, Instant now) {
        JsonNode exp = rule.path("Expiration");
        boolean byAge = exp.has("Days") || exp.has("Date");
        boolean markers = exp.path("ExpiredObjectDeleteMarker").asBoolean(false);
        if (!byAge && !markers) return 0;
        List<String[]> expired = new ArrayList<>();
        String base = name + "/";
        for (var objects = s3.objects.iterate(base + prefix(rule), null, 1000); objects.hasNext(); ) {
            Table.Entry e = objects.next();
            JsonNode r = e.json();
            String key = e.key().substring(base.length());
            if (Versions.isMarker(r)) {
                if (markers && s3.versions.of(name, key, null, 1).isEmpty()) expired.add(new String[] {key, Versions.vid(r)});
            } else if (byAge && tagsMatch(rule, r) && due(exp, Instant.ofEpochMilli(r.path("modified").asLong()), now)) {
                expired.add(new String[] {key, null});
            }
        }
        for (String[] k : expired) s3.remove(ctx, name, k[0], k[1], "LifecycleExpiration");
        return expired.size();
    }

    /**
     * NoncurrentVersionExpiration: NoncurrentDays count from when a version stopped being current;
     * NewerNoncurrentVersions keeps that many newest noncurrent versions of each key whatever their age.
     */
    private int expireNoncurrent(RequestContext ctx, String name, JsonNode rule, Instant now) {
        JsonNode exp = rule.path("NoncurrentVersionExpiration");
        if (!exp.has("NoncurrentDays") && !exp.has("NewerNoncurrentVersions")) return 0;
        int keep = exp.path("NewerNoncurrentVersions").asInt(0);
        List<String[]> expired = new ArrayList<>();
        String key = null;
        int newer = 0;
        // rows come by key, each key's versions newest first: the count of newer ones restarts with each key
        for (var rows = s3.versions.versions.iterate(name + "/" + prefix(rule), null, 1000); rows.hasNext(); ) {
            Table.Entry e = rows.next();
            JsonNode r = e.json();
            String k = Versions.keyOf(name, e.key());
            if (!k.equals(key)) {
                key = k;
                newer = 0;
            }
            boolean old = !exp.has("NoncurrentDays") || dueAfter(exp.get("NoncurrentDays").asLong(), Instant.ofEpochMilli(r.path("until").asLong()), now);
            if (newer++ >= keep && old && tagsMatch(rule, r)) expired.add(new String[] {k, Versions.vid(r)});
        }
        for (String[] k : expired) s3.remove(ctx, name, k[0], k[1], "LifecycleExpiration");
        return expired.size();
    }

    /** AbortIncompleteMultipartUpload: uploads initiated DaysAfterInitiation days ago (to the next midnight UTC) are aborted. */
    private int abortIncomplete(String name, JsonNode rule, Instant now) {
        JsonNode abort = rule.path("AbortIncompleteMultipartUpload");
        if (!abort.has("DaysAfterInitiation")) return 0;
        long days = abort.get("DaysAfterInitiation").asLong();
        return s3.multipart.abortWhere(name, prefix(rule), initiated -> dueAfter(days, initiated, now));
    }

    private static String prefix(JsonNode rule) {
        JsonNode f = rule.path("Filter");
        if (f.has("Prefix")) return f.get("Prefix").asText();
        if (f.path("And").has("Prefix")) return f.path("And").get("Prefix").asText();
        return rule.path("Prefix").asText("");
    }

    private static boolean tagsMatch(JsonNode rule, JsonNode record) {
        List<JsonNode> wanted = new ArrayList<>();
        if (rule.path("Filter").has("Tag")) wanted.add(rule.path("Filter").get("Tag"));
        rule.path("Filter").path("And").path("Tags").forEach(wanted::add);
        for (JsonNode t : wanted) {
            if (!t.path("Value").asText().equals(record.path("tags").path(t.path("Key").asText()).asText(null))) return false;
        }
        return true;
    }

    static boolean due(JsonNode expiration, Instant created, Instant now) {
        if (expiration.has("Date")) return !now.isBefore(dev.nimbus.protocol.Values.instant(expiration.get("Date")));
        return dueAfter(expiration.get("Days").asLong(), created, now);
    }

    /** {@code days} after {@code from}, rounded up to the next midnight UTC. */
    static boolean dueAfter(long days, Instant from, Instant now) {
        Instant at = from.atZone(ZoneOffset.UTC).toLocalDate().plusDays(days + 1).atStartOfDay(ZoneOffset.UTC).toInstant();
        return !now.isBefore(at);
    }
}
