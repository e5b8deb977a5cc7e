package dev.nimbus.services.logs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.Operations;
import dev.nimbus.services.Targets;
import dev.nimbus.services.logs.Logs.InputEvent;
import dev.nimbus.store.Table;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.zip.GZIPOutputStream;

/**
 * Subscription filters: a log group's events that match a filter pattern are delivered to a
 * destination (a Lambda function) through {@link Targets}, as CloudWatch Logs does: the payload is
 * {"awslogs": {"data": base64(gzip(JSON))}}, the JSON a DATA_MESSAGE naming the owner, group, stream,
 * filter and the matching events (id, timestamp, message). One message per put and filter. On
 * creation a CONTROL_MESSAGE checks that the destination takes messages.
 */
final class SubscriptionFilters {
    private static final Logger LOG = Logger.getLogger(SubscriptionFilters.class.getName());
    /** AWS allows two subscription filters per log group. */
    private static final int MAX_PER_GROUP = 2;

    private final Logs logs;
    private final Table filters;
    private volatile Targets targets;

    SubscriptionFilters(Logs logs) {
        this.logs = logs;
        this.filters = logs.store.table("logs.subscription_filters");
    }

    void deliverTo(Targets t) {
        this.targets = t;
    }

    void register(Operations ops) {
        ops.add("PutSubscriptionFilter", this::put)
                .add("DescribeSubscriptionFilters", this::describe)
                .add("DeleteSubscriptionFilter", this::delete);
    }

    private static String prefix(String account, String region, String group) {
        return account + "/" + region + "/" + group + "\u0001";
    }

    private JsonNode put(RequestContext ctx, ObjectNode in) {
        String group = Values.text(in, "logGroupName"), name = Values.text(in, "filterName");
        String pattern = Values.text(in, "filterPattern"), destination = Values.text(in, "destinationArn");
        FilterPattern.compile(pattern);
        Targets t = targets;
        List<Runnable> after = new ArrayList<>();
        logs.store.transaction(() -> {
            logs.requireGroup(ctx.accountId(), ctx.region(), group);
            String key = prefix(ctx.accountId(), ctx.region(), group) + name;
            if (filters.get(key) == null && filters.count(prefix(ctx.accountId(), ctx.region(), group)) >= MAX_PER_GROUP) {
                throw new AwsException("LimitExceededException", "Resource limit exceeded.", 400);
            }
            // The destination must take a message now, or the filter is refused (AWS sends the same test).
            ObjectNode control = message("CONTROL_MESSAGE", "CloudwatchLogs", "", "", List.of());
            control.putArray("logEvents").addObject().put("id", "").put("timestamp", logs.now())
                    .put("message", "CWL CONTROL MESSAGE: Checking health of destination " + kind(destination) + ".");
            try {
                if (t == null) throw new AwsException("InvalidParameterException", "no delivery", 400);
                Runnable wake = t.send(destination, new Targets.Message(payload(control)));
                if (wake != null) after.add(wake);
            } catch (AwsException e) {
                throw Logs.invalidParameter("Could not deliver test message to specified destination. Check if the destination is valid.");
            }
            ObjectNode f = Values.object().put("filterName", name).put("logGroupName", group).put("filterPattern", pattern)
                    .put("destinationArn", destination);
            if (in.hasNonNull("roleArn")) f.put("roleArn", in.get("roleArn").asText());
            f.put("distribution", Values.text(in, "distribution", "ByLogStream")).put("applyOnTransformedLogs", false)
                    .put("creationTime", logs.now());
            filters.putJson(key, f);
        });
        after.forEach(Runnable::run);
        return null;
    }

    private static String kind(String arn) {
        String[] p = arn.split(":", 4);
        return p.length > 2 && p[2].equals("lambda") ? "Lambda function" : p.length > 2 && p[2].equals("kinesis") ? "Kinesis stream" : "Firehose";
    }

