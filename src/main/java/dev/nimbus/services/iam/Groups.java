package dev.nimbus.services.iam;

import static dev.nimbus.protocol.Values.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.Operations;

/** IAM groups and their members; group policies are in {@link EntityPolicies}. */
final class Groups {
    private static final int GROUPS_PER_USER = 10;

    private final Iam iam;

    Groups(Iam iam) {
        this.iam = iam;
    }

    void register(Operations ops) {
        ops.add("CreateGroup", this::createGroup)
                .add("GetGroup", this::getGroup)
                .add("ListGroups", this::listGroups)
                .add("DeleteGroup", this::deleteGroup)
                .add("AddUserToGroup", this::addUserToGroup)
                .add("RemoveUserFromGroup", this::removeUserFromGroup)
                .add("ListGroupsForUser", this::listGroupsForUser);
    }

    JsonNode createGroup(RequestContext ctx, ObjectNode in) {
        String account = ctx.accountId();
        String name = text(in, "GroupName");
        String path = Values.text(in, "Path", "/");
        ObjectNode group = Values.object()
                .put("Path", path)
                .put("GroupName", name)
                .put("GroupId", Ids.uniqueId(Ids.GROUP))
                .put("Arn", Iam.arn(account, "group", path, name));
        group.set("CreateDate", Values.timestamp(Iam.now()));
        iam.store.transaction(() -> {
            if (iam.entity(EntityKind.GROUP, account, name) != null) throw EntityKind.GROUP.alreadyExists(name);
            iam.putEntity(EntityKind.GROUP, account, group);
        });
        return Values.object().set("Group", group);
    }

    JsonNode getGroup(RequestContext ctx, ObjectNode in) {
        String account = ctx.accountId();
        ObjectNode group = iam.requireEntity(EntityKind.GROUP, account, text(in, "GroupName"));
        ObjectNode out = Values.object();
        out.set("Group", group);
        return Pages.page(in, Pages.scan(iam.groupMembers, Iam.key(account, Iam.lower(group.get("GroupName").asText())) + "/", in, e -> {
            JsonNode user = iam.users.getJson(Iam.key(account, e.key().substring(e.key().lastIndexOf('/') + 1)));
            return user == null ? null : Users.view(user, false);
        }), out, "Users");
    }

    JsonNode listGroups(RequestContext ctx, ObjectNode in) {
        String pathPrefix = Values.text(in, "PathPrefix", "/");
        return Pages.page(in, Pages.scan(iam.groups, ctx.accountId() + "/", in, e -> {
            JsonNode g = e.json();
            return g.get("Path").asText().startsWith(pathPrefix) ? g : null;
        }), Values.object(), "Groups");
    }

    JsonNode deleteGroup(RequestContext ctx, ObjectNode in) {
        String account = ctx.accountId();
        String name = text(in, "GroupName");
        iam.store.transaction(() -> {
            iam.requireEntity(EntityKind.GROUP, account, name);
            String own = EntityPolicies.own(account, EntityKind.GROUP, name);
            if (iam.groupMembers.count(Iam.key(account, Iam.lower(name)) + "/") > 0) {
                throw Iam.deleteConflict("Cannot delete entity, must remove users from group first.");
            }
            if (iam.attachedPolicies.count(own) > 0) throw Iam.deleteConflict("Cannot delete entity, must detach all policies first.");
            if (iam.inlinePolicies.count(own) > 0) throw Iam.deleteConflict("Cannot delete entity, must delete policies first.");
            iam.groups.delete(Iam.key(account, Iam.lower(name)));
        });
        return null;
    }

    JsonNode addUserToGroup(RequestContext ctx, ObjectNode in) {
        String account = ctx.accountId();
        String group = text(in, "GroupName");
        String user = text(in, "UserName");
        iam.store.transaction(() -> {
            iam.requireEntity(EntityKind.GROUP, account, group);
            iam.requireEntity(EntityKind.USER, account, user);
            String membership = Iam.key(account, Iam.lower(user), Iam.lower(group));
            if (iam.userGroups.get(membership) != null) return;
            if (iam.userGroups.count(Iam.key(account, Iam.lower(user)) + "/") >= GROUPS_PER_USER) {
                throw Iam.limitExceeded("Cannot exceed quota for GroupsPerUser: " + GROUPS_PER_USER);
            }
            iam.userGroups.putJson(membership, Values.object());
            iam.groupMembers.putJson(Iam.key(account, Iam.lower(group), Iam.lower(user)), Values.object());
        });
        return null;
    }

    JsonNode removeUserFromGroup(RequestContext ctx, ObjectNode in) {
        String account = ctx.accountId();
        String group = text(in, "GroupName");
        String user = text(in, "UserName");
        iam.store.transaction(() -> {
            iam.requireEntity(EntityKind.GROUP, account, group);
            iam.requireEntity(EntityKind.USER, account, user);
            if (!iam.userGroups.delete(Iam.key(account, Iam.lower(user), Iam.lower(group)))) throw EntityKind.USER.noSuchEntity(user);
            iam.groupMembers.delete(Iam.key(account, Iam.lower(group), Iam.lower(user)));
        });
        return null;
    }

    JsonNode listGroupsForUser(RequestContext ctx, ObjectNode in) {
        String account = ctx.accountId();
        String user = text(in, "UserName");
        iam.requireEntity(EntityKind.USER, account, user);
        return Pages.page(in, Pages.scan(iam.userGroups, Iam.key(account, Iam.lower(user)) + "/", in,
                e -> iam.groups.getJson(Iam.key(account, e.key().substring(e.key().lastIndexOf('/') + 1)))), Values.object(), "Groups");
    }
}
