package dev.nimbus.services.iam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nimbus.testing.TestServer;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.iam.model.AccessKey;
import software.amazon.awssdk.services.iam.model.AccessKeyMetadata;
import software.amazon.awssdk.services.iam.model.DeleteConflictException;
import software.amazon.awssdk.services.iam.model.EntityAlreadyExistsException;
import software.amazon.awssdk.services.iam.model.Group;
import software.amazon.awssdk.services.iam.model.IamException;
import software.amazon.awssdk.services.iam.model.LimitExceededException;
import software.amazon.awssdk.services.iam.model.NoSuchEntityException;
import software.amazon.awssdk.services.iam.model.StatusType;
import software.amazon.awssdk.services.iam.model.Tag;
import software.amazon.awssdk.services.iam.model.User;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.model.GetCallerIdentityResponse;
import software.amazon.awssdk.services.sts.model.StsException;

class IamUsersTest {
    static final String S3_READ = IamPoliciesTest.S3_READ;

    static TestServer nimbus;

    @BeforeAll
    static void start() {
        nimbus = TestServer.start();
    }

    @AfterAll
    static void stop() {
        nimbus.close();
    }

    static IamClient account(String id) {
        return nimbus.client(IamClient.builder(), id, "us-east-1");
    }

    static <B extends software.amazon.awssdk.awscore.client.builder.AwsClientBuilder<B, C>, C> C signedWith(B builder, AccessKey key) {
        return builder.endpointOverride(nimbus.endpoint()).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(key.accessKeyId(), key.secretAccessKey())))
                .build();
    }

    @Test
    void usersAreCreatedListedUpdatedAndDeleted() {
        try (IamClient iam = account("300000000001")) {
            User alice = iam.createUser(r -> r.userName("alice").path("/eng/").tags(Tag.builder().key("team").value("a").build())).user();
            assertEquals("arn:aws:iam::300000000001:user/eng/alice", alice.arn());
            assertTrue(alice.userId().matches("AIDA[A-Z2-7]{17}"), alice.userId());
            assertEquals(List.of(Tag.builder().key("team").value("a").build()), iam.getUser(r -> r.userName("ALICE")).user().tags());
            iam.createUser(r -> r.userName("bob"));
            iam.createUser(r -> r.userName("carol"));

            EntityAlreadyExistsException exists = assertThrows(EntityAlreadyExistsException.class, () -> iam.createUser(r -> r.userName("Bob")));
            assertEquals("User with name Bob already exists.", exists.awsErrorDetails().errorMessage());
            NoSuchEntityException missing = assertThrows(NoSuchEntityException.class, () -> iam.getUser(r -> r.userName("dave")));
            assertEquals("The user with name dave cannot be found.", missing.awsErrorDetails().errorMessage());

            var page = iam.listUsers(r -> r.maxItems(2));
            assertEquals(List.of("alice", "bob"), page.users().stream().map(User::userName).collect(Collectors.toList()));
            assertTrue(page.isTruncated());
            assertEquals(List.of("carol"), iam.listUsers(r -> r.maxItems(2).marker(page.marker())).users().stream().map(User::userName).collect(Collectors.toList()));
            assertEquals(List.of("alice"), iam.listUsers(r -> r.pathPrefix("/eng")).users().stream().map(User::userName).collect(Collectors.toList()));

            iam.tagUser(r -> r.userName("bob").tags(Tag.builder().key("k").value("v").build()));
            assertEquals(1, iam.listUserTags(r -> r.userName("bob")).tags().size());
            iam.untagUser(r -> r.userName("bob").tagKeys("k"));
            assertTrue(iam.listUserTags(r -> r.userName("bob")).tags().isEmpty());

            iam.updateUser(r -> r.userName("carol").newUserName("caroline").newPath("/ops/"));
            assertThrows(NoSuchEntityException.class, () -> iam.getUser(r -> r.userName("carol")));
            assertEquals("arn:aws:iam::300000000001:user/ops/caroline", iam.getUser(r -> r.userName("caroline")).user().arn());
            assertThrows(EntityAlreadyExistsException.class, () -> iam.updateUser(r -> r.userName("caroline").newUserName("bob")));

            iam.deleteUser(r -> r.userName("bob"));
            assertThrows(NoSuchEntityException.class, () -> iam.deleteUser(r -> r.userName("bob")));
            assertEquals(List.of("alice", "caroline"), iam.listUsers().users().stream().map(User::userName).collect(Collectors.toList()));
        }
    }

    @Test
    void accessKeysSignAsTheirUser() {
        try (IamClient iam = account("300000000002")) {
            User user = iam.createUser(r -> r.userName("deployer")).user();
            AccessKey key = iam.createAccessKey(r -> r.userName("deployer")).accessKey();
            assertTrue(key.accessKeyId().matches("AKIA[A-Z2-7]{16}"), key.accessKeyId());
            assertEquals(40, key.secretAccessKey().length());
            assertEquals(StatusType.ACTIVE, key.status());

            try (StsClient sts = signedWith(StsClient.builder(), key); IamClient asUser = signedWith(IamClient.builder(), key)) {
                GetCallerIdentityResponse me = sts.getCallerIdentity();
                assertEquals("300000000002", me.account());
                assertEquals(user.arn(), me.arn());
                assertEquals(user.userId(), me.userId());
                assertEquals("deployer", asUser.getUser().user().userName(), "GetUser without a name is the caller");
                AccessKey second = asUser.createAccessKey().accessKey();
                assertEquals("deployer", second.userName(), "CreateAccessKey without a name is for the caller");
                assertEquals(2, asUser.listAccessKeys().accessKeyMetadata().size());

                LimitExceededException limit = assertThrows(LimitExceededException.class, () -> iam.createAccessKey(r -> r.userName("deployer")));
                assertEquals("Cannot exceed quota for AccessKeysPerUser: 2", limit.awsErrorDetails().errorMessage());

                var lastUsed = iam.getAccessKeyLastUsed(r -> r.accessKeyId(key.accessKeyId()));
                assertEquals("deployer", lastUsed.userName());
                assertEquals("N/A", lastUsed.accessKeyLastUsed().serviceName());

                // Renaming the user renames the identity behind its keys.
                iam.updateUser(r -> r.userName("deployer").newUserName("releaser"));
                assertEquals("arn:aws:iam::300000000002:user/releaser", sts.getCallerIdentity().arn());
                assertEquals(List.of("releaser", "releaser"), iam.listAccessKeys(r -> r.userName("releaser")).accessKeyMetadata().stream()
                        .map(AccessKeyMetadata::userName).collect(Collectors.toList()));

                iam.updateAccessKey(r -> r.userName("releaser").accessKeyId(key.accessKeyId()).status(StatusType.INACTIVE));
                assertEquals(StatusType.INACTIVE, iam.listAccessKeys(r -> r.userName("releaser")).accessKeyMetadata().stream()
                        .filter(k -> k.accessKeyId().equals(key.accessKeyId())).findFirst().orElseThrow().status());
                StsException inactive = assertThrows(StsException.class, sts::getCallerIdentity);
                assertEquals("InvalidClientTokenId", inactive.awsErrorDetails().errorCode());
                assertEquals(403, inactive.statusCode());
                iam.updateAccessKey(r -> r.userName("releaser").accessKeyId(key.accessKeyId()).status(StatusType.ACTIVE));
                assertEquals("arn:aws:iam::300000000002:user/releaser", sts.getCallerIdentity().arn());

                DeleteConflictException hasKeys = assertThrows(DeleteConflictException.class, () -> iam.deleteUser(r -> r.userName("releaser")));
                assertEquals("Cannot delete entity, must delete access keys first.", hasKeys.awsErrorDetails().errorMessage());
                iam.deleteAccessKey(r -> r.userName("releaser").accessKeyId(key.accessKeyId()));
                iam.deleteAccessKey(r -> r.userName("releaser").accessKeyId(second.accessKeyId()));
                NoSuchEntityException gone = assertThrows(NoSuchEntityException.class,
                        () -> iam.deleteAccessKey(r -> r.userName("releaser").accessKeyId(key.accessKeyId())));
                assertEquals("The Access Key with id " + key.accessKeyId() + " cannot be found.", gone.awsErrorDetails().errorMessage());
                // A deleted key is no longer anyone's: like any unknown key it signs as the default account.
                assertEquals("000000000000", sts.getCallerIdentity().account());
                iam.deleteUser(r -> r.userName("releaser"));
            }
        }
    }

    @Test
    void nonUserCallersMustNameTheUser() {
        try (IamClient iam = account("300000000003")) {
            IamException e = assertThrows(IamException.class, () -> iam.createAccessKey(r -> { }));
            assertEquals("ValidationError", e.awsErrorDetails().errorCode());
            assertEquals("Must specify userName when calling with non-User credentials", e.awsErrorDetails().errorMessage());
            assertThrows(NoSuchEntityException.class, () -> iam.createAccessKey(r -> r.userName("nobody")));
            assertThrows(NoSuchEntityException.class, () -> iam.listAccessKeys(r -> r.userName("nobody")));
        }
    }

    @Test
    void groupsAndTheirMembers() {
        try (IamClient iam = account("300000000004")) {
            Group admins = iam.createGroup(r -> r.groupName("admins").path("/ops/")).group();
            assertEquals("arn:aws:iam::300000000004:group/ops/admins", admins.arn());
            assertTrue(admins.groupId().matches("AGPA[A-Z2-7]{17}"), admins.groupId());
            iam.createGroup(r -> r.groupName("readers"));
            EntityAlreadyExistsException exists = assertThrows(EntityAlreadyExistsException.class, () -> iam.createGroup(r -> r.groupName("Admins")));
            assertEquals("Group with name Admins already exists.", exists.awsErrorDetails().errorMessage());
            iam.createUser(r -> r.userName("u1"));
            iam.createUser(r -> r.userName("u2"));
            iam.addUserToGroup(r -> r.groupName("admins").userName("u1"));
            iam.addUserToGroup(r -> r.groupName("admins").userName("u2"));
            iam.addUserToGroup(r -> r.groupName("readers").userName("u1"));

            var got = iam.getGroup(r -> r.groupName("admins"));
            assertEquals(admins.groupId(), got.group().groupId());
            assertEquals(List.of("u1", "u2"), got.users().stream().map(User::userName).collect(Collectors.toList()));
            var first = iam.getGroup(r -> r.groupName("admins").maxItems(1));
            assertTrue(first.isTruncated());
            assertEquals(List.of("u2"), iam.getGroup(r -> r.groupName("admins").marker(first.marker())).users().stream()
                    .map(User::userName).collect(Collectors.toList()));
            assertEquals(List.of("admins", "readers"), iam.listGroupsForUser(r -> r.userName("u1")).groups().stream()
                    .map(Group::groupName).collect(Collectors.toList()));
            assertEquals(List.of("admins"), iam.listGroups(r -> r.pathPrefix("/ops/")).groups().stream().map(Group::groupName).collect(Collectors.toList()));

            NoSuchEntityException noGroup = assertThrows(NoSuchEntityException.class, () -> iam.getGroup(r -> r.groupName("nobody")));
            assertEquals("The group with name nobody cannot be found.", noGroup.awsErrorDetails().errorMessage());
            assertThrows(NoSuchEntityException.class, () -> iam.addUserToGroup(r -> r.groupName("admins").userName("ghost")));

            DeleteConflictException inGroup = assertThrows(DeleteConflictException.class, () -> iam.deleteUser(r -> r.userName("u2")));
            assertEquals("Cannot delete entity, must remove users from group first.", inGroup.awsErrorDetails().errorMessage());
            DeleteConflictException members = assertThrows(DeleteConflictException.class, () -> iam.deleteGroup(r -> r.groupName("admins")));
            assertEquals("Cannot delete entity, must remove users from group first.", members.awsErrorDetails().errorMessage());
            iam.removeUserFromGroup(r -> r.groupName("admins").userName("u2"));
            assertThrows(NoSuchEntityException.class, () -> iam.removeUserFromGroup(r -> r.groupName("admins").userName("u2")));
            iam.deleteUser(r -> r.userName("u2"));
            iam.removeUserFromGroup(r -> r.groupName("admins").userName("u1"));

            iam.putGroupPolicy(r -> r.groupName("admins").policyName("read").policyDocument(S3_READ));
            assertEquals(List.of("read"), iam.listGroupPolicies(r -> r.groupName("admins")).policyNames());
            DeleteConflictException policies = assertThrows(DeleteConflictException.class, () -> iam.deleteGroup(r -> r.groupName("admins")));
            assertEquals("Cannot delete entity, must delete policies first.", policies.awsErrorDetails().errorMessage());
            iam.deleteGroupPolicy(r -> r.groupName("admins").policyName("read"));
            iam.deleteGroup(r -> r.groupName("admins"));
            assertEquals(List.of("readers"), iam.listGroupsForUser(r -> r.userName("u1")).groups().stream().map(Group::groupName).collect(Collectors.toList()));
        }
    }

    @Test
    void userPoliciesInlineAndAttached() {
        try (IamClient iam = account("300000000005")) {
            iam.createUser(r -> r.userName("writer"));
            iam.putUserPolicy(r -> r.userName("writer").policyName("read").policyDocument(S3_READ));
            assertEquals(S3_READ, IamPoliciesTest.decode(iam.getUserPolicy(r -> r.userName("writer").policyName("read")).policyDocument()));
            assertEquals(List.of("read"), iam.listUserPolicies(r -> r.userName("writer")).policyNames());
            NoSuchEntityException missing = assertThrows(NoSuchEntityException.class, () -> iam.getUserPolicy(r -> r.userName("writer").policyName("x")));
            assertEquals("The user policy with name x cannot be found.", missing.awsErrorDetails().errorMessage());
            iam.attachUserPolicy(r -> r.userName("writer").policyArn("arn:aws:iam::aws:policy/AmazonS3FullAccess"));

            DeleteConflictException attached = assertThrows(DeleteConflictException.class, () -> iam.deleteUser(r -> r.userName("writer")));
            assertEquals("Cannot delete entity, must detach all policies first.", attached.awsErrorDetails().errorMessage());
            iam.detachUserPolicy(r -> r.userName("writer").policyArn("arn:aws:iam::aws:policy/AmazonS3FullAccess"));
            assertThrows(DeleteConflictException.class, () -> iam.deleteUser(r -> r.userName("writer")));
            iam.deleteUserPolicy(r -> r.userName("writer").policyName("read"));
            iam.deleteUser(r -> r.userName("writer"));
            assertFalse(iam.listUsers().users().stream().anyMatch(u -> u.userName().equals("writer")));
        }
    }

    @Test
    void permissionsBoundariesCountAsUsage() {
        try (IamClient iam = account("300000000006")) {
            String arn = iam.createPolicy(r -> r.policyName("boundary").policyDocument(S3_READ)).policy().arn();
            User u = iam.createUser(r -> r.userName("bounded").permissionsBoundary(arn)).user();
            assertEquals(arn, u.permissionsBoundary().permissionsBoundaryArn());
            assertEquals(1, iam.getPolicy(r -> r.policyArn(arn)).policy().permissionsBoundaryUsageCount());
            assertEquals(0, iam.getPolicy(r -> r.policyArn(arn)).policy().attachmentCount());
            assertEquals(List.of("bounded"), iam.listEntitiesForPolicy(r -> r.policyArn(arn).policyUsageFilter("PermissionsBoundary"))
                    .policyUsers().stream().map(x -> x.userName()).collect(Collectors.toList()));
            assertThrows(DeleteConflictException.class, () -> iam.deletePolicy(r -> r.policyArn(arn)));
            NoSuchEntityException noPolicy = assertThrows(NoSuchEntityException.class,
                    () -> iam.createUser(r -> r.userName("x").permissionsBoundary("arn:aws:iam::300000000006:policy/none")));
            assertEquals("Scope ARN: arn:aws:iam::300000000006:policy/none does not exist or is not attachable.", noPolicy.awsErrorDetails().errorMessage());
            iam.deleteUser(r -> r.userName("bounded"));
            iam.deletePolicy(r -> r.policyArn(arn));
        }
    }
}
