package dev.nimbus.services.iam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nimbus.testing.TestServer;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.iam.model.AttachedPolicy;
import software.amazon.awssdk.services.iam.model.DeleteConflictException;
import software.amazon.awssdk.services.iam.model.EntityAlreadyExistsException;
import software.amazon.awssdk.services.iam.model.IamException;
import software.amazon.awssdk.services.iam.model.InvalidInputException;
import software.amazon.awssdk.services.iam.model.LimitExceededException;
import software.amazon.awssdk.services.iam.model.ListEntitiesForPolicyResponse;
import software.amazon.awssdk.services.iam.model.MalformedPolicyDocumentException;
import software.amazon.awssdk.services.iam.model.NoSuchEntityException;
import software.amazon.awssdk.services.iam.model.Policy;
import software.amazon.awssdk.services.iam.model.PolicyScopeType;
import software.amazon.awssdk.services.iam.model.PolicyVersion;
import software.amazon.awssdk.services.iam.model.Tag;

class IamPoliciesTest {
    static final String TRUST = IamRolesTest.TRUST;
    static final String S3_READ = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"s3:GetObject\"],\"Resource\":\"*\"}]}";
    static final String S3_ALL = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"}]}";
    static final String BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole";

    static TestServer nimbus;

    @BeforeAll
    static void start() {
        nimbus = TestServer.start();
    }

    @AfterAll
    static void stop() {
        nimbus.close();
    }

    /** Each test its own account, so that listings are its own. */
    static IamClient account(String id) {
        return nimbus.client(IamClient.builder(), id, "us-east-1");
    }

    static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    @Test
    void inlineRolePolicies() {
        try (IamClient iam = account("200000000001")) {
            iam.createRole(r -> r.roleName("fn").assumeRolePolicyDocument(TRUST));
            iam.putRolePolicy(r -> r.roleName("fn").policyName("read").policyDocument(S3_READ));
            iam.putRolePolicy(r -> r.roleName("fn").policyName("all").policyDocument(S3_READ));
            iam.putRolePolicy(r -> r.roleName("fn").policyName("all").policyDocument(S3_ALL));
            var got = iam.getRolePolicy(r -> r.roleName("fn").policyName("all"));
            assertEquals("fn", got.roleName());
            assertEquals("all", got.policyName());
            assertEquals(S3_ALL, decode(got.policyDocument()));
            assertTrue(got.policyDocument().startsWith("%7B%22Version%22"), "returned URL-encoded");
            assertEquals(List.of("all", "read"), iam.listRolePolicies(r -> r.roleName("fn")).policyNames());
            var first = iam.listRolePolicies(r -> r.roleName("fn").maxItems(1));
            assertEquals(List.of("all"), first.policyNames());
            assertTrue(first.isTruncated());
            assertEquals(List.of("read"), iam.listRolePolicies(r -> r.roleName("fn").marker(first.marker())).policyNames());

            NoSuchEntityException missing = assertThrows(NoSuchEntityException.class, () -> iam.getRolePolicy(r -> r.roleName("fn").policyName("none")));
            assertEquals("The role policy with name none cannot be found.", missing.awsErrorDetails().errorMessage());
            assertThrows(NoSuchEntityException.class, () -> iam.putRolePolicy(r -> r.roleName("ghost").policyName("p").policyDocument(S3_READ)));
            assertThrows(NoSuchEntityException.class, () -> iam.listRolePolicies(r -> r.roleName("ghost")));
            MalformedPolicyDocumentException principal = assertThrows(MalformedPolicyDocumentException.class,
                    () -> iam.putRolePolicy(r -> r.roleName("fn").policyName("p").policyDocument(TRUST)));
            assertEquals("Policy document should not specify a principal.", principal.awsErrorDetails().errorMessage());
            MalformedPolicyDocumentException noResource = assertThrows(MalformedPolicyDocumentException.class, () -> iam.putRolePolicy(r -> r
                    .roleName("fn").policyName("p").policyDocument("{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:*\"}}")));
            assertEquals("Policy statement must contain resources.", noResource.awsErrorDetails().errorMessage());
            String big = S3_READ.replace("s3:GetObject\"", "s3:GetObject\"" + ",\"s3:PutObject\"".repeat(700));
            LimitExceededException tooBig = assertThrows(LimitExceededException.class,
                    () -> iam.putRolePolicy(r -> r.roleName("fn").policyName("big").policyDocument(big)));
            assertEquals("Maximum policy size of 10240 bytes exceeded for role fn", tooBig.awsErrorDetails().errorMessage());

            iam.deleteRolePolicy(r -> r.roleName("fn").policyName("read"));
            assertEquals(List.of("all"), iam.listRolePolicies(r -> r.roleName("fn")).policyNames());
            assertThrows(NoSuchEntityException.class, () -> iam.deleteRolePolicy(r -> r.roleName("fn").policyName("read")));
        }
    }

