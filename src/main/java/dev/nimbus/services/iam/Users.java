package dev.nimbus.services.iam;

import static dev.nimbus.protocol.Values.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.Operations;
import dev.nimbus.store.Table;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/** IAM users, their tags and their access keys (whose identities the {@link CredentialRegistry} resolves). */
final class Users {
    private static final int ACCESS_KEYS_PER_USER = 2;

    private final Iam iam;

    Users(Iam iam) {
        this.iam = iam;
    }

    void register(Operations ops) {
        ops.add("CreateUser", this::createUser)
                .add("GetUser", this::getUser)
                .add("ListUsers", this::listUsers)
                .add("UpdateUser", this::updateUser)
                .add("DeleteUser", this::deleteUser)
                .add("TagUser", this::tagUser)
                .add("UntagUser", this::untagUser)
                .add("ListUserTags", this::listUserTags)
                .add("CreateAccessKey", this::createAccessKey)
                .add("ListAccessKeys", this::listAccessKeys)
                .add("UpdateAccessKey", this::updateAccessKey)
                .add("DeleteAccessKey", this::deleteAccessKey)
                .add("GetAccessKeyLastUsed", this::getAccessKeyLastUsed);
    }

    /** The User members of a list entry (ListUsers, GetGroup); the single-user responses add tags and boundary. */
    static ObjectNode view(JsonNode u, boolean full) {
        ObjectNode out = Values.object();
        for (String m : new String[] {"Path", "UserName", "UserId", "Arn", "CreateDate"}) out.set(m, u.get(m));
        if (full) {
            if (u.has("PermissionsBoundary")) out.set("PermissionsBoundary", u.get("PermissionsBoundary"));
            if (!u.path("Tags").isEmpty()) out.set("Tags", u.get("Tags"));
        }
        return out;
    }

    /** UserName from the input, or the calling user's when it is omitted (as IAM does for user credentials). */
    private static String userName(RequestContext ctx, ObjectNode in) {
        String name = Values.text(in, "UserName", null);
        if (name == null) name = Iam.callerUserName(ctx);
        if (name == null) throw Iam.validationError("Must specify userName when calling with non-User credentials");
        return name;
    }

    JsonNode createUser(RequestContext ctx, ObjectNode in) {
        String account = ctx.accountId();
        String name = text(in, "UserName");
        String path = Values.text(in, "Path", "/");
        ObjectNode user = Values.object()
                .put("Path", path)
                .put("UserName", name)
                .put("UserId", Ids.uniqueId(Ids.USER))
                .put("Arn", Iam.arn(account, "user", path, name));
        user.set("CreateDate", Values.timestamp(Iam.now()));
        user.set("Tags", Iam.mergeTags(null, in.path("Tags"), "TagsPerUser"));
        iam.store.transaction(() -> {
            if (iam.entity(EntityKind.USER, account, name) != null) throw EntityKind.USER.alreadyExists(name);
            EntityPolicies.setBoundary(iam, account, EntityKind.USER, user, Values.text(in, "PermissionsBoundary", null));
            iam.putEntity(EntityKind.USER, account, user);
        });
        return Values.object().set("User", view(user, true));
    }

    JsonNode getUser(RequestContext ctx, ObjectNode in) {
        return Values.object().set("User", view(iam.requireEntity(EntityKind.USER, ctx.accountId(), userName(ctx, in)), true));
    }

    JsonNode listUsers(RequestContext ctx, ObjectNode in) {
        String pathPrefix = Values.text(in, "PathPrefix", "/");
        return Pages.page(in, Pages.scan(iam.users, ctx.accountId() + "/", in, e -> {
            JsonNode u = e.json();
            return u.get("Path").asText().startsWith(pathPrefix) ? view(u, false) : null;
        }), Values.object(), "Users");
    }

