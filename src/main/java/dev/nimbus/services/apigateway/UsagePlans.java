package dev.nimbus.services.apigateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.AwsService;
import dev.nimbus.services.Operations;
import dev.nimbus.store.Store;
import dev.nimbus.store.Table;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * API keys and usage plans (apigateway): keys are account-wide, plans name the API stages they
 * cover, a throttle (a token bucket per key: rate per second, burst) and a quota (requests per day,
 * week or month). Methods with apiKeyRequired admit a request only with an enabled key of a plan
 * covering the stage; over the throttle or the quota it is refused with 429. Buckets and quota
 * counters are kept in memory: they restart with the server.
 */
final class UsagePlans implements AwsService {
    private final Store store;
    private final Table table;
    private final Clock clock;
    /** "account/region/value" -> key id, rebuilt after any write */
    private volatile Map<String, String> byValue;
    private final TokenBuckets buckets = new TokenBuckets();
    private final Map<String, long[]> quotas = new ConcurrentHashMap<>();

    UsagePlans(Store store, Clock clock) {
        this.store = store;
        this.table = store.table("apigateway_usage");
        this.clock = clock;
    }

    @Override
    public String modelName() {
        return "apigateway";
    }

    @Override
    public void register(Operations ops) {
        ops.add("CreateApiKey", (ctx, in) -> {
            String id = ApiStore.id(10);
            ObjectNode key = Values.object().put("id", id).put("name", Values.text(in, "name", id))
                    .put("value", Values.text(in, "value", ApiStore.id(40))).put("enabled", in.path("enabled").asBoolean(false));
            for (String m : List.of("description", "customerId", "tags", "stageKeys")) if (in.hasNonNull(m)) key.set(m, in.get(m));
            key.set("createdDate", Values.timestamp(clock.instant()));
            key.set("lastUpdatedDate", key.get("createdDate"));
            write(prefix(ctx) + "key/" + id, key);
            return key;
        }).add("GetApiKey", (ctx, in) -> {
            ObjectNode key = get(ctx, "key/", Values.text(in, "apiKey"), "Invalid API Key identifier specified");
            if (!in.path("includeValue").asBoolean(false)) key.remove("value");
            return key;
        }).add("GetApiKeys", (ctx, in) -> {
            boolean values = in.path("includeValues").asBoolean(false);
            String name = Values.text(in, "nameQuery", null);
            List<ObjectNode> keys = all(ctx, "key/");
            keys.removeIf(k -> name != null && !k.path("name").asText().startsWith(name));
            if (!values) keys.forEach(k -> k.remove("value"));
            return items(keys);
        }).add("UpdateApiKey", (ctx, in) -> {
            ObjectNode key = get(ctx, "key/", Values.text(in, "apiKey"), "Invalid API Key identifier specified");
            Patch.apply(key, in.get("patchOperations"), Set.of("name", "description", "enabled", "customerId"));
            key.set("lastUpdatedDate", Values.timestamp(clock.instant()));
            write(prefix(ctx) + "key/" + key.get("id").asText(), key);
            return key;
        }).add("DeleteApiKey", (ctx, in) -> {
            get(ctx, "key/", Values.text(in, "apiKey"), "Invalid API Key identifier specified");
            delete(prefix(ctx) + "key/" + in.get("apiKey").asText());
            return null;
        }).add("CreateUsagePlan", (ctx, in) -> {
            String id = ApiStore.id(6);
            ObjectNode plan = Values.object().put("id", id).put("name", Values.text(in, "name"));
            for (String m : List.of("description", "apiStages", "throttle", "quota", "tags")) if (in.hasNonNull(m)) plan.set(m, in.get(m));
            plan.putArray("_keys");
            write(prefix(ctx) + "plan/" + id, plan);
            return plan;
        }).add("GetUsagePlan", (ctx, in) -> get(ctx, "plan/", Values.text(in, "usagePlanId"), "Invalid Usage Plan ID specified"))
                .add("GetUsagePlans", (ctx, in) -> {
                    String keyId = Values.text(in, "keyId", null);
                    List<ObjectNode> plans = all(ctx, "plan/");
                    plans.removeIf(p -> keyId != null && !contains(p.path("_keys"), keyId));
                    return items(plans);
                }).add("UpdateUsagePlan", (ctx, in) -> {
                    ObjectNode plan = get(ctx, "plan/", Values.text(in, "usagePlanId"), "Invalid Usage Plan ID specified");
                    for (JsonNode op : in.path("patchOperations")) {
                        // "/apiStages" with value "apiId:stage" adds or removes a stage.
                        if (op.path("path").asText().equals("/apiStages")) {
                            String[] stage = op.path("value").asText().split(":", 2);
                            ArrayNode stages = plan.withArray("apiStages");
                            stages.removeIf(s -> s.path("apiId").asText().equals(stage[0]) && s.path("stage").asText().equals(stage.length > 1 ? stage[1] : ""));
                            if (!op.path("op").asText().equals("remove")) stages.addObject().put("apiId", stage[0]).put("stage", stage.length > 1 ? stage[1] : "");
                        } else {
                            Patch.apply(plan, Values.array().add(op), Set.of("name", "description", "throttle", "quota"));
                        }
                    }
                    write(prefix(ctx) + "plan/" + plan.get("id").asText(), plan);
                    return plan;
                }).add("DeleteUsagePlan", (ctx, in) -> {
                    get(ctx, "plan/", Values.text(in, "usagePlanId"), "Invalid Usage Plan ID specified");
                    delete(prefix(ctx) + "plan/" + in.get("usagePlanId").asText());
                    return null;
                }).add("CreateUsagePlanKey", (ctx, in) -> store.transaction(() -> {
                    ObjectNode plan = get(ctx, "plan/", Values.text(in, "usagePlanId"), "Invalid Usage Plan ID specified");
                    ObjectNode key = get(ctx, "key/", Values.text(in, "keyId"), "Invalid API Key identifier specified");
                    if (!"API_KEY".equals(Values.text(in, "keyType"))) throw new AwsException("BadRequestException", "Invalid key type specified", 400);
                    if (contains(plan.path("_keys"), key.get("id").asText())) throw new AwsException("ConflictException", "Usage Plan Key already exists", 409);
                    plan.withArray("_keys").add(key.get("id").asText());
                    write(prefix(ctx) + "plan/" + plan.get("id").asText(), plan);
                    return planKey(key);
                })).add("GetUsagePlanKeys", (ctx, in) -> {
                    ObjectNode plan = get(ctx, "plan/", Values.text(in, "usagePlanId"), "Invalid Usage Plan ID specified");
                    List<ObjectNode> keys = new ArrayList<>();
                    for (JsonNode id : plan.path("_keys")) {
                        JsonNode key = table.getJson(prefix(ctx) + "key/" + id.asText());
                        if (key != null) keys.add(planKey((ObjectNode) key));
                    }
                    return items(keys);
                }).add("GetUsagePlanKey", (ctx, in) -> {
                    ObjectNode plan = get(ctx, "plan/", Values.text(in, "usagePlanId"), "Invalid Usage Plan ID specified");
                    if (!contains(plan.path("_keys"), Values.text(in, "keyId"))) throw RestApiService.notFound("Invalid Usage Plan Key identifier specified");
                    return planKey(get(ctx, "key/", in.get("keyId").asText(), "Invalid API Key identifier specified"));
                }).add("DeleteUsagePlanKey", (ctx, in) -> store.transaction(() -> {
                    ObjectNode plan = get(ctx, "plan/", Values.text(in, "usagePlanId"), "Invalid Usage Plan ID specified");
                    String keyId = Values.text(in, "keyId");
                    if (!contains(plan.path("_keys"), keyId)) throw RestApiService.notFound("Invalid Usage Plan Key identifier specified");
                    plan.withArray("_keys").removeIf(k -> k.asText().equals(keyId));
                    write(prefix(ctx) + "plan/" + plan.get("id").asText(), plan);
                    return null;
                }));
    }

