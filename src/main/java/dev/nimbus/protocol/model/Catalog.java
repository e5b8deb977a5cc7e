package dev.nimbus.protocol.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The vendored models. Reads only models/index.json at start-up; a model itself is parsed on the
 * first request for its service and then kept (start-up time is a feature).
 */
public final class Catalog {
    /** What the router needs before any model is loaded. */
    public record Entry(String name, String protocol, List<String> protocols, String signingName,
                        String endpointPrefix, String targetPrefix, String shapeName, String apiVersion, int operationCount) {}

    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final Map<String, Entry> byTargetPrefix = new ConcurrentHashMap<>();
    private final Map<String, ServiceModel> models = new ConcurrentHashMap<>();
    public final String source;

    public Catalog() {
        try (InputStream in = Catalog.class.getResourceAsStream("/models/index.json")) {
            JsonNode index = new ObjectMapper().readTree(in);
            source = index.path("source").asText();
            index.path("services").fields().forEachRemaining(e -> {
                JsonNode m = e.getValue();
                List<String> protocols = new ArrayList<>();
                m.path("protocols").forEach(p -> protocols.add(p.asText()));
                if (protocols.isEmpty()) protocols.add(m.path("protocol").asText());
                Entry entry = new Entry(e.getKey(), m.path("protocol").asText(), List.copyOf(protocols),
                        m.path("signingName").asText(m.path("endpointPrefix").asText()), m.path("endpointPrefix").asText(),
                        m.path("targetPrefix").asText(null), m.path("shapeName").asText(), m.path("apiVersion").asText(),
                        m.path("operations").asInt());
                entries.put(entry.name(), entry);
                if (entry.targetPrefix() != null) byTargetPrefix.put(entry.targetPrefix(), entry);
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Entry entry(String name) {
        return entries.get(name);
    }

    public Iterable<Entry> entries() {
        return entries.values();
    }

    /** json protocols: "DynamoDB_20120810" of X-Amz-Target "DynamoDB_20120810.PutItem"; also the cbor service name */
    public Entry byTargetPrefix(String prefix) {
        return byTargetPrefix.get(prefix);
    }

    /** Services signed with this SigV4 service name (apigateway v1 and v2 share one, for example). */
    public List<Entry> bySigningName(String signingName) {
        List<Entry> found = new ArrayList<>(2);
        for (Entry e : entries.values()) {
            if (e.signingName().equals(signingName) || e.endpointPrefix().equals(signingName)) found.add(e);
        }
        return found;
    }

    public ServiceModel model(String name) {
        ServiceModel m = models.get(name);
        if (m == null) m = models.computeIfAbsent(name, ServiceModel::load);
        return m;
    }
}
