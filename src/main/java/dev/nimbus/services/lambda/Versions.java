package dev.nimbus.services.lambda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.Operations;
import dev.nimbus.services.lambda.LambdaService.Ref;
import dev.nimbus.store.Store;
import dev.nimbus.store.Table;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Published function versions: immutable snapshots of $LATEST's code and configuration, numbered
 * 1, 2, ... per function (numbers are never reused while the function exists). Each version keeps
 * its own copy of the code and runs in its own environments (its qualified ARN is the compute key).
 * Table {@code lambda.versions}: key account/region/name/NNNNNNNNNN holds a version record
 * (CodeId, Configuration, LayerCodes, Source = the $LATEST revision it was cut from); key
 * account/region/name holds the number last given out. Aliases and resource policies hang off it.
 */
final class Versions {
    static final String TABLE = "lambda.versions";

    private final LambdaService lambda;
    private final Store store;
    private final Table versions;
    private final Aliases aliases;
    private final Policies policies;

    Versions(LambdaService lambda, Store store) {
        this.lambda = lambda;
        this.store = store;
        this.versions = store.table(TABLE);
        this.aliases = new Aliases(this, lambda, store);
        this.policies = new Policies(this, lambda, store);
    }

    Policies policies() {
        return policies;
    }

    Aliases aliases() {
        return aliases;
    }

    void register(Operations ops) {
        ops.add("PublishVersion", this::publishVersion)
                .add("ListVersionsByFunction", this::listVersionsByFunction);
        aliases.register(ops);
        policies.register(ops);
    }

    JsonNode publishVersion(RequestContext ctx, ObjectNode in) {
        Ref ref = LambdaService.ref(ctx, Values.text(in, "FunctionName"));
        // One publisher at a time: the code copy happens outside the store's transaction.
        synchronized (this) {
            ObjectNode record = lambda.load(ctx, ref);
            JsonNode config = record.get("Configuration");
            LambdaService.checkRevision(in, config);
            String sha = Values.text(in, "CodeSha256", null);
            String current = config.get("CodeSha256").asText();
            if (sha != null && !sha.equals(current)) {
                throw FunctionCode.invalid("CodeSHA256 (" + sha + ") is different from current CodeSHA256 in $LATEST (" + current
                        + "). Please try again with the CodeSHA256 in $LATEST.");
            }
            List<Table.Entry> published = versions.scan(prefix(ctx, ref.name()), null, Integer.MAX_VALUE);
            if (!published.isEmpty()) {
                JsonNode last = published.getLast().json();
                // Nothing changed since the last version: AWS answers with that version.
                if (last.path("Source").asText().equals(config.get("RevisionId").asText())) return last.get("Configuration");
            }
            String counterKey = LambdaService.key(ctx, ref.name());
            JsonNode counter = versions.getJson(counterKey);
            int number = (counter == null ? 0 : counter.get("Last").asInt()) + 1;
            String codeId = copyCode(record.get("CodeId").asText());
            ObjectNode version = config.deepCopy();
            version.put("FunctionArn", config.get("FunctionArn").asText() + ":" + number);
            version.put("Version", Integer.toString(number));
            if (in.hasNonNull("Description")) version.put("Description", in.get("Description").asText());
            LambdaService.stamp(version);
            version.put("State", "Active").put("LastUpdateStatus", "Successful");
            ObjectNode stored = Values.object().put("CodeId", codeId).put("Source", config.get("RevisionId").asText());
            stored.set("Configuration", version);
            if (record.has("LayerCodes")) stored.set("LayerCodes", record.get("LayerCodes"));
            boolean saved = store.transaction(() -> {
                if (lambda.functions().get(counterKey) == null) return false;
                versions.putJson(counterKey, Values.object().put("Last", number));
                versions.putJson(versionKey(ctx, ref.name(), number), stored);
                return true;
            });
            if (!saved) {
                lambda.dropCode(codeId);
                throw LambdaService.notFound(ctx, ref);
            }
            return version;
        }
    }

    JsonNode listVersionsByFunction(RequestContext ctx, ObjectNode in) {
        Ref ref = LambdaService.ref(ctx, Values.text(in, "FunctionName"));
        JsonNode latest = lambda.load(ctx, ref).get("Configuration");
        List<JsonNode> all = new ArrayList<>();
        all.add(latest);
        for (Table.Entry e : versions.scan(prefix(ctx, ref.name()), null, Integer.MAX_VALUE)) all.add(e.json().get("Configuration"));
        int max = Values.integer(in, "MaxItems", 50);
        String marker = Values.text(in, "Marker", null);
        int from = 0;
        if (marker != null) {
            while (from < all.size() && !all.get(from).get("Version").asText().equals(marker)) from++;
            from++;
        }
        ObjectNode out = Values.object();
        var list = out.putArray("Versions");
        for (int i = from; i < Math.min(all.size(), from + max); i++) list.add(all.get(i));
        if (from + max < all.size()) out.put("NextMarker", all.get(from + max - 1).get("Version").asText());
        return out;
    }

