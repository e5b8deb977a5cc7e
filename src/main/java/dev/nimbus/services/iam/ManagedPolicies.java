package dev.nimbus.services.iam;

import static dev.nimbus.protocol.Values.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.Operations;
import dev.nimbus.store.Table;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Managed policies: customer managed ones with up to five versions, and AWS managed ones (read
 * only, in every account). Who uses a policy comes from the usage index kept by {@link EntityPolicies}.
 */
final class ManagedPolicies {
    private static final int POLICY_SIZE_QUOTA = 6144;
    private static final int VERSIONS_PER_POLICY = 5;
    private static final String[] ATTACHMENTS = {"role", "user", "group"};
    private static final String[] BOUNDARIES = {"role-boundary", "user-boundary"};

    private final Iam iam;

    ManagedPolicies(Iam iam) {
        this.iam = iam;
    }

    void register(Operations ops) {
        ops.add("CreatePolicy", this::createPolicy)
                .add("GetPolicy", this::getPolicy)
                .add("DeletePolicy", this::deletePolicy)
                .add("ListPolicies", this::listPolicies)
                .add("CreatePolicyVersion", this::createPolicyVersion)
                .add("GetPolicyVersion", this::getPolicyVersion)
                .add("ListPolicyVersions", this::listPolicyVersions)
                .add("DeletePolicyVersion", this::deletePolicyVersion)
                .add("SetDefaultPolicyVersion", this::setDefaultPolicyVersion)
                .add("ListEntitiesForPolicy", this::listEntitiesForPolicy)
                .add("TagPolicy", this::tagPolicy)
                .add("UntagPolicy", this::untagPolicy)
                .add("ListPolicyTags", this::listPolicyTags);
    }

    /** The Policy structure: counts are computed for the calling account; lists leave out Description and Tags. */
    private ObjectNode view(String account, JsonNode p, boolean full) {
        ObjectNode out = Values.object();
        for (String m : new String[] {"PolicyName", "PolicyId", "Arn", "Path", "DefaultVersionId", "IsAttachable", "CreateDate", "UpdateDate"}) {
            out.set(m, p.get(m));
        }
        String id = p.get("PolicyId").asText();
        out.put("AttachmentCount", iam.usageCount(account, id, ATTACHMENTS));
        out.put("PermissionsBoundaryUsageCount", iam.usageCount(account, id, BOUNDARIES));
        if (full) {
            if (p.hasNonNull("Description")) out.set("Description", p.get("Description"));
            if (!p.path("Tags").isEmpty()) out.set("Tags", p.get("Tags"));
        }
        return out;
    }

    private static ObjectNode versionView(JsonNode v, boolean withDocument) {
        ObjectNode out = Values.object();
        if (withDocument) out.put("Document", PolicyDocuments.urlEncode(v.get("Document").asText()));
        out.set("VersionId", v.get("VersionId"));
        out.set("IsDefaultVersion", v.get("IsDefaultVersion"));
        out.set("CreateDate", v.get("CreateDate"));
        return out;
    }

    private static void validateDocument(String document) {
        if (document.chars().filter(c -> !Character.isWhitespace(c)).count() > POLICY_SIZE_QUOTA) {
            throw Iam.limitExceeded("Cannot exceed quota for PolicySize: " + POLICY_SIZE_QUOTA);
        }
        PolicyDocuments.validate(document, PolicyDocuments.Kind.IDENTITY);
    }

    private static String tableKey(String account, JsonNode policy) {
        return Iam.key(account, Iam.lower(policy.get("PolicyName").asText()));
    }

