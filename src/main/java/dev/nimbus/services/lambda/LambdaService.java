package dev.nimbus.services.lambda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.compute.Compute;
import dev.nimbus.compute.FunctionSpec;
import dev.nimbus.compute.Invocation;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.HttpResponse;
import dev.nimbus.protocol.Identity;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.AwsService;
import dev.nimbus.services.FrontDoor;
import dev.nimbus.services.Operations;
import dev.nimbus.services.Targets;
import dev.nimbus.services.iam.Iam;
import dev.nimbus.services.logs.Logs;
import dev.nimbus.services.logs.LogsService;
import dev.nimbus.store.Store;
import dev.nimbus.store.Table;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.logging.Logger;

/**
 * AWS Lambda: functions from zip packages (control plane) and synchronous invocation in
 * execution environments ({@link Compute}). Function records live in the store (table
 * {@code lambda.functions}, key account/region/name); zips are blobs, unpacked once per code
 * revision under the data dir, where environments read them.
 */
public final class LambdaService implements AwsService, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(LambdaService.class.getName());
    static final String TABLE = "lambda.functions";
    static final String LATEST = "$LATEST";
    /** Runtimes Nimbus runs: the host's python3 and node stand in for each version. */
    static final Set<String> RUNTIMES = Set.of("python3.9", "python3.10", "python3.11", "python3.12", "python3.13",
            "nodejs18.x", "nodejs20.x", "nodejs22.x", "java17", "java21", "provided", "provided.al2", "provided.al2023");
    static final DateTimeFormatter LAST_MODIFIED = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSZ").withZone(ZoneOffset.UTC);
    /** name, ARN or partial ARN ("123456789012:function:name"), with an optional qualifier */
    private static final Pattern FUNCTION_REF = Pattern.compile(
            "(?:arn:aws[a-zA-Z-]*:lambda:)?(?:([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\\d):)?(?:(\\d{12}):)?(?:function:)?([a-zA-Z0-9_-]+)(?::(\\$LATEST|[a-zA-Z0-9_-]+))?");
    private static final Pattern ROLE = Pattern.compile("arn:aws[a-zA-Z-]*:iam::(\\d{12}):role/(?:.*/)?([\\w+=,.@-]+)");
    private static final Pattern CODE_URL = Pattern.compile("/_nimbus/lambda/code/([0-9a-f-]{36})\\.zip");
    /** AWS's limit on a synchronous invocation's payload. */
    static final int MAX_PAYLOAD = 6 * 1024 * 1024;
    private static final Set<String> RESERVED_VARIABLES = Set.of("_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION",
            "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
            "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_ACCESS_KEY",
            "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT",
            "LAMBDA_RUNTIME_DIR");

    private final Store store;
    private final Table functions;
    private final Iam iam;
    private final Supplier<String> endpoint;
    private final Path dataDir;
    private volatile Path base;
    private volatile Compute compute;
    private final LogsService logs;
    private final Versions versions;
    private final Layers layers;
    /** Ships invocation logs to CloudWatch Logs off the invoke path. */
    private final LogShipper logShipper;
    private final EventInvokeConfigs eventInvokeConfigs;
    private final AsyncInvoker async;
    private final FunctionUrls urls;
    private final ProvisionedConcurrency provisioned;
    private volatile LambdaLimits limits = LambdaLimits.defaults();
    private final RegionalConcurrency regional = new RegionalConcurrency(limits, this::reservations);
    private final EventSourceMappings eventSourceMappings = new EventSourceMappings(this);

    /** Where invocations publish their AWS/Lambda metrics (CloudWatch), once set. */
    private volatile dev.nimbus.services.cloudwatch.LambdaMetrics metrics;

    public void publishMetricsTo(dev.nimbus.services.cloudwatch.Metrics m) {
        this.metrics = new dev.nimbus.services.cloudwatch.LambdaMetrics(m);
    }

    /** Where asynchronous invocation publishes its metrics, or null. */
    dev.nimbus.services.cloudwatch.LambdaMetrics metrics() {
        return metrics;
    }

    /**
     * @param endpoint how functions reach Nimbus (AWS_ENDPOINT_URL), known once the server listens
     * @param dataDir  where unpacked code lives, or null for a temporary directory removed on close
     */
    public LambdaService(Store store, Iam iam, LogsService logs, Targets targets, Supplier<String> endpoint, Path dataDir) {
        this.store = store;
        this.logs = logs;
        this.logShipper = new LogShipper(store, logs);
        this.functions = store.table(TABLE);
        this.iam = iam;
        this.endpoint = endpoint;
        this.dataDir = dataDir;
        this.versions = new Versions(this, store);
        this.layers = new Layers(this, store);
        this.eventInvokeConfigs = new EventInvokeConfigs(store, this);
        this.async = new AsyncInvoker(store, eventInvokeConfigs, this, targets);
        this.urls = new FunctionUrls(this, store, endpoint);
        this.provisioned = new ProvisionedConcurrency(this, store);
    }

    /** Sets the regional concurrency limit, the memory budget and the environments' idle time (before the first invocation). */
    public void limit(LambdaLimits l) {
        limits = l;
        regional.limit(l);
    }

    /** Function URLs: their API, and the front door serving them. */
    public FrontDoor functionUrls(java.util.function.Function<String, Identity> identities) {
        return urls.frontDoor(identities);
    }

    /** Reads a deployment package from S3 (bucket, key, version or null); ServiceSet sets it, so Lambda needs no S3 classes. */
    public interface CodeSource {
        byte[] read(String bucket, String key, String version);
    }

    private volatile CodeSource s3Code;

    public void codeFromS3(CodeSource source) {
        this.s3Code = source;
    }

    /** The zip of a Code (or UpdateFunctionCode input): ZipFile, or S3Bucket/S3Key/S3ObjectVersion read through {@link #codeFromS3}. */
    private byte[] zipOf(JsonNode code) {
        if (code.hasNonNull("ZipFile")) return bytes(code.get("ZipFile"));
        if (s3Code == null) throw new AwsException("NotImplemented", "Nimbus does not take code from S3 here; upload the zip as ZipFile", 501, false);
        try {
            return s3Code.read(code.get("S3Bucket").asText(), Values.text(code, "S3Key", ""), Values.text(code, "S3ObjectVersion", null));
        } catch (AwsException e) {
            throw FunctionCode.invalid("Error occurred while GetObject. S3 Error Code: " + e.code() + ". S3 Error Message: " + e.getMessage());
        }
    }

    /** SQS queues as sources of event source mappings. */
    public void readQueues(dev.nimbus.services.QueueMessages sqs) {
        eventSourceMappings.source("sqs", new SqsEventSource(sqs));
    }

    /** DynamoDB streams as sources of event source mappings; failed batches' descriptions go out through {@code targets}. */
    public void readStreams(dev.nimbus.services.StreamRecords streams, Targets targets) {
        eventSourceMappings.source("dynamodb", new DynamoDbStreamEventSource(streams, store, targets));
    }

    /** Starts running stored asynchronous events; called once the server listens, as functions call back into it. */
    public void start() {
        async.start();
        provisioned.start();
        eventSourceMappings.start();
    }

    @Override
    public String modelName() {
        return "lambda";
    }

    @Override
    public void register(Operations ops) {
        ops.add("CreateFunction", this::createFunction)
                .add("GetFunction", this::getFunction)
                .add("GetFunctionConfiguration", this::getFunctionConfiguration)
                .add("ListFunctions", this::listFunctions)
                .add("UpdateFunctionCode", this::updateFunctionCode)
                .add("UpdateFunctionConfiguration", this::updateFunctionConfiguration)
                .add("DeleteFunction", this::deleteFunction)
                .add("TagResource", this::tagResource)
                .add("UntagResource", this::untagResource)
                .add("ListTags", this::listTags)
                .add("PutFunctionConcurrency", this::putFunctionConcurrency)
                .add("GetFunctionConcurrency", this::getFunctionConcurrency)
                .add("DeleteFunctionConcurrency", this::deleteFunctionConcurrency)
                .add("Invoke", this::invoke)
                .add("PutFunctionEventInvokeConfig", eventInvokeConfigs::put)
                .add("UpdateFunctionEventInvokeConfig", eventInvokeConfigs::update)
                .add("GetFunctionEventInvokeConfig", eventInvokeConfigs::get)
                .add("DeleteFunctionEventInvokeConfig", eventInvokeConfigs::delete)
                .add("ListFunctionEventInvokeConfigs", eventInvokeConfigs::list);
        eventSourceMappings.register(ops);
        versions.register(ops);
        layers.register(ops);
        urls.register(ops);
        provisioned.register(ops);
        ops.add("GetAccountSettings", (ctx, in) -> AccountSettings.get(this, ctx));
    }

    // ---- control plane

    JsonNode createFunction(RequestContext ctx, ObjectNode in) {
        String name = ref(ctx, Values.text(in, "FunctionName")).name();
        if ("Image".equals(Values.text(in, "PackageType", "Zip"))) {
            throw new AwsException("NotImplemented", "Nimbus runs zip packages only; container images are not supported", 501, false);
        }
        if (!in.hasNonNull("Runtime") || !in.hasNonNull("Handler")) {
            throw FunctionCode.invalid("Runtime and Handler are mandatory parameters for functions created with deployment packages.");
        }
        ObjectNode config = Values.object();
        config.put("FunctionName", name);
        config.put("FunctionArn", ctx.arn("lambda", "function:" + name));
        for (String m : List.of("Runtime", "Role", "Handler")) config.put(m, Values.text(in, m));
        config.put("Description", Values.text(in, "Description", ""));
        config.put("Timeout", Values.integer(in, "Timeout", 3));
        config.put("MemorySize", Values.integer(in, "MemorySize", 128));
        if (in.has("Environment")) config.set("Environment", in.get("Environment"));
        if (in.has("DeadLetterConfig")) config.set("DeadLetterConfig", in.get("DeadLetterConfig"));
        checkConfiguration(config);
        var layerCodes = layers.attach(in.path("Layers"), config);
        JsonNode code = in.path("Code");
        if (!code.hasNonNull("ZipFile") && !code.hasNonNull("S3Bucket")) throw FunctionCode.invalid("Please provide a source for function code.");
        String key = key(ctx, name);
        if (functions.get(key) != null) throw conflict(name);
        byte[] zip = zipOf(code);
        FunctionCode.checkSize(zip, "CreateFunction");
        String codeId = saveCode(zip);
        config.put("CodeSize", zip.length);
        config.put("CodeSha256", FunctionCode.sha256(zip));
        config.put("Version", LATEST);
        config.putObject("TracingConfig").put("Mode", in.path("TracingConfig").path("Mode").asText("PassThrough"));
        config.put("PackageType", "Zip");
        config.putArray("Architectures").add(in.path("Architectures").path(0).asText("x86_64"));
        config.putObject("EphemeralStorage").put("Size", in.path("EphemeralStorage").path("Size").asInt(512));
        config.putObject("SnapStart").put("ApplyOn", "None").put("OptimizationStatus", "Off");
        config.set("LoggingConfig", LoggingConfigs.apply(in.path("LoggingConfig"), null, name));
        stamp(config);
        config.put("State", "Active");
        config.put("LastUpdateStatus", "Successful");
        ObjectNode record = Values.object().put("CodeId", codeId);
        record.set("Configuration", config);
        if (!layerCodes.isEmpty()) record.set("LayerCodes", layerCodes);
        record.set("Tags", in.path("Tags").isObject() ? in.get("Tags") : Values.object());
        if (!functions.putJsonIfAbsent(key, record)) {
            dropCode(codeId);
            throw conflict(name);
        }
        compute().drain(config.get("FunctionArn").asText(), config.get("RevisionId").asText());
        // The function is usable as soon as this returns; the answer still shows the state AWS
        // reports while creating, which waiters (function-active-v2) expect to see change.
        ObjectNode out = config.deepCopy();
        out.put("State", "Pending").put("StateReason", "The function is being created.").put("StateReasonCode", "Creating");
        out.remove("LastUpdateStatus");
        return out;
    }

    JsonNode getFunction(RequestContext ctx, ObjectNode in) {
        Ref ref = ref(ctx, Values.text(in, "FunctionName"));
        ObjectNode function = load(ctx, ref);
        JsonNode record = versions.view(ctx, ref, function, Values.text(in, "Qualifier", ref.qualifier()));
        ObjectNode out = Values.object();
        out.set("Configuration", record.get("Configuration"));
        out.putObject("Code").put("RepositoryType", "S3")
                .put("Location", codeLocation(record.get("CodeId").asText()));
        if (!function.path("Tags").isEmpty()) out.set("Tags", function.get("Tags"));
        if (function.has("ReservedConcurrentExecutions")) {
            out.putObject("Concurrency").set("ReservedConcurrentExecutions", function.get("ReservedConcurrentExecutions"));
        }
        return out;
    }

    JsonNode getFunctionConfiguration(RequestContext ctx, ObjectNode in) {
        Ref ref = ref(ctx, Values.text(in, "FunctionName"));
        return versions.view(ctx, ref, load(ctx, ref), Values.text(in, "Qualifier", ref.qualifier())).get("Configuration");
    }

    JsonNode listFunctions(RequestContext ctx, ObjectNode in) {
        if ("ALL".equals(Values.text(in, "FunctionVersion", null))) return versions.listAll(ctx, in);
        String prefix = ctx.accountId() + "/" + ctx.region() + "/";
        return Pages.page(functions, prefix, in, "Functions", (name, record) -> record.get("Configuration"));
    }

    JsonNode updateFunctionCode(RequestContext ctx, ObjectNode in) {
        Ref ref = latest(ctx, in);
        ObjectNode record = load(ctx, ref);
        ObjectNode config = (ObjectNode) record.get("Configuration");
        checkRevision(in, config);
        if (!in.hasNonNull("ZipFile") && !in.hasNonNull("S3Bucket")) {
            throw FunctionCode.invalid("Please do not provide other FunctionCode parameters when providing a ZipFile.");
        }
        byte[] zip = zipOf(in);
        FunctionCode.checkSize(zip, "UpdateFunctionCode");
        if (in.path("DryRun").asBoolean(false)) {
            ObjectNode out = config.deepCopy();
            out.put("CodeSize", zip.length).put("CodeSha256", FunctionCode.sha256(zip));
            return out;
        }
        String codeId = saveCode(zip);
        String old = record.get("CodeId").asText();
        config.put("CodeSize", zip.length);
        config.put("CodeSha256", FunctionCode.sha256(zip));
        return replace(ctx, ref, record.put("CodeId", codeId), config, old);
    }

    JsonNode updateFunctionConfiguration(RequestContext ctx, ObjectNode in) {
        Ref ref = latest(ctx, in);
        ObjectNode record = load(ctx, ref);
        ObjectNode config = (ObjectNode) record.get("Configuration");
        checkRevision(in, config);
        for (String m : List.of("Runtime", "Role", "Handler", "Description")) if (in.hasNonNull(m)) config.put(m, in.get(m).asText());
        for (String m : List.of("Timeout", "MemorySize")) if (in.hasNonNull(m)) config.put(m, in.get(m).asInt());
        if (in.has("Environment")) config.set("Environment", in.get("Environment"));
        if (in.has("DeadLetterConfig")) config.set("DeadLetterConfig", in.get("DeadLetterConfig"));
        if (in.path("EphemeralStorage").has("Size")) config.putObject("EphemeralStorage").put("Size", in.get("EphemeralStorage").get("Size").asInt());
        if (in.path("LoggingConfig").isObject()) {
            config.set("LoggingConfig", LoggingConfigs.apply(in.get("LoggingConfig"), config.get("LoggingConfig"), config.get("FunctionName").asText()));
        }
        checkConfiguration(config);
        if (in.has("Layers")) record.set("LayerCodes", layers.attach(in.get("Layers"), config));
        return replace(ctx, ref, record, config, null);
    }

    /** Stores a changed function, retires its environments, and answers as AWS does while an update runs. */
    private JsonNode replace(RequestContext ctx, Ref ref, ObjectNode record, ObjectNode config, String oldCodeId) {
        stamp(config);
        record.set("Configuration", config);
        String key = key(ctx, ref.name());
        boolean stored = store.transaction(() -> {
            if (functions.get(key) == null) return false;
            functions.putJson(key, record);
            return true;
        });
        if (!stored) {
            if (oldCodeId != null) dropCode(record.get("CodeId").asText());
            throw notFound(ctx, ref);
        }
        compute().drain(config.get("FunctionArn").asText(), config.get("RevisionId").asText());
        if (oldCodeId != null) dropCode(oldCodeId);
        ObjectNode out = config.deepCopy();
        out.put("LastUpdateStatus", "InProgress")
                .put("LastUpdateStatusReason", "The function is being created.")
                .put("LastUpdateStatusReasonCode", "Creating");
        return out;
    }

    JsonNode deleteFunction(RequestContext ctx, ObjectNode in) {
        Ref ref = ref(ctx, Values.text(in, "FunctionName"));
        String qualifier = Values.text(in, "Qualifier", ref.qualifier());
        if (LATEST.equals(qualifier)) {
            throw FunctionCode.invalid("$LATEST version cannot be deleted without deleting the function.");
        }
        if (qualifier != null) {
            versions.delete(ctx, ref, qualifier);
            return Values.object().put("StatusCode", 204);
        }
        ObjectNode record = load(ctx, ref);
        if (!functions.delete(key(ctx, ref.name()))) throw notFound(ctx, ref);
        versions.deleteAll(ctx, ref.name());
        urls.deleteAll(ctx, ref.name());
        provisioned.deleteAll(ctx, ref.name());
        String arn = record.get("Configuration").get("FunctionArn").asText();
        compute().drain(arn, null);
        running.remove(arn);
        if (record.has("ReservedConcurrentExecutions")) regional.reservationsChanged(ctx.accountId(), ctx.region());
        eventInvokeConfigs.forget(ctx.accountId(), ctx.region(), ref.name());
        dropCode(record.get("CodeId").asText());
        return Values.object().put("StatusCode", 204);
    }

    // ---- tags (of functions: the only taggable resource served so far)

    JsonNode tagResource(RequestContext ctx, ObjectNode in) {
        changeTags(ctx, Values.text(in, "Resource"), tags -> in.path("Tags").fields().forEachRemaining(e -> tags.set(e.getKey(), e.getValue())));
        return null;
    }

    JsonNode untagResource(RequestContext ctx, ObjectNode in) {
        changeTags(ctx, Values.text(in, "Resource"), tags -> in.path("TagKeys").forEach(k -> tags.remove(k.asText())));
        return null;
    }

    JsonNode listTags(RequestContext ctx, ObjectNode in) {
        JsonNode tags = load(ctx, taggedFunction(ctx, Values.text(in, "Resource"))).path("Tags");
        return Values.object().set("Tags", tags.isObject() ? tags : Values.object());
    }

    private void changeTags(RequestContext ctx, String resource, java.util.function.Consumer<ObjectNode> change) {
        Ref ref = taggedFunction(ctx, resource);
        String key = key(ctx, ref.name());
        store.transaction(() -> {
            JsonNode record = functions.getJson(key);
            if (record == null) throw notFound(ctx, ref);
            ObjectNode tags = record.path("Tags").isObject() ? (ObjectNode) record.get("Tags") : ((ObjectNode) record).putObject("Tags");
            change.accept(tags);
            functions.putJson(key, record);
        });
    }

    /** Tags belong to the function, not to a version: an ARN with a qualifier is refused as AWS does. */
    private static Ref taggedFunction(RequestContext ctx, String arn) {
        Ref ref = ref(ctx, arn);
        if (ref.qualifier() != null) {
            throw FunctionCode.invalid("Tags on function aliases and versions are not supported. Please specify a function ARN.");
        }
        return ref;
    }

    // ---- reserved concurrency

    /** The account's concurrency, and what must stay unreserved for functions without a reservation (AWS's defaults). */
    static final int ACCOUNT_CONCURRENCY = 1000;
    static final int MIN_UNRESERVED = 100;

    JsonNode putFunctionConcurrency(RequestContext ctx, ObjectNode in) {
        Ref ref = latest(ctx, in);
        int reserved = Values.integer(in, "ReservedConcurrentExecutions", 0);
        String key = key(ctx, ref.name());
        String prefix = ctx.accountId() + "/" + ctx.region() + "/";
        store.transaction(() -> {
            ObjectNode record = load(ctx, ref);
            int others = 0;
            for (Table.Entry e : functions.scan(prefix, null, Integer.MAX_VALUE)) {
                if (!e.key().equals(key)) others += e.json().path("ReservedConcurrentExecutions").asInt(0);
            }
            if (regional.limit() - others - reserved < MIN_UNRESERVED) {
                throw FunctionCode.invalid("Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of ["
                        + MIN_UNRESERVED + "].");
            }
            functions.putJson(key, record.put("ReservedConcurrentExecutions", reserved));
        });
        regional.reservationsChanged(ctx.accountId(), ctx.region());
        return Values.object().put("ReservedConcurrentExecutions", reserved);
    }

    JsonNode getFunctionConcurrency(RequestContext ctx, ObjectNode in) {
        JsonNode record = load(ctx, latest(ctx, in));
        ObjectNode out = Values.object();
        if (record.has("ReservedConcurrentExecutions")) out.set("ReservedConcurrentExecutions", record.get("ReservedConcurrentExecutions"));
        return out;
    }

    JsonNode deleteFunctionConcurrency(RequestContext ctx, ObjectNode in) {
        Ref ref = latest(ctx, in);
        String key = key(ctx, ref.name());
        store.transaction(() -> {
            ObjectNode record = load(ctx, ref);
            record.remove("ReservedConcurrentExecutions");
            functions.putJson(key, record);
        });
        regional.reservationsChanged(ctx.accountId(), ctx.region());
        return null;
    }

    /** Invocations running per function ARN, for reserved concurrency. */
    private final java.util.concurrent.ConcurrentHashMap<String, java.util.concurrent.atomic.AtomicInteger> running =
            new java.util.concurrent.ConcurrentHashMap<>();

    /** Counts an invocation in, or throttles it as AWS does when the function's reservation or the regional limit is used up. */
    private java.util.concurrent.atomic.AtomicInteger admit(RequestContext ctx, String arn, JsonNode record, int memoryMb) {
        var count = running.computeIfAbsent(arn, k -> new java.util.concurrent.atomic.AtomicInteger());
        int limit = record.path("ReservedConcurrentExecutions").asInt(ACCOUNT_CONCURRENCY);
        while (true) {
            int n = count.get();
            if (n >= limit) {
                throw new AwsException("TooManyRequestsException", "Rate Exceeded.", 429)
                        .with("Reason", "ReservedFunctionConcurrentInvocationLimitExceeded");
            }
            if (count.compareAndSet(n, n + 1)) break;
        }
        try {
            regional.acquire(ctx.accountId(), ctx.region(), memoryMb, record.has("ReservedConcurrentExecutions"));
        } catch (AwsException e) {
            count.decrementAndGet();
            throw e;
        }
        return count;
    }

    // ---- invoke

    JsonNode invoke(RequestContext ctx, ObjectNode in) {
        Ref ref = ref(ctx, Values.text(in, "FunctionName"));
        String qualifier = Values.text(in, "Qualifier", ref.qualifier());
        byte[] payload = in.hasNonNull("Payload") ? bytes(in.get("Payload")) : new byte[0];
        if (payload.length > MAX_PAYLOAD) {
            throw new AwsException("RequestTooLargeException", "Request must be smaller than " + MAX_PAYLOAD + " bytes for the InvokeFunction operation", 413);
        }
        ObjectNode function = load(ctx, ref);
        ObjectNode record = versions.resolve(ctx, ref, function, qualifier, true);
        if (payload.length > 0) {
            try {
                Values.JSON.readTree(payload);
            } catch (IOException e) {
                throw new AwsException("InvalidRequestContentException",
                        "Could not parse request body into json: Could not parse payload into json: " + e.getMessage().lines().findFirst().orElse(""), 400);
            }
        }
        String type = Values.text(in, "InvocationType", "RequestResponse");
        ObjectNode out = Values.object();
        if (type.equals("DryRun")) return out.put("StatusCode", 204);
        String version = record.path("Configuration").path("Version").asText(LATEST);
        if (type.equals("Event")) {
            if (payload.length > AsyncInvoker.MAX_PAYLOAD) {
                throw new AwsException("RequestTooLargeException", "Request must be smaller than " + AsyncInvoker.MAX_PAYLOAD + " bytes for the InvokeFunction operation", 413);
            }
            async.enqueue(ctx.accountId(), ctx.region(), ref.name(), qualifier, ctx.requestId(), payload.length == 0 ? "{}".getBytes(StandardCharsets.UTF_8) : payload).run();
            return out.put("StatusCode", 202);
        }
        String clientContext = Values.text(in, "ClientContext", null);
        if (clientContext != null) clientContext = new String(Base64.getMimeDecoder().decode(clientContext), StandardCharsets.UTF_8);
        Invocation.Result r = run(ctx, function, record, payload, clientContext, qualifier);
        out.put("StatusCode", 200);
        out.put("ExecutedVersion", version);
        if (r.functionError() != null) out.put("FunctionError", r.functionError());
        if ("Tail".equals(Values.text(in, "LogType", "None"))) out.put("LogResult", tail(LoggingConfigs.visible(record.get("Configuration"), r.log())));
        out.set("Payload", Values.NODES.binaryNode(r.payload()));
        return out;
    }

    /**
     * A message from another service (a destination, notification, subscription or alarm action):
     * an asynchronous invocation with the body as payload, queued inside the caller's transaction.
     */
    public Runnable accept(Targets.Arn arn, Targets.Message message) {
        String[] parts = arn.resource().split(":");
        if (parts.length < 2 || !parts[0].equals("function")) {
            throw new AwsException("InvalidParameterValueException", "Not a function ARN: " + arn, 400);
        }
        String qualifier = parts.length > 2 ? parts[2] : null;
        RequestContext ctx = system(arn.account(), arn.region(), UUID.randomUUID().toString());
        JsonNode function = functions.getJson(key(ctx, parts[1]));
        if (function == null) throw new AwsException("ResourceNotFoundException", "Function not found: " + arn, 404);
        versions.resolve(ctx, new Ref(parts[1], qualifier), (ObjectNode) function, qualifier, false); // the version or alias must exist
        return async.enqueue(arn.account(), arn.region(), parts[1], qualifier, ctx.requestId(), message.body().getBytes(StandardCharsets.UTF_8));
    }

    /** What an asynchronous invocation ran: its result, and the version that ran it. */
    record Executed(Invocation.Result result, String version) {}

    /**
     * One invocation for the asynchronous worker of the function invoked with {@code qualifier}
     * (null: unqualified), through the path of a synchronous Invoke (concurrency admission
     * included: a throttle is the 429 AwsException); null when the function, version or alias no longer exists.
     */
    Executed invokeAsync(String account, String region, String function, String qualifier, String requestId, byte[] payload) {
        RequestContext ctx = system(account, region, requestId);
        JsonNode f = functions.getJson(key(ctx, function));
        if (f == null) return null;
        ObjectNode record;
        try {
            record = versions.resolve(ctx, new Ref(function, qualifier), (ObjectNode) f, qualifier, true);
        } catch (AwsException e) {
            if (e.status() == 404) return null;
            throw e;
        }
        return new Executed(run(ctx, (ObjectNode) f, record, payload, null, qualifier), record.get("Configuration").get("Version").asText());
    }

    /** A context for Lambda's own work in an account (asynchronous events, deliveries from other services). */
    static RequestContext system(String account, String region, String requestId) {
        return new RequestContext(requestId, new Identity(account, "arn:aws:iam::" + account + ":root", account, null), region, null);
    }

    /** One synchronous invocation through a function URL: the function's $LATEST, or the alias {@code qualifier}. */
    Invocation.Result invokeFunctionUrl(RequestContext ctx, String function, String qualifier, byte[] payload) {
        Ref ref = new Ref(function, qualifier);
        ObjectNode record = load(ctx, ref);
        return run(ctx, record, versions.resolve(ctx, ref, record, qualifier, true), payload, null, qualifier);
    }

    /** The dead-letter target (DeadLetterConfig.TargetArn) of the function's version that {@code qualifier} names, or null. */
    String deadLetterTarget(String account, String region, String function, String qualifier) {
        RequestContext ctx = system(account, region, null);
        JsonNode f = functions.getJson(key(ctx, function));
        if (f == null) return null;
        JsonNode record;
        try {
            record = versions.resolve(ctx, new Ref(function, qualifier), (ObjectNode) f, qualifier, false);
        } catch (AwsException e) {
            return null;
        }
        String arn = record.path("Configuration").path("DeadLetterConfig").path("TargetArn").asText("");
        return arn.isEmpty() ? null : arn;
    }

    /**
     * Runs {@code record} (the function's $LATEST, or a published version of {@code function});
     * {@code qualifier} is what the caller named (an alias, a version, or null), which the function's context reports.
     */
    private Invocation.Result run(RequestContext ctx, ObjectNode function, ObjectNode record, byte[] payload, String clientContext, String qualifier) {
        FunctionSpec spec = spec(ctx, record);
        String trace = "Root=1-" + Long.toHexString(System.currentTimeMillis() / 1000) + "-" + UUID.randomUUID().toString().replace("-", "").substring(0, 24)
                + ";Lineage=nimbus;Sampled=0";
        // Reserved concurrency belongs to the function, whichever version runs.
        java.util.concurrent.atomic.AtomicInteger admitted;
        try {
            admitted = admit(ctx, function.get("Configuration").get("FunctionArn").asText(), function, spec.memoryMb());
        } catch (AwsException e) {
            if (metrics != null) metrics.throttled(ctx.accountId(), ctx.region(), spec.functionName(), qualifier, spec.version());
            throw e;
        }
        boolean reserved = function.has("ReservedConcurrentExecutions");
        int concurrent = admitted.get(), accountConcurrent = metrics == null ? 0 : regional.running(ctx.accountId(), ctx.region(), false);
        int unreservedConcurrent = metrics == null ? 0 : regional.running(ctx.accountId(), ctx.region(), true);
        long started = System.nanoTime();
        Invocation.Result r;
        try {
            r = compute().invoke(spec, new Invocation(ctx.requestId(), payload.length == 0 ? "{}".getBytes(StandardCharsets.UTF_8) : payload,
                    clientContext, trace, qualifier == null ? null : function.get("Configuration").get("FunctionArn").asText() + ":" + qualifier));
        } finally {
            admitted.decrementAndGet();
            regional.release(ctx.accountId(), ctx.region(), spec.memoryMb(), reserved);
        }
        if (metrics != null) metrics.invoked(ctx.accountId(), ctx.region(), spec.functionName(), qualifier, spec.version(), System.nanoTime() - started,
                r.functionError() != null, concurrent, accountConcurrent, unreservedConcurrent);
        shipLogs(ctx, record.get("Configuration"), r);
        return r;
    }

    /**
     * An invocation's output, START, END and REPORT lines go to the function's log group
     * (/aws/lambda/NAME unless its LoggingConfig names another), one event a line, in the
     * environment's stream (YYYY/MM/DD/[$LATEST]id), as Lambda writes them.
     */
    private void shipLogs(RequestContext ctx, JsonNode configuration, Invocation.Result r) {
        if (r.log() == null || r.log().isEmpty() || r.logStream() == null) return;
        long now = System.currentTimeMillis();
        List<Logs.InputEvent> events = r.log().lines().filter(line -> !line.isEmpty() && LoggingConfigs.written(configuration, line))
                .map(line -> new Logs.InputEvent(now, line)).toList();
        logShipper.ship(ctx.accountId(), ctx.region(), LoggingConfigs.group(configuration), r.logStream(), events);
    }

    /** The last 4 KB of an invocation's log, base64, as X-Amz-Log-Result carries it. */
    static String tail(String log) {
        byte[] b = log == null ? new byte[0] : log.getBytes(StandardCharsets.UTF_8);
        int from = Math.max(0, b.length - 4096);
        while (from > 0 && from < b.length && (b[from] & 0xC0) == 0x80) from++; // not inside a UTF-8 sequence
        return Base64.getEncoder().encodeToString(java.util.Arrays.copyOfRange(b, from, b.length));
    }

    /**
     * Specs already built, by function ARN, revision and code: a new revision (any change of code or
     * configuration) is a new key. Building one per invoke (variables copied, the code directory
     * checked on disk) was a visible part of a warm invoke.
     */
    private final java.util.concurrent.ConcurrentHashMap<String, FunctionSpec> specs = new java.util.concurrent.ConcurrentHashMap<>();

    private FunctionSpec spec(RequestContext ctx, ObjectNode record) {
        JsonNode c = record.get("Configuration");
        String key = c.get("FunctionArn").asText() + " " + c.get("RevisionId").asText() + " " + record.path("CodeId").asText();
        FunctionSpec spec = specs.get(key);
        if (spec == null) {
            if (specs.size() >= 10_000) specs.clear(); // old revisions are never asked for again
            spec = buildSpec(ctx, record);
            specs.put(key, spec);
        }
        return spec;
    }

    private FunctionSpec buildSpec(RequestContext ctx, ObjectNode record) {
        JsonNode c = record.get("Configuration");
        String name = c.get("FunctionName").asText();
        Map<String, String> env = new LinkedHashMap<>();
        c.path("Environment").path("Variables").fields().forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
        int memory = c.get("MemorySize").asInt();
        env.put("AWS_REGION", ctx.region());
        env.put("AWS_DEFAULT_REGION", ctx.region());
        env.put("AWS_EXECUTION_ENV", "AWS_Lambda_" + c.get("Runtime").asText());
        env.put("AWS_LAMBDA_FUNCTION_NAME", name);
        env.put("AWS_LAMBDA_FUNCTION_VERSION", c.get("Version").asText());
        env.put("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", Integer.toString(memory));
        env.put("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand");
        LoggingConfigs.environment(c, env);
        env.put("_HANDLER", c.get("Handler").asText());
        env.put("TZ", ":UTC");
        env.put("AWS_ENDPOINT_URL", endpoint.get());
        return new FunctionSpec(c.get("FunctionArn").asText(), name, c.get("Version").asText(), c.get("RevisionId").asText(), c.get("Runtime").asText(),
                c.get("Handler").asText(), c.get("Role").asText(), memory, c.get("Timeout").asInt(), codeDir(record.get("CodeId").asText()), env,
                layers.optDir(record), c.path("EphemeralStorage").path("Size").asInt(512));
    }

    /**
     * Credentials for one environment: temporary credentials of the execution role's session
     * ("assumed-role/ROLE/FUNCTION") when the role exists in Nimbus's IAM, else the function's
     * account id as access key, which Nimbus resolves to that account.
     */
    private Map<String, String> credentials(FunctionSpec spec) {
        Matcher m = ROLE.matcher(spec.role());
        String account = spec.arn().split(":")[4];
        ObjectNode role = m.matches() ? iam.role(m.group(1), m.group(2)) : null;
        Map<String, String> env = new HashMap<>();
        if (role == null) {
            env.put("AWS_ACCESS_KEY_ID", account);
            env.put("AWS_SECRET_ACCESS_KEY", "nimbus");
            return env;
        }
        String roleName = role.get("RoleName").asText();
        Identity session = new Identity(m.group(1), "arn:aws:sts::" + m.group(1) + ":assumed-role/" + roleName + "/" + spec.functionName(),
                role.get("RoleId").asText() + ":" + spec.functionName(), null);
        ObjectNode c = store.transaction(() -> iam.credentials().issueTemporary(session, Instant.now().truncatedTo(ChronoUnit.SECONDS).plusSeconds(12 * 3600)));
        iam.credentials().refresh(c.get("AccessKeyId").asText());
        env.put("AWS_ACCESS_KEY_ID", c.get("AccessKeyId").asText());
        env.put("AWS_SECRET_ACCESS_KEY", c.get("SecretAccessKey").asText());
        env.put("AWS_SESSION_TOKEN", c.get("SessionToken").asText());
        return env;
    }

    // ---- code storage

    /** Stores the zip as a blob and unpacks it; returns the code id naming both. */
    String saveCode(byte[] zip) {
        String codeId = UUID.randomUUID().toString();
        FunctionCode.unzip(zip, codeDirPath(codeId));
        store.blobs().write(blobId(codeId), new java.io.ByteArrayInputStream(zip));
        return codeId;
    }

    void dropCode(String codeId) {
        store.blobs().delete(blobId(codeId));
        FunctionCode.deleteTree(codeDirPath(codeId));
    }

    /** The unpacked code, unpacked again from its blob when missing (a data dir restored without it, say). */
    Path codeDir(String codeId) {
        Path dir = codeDirPath(codeId);
        if (Files.isDirectory(dir)) return dir;
        try (InputStream in = store.blobs().open(blobId(codeId))) {
            if (in == null) throw AwsException.internal("the code of this function is missing from the store");
            synchronized (this) {
                if (!Files.isDirectory(dir)) FunctionCode.unzip(in.readAllBytes(), dir);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }

    static String blobId(String codeId) {
        return "lambda/" + codeId + ".zip";
    }

    private Path codeDirPath(String codeId) {
        return base().resolve("code").resolve(codeId);
    }

    /** The directory of unpacked code and runtime files, created on first use; no lock once created. */
    Path base() {
        Path b = base;
        if (b != null) return b;
        synchronized (this) {
            if (base == null) {
                try {
                    b = dataDir != null ? Files.createDirectories(dataDir.resolve("lambda")) : Files.createTempDirectory("nimbus-lambda-");
                    Files.createDirectories(b.resolve("code"));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                base = b;
            }
            return base;
        }
    }

    /** Started on first use (no runtime files or timers for a server that never runs a function); no lock once started. */
    Compute compute() {
        Compute c = compute;
        if (c != null) return c;
        synchronized (this) {
            if (compute == null) compute = new Compute(extractRuntimes(), this::credentials, limits.environmentIdle());
            return compute;
        }
    }

    /** Nimbus's own runtime bootstraps, copied from the jar to the data dir on first use. */
    private Path extractRuntimes() {
        Path dir = base().resolve("runtimes");
        try {
            for (String file : List.of("python/bootstrap.py", "node/bootstrap.mjs")) {
                Path target = dir.resolve(file);
                Files.createDirectories(target.getParent());
                try (InputStream in = LambdaService.class.getResourceAsStream("/runtimes/" + file)) {
                    if (in == null) throw new IllegalStateException("runtime file missing from the build: " + file);
                    Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }

    /** Serves Code.Location: the zip of a function's code, by its unguessable code id. */
    public HttpResponse internal(String method, String path) {
        Matcher m = CODE_URL.matcher(path);
        if (!m.matches() || !(method.equals("GET") || method.equals("HEAD"))) return null;
        String blob = blobId(m.group(1));
        long size = store.blobs().size(blob);
        if (size < 0) return null;
        HttpResponse res = new HttpResponse();
        res.header("Content-Type", "application/zip");
        res.streamLength = size;
        res.stream = out -> {
            try (InputStream in = store.blobs().open(blob)) {
                if (in != null) in.transferTo(out);
            }
        };
        return res;
    }

    @Override
    public void close() {
        async.close(); // first, and outside the lock, which events still running may need
        eventSourceMappings.close();
        closeEnvironments();
        if (metrics != null) metrics.close(); // the last tallies, before the store closes
    }

    private synchronized void closeEnvironments() {
        if (compute != null) compute.close();
        logShipper.close(); // what was queued is still written: the store closes after this
        if (base != null && dataDir == null) FunctionCode.deleteTree(base);
    }

    // ---- helpers

    record Ref(String name, String qualifier) {}

    static Ref ref(RequestContext ctx, String functionName) {
        Matcher m = FUNCTION_REF.matcher(functionName);
        if (!m.matches()) throw FunctionCode.invalid("1 validation error detected: Value '" + functionName + "' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern");
        return new Ref(m.group(3), m.group(4));
    }

    /** Operations on the function itself (code, configuration, concurrency): a qualifier other than $LATEST names nothing they act on. */
    static Ref latest(RequestContext ctx, ObjectNode in) {
        Ref ref = ref(ctx, Values.text(in, "FunctionName"));
        String qualifier = Values.text(in, "Qualifier", ref.qualifier());
        if (qualifier != null && !qualifier.equals(LATEST)) throw notFound(ctx, new Ref(ref.name(), qualifier));
        return new Ref(ref.name(), null);
    }

    /** Where a zip (function code or layer content) downloads from. */
    String codeLocation(String codeId) {
        return endpoint.get() + "/_nimbus/lambda/code/" + codeId + ".zip";
    }

    Store store() {
        return store;
    }

    Versions versions() {
        return versions;
    }

    ProvisionedConcurrency provisioned() {
        return provisioned;
    }

    /** The environment a provisioned version or alias keeps ready: its version's, initialised as "provisioned-concurrency". */
    FunctionSpec provisionedSpec(RequestContext ctx, Ref ref) {
        ObjectNode function = load(ctx, new Ref(ref.name(), null));
        FunctionSpec spec = spec(ctx, versions.resolve(ctx, ref, function, ref.qualifier(), false));
        Map<String, String> env = new LinkedHashMap<>(spec.environment());
        env.put("AWS_LAMBDA_INITIALIZATION_TYPE", "provisioned-concurrency");
        return new FunctionSpec(spec.arn(), spec.functionName(), spec.version(), spec.revision(), spec.runtime(), spec.handler(), spec.role(),
                spec.memoryMb(), spec.timeoutSeconds(), spec.codeDir(), env, spec.optDir(), spec.ephemeralStorageMb());
    }

    /** UnreservedConcurrentExecutions: the regional limit less every function's reservation. */
    int unreserved(RequestContext ctx) {
        return regional.limit() - reservations(ctx.accountId() + "/" + ctx.region());
    }

    /** The reserved concurrency of all functions of an "account/region". */
    private int reservations(String accountRegion) {
        int reserved = 0;
        for (Table.Entry e : functions.scan(accountRegion + "/", null, Integer.MAX_VALUE)) {
            reserved += e.json().path("ReservedConcurrentExecutions").asInt(0);
        }
        return reserved;
    }

    int concurrencyLimit() {
        return regional.limit();
    }

    EventInvokeConfigs eventInvokeConfigs() {
        return eventInvokeConfigs;
    }

    FunctionUrls urls() {
        return urls;
    }

    Table functions() {
        return functions;
    }

    ObjectNode load(RequestContext ctx, Ref ref) {
        JsonNode record = functions.getJson(key(ctx, ref.name()));
        if (record == null) throw notFound(ctx, ref);
        return (ObjectNode) record;
    }

    static String key(RequestContext ctx, String name) {
        return ctx.accountId() + "/" + ctx.region() + "/" + name;
    }

    static AwsException notFound(RequestContext ctx, Ref ref) {
        String arn = ctx.arn("lambda", "function:" + ref.name() + (ref.qualifier() == null ? "" : ":" + ref.qualifier()));
        return new AwsException("ResourceNotFoundException", "Function not found: " + arn, 404);
    }

    private static AwsException conflict(String name) {
        return new AwsException("ResourceConflictException", "Function already exist: " + name, 409);
    }

    static void stamp(ObjectNode config) {
        config.put("LastModified", LAST_MODIFIED.format(Instant.now()));
        config.put("RevisionId", UUID.randomUUID().toString());
    }

    static void checkRevision(ObjectNode in, JsonNode config) {
        String expected = Values.text(in, "RevisionId", null);
        if (expected != null && !expected.equals(config.get("RevisionId").asText())) {
            throw new AwsException("PreconditionFailedException",
                    "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id", 412);
        }
    }

    /** AWS's limits beyond what the model states (its MemorySize and Timeout bounds are wider than Lambda's). */
    private static void checkConfiguration(ObjectNode config) {
        String runtime = config.get("Runtime").asText();
        if (!RUNTIMES.contains(runtime)) {
            throw new AwsException("InvalidParameterValueException", "Nimbus does not run the " + runtime + " runtime; it runs " + String.join(", ",
                    new java.util.TreeSet<>(RUNTIMES)), 400);
        }
        int memory = config.get("MemorySize").asInt();
        if (memory > 10240) throw AwsException.validation("1 validation error detected: Value '" + memory
                + "' at 'memorySize' failed to satisfy constraint: Member must have value less than or equal to 10240");
        int timeout = config.get("Timeout").asInt();
        if (timeout > 900) throw AwsException.validation("1 validation error detected: Value '" + timeout
                + "' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900");
        JsonNode vars = config.path("Environment").path("Variables");
        if (vars.isObject()) {
            List<String> reserved = new java.util.ArrayList<>();
            vars.fieldNames().forEachRemaining(n -> {
                if (RESERVED_VARIABLES.contains(n)) reserved.add(n);
            });
            if (!reserved.isEmpty()) {
                throw FunctionCode.invalid("Lambda was unable to configure your environment variables because the environment variables you have provided "
                        + "contains reserved keys that are currently not supported for modification. Reserved keys used in this request: " + String.join(", ", reserved));
            }
            String measured = vars.toString();
            if (measured.getBytes(StandardCharsets.UTF_8).length > 4096) {
                throw FunctionCode.invalid("Lambda was unable to configure your environment variables because the environment variables you have provided "
                        + "exceeded the 4KB limit. String measured: " + measured);
            }
        }
    }

    static byte[] bytes(JsonNode blob) {
        try {
            return blob.binaryValue();
        } catch (IOException e) {
            throw AwsException.serialization("Blob is not valid base64");
        }
    }
}
