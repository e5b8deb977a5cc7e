package dev.nimbus.services.lambda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.Operations;
import dev.nimbus.store.Store;
import dev.nimbus.store.Table;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Lambda layers: versioned zips (numbered 1, 2, ... per layer name, never reused) that functions
 * reference by version ARN and see merged at /opt. Table {@code lambda.layers}: key
 * account/region/layer/NNNNNNNNNN holds a version (as GetLayerVersion answers, plus its CodeId);
 * key account/region/layer the number last given out. A layer's zip is stored and unpacked like a
 * function's code; deleting a version keeps the zip, as AWS keeps a copy for the functions that use it.
 */
final class Layers {
    static final String TABLE = "lambda.layers";
    static final int MAX_LAYERS = 5;
    private static final Pattern LAYER_ARN = Pattern.compile("arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):(\\d{12}):layer:([a-zA-Z0-9_-]+)(?::(\\d+))?");

    private final LambdaService lambda;
    private final Table layers;

    Layers(LambdaService lambda, Store store) {
        this.lambda = lambda;
        this.layers = store.table(TABLE);
    }

    void register(Operations ops) {
        ops.add("PublishLayerVersion", this::publishLayerVersion)
                .add("GetLayerVersion", this::getLayerVersion)
                .add("GetLayerVersionByArn", this::getLayerVersionByArn)
                .add("ListLayers", this::listLayers)
                .add("ListLayerVersions", this::listLayerVersions)
                .add("DeleteLayerVersion", this::deleteLayerVersion)
                .add("AddLayerVersionPermission", this::addLayerVersionPermission)
                .add("RemoveLayerVersionPermission", this::removeLayerVersionPermission)
                .add("GetLayerVersionPolicy", this::getLayerVersionPolicy);
    }

    /** A layer named by name or ARN, in the account and region the ARN says or the caller's. */
    private record Name(String account, String region, String name) {
        String key() {
            return account + "/" + region + "/" + name;
        }

        String versionKey(long version) {
            return key() + "/" + String.format("%010d", version);
        }

        String arn() {
            return "arn:aws:lambda:" + region + ":" + account + ":layer:" + name;
        }
    }

    private static Name name(RequestContext ctx, String layerName) {
        Matcher m = LAYER_ARN.matcher(layerName);
        if (m.matches()) return new Name(m.group(2), m.group(1), m.group(3));
        return new Name(ctx.accountId(), ctx.region(), layerName);
    }

    JsonNode publishLayerVersion(RequestContext ctx, ObjectNode in) {
        Name layer = name(ctx, Values.text(in, "LayerName"));
        JsonNode content = in.path("Content");
        if (!content.hasNonNull("ZipFile")) {
            if (content.hasNonNull("S3Bucket")) throw new AwsException("NotImplemented", "Nimbus does not take layer content from S3 yet; upload the zip as ZipFile", 501, false);
            throw FunctionCode.invalid("Please provide a source for layer content.");
        }
        byte[] zip = LambdaService.bytes(content.get("ZipFile"));
        FunctionCode.checkSize(zip, "PublishLayerVersion");
        String codeId = lambda.saveCode(zip);
        synchronized (this) {
            JsonNode counter = layers.getJson(layer.key());
            long number = (counter == null ? 0 : counter.get("Last").asLong()) + 1;
            ObjectNode version = Values.object();
            version.putObject("Content").put("Location", lambda.codeLocation(codeId)).put("CodeSha256", FunctionCode.sha256(zip)).put("CodeSize", zip.length);
            version.put("LayerArn", layer.arn());
            version.put("LayerVersionArn", layer.arn() + ":" + number);
            version.put("Description", Values.text(in, "Description", ""));
            version.put("CreatedDate", LambdaService.LAST_MODIFIED.format(Instant.now()));
            version.put("Version", number);
            for (String list : List.of("CompatibleRuntimes", "CompatibleArchitectures")) {
                if (in.path(list).isArray() && !in.get(list).isEmpty()) version.set(list, in.get(list));
            }
            if (in.hasNonNull("LicenseInfo")) version.put("LicenseInfo", in.get("LicenseInfo").asText());
            ObjectNode stored = version.deepCopy().put("CodeId", codeId);
            lambda.store().transaction(() -> {
                layers.putJson(layer.key(), Values.object().put("Last", number));
                layers.putJson(layer.versionKey(number), stored);
            });
            return version;
        }
    }

    JsonNode getLayerVersion(RequestContext ctx, ObjectNode in) {
        Name layer = name(ctx, Values.text(in, "LayerName"));
        return shown(existing(layer, in.path("VersionNumber").asLong()));
    }