    /**
     * Renames a user and/or changes its path: its ARN changes, so everything keyed by its name
     * moves and the identities of its access keys follow.
     */
    JsonNode updateUser(RequestContext ctx, ObjectNode in) {
        String account = ctx.accountId();
        String name = text(in, "UserName");
        List<String> keyIds = iam.store.transaction(() -> {
            ObjectNode user = iam.requireEntity(EntityKind.USER, account, name);
            String newName = Values.text(in, "NewUserName", user.get("UserName").asText());
            String newPath = Values.text(in, "NewPath", user.get("Path").asText());
            if (!Iam.lower(newName).equals(Iam.lower(name)) && iam.entity(EntityKind.USER, account, newName) != null) {
                throw EntityKind.USER.alreadyExists(newName);
            }
            ObjectNode renamed = user.deepCopy().put("UserName", newName).put("Path", newPath).put("Arn", Iam.arn(account, "user", newPath, newName));
            iam.users.delete(Iam.key(account, Iam.lower(name)));
            iam.putEntity(EntityKind.USER, account, renamed);
            String oldOwn = EntityPolicies.own(account, EntityKind.USER, name);
            String newOwn = EntityPolicies.own(account, EntityKind.USER, newName);
            move(iam.inlinePolicies, oldOwn, newOwn, UnaryOperator.identity());
            for (Table.Entry e : move(iam.attachedPolicies, oldOwn, newOwn, UnaryOperator.identity())) {
                String policyId = e.json().get("PolicyId").asText();
                iam.policyUsage.delete(Iam.usageKey(account, policyId, "user", name));
                iam.policyUsage.putJson(Iam.usageKey(account, policyId, "user", newName), EntityPolicies.usage(EntityKind.USER, renamed));
            }
            if (user.has("PermissionsBoundary")) {
                String policyId = iam.policy(account, user.get("PermissionsBoundary").get("PermissionsBoundaryArn").asText()).get("PolicyId").asText();
                iam.policyUsage.delete(Iam.usageKey(account, policyId, "user-boundary", name));
                iam.policyUsage.putJson(Iam.usageKey(account, policyId, "user-boundary", newName), EntityPolicies.usage(EntityKind.USER, renamed));
            }
            for (Table.Entry e : move(iam.userGroups, Iam.key(account, Iam.lower(name)) + "/", Iam.key(account, Iam.lower(newName)) + "/", UnaryOperator.identity())) {
                String group = e.key().substring(e.key().lastIndexOf('/') + 1);
                iam.groupMembers.delete(Iam.key(account, group, Iam.lower(name)));
                iam.groupMembers.putJson(Iam.key(account, group, Iam.lower(newName)), Values.object());
            }
            List<String> ids = new ArrayList<>();
            for (Table.Entry e : move(iam.accessKeys, Iam.key(account, Iam.lower(name)) + "/", Iam.key(account, Iam.lower(newName)) + "/",
                    v -> ((ObjectNode) v).put("UserName", newName))) {
                String keyId = e.json().get("AccessKeyId").asText();
                ObjectNode cred = iam.credentials.record(keyId);
                iam.credentials.put(keyId, cred.put("Arn", renamed.get("Arn").asText()).put("UserName", newName));
                ids.add(keyId);
            }
            return ids;
        });
        iam.credentials.refresh(keyIds.toArray(String[]::new));
        return null;
    }

    /** Moves every entry under one key prefix to another (values transformed); returns the old entries. */
    private static List<Table.Entry> move(Table table, String from, String to, UnaryOperator<JsonNode> transform) {
        List<Table.Entry> entries = table.scan(from, null, Integer.MAX_VALUE);
        for (Table.Entry e : entries) table.delete(e.key());
        for (Table.Entry e : entries) table.putJson(to + e.key().substring(from.length()), transform.apply(e.json()));
        return entries;
    }

    JsonNode deleteUser(RequestContext ctx, ObjectNode in) {
        String account = ctx.accountId();
        String name = text(in, "UserName");
        iam.store.transaction(() -> {
            ObjectNode user = iam.requireEntity(EntityKind.USER, account, name);
            String own = EntityPolicies.own(account, EntityKind.USER, name);
            String byName = Iam.key(account, Iam.lower(name)) + "/";
            if (iam.accessKeys.count(byName) > 0) throw Iam.deleteConflict("Cannot delete entity, must delete access keys first.");
            if (iam.userGroups.count(byName) > 0) throw Iam.deleteConflict("Cannot delete entity, must remove users from group first.");
            if (iam.attachedPolicies.count(own) > 0) throw Iam.deleteConflict("Cannot delete entity, must detach all policies first.");
            if (iam.inlinePolicies.count(own) > 0) throw Iam.deleteConflict("Cannot delete entity, must delete policies first.");
            EntityPolicies.setBoundary(iam, account, EntityKind.USER, user, null);
            iam.users.delete(Iam.key(account, Iam.lower(name)));
        });
        return null;
    }

    private void updateTags(RequestContext ctx, String name, UnaryOperator<JsonNode> change) {
        iam.store.transaction(() -> {
            ObjectNode user = iam.requireEntity(EntityKind.USER, ctx.accountId(), name);
            user.set("Tags", change.apply(user.get("Tags")));
            iam.putEntity(EntityKind.USER, ctx.accountId(), user);
        });
    }

    JsonNode tagUser(RequestContext ctx, ObjectNode in) {
        updateTags(ctx, text(in, "UserName"), tags -> Iam.mergeTags(tags, in.get("Tags"), "TagsPerUser"));
        return null;
    }

