package dev.nimbus.protocol.codec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.Values;
import dev.nimbus.protocol.model.Member;
import dev.nimbus.protocol.model.Shape;
import java.io.ByteArrayInputStream;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * Reads rest-xml request bodies (S3's DeleteObjects, CompleteMultipartUpload, Put*Configuration)
 * into model-shaped trees, by shape, with the JDK's own StAX parser. Hardened: a document with a
 * DTD is refused and entities are never resolved (no XXE, no entity expansion). Tolerant where S3
 * is: namespaces and prefixes are ignored (elements match by local name), the root element's
 * name is not checked, unknown elements are skipped; lists may be wrapped or flattened.
 */
final class XmlReader {
    private static final XMLInputFactory FACTORY = factory();
    /** per structure shape: member by element name */
    private static final Map<Shape, Map<String, Member>> ELEMENTS = new ConcurrentHashMap<>();

    private XmlReader() {}

    private static XMLInputFactory factory() {
        // newDefaultFactory: the JDK's implementation whatever else is on the class path, configured once.
        XMLInputFactory f = XMLInputFactory.newDefaultFactory();
        f.setProperty(XMLInputFactory.SUPPORT_DTD, false);
        f.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
        f.setProperty(XMLInputFactory.IS_REPLACING_ENTITY_REFERENCES, false);
        f.setProperty(XMLInputFactory.IS_NAMESPACE_AWARE, true);
        f.setProperty(XMLInputFactory.IS_COALESCING, true);
        return f;
    }

    /** The error S3 answers for any body it cannot read as the operation's XML. */
    static AwsException malformed() {
        return new AwsException("MalformedXML",
                "The XML you provided was not well-formed or did not validate against our published schema", 400);
    }

    /** Reads a document whose root element is a value of {@code shape} (the root's name is not checked). */
    static JsonNode read(byte[] body, Shape shape, Member member) {
        XMLStreamReader r = null;
        try {
            r = FACTORY.createXMLStreamReader(new ByteArrayInputStream(body));
            if (!toRoot(r)) throw malformed();
            JsonNode value = value(r, shape, member);
            while (r.hasNext()) {
                int event = r.next();
                if (event == XMLStreamConstants.START_ELEMENT || event == XMLStreamConstants.DTD || event == XMLStreamConstants.ENTITY_REFERENCE
                        || event == XMLStreamConstants.CHARACTERS && !r.isWhiteSpace()) {
                    throw malformed();
                }
            }
            return value;
        } catch (XMLStreamException | IllegalStateException e) {
            throw malformed();
        } finally {
            if (r != null) {
                try {
                    r.close();
                } catch (XMLStreamException ignored) {
                    // nothing held beyond the byte array
                }
            }
        }
    }

    /** Advances to the root element; false when the document has none. A DTD is refused outright. */
    private static boolean toRoot(XMLStreamReader r) throws XMLStreamException {
        while (r.hasNext()) {
            int event = r.next();
            if (event == XMLStreamConstants.START_ELEMENT) return true;
            if (event == XMLStreamConstants.DTD || event == XMLStreamConstants.ENTITY_REFERENCE) throw malformed();
            if (event == XMLStreamConstants.CHARACTERS && !r.isWhiteSpace()) throw malformed();
        }
        return false;
    }

    /** The value of the element the reader is on; returns with the reader on its end tag. */
    private static JsonNode value(XMLStreamReader r, Shape s, Member m) throws XMLStreamException {
        return switch (s.type) {
            case "structure" -> structure(r, s);
            case "list" -> {
                ArrayNode items = Values.array();
                while (nextChild(r)) items.add(value(r, s.member.shape, s.member));
                yield items;
            }
            case "map" -> {
                ObjectNode map = Values.object();
                while (nextChild(r)) entry(r, s, map);
                yield map;
            }
            default -> scalar(text(r), s);
        };
    }

    private static ObjectNode structure(XMLStreamReader r, Shape s) throws XMLStreamException {
        ObjectNode out = Values.object();
        for (Member m : s.members.values()) {
            if (!m.xmlAttribute) continue;
            String name = localPart(m.wireName());
            for (int i = 0; i < r.getAttributeCount(); i++) {
                if (r.getAttributeLocalName(i).equals(name)) out.set(m.name, scalar(r.getAttributeValue(i), m.shape));
            }
        }
        Map<String, Member> elements = elements(s);
        while (nextChild(r)) {
            Member m = elements.get(r.getLocalName());
            if (m == null) {
                skip(r);
            } else if (m.shape.isList() && flattened(m)) {
                JsonNode items = out.get(m.name);
                if (items == null) items = out.putArray(m.name);
                ((ArrayNode) items).add(value(r, m.shape.member.shape, m.shape.member));
            } else if (m.shape.isMap() && flattened(m)) {
                JsonNode map = out.get(m.name);
                if (map == null) map = out.putObject(m.name);
                entry(r, m.shape, (ObjectNode) map);
            } else {
                out.set(m.name, value(r, m.shape, m));
            }
        }
        return out;
    }

    /** One map entry: the element the reader is on holds a key and a value element. */
    private static void entry(XMLStreamReader r, Shape map, ObjectNode into) throws XMLStreamException {
        String keyName = map.key.locationName != null ? map.key.locationName : "key";
        String valueName = map.value.locationName != null ? map.value.locationName : "value";
        String key = null;
        JsonNode value = null;
        while (nextChild(r)) {
            String name = r.getLocalName();
            if (name.equals(keyName)) key = text(r);
            else if (name.equals(valueName)) value = value(r, map.value.shape, map.value);
            else skip(r);
        }
        if (key == null) throw malformed();
        into.set(key, value == null ? Values.NODES.nullNode() : value);
    }

    /**
     * Moves to the next child element of the current element: true on its start tag, false on the
     * parent's end tag. Text between child elements (indentation) is ignored.
     */
    private static boolean nextChild(XMLStreamReader r) throws XMLStreamException {
        while (true) {
            int event = r.next();
            switch (event) {
                case XMLStreamConstants.START_ELEMENT:
                    return true;
                case XMLStreamConstants.END_ELEMENT:
                    return false;
                case XMLStreamConstants.CHARACTERS, XMLStreamConstants.CDATA, XMLStreamConstants.SPACE:
                    if (!r.isWhiteSpace()) throw malformed();
                    break;
                case XMLStreamConstants.COMMENT, XMLStreamConstants.PROCESSING_INSTRUCTION:
                    break;
                default:
                    throw malformed(); // entity references, end of document
            }
        }
    }

    /** Text content of a leaf element; an element inside it, or an entity reference, is malformed. */
    private static String text(XMLStreamReader r) throws XMLStreamException {
        StringBuilder sb = new StringBuilder();
        while (true) {
            int event = r.next();
            switch (event) {
                case XMLStreamConstants.CHARACTERS, XMLStreamConstants.CDATA, XMLStreamConstants.SPACE:
                    sb.append(r.getText());
                    break;
                case XMLStreamConstants.END_ELEMENT:
                    return sb.toString();
                case XMLStreamConstants.COMMENT, XMLStreamConstants.PROCESSING_INSTRUCTION:
                    break;
                default:
                    throw malformed();
            }
        }
    }

    /** Skips the element the reader is on, however deep, without recursion. */
    private static void skip(XMLStreamReader r) throws XMLStreamException {
        int depth = 1;
        while (depth > 0) {
            int event = r.next();
            if (event == XMLStreamConstants.START_ELEMENT) depth++;
            else if (event == XMLStreamConstants.END_ELEMENT) depth--;
            else if (event == XMLStreamConstants.ENTITY_REFERENCE || event == XMLStreamConstants.END_DOCUMENT) throw malformed();
        }
    }

    private static JsonNode scalar(String text, Shape s) {
        try {
            return RestCodec.parseScalar(text, s);
        } catch (IllegalArgumentException | AwsException e) {
            throw malformed();
        }
    }

    private static boolean flattened(Member m) {
        return m.flattened || m.shape.flattened;
    }

    /** Element names of a structure's body members, as {@link XmlShapes} writes them. */
    private static Map<String, Member> elements(Shape s) {
        Map<String, Member> found = ELEMENTS.get(s);
        if (found != null) return found;
        Map<String, Member> built = new HashMap<>();
        for (Member m : s.members.values()) {
            if (m.location != null || m.xmlAttribute) continue;
            String name = m.wireName();
            if (m.shape.isList() && flattened(m) && m.shape.member.locationName != null) name = m.shape.member.locationName;
            built.put(localPart(name), m);
        }
        ELEMENTS.put(s, built);
        return built;
    }

    private static String localPart(String name) {
        int colon = name.indexOf(':');
        return colon < 0 ? name : name.substring(colon + 1);
    }
}
