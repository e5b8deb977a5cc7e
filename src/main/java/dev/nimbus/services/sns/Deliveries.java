package dev.nimbus.services.sns;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.HttpResponse;
import dev.nimbus.protocol.Lazy;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.Targets;
import dev.nimbus.services.Workers;
import dev.nimbus.store.Store;
import dev.nimbus.store.Table;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.Delayed;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Delivery. SQS subscriptions get their notification in the publish's own transaction
 * ({@link #deliverNow}): SQS stores it durably there, as AWS's fan-out to queues is immediate.
 * Every other subscription is delivered durably and asynchronously: a publish stores one record in
 * {@code sns.deliveries} (key "m" + sequence) naming the subscriptions it is for; a worker takes
 * due records in sequence order (FIFO topics stay in order) and, in one store transaction per
 * batch, hands each message to the subscriptions reached through {@link Targets} (Lambda), records
 * email and SMS (Nimbus sends neither; the log says so), and turns each HTTP/HTTPS subscription
 * into its own record (key "h" + sequence + "/" + n) that is POSTed off the worker and retried with
 * back-off per the delivery policy. A record is deleted only once handled, so a restart delivers
 * what was pending. What cannot be delivered goes to the subscription's dead-letter queue
 * (RedrivePolicy) or is logged.
 */
final class Deliveries implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Deliveries.class.getName());
    static final String TABLE = "sns.deliveries";
    private static final int BATCH = 256;
    private static final int HTTP_WORKERS = 64;
    /** The unit of delivery policies' delays (seconds in AWS); tests shorten it. */
    static volatile Duration retryUnit = Duration.ofSeconds(1);
    static final String SIGNING_CERT_PATH = "/_nimbus/sns/SimpleNotificationService.pem";

    private final Store store;
    private final Table records;
    private final Targets targets;
    private final SnsService sns;
    private final Signer signer;
    private final Supplier<String> endpoint;
    private final DelayQueue<Due> queue = new DelayQueue<>();
    private final Set<String> queued = ConcurrentHashMap.newKeySet();
    private final Semaphore http = new Semaphore(HTTP_WORKERS);
    private final Lazy<HttpClient> client = new Lazy<>(() -> HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build());
    /** Sequence numbers: keys in publish order, FIFO SequenceNumbers; they start above the clock so a restart continues upward. */
    private final AtomicLong sequence = new AtomicLong(System.currentTimeMillis() * 1000);
    private volatile SnsMetrics metrics;
    private Thread worker;
    private volatile boolean closed;

    private record Due(String key, long at, long order) implements Delayed {
        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(at - System.currentTimeMillis(), TimeUnit.MILLISECONDS);
        }

        @Override
        public int compareTo(Delayed o) {
            Due d = (Due) o;
            return at != d.at ? Long.compare(at, d.at) : Long.compare(order, d.order);
        }
    }

    Deliveries(Store store, Targets targets, SnsService sns, Signer signer, Supplier<String> endpoint) {
        this.store = store;
        this.records = store.table(TABLE);
        this.targets = targets;
        this.sns = sns;
        this.signer = signer;
        this.endpoint = endpoint;
    }

    void metrics(SnsMetrics m) {
        this.metrics = m;
    }

    /** Whether RawMessageDelivery applies to a protocol (AWS: SQS, HTTP/S and Firehose). */
    static boolean supportsRaw(String protocol) {
        return Set.of("sqs", "http", "https", "firehose").contains(protocol);
    }

    String nextSequence() {
        return String.format("%020d", sequence.incrementAndGet());
    }

    synchronized void start() {
        if (worker != null || closed) return;
        long order = 0;
        for (Table.Entry e : records.scan("", null, Integer.MAX_VALUE)) {
            schedule(e.key(), e.json().path("due").asLong(), order++);
            if (e.key().startsWith("m")) sequence.accumulateAndGet(Long.parseLong(e.key().substring(1)), Math::max);
        }
        worker = Thread.ofVirtual().name("sns-deliveries").start(this::work);
    }

    /** A notification's Timestamp (AWS's form: milliseconds, UTC). */
    static String timestamp(long millis) {
        return Values.isoMillis(Instant.ofEpochMilli(millis));
    }

    /** Stores a message for its subscriptions inside the caller's transaction; returns what queues it once that commits. */
    Runnable enqueue(ObjectNode msg, List<String> subscriptionArns) {
        String seq = msg.has("SequenceNumber") ? msg.get("SequenceNumber").asText() : nextSequence();
        String key = "m" + seq;
        long now = System.currentTimeMillis();
        msg.put("due", now);
        ArrayNode subs = msg.putArray("subscriptions");
        subscriptionArns.forEach(subs::add);
        records.putJson(key, msg);
        return () -> schedule(key, now, Long.parseLong(seq));
    }

    /** Stores an HTTP subscription's SubscriptionConfirmation (or records an email one) inside the caller's transaction. */
    Runnable confirmation(ObjectNode sub, String token) {
        String subscribeUrl = endpoint.get() + "/?Action=ConfirmSubscription&TopicArn=" + sub.get("TopicArn").asText() + "&Token=" + token;
        if (!sub.get("Protocol").asText().startsWith("http")) {
            LOG.info("SNS " + sub.get("Protocol").asText() + " subscription confirmation for " + sub.get("Endpoint").asText()
                    + " recorded, not sent (Nimbus sends no email); confirm it at " + subscribeUrl);
            return null;
        }
        String seq = nextSequence();
        String key = "h" + seq + "/0";
        long now = System.currentTimeMillis();
        ObjectNode r = Values.object().put("kind", "SubscriptionConfirmation").put("subscription", sub.get("SubscriptionArn").asText())
                .put("MessageId", java.util.UUID.randomUUID().toString()).put("Token", token).put("SubscribeURL", subscribeUrl)
                .put("TopicArn", sub.get("TopicArn").asText()).put("Timestamp", timestamp(now))
                .put("SignatureVersion", "1").put("attempts", 0).put("due", now);
        records.putJson(key, r);
        return () -> schedule(key, now, Long.parseLong(seq));
    }

    private void schedule(String key, long at, long order) {
        if (!closed && queued.add(key)) queue.add(new Due(key, at, order));
    }

    private void work() {
        try {
            while (!closed) {
                List<Due> batch = new ArrayList<>();
                batch.add(queue.take());
                queue.drainTo(batch, BATCH - 1);
                List<Due> messages = new ArrayList<>();
                for (Due d : batch) {
                    queued.remove(d.key());
                    if (d.key().startsWith("m")) messages.add(d);
                    else attemptHttp(d.key());
                }
                if (!messages.isEmpty()) fanOut(messages);
            }
        } catch (InterruptedException e) {
            // closing
        }
    }

    /** What one subscription gets of one message, prepared before the transaction that delivers it. */
    private record Step(ObjectNode sub, String protocol, Targets.Message message, ObjectNode httpRecord) {}

    /**
     * Delivers a batch of published messages. Everything that costs CPU (envelopes) is
     * prepared first, outside the store's single writer; one transaction then hands every message
     * to its targets and removes the records; what the deliveries queue runs after it commits.
     */
    private void fanOut(List<Due> messages) {
        record Prepared(String key, JsonNode msg, List<Step> steps) {}
        List<Prepared> batch = new ArrayList<>();
        // Messages of a batch mostly share their topic's subscriptions: each is read once per batch.
        Map<String, ObjectNode> subscriptions = new java.util.HashMap<>();
        for (Due d : messages) {
            try {
                JsonNode msg = records.getJson(d.key());
                if (msg != null) batch.add(new Prepared(d.key(), msg, prepare(d.key(), (ObjectNode) msg, subscriptions)));
            } catch (RuntimeException e) {
                // The record stays stored and is delivered again after a restart; a bug must not stop the others.
                LOG.log(Level.WARNING, "SNS message " + d.key() + " failed in Nimbus", e);
            }
        }
        List<Runnable> after = new ArrayList<>();
        try {
            store.transaction(() -> {
                for (Prepared p : batch) {
                    List<Runnable> mine = new ArrayList<>();
                    try {
                        store.transaction(() -> deliver(p.key(), p.msg(), p.steps(), mine));
                        after.addAll(mine);
                    } catch (RuntimeException e) {
                        LOG.log(Level.WARNING, "SNS message " + p.key() + " failed in Nimbus", e);
                    }
                }
            });
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "SNS deliveries failed in Nimbus; they are retried after a restart", e);
            return;
        }
        for (Runnable r : after) {
            try {
                r.run();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "SNS delivery follow-up failed", e);
            }
        }
    }

    private List<Step> prepare(String key, ObjectNode msg, Map<String, ObjectNode> subscriptions) {
        List<Step> steps = new ArrayList<>();
        Notification notification = new Notification(msg);
        int n = 0;
        for (JsonNode arnNode : msg.path("subscriptions")) {
            ObjectNode sub = subscriptions.computeIfAbsent(arnNode.asText(), sns::subscription);
            if (sub == null || sub.path("PendingConfirmation").asBoolean()) continue; // unsubscribed since
            String protocol = sub.get("Protocol").asText();
            switch (protocol) {
                case "http", "https" -> {
                    ObjectNode r = msg.deepCopy();
                    r.remove("subscriptions");
                    r.put("kind", "Notification").put("subscription", sub.get("SubscriptionArn").asText()).put("attempts", 0)
                            .put("key", "h" + key.substring(1) + "/" + n++);
                    steps.add(new Step(sub, protocol, null, r));
                }
                case "email", "email-json", "sms" -> steps.add(new Step(sub, protocol, null, null));
                default -> steps.add(new Step(sub, protocol, protocol.equals("lambda") ? notification.lambdaEvent(sub) : notification.forQueue(sub), null));
            }
        }
        return steps;
    }

    /** Runs inside the batch's transaction. */
    private void deliver(String key, JsonNode msg, List<Step> steps, List<Runnable> after) {
        for (Step step : steps) {
            ObjectNode sub = step.sub();
            if (step.httpRecord() != null) {
                String httpKey = step.httpRecord().get("key").asText();
                records.putJson(httpKey, step.httpRecord());
                long due = System.currentTimeMillis();
                long order = Long.parseLong(key.substring(1));
                after.add(() -> schedule(httpKey, due, order));
            } else if (step.message() == null) {
                LOG.info("SNS " + step.protocol() + " notification " + msg.get("MessageId").asText() + " to " + sub.get("Endpoint").asText()
                        + " recorded, not sent (Nimbus sends no email or SMS)");
                delivered(msg);
            } else if (send(msg, sub, step.message(), after)) {
                delivered(msg);
            }
        }
        records.delete(key);
    }

    /**
     * Hands a notification to an SQS subscription inside the publish's transaction (what runs
     * once that commits goes to {@code after}); a queue that refuses it sends it to the
     * subscription's dead-letter queue, as a failed asynchronous delivery would. Returns whether
     * the queue took it; the caller counts it delivered.
     */
    boolean deliverNow(Notification n, JsonNode sub, List<Runnable> after) {
        return send(n.msg, sub, n.forQueue(sub), after);
    }

    /**
     * One delivery through {@link Targets}. No savepoint: a target refuses before it writes (see
     * {@link Targets.Target#accept}), so a refusal leaves nothing to undo, and two statements per
     * delivery were a tenth of a publish's CPU.
     */
    private boolean send(JsonNode msg, JsonNode sub, Targets.Message m, List<Runnable> after) {
        try {
            Runnable r = targets.send(sub.get("Endpoint").asText(), m);
            if (r != null) after.add(r);
            return true;
        } catch (AwsException e) {
            undeliverable(msg, sub, new Targets.Message(m.body(), null, stringAttributes(msg)), e.getMessage(), after);
            return false;
        }
    }

    private void delivered(JsonNode msg) {
        SnsMetrics m = metrics;
        if (m != null) m.delivered(msg.get("TopicArn").asText());
    }

    /**
     * A message its subscription could not take: to the dead-letter queue when there is one, else
     * logged. Runs in a transaction; it counts and logs once that commits (a publish's group commit
     * may run it twice).
     */
    private void undeliverable(JsonNode msg, JsonNode sub, Targets.Message m, String reason, List<Runnable> after) {
        SnsMetrics metrics = this.metrics;
        if (metrics != null) after.add(() -> metrics.failed(msg.get("TopicArn").asText()));
        String policy = sub.path("attributes").path("RedrivePolicy").asText("");
        String dlq = null;
        if (!policy.isEmpty()) {
            try {
                dlq = Values.JSON.readTree(policy).path("deadLetterTargetArn").asText(null);
            } catch (java.io.IOException e) {
                dlq = null;
            }
        }
        if (dlq != null) {
            String target = dlq;
            try {
                Runnable r = targets.send(target, m);
                if (r != null) after.add(r);
                String why = reason;
                after.add(() -> LOG.info("SNS message " + msg.get("MessageId").asText() + " for " + sub.get("SubscriptionArn").asText()
                        + " moved to dead-letter queue " + target + ": " + why));
                return;
            } catch (AwsException e) {
                reason = reason + "; the dead-letter queue " + dlq + " refused it too: " + e.getMessage();
            }
        }
        String why = reason;
        after.add(() -> LOG.warning("SNS message " + msg.get("MessageId").asText() + " not delivered to " + sub.get("Endpoint").asText() + " ("
                + sub.get("SubscriptionArn").asText() + "): " + why));
    }

    // ---- HTTP/HTTPS

    private void attemptHttp(String key) throws InterruptedException {
        http.acquire();
        Thread.ofVirtual().name("sns-http").start(() -> {
            try {
                post(key);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "SNS HTTP delivery " + key + " failed in Nimbus", e);
            } finally {
                http.release();
            }
        });
    }

    private void post(String key) {
        JsonNode stored = records.getJson(key);
        if (stored == null || closed) return;
        ObjectNode r = (ObjectNode) stored;
        ObjectNode sub = sns.subscription(r.get("subscription").asText());
        if (sub == null) {
            records.delete(key);
            return;
        }
        boolean confirmation = r.get("kind").asText().equals("SubscriptionConfirmation");
        boolean raw = !confirmation && raw(sub);
        String body = confirmation ? confirmationBody(r) : raw ? text(r, sub.get("Protocol").asText())
                : new Notification(r).envelope(sub, text(r, sub.get("Protocol").asText()));
        java.net.http.HttpRequest.Builder req = java.net.http.HttpRequest.newBuilder(URI.create(sub.get("Endpoint").asText()))
                .timeout(Duration.ofSeconds(15))
                .header("Content-Type", "text/plain; charset=UTF-8")
                .header("User-Agent", "Amazon Simple Notification Service Agent")
                .header("x-amz-sns-message-type", r.get("kind").asText())
                .header("x-amz-sns-message-id", r.get("MessageId").asText())
                .header("x-amz-sns-topic-arn", r.get("TopicArn").asText())
                .POST(BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (!confirmation) req.header("x-amz-sns-subscription-arn", sub.get("SubscriptionArn").asText());
        if (raw) req.header("x-amz-sns-rawdelivery", "true");
        String failure;
        try {
            int status = client.get().send(req.build(), BodyHandlers.discarding()).statusCode();
            if (status >= 200 && status < 300) {
                records.delete(key);
                if (!confirmation) delivered(r);
                return;
            }
            failure = "HTTP " + status;
        } catch (java.io.IOException | IllegalArgumentException e) {
            failure = e.toString();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return; // closing: the record stays for the next start
        }
        int attempts = r.get("attempts").asInt() + 1;
        RetryPolicy policy = RetryPolicy.of(sub, sns);
        if (attempts > policy.retries()) {
            String reason = failure + " after " + attempts + " attempts";
            List<Runnable> after = new ArrayList<>();
            store.transaction(() -> {
                records.delete(key);
                if (confirmation) LOG.warning("SNS subscription confirmation to " + sub.get("Endpoint").asText() + " not delivered: " + reason);
                else undeliverable(r, sub, new Targets.Message(body, null, stringAttributes(r)), reason, after);
            });
            after.forEach(Runnable::run);
            return;
        }
        long due = System.currentTimeMillis() + policy.delay(attempts).toMillis();
        records.putJson(key, r.put("attempts", attempts).put("due", due));
        schedule(key, due, 0);
    }

    /** A subscription's HTTP retry policy: its DeliveryPolicy's healthyRetryPolicy, else the topic's default, else AWS's (3 retries, 20 s). */
    record RetryPolicy(int retries, int minDelay, int maxDelay, String backoff) {
        static RetryPolicy of(JsonNode sub, SnsService sns) {
            JsonNode p = parse(sub.path("attributes").path("DeliveryPolicy").asText("")).path("healthyRetryPolicy");
            if (p.isMissingNode()) {
                try {
                    JsonNode topic = sns.topic(SnsService.topicRef(sub.get("TopicArn").asText(), "TopicArn"));
                    p = parse(topic.path("attributes").path("DeliveryPolicy").asText("")).path("http").path("defaultHealthyRetryPolicy");
                } catch (AwsException e) {
                    p = Values.object();
                }
            }
            return new RetryPolicy(p.path("numRetries").asInt(3), Math.max(1, p.path("minDelayTarget").asInt(20)),
                    Math.max(1, p.path("maxDelayTarget").asInt(20)), p.path("backoffFunction").asText("linear"));
        }

        private static JsonNode parse(String json) {
            if (json.isEmpty()) return Values.object();
            try {
                return Values.JSON.readTree(json);
            } catch (java.io.IOException e) {
                return Values.object();
            }
        }

        /** The wait before retry number {@code attempt} (1-based), from minDelay towards maxDelay by the backoff function. */
        Duration delay(int attempt) {
            double f = retries <= 1 ? 1 : (attempt - 1) / (double) (retries - 1);
            double shaped = switch (backoff) {
                case "exponential" -> f * f * f;
                case "geometric" -> f * f;
                case "arithmetic" -> f * f;
                default -> f;
            };
            double seconds = minDelay + (maxDelay - minDelay) * shaped;
            return Duration.ofMillis((long) (seconds * retryUnit.toMillis()));
        }
    }

    // ---- formats

    private static boolean raw(JsonNode sub) {
        return "true".equals(sub.path("attributes").path("RawMessageDelivery").asText());
    }

    /** The message for a protocol: its MessageStructure=json entry, else the default one, else the message. */
    static String text(JsonNode msg, String protocol) {
        JsonNode per = msg.get("perProtocol");
        if (per == null) return msg.get("Message").asText();
        return per.has(protocol) ? per.get(protocol).asText() : per.path("default").asText();
    }

    private static Map<String, String> stringAttributes(JsonNode msg) {
        Map<String, String> out = new LinkedHashMap<>();
        msg.path("MessageAttributes").fields().forEachRemaining(e -> out.put(e.getKey(),
                e.getValue().has("StringValue") ? e.getValue().get("StringValue").asText() : e.getValue().path("BinaryValue").asText()));
        return out;
    }

    private static String unsubscribeUrl(String endpoint, JsonNode sub) {
        return endpoint + "/?Action=Unsubscribe&SubscriptionArn=" + sub.get("SubscriptionArn").asText();
    }

    private String signingCertUrl() {
        return endpoint.get() + SIGNING_CERT_PATH;
    }

    /** The signature of a notification's canonical string (Message, MessageId, Subject, Timestamp, TopicArn, Type). */
    private String signature(JsonNode msg, String text, String version) {
        StringBuilder s = new StringBuilder("Message\n").append(text).append("\nMessageId\n").append(msg.get("MessageId").asText()).append('\n');
        if (msg.has("Subject")) s.append("Subject\n").append(msg.get("Subject").asText()).append('\n');
        s.append("Timestamp\n").append(msg.get("Timestamp").asText()).append("\nTopicArn\n").append(msg.get("TopicArn").asText())
                .append("\nType\nNotification\n");
        return signer.sign(s.toString(), version);
    }

    /** A published message as a new {@link Notification}. */
    Notification notification(ObjectNode msg) {
        return new Notification(msg);
    }

    /**
     * One published message as its subscribers get it. AWS signs every notification, and the
     * signed string leaves out UnsubscribeURL, the one field that differs between subscribers: so
     * a message is signed once per text (a MessageStructure=json message has one per protocol) and
     * its envelope serialized once, each subscriber's being the shared head, its UnsubscribeURL and
     * the shared tail. Used by one thread at a time.
     */
    final class Notification {
        private final ObjectNode msg;
        /**
         * By SignatureVersion and text: the signature, and the envelope's head and tail. A record,
         * not the two joined: the text is the same String for every subscriber, its hash computed
         * once, where a joined key copied and hashed the whole message again per subscriber.
         */
        private record Key(String version, String text) {}

        private final Map<Key, String> signatures = new java.util.HashMap<>(2);
        private final Map<Key, String[]> envelopes = new java.util.HashMap<>(2);
        /** The server's URL, built once per message rather than once per subscriber. */
        private final String endpointUrl = endpoint.get();

        private Notification(ObjectNode msg) {
            this.msg = msg;
        }

        ObjectNode msg() {
            return msg;
        }

        /** The signature of this message with this text, under the message's SignatureVersion (computed once). */
        String signature(String text) {
            String version = msg.path("SignatureVersion").asText("1");
            return signatures.computeIfAbsent(new Key(version, text), k -> Deliveries.this.signature(msg, text, version));
        }

        /** The JSON notification SNS sends to SQS and HTTP/S endpoints, in AWS's field order. */
        String envelope(JsonNode sub, String text) {
            String[] parts = envelopes.computeIfAbsent(new Key(msg.path("SignatureVersion").asText("1"), text), k -> {
                ObjectNode e = Values.object().put("Type", "Notification").put("MessageId", msg.get("MessageId").asText());
                if (msg.has("SequenceNumber")) e.put("SequenceNumber", msg.get("SequenceNumber").asText());
                e.put("TopicArn", msg.get("TopicArn").asText());
                if (msg.has("Subject")) e.put("Subject", msg.get("Subject").asText());
                e.put("Message", text).put("Timestamp", msg.get("Timestamp").asText()).put("SignatureVersion", msg.path("SignatureVersion").asText("1"))
                        .put("Signature", signature(text)).put("SigningCertURL", signingCertUrl());
                String head = e.toString();
                String tail = msg.path("MessageAttributes").isEmpty() ? "}" : ",\"MessageAttributes\":" + typedAttributes(msg) + "}";
                return new String[] {head.substring(0, head.length() - 1) + ",\"UnsubscribeURL\":\"", "\"" + tail};
            });
            return parts[0] + jsonEscaped(unsubscribeUrl(endpointUrl, sub)) + parts[1];
        }

        /** What an SQS subscription's queue gets: the envelope, or the bare message with its attributes when raw; FIFO ids for FIFO queues. */
        Targets.Message forQueue(JsonNode sub) {
            String text = text(msg, sub.get("Protocol").asText());
            String group = msg.path("MessageGroupId").asText(null), dedup = msg.path("MessageDeduplicationId").asText(null);
            return raw(sub) ? new Targets.Message(text, null, stringAttributes(msg), group, dedup)
                    : new Targets.Message(envelope(sub, text), null, Map.of(), group, dedup);
        }

        /** The SNS event a Lambda function receives: one record per notification. */
        Targets.Message lambdaEvent(JsonNode sub) {
            String text = text(msg, "lambda");
            ObjectNode event = Values.object();
            ObjectNode record = event.putArray("Records").addObject().put("EventSource", "aws:sns").put("EventVersion", "1.0")
                    .put("EventSubscriptionArn", sub.get("SubscriptionArn").asText());
            ObjectNode s = record.putObject("Sns").put("Type", "Notification").put("MessageId", msg.get("MessageId").asText())
                    .put("TopicArn", msg.get("TopicArn").asText());
            if (msg.has("Subject")) s.put("Subject", msg.get("Subject").asText());
            else s.putNull("Subject");
            s.put("Message", text).put("Timestamp", msg.get("Timestamp").asText()).put("SignatureVersion", msg.path("SignatureVersion").asText("1"))
                    .put("Signature", signature(text)).put("SigningCertUrl", signingCertUrl()).put("UnsubscribeUrl", unsubscribeUrl(endpointUrl, sub));
            s.set("MessageAttributes", typedAttributes(msg));
            return new Targets.Message(event.toString());
        }
    }

    /** A string's JSON escaping, without its quotes. An ARN's URL needs none: it is only looked through, as Jackson's escaper copied it char by char. */
    private static String jsonEscaped(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == '"' || c == '\\') return String.valueOf(JsonStringEncoder.getInstance().quoteAsString(s));
        }
        return s;
    }

    private static ObjectNode typedAttributes(JsonNode msg) {
        ObjectNode out = Values.object();
        msg.path("MessageAttributes").fields().forEachRemaining(e -> out.putObject(e.getKey()).put("Type", e.getValue().get("DataType").asText())
                .put("Value", e.getValue().has("StringValue") ? e.getValue().get("StringValue").asText() : e.getValue().path("BinaryValue").asText()));
        return out;
    }

    private String confirmationBody(JsonNode r) {
        String message = "You have chosen to subscribe to the topic " + r.get("TopicArn").asText()
                + ".\nTo confirm the subscription, visit the SubscribeURL included in this message.";
        String canonical = "Message\n" + message + "\nMessageId\n" + r.get("MessageId").asText() + "\nSubscribeURL\n" + r.get("SubscribeURL").asText()
                + "\nTimestamp\n" + r.get("Timestamp").asText() + "\nToken\n" + r.get("Token").asText() + "\nTopicArn\n" + r.get("TopicArn").asText()
                + "\nType\nSubscriptionConfirmation\n";
        return Values.object().put("Type", "SubscriptionConfirmation").put("MessageId", r.get("MessageId").asText()).put("Token", r.get("Token").asText())
                .put("TopicArn", r.get("TopicArn").asText()).put("Message", message).put("SubscribeURL", r.get("SubscribeURL").asText())
                .put("Timestamp", r.get("Timestamp").asText()).put("SignatureVersion", "1").put("Signature", signer.sign(canonical, "1"))
                .put("SigningCertURL", signingCertUrl()).toString();
    }

    /** The signing certificate at SigningCertURL, or null for other paths. */
    HttpResponse serveSigningCertificate(String method, String path) {
        if (!"GET".equals(method) || !SIGNING_CERT_PATH.equals(path)) return null;
        return new HttpResponse().body("application/x-pem-file", signer.certificatePem().getBytes(StandardCharsets.US_ASCII));
    }

    /** Stops taking records; unfinished ones stay stored for the next start. */
    @Override
    public void close() {
        Thread w;
        synchronized (this) {
            closed = true;
            w = worker;
        }
        Workers.stop(w, http, HTTP_WORKERS);
    }
}
