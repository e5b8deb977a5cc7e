package dev.nimbus.protocol.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.HttpRequest;
import dev.nimbus.protocol.HttpResponse;
import dev.nimbus.protocol.Values;
import dev.nimbus.protocol.model.Operation;
import dev.nimbus.protocol.model.ServiceModel;
import dev.nimbus.protocol.model.TestModels;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.AbstractMap;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The binding kinds no vendored rest model happens to use together (jsonvalue headers, header
 * lists, query maps of lists, timestamp formats per location), on a small inline rest-json model.
 */
class RestBindingsTest {
    static final ServiceModel MODEL = TestModels.parse("bindings", "{'metadata':{'protocol':'rest-json','apiVersion':'2020-01-01'},"
            + "'operations':{'Op':{'name':'Op','http':{'method':'POST','requestUri':'/things/{Id}/{Path+}?mode=x','responseCode':201},"
            + "'input':{'shape':'In'},'output':{'shape':'Out'}}},"
            + "'shapes':{"
            + "'In':{'type':'structure','members':{"
            + "  'Id':{'shape':'Int','location':'uri','locationName':'Id'},"
            + "  'Path':{'shape':'Str','location':'uri','locationName':'Path'},"
            + "  'Tags':{'shape':'StrList','location':'querystring','locationName':'tag'},"
            + "  'Flag':{'shape':'Bool','location':'querystring','locationName':'flag'},"
            + "  'Since':{'shape':'Time','location':'querystring','locationName':'since'},"
            + "  'Rest':{'shape':'MapOfLists','location':'querystring'},"
            + "  'When':{'shape':'Time','location':'header','locationName':'X-When'},"
            + "  'Doc':{'shape':'Str','location':'header','locationName':'X-Doc','jsonvalue':true},"
            + "  'Names':{'shape':'StrList','location':'header','locationName':'X-Names'},"
            + "  'Meta':{'shape':'StrMap','location':'headers','locationName':'x-meta-'},"
            + "  'Inner':{'shape':'Inner','locationName':'inner'}}},"
            + "'Out':{'type':'structure','members':{"
            + "  'Code':{'shape':'Int','location':'statusCode'},"
            + "  'When':{'shape':'Time','location':'header','locationName':'X-When'},"
            + "  'WhenIso':{'shape':'Time','location':'header','locationName':'X-When-Iso','timestampFormat':'iso8601'},"
            + "  'Doc':{'shape':'Str','location':'header','locationName':'X-Doc','jsonvalue':true},"
            + "  'Names':{'shape':'StrList','location':'header','locationName':'X-Names'},"
            + "  'Meta':{'shape':'StrMap','location':'headers','locationName':'x-meta-'},"
            + "  'Inner':{'shape':'Inner','locationName':'inner'}}},"
            + "'Inner':{'type':'structure','members':{'Value':{'shape':'Str','locationName':'value'},'At':{'shape':'Time','locationName':'at'},"
            + "  'Items':{'shape':'InnerList','locationName':'items'}}},"
            + "'InnerList':{'type':'list','member':{'shape':'Inner'}},"
            + "'Int':{'type':'integer'},'Str':{'type':'string'},'Bool':{'type':'boolean'},'Time':{'type':'timestamp'},"
            + "'StrList':{'type':'list','member':{'shape':'Str'}},"
            + "'StrMap':{'type':'map','key':{'shape':'Str'},'value':{'shape':'Str'}},"
            + "'MapOfLists':{'type':'map','key':{'shape':'Str'},'value':{'shape':'StrList'}}}}");
    static final Operation OP = MODEL.operation("Op");
    static final RestJsonCodec CODEC = new RestJsonCodec();

    static ObjectNode read(String target, String body, String... headers) {
        List<Map.Entry<String, String>> h = new ArrayList<>();
        for (String line : headers) h.add(new AbstractMap.SimpleImmutableEntry<>(line.substring(0, line.indexOf(':')), line.substring(line.indexOf(':') + 1).trim()));
        int q = target.indexOf('?');
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        HttpRequest req = new HttpRequest("POST", target.substring(0, q), target.substring(q + 1),
                name -> h.stream().filter(e -> e.getKey().equalsIgnoreCase(name)).map(Map.Entry::getValue).findFirst().orElse(null), h,
                new ByteArrayInputStream(bytes), bytes.length, 1 << 20);
        return CODEC.read(req, OP, OP.uri.match(req.rawPath, req.query()));
    }

