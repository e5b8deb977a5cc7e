package dev.nimbus.services.iam;

import dev.nimbus.protocol.AwsException;

/**
 * The IAM identities that hold policies (roles, users, groups): what differs between them is
 * naming (RoleName / UserName / GroupName), id prefix, quotas and the wording of their errors.
 */
enum EntityKind {
    ROLE("role", "Role", Ids.ROLE, 10240),
    USER("user", "User", Ids.USER, 2048),
    GROUP("group", "Group", Ids.GROUP, 5120);

    /** lower-case name as in ARNs and keys: role, user, group */
    final String lower;
    /** capitalised name as in member names: Role, User, Group */
    final String title;
    final String idPrefix;
    /** the quota on the total size of an entity's inline policies, in characters */
    final int inlinePolicyQuota;

    EntityKind(String lower, String title, String idPrefix, int inlinePolicyQuota) {
        this.lower = lower;
        this.title = title;
        this.idPrefix = idPrefix;
        this.inlinePolicyQuota = inlinePolicyQuota;
    }

    /** RoleName, UserName, GroupName */
    String nameMember() {
        return title + "Name";
    }

    /** RoleId, UserId, GroupId */
    String idMember() {
        return title + "Id";
    }

    /** Managed policies one entity may have attached (IAM's default quota). */
    int attachedPolicyQuota() {
        return 10;
    }

    AwsException noSuchEntity(String name) {
        return Iam.noSuchEntity("The " + lower + " with name " + name + " cannot be found.");
    }

    AwsException alreadyExists(String name) {
        return new AwsException("EntityAlreadyExists", title + " with name " + name + " already exists.", 409);
    }

    AwsException noSuchInlinePolicy(String policyName) {
        return Iam.noSuchEntity("The " + lower + " policy with name " + policyName + " cannot be found.");
    }
}
