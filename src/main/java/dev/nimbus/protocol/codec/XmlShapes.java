package dev.nimbus.protocol.codec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.POJONode;
import dev.nimbus.protocol.Values;
import dev.nimbus.protocol.model.Member;
import dev.nimbus.protocol.model.Shape;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;

/**
 * Writes a value tree as XML by its model shape, with the rules shared by the query and rest-xml
 * protocols: lists wrap "member" elements unless flattened, maps wrap "entry"/"key"/"value",
 * timestamps are ISO 8601, blobs base64, locationName renames.
 */
public final class XmlShapes {
    private XmlShapes() {}

    /**
     * Under this key a structure value may say how its flattened lists interleave in the document (S3's
     * ListObjectVersions gives versions and delete markers in one key order): one member name per element, in order.
     */
    public static final String ORDER = "@order";

    /**
     * A member's elements written by the operation itself, given as a POJONode in place of the
     * member's value: S3's listing pages write their 1,000 Contents this way, as building a tree of
     * them and walking it by shape was most of a first page's time (see Listing). What it writes must
     * be what this class would write for the member; the operation's tests compare the two.
     */
    @FunctionalInterface
    public interface Written {
        void write(XmlWriter w);
    }

    /** Writes the members of a structure (no wrapping element). */
    public static void members(XmlWriter w, JsonNode value, Shape shape) {
        if (value == null || !value.isObject()) return;
        JsonNode order = value.get(ORDER);
        boolean interleaved = false;
        for (Member m : shape.members.values()) {
            if (m.location != null || m.xmlAttribute) continue;
            JsonNode v = value.get(m.name);
            if (v == null || v.isNull()) continue;
            if (order != null && m.shape.isList() && contains(order, m.name)) {
                if (!interleaved) interleave(w, value, shape, order);
                interleaved = true;
                continue;
            }
            if (v instanceof POJONode p && p.getPojo() instanceof Written written) written.write(w);
            else member(w, m, v);
        }
    }

    private static boolean contains(JsonNode names, String name) {
        for (JsonNode n : names) if (n.asText().equals(name)) return true;
        return false;
    }

    /** The elements of the flattened lists named in {@code order}, each list's in turn as the order says. */
    private static void interleave(XmlWriter w, JsonNode value, Shape shape, JsonNode order) {
        java.util.Map<String, Integer> next = new java.util.HashMap<>();
        for (JsonNode n : order) {
            Member m = shape.members.get(n.asText());
            Member item = m.shape.member;
            int i = next.merge(m.name, 1, Integer::sum) - 1;
            element(w, item.locationName != null ? item.locationName : m.locationName != null ? m.locationName : m.name, value.get(m.name).get(i), item.shape, item);
        }
    }

    public static void member(XmlWriter w, Member m, JsonNode v) {
        String name = m.locationName != null ? m.locationName : m.name;
        Shape s = m.shape;
        if (s.isList() && (m.flattened || s.flattened)) {
            String item = s.member.locationName != null ? s.member.locationName : name;
            for (JsonNode e : v) element(w, item, e, s.member.shape, s.member);
            return;
        }
        if (s.isMap() && (m.flattened || s.flattened)) {
            mapEntries(w, name, v, s);
            return;
        }
        element(w, name, v, s, m);
    }

    public static void element(XmlWriter w, String name, JsonNode v, Shape s, Member m) {
        switch (s.type) {
            case "structure" -> {
                boolean own = m != null && m.xmlNamespace != null;
                String ns = own ? m.xmlNamespace : s.xmlNamespace;
                String prefix = own ? m.xmlPrefix : s.xmlPrefix;
                if (ns == null && !hasAttributes(s)) {
                    w.open(name);
                } else {
                    // <Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser">
                    java.util.List<String> attributes = new java.util.ArrayList<>();
                    if (ns != null) {
                        attributes.add(prefix == null ? "xmlns" : "xmlns:" + prefix);
                        attributes.add(ns);
                    }
                    attributes(v, s, attributes);
                    w.open(name, attributes.toArray(String[]::new));
                }
                members(w, v, s);
                w.close(name);
            }
            case "list" -> {
                w.open(name);
                String item = s.member.locationName != null ? s.member.locationName : "member";
                for (JsonNode e : v) element(w, item, e, s.member.shape, s.member);
                w.close(name);
            }
            case "map" -> {
                w.open(name);
                mapEntries(w, "entry", v, s);
                w.close(name);
            }
            default -> w.element(name, scalar(v, s, m, w.millis()));
        }
    }

    private static void mapEntries(XmlWriter w, String entryName, JsonNode v, Shape s) {
        String k = s.key.locationName != null ? s.key.locationName : "key";
        String val = s.value.locationName != null ? s.value.locationName : "value";
        Iterator<Map.Entry<String, JsonNode>> it = v.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            w.open(entryName).element(k, e.getKey());
            element(w, val, e.getValue(), s.value.shape, s.value);
            w.close(entryName);
        }
    }

    private static boolean hasAttributes(Shape s) {
        for (Member m : s.members.values()) if (m.xmlAttribute) return true;
        return false;
    }

    private static void attributes(JsonNode v, Shape s, java.util.List<String> out) {
        for (Member m : s.members.values()) {
            if (!m.xmlAttribute) continue;
            JsonNode a = v.get(m.name);
            if (a == null || a.isNull()) continue;
            out.add(m.locationName != null ? m.locationName : m.name);
            out.add(scalar(a, m.shape, m));
        }
    }

    /** The text form of a scalar in XML: ISO 8601 timestamps (unless the model says otherwise), base64 blobs. */
    public static String scalar(JsonNode v, Shape s, Member m) {
        return scalar(v, s, m, false);
    }

    static String scalar(JsonNode v, Shape s, Member m, boolean millis) {
        switch (s.type) {
            case "timestamp": {
                String format = m != null && m.timestampFormat != null ? m.timestampFormat : s.timestampFormat;
                java.time.Instant t = Values.instant(v);
                if ("unixTimestamp".equals(format)) return Values.epochSeconds(t).asText();
                if ("rfc822".equals(format)) return Values.httpDate(t);
                return millis ? Values.isoMillis(t) : Values.iso8601(t);
            }
            case "blob":
                return v.isBinary() ? Base64.getEncoder().encodeToString(binary(v)) : v.asText();
            case "float", "double":
                return v.isNumber() ? Double.toString(v.asDouble()).replace(".0E", "E") : v.asText();
            default:
                return v.asText();
        }
    }

    private static byte[] binary(JsonNode v) {
        try {
            return v.binaryValue();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
