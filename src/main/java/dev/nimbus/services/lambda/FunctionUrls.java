package dev.nimbus.services.lambda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.FrontDoor;
import dev.nimbus.services.Operations;
import dev.nimbus.services.lambda.LambdaService.Ref;
import dev.nimbus.store.Store;
import dev.nimbus.store.Table;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Create/Get/Update/Delete/ListFunctionUrlConfig(s): a function's (or an alias's) own HTTP
 * endpoint, {@code http://<url-id>.lambda-url.<region>.localhost:<port>/}, served by
 * {@link FunctionUrlDoor}. Table {@code lambda.urls}, key account/region/function/qualifier
 * ($LATEST for the function itself), holds the configuration; table {@code lambda.urlids}, key
 * url-id, points back to it for the requests that arrive by host name.
 */
final class FunctionUrls {
    static final String TABLE = "lambda.urls";
    static final String IDS = "lambda.urlids";
    /** How AWS writes these two times: ISO-8601 with microseconds. */
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);
    /** The model's FunctionUrlQualifier: an alias name (a version number or $LATEST cannot have a URL). */
    private static final Pattern QUALIFIER = Pattern.compile("(?!^\\d+$)^[0-9a-zA-Z-_]+$");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final LambdaService lambda;
    private final Store store;
    private final Table urls;
    private final Table ids;
    private final Supplier<String> endpoint;

    FunctionUrls(LambdaService lambda, Store store, Supplier<String> endpoint) {
        this.lambda = lambda;
        this.store = store;
        this.urls = store.table(TABLE);
        this.ids = store.table(IDS);
        this.endpoint = endpoint;
    }

    void register(Operations ops) {
        ops.add("CreateFunctionUrlConfig", this::create)
                .add("GetFunctionUrlConfig", this::get)
                .add("UpdateFunctionUrlConfig", this::update)
                .add("DeleteFunctionUrlConfig", this::delete)
                .add("ListFunctionUrlConfigs", this::list);
    }

    /** The plain-HTTP entrance serving these URLs; {@code identities} resolves the access keys of signed (AWS_IAM) requests. */
    FrontDoor frontDoor(Function<String, dev.nimbus.protocol.Identity> identities) {
        return new FunctionUrlDoor(this, lambda, identities);
    }

    JsonNode create(RequestContext ctx, ObjectNode in) {
        Ref ref = target(ctx, in);
        ObjectNode url = Values.object();
        url.put("UrlId", newId());
        if (ref.qualifier() != null) url.put("Qualifier", ref.qualifier());
        url.put("AuthType", Values.text(in, "AuthType"));
        if (in.path("Cors").isObject()) url.set("Cors", in.get("Cors"));
        url.put("InvokeMode", Values.text(in, "InvokeMode", "BUFFERED"));
        String now = TIME.format(Instant.now());
        url.put("CreationTime", now).put("LastModifiedTime", now);
        String key = key(ctx.accountId(), ctx.region(), ref);
        boolean created = store.transaction(() -> {
            if (!urls.putJsonIfAbsent(key, url)) return false;
            ids.putJson(url.get("UrlId").asText(), Values.object().put("Key", key).put("Region", ctx.region()));
            return true;
        });
        if (!created) {
            throw new AwsException("ResourceConflictException", "Failed to create function url config for [functionArn = " + arn(ctx, ref)
                    + "]. Error message:  FunctionUrlConfig exists for this Lambda function", 409);
        }
        ObjectNode out = view(ctx, ref, url);
        out.remove("LastModifiedTime"); // not part of Create's answer
        return out;
    }

    JsonNode get(RequestContext ctx, ObjectNode in) {
        Ref ref = target(ctx, in);
        return view(ctx, ref, existing(ctx, ref));
    }

    /** Changes what is given; a Cors given replaces the whole CORS configuration, an empty one removes it. */
    JsonNode update(RequestContext ctx, ObjectNode in) {
        Ref ref = target(ctx, in);
        String key = key(ctx.accountId(), ctx.region(), ref);
        ObjectNode url = store.transaction(() -> {
            ObjectNode u = existing(ctx, ref);
            if (in.hasNonNull("AuthType")) u.put("AuthType", in.get("AuthType").asText());
            if (in.hasNonNull("InvokeMode")) u.put("InvokeMode", in.get("InvokeMode").asText());
            if (in.path("Cors").isObject()) {
                if (in.get("Cors").isEmpty()) u.remove("Cors");
                else u.set("Cors", in.get("Cors"));
            }
            u.put("LastModifiedTime", TIME.format(Instant.now()));
            urls.putJson(key, u);
            return u;
        });
        return view(ctx, ref, url);
    }

    JsonNode delete(RequestContext ctx, ObjectNode in) {
        Ref ref = target(ctx, in);
        String key = key(ctx.accountId(), ctx.region(), ref);
        store.transaction(() -> {
            JsonNode url = existing(ctx, ref);
            urls.delete(key);
            ids.delete(url.get("UrlId").asText());
        });
        return null;
    }

    JsonNode list(RequestContext ctx, ObjectNode in) {
        Ref ref = LambdaService.ref(ctx, Values.text(in, "FunctionName"));
        lambda.load(ctx, new Ref(ref.name(), null));
        String prefix = LambdaService.key(ctx, ref.name()) + "/";
        return Pages.page(urls, prefix, in, "FunctionUrlConfigs",
                (key, url) -> view(ctx, new Ref(ref.name(), url.path("Qualifier").asText(null)), url));
    }

    /** The function is gone, and every URL of it. */
    void deleteAll(RequestContext ctx, String function) {
        for (Table.Entry e : urls.scan(LambdaService.key(ctx, function) + "/", null, Integer.MAX_VALUE)) {
            urls.delete(e.key());
            ids.delete(e.json().get("UrlId").asText());
        }
    }

    /** An alias is gone, and its URL. */
    void deleteAlias(RequestContext ctx, String function, String alias) {
        String key = key(ctx.accountId(), ctx.region(), new Ref(function, alias));
        JsonNode url = urls.getJson(key);
        if (url == null) return;
        urls.delete(key);
        ids.delete(url.get("UrlId").asText());
    }

    /** What a URL id names: account, region, function, qualifier (null for the function itself) and its configuration; null when nothing. */
    record Target(String account, String region, String function, String qualifier, JsonNode config) {}

    Target find(String urlId, String region) {
        JsonNode pointer = ids.getJson(urlId);
        if (pointer == null || !pointer.get("Region").asText().equals(region)) return null;
        String key = pointer.get("Key").asText();
        JsonNode url = urls.getJson(key);
        if (url == null) return null;
        String[] parts = key.split("/");
        return new Target(parts[0], parts[1], parts[2], url.path("Qualifier").asText(null), url);
    }

    /** The function (and alias) a request names, which must exist. */
    private Ref target(RequestContext ctx, ObjectNode in) {
        Ref ref = LambdaService.ref(ctx, Values.text(in, "FunctionName"));
        String qualifier = Values.text(in, "Qualifier", ref.qualifier());
        if (qualifier != null && !QUALIFIER.matcher(qualifier).matches()) {
            throw AwsException.validation("1 validation error detected: Value '" + qualifier
                    + "' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: ((?!^\\d+$)^[0-9a-zA-Z-_]+$)");
        }
        ObjectNode function = lambda.load(ctx, new Ref(ref.name(), null));
        if (qualifier != null) lambda.versions().resolve(ctx, ref, function, qualifier, false); // the alias must exist
        return new Ref(ref.name(), qualifier);
    }

    private ObjectNode existing(RequestContext ctx, Ref ref) {
        JsonNode url = urls.getJson(key(ctx.accountId(), ctx.region(), ref));
        if (url == null) throw new AwsException("ResourceNotFoundException", "The resource you requested does not exist.", 404);
        return (ObjectNode) url;
    }

    /** The configuration as the API answers it: the URL with the server's current port, the function's (or alias's) ARN. */
    private ObjectNode view(RequestContext ctx, Ref ref, JsonNode url) {
        ObjectNode out = Values.object();
        out.put("FunctionUrl", url(url.get("UrlId").asText(), ctx.region()));
        out.put("FunctionArn", arn(ctx, ref));
        out.put("AuthType", url.get("AuthType").asText());
        if (url.has("Cors")) out.set("Cors", url.get("Cors"));
        out.put("CreationTime", url.get("CreationTime").asText());
        out.put("LastModifiedTime", url.get("LastModifiedTime").asText());
        out.put("InvokeMode", url.get("InvokeMode").asText());
        return out;
    }

    /** AWS's https://ID.lambda-url.REGION.on.aws/, on this server: a *.localhost name (browsers and curl resolve it to loopback). */
    String url(String urlId, String region) {
        URI server = URI.create(endpoint.get());
        return "http://" + urlId + ".lambda-url." + region + ".localhost" + (server.getPort() < 0 ? "" : ":" + server.getPort()) + "/";
    }

    private static String arn(RequestContext ctx, Ref ref) {
        return ctx.arn("lambda", "function:" + ref.name() + (ref.qualifier() == null ? "" : ":" + ref.qualifier()));
    }

    private static String key(String account, String region, Ref ref) {
        return account + "/" + region + "/" + ref.name() + "/" + (ref.qualifier() == null ? LambdaService.LATEST : ref.qualifier());
    }

    /** 32 characters of [a-z0-9], as AWS's url ids. */
    private static String newId() {
        String alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        StringBuilder id = new StringBuilder(32);
        for (int i = 0; i < 32; i++) id.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
        return id.toString();
    }
}