    JsonNode getLayerVersionByArn(RequestContext ctx, ObjectNode in) {
        String arn = Values.text(in, "Arn");
        Matcher m = LAYER_ARN.matcher(arn);
        if (!m.matches() || m.group(4) == null) {
            throw AwsException.validation("1 validation error detected: Value '" + arn + "' at 'arn' failed to satisfy constraint: Member must satisfy regular expression pattern: "
                    + "(arn:(aws[a-zA-Z-]*)?:lambda:[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:\\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+)|(arn:[a-zA-Z0-9-]+:lambda:::awslayer:[a-zA-Z0-9-_]+)");
        }
        return shown(existing(new Name(m.group(2), m.group(1), m.group(3)), Long.parseLong(m.group(4))));
    }

    JsonNode listLayers(RequestContext ctx, ObjectNode in) {
        String prefix = ctx.accountId() + "/" + ctx.region() + "/";
        // Newest matching version per layer, layers in name order.
        Map<String, JsonNode> latest = new LinkedHashMap<>();
        for (Table.Entry e : layers.scan(prefix, null, Integer.MAX_VALUE)) {
            String rest = e.key().substring(prefix.length());
            if (!rest.contains("/")) continue; // a layer's counter
            JsonNode v = e.json();
            if (matches(v, in)) latest.put(rest.substring(0, rest.indexOf('/')), v);
        }
        List<ObjectNode> items = new ArrayList<>();
        latest.forEach((name, v) -> {
            ObjectNode item = Values.object().put("LayerName", name).put("LayerArn", v.get("LayerArn").asText());
            item.set("LatestMatchingVersion", listItem(v));
            items.add(item);
        });
        return page(items, in, "Layers", item -> item.get("LayerName").asText());
    }

    JsonNode listLayerVersions(RequestContext ctx, ObjectNode in) {
        Name layer = name(ctx, Values.text(in, "LayerName"));
        List<ObjectNode> items = new ArrayList<>();
        for (Table.Entry e : layers.scan(layer.key() + "/", null, Integer.MAX_VALUE)) {
            if (matches(e.json(), in)) items.add(listItem(e.json()));
        }
        java.util.Collections.reverse(items); // newest first, as AWS lists them
        return page(items, in, "LayerVersions", item -> item.get("Version").asText());
    }

    JsonNode deleteLayerVersion(RequestContext ctx, ObjectNode in) {
        Name layer = name(ctx, Values.text(in, "LayerName"));
        layers.delete(layer.versionKey(in.path("VersionNumber").asLong())); // idempotent, as in AWS
        return Values.object().put("StatusCode", 204);
    }

    // ---- layer version policies: who may use a layer version, kept in the version's record (Policy)

    JsonNode addLayerVersionPermission(RequestContext ctx, ObjectNode in) {
        Name layer = name(ctx, Values.text(in, "LayerName"));
        long number = in.path("VersionNumber").asLong();
        return lambda.store().transaction(() -> {
            ObjectNode version = (ObjectNode) existing(layer, number);
            ObjectNode policy = version.path("Policy").isObject() ? (ObjectNode) version.get("Policy") : version.putObject("Policy");
            Policies.checkRevision(in, policy);
            ObjectNode statement = Policies.statement(ctx, in, layer.arn() + ":" + number);
            if (in.hasNonNull("OrganizationId")) {
                statement.putObject("Condition").putObject("StringEquals").put("aws:PrincipalOrgID", in.get("OrganizationId").asText());
            }
            ArrayNode statements = policy.withArray("Statement");
            for (JsonNode st : statements) {
                if (st.get("Sid").asText().equals(statement.get("Sid").asText())) throw Policies.conflict(statement.get("Sid").asText());
            }
            statements.add(statement);
            policy.put("RevisionId", UUID.randomUUID().toString());
            layers.putJson(layer.versionKey(number), version);
            return Values.object().put("Statement", statement.toString()).put("RevisionId", policy.get("RevisionId").asText());
        });
    }

    JsonNode removeLayerVersionPermission(RequestContext ctx, ObjectNode in) {
        Name layer = name(ctx, Values.text(in, "LayerName"));
        long number = in.path("VersionNumber").asLong();
        String sid = Values.text(in, "StatementId");
        lambda.store().transaction(() -> {
            ObjectNode version = (ObjectNode) existing(layer, number);
            JsonNode policy = version.path("Policy");
            if (!policy.isObject()) throw Policies.noSuchStatement(sid);
            Policies.checkRevision(in, policy);
            ArrayNode statements = (ArrayNode) policy.get("Statement");
            if (!Policies.remove(statements, sid)) throw Policies.noSuchStatement(sid);
            if (statements.isEmpty()) version.remove("Policy");
            else ((ObjectNode) policy).put("RevisionId", UUID.randomUUID().toString());
            layers.putJson(layer.versionKey(number), version);
        });
        return Values.object().put("StatusCode", 204);
    }

