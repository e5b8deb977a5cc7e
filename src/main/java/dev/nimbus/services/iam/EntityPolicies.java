package dev.nimbus.services.iam;

import static dev.nimbus.protocol.Values.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.Operations;
import dev.nimbus.store.Table;

/**
 * The policies of roles, users and groups, the same operations for each kind: inline policies
 * (Put/Get/Delete/List{Kind}Policy) and attached managed policies (Attach/Detach/ListAttached),
 * plus permissions boundaries. Attachments are indexed both ways so that a policy knows who uses it.
 */
final class EntityPolicies {
    private final Iam iam;

    EntityPolicies(Iam iam) {
        this.iam = iam;
    }

    void register(Operations ops) {
        for (EntityKind k : EntityKind.values()) {
            ops.add("Put" + k.title + "Policy", (ctx, in) -> putInline(k, ctx, in))
                    .add("Get" + k.title + "Policy", (ctx, in) -> getInline(k, ctx, in))
                    .add("Delete" + k.title + "Policy", (ctx, in) -> deleteInline(k, ctx, in))
                    .add("List" + k.title + "Policies", (ctx, in) -> listInline(k, ctx, in))
                    .add("Attach" + k.title + "Policy", (ctx, in) -> attach(k, ctx, in))
                    .add("Detach" + k.title + "Policy", (ctx, in) -> detach(k, ctx, in))
                    .add("ListAttached" + k.title + "Policies", (ctx, in) -> listAttached(k, ctx, in));
        }
    }

    /** Key prefix of everything one entity owns in the inline and attached tables. */
    static String own(String account, EntityKind kind, String name) {
        return Iam.key(account, kind.lower, Iam.lower(name)) + "/";
    }

    JsonNode putInline(EntityKind kind, RequestContext ctx, ObjectNode in) {
        String account = ctx.accountId();
        String name = text(in, kind.nameMember());
        String policyName = text(in, "PolicyName");
        String document = text(in, "PolicyDocument");
        PolicyDocuments.validate(document, PolicyDocuments.Kind.IDENTITY);
        iam.store.transaction(() -> {
            iam.requireEntity(kind, account, name);
            String prefix = own(account, kind, name);
            String key = prefix + Iam.lower(policyName);
            // The quota counts all of an entity's inline policies together, without white space.
            long total = sizeWithoutWhitespace(document);
            for (Table.Entry e : iam.inlinePolicies.scan(prefix, null, Integer.MAX_VALUE)) {
                if (!e.key().equals(key)) total += sizeWithoutWhitespace(e.json().get("PolicyDocument").asText());
            }
            if (total > kind.inlinePolicyQuota) {
                throw Iam.limitExceeded("Maximum policy size of " + kind.inlinePolicyQuota + " bytes exceeded for " + kind.lower + " " + name);
            }
            iam.inlinePolicies.putJson(key, Values.object().put("PolicyName", policyName).put("PolicyDocument", document));
        });
        return null;
    }

    private static long sizeWithoutWhitespace(String s) {
        return s.chars().filter(c -> !Character.isWhitespace(c)).count();
    }

    JsonNode getInline(EntityKind kind, RequestContext ctx, ObjectNode in) {
        String name = text(in, kind.nameMember());
        String policyName = text(in, "PolicyName");
        ObjectNode entity = iam.requireEntity(kind, ctx.accountId(), name);
        JsonNode p = iam.inlinePolicies.getJson(own(ctx.accountId(), kind, name) + Iam.lower(policyName));
        if (p == null) throw kind.noSuchInlinePolicy(policyName);
        return Values.object()
                .put(kind.nameMember(), entity.get(kind.nameMember()).asText())
                .put("PolicyName", p.get("PolicyName").asText())
                .put("PolicyDocument", PolicyDocuments.urlEncode(p.get("PolicyDocument").asText()));
    }

    JsonNode deleteInline(EntityKind kind, RequestContext ctx, ObjectNode in) {
        String name = text(in, kind.nameMember());
        String policyName = text(in, "PolicyName");
        iam.store.transaction(() -> {
            iam.requireEntity(kind, ctx.accountId(), name);
            if (!iam.inlinePolicies.delete(own(ctx.accountId(), kind, name) + Iam.lower(policyName))) throw kind.noSuchInlinePolicy(policyName);
        });
        return null;
    }