    @Test
    void awsManagedPoliciesExistInEveryAccount() {
        try (IamClient iam = account("200000000002")) {
            Policy basic = iam.getPolicy(r -> r.policyArn(BASIC)).policy();
            assertEquals("AWSLambdaBasicExecutionRole", basic.policyName());
            assertEquals("/service-role/", basic.path());
            assertEquals("v1", basic.defaultVersionId());
            assertTrue(basic.isAttachable());
            assertEquals(0, basic.attachmentCount());
            PolicyVersion v1 = iam.getPolicyVersion(r -> r.policyArn(BASIC).versionId("v1")).policyVersion();
            assertTrue(decode(v1.document()).contains("logs:PutLogEvents"));
            assertTrue(v1.isDefaultVersion());
            for (String arn : List.of("arn:aws:iam::aws:policy/service-role/AWSLambdaRole", "arn:aws:iam::aws:policy/AmazonS3FullAccess",
                    "arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess", "arn:aws:iam::aws:policy/AdministratorAccess")) {
                assertEquals(arn, iam.getPolicy(r -> r.policyArn(arn)).policy().arn());
            }
            List<String> aws = iam.listPoliciesPaginator(r -> r.scope(PolicyScopeType.AWS)).policies().stream().map(Policy::arn).collect(Collectors.toList());
            assertTrue(aws.contains(BASIC), aws.toString());
            NoSuchEntityException unknown = assertThrows(NoSuchEntityException.class,
                    () -> iam.getPolicy(r -> r.policyArn("arn:aws:iam::aws:policy/NoSuchManagedPolicy")));
            assertEquals("Policy arn:aws:iam::aws:policy/NoSuchManagedPolicy was not found.", unknown.awsErrorDetails().errorMessage());
            InvalidInputException invalid = assertThrows(InvalidInputException.class, () -> iam.getPolicy(r -> r.policyArn("arn:aws:iam::aws:polic/Foo")));
            assertEquals("ARN arn:aws:iam::aws:polic/Foo is not valid.", invalid.awsErrorDetails().errorMessage());
            IamException readOnly = assertThrows(IamException.class, () -> iam.deletePolicy(r -> r.policyArn(BASIC)));
            assertEquals("AccessDenied", readOnly.awsErrorDetails().errorCode());
        }
    }

