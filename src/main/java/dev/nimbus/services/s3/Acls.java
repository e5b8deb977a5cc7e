package dev.nimbus.services.s3;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.Values;

/** Access control lists as S3 returns them for its canned ACLs: the owner's FULL_CONTROL plus the canned grants. */
final class Acls {
    private static final String ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers";
    private static final String AUTHENTICATED = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";

    private Acls() {}

    static ObjectNode canned(String account, String acl) {
        ObjectNode policy = Values.object();
        policy.set("Owner", Buckets.owner(account));
        ArrayNode grants = policy.putArray("Grants");
        ObjectNode owner = grants.addObject();
        owner.putObject("Grantee").put("Type", "CanonicalUser").put("ID", Buckets.canonicalId(account)).put("DisplayName", account);
        owner.put("Permission", "FULL_CONTROL");
        switch (acl) {
            case "public-read" -> group(grants, ALL_USERS, "READ");
            case "public-read-write" -> {
                group(grants, ALL_USERS, "READ");
                group(grants, ALL_USERS, "WRITE");
            }
            case "authenticated-read" -> group(grants, AUTHENTICATED, "READ");
            case "private", "bucket-owner-read", "bucket-owner-full-control", "aws-exec-read", "log-delivery-write" -> { }
            default -> throw S3Errors.invalidArgument("", "x-amz-acl", acl);
        }
        return policy;
    }

    private static void group(ArrayNode grants, String uri, String permission) {
        ObjectNode g = grants.addObject();
        g.putObject("Grantee").put("Type", "Group").put("URI", uri);
        g.put("Permission", permission);
    }
}
