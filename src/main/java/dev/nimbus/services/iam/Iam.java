package dev.nimbus.services.iam;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.Identity;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.Values;
import dev.nimbus.store.Store;
import dev.nimbus.store.Table;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * IAM's durable state, shared by the IAM operations and by STS. Every key starts with the account
 * id, so accounts never see each other; names are case-insensitive in IAM, so keys use the
 * lower-cased name and records keep the name as given. Records are stored in the model's output
 * shape (Role, User, Group, Policy), timestamps as epoch seconds.
 *
 * Tables (key -> value):
 * iam.roles / iam.users / iam.groups   ACCT/name -> entity
 * iam.policies                        ACCT/name -> customer managed policy, with its Versions
 * iam.inline_policies                 ACCT/kind/entity/policy -> {PolicyName, PolicyDocument}
 * iam.attached_policies               ACCT/kind/entity/policyArn -> {PolicyName, PolicyArn, PolicyId}
 * iam.policy_usage                    ACCT/policyId/usage/entity -> {kind, name, id} (reverse of the above,
 *                                     usage = role|user|group, or role-boundary|user-boundary)
 * iam.group_members / iam.user_groups ACCT/group/user and ACCT/user/group -> {}
 * iam.access_keys                     ACCT/user/keyId -> AccessKeyMetadata
 * iam.credentials                     keyId -> who it belongs to (see {@link CredentialRegistry})
 */
public final class Iam {
    final Store store;
    final CredentialRegistry credentials;
    final AwsManagedPolicies awsPolicies = new AwsManagedPolicies();
    final Table roles;
    final Table users;
    final Table groups;
    final Table policies;
    final Table inlinePolicies;
    final Table attachedPolicies;
    final Table policyUsage;
    final Table groupMembers;
    final Table userGroups;
    final Table accessKeys;

    public Iam(Store store, CredentialRegistry credentials) {
        this.store = store;
        this.credentials = credentials;
        this.roles = store.table("iam.roles");
        this.users = store.table("iam.users");
        this.groups = store.table("iam.groups");
        this.policies = store.table("iam.policies");
        this.inlinePolicies = store.table("iam.inline_policies");
        this.attachedPolicies = store.table("iam.attached_policies");
        this.policyUsage = store.table("iam.policy_usage");
        this.groupMembers = store.table("iam.group_members");
        this.userGroups = store.table("iam.user_groups");
        this.accessKeys = store.table("iam.access_keys");
    }

    public Store store() {
        return store;
    }

    public CredentialRegistry credentials() {
        return credentials;
    }

    static String key(String... parts) {
        return String.join("/", parts);
    }

    static String lower(String name) {
        return name.toLowerCase(Locale.ROOT);
    }

    Table entities(EntityKind kind) {
        return switch (kind) {
            case ROLE -> roles;
            case USER -> users;
            case GROUP -> groups;
        };
    }

    /** The stored entity, or null. */
    ObjectNode entity(EntityKind kind, String account, String name) {
        return (ObjectNode) entities(kind).getJson(key(account, lower(name)));
    }

    ObjectNode requireEntity(EntityKind kind, String account, String name) {
        ObjectNode e = entity(kind, account, name);
        if (e == null) throw kind.noSuchEntity(name);
        return e;
    }

    void putEntity(EntityKind kind, String account, ObjectNode record) {
        entities(kind).putJson(key(account, lower(record.get(kind.nameMember()).asText())), record);
    }

    /** A role of the account, or null: what STS assumes. */
    public ObjectNode role(String account, String name) {
        return entity(EntityKind.ROLE, account, name);
    }

    /** Records that a role was assumed (GetRole shows it as RoleLastUsed); call inside a transaction. */
    public void roleUsed(String account, String name, String region) {
        ObjectNode role = role(account, name);
        if (role == null) return;
        ObjectNode used = role.putObject("RoleLastUsed");
        used.set("LastUsedDate", Values.timestamp(now()));
        used.put("Region", region);
        putEntity(EntityKind.ROLE, account, role);
    }

    // Managed policies, customer (in iam.policies) and AWS (built in).

    /** The parts of arn:aws:iam::ACCOUNT:policy/PATH/NAME. */
    record PolicyArn(String account, String path, String name) {}

