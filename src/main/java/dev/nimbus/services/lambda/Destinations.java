package dev.nimbus.services.lambda;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.store.Table;
import java.util.UUID;
import java.util.logging.Logger;

/**
 * Where an asynchronous invocation's record goes: a Lambda function gets it as an asynchronous
 * event of its own (as Lambda delivers it); SQS, SNS, EventBridge and S3 destinations are kept in
 * the configuration, but Nimbus does not serve those services yet, so the record is logged as
 * undeliverable rather than silently lost.
 */
final class Destinations {
    private static final Logger LOG = Logger.getLogger(Destinations.class.getName());

    private Destinations() {}

    /**
     * Delivers the record inside the caller's transaction; returns what to run once it commits
     * (queueing the destination's event), or null when nothing was delivered.
     */
    static Runnable send(AsyncInvoker invoker, String arn, ObjectNode record) {
        // arn:aws:SERVICE:REGION:ACCOUNT:RESOURCE
        String[] parts = arn.split(":", 6);
        String service = parts.length == 6 ? parts[2] : "";
        if (service.equals("lambda") && parts[5].startsWith("function:")) {
            String function = parts[5].substring("function:".length()).split(":")[0];
            return invoker.enqueue(parts[4], parts[3], function, UUID.randomUUID().toString(), Table.toBytes(record));
        }
        LOG.warning("the record of asynchronous invocation " + record.path("requestContext").path("requestId").asText() + " ("
                + record.path("requestContext").path("condition").asText() + ") is not delivered to " + arn
                + ": Nimbus does not serve " + service + " yet");
        return null;
    }

    /** A dead-letter target (SQS or SNS in AWS) gets the failed event itself; neither service exists in Nimbus yet. */
    static void deadLetter(String arn, String requestId) {
        LOG.warning("asynchronous event " + requestId + " is not sent to its dead-letter target " + arn + ": Nimbus does not serve "
                + arn.split(":")[Math.min(2, arn.split(":").length - 1)] + " yet");
    }
}
