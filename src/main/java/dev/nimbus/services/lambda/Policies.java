package dev.nimbus.services.lambda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.Operations;
import dev.nimbus.services.lambda.LambdaService.Ref;
import dev.nimbus.store.Store;
import dev.nimbus.store.Table;
import java.util.UUID;

/**
 * Resource-based policies of functions (AddPermission, RemovePermission, GetPolicy): one policy per
 * function, version or alias, stored and returned as AWS writes them; nothing enforces them yet.
 * Table {@code lambda.policies}, key account/region/function/qualifier (empty for the unqualified
 * function), value {RevisionId, Statement: [...]}.
 */
final class Policies {
    static final String TABLE = "lambda.policies";

    private final Versions versions;
    private final LambdaService lambda;
    private final Store store;
    private final Table policies;

    Policies(Versions versions, LambdaService lambda, Store store) {
        this.versions = versions;
        this.lambda = lambda;
        this.store = store;
        this.policies = store.table(TABLE);
    }

    void register(Operations ops) {
        ops.add("AddPermission", this::addPermission)
                .add("RemovePermission", this::removePermission)
                .add("GetPolicy", this::getPolicy);
    }

    JsonNode addPermission(RequestContext ctx, ObjectNode in) {
        Target target = target(ctx, in);
        ObjectNode statement = statement(ctx, in, target.arn());
        String sid = statement.get("Sid").asText();
        store.transaction(() -> {
            ObjectNode policy = (ObjectNode) policies.getJson(target.key());
            if (policy == null) policy = Values.object();
            checkRevision(in, policy);
            ArrayNode statements = policy.withArray("Statement");
            for (JsonNode s : statements) {
                if (s.get("Sid").asText().equals(sid)) throw conflict(sid);
            }
            statements.add(statement);
            policy.put("RevisionId", UUID.randomUUID().toString());
            policies.putJson(target.key(), policy);
        });
        return Values.object().put("Statement", statement.toString());
    }

    JsonNode removePermission(RequestContext ctx, ObjectNode in) {
        Target target = target(ctx, in);
        String sid = Values.text(in, "StatementId");
        store.transaction(() -> {
            ObjectNode policy = (ObjectNode) policies.getJson(target.key());
            if (policy == null) throw noSuchStatement(sid);
            checkRevision(in, policy);
            ArrayNode statements = policy.withArray("Statement");
            if (!remove(statements, sid)) throw noSuchStatement(sid);
            // The last statement gone, the policy is gone: GetPolicy answers not found as AWS does.
            if (statements.isEmpty()) {
                policies.delete(target.key());
            } else {
                policy.put("RevisionId", UUID.randomUUID().toString());
                policies.putJson(target.key(), policy);
            }
        });
        return Values.object().put("StatusCode", 204);
    }

    JsonNode getPolicy(RequestContext ctx, ObjectNode in) {
        JsonNode policy = policies.getJson(target(ctx, in).key());
        if (policy == null) throw notFound();
        return Values.object().put("Policy", document(policy).toString()).put("RevisionId", policy.get("RevisionId").asText());
    }

    /** The policy of a version or alias that goes away. */
    void delete(RequestContext ctx, String function, String qualifier) {
        policies.delete(LambdaService.key(ctx, function) + "/" + qualifier);
    }

    void deleteAll(RequestContext ctx, String function) {
        for (Table.Entry e : policies.scan(LambdaService.key(ctx, function) + "/", null, Integer.MAX_VALUE)) policies.delete(e.key());
    }

    /** The IAM policy document AWS returns: statements under version 2012-10-17, Id "default". */
    static ObjectNode document(JsonNode policy) {
        ObjectNode doc = Values.object().put("Version", "2012-10-17").put("Id", "default");
        doc.set("Statement", policy.get("Statement"));
        return doc;
    }

    /**
     * A statement as AWS writes it for AddPermission: an account id becomes its root ARN, a service
     * name a Service principal, and each source restriction a condition.
     */
    static ObjectNode statement(RequestContext ctx, ObjectNode in, String resource) {
        ObjectNode s = Values.object();
        s.put("Sid", Values.text(in, "StatementId"));
        s.put("Effect", "Allow");
        String principal = Values.text(in, "Principal");
        if (principal.equals("*")) s.put("Principal", "*");
        else if (principal.matches("\\d{12}")) s.putObject("Principal").put("AWS", "arn:aws:iam::" + principal + ":root");
        else if (principal.startsWith("arn:")) s.putObject("Principal").put("AWS", principal);
        else s.putObject("Principal").put("Service", principal);
        s.put("Action", Values.text(in, "Action"));
        s.put("Resource", resource);
        ObjectNode condition = Values.object();
        ObjectNode equals = Values.object();
        if (in.hasNonNull("SourceAccount")) equals.put("AWS:SourceAccount", in.get("SourceAccount").asText());
        if (in.hasNonNull("EventSourceToken")) equals.put("lambda:EventSourceToken", in.get("EventSourceToken").asText());
        if (in.hasNonNull("PrincipalOrgID")) equals.put("aws:PrincipalOrgID", in.get("PrincipalOrgID").asText());
        if (in.hasNonNull("FunctionUrlAuthType")) equals.put("lambda:FunctionUrlAuthType", in.get("FunctionUrlAuthType").asText());
        if (!equals.isEmpty()) condition.set("StringEquals", equals);
        if (in.hasNonNull("SourceArn")) condition.putObject("ArnLike").put("AWS:SourceArn", in.get("SourceArn").asText());
        if (!condition.isEmpty()) s.set("Condition", condition);
        return s;
    }

    static boolean remove(ArrayNode statements, String sid) {
        for (int i = 0; i < statements.size(); i++) {
            if (statements.get(i).get("Sid").asText().equals(sid)) {
                statements.remove(i);
                return true;
            }
        }
        return false;
    }

    static void checkRevision(ObjectNode in, JsonNode policy) {
        String expected = Values.text(in, "RevisionId", null);
        if (expected != null && !expected.equals(policy.path("RevisionId").asText())) {
            throw new AwsException("PreconditionFailedException",
                    "The Revision Id provided does not match the latest Revision Id. Call the GetPolicy API to retrieve the latest Revision Id", 412);
        }
    }

    static AwsException conflict(String sid) {
        return new AwsException("ResourceConflictException",
                "The statement id (" + sid + ") provided already exists. Please provide a new statement id, or remove the existing statement.", 409);
    }

    static AwsException noSuchStatement(String sid) {
        return new AwsException("ResourceNotFoundException", "Statement " + sid + " is not found in resource policy.", 404);
    }

    static AwsException notFound() {
        return new AwsException("ResourceNotFoundException", "The resource you requested does not exist.", 404);
    }

    private record Target(String key, String arn) {}

    /** The function, version or alias a request names; it must exist. */
    private Target target(RequestContext ctx, ObjectNode in) {
        Ref ref = LambdaService.ref(ctx, Values.text(in, "FunctionName"));
        String qualifier = Values.text(in, "Qualifier", ref.qualifier());
        ObjectNode function = lambda.load(ctx, ref);
        versions.resolve(ctx, ref, function, qualifier, false);
        String arn = function.get("Configuration").get("FunctionArn").asText() + (qualifier == null ? "" : ":" + qualifier);
        return new Target(LambdaService.key(ctx, ref.name()) + "/" + (qualifier == null ? "" : qualifier), arn);
    }
}
