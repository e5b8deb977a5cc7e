package dev.nimbus.services.lambda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.Values;
import dev.nimbus.store.Store;
import dev.nimbus.store.Table;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * Put/Get/Update/Delete/ListFunctionEventInvokeConfig(s): how a function's asynchronous events
 * are retried and where their outcome goes. Records live in table {@code lambda.eventinvoke}, key
 * account/region/function/qualifier ($LATEST for the unqualified function, a version number or
 * an alias); an event uses the configuration of the qualifier it was invoked with. The ranges (retries 0-2, age
 * 60-21600 s) and the ARN syntax are the model's, checked by the validator before this runs.
 */
final class EventInvokeConfigs {
    static final String TABLE = "lambda.eventinvoke";
    static final int DEFAULT_RETRIES = 2;
    static final int DEFAULT_MAX_AGE = 21600;
    /** Services a destination may name (S3 buckets only on failure, as in AWS). */
    private static final Set<String> DESTINATION_SERVICES = Set.of("lambda", "sqs", "sns", "events");

    private final Store store;
    private final Table configs;
    private final LambdaService lambda;

    EventInvokeConfigs(Store store, LambdaService lambda) {
        this.store = store;
        this.configs = store.table(TABLE);
        this.lambda = lambda;
    }

    JsonNode put(RequestContext ctx, ObjectNode in) {
        LambdaService.Ref ref = target(ctx, in);
        ObjectNode config = Values.object();
        apply(in, config);
        return save(ctx, ref, config);
    }

    /** Changes only the settings given; the others keep their values. */
    JsonNode update(RequestContext ctx, ObjectNode in) {
        LambdaService.Ref ref = target(ctx, in);
        String key = key(ctx.accountId(), ctx.region(), ref.name(), ref.qualifier());
        return store.transaction(() -> {
            JsonNode existing = configs.getJson(key);
            if (existing == null) throw notFound(ctx, ref);
            ObjectNode config = (ObjectNode) existing;
            apply(in, config);
            return save(ctx, ref, config);
        });
    }

    JsonNode get(RequestContext ctx, ObjectNode in) {
        LambdaService.Ref ref = target(ctx, in);
        JsonNode config = configs.getJson(key(ctx.accountId(), ctx.region(), ref.name(), ref.qualifier()));
        if (config == null) throw notFound(ctx, ref);
        return config;
    }

    JsonNode delete(RequestContext ctx, ObjectNode in) {
        LambdaService.Ref ref = target(ctx, in);
        if (!configs.delete(key(ctx.accountId(), ctx.region(), ref.name(), ref.qualifier()))) throw notFound(ctx, ref);
        return null;
    }

    JsonNode list(RequestContext ctx, ObjectNode in) {
        LambdaService.Ref ref = LambdaService.ref(ctx, Values.text(in, "FunctionName"));
        lambda.load(ctx, new LambdaService.Ref(ref.name(), null));
        String prefix = ctx.accountId() + "/" + ctx.region() + "/" + ref.name() + "/";
        return Pages.page(configs, prefix, in, "FunctionEventInvokeConfigs", (qualifier, config) -> config);
    }

    /** The configuration for events invoked with {@code qualifier} (null: the function's $LATEST), or null for AWS's defaults. */
    JsonNode find(String account, String region, String function, String qualifier) {
        return configs.getJson(key(account, region, function, qualifier));
    }

    /** A deleted function's configurations go with it (a function created again under its name starts without any). */
    void forget(String account, String region, String function) {
        for (Table.Entry e : configs.scan(account + "/" + region + "/" + function + "/", null, Integer.MAX_VALUE)) configs.delete(e.key());
    }

    /** A deleted version's or alias's configuration goes with it. */
    void forget(String account, String region, String function, String qualifier) {
        configs.delete(key(account, region, function, qualifier));
    }

    /** The function and qualifier ($LATEST when none) a request names; both must exist. */
    private LambdaService.Ref target(RequestContext ctx, ObjectNode in) {
        LambdaService.Ref ref = LambdaService.ref(ctx, Values.text(in, "FunctionName"));
        String qualifier = Values.text(in, "Qualifier", ref.qualifier());
        ObjectNode function = lambda.load(ctx, new LambdaService.Ref(ref.name(), null));
        lambda.versions().resolve(ctx, ref, function, qualifier, false);
        return new LambdaService.Ref(ref.name(), qualifier == null ? LambdaService.LATEST : qualifier);
    }

    private void apply(ObjectNode in, ObjectNode config) {
        for (String m : List.of("MaximumRetryAttempts", "MaximumEventAgeInSeconds")) {
            if (in.hasNonNull(m)) config.put(m, in.get(m).asInt());
        }
        JsonNode given = in.path("DestinationConfig");
        for (String side : List.of("OnSuccess", "OnFailure")) {
            String arn = given.path(side).path("Destination").asText("");
            if (!arn.isEmpty() && !supported(side, arn)) throw invalid(given);
        }
        ObjectNode destinations = config.path("DestinationConfig").isObject() ? (ObjectNode) config.get("DestinationConfig")
                : config.putObject("DestinationConfig");
        for (String side : List.of("OnSuccess", "OnFailure")) {
            ObjectNode target = destinations.path(side).isObject() ? (ObjectNode) destinations.get(side) : destinations.putObject(side);
            if (!given.path(side).has("Destination")) continue;
            String arn = given.path(side).path("Destination").asText("");
            if (arn.isEmpty()) target.remove("Destination");
            else target.put("Destination", arn);
        }
    }

    private JsonNode save(RequestContext ctx, LambdaService.Ref ref, ObjectNode config) {
        config.put("FunctionArn", ctx.arn("lambda", "function:" + ref.name() + ":" + ref.qualifier()));
        config.set("LastModified", Values.timestamp(Instant.now()));
        configs.putJson(key(ctx.accountId(), ctx.region(), ref.name(), ref.qualifier()), config);
        return config;
    }

    private static boolean supported(String side, String arn) {
        String[] parts = arn.split(":", 6);
        String service = parts.length == 6 ? parts[2] : "";
        return DESTINATION_SERVICES.contains(service) || (service.equals("s3") && side.equals("OnFailure"));
    }

    /** AWS names the whole configuration given, in its Java model's notation. */
    private static AwsException invalid(JsonNode given) {
        String onSuccess = given.path("OnSuccess").path("Destination").asText("");
        String onFailure = given.path("OnFailure").path("Destination").asText("");
        return new AwsException("InvalidParameterValueException", "The provided destination config DestinationConfig(onSuccess="
                + (onSuccess.isEmpty() ? "null" : "OnSuccess(destination=" + onSuccess + ")") + ", onFailure="
                + (onFailure.isEmpty() ? "null" : "OnFailure(destination=" + onFailure + ")") + ") is invalid.", 400);
    }

    private static String key(String account, String region, String function, String qualifier) {
        return account + "/" + region + "/" + function + "/" + (qualifier == null ? LambdaService.LATEST : qualifier);
    }

    private static AwsException notFound(RequestContext ctx, LambdaService.Ref ref) {
        return new AwsException("ResourceNotFoundException", "The function " + ctx.arn("lambda", "function:" + ref.name() + ":" + ref.qualifier())
                + " doesn't have an EventInvokeConfig", 404);
    }
}
