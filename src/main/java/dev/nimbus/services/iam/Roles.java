package dev.nimbus.services.iam;

import static dev.nimbus.protocol.Values.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.Operations;
import java.util.function.Consumer;

/** IAM roles: who can assume them (the trust policy), how long sessions last, tags. */
final class Roles {
    /** IAM's default quota on the length of a role trust policy. */
    private static final int TRUST_POLICY_QUOTA = 2048;

    private final Iam iam;

    Roles(Iam iam) {
        this.iam = iam;
    }

    void register(Operations ops) {
        ops.add("CreateRole", this::createRole)
                .add("GetRole", this::getRole)
                .add("ListRoles", this::listRoles)
                .add("UpdateRole", this::updateRole)
                .add("UpdateRoleDescription", this::updateRoleDescription)
                .add("UpdateAssumeRolePolicy", this::updateAssumeRolePolicy)
                .add("DeleteRole", this::deleteRole)
                .add("TagRole", this::tagRole)
                .add("UntagRole", this::untagRole)
                .add("ListRoleTags", this::listRoleTags);
    }

    /** Which members a response shows: CreateRole, GetRole and ListRoles each return a different subset. */
    private enum View { CREATE, GET, LIST }

    private static ObjectNode view(JsonNode r, View view) {
        ObjectNode out = Values.object();
        for (String m : new String[] {"Path", "RoleName", "RoleId", "Arn", "CreateDate", "Description"}) {
            if (r.hasNonNull(m)) out.set(m, r.get(m));
        }
        out.put("AssumeRolePolicyDocument", PolicyDocuments.urlEncode(r.get("AssumeRolePolicyDocument").asText()));
        if (view != View.CREATE) out.set("MaxSessionDuration", r.get("MaxSessionDuration"));
        if (view != View.LIST) {
            if (r.has("PermissionsBoundary")) out.set("PermissionsBoundary", r.get("PermissionsBoundary"));
            if (!r.path("Tags").isEmpty()) out.set("Tags", r.get("Tags"));
        }
        if (view == View.GET) out.set("RoleLastUsed", r.has("RoleLastUsed") ? r.get("RoleLastUsed") : Values.object());
        return out;
    }

    private static void validateTrustPolicy(String document) {
        if (document.length() > TRUST_POLICY_QUOTA) throw Iam.limitExceeded("Cannot exceed quota for ACLSizePerRole: " + TRUST_POLICY_QUOTA);
        PolicyDocuments.validate(document, PolicyDocuments.Kind.TRUST);
    }

    JsonNode createRole(RequestContext ctx, ObjectNode in) {
        String account = ctx.accountId();
        String name = text(in, "RoleName");
        String path = Values.text(in, "Path", "/");
        String trust = text(in, "AssumeRolePolicyDocument");
        validateTrustPolicy(trust);
        ObjectNode role = Values.object()
                .put("Path", path)
                .put("RoleName", name)
                .put("RoleId", Ids.uniqueId(Ids.ROLE))
                .put("Arn", Iam.arn(account, "role", path, name))
                .put("AssumeRolePolicyDocument", trust)
                .put("MaxSessionDuration", Values.integer(in, "MaxSessionDuration", 3600));
        role.set("CreateDate", Values.timestamp(Iam.now()));
        if (in.hasNonNull("Description")) role.put("Description", in.get("Description").asText());
        role.set("Tags", Iam.mergeTags(null, in.path("Tags"), "TagsPerRole"));
        iam.store.transaction(() -> {
            if (iam.role(account, name) != null) throw EntityKind.ROLE.alreadyExists(name);
            EntityPolicies.setBoundary(iam, account, EntityKind.ROLE, role, Values.text(in, "PermissionsBoundary", null));
            iam.putEntity(EntityKind.ROLE, account, role);
        });
        return Values.object().set("Role", view(role, View.CREATE));
    }

    JsonNode getRole(RequestContext ctx, ObjectNode in) {
        return Values.object().set("Role", view(iam.requireEntity(EntityKind.ROLE, ctx.accountId(), text(in, "RoleName")), View.GET));
    }

    JsonNode listRoles(RequestContext ctx, ObjectNode in) {
        String pathPrefix = Values.text(in, "PathPrefix", "/");
        return Pages.page(in, Pages.scan(iam.roles, ctx.accountId() + "/", in, e -> {
            JsonNode r = e.json();
            return r.get("Path").asText().startsWith(pathPrefix) ? view(r, View.LIST) : null;
        }), Values.object(), "Roles");
    }

    JsonNode updateRole(RequestContext ctx, ObjectNode in) {
        update(ctx, text(in, "RoleName"), role -> {
            if (in.hasNonNull("Description")) role.put("Description", in.get("Description").asText());
            if (in.hasNonNull("MaxSessionDuration")) role.put("MaxSessionDuration", in.get("MaxSessionDuration").asInt());
        });
        return Values.object();
    }

    JsonNode updateRoleDescription(RequestContext ctx, ObjectNode in) {
        ObjectNode role = update(ctx, text(in, "RoleName"), r -> r.put("Description", text(in, "Description")));
        return Values.object().set("Role", view(role, View.GET));
    }

    JsonNode updateAssumeRolePolicy(RequestContext ctx, ObjectNode in) {
        String document = text(in, "PolicyDocument");
        validateTrustPolicy(document);
        update(ctx, text(in, "RoleName"), r -> r.put("AssumeRolePolicyDocument", document));
        return null;
    }

    private ObjectNode update(RequestContext ctx, String name, Consumer<ObjectNode> change) {
        return iam.store.transaction(() -> {
            ObjectNode role = iam.requireEntity(EntityKind.ROLE, ctx.accountId(), name);
            change.accept(role);
            iam.putEntity(EntityKind.ROLE, ctx.accountId(), role);
            return role;
        });
    }

    JsonNode deleteRole(RequestContext ctx, ObjectNode in) {
        String account = ctx.accountId();
        String name = text(in, "RoleName");
        iam.store.transaction(() -> {
            ObjectNode role = iam.requireEntity(EntityKind.ROLE, account, name);
            String own = Iam.key(account, EntityKind.ROLE.lower, Iam.lower(name)) + "/";
            if (iam.attachedPolicies.count(own) > 0) throw Iam.deleteConflict("Cannot delete entity, must detach all policies first.");
            if (iam.inlinePolicies.count(own) > 0) throw Iam.deleteConflict("Cannot delete entity, must delete policies first.");
            EntityPolicies.setBoundary(iam, account, EntityKind.ROLE, role, null);
            iam.roles.delete(Iam.key(account, Iam.lower(name)));
        });
        return null;
    }

    JsonNode tagRole(RequestContext ctx, ObjectNode in) {
        update(ctx, text(in, "RoleName"), r -> r.set("Tags", Iam.mergeTags(r.get("Tags"), in.get("Tags"), "TagsPerRole")));
        return null;
    }

    JsonNode untagRole(RequestContext ctx, ObjectNode in) {
        update(ctx, text(in, "RoleName"), r -> r.set("Tags", Iam.removeTags(r.get("Tags"), in.get("TagKeys"))));
        return null;
    }

    JsonNode listRoleTags(RequestContext ctx, ObjectNode in) {
        ObjectNode role = iam.requireEntity(EntityKind.ROLE, ctx.accountId(), text(in, "RoleName"));
        return Pages.page(in, Pages.of(role.get("Tags"), in), Values.object(), "Tags");
    }
}
