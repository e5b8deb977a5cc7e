package dev.nimbus.services.sqs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.Values;
import dev.nimbus.protocol.codec.Raw;
import dev.nimbus.testing.TestServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * SQS's current model is json, but older SDKs and CLIs speak query to it: form parameters with
 * SQS's own names (Attribute.1.Name, MessageAttribute.1.Value.StringValue) in, XML in SQS's
 * namespace out, legacy error codes. Sent as the query clients send them, as plain HTTP.
 */
class SqsQueryProtocolTest {
    static final String NS = "http://queue.amazonaws.com/doc/2012-11-05/";
    static TestServer nimbus;

    @BeforeAll
    static void start() {
        nimbus = TestServer.start();
    }

    @AfterAll
    static void stop() {
        nimbus.close();
    }

    static HttpResponse<byte[]> query(String form) {
        return Raw.post(nimbus.endpoint(), "/", (form + "&Version=2012-11-05").getBytes(StandardCharsets.UTF_8),
                "Content-Type", "application/x-www-form-urlencoded; charset=utf-8", "Authorization", Raw.auth("sqs"));
    }

    static Element xml(HttpResponse<byte[]> res, int status) {
        assertEquals(status, res.statusCode(), () -> new String(res.body(), StandardCharsets.UTF_8));
        assertEquals("text/xml", res.headers().firstValue("Content-Type").orElse(null));
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(true);
            Document doc = f.newDocumentBuilder().parse(new ByteArrayInputStream(res.body()));
            return doc.getDocumentElement();
        } catch (Exception e) {
            throw new AssertionError("not XML: " + new String(res.body(), StandardCharsets.UTF_8), e);
        }
    }

    static List<Element> children(Element e, String name) {
        List<Element> out = new ArrayList<>();
        for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element c && c.getLocalName().equals(name)) out.add(c);
        }
        return out;
    }

    static Element child(Element e, String name) {
        List<Element> found = children(e, name);
        assertEquals(1, found.size(), () -> name + " in " + e.getLocalName());
        return found.get(0);
    }

    static String text(Element e, String name) {
        return child(e, name).getTextContent();
    }

    /** The result element of a successful query response, after checking the envelope. */
    static Element result(HttpResponse<byte[]> res, String action) {
        Element root = xml(res, 200);
        assertEquals(action + "Response", root.getLocalName());
        assertEquals(NS, root.getNamespaceURI());
        assertFalse(text(child(root, "ResponseMetadata"), "RequestId").isEmpty());
        return child(root, action + "Result");
    }

    static String createQueue(String name) {
        Element r = result(query("Action=CreateQueue&QueueName=" + name
                + "&Attribute.1.Name=VisibilityTimeout&Attribute.1.Value=45&Attribute.2.Name=DelaySeconds&Attribute.2.Value=5"
                + "&Tag.1.Key=team&Tag.1.Value=core"), "CreateQueue");
        return text(r, "QueueUrl");
    }

    @Test
    void createQueueWithAttributesAndReadThemBack() {
        String url = createQueue("query-attrs");
        assertEquals("http://sqs.us-east-1.localhost:" + nimbus.port() + "/000000000000/query-attrs", url);
        Element r = result(query("Action=GetQueueAttributes&QueueUrl=" + url + "&AttributeName.1=All"), "GetQueueAttributes");
        // A flattened map: one <Attribute><Name/><Value/></Attribute> per entry, no wrapper.
        Map<String, String> attributes = new LinkedHashMap<>();
        for (Element a : children(r, "Attribute")) attributes.put(text(a, "Name"), text(a, "Value"));
        assertEquals("45", attributes.get("VisibilityTimeout"));
        assertEquals("5", attributes.get("DelaySeconds"));
        assertEquals("arn:aws:sqs:us-east-1:000000000000:query-attrs", attributes.get("QueueArn"));
        assertEquals("0", attributes.get("ApproximateNumberOfMessages"));
        assertEquals("262144", attributes.get("MaximumMessageSize"));

        r = result(query("Action=ListQueueTags&QueueUrl=" + url), "ListQueueTags");
        Element tag = child(r, "Tag");
        assertEquals("team", text(tag, "Key"));
        assertEquals("core", text(tag, "Value"));

        r = result(query("Action=GetQueueAttributes&QueueUrl=" + url + "&AttributeName.1=DelaySeconds"), "GetQueueAttributes");
        assertEquals(1, children(r, "Attribute").size());
    }

    @Test
    void listQueuesIsAFlattenedList() {
        createQueue("query-list-a");
        createQueue("query-list-b");
        Element r = result(query("Action=ListQueues&QueueNamePrefix=query-list-"), "ListQueues");
        List<String> urls = children(r, "QueueUrl").stream().map(Node::getTextContent).toList();
        String base = "http://sqs.us-east-1.localhost:" + nimbus.port() + "/000000000000/";
        assertEquals(List.of(base + "query-list-a", base + "query-list-b"), urls);
    }

    @Test
    void messageAttributesRoundTrip() {
        String url = createQueue("query-messages");
        Element sent = result(query("Action=SendMessage&QueueUrl=" + url + "&MessageBody=hello+%26+%3Cworld%3E"
                + "&MessageAttribute.1.Name=color&MessageAttribute.1.Value.DataType=String&MessageAttribute.1.Value.StringValue=red"
                + "&MessageAttribute.2.Name=raw&MessageAttribute.2.Value.DataType=Binary&MessageAttribute.2.Value.BinaryValue=AAH%2B%2Fw%3D%3D"),
                "SendMessage");
        String id = text(sent, "MessageId");

        Element r = result(query("Action=ReceiveMessage&QueueUrl=" + url + "&MessageAttributeName.1=All&MaxNumberOfMessages=5&WaitTimeSeconds=10"), "ReceiveMessage");
        Element m = child(r, "Message");
        assertEquals(id, text(m, "MessageId"));
        assertEquals("hello & <world>", text(m, "Body"));
        Map<String, Element> attributes = new LinkedHashMap<>();
        for (Element a : children(m, "MessageAttribute")) attributes.put(text(a, "Name"), child(a, "Value"));
        assertEquals(List.of("color", "raw"), List.copyOf(attributes.keySet()));
        assertEquals("String", text(attributes.get("color"), "DataType"));
        assertEquals("red", text(attributes.get("color"), "StringValue"));
        assertEquals("Binary", text(attributes.get("raw"), "DataType"));
        assertEquals("AAH+/w==", text(attributes.get("raw"), "BinaryValue"));
    }

    @Test
    void missingQueueHasTheLegacyCodeInQueryForm() {
        Element root = xml(query("Action=GetQueueUrl&QueueName=query-missing"), 400);
        assertEquals("ErrorResponse", root.getLocalName());
        assertEquals(NS, root.getNamespaceURI());
        Element error = child(root, "Error");
        assertEquals("Sender", text(error, "Type"));
        assertEquals("AWS.SimpleQueueService.NonExistentQueue", text(error, "Code"));
        assertEquals("The specified queue does not exist.", text(error, "Message"));
        assertFalse(text(root, "RequestId").isEmpty());
    }

    static HttpResponse<byte[]> json(String target, String body) {
        return Raw.post(nimbus.endpoint(), "/", body.getBytes(StandardCharsets.UTF_8), "Content-Type", "application/x-amz-json-1.0",
                "X-Amz-Target", target, "Authorization", Raw.auth("sqs"));
    }

    @Test
    void missingQueueOverJsonCarriesTheLegacyCodeInAHeader() throws IOException {
        HttpResponse<byte[]> res = json("AmazonSQS.GetQueueUrl", "{\"QueueName\":\"json-missing\"}");
        assertEquals(400, res.statusCode());
        assertEquals("application/x-amz-json-1.0", res.headers().firstValue("Content-Type").orElse(null));
        assertEquals("AWS.SimpleQueueService.NonExistentQueue;Sender", res.headers().firstValue("x-amzn-query-error").orElse(null));
        JsonNode body = Values.JSON.readTree(res.body());
        assertEquals("QueueDoesNotExist", body.path("__type").asText());
        assertEquals("The specified queue does not exist.", body.path("message").asText());
    }

    @Test
    void jsonAndQuerySeeTheSameQueues() throws IOException {
        String url = createQueue("query-and-json");
        HttpResponse<byte[]> res = json("AmazonSQS.GetQueueAttributes", "{\"QueueUrl\":\"" + url + "\",\"AttributeNames\":[\"VisibilityTimeout\"]}");
        assertEquals(200, res.statusCode());
        assertNull(res.headers().firstValue("x-amzn-query-error").orElse(null));
        assertEquals("{\"Attributes\":{\"VisibilityTimeout\":\"45\"}}", new String(res.body(), StandardCharsets.UTF_8));
    }

    @Test
    void requestsPostedToTheQueueUrlPathAreRouted() throws IOException {
        String url = createQueue("query-path");
        HttpResponse<byte[]> q = Raw.post(nimbus.endpoint(), "/000000000000/query-path",
                ("Action=SendMessage&QueueUrl=" + url + "&MessageBody=via-path&Version=2012-11-05").getBytes(StandardCharsets.UTF_8),
                "Content-Type", "application/x-www-form-urlencoded; charset=utf-8", "Authorization", Raw.auth("sqs"));
        assertFalse(text(result(q, "SendMessage"), "MessageId").isEmpty());
        HttpResponse<byte[]> j = Raw.post(nimbus.endpoint(), "/000000000000/query-path",
                ("{\"QueueUrl\":\"" + url + "\",\"WaitTimeSeconds\":5}").getBytes(StandardCharsets.UTF_8),
                "Content-Type", "application/x-amz-json-1.0", "X-Amz-Target", "AmazonSQS.ReceiveMessage", "Authorization", Raw.auth("sqs"));
        assertEquals(200, j.statusCode());
        assertEquals("via-path", Values.JSON.readTree(j.body()).path("Messages").path(0).path("Body").asText());
    }

    @Test
    void unknownActionIsInvalidAction() {
        Element root = xml(query("Action=NoSuchAction"), 400);
        assertEquals("InvalidAction", text(child(root, "Error"), "Code"));
    }
}
