package dev.nimbus.services.sts;

import static dev.nimbus.protocol.Values.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.Identity;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.AwsService;
import dev.nimbus.services.Operations;
import dev.nimbus.services.iam.Iam;
import dev.nimbus.services.iam.Ids;
import dev.nimbus.services.iam.PolicyDocuments;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.Deflater;

/**
 * AWS Security Token Service: who am I, and temporary credentials. Temporary keys (ASIA...) are
 * registered with the IAM credential registry, so any service resolves them to the session's
 * identity until they expire.
 */
public final class StsService implements AwsService {
    private static final Pattern ROLE_ARN = Pattern.compile("arn:aws:iam::(\\d{12}):role(/|/[\\u0021-\\u007E]*/)([\\w+=,.@-]+)");
    /** Sessions of a role assumed with role-session credentials (role chaining) last at most an hour. */
    private static final int ROLE_CHAINING_LIMIT = 3600;
    /** Root (account) sessions from GetSessionToken last at most an hour. */
    private static final int ROOT_SESSION_LIMIT = 3600;
    /** What 100% of PackedPolicySize stands for: session policy, policy ARNs and tags, compressed. */
    private static final int PACKED_POLICY_BYTES = 2048;

    private final Iam iam;

    public StsService(Iam iam) {
        this.iam = iam;
    }

    @Override
    public String modelName() {
        return "sts";
    }

    @Override
    public void register(Operations ops) {
        ops.add("GetCallerIdentity", this::getCallerIdentity)
                .add("AssumeRole", this::assumeRole)
                .add("GetSessionToken", this::getSessionToken)
                .add("GetAccessKeyInfo", this::getAccessKeyInfo);
    }

    JsonNode getCallerIdentity(RequestContext ctx, ObjectNode input) {
        return Values.object()
                .put("UserId", ctx.identity().userId())
                .put("Account", ctx.accountId())
                .put("Arn", ctx.identity().arn());
    }

    JsonNode assumeRole(RequestContext ctx, ObjectNode in) {
        String roleArn = text(in, "RoleArn");
        String sessionName = text(in, "RoleSessionName");
        int duration = Values.integer(in, "DurationSeconds", 3600);
        Matcher m = ROLE_ARN.matcher(roleArn);
        if (!m.matches()) throw new AwsException("ValidationError", "Request ARN is invalid", 400);
        String policy = Values.text(in, "Policy", null);
        if (policy != null) PolicyDocuments.validate(policy, PolicyDocuments.Kind.IDENTITY);
        String account = m.group(1);
        ObjectNode role = iam.role(account, m.group(3));
        // Like AWS, a role that does not exist is indistinguishable from one the caller may not assume.
        if (role == null || !role.get("Path").asText().equals(m.group(2))) {
            throw new AwsException("AccessDenied", "User: " + ctx.identity().arn() + " is not authorized to perform: sts:AssumeRole on resource: " + roleArn, 403);
        }
        if (duration > role.get("MaxSessionDuration").asInt()) {
            throw new AwsException("ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.", 400);
        }
        if (ctx.identity().arn().contains(":assumed-role/") && duration > ROLE_CHAINING_LIMIT) {
            throw new AwsException("ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.", 400);
        }
        Integer packed = policy == null && !in.has("PolicyArns") && !in.has("Tags") ? null : packedPolicySize(policy, in.get("PolicyArns"), in.get("Tags"));
        if (packed != null && packed > 100) {
            throw new AwsException("PackedPolicyTooLarge", "Packed policy consumes " + packed + "% of allotted space, please use smaller policy for session.", 400);
        }
        String roleName = role.get("RoleName").asText();
        String roleId = role.get("RoleId").asText();
        Identity session = new Identity(account, "arn:aws:sts::" + account + ":assumed-role/" + roleName + "/" + sessionName,
                roleId + ":" + sessionName, null);
        Instant expiration = Instant.now().truncatedTo(ChronoUnit.SECONDS).plusSeconds(duration);
        ObjectNode credentials = iam.store().transaction(() -> {
            iam.roleUsed(account, roleName, ctx.region());
            return iam.credentials().issueTemporary(session, expiration);
        });
        iam.credentials().refresh(credentials.get("AccessKeyId").asText());
        ObjectNode out = Values.object();
        out.set("Credentials", credentials);
        out.putObject("AssumedRoleUser").put("AssumedRoleId", session.userId()).put("Arn", session.arn());
        if (packed != null) out.put("PackedPolicySize", packed);
        if (in.hasNonNull("SourceIdentity")) out.put("SourceIdentity", in.get("SourceIdentity").asText());
        return out;
    }

    /**
     * How much of STS's allowance the session policy, policy ARNs and tags use, in percent. AWS
     * compresses them into the session token; the figure here is their deflated size against a
     * fixed allowance, which grows and overflows the same way.
     */
    static int packedPolicySize(String policy, JsonNode policyArns, JsonNode tags) {
        StringBuilder sb = new StringBuilder();
        if (policy != null) {
            try {
                sb.append(Values.JSON.readTree(policy).toString());
            } catch (java.io.IOException e) {
                sb.append(policy);
            }
        }
        if (policyArns != null) for (JsonNode a : policyArns) sb.append(a.path("arn").asText()).append(',');
        if (tags != null) for (JsonNode t : tags) sb.append(t.path("Key").asText()).append('=').append(t.path("Value").asText()).append(',');
        Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION);
        deflater.setInput(sb.toString().getBytes(StandardCharsets.UTF_8));
        deflater.finish();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[1024];
        while (!deflater.finished()) out.write(buf, 0, deflater.deflate(buf));
        deflater.end();
        return (int) Math.ceil(out.size() * 100.0 / PACKED_POLICY_BYTES);
    }

    JsonNode getSessionToken(RequestContext ctx, ObjectNode in) {
        Identity caller = ctx.identity();
        String keyId = caller.accessKeyId();
        if (caller.arn().contains(":assumed-role/")
                || keyId != null && keyId.startsWith(Ids.TEMPORARY_KEY) && iam.credentials().record(keyId) != null) {
            throw new AwsException("AccessDenied", "Cannot call GetSessionToken with session credentials", 403);
        }
        int duration = Values.integer(in, "DurationSeconds", 43200);
        if (caller.arn().endsWith(":root")) duration = Math.min(duration, ROOT_SESSION_LIMIT);
        Instant expiration = Instant.now().truncatedTo(ChronoUnit.SECONDS).plusSeconds(duration);
        ObjectNode credentials = iam.store().transaction(() -> iam.credentials().issueTemporary(caller, expiration));
        iam.credentials().refresh(credentials.get("AccessKeyId").asText());
        return Values.object().set("Credentials", credentials);
    }

    JsonNode getAccessKeyInfo(RequestContext ctx, ObjectNode in) {
        String keyId = text(in, "AccessKeyId");
        ObjectNode record = iam.credentials().record(keyId);
        return Values.object().put("Account", record != null ? record.get("Account").asText() : Identity.ofUnknownKey(keyId).accountId());
    }
}