    @Test
    void attachDetachAndListWhoUsesAPolicy() {
        try (IamClient iam = account("200000000003")) {
            iam.createRole(r -> r.roleName("fn").assumeRolePolicyDocument(TRUST));
            iam.createUser(r -> r.userName("dev"));
            iam.createGroup(r -> r.groupName("devs"));
            String mine = iam.createPolicy(r -> r.policyName("s3-all").policyDocument(S3_ALL).path("/team/")).policy().arn();
            iam.attachRolePolicy(r -> r.roleName("fn").policyArn(BASIC));
            iam.attachRolePolicy(r -> r.roleName("fn").policyArn(BASIC)); // attaching twice is a no-op, as in IAM
            iam.attachRolePolicy(r -> r.roleName("fn").policyArn(mine));
            iam.attachUserPolicy(r -> r.userName("dev").policyArn(mine));
            iam.attachGroupPolicy(r -> r.groupName("devs").policyArn(mine));

            assertEquals(java.util.Set.of(AttachedPolicy.builder().policyName("AWSLambdaBasicExecutionRole").policyArn(BASIC).build(),
                            AttachedPolicy.builder().policyName("s3-all").policyArn(mine).build()),
                    java.util.Set.copyOf(iam.listAttachedRolePolicies(r -> r.roleName("fn")).attachedPolicies()));
            assertEquals(List.of("s3-all"), iam.listAttachedRolePolicies(r -> r.roleName("fn").pathPrefix("/team/")).attachedPolicies()
                    .stream().map(AttachedPolicy::policyName).collect(Collectors.toList()));
            assertEquals(1, iam.listAttachedUserPolicies(r -> r.userName("dev")).attachedPolicies().size());
            assertEquals(1, iam.listAttachedGroupPolicies(r -> r.groupName("devs")).attachedPolicies().size());
            assertEquals(3, iam.getPolicy(r -> r.policyArn(mine)).policy().attachmentCount());
            assertEquals(1, iam.getPolicy(r -> r.policyArn(BASIC)).policy().attachmentCount());

            ListEntitiesForPolicyResponse who = iam.listEntitiesForPolicy(r -> r.policyArn(mine));
            assertEquals(List.of("fn"), who.policyRoles().stream().map(x -> x.roleName()).collect(Collectors.toList()));
            assertEquals(List.of("dev"), who.policyUsers().stream().map(x -> x.userName()).collect(Collectors.toList()));
            assertEquals(List.of("devs"), who.policyGroups().stream().map(x -> x.groupName()).collect(Collectors.toList()));
            assertEquals(iam.getRole(r -> r.roleName("fn")).role().roleId(), who.policyRoles().get(0).roleId());
            ListEntitiesForPolicyResponse roles = iam.listEntitiesForPolicy(r -> r.policyArn(mine).entityFilter("Role"));
            assertEquals(1, roles.policyRoles().size());
            assertTrue(roles.policyUsers().isEmpty() && roles.policyGroups().isEmpty());

            List<String> attached = iam.listPolicies(r -> r.onlyAttached(true)).policies().stream().map(Policy::policyName).collect(Collectors.toList());
            assertEquals(List.of("AWSLambdaBasicExecutionRole", "s3-all"), attached);
            assertEquals(List.of("s3-all"), iam.listPolicies(r -> r.scope(PolicyScopeType.LOCAL)).policies().stream()
                    .map(Policy::policyName).collect(Collectors.toList()));

            NoSuchEntityException notAttachable = assertThrows(NoSuchEntityException.class,
                    () -> iam.attachRolePolicy(r -> r.roleName("fn").policyArn("arn:aws:iam::200000000003:policy/none")));
            assertEquals("Policy arn:aws:iam::200000000003:policy/none does not exist or is not attachable.", notAttachable.awsErrorDetails().errorMessage());
            assertThrows(NoSuchEntityException.class, () -> iam.attachRolePolicy(r -> r.roleName("ghost").policyArn(BASIC)));

            DeleteConflictException inUse = assertThrows(DeleteConflictException.class, () -> iam.deletePolicy(r -> r.policyArn(mine)));
            assertEquals("Cannot delete a policy attached to entities.", inUse.awsErrorDetails().errorMessage());

            iam.detachRolePolicy(r -> r.roleName("fn").policyArn(mine));
            NoSuchEntityException notAttached = assertThrows(NoSuchEntityException.class, () -> iam.detachRolePolicy(r -> r.roleName("fn").policyArn(mine)));
            assertEquals("Policy " + mine + " was not found.", notAttached.awsErrorDetails().errorMessage());
            iam.detachUserPolicy(r -> r.userName("dev").policyArn(mine));
            iam.detachGroupPolicy(r -> r.groupName("devs").policyArn(mine));
            assertEquals(0, iam.getPolicy(r -> r.policyArn(mine)).policy().attachmentCount());
            iam.deletePolicy(r -> r.policyArn(mine));
            assertThrows(NoSuchEntityException.class, () -> iam.getPolicy(r -> r.policyArn(mine)));
        }
    }

    @Test
    void attachQuotaIsTenPerRole() {
        try (IamClient iam = account("200000000004")) {
            iam.createRole(r -> r.roleName("many").assumeRolePolicyDocument(TRUST));
            for (int i = 0; i < 10; i++) {
                String name = "p" + i;
                String arn = iam.createPolicy(b -> b.policyName(name).policyDocument(S3_READ)).policy().arn();
                iam.attachRolePolicy(r -> r.roleName("many").policyArn(arn));
            }
            LimitExceededException limit = assertThrows(LimitExceededException.class, () -> iam.attachRolePolicy(r -> r.roleName("many").policyArn(BASIC)));
            assertEquals("Cannot exceed quota for PoliciesPerRole: 10", limit.awsErrorDetails().errorMessage());
        }
    }

