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
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * API keys and usage plans (apigateway): keys are account-wide, plans name the API stages they
 * cover, a throttle (a token bucket per key: rate per second, burst) and a quota (requests per day,
 * week or month). Methods with apiKeyRequired admit a request only with an enabled key of a plan
 * covering the stage; over the throttle or the quota it is refused with 429. Throttle buckets live
 * in memory only (they refill within seconds anyway); the requests each key made under each plan
 * (per quota period and per day, for GetUsage) are counted in memory and written to the store once a
 * second, so a restart keeps the period's used quota and a crash forgets at most a second of it.
 */
final class UsagePlans implements AwsService, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(UsagePlans.class.getName());
    /** Days of per-day counts kept for GetUsage (a month-long quota period and then some). */
    private static final int KEPT_DAYS = 92;

    /** API keys by "account/region/value", usage plans by "account/region/". */
    private record Snapshot(Map<String, JsonNode> keys, Map<String, List<JsonNode>> plans) {}

    /** One key's use of one plan: the current quota period's count and requests per day. Guarded by itself. */
    private static final class Use {
        /** epoch second the counted period started */
        long period;
        /** requests in the period, less what UpdateUsage granted back */
        long used;
        final TreeMap<LocalDate, Long> days = new TreeMap<>();
        boolean dirty;

        static Use of(JsonNode stored) {
            Use u = new Use();
            if (stored == null) return u;
            u.period = stored.path("period").asLong();
            u.used = stored.path("used").asLong();
            stored.path("days").fields().forEachRemaining(d -> u.days.put(LocalDate.parse(d.getKey()), d.getValue().asLong()));
            return u;
        }

        /** A new period starts from nothing. */
        void roll(long start) {
            if (period == start) return;
            period = start;
            used = 0;
            dirty = true;
        }

        ObjectNode json() {
            ObjectNode n = Values.object().put("period", period).put("used", used);
            ObjectNode d = n.putObject("days");
            days.forEach((day, count) -> d.put(day.toString(), count));
            return n;
        }
    }

    private final Store store;
    private final Table table;
    private final Clock clock;
    private volatile Snapshot snapshot;
    private final TokenBuckets buckets = new TokenBuckets();
    /** "account/region/use/planId/keyId" -> the key's use of the plan, as stored plus what was counted since */
    private final Map<String, Use> uses = new ConcurrentHashMap<>();
    private final ScheduledExecutorService flusher = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("apigateway-usage").factory());

    UsagePlans(Store store, Clock clock) {
        this.store = store;
        this.table = store.table("apigateway_usage");
        this.clock = clock;
        flusher.scheduleWithFixedDelay(this::flush, 1, 1, TimeUnit.SECONDS);
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
            String customer = Values.text(in, "customerId", null);
            List<ObjectNode> keys = all(ctx, "key/");
            keys.removeIf(k -> name != null && !k.path("name").asText().startsWith(name));
            keys.removeIf(k -> customer != null && !customer.equals(k.path("customerId").asText(null)));
            if (!values) keys.forEach(k -> k.remove("value"));
            return items(keys);
        }).add("UpdateApiKey", (ctx, in) -> {
            ObjectNode key = get(ctx, "key/", Values.text(in, "apiKey"), "Invalid API Key identifier specified");
            Patch.apply(key, in.get("patchOperations"), Set.of("name", "description", "enabled", "customerId"));
            key.set("lastUpdatedDate", Values.timestamp(clock.instant()));
            write(prefix(ctx) + "key/" + key.get("id").asText(), key);
            return key;
        }).add("ImportApiKeys", (ctx, in) -> store.transaction(() -> importKeys(ctx, in)))
        .add("DeleteApiKey", (ctx, in) -> {
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
                    forget(prefix(ctx), in.get("usagePlanId").asText(), null);
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
                    String name = Values.text(in, "nameQuery", null);
                    List<ObjectNode> keys = new ArrayList<>();
                    for (JsonNode id : plan.path("_keys")) {
                        JsonNode key = table.getJson(prefix(ctx) + "key/" + id.asText());
                        if (key != null && (name == null || key.path("name").asText().startsWith(name))) keys.add(planKey((ObjectNode) key));
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
                    forget(prefix(ctx), plan.get("id").asText(), keyId);
                    return null;
                })).add("GetUsage", (ctx, in) -> {
                    ObjectNode plan = get(ctx, "plan/", Values.text(in, "usagePlanId"), "Invalid Usage Plan ID specified");
                    LocalDate start = date(in, "startDate");
                    LocalDate end = date(in, "endDate");
                    if (end.isBefore(start)) throw new AwsException("BadRequestException", "The start date must be before the end date", 400);
                    List<String> keyIds = new ArrayList<>();
                    for (JsonNode k : plan.path("_keys")) keyIds.add(k.asText());
                    String keyId = Values.text(in, "keyId", null);
                    if (keyId != null) {
                        if (!keyIds.contains(keyId)) throw RestApiService.notFound("Invalid Usage Plan Key identifier specified");
                        keyIds = List.of(keyId);
                    }
                    return usage(ctx, plan, keyIds, start, end);
                }).add("UpdateUsage", (ctx, in) -> {
                    // Grants a key more (or less) of the current period's quota: "replace /remaining".
                    ObjectNode plan = get(ctx, "plan/", Values.text(in, "usagePlanId"), "Invalid Usage Plan ID specified");
                    String keyId = Values.text(in, "keyId");
                    if (!contains(plan.path("_keys"), keyId)) throw RestApiService.notFound("Invalid Usage Plan Key identifier specified");
                    JsonNode quota = plan.path("quota");
                    String slot = prefix(ctx) + "use/" + plan.get("id").asText() + "/" + keyId;
                    for (JsonNode op : in.path("patchOperations")) {
                        if (!op.path("op").asText().equals("replace") || !op.path("path").asText().equals("/remaining")) {
                            throw new AwsException("BadRequestException", "Invalid patch path '" + op.path("path").asText() + "' specified for op '"
                                    + op.path("op").asText() + "'. Must be one of: [/remaining]", 400);
                        }
                        if (!quota.has("limit")) throw new AwsException("BadRequestException", "Usage Plan " + plan.get("id").asText() + " has no quota", 400);
                        long remaining;
                        try {
                            remaining = Long.parseLong(op.path("value").asText());
                        } catch (NumberFormatException e) {
                            throw new AwsException("BadRequestException", "Invalid remaining value: " + op.path("value").asText(), 400);
                        }
                        Use u = use(slot);
                        synchronized (u) {
                            u.roll(periodStart(clock.instant(), quota));
                            u.used = quota.path("limit").asLong() - remaining;
                            // Written through: a management change must not wait for the next flush.
                            table.putJson(slot, u.json());
                            u.dirty = false;
                        }
                    }
                    LocalDate today = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
                    return usage(ctx, plan, List.of(keyId), today, today);
                });
    }

    /**
     * Admits a request to a method that requires an API key: null when it may go on, else the
     * gateway response type refusing it (INVALID_API_KEY, THROTTLED, QUOTA_EXCEEDED).
     */
    String admit(String account, String region, String apiId, String stage, String value) {
        if (value == null || value.isEmpty()) return "INVALID_API_KEY";
        Snapshot s = snapshot();
        String prefix = account + "/" + region + "/";
        JsonNode key = s.keys().get(prefix + value);
        if (key == null || !key.path("enabled").asBoolean()) return "INVALID_API_KEY";
        String keyId = key.get("id").asText();
        for (JsonNode plan : s.plans().getOrDefault(prefix, List.of())) {
            if (!contains(plan.path("_keys"), keyId) || !covers(plan, apiId, stage)) continue;
            String slot = plan.get("id").asText() + "/" + keyId;
            if (!counted(prefix + "use/" + slot, plan.path("quota"))) return "QUOTA_EXCEEDED";
            JsonNode throttle = plan.path("throttle");
            if (throttle.has("rateLimit") && !buckets.take(prefix + slot, throttle.path("rateLimit").asDouble(), throttle.path("burstLimit").asDouble(1))) return "THROTTLED";
            return null;
        }
        return "INVALID_API_KEY";
    }

    /**
     * ImportApiKeys: a CSV file with Name and Key columns (any case, any order) and optionally
     * Description, Enabled (default true) and UsagePlanIds (quoted when several). A key whose value
     * exists already is overwritten. Rows that cannot be imported are warnings (failures with
     * failonwarnings).
     */
    private ObjectNode importKeys(RequestContext ctx, ObjectNode in) {
        String text;
        try {
            JsonNode body = in.get("body");
            byte[] b = body == null || body.isNull() ? null : body.binaryValue();
            text = b == null ? "" : new String(b, java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new AwsException("BadRequestException", "The API key file could not be read", 400);
        }
        List<String> lines = text.lines().filter(l -> !l.isBlank()).toList();
        if (lines.isEmpty()) throw new AwsException("BadRequestException", "The API key file is empty", 400);
        List<String> header = csv(lines.get(0)).stream().map(h -> h.trim().toLowerCase(java.util.Locale.ROOT)).toList();
        if (!header.contains("name") || !header.contains("key")) {
            throw new AwsException("BadRequestException", "The API key file must have a Name and a Key column", 400);
        }
        Map<String, ObjectNode> byValue = new HashMap<>();
        for (ObjectNode k : all(ctx, "key/")) byValue.put(k.path("value").asText(), k);
        List<String> warnings = new ArrayList<>();
        List<ObjectNode> imported = new ArrayList<>();
        Map<ObjectNode, List<String>> plans = new LinkedHashMap<>();
        for (int i = 1; i < lines.size(); i++) {
            List<String> cells = csv(lines.get(i));
            Map<String, String> row = new HashMap<>();
            for (int c = 0; c < header.size() && c < cells.size(); c++) row.put(header.get(c), cells.get(c).trim());
            String value = row.getOrDefault("key", "");
            String name = row.getOrDefault("name", "");
            if (value.length() < 20 || value.length() > 128 || name.isEmpty() || name.length() > 1024) {
                warnings.add("Invalid API key at line " + (i + 1) + ": the key must have 20 to 128 characters and a name of 1 to 1024");
                continue;
            }
            ObjectNode key = byValue.get(value);
            if (key == null) {
                key = Values.object().put("id", ApiStore.id(10)).put("value", value);
                key.set("createdDate", Values.timestamp(clock.instant()));
                byValue.put(value, key);
            }
            key.put("name", name).put("description", row.getOrDefault("description", ""))
                    .put("enabled", !row.getOrDefault("enabled", "true").equalsIgnoreCase("false"));
            key.set("lastUpdatedDate", Values.timestamp(clock.instant()));
            imported.add(key);
            for (String planId : row.getOrDefault("usageplanids", "").split(",")) {
                if (planId.isBlank()) continue;
                JsonNode plan = table.getJson(prefix(ctx) + "plan/" + planId.trim());
                if (plan == null) warnings.add("Invalid usage plan " + planId.trim() + " at line " + (i + 1));
                else plans.computeIfAbsent((ObjectNode) plan, p -> new ArrayList<>()).add(key.get("id").asText());
            }
        }
        if (!warnings.isEmpty() && in.path("failOnWarnings").asBoolean(false)) {
            throw new AwsException("BadRequestException", String.join("; ", warnings), 400);
        }
        ObjectNode out = Values.object();
        ArrayNode ids = out.putArray("ids");
        for (ObjectNode key : imported) {
            write(prefix(ctx) + "key/" + key.get("id").asText(), key);
            ids.add(key.get("id").asText());
        }
        plans.forEach((plan, keyIds) -> {
            for (String id : keyIds) if (!contains(plan.path("_keys"), id)) plan.withArray("_keys").add(id);
            write(prefix(ctx) + "plan/" + plan.get("id").asText(), plan);
        });
        ArrayNode w = out.putArray("warnings");
        warnings.forEach(w::add);
        return out;
    }

    /** One CSV line's cells; a cell may be quoted with double or single quotes (then it may hold commas). */
    private static List<String> csv(String line) {
        List<String> cells = new ArrayList<>();
        StringBuilder cell = new StringBuilder();
        char quote = 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quote != 0) {
                if (c == quote) quote = 0;
                else cell.append(c);
            } else if ((c == '"' || c == '\'') && cell.toString().isBlank()) {
                quote = c;
            } else if (c == ',') {
                cells.add(cell.toString());
                cell.setLength(0);
            } else {
                cell.append(c);
            }
        }
        cells.add(cell.toString());
        return cells;
    }

    private static boolean covers(JsonNode plan, String apiId, String stage) {
        for (JsonNode s : plan.path("apiStages")) if (s.path("apiId").asText().equals(apiId) && s.path("stage").asText().equals(stage)) return true;
        return false;
    }

    /** Counts one request against the key's use of the plan; false (and not counted) when the period's quota is spent. */
    private boolean counted(String slot, JsonNode quota) {
        Instant now = clock.instant();
        long period = periodStart(now, quota);
        long limit = quota.has("limit") ? quota.path("limit").asLong() : Long.MAX_VALUE;
        Use u = use(slot);
        synchronized (u) {
            u.roll(period);
            if (u.used >= limit) return false;
            u.used++;
            u.days.merge(LocalDate.ofInstant(now, ZoneOffset.UTC), 1L, Long::sum);
            u.dirty = true;
            return true;
        }
    }

    /** The start (epoch second) of the calendar period (UTC) the quota counts in: a day unless it says WEEK (from Monday) or MONTH. */
    private static long periodStart(Instant at, JsonNode quota) {
        LocalDate day = LocalDate.ofInstant(at, ZoneOffset.UTC);
        LocalDate start = switch (quota.path("period").asText("DAY")) {
            case "WEEK" -> day.with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY));
            case "MONTH" -> day.withDayOfMonth(1);
            default -> day;
        };
        return start.atStartOfDay(ZoneOffset.UTC).toEpochSecond();
    }

    /** The use in memory, loaded from the store on first need. */
    private Use use(String slot) {
        return uses.computeIfAbsent(slot, k -> Use.of(table.getJson(k)));
    }

    /**
     * Writes the uses counted since the last flush, one store transaction. Counting in memory spares
     * the data plane a store write per request; a crash loses at most the last second's counts.
     */
    synchronized void flush() {
        Map<String, ObjectNode> rows = new LinkedHashMap<>();
        Map<String, Use> written = new LinkedHashMap<>();
        LocalDate oldest = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC).minusDays(KEPT_DAYS);
        uses.forEach((slot, u) -> {
            synchronized (u) {
                if (!u.dirty) return;
                u.days.headMap(oldest).clear();
                rows.put(slot, u.json());
                u.dirty = false;
                written.put(slot, u);
            }
        });
        if (rows.isEmpty()) return;
        try {
            store.transaction(() -> rows.forEach(table::putJson));
        } catch (RuntimeException e) {
            written.values().forEach(u -> {
                synchronized (u) {
                    u.dirty = true;
                }
            });
            LOG.log(Level.WARNING, "could not write API keys' usage; retrying at the next flush", e);
        }
    }

    /** Forgets the uses of a plan (all its keys, or one): a key added again starts a fresh count. */
    private synchronized void forget(String prefix, String planId, String keyId) {
        String from = prefix + "use/" + planId + "/" + (keyId == null ? "" : keyId);
        uses.keySet().removeIf(k -> keyId == null ? k.startsWith(from) : k.equals(from));
        List<String> stored = new ArrayList<>();
        for (var it = table.iterate(from, null, 200); it.hasNext(); ) {
            String k = it.next().key();
            if (keyId == null ? k.startsWith(from) : k.equals(from)) stored.add(k);
        }
        stored.forEach(table::delete);
    }

    /**
     * GetUsage's answer: per key, one [used, remaining] pair per day from start to end. Remaining is
     * what the key had left in that day's quota period at the day's end (0 when the plan has no quota).
     */
    private ObjectNode usage(RequestContext ctx, ObjectNode plan, List<String> keyIds, LocalDate start, LocalDate end) {
        String planId = plan.get("id").asText();
        JsonNode quota = plan.path("quota");
        long limit = quota.path("limit").asLong(0);
        long current = periodStart(clock.instant(), quota);
        ObjectNode out = Values.object().put("usagePlanId", planId).put("startDate", start.toString()).put("endDate", end.toString());
        ObjectNode items = out.putObject("items");
        for (String keyId : keyIds) {
            Use u = use(prefix(ctx) + "use/" + planId + "/" + keyId);
            ArrayNode days = items.putArray(keyId);
            synchronized (u) {
                u.roll(current);
                for (LocalDate d = start; !d.isAfter(end); d = d.plusDays(1)) {
                    long periodOfDay = periodStart(d.atStartOfDay(ZoneOffset.UTC).toInstant(), quota);
                    long usedToDate;
                    if (periodOfDay == current) {
                        // The period's count includes UpdateUsage grants: take off what was used after day d.
                        long after = 0;
                        for (long n : u.days.tailMap(d, false).values()) after += n;
                        usedToDate = u.used - after;
                    } else {
                        usedToDate = 0;
                        LocalDate from = LocalDate.ofInstant(Instant.ofEpochSecond(periodOfDay), ZoneOffset.UTC);
                        for (long n : u.days.subMap(from, true, d, true).values()) usedToDate += n;
                    }
                    days.addArray().add(u.days.getOrDefault(d, 0L)).add(limit == 0 ? 0 : Math.max(0, limit - usedToDate));
                }
            }
        }
        return out;
    }

    private static LocalDate date(JsonNode in, String member) {
        String text = Values.text(in, member);
        try {
            return LocalDate.parse(text);
        } catch (DateTimeParseException e) {
            throw new AwsException("BadRequestException", "Invalid " + member + " specified: " + text, 400);
        }
    }

    /** Keys by "account/region/value", plans by "account/region/": what the data plane reads, rebuilt after any key or plan is written. */
    private Snapshot snapshot() {
        Snapshot s = snapshot;
        if (s != null) return s;
        Map<String, JsonNode> keys = new HashMap<>();
        Map<String, List<JsonNode>> plans = new HashMap<>();
        for (var it = table.iterate("", null, 500); it.hasNext(); ) {
            Table.Entry e = it.next();
            String[] parts = e.key().split("/", 4);
            if (parts.length < 4) continue;
            String prefix = parts[0] + "/" + parts[1] + "/";
            if (parts[2].equals("key")) keys.put(prefix + e.json().path("value").asText(), e.json());
            if (parts[2].equals("plan")) plans.computeIfAbsent(prefix, k -> new ArrayList<>()).add(e.json());
        }
        s = new Snapshot(keys, plans);
        snapshot = s;
        return s;
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
        snapshot = null;
    }

    private void delete(String key) {
        table.delete(key);
        snapshot = null;
    }

    @Override
    public void close() {
        flusher.shutdown();
        flush();
    }

    private static ObjectNode items(List<ObjectNode> list) {
        ObjectNode out = Values.object();
        ArrayNode items = out.putArray("items");
        list.forEach(items::add);
        return out;
    }
}
