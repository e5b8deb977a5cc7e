package dev.nimbus.services.logs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.AwsService;
import dev.nimbus.services.Operations;
import dev.nimbus.services.Targets;
import dev.nimbus.services.logs.Logs.Event;
import dev.nimbus.services.logs.Logs.InputEvent;
import dev.nimbus.services.logs.Logs.PutResult;
import dev.nimbus.store.Store;
import dev.nimbus.store.Table;
import java.nio.charset.StandardCharsets;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Comparator;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.PriorityQueue;
import java.util.Spliterators;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.StreamSupport;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * CloudWatch Logs (logs 2014-03-28, awsJson 1.1): log groups, streams, events, filter patterns,
 * retention, tags and Logs Insights queries. Other services write their logs through {@link #append}.
 */
public final class LogsService implements AwsService {
    private static final Logger LOG = Logger.getLogger(LogsService.class.getName());
    /** GetLogEvents and FilterLogEvents answer at most 1 MB of events. */
    private static final int MAX_RESPONSE_BYTES = 1_048_576;
    private static final int MAX_EVENTS = 10_000;
    private static final int DEFAULT_PAGE = 50;
    private static final long SWEEP_MINUTES = 10;

    private final Logs logs;
    private final MetricFilters metricFilters;
    private final SubscriptionFilters subscriptions;
    /** the retention sweep, while running */
    private ScheduledExecutorService timer;

    public LogsService(Store store) {
        this(store, InstantSource.system());
    }

    LogsService(Store store, InstantSource clock) {
        this.logs = new Logs(store, clock);
        this.metricFilters = new MetricFilters(logs);
        this.subscriptions = new SubscriptionFilters(logs);
    }

    /** Where metric filters publish (CloudWatch), once set. */
    public void publishMetricsTo(dev.nimbus.services.cloudwatch.Metrics metrics) {
        metricFilters.publishTo(metrics);
    }

    /** Where subscription filters deliver (Lambda functions, by ARN), once set. */
    public void deliverSubscriptionsTo(Targets targets) {
        subscriptions.deliverTo(targets);
    }

    @Override
    public String modelName() {
        return "logs";
    }

    @Override
    public void register(Operations ops) {
        ops.add("CreateLogGroup", this::createLogGroup)
                .add("DeleteLogGroup", this::deleteLogGroup)
                .add("DescribeLogGroups", this::describeLogGroups)
                .add("CreateLogStream", this::createLogStream)
                .add("DeleteLogStream", this::deleteLogStream)
                .add("DescribeLogStreams", this::describeLogStreams)
                .add("PutLogEvents", this::putLogEvents)
                .add("GetLogEvents", this::getLogEvents)
                .add("FilterLogEvents", this::filterLogEvents)
                .add("PutRetentionPolicy", this::putRetentionPolicy)
                .add("DeleteRetentionPolicy", this::deleteRetentionPolicy)
                .add("TagLogGroup", (ctx, in) -> tag(ctx, Values.text(in, "logGroupName"), in.get("tags")))
                .add("UntagLogGroup", (ctx, in) -> untag(ctx, Values.text(in, "logGroupName"), in.get("tags")))
                .add("ListTagsLogGroup", (ctx, in) -> listTags(ctx, Values.text(in, "logGroupName")))
                .add("TagResource", (ctx, in) -> tag(ctx, groupOfArn(ctx, Values.text(in, "resourceArn")), in.get("tags")))
                .add("UntagResource", (ctx, in) -> untag(ctx, groupOfArn(ctx, Values.text(in, "resourceArn")), in.get("tagKeys")))
                .add("ListTagsForResource", (ctx, in) -> listTags(ctx, groupOfArn(ctx, Values.text(in, "resourceArn"))))
                .add("StartQuery", this::startQuery)
                .add("GetQueryResults", this::getQueryResults)
                .add("StopQuery", this::stopQuery)
                .add("DescribeQueries", this::describeQueries);
        metricFilters.register(ops);
        subscriptions.register(ops);
    }

    /**
     * Appends events to a stream, creating the group and stream when missing, as Lambda's log
     * shipping does. Events are put in time order first (several writers may interleave); AWS's
     * batch limits apply (at most 10,000 events and 1 MB a call, spanning at most 24 hours).
     */
    public void append(String account, String region, String group, String stream, List<InputEvent> events) {
        if (events.isEmpty()) return;
        List<InputEvent> sorted = new ArrayList<>(events);
        sorted.sort(Comparator.comparingLong(InputEvent::timestamp));
        metricFilters.emit(account, region, group, sorted, store(account, region, group, stream, sorted, true));
    }

    /** Stores a put's events and hands those stored to the group's subscription filters, in one transaction. */
    private PutResult store(String account, String region, String group, String stream, List<InputEvent> events, boolean create) {
        List<Runnable> after = new ArrayList<>();
        PutResult r = logs.store.transaction(() -> {
            PutResult put = logs.put(account, region, group, stream, events, create);
            subscriptions.deliver(account, region, group, stream, events, put, after);
            return put;
        });
        after.forEach(Runnable::run);
        return r;
    }

    /** Deletes events past retention every few minutes; stops (with a warning) once the store is gone. */
    public synchronized void startRetentionSweep() {
        if (timer != null) return;
        timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("logs-retention").factory());
        timer.scheduleWithFixedDelay(() -> {
            try {
                long n = logs.sweepExpired();
                if (n > 0) LOG.fine(() -> "retention sweep deleted " + n + " log events");
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "log retention sweep failed; it runs again at the next period", e);
            }
        }, SWEEP_MINUTES, SWEEP_MINUTES, TimeUnit.MINUTES);
    }

    /** Stops the retention sweep; called before the store closes. */
    public synchronized void close() {
        if (timer != null) timer.shutdownNow();
        timer = null;
    }

    /** One sweep now (tests; the timer calls the same). */
    long sweepExpired() {
        return logs.sweepExpired();
    }

    // ---- groups

    private JsonNode createLogGroup(RequestContext ctx, ObjectNode in) {
        String name = Values.text(in, "logGroupName");
        ObjectNode tags = in.get("tags") instanceof ObjectNode t ? t : null;
        if (!logs.createGroup(ctx.accountId(), ctx.region(), name, Values.text(in, "logGroupClass", "STANDARD"), tags)) {
            throw new AwsException("ResourceAlreadyExistsException", "The specified log group already exists", 400);
        }
        return null;
    }

    private JsonNode deleteLogGroup(RequestContext ctx, ObjectNode in) {
        logs.store.transaction(() -> {
            logs.deleteGroup(ctx.accountId(), ctx.region(), Values.text(in, "logGroupName"));
            subscriptions.deleteGroup(ctx.accountId(), ctx.region(), Values.text(in, "logGroupName"));
        });
        return null;
    }

    private JsonNode describeLogGroups(RequestContext ctx, ObjectNode in) {
        String prefix = Values.text(in, "logGroupNamePrefix", null);
        String pattern = Values.text(in, "logGroupNamePattern", null);
        if (prefix != null && pattern != null) {
            throw Logs.invalidParameter("LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.");
        }
        int limit = Values.integer(in, "limit", DEFAULT_PAGE);
        String after = decodeToken(Values.text(in, "nextToken", null));
        String base = Logs.groupKey(ctx.accountId(), ctx.region(), "");
        String needle = pattern == null ? null : pattern.toLowerCase(Locale.ROOT);
        ArrayNode found = Values.array();
        ObjectNode out = Values.object();
        out.set("logGroups", found);
        String cursor = after == null ? null : base + after;
        while (true) {
            var batch = logs.groups.scan(base + (prefix == null ? "" : prefix), cursor, 200);
            for (var e : batch) {
                ObjectNode g = (ObjectNode) e.json();
                String name = g.get("logGroupName").asText();
                if (needle != null && !name.toLowerCase(Locale.ROOT).contains(needle)) continue;
                if (found.size() == limit) {
                    out.put("nextToken", encodeToken(found.get(found.size() - 1).get("logGroupName").asText()));
                    return out;
                }
                found.add(groupOutput(ctx, g));
            }
            if (batch.size() < 200) return out;
            cursor = batch.get(batch.size() - 1).key();
        }
    }

    private ObjectNode groupOutput(RequestContext ctx, ObjectNode g) {
        String name = g.get("logGroupName").asText();
        ObjectNode out = Values.object().put("logGroupName", name).put("creationTime", g.get("creationTime").asLong());
        if (g.has("retentionInDays")) out.put("retentionInDays", g.get("retentionInDays").asInt());
        out.put("metricFilterCount", metricFilters.count(ctx.accountId(), ctx.region(), name))
                .put("arn", ctx.arn("logs", "log-group:" + name + ":*"))
                .put("storedBytes", g.path("storedBytes").asLong())
                .put("logGroupClass", g.path("logGroupClass").asText("STANDARD"))
                .put("logGroupArn", ctx.arn("logs", "log-group:" + name));
        return out;
    }

    private JsonNode putRetentionPolicy(RequestContext ctx, ObjectNode in) {
        int days = Values.integer(in, "retentionInDays", 0);
        Logs.checkRetention(days);
        updateGroup(ctx, Values.text(in, "logGroupName"), g -> g.put("retentionInDays", days));
        return null;
    }

    private JsonNode deleteRetentionPolicy(RequestContext ctx, ObjectNode in) {
        updateGroup(ctx, Values.text(in, "logGroupName"), g -> g.remove("retentionInDays"));
        return null;
    }

    private void updateGroup(RequestContext ctx, String name, Consumer<ObjectNode> change) {
        logs.store.transaction(() -> {
            ObjectNode g = logs.requireGroup(ctx.accountId(), ctx.region(), name);
            change.accept(g);
            logs.groups.putJson(Logs.groupKey(ctx.accountId(), ctx.region(), name), g);
        });
    }

    // ---- tags

    /**
     * The group an ARN names: arn:aws:logs:REGION:ACCOUNT:log-group:NAME, with or without a trailing
     * ":*". A group of another account or region is not one this caller can see.
     */
    private static String groupOfArn(RequestContext ctx, String arn) {
        String[] parts = arn.split(":", 7);
        if (parts.length < 7 || !parts[2].equals("logs") || !parts[5].equals("log-group")) {
            throw Logs.invalidParameter("Invalid resource arn: " + arn);
        }
        if (!parts[3].equals(ctx.region()) || !parts[4].equals(ctx.accountId())) throw Logs.groupNotFound();
        String name = parts[6];
        return name.endsWith(":*") ? name.substring(0, name.length() - 2) : name;
    }

    private JsonNode tag(RequestContext ctx, String group, JsonNode tags) {
        updateGroup(ctx, group, g -> {
            ObjectNode t = g.with("tags");
            if (tags != null) tags.properties().forEach(e -> t.set(e.getKey(), e.getValue()));
        });
        return null;
    }

    private JsonNode untag(RequestContext ctx, String group, JsonNode keys) {
        updateGroup(ctx, group, g -> {
            ObjectNode t = g.with("tags");
            if (keys != null) keys.forEach(k -> t.remove(k.asText()));
        });
        return null;
    }

    private JsonNode listTags(RequestContext ctx, String group) {
        ObjectNode g = logs.requireGroup(ctx.accountId(), ctx.region(), group);
        ObjectNode out = Values.object();
        out.set("tags", g.with("tags"));
        return out;
    }

    // ---- streams

    private JsonNode createLogStream(RequestContext ctx, ObjectNode in) {
        String group = Values.text(in, "logGroupName");
        String stream = Values.text(in, "logStreamName");
        logs.store.transaction(() -> {
            logs.requireGroup(ctx.accountId(), ctx.region(), group);
            if (!logs.createStream(ctx.accountId(), ctx.region(), group, stream)) {
                throw new AwsException("ResourceAlreadyExistsException", "The specified log stream already exists", 400);
            }
        });
        return null;
    }

    private JsonNode deleteLogStream(RequestContext ctx, ObjectNode in) {
        logs.deleteStream(ctx.accountId(), ctx.region(), Values.text(in, "logGroupName"), Values.text(in, "logStreamName"));
        return null;
    }

    private JsonNode describeLogStreams(RequestContext ctx, ObjectNode in) {
        String group = groupName(ctx, in);
        String prefix = Values.text(in, "logStreamNamePrefix", null);
        boolean byTime = "LastEventTime".equals(Values.text(in, "orderBy", "LogStreamName"));
        if (byTime && prefix != null) throw Logs.invalidParameter("Cannot order by LastEventTime with a logStreamNamePrefix.");
        int limit = Values.integer(in, "limit", DEFAULT_PAGE);
        int offset = offsetToken(Values.text(in, "nextToken", null));
        logs.requireGroup(ctx.accountId(), ctx.region(), group);
        List<ObjectNode> all = new ArrayList<>();
        for (ObjectNode s : logs.streams(ctx.accountId(), ctx.region(), group)) {
            if (prefix == null || s.get("logStreamName").asText().startsWith(prefix)) all.add(s);
        }
        // Name order is the key order already.
        if (byTime) all.sort(Comparator.comparingLong(s -> s.path("lastEventTimestamp").asLong(0)));
        if (in.path("descending").asBoolean(false)) Collections.reverse(all);
        ArrayNode found = Values.array();
        for (int i = offset; i < all.size() && found.size() < limit; i++) found.add(streamOutput(ctx, group, all.get(i)));
        ObjectNode out = Values.object();
        out.set("logStreams", found);
        if (offset + found.size() < all.size()) out.put("nextToken", encodeToken(Integer.toString(offset + found.size())));
        return out;
    }

    private static ObjectNode streamOutput(RequestContext ctx, String group, ObjectNode s) {
        String name = s.get("logStreamName").asText();
        ObjectNode out = Values.object().put("logStreamName", name).put("creationTime", s.get("creationTime").asLong());
        for (String f : new String[] {"firstEventTimestamp", "lastEventTimestamp", "lastIngestionTime"}) {
            if (s.has(f)) out.put(f, s.get(f).asLong());
        }
        out.put("uploadSequenceToken", Logs.sequenceToken(s.path("seq").asLong()))
                .put("arn", ctx.arn("logs", "log-group:" + group + ":log-stream:" + name))
                .put("storedBytes", s.path("storedBytes").asLong());
        return out;
    }

    // ---- events

    private JsonNode putLogEvents(RequestContext ctx, ObjectNode in) {
        List<InputEvent> events = new ArrayList<>();
        for (JsonNode e : in.get("logEvents")) events.add(new InputEvent(e.get("timestamp").asLong(), e.get("message").asText()));
        PutResult r = store(ctx.accountId(), ctx.region(), Values.text(in, "logGroupName"), Values.text(in, "logStreamName"), events, false);
        metricFilters.emit(ctx.accountId(), ctx.region(), Values.text(in, "logGroupName"), events, r);
        ObjectNode out = Values.object().put("nextSequenceToken", r.nextSequenceToken());
        if (r.rejected() != null) out.set("rejectedLogEventsInfo", r.rejected());
        return out;
    }

    /** The group a request names by logGroupName or logGroupIdentifier (a name or an ARN). */
    private static String groupName(RequestContext ctx, ObjectNode in) {
        String name = Values.text(in, "logGroupName", null);
        String id = Values.text(in, "logGroupIdentifier", null);
        if (name != null && id != null) {
            throw Logs.invalidParameter("LogGroup name and LogGroup ARN are mutually exclusive parameters.");
        }
        if (name != null) return name;
        if (id == null) throw Logs.invalidParameter("Should provide either name or ARN of log group.");
        return id.startsWith("arn:") ? groupOfArn(ctx, id) : id;
    }

    private JsonNode getLogEvents(RequestContext ctx, ObjectNode in) {
        String group = groupName(ctx, in);
        String stream = Values.text(in, "logStreamName");
        long start = in.path("startTime").asLong(0);
        long end = in.has("endTime") ? in.get("endTime").asLong() : Long.MAX_VALUE;
        int limit = Math.min(Values.integer(in, "limit", MAX_EVENTS), MAX_EVENTS);
        String token = Values.text(in, "nextToken", null);
        if (token != null && !token.matches("[fb]/\\d{25}")) throw Logs.invalidParameter("The specified nextToken is invalid.");
        boolean forward = token == null ? in.path("startFromHead").asBoolean(false) : token.startsWith("f/");
        String tokenPosition = token == null ? null : token.substring(2);

        ObjectNode g = logs.requireGroup(ctx.accountId(), ctx.region(), group);
        String key = Logs.streamKey(ctx.accountId(), ctx.region(), group, stream);
        JsonNode s = logs.streams.getJson(key);
        if (s == null) throw Logs.streamNotFound();
        long cutoff = logs.retentionCutoff(g);
        Deque<Event> page;
        if (forward) {
            page = new ArrayDeque<>();
            Iterator<Event> it = logs.scan(key, stream, tokenPosition, start, cutoff);
            long bytes = 0;
            while (it.hasNext() && page.size() < limit && bytes < MAX_RESPONSE_BYTES) {
                Event e = it.next();
                if (e.timestamp() >= end) break;
                page.addLast(e);
                bytes += e.message().length() + Logs.EVENT_OVERHEAD;
            }
        } else {
            page = lastEvents(key, stream, s, start, end, tokenPosition, cutoff, limit);
        }
        ArrayNode list = Values.array();
        for (Event e : page) list.addObject().put("timestamp", e.timestamp()).put("message", e.message()).put("ingestionTime", e.ingestionTime());
        ObjectNode out = Values.object();
        out.set("events", list);
        // At the end of the stream the token passed in comes back, so that a reader polling forward knows it is caught up.
        String emptyAt = tokenPosition != null ? tokenPosition : Logs.position(Math.max(start, 0), 0);
        out.put("nextForwardToken", "f/" + (page.isEmpty() ? emptyAt : page.getLast().position()));
        out.put("nextBackwardToken", "b/" + (page.isEmpty() ? emptyAt : page.getFirst().position()));
        return out;
    }

    /**
     * The last {@code limit} events (and at most 1 MB) before the token or endTime. Stores scan
     * forward only, so this scans a time window ending there, widened eightfold until it holds a
     * full page or reaches the stream's first event: a page costs about its own size, not the stream's.
     */
    private Deque<Event> lastEvents(String key, String stream, JsonNode s, long start, long end, String tokenPosition, long cutoff, int limit) {
        Deque<Event> page = new ArrayDeque<>();
        if (!s.has("lastEventTimestamp")) return page;
        long upper = tokenPosition != null ? Logs.timestampOf(tokenPosition) : Math.min(end - 1, s.get("lastEventTimestamp").asLong());
        long lower = Math.max(Math.max(start, cutoff), s.get("firstEventTimestamp").asLong());
        for (long window = 1000; ; window *= 8) {
            long from = Math.max(lower, upper - window);
            page.clear();
            long bytes = 0;
            boolean full = false;
            Iterator<Event> it = logs.scan(key, stream, null, from, cutoff);
            while (it.hasNext()) {
                Event e = it.next();
                if (e.timestamp() >= end || (tokenPosition != null && e.position().compareTo(tokenPosition) >= 0)) break;
                page.addLast(e);
                bytes += e.message().length() + Logs.EVENT_OVERHEAD;
                while (page.size() > limit || bytes > MAX_RESPONSE_BYTES) {
                    bytes -= page.removeFirst().message().length() + Logs.EVENT_OVERHEAD;
                    full = true;
                }
            }
            if (full || page.size() == limit || from <= lower) return page;
        }
    }

    private JsonNode filterLogEvents(RequestContext ctx, ObjectNode in) {
        String group = groupName(ctx, in);
        JsonNode names = in.get("logStreamNames");
        String prefix = Values.text(in, "logStreamNamePrefix", null);
        if (names != null && prefix != null) {
            throw Logs.invalidParameter("logStreamNames and logStreamNamePrefix are mutually exclusive parameters.");
        }
        FilterPattern pattern = FilterPattern.compile(Values.text(in, "filterPattern", ""));
        long start = in.path("startTime").asLong(0);
        long end = in.has("endTime") ? in.get("endTime").asLong() : Long.MAX_VALUE;
        int limit = Math.min(Values.integer(in, "limit", MAX_EVENTS), MAX_EVENTS);
        Resume resume = Resume.decode(Values.text(in, "nextToken", null));

        ObjectNode g = logs.requireGroup(ctx.accountId(), ctx.region(), group);
        long cutoff = logs.retentionCutoff(g);
        List<String> streams = new ArrayList<>();
        for (ObjectNode s : logs.streams(ctx.accountId(), ctx.region(), group)) {
            String name = s.get("logStreamName").asText();
            boolean named = names == null || containsText(names, name);
            // A stream with no event in the window is not scanned at all (Lambda makes many short-lived streams).
            boolean inWindow = s.has("lastEventTimestamp") && s.get("lastEventTimestamp").asLong() >= Math.max(start, cutoff)
                    && s.get("firstEventTimestamp").asLong() <= end;
            if (named && inWindow && (prefix == null || name.startsWith(prefix))) streams.add(name);
        }
        // Merge the streams by (timestamp, stream, sequence); the token is the last event returned in that order.
        PriorityQueue<Head> heads = new PriorityQueue<>(Comparator.comparingLong((Head h) -> h.event.timestamp())
                .thenComparing(h -> h.event.stream()).thenComparingLong(h -> h.event.seq()));
        for (String s : streams) {
            Iterator<Event> it = logs.scan(Logs.streamKey(ctx.accountId(), ctx.region(), group, s), s, resume == null ? null : resume.after(s), start, cutoff);
            if (it.hasNext()) heads.add(new Head(it.next(), it));
        }
        ArrayNode list = Values.array();
        ObjectNode out = Values.object();
        out.set("events", list);
        long bytes = 0;
        Event last = null;
        while (!heads.isEmpty() && heads.peek().event.timestamp() <= end) {
            if (list.size() == limit || bytes >= MAX_RESPONSE_BYTES) {
                out.put("nextToken", new Resume(last.position(), last.stream()).encode());
                break;
            }
            Head h = heads.poll();
            Event e = h.event;
            if (pattern.matches(e.message())) {
                list.addObject().put("logStreamName", e.stream()).put("timestamp", e.timestamp()).put("message", e.message())
                        .put("ingestionTime", e.ingestionTime()).put("eventId", eventId(e));
                bytes += e.message().length() + Logs.EVENT_OVERHEAD;
            }
            last = e;
            if (h.rest.hasNext()) heads.add(new Head(h.rest.next(), h.rest));
        }
        return out;
    }

    // ---- Logs Insights

    /**
     * Runs the query at once (Insights queries are asynchronous in AWS; here they are complete by
     * the time StartQuery answers) and keeps its results for GetQueryResults.
     */
    private JsonNode startQuery(RequestContext ctx, ObjectNode in) {
        List<String> groups = new ArrayList<>();
        if (in.hasNonNull("logGroupName")) groups.add(in.get("logGroupName").asText());
        for (String member : new String[] {"logGroupNames", "logGroupIdentifiers"}) {
            if (in.has(member)) in.get(member).forEach(g -> groups.add(g.asText().startsWith("arn:") ? groupOfArn(ctx, g.asText()) : g.asText()));
        }
        if (groups.isEmpty()) throw Logs.invalidParameter("Should provide either log group name, names or identifiers.");
        String queryString = Values.text(in, "queryString");
        InsightsQuery query = parseQuery(queryString);
        long from = in.path("startTime").asLong() * 1000;
        long to = in.path("endTime").asLong() * 1000 + 999;
        if (to < from) throw Logs.invalidParameter("End time should not be before the start time.");
        List<Iterator<Map<String, Object>>> sources = new ArrayList<>();
        long[] bytes = {0};
        for (String group : groups) {
            ObjectNode g = logs.requireGroup(ctx.accountId(), ctx.region(), group);
            long cutoff = logs.retentionCutoff(g);
            String log = ctx.accountId() + ":" + group;
            for (ObjectNode s : logs.streams(ctx.accountId(), ctx.region(), group)) {
                if (!s.has("lastEventTimestamp") || s.get("lastEventTimestamp").asLong() < from || s.get("firstEventTimestamp").asLong() > to) continue;
                String stream = s.get("logStreamName").asText();
                Iterator<Event> events = logs.scan(Logs.streamKey(ctx.accountId(), ctx.region(), group, stream), stream, null, from, cutoff);
                sources.add(new Iterator<>() {
                    private Event next = advance();

                    private Event advance() {
                        Event e = events.hasNext() ? events.next() : null;
                        return e == null || e.timestamp() > to ? null : e;
                    }

                    @Override
                    public boolean hasNext() {
                        return next != null;
                    }

                    @Override
                    public Map<String, Object> next() {
                        Event e = next;
                        next = advance();
                        bytes[0] += e.message().length();
                        return query.recordFor(e.timestamp(), e.message(), e.stream(), log, e.ingestionTime());
                    }
                });
            }
        }
        Iterator<Map<String, Object>> records = sources.stream()
                .flatMap(it -> StreamSupport.stream(Spliterators.spliteratorUnknownSize(it, 0), false)).iterator();
        InsightsQuery.Result result = query.run(records, Values.integer(in, "limit", MAX_EVENTS));

        String id = UUID.randomUUID().toString();
        ObjectNode stored = Values.object().put("queryId", id).put("queryString", queryString).put("status", "Complete")
                .put("createTime", logs.now()).put("logGroupName", groups.get(0));
        ArrayNode rows = stored.putArray("results");
        for (Map<String, String> row : result.rows()) {
            ArrayNode fields = rows.addArray();
            row.forEach((f, v) -> fields.addObject().put("field", f).put("value", v));
        }
        stored.putObject("statistics").put("recordsMatched", (double) result.matched()).put("recordsScanned", (double) result.scanned())
                .put("bytesScanned", (double) bytes[0]);
        logs.queries.putJson(Logs.groupKey(ctx.accountId(), ctx.region(), id), stored);
        return Values.object().put("queryId", id);
    }

    private static InsightsQuery parseQuery(String queryString) {
        try {
            return InsightsQuery.parse(queryString);
        } catch (InsightsQuery.MalformedQuery e) {
            throw new AwsException("MalformedQueryException", e.getMessage(), 400);
        }
    }

    private ObjectNode query(RequestContext ctx, String id) {
        ObjectNode q = (ObjectNode) logs.queries.getJson(Logs.groupKey(ctx.accountId(), ctx.region(), id));
        if (q == null) throw new AwsException("ResourceNotFoundException", "Query does not exist.", 400);
        return q;
    }

    private JsonNode getQueryResults(RequestContext ctx, ObjectNode in) {
        ObjectNode q = query(ctx, Values.text(in, "queryId"));
        ObjectNode out = Values.object();
        out.set("results", q.get("results"));
        out.set("statistics", q.get("statistics"));
        out.put("status", q.get("status").asText());
        return out;
    }

    /** Queries finish within StartQuery, so there is never one left to stop. */
    private JsonNode stopQuery(RequestContext ctx, ObjectNode in) {
        query(ctx, Values.text(in, "queryId"));
        return Values.object().put("success", false);
    }

    private JsonNode describeQueries(RequestContext ctx, ObjectNode in) {
        String group = Values.text(in, "logGroupName", null);
        String status = Values.text(in, "status", null);
        int max = Values.integer(in, "maxResults", 1000);
        int offset = offsetToken(Values.text(in, "nextToken", null));
        List<ObjectNode> all = new ArrayList<>();
        String prefix = Logs.groupKey(ctx.accountId(), ctx.region(), "");
        String after = null;
        List<Table.Entry> batch;
        do {
            batch = logs.queries.scan(prefix, after, 500);
            for (var e : batch) {
                ObjectNode q = (ObjectNode) e.json();
                if ((group == null || group.equals(q.get("logGroupName").asText())) && (status == null || status.equals(q.get("status").asText()))) all.add(q);
                after = e.key();
            }
        } while (batch.size() == 500);
        // Newest first, as the console lists them.
        all.sort(Comparator.comparingLong((ObjectNode q) -> q.get("createTime").asLong()).reversed());
        ArrayNode list = Values.array();
        for (int i = offset; i < all.size() && list.size() < max; i++) {
            ObjectNode q = all.get(i);
            list.addObject().put("queryId", q.get("queryId").asText()).put("queryString", q.get("queryString").asText())
                    .put("status", q.get("status").asText()).put("createTime", q.get("createTime").asLong())
                    .put("logGroupName", q.get("logGroupName").asText());
        }
        ObjectNode out = Values.object();
        out.set("queries", list);
        if (offset + list.size() < all.size()) out.put("nextToken", encodeToken(Integer.toString(offset + list.size())));
        return out;
    }

    private record Head(Event event, Iterator<Event> rest) {}

    /**
     * Where a FilterLogEvents page ends: the last event looked at, in the merge order (timestamp,
     * stream, sequence). Each stream resumes after it: a stream before it in that order skips the
     * event's whole millisecond, the stream itself skips up to the event, a later one keeps it.
     */
    private record Resume(String position, String stream) {
        String after(String s) {
            int c = s.compareTo(stream);
            String millis = position.substring(0, 15);
            return c < 0 ? millis + "9999999999" : c == 0 ? position : millis;
        }

        String encode() {
            return encodeToken(position + "/" + stream);
        }

        static Resume decode(String token) {
            if (token == null) return null;
            String t = decodeToken(token);
            int slash = t.indexOf('/');
            if (slash != 25 || !t.substring(0, 25).chars().allMatch(Character::isDigit)) {
                throw Logs.invalidParameter("The specified nextToken is invalid.");
            }
            return new Resume(t.substring(0, 25), t.substring(26));
        }
    }

    private static String eventId(Event e) {
        return Logs.eventId(e.stream(), e.timestamp(), e.seq());
    }

    private static boolean containsText(JsonNode array, String text) {
        for (JsonNode n : array) if (n.asText().equals(text)) return true;
        return false;
    }

    private static String encodeToken(String raw) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
    }

    private static String decodeToken(String token) {
        if (token == null) return null;
        try {
            return new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw Logs.invalidParameter("The specified nextToken is invalid.");
        }
    }

    private static int offsetToken(String token) {
        if (token == null) return 0;
        try {
            return Integer.parseInt(decodeToken(token));
        } catch (NumberFormatException e) {
            throw Logs.invalidParameter("The specified nextToken is invalid.");
        }
    }
}