    @Test
    void customerManagedPolicyVersions() {
        try (IamClient iam = account("200000000005")) {
            Policy p = iam.createPolicy(r -> r.policyName("versions").description("five at most").policyDocument(S3_READ)
                    .tags(Tag.builder().key("env").value("dev").build())).policy();
            assertEquals("arn:aws:iam::200000000005:policy/versions", p.arn());
            assertTrue(p.policyId().matches("ANPA[A-Z2-7]{17}"), p.policyId());
            assertEquals("v1", p.defaultVersionId());
            assertEquals("five at most", iam.getPolicy(r -> r.policyArn(p.arn())).policy().description());

            EntityAlreadyExistsException exists = assertThrows(EntityAlreadyExistsException.class,
                    () -> iam.createPolicy(r -> r.policyName("versions").path("/other/").policyDocument(S3_READ)));
            assertEquals("A policy called versions already exists. Duplicate names are not allowed.", exists.awsErrorDetails().errorMessage());
            assertThrows(MalformedPolicyDocumentException.class, () -> iam.createPolicy(r -> r.policyName("bad").policyDocument("{")));

            PolicyVersion v2 = iam.createPolicyVersion(r -> r.policyArn(p.arn()).policyDocument(S3_ALL)).policyVersion();
            assertEquals("v2", v2.versionId());
            assertFalse(v2.isDefaultVersion());
            assertEquals("v1", iam.getPolicy(r -> r.policyArn(p.arn())).policy().defaultVersionId());
            PolicyVersion v3 = iam.createPolicyVersion(r -> r.policyArn(p.arn()).policyDocument(S3_ALL).setAsDefault(true)).policyVersion();
            assertTrue(v3.isDefaultVersion());
            assertEquals("v3", iam.getPolicy(r -> r.policyArn(p.arn())).policy().defaultVersionId());
            assertEquals(S3_ALL, decode(iam.getPolicyVersion(r -> r.policyArn(p.arn()).versionId("v3")).policyVersion().document()));
            assertEquals(List.of("v3", "v2", "v1"), iam.listPolicyVersions(r -> r.policyArn(p.arn())).versions().stream()
                    .map(PolicyVersion::versionId).collect(Collectors.toList()));

            iam.createPolicyVersion(r -> r.policyArn(p.arn()).policyDocument(S3_ALL));
            iam.createPolicyVersion(r -> r.policyArn(p.arn()).policyDocument(S3_ALL));
            LimitExceededException five = assertThrows(LimitExceededException.class,
                    () -> iam.createPolicyVersion(r -> r.policyArn(p.arn()).policyDocument(S3_ALL)));
            assertEquals("A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.",
                    five.awsErrorDetails().errorMessage());

            DeleteConflictException isDefault = assertThrows(DeleteConflictException.class,
                    () -> iam.deletePolicyVersion(r -> r.policyArn(p.arn()).versionId("v3")));
            assertEquals("Cannot delete the default version of a policy.", isDefault.awsErrorDetails().errorMessage());
            iam.setDefaultPolicyVersion(r -> r.policyArn(p.arn()).versionId("v1"));
            iam.deletePolicyVersion(r -> r.policyArn(p.arn()).versionId("v3"));
            assertEquals("v6", iam.createPolicyVersion(r -> r.policyArn(p.arn()).policyDocument(S3_ALL)).policyVersion().versionId(),
                    "version ids are never reused");
            NoSuchEntityException gone = assertThrows(NoSuchEntityException.class,
                    () -> iam.getPolicyVersion(r -> r.policyArn(p.arn()).versionId("v3")));
            assertTrue(gone.awsErrorDetails().errorMessage().contains("v3"));
            assertThrows(NoSuchEntityException.class, () -> iam.setDefaultPolicyVersion(r -> r.policyArn(p.arn()).versionId("v9")));

            DeleteConflictException versions = assertThrows(DeleteConflictException.class, () -> iam.deletePolicy(r -> r.policyArn(p.arn())));
            assertTrue(versions.awsErrorDetails().errorMessage().startsWith("This policy has more than one version."));
            for (String v : List.of("v2", "v4", "v5", "v6")) iam.deletePolicyVersion(r -> r.policyArn(p.arn()).versionId(v));

            iam.tagPolicy(r -> r.policyArn(p.arn()).tags(Tag.builder().key("owner").value("me").build()));
            iam.untagPolicy(r -> r.policyArn(p.arn()).tagKeys("env"));
            assertEquals(List.of(Tag.builder().key("owner").value("me").build()), iam.listPolicyTags(r -> r.policyArn(p.arn())).tags());
            iam.deletePolicy(r -> r.policyArn(p.arn()));
            assertTrue(iam.listPolicies(r -> r.scope(PolicyScopeType.LOCAL)).policies().isEmpty());
        }
    }

    @Test
    void policiesOfOtherAccountsAreInvisible() {
        try (IamClient a = account("111111111111"); IamClient b = account("222222222222")) {
            String arn = a.createPolicy(r -> r.policyName("private").policyDocument(S3_READ)).policy().arn();
            assertThrows(NoSuchEntityException.class, () -> b.getPolicy(r -> r.policyArn(arn)));
            b.createRole(r -> r.roleName("thief").assumeRolePolicyDocument(TRUST));
            assertThrows(NoSuchEntityException.class, () -> b.attachRolePolicy(r -> r.roleName("thief").policyArn(arn)));
            assertFalse(b.listPolicies(r -> r.scope(PolicyScopeType.LOCAL)).policies().stream().anyMatch(p -> p.arn().equals(arn)));
        }
    }
}
