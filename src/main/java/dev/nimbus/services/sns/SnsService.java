package dev.nimbus.services.sns;

import static dev.nimbus.services.sns.SnsErrors.invalid;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.HttpResponse;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.AwsService;
import dev.nimbus.services.Operations;
import dev.nimbus.services.Targets;
import dev.nimbus.store.Store;
import dev.nimbus.store.Table;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * SNS (2010-03-31, query protocol): topics (standard and FIFO), subscriptions and their
 * confirmation, tags. Publishing and delivery are {@link Publisher}'s and {@link Deliveries}'.
 *
 * <p>Topics live in {@code sns.topics} under account/region/name; subscriptions in
 * {@code sns.subscriptions} under account/region/topic/id, so a topic's subscriptions are one
 * prefix scan and a subscription ARN (topic ARN + ":" + id) names its key.
 */
public final class SnsService implements AwsService, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(SnsService.class.getName());
    static final Set<String> PROTOCOLS = Set.of("http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose");
    /** Protocols whose endpoint is an ARN Nimbus delivers to through {@link Targets}, confirmed at once. */
    static final Set<String> TARGET_PROTOCOLS = Set.of("sqs", "lambda", "firehose", "application");
    private static final Set<String> TOPIC_ATTRIBUTES = Set.of("DisplayName", "Policy", "DeliveryPolicy", "KmsMasterKeyId", "TracingConfig",
            "SignatureVersion", "FifoTopic", "ContentBasedDeduplication", "ArchivePolicy", "FifoThroughputScope", "DataProtectionPolicy",
            "HTTPSuccessFeedbackRoleArn", "HTTPSuccessFeedbackSampleRate", "HTTPFailureFeedbackRoleArn",
            "LambdaSuccessFeedbackRoleArn", "LambdaSuccessFeedbackSampleRate", "LambdaFailureFeedbackRoleArn",
            "SQSSuccessFeedbackRoleArn", "SQSSuccessFeedbackSampleRate", "SQSFailureFeedbackRoleArn",
            "FirehoseSuccessFeedbackRoleArn", "FirehoseSuccessFeedbackSampleRate", "FirehoseFailureFeedbackRoleArn",
            "ApplicationSuccessFeedbackRoleArn", "ApplicationSuccessFeedbackSampleRate", "ApplicationFailureFeedbackRoleArn");
    static final Set<String> SUBSCRIPTION_ATTRIBUTES = Set.of("DeliveryPolicy", "FilterPolicy", "FilterPolicyScope", "RawMessageDelivery",
            "RedrivePolicy", "SubscriptionRoleArn", "ReplayPolicy");
    private static final Pattern TOPIC_NAME = Pattern.compile("[A-Za-z0-9_-]{1,256}");
    private static final int PAGE = 100;
    private static final int MAX_TAGS = 50;
    static final String DEFAULT_DELIVERY_POLICY = "{\"http\":{\"defaultHealthyRetryPolicy\":{\"minDelayTarget\":20,\"maxDelayTarget\":20,"
            + "\"numRetries\":3,\"numMaxDelayRetries\":0,\"numNoDelayRetries\":0,\"numMinDelayRetries\":0,\"backoffFunction\":\"linear\"},"
            + "\"disableSubscriptionOverrides\":false,\"defaultRequestPolicy\":{\"headerContentType\":\"text/plain; charset=UTF-8\"}}}";

    private final Store store;
    private final Table topics;
    private final Table subscriptions;
    private final Table tokens;
    private final Signer signer;
    private final Deliveries deliveries;
    private final Publisher publisher;
    private final Supplier<String> endpoint;
    private SnsMetrics metrics;
    /** What publishing reads of each topic, by topic key; see {@link #publishing}. */
    private final Map<String, Publishing> publishing = new ConcurrentHashMap<>();
    private final ScheduledExecutorService pruner = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("sns-dedup").factory());

    /** @param endpoint the server's URL (subscription confirmation and unsubscribe links point at it) */
    public SnsService(Store store, Targets targets, Supplier<String> endpoint) {
        this.store = store;
        this.endpoint = endpoint;
        this.topics = store.table("sns.topics");
        this.subscriptions = store.table("sns.subscriptions");
        this.tokens = store.table("sns.tokens");
        this.signer = new Signer(store);
        this.deliveries = new Deliveries(store, targets, this, signer, endpoint);
        this.publisher = new Publisher(store, this, deliveries);
    }

    @Override
    public String modelName() {
        return "sns";
    }

    @Override
    public void register(Operations ops) {
        ops.add("CreateTopic", this::createTopic)
                .add("DeleteTopic", this::deleteTopic)
                .add("ListTopics", this::listTopics)
                .add("GetTopicAttributes", this::getTopicAttributes)
                .add("SetTopicAttributes", this::setTopicAttributes)
                .add("Subscribe", this::subscribe)
                .add("ConfirmSubscription", this::confirmSubscription)
                .add("Unsubscribe", this::unsubscribe)
                .add("ListSubscriptions", (ctx, in) -> listSubscriptions(ctx.accountId() + "/" + ctx.region() + "/", in))
                .add("ListSubscriptionsByTopic", this::listSubscriptionsByTopic)
                .add("GetSubscriptionAttributes", this::getSubscriptionAttributes)
                .add("SetSubscriptionAttributes", this::setSubscriptionAttributes)
                .add("TagResource", this::tagResource)
                .add("UntagResource", this::untagResource)
                .add("ListTagsForResource", this::listTags)
                .add("Publish", publisher::publish)
                .add("PublishBatch", publisher::publishBatch);
    }

    /** Starts delivering what was published (and left pending by a previous run), once the server listens. */
    public void start() {
        deliveries.start();
        pruner.scheduleWithFixedDelay(() -> {
            try {
                publisher.pruneDedup();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "could not prune SNS deduplication ids", e);
            }
        }, 1, 1, TimeUnit.MINUTES);
    }

    /** Stops delivering (what is pending stays stored) and writes the last metrics; called before the store closes. */
    @Override
    public void close() {
        pruner.shutdownNow();
        deliveries.close();
        signer.close();
        if (metrics != null) metrics.close();
    }

    /** Publishes AWS/SNS metrics (NumberOfMessagesPublished, NumberOfNotificationsDelivered/Failed) to CloudWatch. */
    public void publishMetricsTo(dev.nimbus.services.cloudwatch.Metrics metrics) {
        this.metrics = new SnsMetrics(metrics);
        publisher.metrics(this.metrics);
        deliveries.metrics(this.metrics);
    }

    /** Plain HTTP under /_nimbus/: the certificate of the key that signs notifications (SigningCertURL), or null for other paths. */
    public HttpResponse internal(String method, String path) {
        return deliveries.serveSigningCertificate(method, path);
    }

    /**
     * The {@link Targets} receiver for topics: Lambda destinations, alarm actions and other
     * services publish through it (subject as Subject, attributes as String message attributes).
     */
    public Runnable accept(Targets.Arn arn, Targets.Message message) {
        return publisher.publishFromService(arn, message);
    }

    // ---- names and keys

    /** A topic ARN's parts. */
    record TopicRef(String account, String region, String name) {
        String key() {
            return account + "/" + region + "/" + name;
        }

        String arn() {
            return "arn:aws:sns:" + region + ":" + account + ":" + name;
        }
    }

    static TopicRef topicRef(String arn, String param) {
        String[] p = arn == null ? new String[0] : arn.split(":", -1);
        if (p.length != 6 || !p[0].equals("arn") || !p[2].equals("sns") || p[3].isEmpty() || p[4].isEmpty() || p[5].isEmpty()) {
            throw invalid(param);
        }
        return new TopicRef(p[4], p[3], p[5]);
    }

    /** A subscription ARN's key (account/region/topic/id). */
    static String subscriptionKey(String arn) {
        String[] p = arn == null ? new String[0] : arn.split(":", -1);
        if (p.length != 7 || !p[0].equals("arn") || !p[2].equals("sns") || p[6].isEmpty()) throw invalid("SubscriptionArn");
        return p[4] + "/" + p[3] + "/" + p[5] + "/" + p[6];
    }

    /** The stored topic, or NotFound. */
    ObjectNode topic(TopicRef ref) {
        JsonNode t = topics.getJson(ref.key());
        if (t == null) throw SnsErrors.topicNotFound();
        return (ObjectNode) t;
    }

    /** The stored subscription, or null. */
    ObjectNode subscription(String arn) {
        return (ObjectNode) subscriptions.getJson(subscriptionKey(arn));
    }

    /** A topic's subscriptions, in key order. */
    Iterator<Table.Entry> subscriptionsOf(TopicRef ref) {
        return subscriptions.iterate(ref.key() + "/", null, 100);
    }

    void saveSubscription(ObjectNode sub) {
        subscriptions.putJson(subscriptionKey(sub.get("SubscriptionArn").asText()), sub);
        changed(topicRef(sub.get("TopicArn").asText(), "TopicArn"));
    }

    /** What a publish needs of a topic: its stored record and its confirmed subscriptions (shared: read, never change them). */
    record Publishing(ObjectNode topic, List<ObjectNode> subscriptions) {}

    /**
     * A topic as publishing sees it, read once and then kept until the topic or one of its
     * subscriptions changes: reading and parsing ten subscriptions per publish cost more than
     * delivering to them. Call it only inside a store transaction: transactions run one at a time
     * and every change to a topic or subscription drops the entry inside its own, so an entry is
     * never filled from a state older than the last change.
     */
    Publishing publishing(TopicRef ref) {
        Publishing p = publishing.get(ref.key());
        if (p != null) return p;
        ObjectNode topic = topic(ref);
        List<ObjectNode> confirmed = new ArrayList<>();
        for (Iterator<Table.Entry> it = subscriptionsOf(ref); it.hasNext(); ) {
            ObjectNode sub = (ObjectNode) it.next().json();
            if (!sub.path("PendingConfirmation").asBoolean()) confirmed.add(sub);
        }
        p = new Publishing(topic, List.copyOf(confirmed));
        publishing.put(ref.key(), p);
        return p;
    }

    /** The cached {@link #publishing} of a topic without reading the store (outside transactions too: it may be stale), or null. */
    Publishing publishingIfKnown(TopicRef ref) {
        return publishing.get(ref.key());
    }

    /** Drops what {@link #publishing} keeps of a topic; called inside the transaction that changes it. */
    private void changed(TopicRef ref) {
        publishing.remove(ref.key());
    }

    String endpoint() {
        return endpoint.get();
    }

    // ---- topics

    private JsonNode createTopic(RequestContext ctx, ObjectNode in) {
        String name = Values.text(in, "Name");
        ObjectNode attributes = in.has("Attributes") ? (ObjectNode) in.get("Attributes") : Values.object();
        boolean fifo = "true".equalsIgnoreCase(attributes.path("FifoTopic").asText("false"));
        String base = name.endsWith(".fifo") ? name.substring(0, name.length() - 5) : name;
        if (fifo && (!name.endsWith(".fifo") || !TOPIC_NAME.matcher(base).matches() || name.length() > 256)) {
            throw invalid("Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII letters, numbers, "
                    + "underscores, and hyphens, and must be between 1 and 256 characters long.");
        }
        if (!fifo && !TOPIC_NAME.matcher(name).matches()) throw invalid("Topic Name");
        ObjectNode attrs = Values.object();
        for (Iterator<Map.Entry<String, JsonNode>> it = attributes.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            attrs.put(e.getKey(), topicAttribute(e.getKey(), e.getValue().asText(), fifo, "Attributes Reason: "));
        }
        if (fifo) {
            attrs.put("FifoTopic", "true");
            if (!attrs.has("ContentBasedDeduplication")) attrs.put("ContentBasedDeduplication", "false");
        } else {
            attrs.remove("FifoTopic");
        }
        ObjectNode tags = tags(in.path("Tags"));
        TopicRef ref = new TopicRef(ctx.accountId(), ctx.region(), name);
        return store.transaction(() -> {
            JsonNode existing = topics.getJson(ref.key());
            if (existing != null) {
                // CreateTopic is idempotent for the same attributes and tags.
                for (Iterator<Map.Entry<String, JsonNode>> it = attrs.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    if (!e.getValue().equals(existing.path("attributes").get(e.getKey()))) {
                        throw invalid("Attributes Reason: Topic already exists with different attributes");
                    }
                }
                for (Iterator<Map.Entry<String, JsonNode>> it = tags.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    if (!e.getValue().equals(existing.path("tags").get(e.getKey()))) {
                        throw invalid("Tags Reason: Topic already exists with different tags");
                    }
                }
                return Values.object().put("TopicArn", ref.arn());
            }
            ObjectNode topic = Values.object().put("TopicArn", ref.arn()).put("fifo", fifo);
            topic.set("attributes", attrs);
            topic.set("tags", tags);
            topics.putJson(ref.key(), topic);
            changed(ref);
            return Values.object().put("TopicArn", ref.arn());
        });
    }

    /** A topic attribute's value after validation (AWS's messages), prefixed by what names it in this call. */
    private static String topicAttribute(String name, String value, boolean fifo, String prefix) {
        if (!TOPIC_ATTRIBUTES.contains(name)) throw invalid(prefix.isEmpty() ? "AttributeName" : prefix + "Unknown attribute " + name);
        switch (name) {
            case "ContentBasedDeduplication", "FifoTopic" -> {
                if (!value.equalsIgnoreCase("true") && !value.equalsIgnoreCase("false")) throw invalid(prefix + name + ": Invalid value [" + value + "]");
                if (name.equals("ContentBasedDeduplication") && !fifo) {
                    throw invalid(prefix + "ContentBasedDeduplication: Invalid parameter: ContentBasedDeduplication can only be set for FIFO topics");
                }
                return value.toLowerCase();
            }
            case "SignatureVersion" -> {
                if (!value.equals("1") && !value.equals("2")) throw invalid(prefix + "SignatureVersion: Invalid value [" + value + "]. Please use 1 or 2");
                return value;
            }
            case "Policy", "DeliveryPolicy", "DataProtectionPolicy", "ArchivePolicy" -> {
                if (!value.isEmpty()) {
                    try {
                        if (!Values.JSON.readTree(value).isObject()) throw new IllegalArgumentException();
                    } catch (Exception e) {
                        throw invalid(prefix + name + ": failed to parse JSON.");
                    }
                }
                return value;
            }
            default -> {
                return value;
            }
        }
    }

    private JsonNode deleteTopic(RequestContext ctx, ObjectNode in) {
        TopicRef ref = topicRef(Values.text(in, "TopicArn"), "TopicArn");
        store.transaction(() -> {
            // Deleting a topic that does not exist succeeds, as in AWS; its subscriptions go with it.
            if (!topics.delete(ref.key())) return;
            changed(ref);
            for (Iterator<Table.Entry> it = subscriptionsOf(ref); it.hasNext(); ) {
                Table.Entry e = it.next();
                String token = e.json().path("Token").asText(null);
                if (token != null) tokens.delete(token);
                subscriptions.delete(e.key());
            }
        });
        return null;
    }

    private JsonNode listTopics(RequestContext ctx, ObjectNode in) {
        String prefix = ctx.accountId() + "/" + ctx.region() + "/";
        List<Table.Entry> page = topics.scan(prefix, after(in, prefix), PAGE + 1);
        ObjectNode out = Values.object();
        ArrayNode list = out.putArray("Topics");
        for (int i = 0; i < Math.min(PAGE, page.size()); i++) list.addObject().put("TopicArn", page.get(i).json().get("TopicArn").asText());
        if (page.size() > PAGE) out.put("NextToken", token(page.get(PAGE - 1).key()));
        return out;
    }

    /** NextToken: the last key of the previous page, opaque to clients; one of another account's prefix is refused. */
    private static String after(JsonNode in, String prefix) {
        String t = Values.text(in, "NextToken", null);
        if (t == null) return null;
        String key;
        try {
            key = new String(Base64.getUrlDecoder().decode(t), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw invalid("NextToken");
        }
        if (!key.startsWith(prefix)) throw invalid("NextToken");
        return key;
    }

    private static String token(String key) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(key.getBytes(StandardCharsets.UTF_8));
    }

    private JsonNode getTopicAttributes(RequestContext ctx, ObjectNode in) {
        TopicRef ref = topicRef(Values.text(in, "TopicArn"), "TopicArn");
        JsonNode t = topic(ref);
        int confirmed = 0, pending = 0;
        for (Iterator<Table.Entry> it = subscriptionsOf(ref); it.hasNext(); ) {
            if (it.next().json().path("PendingConfirmation").asBoolean()) pending++;
            else confirmed++;
        }
        ObjectNode attrs = Values.object();
        attrs.put("Policy", defaultPolicy(ref)).put("Owner", ref.account()).put("TopicArn", ref.arn()).put("DisplayName", "")
                .put("SubscriptionsPending", String.valueOf(pending)).put("SubscriptionsConfirmed", String.valueOf(confirmed))
                .put("SubscriptionsDeleted", "0").put("EffectiveDeliveryPolicy", DEFAULT_DELIVERY_POLICY);
        t.path("attributes").fields().forEachRemaining(e -> attrs.set(e.getKey(), e.getValue()));
        if (attrs.has("DeliveryPolicy")) attrs.put("EffectiveDeliveryPolicy", attrs.get("DeliveryPolicy").asText());
        ObjectNode out = Values.object();
        out.set("Attributes", attrs);
        return out;
    }

    private static String defaultPolicy(TopicRef ref) {
        ObjectNode p = Values.object().put("Version", "2008-10-17").put("Id", "__default_policy_ID");
        ObjectNode s = p.putArray("Statement").addObject().put("Sid", "__default_statement_ID").put("Effect", "Allow");
        s.putObject("Principal").put("AWS", "*");
        ArrayNode actions = s.putArray("Action");
        for (String a : List.of("GetTopicAttributes", "SetTopicAttributes", "AddPermission", "RemovePermission", "DeleteTopic", "Subscribe",
                "ListSubscriptionsByTopic", "Publish")) actions.add("SNS:" + a);
        s.put("Resource", ref.arn());
        s.putObject("Condition").putObject("StringEquals").put("AWS:SourceOwner", ref.account());
        return p.toString();
    }

    private JsonNode setTopicAttributes(RequestContext ctx, ObjectNode in) {
        TopicRef ref = topicRef(Values.text(in, "TopicArn"), "TopicArn");
        String name = Values.text(in, "AttributeName");
        String value = Values.text(in, "AttributeValue", "");
        store.transaction(() -> {
            ObjectNode t = topic(ref);
            if (name.equals("FifoTopic")) throw invalid("AttributeName");
            String v = topicAttribute(name, value, t.path("fifo").asBoolean(), "");
            ObjectNode attrs = (ObjectNode) t.get("attributes");
            if (v.isEmpty() && !name.equals("DisplayName")) attrs.remove(name);
            else attrs.put(name, v);
            topics.putJson(ref.key(), t);
            changed(ref);
        });
        return null;
    }

    // ---- subscriptions

    private JsonNode subscribe(RequestContext ctx, ObjectNode in) {
        TopicRef ref = topicRef(Values.text(in, "TopicArn"), "TopicArn");
        String protocol = Values.text(in, "Protocol");
        String endpointValue = Values.text(in, "Endpoint", "");
        if (!PROTOCOLS.contains(protocol)) throw invalid("Amazon SNS does not support this protocol string: " + protocol);
        validateEndpoint(protocol, endpointValue);
        ObjectNode attrs = Values.object();
        in.path("Attributes").fields().forEachRemaining(e -> attrs.put(e.getKey(), e.getValue().asText()));
        ObjectNode checked = SubscriptionAttributes.validate(attrs, protocol, "Attributes Reason: ");
        boolean confirmed = TARGET_PROTOCOLS.contains(protocol) || protocol.equals("sms");
        Runnable[] after = new Runnable[1];
        ObjectNode out = store.transaction(() -> {
            ObjectNode topic = topic(ref);
            if (topic.path("fifo").asBoolean() && !protocol.equals("sqs")) throw invalid("Invalid protocol type: " + protocol);
            for (Iterator<Table.Entry> it = subscriptionsOf(ref); it.hasNext(); ) {
                JsonNode s = it.next().json();
                if (s.get("Protocol").asText().equals(protocol) && s.get("Endpoint").asText().equals(endpointValue)) {
                    if (!s.path("attributes").equals(checked) && !checked.isEmpty()) throw invalid("Attributes Reason: Subscription already exists with different attributes");
                    boolean pending = s.path("PendingConfirmation").asBoolean();
                    return Values.object().put("SubscriptionArn", pending && !in.path("ReturnSubscriptionArn").asBoolean()
                            ? "pending confirmation" : s.get("SubscriptionArn").asText());
                }
            }
            String arn = ref.arn() + ":" + UUID.randomUUID();
            ObjectNode sub = Values.object().put("SubscriptionArn", arn).put("TopicArn", ref.arn()).put("Owner", ctx.accountId())
                    .put("Protocol", protocol).put("Endpoint", endpointValue).put("PendingConfirmation", !confirmed)
                    .put("ConfirmationWasAuthenticated", confirmed).put("SubscriptionPrincipal", ctx.identity().arn());
            sub.set("attributes", checked);
            if (!confirmed) {
                String token = newToken();
                sub.put("Token", token);
                tokens.put(token, subscriptionKey(arn).getBytes(StandardCharsets.UTF_8));
                after[0] = deliveries.confirmation(sub, token);
            }
            saveSubscription(sub);
            return Values.object().put("SubscriptionArn", confirmed || in.path("ReturnSubscriptionArn").asBoolean() ? arn : "pending confirmation");
        });
        if (after[0] != null) after[0].run();
        return out;
    }

    private static void validateEndpoint(String protocol, String endpoint) {
        switch (protocol) {
            case "http" -> {
                if (!endpoint.startsWith("http://")) throw invalid("Endpoint must match the specified protocol");
            }
            case "https" -> {
                if (!endpoint.startsWith("https://")) throw invalid("Endpoint must match the specified protocol");
            }
            case "sqs" -> {
                if (!endpoint.startsWith("arn:aws:sqs:")) throw invalid("SQS endpoint ARN");
            }
            case "lambda" -> {
                if (!endpoint.startsWith("arn:aws:lambda:")) throw invalid("Lambda endpoint ARN");
            }
            case "firehose" -> {
                if (!endpoint.startsWith("arn:aws:firehose:")) throw invalid("Firehose endpoint ARN");
            }
            case "email", "email-json" -> {
                if (!endpoint.matches("[^@\\s]+@[^@\\s]+")) throw invalid("Email address");
            }
            case "sms" -> {
                if (!endpoint.matches("\\+?[0-9][0-9 ().-]{4,}")) throw invalid("Invalid SMS endpoint: " + endpoint);
            }
            default -> {
                if (endpoint.isEmpty()) throw invalid("Endpoint");
            }
        }
    }

    private static String newToken() {
        // AWS's tokens are long hex strings; two UUIDs' worth of randomness is as unguessable.
        return (UUID.randomUUID().toString() + UUID.randomUUID()).replace("-", "");
    }

    private JsonNode confirmSubscription(RequestContext ctx, ObjectNode in) {
        TopicRef ref = topicRef(Values.text(in, "TopicArn"), "TopicArn");
        String token = Values.text(in, "Token");
        boolean authenticate = "true".equalsIgnoreCase(Values.text(in, "AuthenticateOnUnsubscribe", "false"));
        return store.transaction(() -> {
            topic(ref);
            byte[] key = tokens.get(token);
            ObjectNode sub = key == null ? null : (ObjectNode) subscriptions.getJson(new String(key, StandardCharsets.UTF_8));
            if (sub == null || !sub.get("TopicArn").asText().equals(ref.arn())) throw invalid("Token");
            // A token confirms once; confirming again answers the same ARN.
            sub.put("PendingConfirmation", false).put("ConfirmationWasAuthenticated", authenticate);
            saveSubscription(sub);
            return Values.object().put("SubscriptionArn", sub.get("SubscriptionArn").asText());
        });
    }

    private JsonNode unsubscribe(RequestContext ctx, ObjectNode in) {
        String arn = Values.text(in, "SubscriptionArn");
        String key = subscriptionKey(arn);
        store.transaction(() -> {
            JsonNode sub = subscriptions.getJson(key);
            if (sub == null) throw SnsErrors.subscriptionNotFound();
            String token = sub.path("Token").asText(null);
            if (token != null) tokens.delete(token);
            subscriptions.delete(key);
            changed(topicRef(sub.get("TopicArn").asText(), "TopicArn"));
        });
        return null;
    }

    private JsonNode listSubscriptionsByTopic(RequestContext ctx, ObjectNode in) {
        TopicRef ref = topicRef(Values.text(in, "TopicArn"), "TopicArn");
        topic(ref);
        return listSubscriptions(ref.key() + "/", in);
    }

    private JsonNode listSubscriptions(String prefix, ObjectNode in) {
        String accountPrefix = prefix.substring(0, prefix.indexOf('/', prefix.indexOf('/') + 1) + 1);
        List<Table.Entry> page = subscriptions.scan(prefix, after(in, accountPrefix), PAGE + 1);
        ObjectNode out = Values.object();
        ArrayNode list = out.putArray("Subscriptions");
        for (int i = 0; i < Math.min(PAGE, page.size()); i++) {
            JsonNode s = page.get(i).json();
            list.addObject().put("SubscriptionArn", s.path("PendingConfirmation").asBoolean() ? "PendingConfirmation" : s.get("SubscriptionArn").asText())
                    .put("Owner", s.get("Owner").asText()).put("Protocol", s.get("Protocol").asText())
                    .put("Endpoint", s.get("Endpoint").asText()).put("TopicArn", s.get("TopicArn").asText());
        }
        if (page.size() > PAGE) out.put("NextToken", token(page.get(PAGE - 1).key()));
        return out;
    }

    private JsonNode getSubscriptionAttributes(RequestContext ctx, ObjectNode in) {
        ObjectNode sub = subscription(Values.text(in, "SubscriptionArn"));
        if (sub == null) throw SnsErrors.subscriptionNotFound();
        ObjectNode attrs = Values.object();
        for (String f : List.of("SubscriptionArn", "TopicArn", "Owner", "Protocol", "Endpoint", "SubscriptionPrincipal")) attrs.put(f, sub.path(f).asText());
        attrs.put("PendingConfirmation", String.valueOf(sub.path("PendingConfirmation").asBoolean()))
                .put("ConfirmationWasAuthenticated", String.valueOf(sub.path("ConfirmationWasAuthenticated").asBoolean()))
                .put("RawMessageDelivery", "false");
        sub.path("attributes").fields().forEachRemaining(e -> attrs.set(e.getKey(), e.getValue()));
        if (attrs.has("FilterPolicy") && !attrs.has("FilterPolicyScope")) attrs.put("FilterPolicyScope", "MessageAttributes");
        if (sub.get("Protocol").asText().startsWith("http")) {
            attrs.put("EffectiveDeliveryPolicy", sub.path("attributes").has("DeliveryPolicy") ? sub.path("attributes").get("DeliveryPolicy").asText()
                    : DEFAULT_DELIVERY_POLICY);
        }
        ObjectNode out = Values.object();
        out.set("Attributes", attrs);
        return out;
    }

    private JsonNode setSubscriptionAttributes(RequestContext ctx, ObjectNode in) {
        String arn = Values.text(in, "SubscriptionArn");
        String name = Values.text(in, "AttributeName");
        String value = Values.text(in, "AttributeValue", "");
        store.transaction(() -> {
            ObjectNode sub = subscription(arn);
            if (sub == null) throw SnsErrors.subscriptionNotFound();
            ObjectNode attrs = ((ObjectNode) sub.get("attributes")).deepCopy();
            if (value.isEmpty() && !name.equals("RawMessageDelivery")) {
                if (!SUBSCRIPTION_ATTRIBUTES.contains(name)) throw invalid("AttributeName");
                attrs.remove(name);
                if (name.equals("FilterPolicy")) attrs.remove("FilterPolicyScope");
            } else {
                attrs.put(name, value);
            }
            sub.set("attributes", SubscriptionAttributes.validate(attrs, sub.get("Protocol").asText(), ""));
            saveSubscription(sub);
        });
        return null;
    }

    // ---- tags

    private ObjectNode taggedTopic(String arn) {
        TopicRef ref;
        try {
            ref = topicRef(arn, "ResourceArn");
        } catch (AwsException e) {
            throw new AwsException("InvalidParameter", "Invalid parameter: ResourceArn", 400);
        }
        JsonNode t = topics.getJson(ref.key());
        if (t == null) throw new AwsException("ResourceNotFound", "Resource does not exist", 404);
        return (ObjectNode) t;
    }

    private static ObjectNode tags(JsonNode list) {
        ObjectNode tags = Values.object();
        for (JsonNode t : list) {
            String key = t.path("Key").asText();
            if (key.isEmpty() || key.length() > 128) throw invalid("Tags Reason: Tag key must be between 1 and 128 characters");
            if (t.path("Value").asText().length() > 256) throw invalid("Tags Reason: Tag value must be at most 256 characters");
            tags.put(key, t.path("Value").asText());
        }
        if (tags.size() > MAX_TAGS) throw new AwsException("TagLimitExceeded", "Could not complete request: tag quota of per resource exceeded", 400);
        return tags;
    }

    private JsonNode tagResource(RequestContext ctx, ObjectNode in) {
        String arn = Values.text(in, "ResourceArn");
        ObjectNode added = tags(in.path("Tags"));
        store.transaction(() -> {
            ObjectNode t = taggedTopic(arn);
            ObjectNode tags = (ObjectNode) t.get("tags");
            tags.setAll(added);
            if (tags.size() > MAX_TAGS) throw new AwsException("TagLimitExceeded", "Could not complete request: tag quota of per resource exceeded", 400);
            topics.putJson(topicRef(arn, "ResourceArn").key(), t);
            changed(topicRef(arn, "ResourceArn"));
        });
        return null;
    }

    private JsonNode untagResource(RequestContext ctx, ObjectNode in) {
        String arn = Values.text(in, "ResourceArn");
        store.transaction(() -> {
            ObjectNode t = taggedTopic(arn);
            in.path("TagKeys").forEach(k -> ((ObjectNode) t.get("tags")).remove(k.asText()));
            topics.putJson(topicRef(arn, "ResourceArn").key(), t);
            changed(topicRef(arn, "ResourceArn"));
        });
        return null;
    }

    private JsonNode listTags(RequestContext ctx, ObjectNode in) {
        ObjectNode t = taggedTopic(Values.text(in, "ResourceArn"));
        ObjectNode out = Values.object();
        ArrayNode list = out.putArray("Tags");
        t.path("tags").fields().forEachRemaining(e -> list.addObject().put("Key", e.getKey()).put("Value", e.getValue().asText()));
        return out;
    }
}
