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
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Function aliases: a name pointing to a version ($LATEST or a published one), optionally with one
 * additional version that gets a weighted share of the invocations. Table {@code lambda.aliases},
 * key account/region/function/alias, value the alias configuration as AWS returns it.
 */
final class Aliases {
    static final String TABLE = "lambda.aliases";

    private final Versions versions;
    private final LambdaService lambda;
    private final Store store;
    private final Table aliases;

    Aliases(Versions versions, LambdaService lambda, Store store) {
        this.versions = versions;
        this.lambda = lambda;
        this.store = store;
        this.aliases = store.table(TABLE);
    }

    void register(Operations ops) {
        ops.add("CreateAlias", this::createAlias)
                .add("GetAlias", this::getAlias)
                .add("UpdateAlias", this::updateAlias)
                .add("DeleteAlias", this::deleteAlias)
                .add("ListAliases", this::listAliases);
    }

    JsonNode createAlias(RequestContext ctx, ObjectNode in) {
        Ref ref = LambdaService.ref(ctx, Values.text(in, "FunctionName"));
        String name = Values.text(in, "Name");
        if (name.matches("\\d+") || name.equals(LambdaService.LATEST)) {
            throw AwsException.validation("1 validation error detected: Value '" + name
                    + "' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)");
        }
        lambda.load(ctx, ref);
        String version = Values.text(in, "FunctionVersion");
        checkVersion(ctx, ref.name(), version);
        ObjectNode alias = Values.object();
        alias.put("AliasArn", arn(ctx, ref.name(), name));
        alias.put("Name", name);
        alias.put("FunctionVersion", version);
        alias.put("Description", Values.text(in, "Description", ""));
        if (in.has("RoutingConfig")) alias.set("RoutingConfig", routing(ctx, ref.name(), version, in.get("RoutingConfig")));
        alias.put("RevisionId", UUID.randomUUID().toString());
        if (!aliases.putJsonIfAbsent(key(ctx, ref.name(), name), alias)) {
            throw new AwsException("ResourceConflictException", "Alias already exists: " + alias.get("AliasArn").asText(), 409);
        }
        return alias;
    }

    JsonNode getAlias(RequestContext ctx, ObjectNode in) {
        Ref ref = LambdaService.ref(ctx, Values.text(in, "FunctionName"));
        return existing(ctx, ref.name(), Values.text(in, "Name"));
    }

    JsonNode updateAlias(RequestContext ctx, ObjectNode in) {
        Ref ref = LambdaService.ref(ctx, Values.text(in, "FunctionName"));
        String name = Values.text(in, "Name");
        String[] before = new String[1];
        ObjectNode updated = store.transaction(() -> {
            ObjectNode alias = existing(ctx, ref.name(), name);
            before[0] = alias.get("FunctionVersion").asText();
            String expected = Values.text(in, "RevisionId", null);
            if (expected != null && !expected.equals(alias.get("RevisionId").asText())) {
                throw new AwsException("PreconditionFailedException",
                        "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id", 412);
            }
            if (in.hasNonNull("FunctionVersion")) {
                checkVersion(ctx, ref.name(), in.get("FunctionVersion").asText());
                alias.put("FunctionVersion", in.get("FunctionVersion").asText());
            }
            if (in.hasNonNull("Description")) alias.put("Description", in.get("Description").asText());
            if (in.has("RoutingConfig")) {
                JsonNode routing = routing(ctx, ref.name(), alias.get("FunctionVersion").asText(), in.get("RoutingConfig"));
                if (routing.path("AdditionalVersionWeights").isEmpty()) alias.remove("RoutingConfig");
                else alias.set("RoutingConfig", routing);
            } else if (alias.has("RoutingConfig")) {
                routing(ctx, ref.name(), alias.get("FunctionVersion").asText(), alias.get("RoutingConfig"));
            }
            alias.put("RevisionId", UUID.randomUUID().toString());
            aliases.putJson(key(ctx, ref.name(), name), alias);
            return alias;
        });
        if (!before[0].equals(updated.get("FunctionVersion").asText())) lambda.provisioned().aliasMoved(ctx, ref.name(), name, before[0]);
        return updated;
    }

    JsonNode deleteAlias(RequestContext ctx, ObjectNode in) {
        Ref ref = LambdaService.ref(ctx, Values.text(in, "FunctionName"));
        lambda.load(ctx, ref);
        String name = Values.text(in, "Name");
        lambda.provisioned().forget(ctx, ref.name(), name);
        aliases.delete(key(ctx, ref.name(), name));
        versions.policies().delete(ctx, ref.name(), name);
        lambda.urls().deleteAlias(ctx, ref.name(), name);
        lambda.eventInvokeConfigs().forget(ctx.accountId(), ctx.region(), ref.name(), name);
        return Values.object().put("StatusCode", 204);
    }

