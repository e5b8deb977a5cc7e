package dev.nimbus.services;

import dev.nimbus.protocol.AwsException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Delivery between services by ARN. Every AWS integration names its target by ARN (a Lambda
 * destination or dead-letter queue, an S3 notification, an SNS subscription, an alarm action, an
 * EventBridge target), so a service that can receive registers itself here once and every sender
 * uses {@link #send}: no service knows another's classes.
 *
 * <p>What a message means is the receiver's: Lambda invokes the function asynchronously with the
 * body as its payload, SQS stores it as a message (attributes as message attributes), SNS
 * publishes it (subject as Subject).
 */
public final class Targets {
    /**
     * A message for a target: the body as the receiver sees it, an optional subject, string
     * attributes, and for FIFO receivers (an SNS FIFO topic's SQS FIFO queue) the message group and
     * deduplication ids, else null.
     */
    public record Message(String body, String subject, Map<String, String> attributes, String groupId, String deduplicationId) {
        public Message(String body, String subject, Map<String, String> attributes) {
            this(body, subject, attributes, null, null);
        }

        public Message(String body) {
            this(body, null, Map.of());
        }
    }

    /** A service that accepts messages for its resources. */
    public interface Target {
        /**
         * Stores the message durably. Runs inside the caller's store transaction when the caller
         * is in one (so the message is kept exactly when the caller's own change commits); returns
         * what to run once that commits (waking a consumer), or null.
         *
         * <p>A target refuses before it writes anything: a sender that hands one message to many
         * targets in one transaction (SNS fan-out) needs no savepoint per target for a refusal to
         * leave the others' deliveries in place.
         *
         * @throws AwsException when the resource does not exist or refuses the message
         */
        Runnable accept(Arn target, Message message);
    }

    /** An ARN's parts: arn:aws:SERVICE:REGION:ACCOUNT:RESOURCE. */
    public record Arn(String service, String region, String account, String resource) {
        public static Arn parse(String arn) {
            // The five colons found by hand: this runs once per delivery (an SNS fan-out's every queue), where split() was a visible share
            int[] colon = new int[5];
            for (int i = 0, from = 0; i < 5; i++) {
                colon[i] = arn == null ? -1 : arn.indexOf(':', from);
                if (colon[i] < 0) throw invalid(arn);
                from = colon[i] + 1;
            }
            if (colon[0] != 3 || !arn.startsWith("arn") || colon[2] == colon[1] + 1) throw invalid(arn);
            return new Arn(arn.substring(colon[1] + 1, colon[2]), arn.substring(colon[2] + 1, colon[3]), arn.substring(colon[3] + 1, colon[4]),
                    arn.substring(colon[4] + 1));
        }

        private static AwsException invalid(String arn) {
            return new AwsException("InvalidParameterValueException", "Invalid ARN: " + arn, 400);
        }

        @Override
        public String toString() {
            return "arn:aws:" + service + ":" + region + ":" + account + ":" + resource;
        }
    }

    private final Map<String, Target> byService = new ConcurrentHashMap<>();
    /** ARNs parsed, by text: senders deliver to the same few over and over (an SNS topic's queues, on every publish). */
    private final Map<String, Arn> parsed = new ConcurrentHashMap<>();

    /** Registers the receiver of ARNs of one service ("lambda", "sqs", "sns", "events"). */
    public void register(String service, Target target) {
        if (byService.putIfAbsent(service, target) != null) throw new IllegalStateException(service + " is already a target");
    }

    /** Whether Nimbus can deliver to this ARN's service. */
    public boolean accepts(String arn) {
        String[] p = arn == null ? new String[0] : arn.split(":", 4);
        return p.length >= 3 && byService.containsKey(p[2]);
    }

    /**
     * Delivers a message to the resource named by the ARN; see {@link Target#accept} for the
     * transaction contract.
     *
     * @throws AwsException when the ARN is malformed, its service is not served, or the resource refuses it
     */
    public Runnable send(String arn, Message message) {
        Arn a = arn == null ? null : parsed.get(arn);
        if (a == null) {
            a = Arn.parse(arn);
            if (parsed.size() >= 10_000) parsed.clear(); // bounded: ARNs no longer used go sooner or later
            parsed.put(arn, a);
        }
        Target t = byService.get(a.service());
        if (t == null) throw new AwsException("InvalidParameterValueException", "Nimbus does not deliver to " + a.service() + " (" + arn + ")", 400);
        return t.accept(a, message);
    }
}
