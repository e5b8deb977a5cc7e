package dev.nimbus.services.sns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.nimbus.protocol.Values;
import dev.nimbus.testing.TestServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.sns.SnsClient;

/** HTTP endpoints: the SubscriptionConfirmation handshake, notifications with SNS's headers, retries, and delivery after a restart. */
class SnsHttpTest {
    /** A request the endpoint got: SNS's headers and the body. */
    record Post(Map<String, String> headers, String body) {
        JsonNode json() {
            try {
                return Values.JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }
    }

    HttpServer endpoint;
    final List<Post> posts = new CopyOnWriteArrayList<>();
    /** How many of the next notifications the endpoint fails with a 500. */
    final AtomicInteger failNext = new AtomicInteger();

    @BeforeEach
    void listen() throws IOException {
        Deliveries.retryUnit = Duration.ofMillis(10);
        endpoint = serve(0);
    }

    HttpServer serve(int port) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        s.createContext("/hook", x -> {
            Map<String, String> h = new java.util.HashMap<>();
            for (String n : List.of("x-amz-sns-message-type", "x-amz-sns-message-id", "x-amz-sns-topic-arn", "x-amz-sns-subscription-arn",
                    "x-amz-sns-rawdelivery", "Content-Type", "User-Agent")) {
                String v = x.getRequestHeaders().getFirst(n);
                if (v != null) h.put(n, v);
            }
            posts.add(new Post(h, new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)));
            boolean fail = "Notification".equals(h.get("x-amz-sns-message-type")) && failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
            x.sendResponseHeaders(fail ? 500 : 200, -1);
            x.close();
        });
        s.start();
        return s;
    }

    @AfterEach
    void stop() {
        endpoint.stop(0);
        Deliveries.retryUnit = Duration.ofSeconds(1);
    }

    String url() {
        return "http://127.0.0.1:" + endpoint.getAddress().getPort() + "/hook";
    }

    List<Post> await(int n, Predicate<Post> which) {
        for (int i = 0; i < 1200; i++) {
            List<Post> got = posts.stream().filter(which).toList();
            if (got.size() >= n) return got;
            try {
                Thread.sleep(25);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
        fail("the endpoint got " + posts);
        return List.of();
    }

    static Predicate<Post> type(String t) {
        return p -> t.equals(p.headers().get("x-amz-sns-message-type"));
    }

    @Test
    void confirmationHandshakeNotificationsAndRetries() throws Exception {
        try (TestServer nimbus = TestServer.start(); SnsClient sns = nimbus.client(SnsClient.builder())) {
            String topic = sns.createTopic(b -> b.name("web")).topicArn();
            String pending = sns.subscribe(b -> b.topicArn(topic).protocol("http").endpoint(url())
                    .attributes(Map.of("DeliveryPolicy", "{\"healthyRetryPolicy\":{\"numRetries\":3,\"minDelayTarget\":1,\"maxDelayTarget\":2}}"))).subscriptionArn();
            assertEquals("pending confirmation", pending);

            Post confirmation = await(1, type("SubscriptionConfirmation")).get(0);
            JsonNode c = confirmation.json();
            assertEquals("SubscriptionConfirmation", c.get("Type").asText());
            assertEquals(topic, c.get("TopicArn").asText());
            assertEquals(topic, confirmation.headers().get("x-amz-sns-topic-arn"));
            assertTrue(c.get("Message").asText().startsWith("You have chosen to subscribe to the topic " + topic));
            String subscribeUrl = c.get("SubscribeURL").asText();
            assertTrue(subscribeUrl.startsWith(nimbus.endpoint() + "/?Action=ConfirmSubscription&TopicArn=" + topic + "&Token=" + c.get("Token").asText()));
            assertEquals("Amazon Simple Notification Service Agent", confirmation.headers().get("User-Agent"));

            // Publishing before confirmation reaches no one.
            sns.publish(b -> b.topicArn(topic).message("too early"));
            // The endpoint confirms by visiting the URL, unsigned, as endpoints do with AWS.
            HttpResponse<String> visit = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(subscribeUrl)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, visit.statusCode(), visit.body());
            String sub = sns.listSubscriptionsByTopic(b -> b.topicArn(topic)).subscriptions().get(0).subscriptionArn();
            assertTrue(visit.body().contains("<SubscriptionArn>" + sub + "</SubscriptionArn>"), visit.body());
            assertEquals("false", sns.getSubscriptionAttributes(b -> b.subscriptionArn(sub)).attributes().get("PendingConfirmation"));

            failNext.set(2);
            String id = sns.publish(b -> b.topicArn(topic).message("hello web").subject("S")).messageId();
            List<Post> notes = await(3, type("Notification"));
            assertEquals(3, notes.size(), "two failures, then the retry that succeeds");
            for (Post p : notes) {
                assertEquals(id, p.headers().get("x-amz-sns-message-id"));
                assertEquals(sub, p.headers().get("x-amz-sns-subscription-arn"));
                assertEquals("text/plain; charset=UTF-8", p.headers().get("Content-Type"));
                assertEquals("hello web", p.json().get("Message").asText());
                assertEquals("S", p.json().get("Subject").asText());
            }
            assertFalse(posts.stream().anyMatch(p -> p.body().contains("too early")));

            // The endpoint verifies signatures as with AWS: the key at SigningCertURL, over the canonical strings.
            JsonNode n = notes.get(0).json();
            PublicKey key = publicKey(n.get("SigningCertURL").asText());
            assertTrue(verify(key, "Message\nhello web\nMessageId\n" + id + "\nSubject\nS\nTimestamp\n" + n.get("Timestamp").asText()
                    + "\nTopicArn\n" + topic + "\nType\nNotification\n", n.get("Signature").asText()));
            assertTrue(verify(key, "Message\n" + c.get("Message").asText() + "\nMessageId\n" + c.get("MessageId").asText() + "\nSubscribeURL\n"
                    + subscribeUrl + "\nTimestamp\n" + c.get("Timestamp").asText() + "\nToken\n" + c.get("Token").asText() + "\nTopicArn\n" + topic
                    + "\nType\nSubscriptionConfirmation\n", c.get("Signature").asText()));
            assertFalse(verify(key, "Message\ntampered", n.get("Signature").asText()));

            sns.setSubscriptionAttributes(b -> b.subscriptionArn(sub).attributeName("RawMessageDelivery").attributeValue("true"));
            sns.publish(b -> b.topicArn(topic).message("bare"));
            Post raw = await(4, type("Notification")).get(3);
            assertEquals("bare", raw.body());
            assertEquals("true", raw.headers().get("x-amz-sns-rawdelivery"));

            // The UnsubscribeURL works unsigned too.
            sns.setSubscriptionAttributes(b -> b.subscriptionArn(sub).attributeName("RawMessageDelivery").attributeValue("false"));
            sns.publish(b -> b.topicArn(topic).message("last"));
            String unsubscribe = await(5, type("Notification")).get(4).json().get("UnsubscribeURL").asText();
            assertEquals(200, HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(unsubscribe)).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
            assertTrue(sns.listSubscriptionsByTopic(b -> b.topicArn(topic)).subscriptions().isEmpty());
        }
    }

    /** The key of the X.509 certificate served at the SigningCertURL, as SNS message validators load it. */
    static PublicKey publicKey(String url) throws Exception {
        HttpResponse<byte[]> pem = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertTrue(new String(pem.body(), StandardCharsets.US_ASCII).startsWith("-----BEGIN CERTIFICATE-----\n"));
        X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(pem.body()));
        cert.checkValidity();
        cert.verify(cert.getPublicKey()); // self-signed
        return cert.getPublicKey();
    }

    static boolean verify(PublicKey key, String canonical, String signature) throws Exception {
        return verify(key, canonical, signature, "SHA1withRSA");
    }

    static boolean verify(PublicKey key, String canonical, String signature, String algorithm) throws Exception {
        Signature s = Signature.getInstance(algorithm);
        s.initVerify(key);
        s.update(canonical.getBytes(StandardCharsets.UTF_8));
        return s.verify(Base64.getDecoder().decode(signature));
    }

    @Test
    void pendingDeliveriesSurviveARestart(@TempDir Path dir) throws Exception {
        int port = endpoint.getAddress().getPort();
        String topic;
        try (TestServer nimbus = TestServer.startDurable(dir); SnsClient sns = nimbus.client(SnsClient.builder())) {
            topic = sns.createTopic(b -> b.name("durable")).topicArn();
            // Retried a hundred times, a second apart (100 s scaled by the test's retry unit).
            sns.subscribe(b -> b.topicArn(topic).protocol("http").endpoint(url())
                    .attributes(Map.of("DeliveryPolicy", "{\"healthyRetryPolicy\":{\"numRetries\":100,\"minDelayTarget\":100,\"maxDelayTarget\":100}}")));
            String token = await(1, type("SubscriptionConfirmation")).get(0).json().get("Token").asText();
            sns.confirmSubscription(b -> b.topicArn(topic).token(token));
            // The endpoint is down: the publishes are kept and retried.
            endpoint.stop(0);
            for (int i = 0; i < 3; i++) {
                int n = i;
                sns.publish(b -> b.topicArn(topic).message("kept " + n));
            }
        }
        endpoint = serve(port);
        try (TestServer nimbus = TestServer.startDurable(dir)) {
            List<Post> got = await(3, type("Notification"));
            assertEquals(List.of("kept 0", "kept 1", "kept 2"), got.stream().map(p -> p.json().get("Message").asText()).sorted().toList());
        }
    }
}
