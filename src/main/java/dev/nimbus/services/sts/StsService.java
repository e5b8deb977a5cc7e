package dev.nimbus.services.sts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.AwsService;
import dev.nimbus.services.Operations;

/** AWS Security Token Service: who am I, and temporary credentials. */
public final class StsService implements AwsService {
    @Override
    public String modelName() {
        return "sts";
    }

    @Override
    public void register(Operations ops) {
        ops.add("GetCallerIdentity", this::getCallerIdentity);
    }

    JsonNode getCallerIdentity(RequestContext ctx, ObjectNode input) {
        return Values.object()
                .put("UserId", ctx.identity().userId())
                .put("Account", ctx.accountId())
                .put("Arn", ctx.identity().arn());
    }
}