    private JsonNode describe(RequestContext ctx, ObjectNode in) {
        String group = Values.text(in, "logGroupName");
        logs.requireGroup(ctx.accountId(), ctx.region(), group);
        String namePrefix = Values.text(in, "filterNamePrefix", "");
        int limit = Values.integer(in, "limit", 50);
        String token = Values.text(in, "nextToken", null);
        String base = prefix(ctx.accountId(), ctx.region(), group);
        String after;
        try {
            after = token == null ? null : base + new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw Logs.invalidParameter("The specified nextToken is invalid.");
        }
        ObjectNode out = Values.object();
        ArrayNode list = out.putArray("subscriptionFilters");
        List<Table.Entry> found = filters.scan(base + namePrefix, after, limit + 1);
        for (int i = 0; i < Math.min(limit, found.size()); i++) list.add(found.get(i).json());
        if (found.size() > limit) {
            String last = found.get(limit - 1).key().substring(base.length());
            out.put("nextToken", Base64.getUrlEncoder().encodeToString(last.getBytes(StandardCharsets.UTF_8)));
        }
        return out;
    }

    private JsonNode delete(RequestContext ctx, ObjectNode in) {
        String group = Values.text(in, "logGroupName");
        logs.requireGroup(ctx.accountId(), ctx.region(), group);
        if (!filters.delete(prefix(ctx.accountId(), ctx.region(), group) + Values.text(in, "filterName"))) {
            throw new AwsException("ResourceNotFoundException", "The specified subscription filter does not exist.", 400);
        }
        return null;
    }

    /** Removes the group's filters (DeleteLogGroup). */
    void deleteGroup(String account, String region, String group) {
        for (Table.Entry e : filters.scan(prefix(account, region, group), null, MAX_PER_GROUP * 2)) filters.delete(e.key());
    }

    /**
     * Delivers the events a put stored (the batch without the rejected runs at either end) to each
     * of the group's filters they match. Runs inside the put's transaction: what to wake after commit
     * goes to {@code after}. A destination that refuses is logged; the put itself stands.
     */
    void deliver(String account, String region, String group, String stream, List<InputEvent> batch, Logs.PutResult result, List<Runnable> after) {
        Targets t = targets;
        if (t == null || batch.isEmpty()) return;
        List<Table.Entry> found = filters.scan(prefix(account, region, group), null, MAX_PER_GROUP);
        if (found.isEmpty()) return;
        int first = 0, last = batch.size();
        if (result.rejected() != null) {
            first = Math.max(result.rejected().path("tooOldLogEventEndIndex").asInt(-1), result.rejected().path("expiredLogEventEndIndex").asInt(-1)) + 1;
            last = result.rejected().path("tooNewLogEventStartIndex").asInt(batch.size());
        }
        long lastSeq = Long.parseLong(result.nextSequenceToken());
        for (Table.Entry e : found) {
            JsonNode f = e.json();
            FilterPattern pattern = FilterPattern.compile(f.get("filterPattern").asText());
            ObjectNode m = message("DATA_MESSAGE", account, group, stream, List.of(f.get("filterName").asText()));
            ArrayNode events = m.putArray("logEvents");
            for (int i = first; i < last; i++) {
                InputEvent ev = batch.get(i);
                if (!pattern.matches(ev.message())) continue;
                long seq = lastSeq - (last - 1 - i);
                events.addObject().put("id", Logs.eventId(stream, ev.timestamp(), seq)).put("timestamp", ev.timestamp()).put("message", ev.message());
            }
            if (events.isEmpty()) continue;
            String destination = f.get("destinationArn").asText();
            try {
                Runnable wake = t.send(destination, new Targets.Message(payload(m)));
                if (wake != null) after.add(wake);
            } catch (AwsException ex) {
                LOG.log(Level.WARNING, "subscription filter " + f.get("filterName").asText() + " of " + group + " could not deliver to " + destination
                        + ": " + ex.getMessage());
            }
        }
    }

    private static ObjectNode message(String type, String owner, String group, String stream, List<String> filterNames) {
        ObjectNode m = Values.object().put("messageType", type).put("owner", owner).put("logGroup", group).put("logStream", stream);
        ArrayNode names = m.putArray("subscriptionFilters");
        filterNames.forEach(names::add);
        return m;
    }

    /** What a Lambda function receives: {"awslogs": {"data": base64 of the gzipped JSON message}}. */
    static String payload(ObjectNode message) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
            gz.write(message.toString().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ObjectNode body = Values.object();
        body.putObject("awslogs").put("data", Base64.getEncoder().encodeToString(bytes.toByteArray()));
        return body.toString();
    }
}