    JsonNode createPolicy(RequestContext ctx, ObjectNode in) {
        String account = ctx.accountId();
        String name = text(in, "PolicyName");
        String path = Values.text(in, "Path", "/");
        String document = text(in, "PolicyDocument");
        validateDocument(document);
        ObjectNode policy = Values.object()
                .put("PolicyName", name)
                .put("PolicyId", Ids.uniqueId(Ids.POLICY))
                .put("Arn", Iam.arn(account, "policy", path, name))
                .put("Path", path)
                .put("DefaultVersionId", "v1")
                .put("IsAttachable", true)
                .put("NextVersion", 2);
        policy.set("CreateDate", Values.timestamp(Iam.now()));
        policy.set("UpdateDate", policy.get("CreateDate"));
        if (in.hasNonNull("Description")) policy.put("Description", in.get("Description").asText());
        policy.set("Tags", Iam.mergeTags(null, in.path("Tags"), "TagsPerPolicy"));
        ObjectNode v1 = policy.putArray("Versions").addObject().put("VersionId", "v1").put("Document", document).put("IsDefaultVersion", true);
        v1.set("CreateDate", policy.get("CreateDate"));
        iam.store.transaction(() -> {
            if (!iam.policies.putJsonIfAbsent(tableKey(account, policy), policy)) {
                throw new AwsException("EntityAlreadyExists", "A policy called " + name + " already exists. Duplicate names are not allowed.", 409);
            }
        });
        return Values.object().set("Policy", view(account, policy, true));
    }

    JsonNode getPolicy(RequestContext ctx, ObjectNode in) {
        return Values.object().set("Policy", view(ctx.accountId(), iam.requirePolicy(ctx.accountId(), text(in, "PolicyArn")), true));
    }

    /** A customer managed policy the caller may change; AWS managed ones are read only. */
    private ObjectNode requireOwnPolicy(RequestContext ctx, String arn, String action) {
        ObjectNode p = iam.requirePolicy(ctx.accountId(), arn);
        if (arn.startsWith("arn:aws:iam::" + AwsManagedPolicies.ACCOUNT + ":")) {
            throw new AwsException("AccessDenied", "User: " + ctx.identity().arn() + " is not authorized to perform: iam:" + action
                    + " on resource: policy " + arn + " because no identity-based policy allows the iam:" + action + " action", 403);
        }
        return p;
    }

    private ObjectNode updatePolicy(RequestContext ctx, String arn, String action, Consumer<ObjectNode> change) {
        return iam.store.transaction(() -> {
            ObjectNode p = requireOwnPolicy(ctx, arn, action);
            change.accept(p);
            iam.policies.putJson(tableKey(ctx.accountId(), p), p);
            return p;
        });
    }

    JsonNode deletePolicy(RequestContext ctx, ObjectNode in) {
        String arn = text(in, "PolicyArn");
        iam.store.transaction(() -> {
            ObjectNode p = requireOwnPolicy(ctx, arn, "DeletePolicy");
            String id = p.get("PolicyId").asText();
            if (iam.usageCount(ctx.accountId(), id, ATTACHMENTS) + iam.usageCount(ctx.accountId(), id, BOUNDARIES) > 0) {
                throw Iam.deleteConflict("Cannot delete a policy attached to entities.");
            }
            if (p.get("Versions").size() > 1) {
                throw Iam.deleteConflict("This policy has more than one version. Before you delete a policy, you must delete the policy's versions. "
                        + "The default version is deleted with the policy.");
            }
            iam.policies.delete(tableKey(ctx.accountId(), p));
        });
        return null;
    }

