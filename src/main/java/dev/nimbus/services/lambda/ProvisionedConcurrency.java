package dev.nimbus.services.lambda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.compute.FunctionSpec;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.Operations;
import dev.nimbus.services.lambda.LambdaService.Ref;
import dev.nimbus.store.Store;
import dev.nimbus.store.Table;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Put/Get/Delete/ListProvisionedConcurrencyConfig(s): a version or alias keeps that many execution
 * environments started and initialised. Put answers IN_PROGRESS; once the environments have
 * finished their init the configuration is READY (FAILED if an init fails). Table
 * {@code lambda.provisioned}, key account/region/function/qualifier. Environments do not survive
 * a restart; {@link #start} provisions every stored configuration again.
 */
final class ProvisionedConcurrency {
    private static final Logger LOG = Logger.getLogger(ProvisionedConcurrency.class.getName());
    static final String TABLE = "lambda.provisioned";
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ssZ").withZone(ZoneOffset.UTC);

    private final LambdaService lambda;
    private final Store store;
    private final Table configs;

    ProvisionedConcurrency(LambdaService lambda, Store store) {
        this.lambda = lambda;
        this.store = store;
        this.configs = store.table(TABLE);
    }

    void register(Operations ops) {
        ops.add("PutProvisionedConcurrencyConfig", this::put)
                .add("GetProvisionedConcurrencyConfig", this::get)
                .add("DeleteProvisionedConcurrencyConfig", this::delete)
                .add("ListProvisionedConcurrencyConfigs", this::list);
    }

    JsonNode put(RequestContext ctx, ObjectNode in) {
        Ref ref = target(ctx, in);
        int requested = Values.integer(in, "ProvisionedConcurrentExecutions", 1);
        ObjectNode function = lambda.load(ctx, new Ref(ref.name(), null));
        int reserved = function.path("ReservedConcurrentExecutions").asInt(-1);
        String key = key(ctx, ref);
        ObjectNode config = store.transaction(() -> {
            int others = 0;
            for (Table.Entry e : configs.scan(LambdaService.key(ctx, ref.name()) + "/", null, Integer.MAX_VALUE)) {
                if (!e.key().equals(key)) others += e.json().get("RequestedProvisionedConcurrentExecutions").asInt();
            }
            if (reserved >= 0 && others + requested > reserved) {
                throw FunctionCode.invalid("Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function");
            }
            int unreserved = lambda.unreserved(ctx);
            if (reserved < 0 && unreserved - others - requested < LambdaService.MIN_UNRESERVED) {
                throw FunctionCode.invalid("Specified ConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of ["
                        + LambdaService.MIN_UNRESERVED + "].");
            }
            ObjectNode c = Values.object()
                    .put("RequestedProvisionedConcurrentExecutions", requested)
                    .put("AvailableProvisionedConcurrentExecutions", 0)
                    .put("AllocatedProvisionedConcurrentExecutions", 0)
                    .put("Status", "IN_PROGRESS")
                    .put("LastModified", TIME.format(Instant.now()));
            configs.putJson(key, c);
            return c;
        });
        provision(ctx, ref, config);
        return config;
    }

    JsonNode get(RequestContext ctx, ObjectNode in) {
        return existing(ctx, target(ctx, in));
    }

    JsonNode delete(RequestContext ctx, ObjectNode in) {
        Ref ref = target(ctx, in);
        existing(ctx, ref);
        configs.delete(key(ctx, ref));
        release(ctx, ref);
        return null;
    }

    JsonNode list(RequestContext ctx, ObjectNode in) {
        Ref ref = LambdaService.ref(ctx, Values.text(in, "FunctionName"));
        lambda.load(ctx, new Ref(ref.name(), null));
        String prefix = LambdaService.key(ctx, ref.name()) + "/";
        return Pages.page(configs, prefix, in, "ProvisionedConcurrencyConfigs", (qualifier, config) ->
                Values.object().put("FunctionArn", ctx.arn("lambda", "function:" + ref.name() + ":" + qualifier)).setAll((ObjectNode) config));
    }

    /** The provisioned concurrency of a function's versions and aliases, by qualifier, for GetAccountSettings and reservations. */
    int total(RequestContext ctx, String function) {
        int n = 0;
        for (Table.Entry e : configs.scan(LambdaService.key(ctx, function) + "/", null, Integer.MAX_VALUE)) {
            n += e.json().get("RequestedProvisionedConcurrentExecutions").asInt();
        }
        return n;
    }

    /** The function is gone: its configurations go (its versions' environments are drained with them). */
    void deleteAll(RequestContext ctx, String function) {
        for (Table.Entry e : configs.scan(LambdaService.key(ctx, function) + "/", null, Integer.MAX_VALUE)) configs.delete(e.key());
    }

    /** A version or alias goes: so do its configuration and the environments kept for it (called before an alias is deleted). */
    void forget(RequestContext ctx, String function, String qualifier) {
        Ref ref = new Ref(function, qualifier);
        if (configs.getJson(key(ctx, ref)) == null) return;
        try {
            release(ctx, ref);
        } catch (AwsException e) {
            // a version already deleted: its environments were drained with it
        }
        configs.delete(key(ctx, ref));
    }

    /**
     * An alias now points to another version: its provisioned environments move there, and the
     * configuration is IN_PROGRESS until they are ready. The old version's environments are let go
     * unless the version is provisioned itself.
     */
    void aliasMoved(RequestContext ctx, String function, String alias, String oldVersion) {
        Ref ref = new Ref(function, alias);
        JsonNode existing = configs.getJson(key(ctx, ref));
        if (existing == null) return;
        if (configs.getJson(key(ctx, new Ref(function, oldVersion))) == null) {
            try {
                lambda.compute().provision(lambda.provisionedSpec(ctx, new Ref(function, oldVersion)), 0);
            } catch (AwsException e) {
                // the old version is gone, and its environments with it
            }
        }
        ObjectNode config = ((ObjectNode) existing).put("AvailableProvisionedConcurrentExecutions", 0).put("AllocatedProvisionedConcurrentExecutions", 0)
                .put("Status", "IN_PROGRESS").put("LastModified", TIME.format(Instant.now()));
        configs.putJson(key(ctx, ref), config);
        provision(ctx, ref, config);
    }

    /** After a restart: every stored configuration gets its environments again. */
    void start() {
        Map<String, JsonNode> all = new LinkedHashMap<>();
        for (Table.Entry e : configs.scan("", null, Integer.MAX_VALUE)) all.put(e.key(), e.json());
        all.forEach((key, config) -> {
            String[] p = key.split("/", 4);
            RequestContext ctx = LambdaService.system(p[0], p[1], null);
            try {
                provision(ctx, new Ref(p[2], p[3]), (ObjectNode) config);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "provisioned concurrency of " + p[2] + ":" + p[3] + " could not be started again", e);
            }
        });
    }

    /** Starts the environments, and records READY (or FAILED) when their init is over, unless the configuration changed meanwhile. */
    private void provision(RequestContext ctx, Ref ref, ObjectNode config) {
        FunctionSpec spec = lambda.provisionedSpec(ctx, ref);
        int requested = config.get("RequestedProvisionedConcurrentExecutions").asInt();
        String key = key(ctx, ref), stamp = config.get("LastModified").asText() + "/" + requested;
        // Recorded off the thread that completes the init (an environment's runtime API thread).
        lambda.compute().provision(spec, requested).whenCompleteAsync((ok, failure) -> store.transaction(() -> {
            JsonNode now = configs.getJson(key);
            if (now == null || !(now.get("LastModified").asText() + "/" + now.get("RequestedProvisionedConcurrentExecutions").asInt()).equals(stamp)) return;
            ObjectNode done = (ObjectNode) now;
            if (failure == null) {
                done.put("AvailableProvisionedConcurrentExecutions", requested).put("AllocatedProvisionedConcurrentExecutions", requested).put("Status", "READY");
                done.remove("StatusReason");
            } else {
                done.put("Status", "FAILED").put("StatusReason", "FUNCTION_ERROR_INIT_FAILURE");
            }
            configs.putJson(key, done);
        }), r -> Thread.ofVirtual().name("lambda-provisioned").start(r));
    }

    private void release(RequestContext ctx, Ref ref) {
        lambda.compute().provision(lambda.provisionedSpec(ctx, ref), 0);
    }

    /** A published version or an alias of an existing function; $LATEST cannot be provisioned. */
    private Ref target(RequestContext ctx, ObjectNode in) {
        Ref ref = LambdaService.ref(ctx, Values.text(in, "FunctionName"));
        String qualifier = Values.text(in, "Qualifier", ref.qualifier());
        ObjectNode function = lambda.load(ctx, new Ref(ref.name(), null));
        if (qualifier == null || qualifier.equals(LambdaService.LATEST)) {
            throw FunctionCode.invalid("Provisioned Concurrency Configs cannot be applied to unpublished function versions.");
        }
        JsonNode version = lambda.versions().resolve(ctx, ref, function, qualifier, false);
        if (version.get("Configuration").get("Version").asText().equals(LambdaService.LATEST)) { // an alias of $LATEST
            throw FunctionCode.invalid("Provisioned Concurrency Configs cannot be applied to unpublished function versions.");
        }
        return new Ref(ref.name(), qualifier);
    }

    private ObjectNode existing(RequestContext ctx, Ref ref) {
        JsonNode config = configs.getJson(key(ctx, ref));
        if (config == null) {
            throw new AwsException("ProvisionedConcurrencyConfigNotFoundException", "No Provisioned Concurrency Config found for this function", 404);
        }
        return (ObjectNode) config;
    }

    private static String key(RequestContext ctx, Ref ref) {
        return LambdaService.key(ctx, ref.name()) + "/" + ref.qualifier();
    }
}
