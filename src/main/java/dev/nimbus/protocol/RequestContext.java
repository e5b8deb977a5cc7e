package dev.nimbus.protocol;

import dev.nimbus.protocol.model.Operation;
import java.util.function.Supplier;

/**
 * What an operation knows about the call besides its input: who, where, which request, and from
 * which address (looked up only when asked: few operations need it).
 */
public record RequestContext(String requestId, Identity identity, String region, Operation operation, Supplier<String> sourceIpLookup) {
    /** A call Nimbus makes itself or whose client address is not known. */
    public RequestContext(String requestId, Identity identity, String region, Operation operation) {
        this(requestId, identity, region, operation, () -> null);
    }

    /** The client's IP address, or null when not known. */
    public String sourceIp() {
        return sourceIpLookup.get();
    }

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
