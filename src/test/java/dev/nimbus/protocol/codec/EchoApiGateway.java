package dev.nimbus.protocol.codec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.AwsService;
import dev.nimbus.services.Operations;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * Test-only API Gateway operations (v1 and v2) that echo their input: v2's camelCase JSON names,
 * v1's query maps, query lists and blob payload with its own Content-Type.
 */
final class EchoApiGateway {
    private EchoApiGateway() {}

    static final Instant CREATED = Instant.parse("2024-05-01T12:30:45.250Z");

    static final class V1 implements AwsService {
        @Override
        public String modelName() {
            return "apigateway";
        }

        @Override
        public void register(Operations ops) {
            ops.add("GetExport", V1::getExport);
            ops.add("GetRestApis", (ctx, in) -> {
                ObjectNode out = Values.object();
                int limit = Values.integer(in, "limit", 1);
                for (int i = 0; i < limit; i++) out.withArray("items").addObject().put("id", "api" + i).put("name", "n" + i);
                return out.put("position", "next");
            });
            ops.add("GetDeployment", (ctx, in) -> Values.object()
                    .put("id", Values.text(in, "deploymentId"))
                    .put("description", in.path("embed").toString())
                    .set("createdDate", Values.timestamp(CREATED)));
        }

        private static JsonNode getExport(RequestContext ctx, ObjectNode in) {
            String body = "{\"api\":\"" + Values.text(in, "restApiId") + "\",\"stage\":\"" + Values.text(in, "stageName")
                    + "\",\"type\":\"" + Values.text(in, "exportType") + "\",\"parameters\":" + in.path("parameters") + "}";
            return Values.object()
                    .put("contentType", Values.text(in, "accepts", "application/json"))
                    .put("contentDisposition", "attachment; filename=\"export.json\"")
                    .set("body", Values.NODES.binaryNode(body.getBytes(StandardCharsets.UTF_8)));
        }
    }
}