    static PolicyArn parsePolicyArn(String arn) {
        String prefix = "arn:aws:iam::";
        int colon = arn.indexOf(':', prefix.length());
        if (!arn.startsWith(prefix) || colon < 0 || !arn.startsWith("policy/", colon + 1)) throw invalidInput("ARN " + arn + " is not valid.");
        String account = arn.substring(prefix.length(), colon);
        String resource = arn.substring(colon + 1 + "policy".length());
        int slash = resource.lastIndexOf('/');
        String name = resource.substring(slash + 1);
        if (name.isEmpty() || !(account.equals(AwsManagedPolicies.ACCOUNT) || account.matches("\\d{12}"))) {
            throw invalidInput("ARN " + arn + " is not valid.");
        }
        return new PolicyArn(account, resource.substring(0, slash + 1), name);
    }

    /** A managed policy the caller's account can use (its own or AWS's), or null. */
    ObjectNode policy(String account, String arn) {
        PolicyArn p = parsePolicyArn(arn);
        if (p.account().equals(AwsManagedPolicies.ACCOUNT)) return awsPolicies.get(arn);
        if (!p.account().equals(account)) return null;
        ObjectNode record = (ObjectNode) policies.getJson(key(account, lower(p.name())));
        return record != null && record.get("Arn").asText().equals(arn) ? record : null;
    }

    ObjectNode requirePolicy(String account, String arn) {
        ObjectNode p = policy(account, arn);
        if (p == null) throw noSuchEntity("Policy " + arn + " was not found.");
        return p;
    }

    static String usageKey(String account, String policyId, String usage, String entityName) {
        return key(account, policyId, usage, lower(entityName));
    }

    /** How many entities use the policy this way (role, user, group, role-boundary, user-boundary). */
    long usageCount(String account, String policyId, String... usages) {
        long n = 0;
        for (String u : usages) n += policyUsage.count(key(account, policyId, u) + "/");
        return n;
    }

    // Shared shapes and conventions.

    static String arn(String account, String type, String path, String name) {
        return "arn:aws:iam::" + account + ":" + type + path + name;
    }

    /** IAM dates have whole seconds. */
    static Instant now() {
        return Instant.now().truncatedTo(ChronoUnit.SECONDS);
    }

    /** The IAM user signing the request, or null when the caller is a root, a role session or unknown. */
    static String callerUserName(RequestContext ctx) {
        Identity id = ctx.identity();
        String prefix = "arn:aws:iam::" + id.accountId() + ":user/";
        return id.arn().startsWith(prefix) ? id.arn().substring(id.arn().lastIndexOf('/') + 1) : null;
    }

    /**
     * Tags as IAM keeps them: tag keys are case-insensitive, a new value replaces the old one,
     * at most 50 per resource.
     */
    static ArrayNode mergeTags(JsonNode existing, JsonNode added, String quotaName) {
        Map<String, JsonNode> byKey = new LinkedHashMap<>();
        if (existing != null) for (JsonNode t : existing) byKey.put(lower(t.get("Key").asText()), t);
        Set<String> seen = new HashSet<>();
        for (JsonNode t : added) {
            if (!seen.add(lower(t.get("Key").asText()))) {
                throw invalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.");
            }
            byKey.remove(lower(t.get("Key").asText()));
            byKey.put(lower(t.get("Key").asText()), Values.object().put("Key", t.get("Key").asText()).put("Value", t.path("Value").asText()));
        }
        if (byKey.size() > 50) throw limitExceeded("Cannot exceed quota for " + quotaName + ": 50");
        ArrayNode out = Values.array();
        byKey.values().forEach(out::add);
        return out;
    }

    static ArrayNode removeTags(JsonNode existing, JsonNode keys) {
        ArrayNode out = Values.array();
        if (existing == null) return out;
        Set<String> drop = new HashSet<>();
        for (JsonNode k : keys) drop.add(lower(k.asText()));
        for (JsonNode t : existing) if (!drop.contains(lower(t.get("Key").asText()))) out.add(t);
        return out;
    }

    static AwsException noSuchEntity(String message) {
        return new AwsException("NoSuchEntity", message, 404);
    }

    static AwsException deleteConflict(String message) {
        return new AwsException("DeleteConflict", message, 409);
    }

    static AwsException limitExceeded(String message) {
        return new AwsException("LimitExceeded", message, 409);
    }

    static AwsException invalidInput(String message) {
        return new AwsException("InvalidInput", message, 400);
    }

    static AwsException validationError(String message) {
        return new AwsException("ValidationError", message, 400);
    }
}
