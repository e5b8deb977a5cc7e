package dev.nimbus.protocol;

import dev.nimbus.protocol.model.Operation;

/** What an operation knows about the call besides its input: who, where, and which request. */
public record RequestContext(String requestId, Identity identity, String region, Operation operation) {
    public String accountId() {
        return identity.accountId();
    }

    /** arn:aws:SERVICE:REGION:ACCOUNT:RESOURCE in this request's partition. */
    public String arn(String service, String resource) {
        return "arn:aws:" + service + ":" + region + ":" + accountId() + ":" + resource;
    }

    /** For global services (IAM): no region in the ARN. */
    public String globalArn(String service, String resource) {
        return "arn:aws:" + service + "::" + accountId() + ":" + resource;
    }
}