    JsonNode listPolicies(RequestContext ctx, ObjectNode in) {
        String account = ctx.accountId();
        String scope = Values.text(in, "Scope", "All");
        boolean onlyAttached = in.path("OnlyAttached").asBoolean(false);
        String usage = Values.text(in, "PolicyUsageFilter", null);
        String pathPrefix = Values.text(in, "PathPrefix", "/");
        // AWS managed ones first, then the account's own, each in name order: the sort key says which.
        List<Pages.Item> items = new ArrayList<>();
        if (!scope.equals("Local")) {
            for (ObjectNode p : iam.awsPolicies.all()) items.add(new Pages.Item("a/" + Iam.lower(p.get("PolicyName").asText()), p));
        }
        if (!scope.equals("AWS")) {
            for (Table.Entry e : iam.policies.scan(account + "/", null, Integer.MAX_VALUE)) {
                items.add(new Pages.Item("l/" + e.key().substring(account.length() + 1), e.json()));
            }
        }
        items.sort(Comparator.comparing(Pages.Item::key));
        List<Pages.Item> shown = new ArrayList<>();
        for (Pages.Item i : items) {
            ObjectNode v = view(account, i.value(), false);
            if (!v.get("Path").asText().startsWith(pathPrefix)) continue;
            long attached = v.get("AttachmentCount").asLong();
            long boundaries = v.get("PermissionsBoundaryUsageCount").asLong();
            if ("PermissionsBoundary".equals(usage) && boundaries == 0) continue;
            if (onlyAttached && !"PermissionsBoundary".equals(usage) && attached == 0) continue;
            shown.add(new Pages.Item(i.key(), v));
        }
        return Pages.page(in, Pages.of(shown, in), Values.object(), "Policies");
    }

    private static ObjectNode version(JsonNode policy, String arn, String versionId) {
        for (JsonNode v : policy.get("Versions")) if (v.get("VersionId").asText().equals(versionId)) return (ObjectNode) v;
        throw Iam.noSuchEntity("Policy " + arn + " version " + versionId + " does not exist or is not attachable.");
    }

    private static void makeDefault(ObjectNode policy, String versionId) {
        for (JsonNode v : policy.get("Versions")) ((ObjectNode) v).put("IsDefaultVersion", v.get("VersionId").asText().equals(versionId));
        policy.put("DefaultVersionId", versionId);
        policy.set("UpdateDate", Values.timestamp(Iam.now()));
    }

    JsonNode createPolicyVersion(RequestContext ctx, ObjectNode in) {
        String arn = text(in, "PolicyArn");
        String document = text(in, "PolicyDocument");
        boolean setAsDefault = in.path("SetAsDefault").asBoolean(false);
        validateDocument(document);
        ObjectNode[] created = new ObjectNode[1];
        updatePolicy(ctx, arn, "CreatePolicyVersion", p -> {
            ArrayNode versions = (ArrayNode) p.get("Versions");
            if (versions.size() >= VERSIONS_PER_POLICY) {
                throw Iam.limitExceeded("A managed policy can have up to " + VERSIONS_PER_POLICY
                        + " versions. Before you create a new version, you must delete an existing version.");
            }
            int n = p.get("NextVersion").asInt();
            created[0] = versions.addObject().put("VersionId", "v" + n).put("Document", document).put("IsDefaultVersion", false);
            created[0].set("CreateDate", Values.timestamp(Iam.now()));
            p.put("NextVersion", n + 1);
            if (setAsDefault) makeDefault(p, "v" + n);
        });
        return Values.object().set("PolicyVersion", versionView(created[0], false));
    }

    JsonNode getPolicyVersion(RequestContext ctx, ObjectNode in) {
        String arn = text(in, "PolicyArn");
        ObjectNode p = iam.requirePolicy(ctx.accountId(), arn);
        return Values.object().set("PolicyVersion", versionView(version(p, arn, text(in, "VersionId")), true));
    }

    JsonNode listPolicyVersions(RequestContext ctx, ObjectNode in) {
        ObjectNode p = iam.requirePolicy(ctx.accountId(), text(in, "PolicyArn"));
        // Newest first, as IAM lists them.
        List<Pages.Item> items = new ArrayList<>();
        JsonNode versions = p.get("Versions");
        for (int i = versions.size() - 1; i >= 0; i--) items.add(new Pages.Item(String.format("%05d", versions.size() - 1 - i), versionView(versions.get(i), false)));
        return Pages.page(in, Pages.of(items, in), Values.object(), "Versions");
    }