    /**
     * Admits a request to a method that requires an API key: null when it may go on, else the
     * gateway response type refusing it (INVALID_API_KEY, THROTTLED, QUOTA_EXCEEDED).
     */
    String admit(String account, String region, String apiId, String stage, String value) {
        if (value == null || value.isEmpty()) return "INVALID_API_KEY";
        String keyId = keysByValue().get(account + "/" + region + "/" + value);
        if (keyId == null) return "INVALID_API_KEY";
        String prefix = account + "/" + region + "/";
        JsonNode key = table.getJson(prefix + "key/" + keyId);
        if (key == null || !key.path("enabled").asBoolean()) return "INVALID_API_KEY";
        for (Table.Entry e : table.scan(prefix + "plan/", null, 1000)) {
            JsonNode plan = e.json();
            if (!contains(plan.path("_keys"), keyId) || !covers(plan, apiId, stage)) continue;
            String slot = plan.get("id").asText() + "/" + keyId;
            JsonNode quota = plan.path("quota");
            if (quota.has("limit") && !withinQuota(slot, quota)) return "QUOTA_EXCEEDED";
            JsonNode throttle = plan.path("throttle");
            if (throttle.has("rateLimit") && !buckets.take(slot, throttle.path("rateLimit").asDouble(), throttle.path("burstLimit").asDouble(1))) return "THROTTLED";
            return null;
        }
        return "INVALID_API_KEY";
    }