    JsonNode untagUser(RequestContext ctx, ObjectNode in) {
        updateTags(ctx, text(in, "UserName"), tags -> Iam.removeTags(tags, in.get("TagKeys")));
        return null;
    }

    JsonNode listUserTags(RequestContext ctx, ObjectNode in) {
        ObjectNode user = iam.requireEntity(EntityKind.USER, ctx.accountId(), text(in, "UserName"));
        return Pages.page(in, Pages.of(user.get("Tags"), in), Values.object(), "Tags");
    }

    // Access keys

    JsonNode createAccessKey(RequestContext ctx, ObjectNode in) {
        String account = ctx.accountId();
        String name = userName(ctx, in);
        String keyId = Ids.accessKeyId(Ids.LONG_TERM_KEY);
        String secret = Ids.secretAccessKey();
        ObjectNode key = iam.store.transaction(() -> {
            ObjectNode user = iam.requireEntity(EntityKind.USER, account, name);
            String byUser = Iam.key(account, Iam.lower(name)) + "/";
            if (iam.accessKeys.count(byUser) >= ACCESS_KEYS_PER_USER) {
                throw Iam.limitExceeded("Cannot exceed quota for AccessKeysPerUser: " + ACCESS_KEYS_PER_USER);
            }
            ObjectNode metadata = Values.object()
                    .put("UserName", user.get("UserName").asText())
                    .put("AccessKeyId", keyId)
                    .put("Status", "Active");
            metadata.set("CreateDate", Values.timestamp(Iam.now()));
            iam.accessKeys.putJson(byUser + keyId, metadata);
            iam.credentials.put(keyId, Values.object()
                    .put("Account", account)
                    .put("Arn", user.get("Arn").asText())
                    .put("UserId", user.get("UserId").asText())
                    .put("UserName", user.get("UserName").asText())
                    .put("SecretAccessKey", secret)
                    .put("Status", "Active"));
            return metadata.deepCopy().put("SecretAccessKey", secret);
        });
        iam.credentials.refresh(keyId);
        return Values.object().set("AccessKey", key);
    }

    JsonNode listAccessKeys(RequestContext ctx, ObjectNode in) {
        String name = userName(ctx, in);
        iam.requireEntity(EntityKind.USER, ctx.accountId(), name);
        return Pages.page(in, Pages.scan(iam.accessKeys, Iam.key(ctx.accountId(), Iam.lower(name)) + "/", in, Table.Entry::json),
                Values.object(), "AccessKeyMetadata");
    }

    private static JsonNode requireKey(Iam iam, String account, String user, String keyId) {
        JsonNode key = iam.accessKeys.getJson(Iam.key(account, Iam.lower(user), keyId));
        if (key == null) throw Iam.noSuchEntity("The Access Key with id " + keyId + " cannot be found.");
        return key;
    }

    JsonNode updateAccessKey(RequestContext ctx, ObjectNode in) {
        String account = ctx.accountId();
        String name = userName(ctx, in);
        String keyId = text(in, "AccessKeyId");
        String status = text(in, "Status");
        iam.store.transaction(() -> {
            iam.requireEntity(EntityKind.USER, account, name);
            ObjectNode key = ((ObjectNode) requireKey(iam, account, name, keyId)).put("Status", status);
            iam.accessKeys.putJson(Iam.key(account, Iam.lower(name), keyId), key);
            iam.credentials.put(keyId, iam.credentials.record(keyId).put("Status", status));
        });
        iam.credentials.refresh(keyId);
        return null;
    }

    JsonNode deleteAccessKey(RequestContext ctx, ObjectNode in) {
        String account = ctx.accountId();
        String name = userName(ctx, in);
        String keyId = text(in, "AccessKeyId");
        iam.store.transaction(() -> {
            iam.requireEntity(EntityKind.USER, account, name);
            requireKey(iam, account, name, keyId);
            iam.accessKeys.delete(Iam.key(account, Iam.lower(name), keyId));
            iam.credentials.delete(keyId);
        });
        iam.credentials.refresh(keyId);
        return null;
    }

    /** Key use is not tracked per request (that would cost a write on every call), so keys read as never used. */
    JsonNode getAccessKeyLastUsed(RequestContext ctx, ObjectNode in) {
        String keyId = text(in, "AccessKeyId");
        ObjectNode cred = iam.credentials.record(keyId);
        if (cred == null || !cred.has("UserName") || !cred.get("Account").asText().equals(ctx.accountId())) {
            throw Iam.noSuchEntity("The Access Key with id " + keyId + " cannot be found.");
        }
        ObjectNode out = Values.object().put("UserName", cred.get("UserName").asText());
        out.putObject("AccessKeyLastUsed").put("ServiceName", "N/A").put("Region", "N/A");
        return out;
    }
}