    JsonNode getLayerVersionPolicy(RequestContext ctx, ObjectNode in) {
        JsonNode policy = existing(name(ctx, Values.text(in, "LayerName")), in.path("VersionNumber").asLong()).path("Policy");
        if (!policy.isObject()) throw Policies.notFound();
        return Values.object().put("Policy", Policies.document(policy).toString()).put("RevisionId", policy.get("RevisionId").asText());
    }

    /**
     * The Layers of CreateFunction/UpdateFunctionConfiguration: version ARNs of existing layers, at
     * most five, set as Configuration.Layers [{Arn, CodeSize}]. Returns their code ids, which the
     * function's record keeps beside the configuration (LayerCodes) for {@link #optDir}.
     */
    ArrayNode attach(JsonNode arns, ObjectNode config) {
        if (arns.size() > MAX_LAYERS) throw FunctionCode.invalid("Cannot reference more than " + MAX_LAYERS + " layers.");
        ArrayNode shown = Values.array();
        ArrayNode codes = Values.array();
        for (JsonNode a : arns) {
            String arn = a.asText();
            Matcher m = LAYER_ARN.matcher(arn);
            JsonNode version = m.matches() && m.group(4) != null
                    ? layers.getJson(new Name(m.group(2), m.group(1), m.group(3)).versionKey(Long.parseLong(m.group(4)))) : null;
            if (version == null) throw FunctionCode.invalid("Layer version " + arn + " does not exist.");
            shown.addObject().put("Arn", arn).put("CodeSize", version.get("Content").get("CodeSize").asLong());
            codes.add(version.get("CodeId").asText());
        }
        if (shown.isEmpty()) config.remove("Layers");
        else config.set("Layers", shown);
        return codes;
    }

    /**
     * The layers of a function (a record's LayerCodes, in order) merged into one directory, later
     * layers overwriting earlier ones' files as Lambda merges them into /opt; built once per
     * combination and shared, or null without layers.
     */
    Path optDir(JsonNode record) {
        JsonNode codes = record.path("LayerCodes");
        if (codes.isEmpty()) return null;
        List<String> ids = new ArrayList<>();
        codes.forEach(c -> ids.add(c.asText()));
        Path dir = lambda.base().resolve("opt").resolve(UUID.nameUUIDFromBytes(String.join(",", ids).getBytes(StandardCharsets.UTF_8)).toString());
        if (Files.isDirectory(dir)) return dir;
        Path staging = dir.resolveSibling(dir.getFileName() + "." + UUID.randomUUID());
        try {
            Files.createDirectories(staging);
            for (String id : ids) merge(lambda.codeDir(id), staging);
            try {
                Files.move(staging, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException | AtomicMoveNotSupportedException e) {
                FunctionCode.deleteTree(staging); // built concurrently by another invocation
            }
        } catch (IOException e) {
            FunctionCode.deleteTree(staging);
            throw new UncheckedIOException(e);
        }
        return dir;
    }

    private static void merge(Path from, Path into) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path target = into.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(target);
                else Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
    }

    private JsonNode existing(Name layer, long version) {
        JsonNode v = layers.getJson(layer.versionKey(version));
        if (v == null) throw new AwsException("ResourceNotFoundException", "The resource you requested does not exist.", 404);
        return v;
    }

    private static ObjectNode shown(JsonNode stored) {
        ObjectNode v = stored.deepCopy();
        v.remove("CodeId");
        v.remove("Policy");
        return v;
    }

    private static ObjectNode listItem(JsonNode v) {
        ObjectNode item = shown(v);
        item.remove("Content");
        item.remove("LayerArn");
        return item;
    }

    private static boolean matches(JsonNode v, ObjectNode in) {
        String runtime = Values.text(in, "CompatibleRuntime", null);
        String architecture = Values.text(in, "CompatibleArchitecture", null);
        return (runtime == null || contains(v.path("CompatibleRuntimes"), runtime))
                && (architecture == null || contains(v.path("CompatibleArchitectures"), architecture));
    }

    private static boolean contains(JsonNode list, String value) {
        for (JsonNode n : list) if (n.asText().equals(value)) return true;
        return false;
    }

    private static JsonNode page(List<ObjectNode> items, ObjectNode in, String member, java.util.function.Function<ObjectNode, String> id) {
        int max = Values.integer(in, "MaxItems", 50);
        String marker = Values.text(in, "Marker", null);
        int from = 0;
        if (marker != null) {
            while (from < items.size() && !id.apply(items.get(from)).equals(marker)) from++;
            from++;
        }
        ObjectNode out = Values.object();
        ArrayNode list = out.putArray(member);
        for (int i = from; i < Math.min(items.size(), from + max); i++) list.add(items.get(i));
        if (from + max < items.size()) out.put("NextMarker", id.apply(items.get(from + max - 1)));
        return out;
    }
}