    private static boolean covers(JsonNode plan, String apiId, String stage) {
        for (JsonNode s : plan.path("apiStages")) if (s.path("apiId").asText().equals(apiId) && s.path("stage").asText().equals(stage)) return true;
        return false;
    }

    /** Requests counted per calendar period (UTC); the quota's limit is the period's allowance. */
    private boolean withinQuota(String slot, JsonNode quota) {
        ZonedDateTime now = clock.instant().atZone(ZoneOffset.UTC);
        ZonedDateTime start = switch (quota.path("period").asText("DAY")) {
            case "WEEK" -> now.truncatedTo(ChronoUnit.DAYS).with(TemporalAdjusters.previousOrSame(java.time.DayOfWeek.MONDAY));
            case "MONTH" -> now.truncatedTo(ChronoUnit.DAYS).withDayOfMonth(1);
            default -> now.truncatedTo(ChronoUnit.DAYS);
        };
        long period = start.toEpochSecond();
        long limit = quota.path("limit").asLong();
        boolean[] ok = new boolean[1];
        quotas.compute(slot, (k, q) -> {
            if (q == null || q[0] != period) q = new long[] {period, 0};
            if (q[1] < limit) {
                q[1]++;
                ok[0] = true;
            }
            return q;
        });
        return ok[0];
    }

    private Map<String, String> keysByValue() {
        Map<String, String> m = byValue;
        if (m != null) return m;
        Map<String, String> built = new ConcurrentHashMap<>();
        for (var it = table.iterate("", null, 500); it.hasNext(); ) {
            Table.Entry e = it.next();
            String[] parts = e.key().split("/", 4);
            if (parts.length == 4 && parts[2].equals("key")) built.put(parts[0] + "/" + parts[1] + "/" + e.json().path("value").asText(), parts[3]);
        }
        byValue = built;
        return built;
    }

    private static ObjectNode planKey(ObjectNode key) {
        return Values.object().put("id", key.get("id").asText()).put("type", "API_KEY").put("value", key.path("value").asText())
                .put("name", key.path("name").asText());
    }

    private static boolean contains(JsonNode list, String value) {
        for (JsonNode v : list) if (v.asText().equals(value)) return true;
        return false;
    }

    private static String prefix(RequestContext ctx) {
        return ctx.accountId() + "/" + ctx.region() + "/";
    }

    private ObjectNode get(RequestContext ctx, String kind, String id, String missing) {
        JsonNode n = table.getJson(prefix(ctx) + kind + id);
        if (n == null) throw RestApiService.notFound(missing);
        return (ObjectNode) n;
    }

    private List<ObjectNode> all(RequestContext ctx, String kind) {
        List<ObjectNode> out = new ArrayList<>();
        for (var it = table.iterate(prefix(ctx) + kind, null, 200); it.hasNext(); ) out.add((ObjectNode) it.next().json());
        return out;
    }

    private void write(String key, ObjectNode value) {
        table.putJson(key, value);
        byValue = null;
    }

    private void delete(String key) {
        table.delete(key);
        byValue = null;
    }

    private static ObjectNode items(List<ObjectNode> list) {
        ObjectNode out = Values.object();
        ArrayNode items = out.putArray("items");
        list.forEach(items::add);
        return out;
    }
}
