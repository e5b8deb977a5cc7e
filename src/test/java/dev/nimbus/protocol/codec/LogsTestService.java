package dev.nimbus.protocol.codec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.AwsService;
import dev.nimbus.services.Operations;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A test-only CloudWatch Logs (awsJson 1.1): log groups and the events put into a stream, kept in
 * memory. Its times are longs of milliseconds, not timestamps: the codec must leave them alone.
 */
final class LogsTestService implements AwsService {
    private final Map<String, ObjectNode> groups = new TreeMap<>();
    private final Map<String, List<ObjectNode>> streams = new TreeMap<>();

    @Override
    public String modelName() {
        return "logs";
    }

    @Override
    public void register(Operations ops) {
        ops.add("CreateLogGroup", this::createLogGroup)
                .add("DescribeLogGroups", (ctx, in) -> describeLogGroups(in))
                .add("PutLogEvents", (ctx, in) -> putLogEvents(in))
                .add("GetLogEvents", (ctx, in) -> getLogEvents(in));
    }

    private synchronized JsonNode createLogGroup(RequestContext ctx, ObjectNode in) {
        String name = Values.text(in, "logGroupName");
        if (groups.containsKey(name)) throw new AwsException("ResourceAlreadyExistsException", "The specified log group already exists", 400);
        ObjectNode g = Values.object().put("logGroupName", name).put("creationTime", 1_767_225_600_123L)
                .put("arn", ctx.arn("logs", "log-group:" + name + ":*")).put("storedBytes", 0);
        groups.put(name, g);
        return null;
    }

    private synchronized JsonNode describeLogGroups(ObjectNode in) {
        String prefix = Values.text(in, "logGroupNamePrefix", "");
        ArrayNode found = Values.array();
        groups.forEach((name, g) -> {
            if (name.startsWith(prefix)) found.add(g.deepCopy());
        });
        return Values.object().set("logGroups", found);
    }

    private synchronized JsonNode putLogEvents(ObjectNode in) {
        String group = Values.text(in, "logGroupName");
        if (!groups.containsKey(group)) throw new AwsException("ResourceNotFoundException", "The specified log group does not exist.", 400);
        List<ObjectNode> events = streams.computeIfAbsent(group + ":" + Values.text(in, "logStreamName"), k -> new ArrayList<>());
        for (JsonNode e : in.get("logEvents")) {
            events.add(((ObjectNode) e.deepCopy()).put("ingestionTime", e.get("timestamp").asLong() + 1));
        }
        return Values.object().put("nextSequenceToken", Integer.toString(events.size()));
    }

    private synchronized JsonNode getLogEvents(ObjectNode in) {
        List<ObjectNode> events = streams.getOrDefault(Values.text(in, "logGroupName") + ":" + Values.text(in, "logStreamName"), List.of());
        ObjectNode out = Values.object();
        out.putArray("events").addAll(events);
        return out;
    }
}
