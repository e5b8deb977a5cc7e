package dev.nimbus.services;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.RequestContext;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** The operations every service implements, by service model name and operation name. */
public final class Operations {
    /** An operation: model-shaped input in, model-shaped output (or null for none) out. */
    @FunctionalInterface
    public interface Handler {
        JsonNode handle(RequestContext ctx, ObjectNode input);
    }

    private final Map<String, Map<String, Handler>> byService = new HashMap<>();
    private String current;

    public void register(AwsService service) {
        current = service.modelName();
        byService.computeIfAbsent(current, k -> new HashMap<>());
        service.register(this);
        current = null;
    }

    /** Called from {@link AwsService#register}. */
    public Operations add(String operation, Handler handler) {
        if (current == null) throw new IllegalStateException("add() outside register()");
        if (byService.get(current).put(operation, handler) != null) throw new IllegalStateException(current + "." + operation + " registered twice");
        return this;
    }

    public Handler handler(String service, String operation) {
        Map<String, Handler> ops = byService.get(service);
        return ops == null ? null : ops.get(operation);
    }

    public Set<String> services() {
        return Collections.unmodifiableSet(new TreeSet<>(byService.keySet()));
    }

    public Set<String> implemented(String service) {
        return new TreeSet<>(byService.getOrDefault(service, Map.of()).keySet());
    }
}