    /**
     * ListFunctions with FunctionVersion ALL: every function's $LATEST followed by its published
     * versions. The marker names the last item given, as FUNCTION:VERSION.
     */
    JsonNode listAll(RequestContext ctx, ObjectNode in) {
        String prefix = ctx.accountId() + "/" + ctx.region() + "/";
        int max = Values.integer(in, "MaxItems", 50);
        String marker = Values.text(in, "Marker", null);
        String fromFunction = marker == null ? null : marker.substring(0, Math.max(0, marker.lastIndexOf(':')));
        ObjectNode out = Values.object();
        var list = out.putArray("Functions");
        boolean after = marker == null;
        String last = null;
        for (Table.Entry f : lambda.functions().scan(prefix, null, Integer.MAX_VALUE)) {
            String name = f.key().substring(prefix.length());
            if (fromFunction != null && name.compareTo(fromFunction) < 0) continue;
            List<JsonNode> configs = new ArrayList<>();
            configs.add(f.json().get("Configuration"));
            for (Table.Entry v : versions.scan(prefix + name + "/", null, Integer.MAX_VALUE)) configs.add(v.json().get("Configuration"));
            for (JsonNode config : configs) {
                String id = name + ":" + config.get("Version").asText();
                if (!after) {
                    after = id.equals(marker);
                    continue;
                }
                if (list.size() == max) {
                    out.put("NextMarker", last);
                    return out;
                }
                list.add(config);
                last = id;
            }
        }
        return out;
    }

    /** A published version's record, or null. */
    ObjectNode version(RequestContext ctx, String function, String version) {
        if (!version.matches("\\d{1,10}")) return null;
        return (ObjectNode) versions.getJson(versionKey(ctx, function, Long.parseLong(version)));
    }

    /**
     * What a qualifier names, as a record with CodeId and Configuration: $LATEST (or none) the
     * function itself, a number a published version, else an alias: its version, picked by the
     * alias's weights when {@code routed} (an invocation), else its primary one.
     * {@code function} is the function's own record.
     */
    ObjectNode resolve(RequestContext ctx, Ref ref, ObjectNode function, String qualifier, boolean routed) {
        if (qualifier == null || qualifier.equals(LambdaService.LATEST)) return function;
        ObjectNode version = version(ctx, ref.name(), qualifier);
        if (version != null) return version;
        JsonNode alias = aliases.find(ctx, ref.name(), qualifier);
        if (alias == null) throw LambdaService.notFound(ctx, new Ref(ref.name(), qualifier));
        String picked = routed ? Aliases.pick(alias) : alias.get("FunctionVersion").asText();
        ObjectNode target = picked.equals(LambdaService.LATEST) ? function : version(ctx, ref.name(), picked);
        if (target == null) throw LambdaService.notFound(ctx, new Ref(ref.name(), picked));
        return target;
    }

    /** What GetFunction shows for a qualifier: an alias shows its version, under the alias's ARN. */
    ObjectNode view(RequestContext ctx, Ref ref, ObjectNode function, String qualifier) {
        ObjectNode record = resolve(ctx, ref, function, qualifier, false);
        JsonNode config = record.get("Configuration");
        if (qualifier == null || qualifier.equals(LambdaService.LATEST) || qualifier.equals(config.get("Version").asText())) return record;
        ObjectNode shown = record.deepCopy();
        ((ObjectNode) shown.get("Configuration")).put("FunctionArn", function.get("Configuration").get("FunctionArn").asText() + ":" + qualifier);
        return shown;
    }

    /** DeleteFunction with a version number: the version goes unless an alias points to it. */
    void delete(RequestContext ctx, Ref ref, String qualifier) {
        lambda.load(ctx, ref);
        ObjectNode version = version(ctx, ref.name(), qualifier);
        if (version == null) throw LambdaService.notFound(ctx, new Ref(ref.name(), qualifier));
        List<String> using = aliases.pointingTo(ctx, ref.name(), qualifier);
        if (!using.isEmpty()) {
            throw new AwsException("ResourceConflictException", "Unable to delete version because the following aliases reference it: " + using, 409);
        }
        if (!versions.delete(versionKey(ctx, ref.name(), Long.parseLong(qualifier)))) throw LambdaService.notFound(ctx, new Ref(ref.name(), qualifier));
        lambda.compute().drain(version.get("Configuration").get("FunctionArn").asText(), null);
        policies.delete(ctx, ref.name(), qualifier);
        lambda.eventInvokeConfigs().forget(ctx.accountId(), ctx.region(), ref.name(), qualifier);
        lambda.provisioned().forget(ctx, ref.name(), qualifier);
        lambda.dropCode(version.get("CodeId").asText());
    }

    /** The function is gone: its versions, their code and environments, its aliases and the numbering. */
    void deleteAll(RequestContext ctx, String function) {
        for (Table.Entry e : versions.scan(prefix(ctx, function), null, Integer.MAX_VALUE)) {
            versions.delete(e.key());
            JsonNode v = e.json();
            lambda.compute().drain(v.get("Configuration").get("FunctionArn").asText(), null);
            lambda.dropCode(v.get("CodeId").asText());
        }
        versions.delete(LambdaService.key(ctx, function));
        aliases.deleteAll(ctx, function);
        policies.deleteAll(ctx, function);
    }

    /** A copy of the code under a new id, so that the version keeps it when $LATEST's changes. */
    private String copyCode(String codeId) {
        try (InputStream in = store.blobs().open(LambdaService.blobId(codeId))) {
            if (in == null) throw dev.nimbus.protocol.AwsException.internal("the code of this function is missing from the store");
            return lambda.saveCode(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String prefix(RequestContext ctx, String function) {
        return LambdaService.key(ctx, function) + "/";
    }

    private static String versionKey(RequestContext ctx, String function, long number) {
        return prefix(ctx, function) + String.format("%010d", number);
    }
}