    JsonNode listInline(EntityKind kind, RequestContext ctx, ObjectNode in) {
        String name = text(in, kind.nameMember());
        iam.requireEntity(kind, ctx.accountId(), name);
        return Pages.page(in, Pages.scan(iam.inlinePolicies, own(ctx.accountId(), kind, name), in,
                e -> e.json().get("PolicyName")), Values.object(), "PolicyNames");
    }

    JsonNode attach(EntityKind kind, RequestContext ctx, ObjectNode in) {
        String account = ctx.accountId();
        String name = text(in, kind.nameMember());
        String arn = text(in, "PolicyArn");
        iam.store.transaction(() -> {
            ObjectNode entity = iam.requireEntity(kind, account, name);
            ObjectNode policy = iam.policy(account, arn);
            if (policy == null) throw Iam.noSuchEntity("Policy " + arn + " does not exist or is not attachable.");
            String prefix = own(account, kind, name);
            if (iam.attachedPolicies.get(prefix + arn) != null) return;
            if (iam.attachedPolicies.count(prefix) >= kind.attachedPolicyQuota()) {
                throw Iam.limitExceeded("Cannot exceed quota for PoliciesPer" + kind.title + ": " + kind.attachedPolicyQuota());
            }
            String policyId = policy.get("PolicyId").asText();
            iam.attachedPolicies.putJson(prefix + arn, Values.object()
                    .put("PolicyName", policy.get("PolicyName").asText()).put("PolicyArn", arn).put("PolicyId", policyId));
            iam.policyUsage.putJson(Iam.usageKey(account, policyId, kind.lower, name), usage(kind, entity));
        });
        return null;
    }

    JsonNode detach(EntityKind kind, RequestContext ctx, ObjectNode in) {
        String account = ctx.accountId();
        String name = text(in, kind.nameMember());
        String arn = text(in, "PolicyArn");
        iam.store.transaction(() -> {
            iam.requireEntity(kind, account, name);
            String key = own(account, kind, name) + arn;
            JsonNode attached = iam.attachedPolicies.getJson(key);
            if (attached == null) throw Iam.noSuchEntity("Policy " + arn + " was not found.");
            iam.attachedPolicies.delete(key);
            iam.policyUsage.delete(Iam.usageKey(account, attached.get("PolicyId").asText(), kind.lower, name));
        });
        return null;
    }

    JsonNode listAttached(EntityKind kind, RequestContext ctx, ObjectNode in) {
        String name = text(in, kind.nameMember());
        iam.requireEntity(kind, ctx.accountId(), name);
        String pathPrefix = Values.text(in, "PathPrefix", "/");
        return Pages.page(in, Pages.scan(iam.attachedPolicies, own(ctx.accountId(), kind, name), in, e -> {
            JsonNode a = e.json();
            if (!Iam.parsePolicyArn(a.get("PolicyArn").asText()).path().startsWith(pathPrefix)) return null;
            return Values.object().put("PolicyName", a.get("PolicyName").asText()).put("PolicyArn", a.get("PolicyArn").asText());
        }), Values.object(), "AttachedPolicies");
    }

    /** What the reverse index records about an entity using a policy (ListEntitiesForPolicy shows it). */
    static ObjectNode usage(EntityKind kind, JsonNode entity) {
        return Values.object()
                .put("Kind", kind.lower)
                .put("Name", entity.get(kind.nameMember()).asText())
                .put("Id", entity.get(kind.idMember()).asText());
    }

    /**
     * Sets (or with a null ARN removes) an entity's permissions boundary, keeping the policy's usage
     * index in step. The caller stores the entity; call inside its transaction.
     */
    static void setBoundary(Iam iam, String account, EntityKind kind, ObjectNode entity, String arn) {
        String name = entity.get(kind.nameMember()).asText();
        String usage = kind.lower + "-boundary";
        JsonNode old = entity.remove("PermissionsBoundary");
        if (old != null) {
            ObjectNode p = iam.policy(account, old.get("PermissionsBoundaryArn").asText());
            if (p != null) iam.policyUsage.delete(Iam.usageKey(account, p.get("PolicyId").asText(), usage, name));
        }
        if (arn == null) return;
        ObjectNode p = iam.policy(account, arn);
        if (p == null) throw Iam.noSuchEntity("Scope ARN: " + arn + " does not exist or is not attachable.");
        entity.putObject("PermissionsBoundary").put("PermissionsBoundaryType", "PermissionsBoundaryPolicy").put("PermissionsBoundaryArn", arn);
        iam.policyUsage.putJson(Iam.usageKey(account, p.get("PolicyId").asText(), usage, name), usage(kind, entity));
    }
}