    JsonNode listAliases(RequestContext ctx, ObjectNode in) {
        Ref ref = LambdaService.ref(ctx, Values.text(in, "FunctionName"));
        lambda.load(ctx, ref);
        String version = Values.text(in, "FunctionVersion", null);
        String prefix = LambdaService.key(ctx, ref.name()) + "/";
        int max = Values.integer(in, "MaxItems", 50);
        String marker = Values.text(in, "Marker", null);
        List<JsonNode> matching = new ArrayList<>();
        for (Table.Entry e : aliases.scan(prefix, marker == null ? null : prefix + marker, Integer.MAX_VALUE)) {
            JsonNode alias = e.json();
            if (version == null || version.equals(alias.get("FunctionVersion").asText())) matching.add(alias);
        }
        ObjectNode out = Values.object();
        var list = out.putArray("Aliases");
        for (int i = 0; i < Math.min(max, matching.size()); i++) list.add(matching.get(i));
        if (matching.size() > max) out.put("NextMarker", matching.get(max - 1).get("Name").asText());
        return out;
    }

    /** An alias's configuration, or null. */
    ObjectNode find(RequestContext ctx, String function, String name) {
        return (ObjectNode) aliases.getJson(key(ctx, function, name));
    }

    /** Names of the aliases routing any traffic to a version. */
    List<String> pointingTo(RequestContext ctx, String function, String version) {
        List<String> names = new ArrayList<>();
        for (Table.Entry e : aliases.scan(LambdaService.key(ctx, function) + "/", null, Integer.MAX_VALUE)) {
            JsonNode alias = e.json();
            if (alias.get("FunctionVersion").asText().equals(version) || alias.path("RoutingConfig").path("AdditionalVersionWeights").has(version)) {
                names.add(alias.get("Name").asText());
            }
        }
        return names;
    }

    void deleteAll(RequestContext ctx, String function) {
        for (Table.Entry e : aliases.scan(LambdaService.key(ctx, function) + "/", null, Integer.MAX_VALUE)) aliases.delete(e.key());
    }

    /** The version one invocation through the alias runs: the additional one with its weight's probability. */
    static String pick(JsonNode alias) {
        Iterator<Map.Entry<String, JsonNode>> extra = alias.path("RoutingConfig").path("AdditionalVersionWeights").fields();
        if (extra.hasNext()) {
            Map.Entry<String, JsonNode> e = extra.next();
            if (ThreadLocalRandom.current().nextDouble() < e.getValue().asDouble()) return e.getKey();
        }
        return alias.get("FunctionVersion").asText();
    }

    private ObjectNode existing(RequestContext ctx, String function, String name) {
        ObjectNode alias = find(ctx, function, name);
        if (alias == null) throw new AwsException("ResourceNotFoundException", "Cannot find alias arn: " + arn(ctx, function, name), 404);
        return alias;
    }

    private void checkVersion(RequestContext ctx, String function, String version) {
        if (version.equals(LambdaService.LATEST)) return;
        if (versions.version(ctx, function, version) == null) throw LambdaService.notFound(ctx, new Ref(function, version));
    }

    /** Weighted routing as AWS allows it: one additional published version, other than the primary one, which must be published too. */
    private JsonNode routing(RequestContext ctx, String function, String primary, JsonNode routing) {
        JsonNode weights = routing.path("AdditionalVersionWeights");
        if (weights.isEmpty()) return routing;
        if (weights.size() > 1) throw FunctionCode.invalid("Number of items in AdditionalVersionWeights cannot be greater than 1");
        String extra = weights.fieldNames().next();
        if (primary.equals(LambdaService.LATEST) || extra.equals(LambdaService.LATEST)) {
            throw FunctionCode.invalid("$LATEST is not supported for an alias pointing to more than 1 version");
        }
        if (extra.equals(primary)) {
            throw FunctionCode.invalid("Invalid function version " + extra + ". Function version " + extra + " is already included in routing configuration.");
        }
        if (versions.version(ctx, function, extra) == null) throw LambdaService.notFound(ctx, new Ref(function, extra));
        return routing;
    }

    static String arn(RequestContext ctx, String function, String alias) {
        return ctx.arn("lambda", "function:" + function + ":" + alias);
    }

    private static String key(RequestContext ctx, String function, String alias) {
        return LambdaService.key(ctx, function) + "/" + alias;
    }
}