    JsonNode deletePolicyVersion(RequestContext ctx, ObjectNode in) {
        String arn = text(in, "PolicyArn");
        String versionId = text(in, "VersionId");
        updatePolicy(ctx, arn, "DeletePolicyVersion", p -> {
            ObjectNode v = version(p, arn, versionId);
            if (v.get("IsDefaultVersion").asBoolean()) throw Iam.deleteConflict("Cannot delete the default version of a policy.");
            ArrayNode versions = (ArrayNode) p.get("Versions");
            for (int i = 0; i < versions.size(); i++) if (versions.get(i) == v) versions.remove(i);
        });
        return null;
    }

    JsonNode setDefaultPolicyVersion(RequestContext ctx, ObjectNode in) {
        String arn = text(in, "PolicyArn");
        String versionId = text(in, "VersionId");
        updatePolicy(ctx, arn, "SetDefaultPolicyVersion", p -> {
            version(p, arn, versionId);
            makeDefault(p, versionId);
        });
        return null;
    }

    JsonNode listEntitiesForPolicy(RequestContext ctx, ObjectNode in) {
        String account = ctx.accountId();
        JsonNode policy = iam.requirePolicy(account, text(in, "PolicyArn"));
        String filter = Values.text(in, "EntityFilter", null);
        String usage = Values.text(in, "PolicyUsageFilter", null);
        String pathPrefix = Values.text(in, "PathPrefix", "/");
        ObjectNode page = Pages.page(in, Pages.scan(iam.policyUsage, Iam.key(account, policy.get("PolicyId").asText()) + "/", in, e -> {
            JsonNode u = e.json();
            boolean boundary = e.key().contains("-boundary/");
            if ("PermissionsPolicy".equals(usage) && boundary || "PermissionsBoundary".equals(usage) && !boundary) return null;
            EntityKind kind = EntityKind.valueOf(u.get("Kind").asText().toUpperCase(Locale.ROOT));
            if (filter != null && !filter.equals(kind.title)) return null;
            JsonNode entity = iam.entity(kind, account, u.get("Name").asText());
            if (entity == null || !entity.get("Path").asText().startsWith(pathPrefix)) return null;
            return Values.object().put("Kind", kind.title)
                    .put(kind.nameMember(), entity.get(kind.nameMember()).asText())
                    .put(kind.idMember(), entity.get(kind.idMember()).asText());
        }), Values.object(), "Entities");
        ObjectNode out = Values.object();
        ArrayNode groups = out.putArray("PolicyGroups");
        ArrayNode users = out.putArray("PolicyUsers");
        ArrayNode roles = out.putArray("PolicyRoles");
        for (JsonNode e : page.get("Entities")) {
            String kind = ((ObjectNode) e).remove("Kind").asText();
            (kind.equals("Group") ? groups : kind.equals("User") ? users : roles).add(e);
        }
        out.set("IsTruncated", page.get("IsTruncated"));
        if (page.has("Marker")) out.set("Marker", page.get("Marker"));
        return out;
    }

    JsonNode tagPolicy(RequestContext ctx, ObjectNode in) {
        updatePolicy(ctx, text(in, "PolicyArn"), "TagPolicy", p -> p.set("Tags", Iam.mergeTags(p.get("Tags"), in.get("Tags"), "TagsPerPolicy")));
        return null;
    }

    JsonNode untagPolicy(RequestContext ctx, ObjectNode in) {
        updatePolicy(ctx, text(in, "PolicyArn"), "UntagPolicy", p -> p.set("Tags", Iam.removeTags(p.get("Tags"), in.get("TagKeys"))));
        return null;
    }

    JsonNode listPolicyTags(RequestContext ctx, ObjectNode in) {
        ObjectNode p = iam.requirePolicy(ctx.accountId(), text(in, "PolicyArn"));
        return Pages.page(in, Pages.of(p.get("Tags"), in), Values.object(), "Tags");
    }
}