    @Test
    void everyInputLocation() {
        String doc = Base64.getEncoder().encodeToString("{\"k\":[1,2]}".getBytes(StandardCharsets.UTF_8));
        ObjectNode in = read("/things/42/a/b%20c?mode=x&tag=t1&tag=t2&flag=true&since=2024-01-02T03:04:05Z&extra=1&extra=2&other=o",
                "{\"inner\":{\"value\":\"v\",\"at\":1700000000.5,\"items\":[{\"value\":\"deep\"}]},\"Inner\":{\"value\":\"ignored\"}}",
                "X-When: Tue, 02 Jan 2024 03:04:05 GMT", "X-Doc: " + doc, "X-Names: a, b", "X-Names: c",
                "x-meta-Color: blue", "X-Meta-size: L");
        assertEquals(42, in.get("Id").intValue());
        assertEquals("a/b c", in.get("Path").asText());
        assertEquals("[\"t1\",\"t2\"]", in.get("Tags").toString());
        assertEquals(true, in.get("Flag").booleanValue());
        assertEquals(Instant.parse("2024-01-02T03:04:05Z"), Values.instant(in.get("Since")));
        // the map takes what no other member claims; the template's "mode" literal selects the operation, it is no input
        assertEquals("{\"extra\":[\"1\",\"2\"],\"other\":[\"o\"]}", in.get("Rest").toString());
        assertEquals(Instant.parse("2024-01-02T03:04:05Z"), Values.instant(in.get("When")));
        assertEquals("{\"k\":[1,2]}", in.get("Doc").asText());
        assertEquals("[\"a\",\"b\",\"c\"]", in.get("Names").toString());
        assertEquals("{\"color\":\"blue\",\"size\":\"L\"}", in.get("Meta").toString());
        assertEquals("v", in.get("Inner").get("Value").asText());
        assertEquals(1700000000.5, in.get("Inner").get("At").doubleValue());
        assertEquals("[{\"Value\":\"deep\"}]", in.get("Inner").get("Items").toString());
        assertEquals(3, in.get("Inner").size());
    }

    @Test
    void valuesThatDoNotParseAsTheirType() {
        assertEquals("SerializationException", assertThrows(AwsException.class, () -> read("/things/x/p?mode=x", "")).code());
        assertEquals("SerializationException", assertThrows(AwsException.class, () -> read("/things/1/p?mode=x&flag=maybe", "")).code());
        assertEquals("SerializationException", assertThrows(AwsException.class, () -> read("/things/1/p?mode=x", "", "X-When: someday")).code());
        assertEquals("SerializationException", assertThrows(AwsException.class, () -> read("/things/1/p?mode=x", "", "X-Doc: %%%")).code());
        assertEquals("SerializationException", assertThrows(AwsException.class, () -> read("/things/1/p?mode=x", "[1,2]")).code());
        assertEquals("SerializationException", assertThrows(AwsException.class, () -> read("/things/1/p?mode=x", "{\"inner\":{\"items\":{}}}")).code());
    }

    @Test
    void everyOutputLocation() throws Exception {
        ObjectNode out = Values.object().put("Code", 202).put("Doc", "{\"a\":true}");
        out.set("When", Values.timestamp(Instant.parse("2024-01-02T03:04:05Z")));
        out.set("WhenIso", Values.timestamp(Instant.parse("2024-01-02T03:04:05.120Z")));
        out.putArray("Names").add("x").add("y");
        out.putObject("Meta").put("color", "red");
        ObjectNode inner = out.putObject("Inner").put("Value", "v");
        inner.set("At", Values.timestamp(Instant.parse("2024-01-02T03:04:05Z")));
        inner.putArray("Items").addObject().put("Value", "deep");
        HttpResponse res = new HttpResponse();
        CODEC.write(res, OP, out, "req-1");
        assertEquals(202, res.status);
        assertEquals("Tue, 02 Jan 2024 03:04:05 GMT", res.header("X-When"));
        assertEquals("2024-01-02T03:04:05.120Z", res.header("X-When-Iso"));
        assertEquals("{\"a\":true}", new String(Base64.getDecoder().decode(res.header("X-Doc")), StandardCharsets.UTF_8));
        assertEquals("x,y", res.header("X-Names"));
        assertEquals("red", res.header("x-meta-color"));
        assertEquals("application/json", res.header("Content-Type"));
        com.fasterxml.jackson.databind.JsonNode body = Values.JSON.readTree(res.body);
        assertEquals(1, body.size());
        assertEquals("v", body.path("inner").path("value").asText());
        assertEquals(1704164645.0, body.path("inner").path("at").doubleValue());
        assertEquals("[{\"value\":\"deep\"}]", body.path("inner").path("items").toString());

        HttpResponse plain = new HttpResponse();
        CODEC.write(plain, OP, Values.object(), "req-2");
        assertEquals(201, plain.status);
        assertEquals("{}", new String(plain.body, StandardCharsets.UTF_8));
        assertNull(plain.header("X-When"));
    }
}
