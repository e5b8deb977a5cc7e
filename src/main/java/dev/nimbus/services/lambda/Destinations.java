package dev.nimbus.services.lambda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.compute.Invocation;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.services.Targets;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.logging.Logger;

/**
 * Where an asynchronous invocation's outcome goes, through {@link Targets}: a destination gets
 * Lambda's invocation record; a dead-letter queue or topic gets the failed event itself, with
 * the RequestID, ErrorCode and ErrorMessage attributes Lambda adds. A target that refuses (it was
 * deleted, or its service is not served) is logged: the event is finished either way, as in AWS, and the failure counted in AWS/Lambda.
 */
final class Destinations {
    private static final Logger LOG = Logger.getLogger(Destinations.class.getName());

    private Destinations() {}

    /** Delivers the record inside the caller's transaction; returns what to run once it commits, or null (then {@code failed} has run). */
    static Runnable send(Targets targets, String arn, ObjectNode record, Runnable failed) {
        return deliver(targets, arn, new Targets.Message(record.toString()), record.path("requestContext").path("requestId").asText(), failed);
    }

    /** Sends the failed event to the function's dead-letter target inside the caller's transaction; {@code failed} runs when it refuses. */
    static Runnable deadLetter(Targets targets, String arn, JsonNode event, String condition, Invocation.Result result, Runnable failed) {
        String requestId = event.get("requestId").asText();
        String payload = new String(Base64.getDecoder().decode(event.get("payload").asText()), StandardCharsets.UTF_8);
        String error = result != null && result.functionError() != null
                ? new String(result.payload(), StandardCharsets.UTF_8) : condition;
        Map<String, String> attributes = Map.of("RequestID", requestId, "ErrorCode", "200", "ErrorMessage", error);
        return deliver(targets, arn, new Targets.Message(payload, null, attributes), requestId, failed);
    }

    private static Runnable deliver(Targets targets, String arn, Targets.Message message, String requestId, Runnable failed) {
        try {
            return targets.send(arn, message);
        } catch (AwsException e) {
            failed.run(); // AWS/Lambda DeadLetterErrors or DestinationDeliveryFailures
            LOG.warning("the outcome of asynchronous invocation " + requestId + " is not delivered to " + arn + ": " + e.getMessage());
            return null;
        }
    }
}
