package dev.nimbus.services.sns;

import dev.nimbus.protocol.AwsException;

/** SNS's error codes, as its query clients read them. */
final class SnsErrors {
    private SnsErrors() {}

    /** InvalidParameter; the message is prefixed as AWS does ("Invalid parameter: Topic Name"). */
    static AwsException invalid(String what) {
        return new AwsException("InvalidParameter", "Invalid parameter: " + what, 400);
    }

    static AwsException invalidValue(String message) {
        return new AwsException("ParameterValueInvalid", message, 400);
    }

    static AwsException notFound(String message) {
        return new AwsException("NotFound", message, 404);
    }

    static AwsException topicNotFound() {
        return notFound("Topic does not exist");
    }

    static AwsException subscriptionNotFound() {
        return notFound("Subscription does not exist");
    }
}
