package dev.nimbus.protocol.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.zip.GZIPInputStream;

/** An AWS API model (botocore service-2.json), parsed once and shared by every request. */
public final class ServiceModel {
    /** our name for the service: the model's file name (sts, iam, s3, cloudwatch, ...) */
    public final String name;
    public final String protocol;
    public final String apiVersion, jsonVersion, targetPrefix, xmlNamespace, signingName, endpointPrefix, serviceId;
    public final boolean awsQueryCompatible;
    public final Map<String, Operation> operations = new LinkedHashMap<>();
    public final Map<String, Shape> shapes = new HashMap<>();
    /** rest protocols: operations sorted most specific first, for routing */
    public final List<Operation> restOperations;

    private static final ObjectMapper JSON = new ObjectMapper();

    public static ServiceModel load(String name) {
        try (InputStream in = ServiceModel.class.getResourceAsStream("/models/" + name + ".json.gz")) {
            if (in == null) throw new IllegalArgumentException("no model for service " + name);
            return new ServiceModel(name, JSON.readTree(new GZIPInputStream(in, 1 << 16)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    ServiceModel(String name, JsonNode root) {
        this.name = name;
        JsonNode meta = root.path("metadata");
        this.protocol = meta.path("protocol").asText();
        this.apiVersion = meta.path("apiVersion").asText();
        this.jsonVersion = meta.path("jsonVersion").asText("1.0");
        this.targetPrefix = meta.path("targetPrefix").asText(null);
        this.xmlNamespace = meta.path("xmlNamespace").asText(null);
        this.endpointPrefix = meta.path("endpointPrefix").asText();
        this.signingName = meta.path("signingName").asText(endpointPrefix);
        this.serviceId = meta.path("serviceId").asText();
        this.awsQueryCompatible = meta.has("awsQueryCompatible");

        JsonNode shapeDefs = root.path("shapes");
        shapeDefs.fields().forEachRemaining(e -> shapes.put(e.getKey(), new Shape(e.getKey(), e.getValue().path("type").asText())));
        shapeDefs.fields().forEachRemaining(e -> fill(shapes.get(e.getKey()), e.getValue()));

        List<Operation> rest = new ArrayList<>();
        root.path("operations").fields().forEachRemaining(e -> {
            JsonNode def = e.getValue();
            Operation op = new Operation(e.getKey(), this);
            JsonNode http = def.path("http");
            op.method = http.path("method").asText("POST");
            op.requestUri = http.path("requestUri").asText("/");
            op.responseCode = http.path("responseCode").asInt(200);
            op.input = def.has("input") ? shapes.get(def.path("input").path("shape").asText()) : null;
            op.output = def.has("output") ? shapes.get(def.path("output").path("shape").asText()) : null;
            op.resultWrapper = def.path("output").path("resultWrapper").asText(null);
            List<Shape> errs = new ArrayList<>();
            def.path("errors").forEach(err -> errs.add(shapes.get(err.path("shape").asText())));
            op.errors = List.copyOf(errs);
            op.deprecated = def.path("deprecated").asBoolean(false);
            op.authNone = "none".equals(def.path("authtype").asText()) || def.path("auth").toString().contains("smithy.api#noAuth");
            op.uri = new UriTemplate(op.requestUri);
            operations.put(op.name, op);
            rest.add(op);
        });
        rest.sort(Comparator.comparingInt((Operation o) -> o.uri.specificity).reversed());
        this.restOperations = List.copyOf(rest);
    }

    private void fill(Shape s, JsonNode def) {
        def.path("members").fields().forEachRemaining(m -> s.members.put(m.getKey(), member(m.getKey(), m.getValue())));
        if (def.has("member")) s.member = member("member", def.get("member"));
        if (def.has("key")) s.key = member("key", def.get("key"));
        if (def.has("value")) s.value = member("value", def.get("value"));
        if (def.has("required")) {
            Set<String> req = new HashSet<>();
            def.get("required").forEach(r -> req.add(r.asText()));
            s.required = Set.copyOf(req);
        }
        if (def.has("enum")) {
            Set<String> values = new java.util.LinkedHashSet<>();
            def.get("enum").forEach(v -> values.add(v.asText()));
            s.enumValues = values;
        }
        if (def.has("min")) s.min = def.get("min").asDouble();
        if (def.has("max")) s.max = def.get("max").asDouble();
        if (def.has("pattern")) {
            s.patternText = def.get("pattern").asText();
            try {
                s.pattern = Pattern.compile(s.patternText, Pattern.DOTALL);
            } catch (PatternSyntaxException e) {
                s.pattern = null; // a model pattern Java cannot express is not enforced, rather than wrongly enforced
            }
        }
        s.streaming = def.path("streaming").asBoolean(false);
        s.flattened = def.path("flattened").asBoolean(false);
        s.exception = def.path("exception").asBoolean(false);
        s.document = def.path("document").asBoolean(false);
        s.union = def.path("union").asBoolean(false);
        s.sensitive = def.path("sensitive").asBoolean(false);
        s.eventstream = def.path("eventstream").asBoolean(false);
        s.timestampFormat = def.path("timestampFormat").asText(null);
        s.payload = def.path("payload").asText(null);
        s.locationName = def.path("locationName").asText(null);
        s.xmlNamespace = def.path("xmlNamespace").path("uri").asText(null);
        s.xmlPrefix = def.path("xmlNamespace").path("prefix").asText(null);
        JsonNode error = def.path("error");
        if (s.exception) {
            s.errorStatus = error.path("httpStatusCode").asInt(def.path("fault").asBoolean(false) ? 500 : 400);
            s.errorCode = error.path("code").asText(s.name);
            s.senderFault = error.has("senderFault") ? error.get("senderFault").asBoolean() : !def.path("fault").asBoolean(false);
        }
    }

    private Member member(String name, JsonNode def) {
        Member m = new Member(name);
        m.shape = shapes.get(def.path("shape").asText());
        if (m.shape == null) throw new IllegalStateException(this.name + ": member " + name + " names unknown shape " + def.path("shape"));
        m.location = def.path("location").asText(null);
        m.locationName = def.path("locationName").asText(null);
        m.queryName = def.path("queryName").asText(null);
        m.flattened = def.path("flattened").asBoolean(false);
        m.xmlAttribute = def.path("xmlAttribute").asBoolean(false);
        m.idempotencyToken = def.path("idempotencyToken").asBoolean(false);
        m.hostLabel = def.path("hostLabel").asBoolean(false);
        m.jsonValue = def.path("jsonvalue").asBoolean(false);
        m.streaming = def.path("streaming").asBoolean(false);
        m.xmlNamespace = def.path("xmlNamespace").path("uri").asText(null);
        m.xmlPrefix = def.path("xmlNamespace").path("prefix").asText(null);
        m.timestampFormat = def.path("timestampFormat").asText(null);
        return m;
    }

    public Operation operation(String name) {
        return operations.get(name);
    }

    /** Error shape by wire code, or null when the model does not declare it. */
    public Shape errorShape(String code) {
        Shape s = shapes.get(code);
        return s != null && s.exception ? s : null;
    }

    @Override
    public String toString() {
        return name;
    }
}
