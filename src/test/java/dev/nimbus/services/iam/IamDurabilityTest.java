package dev.nimbus.services.iam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.Values;
import dev.nimbus.store.SqliteStore;
import dev.nimbus.testing.TestServer;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.iam.model.AccessKey;
import software.amazon.awssdk.services.iam.model.AttachedPolicy;
import software.amazon.awssdk.services.iam.model.IamException;
import software.amazon.awssdk.services.iam.model.Role;
import software.amazon.awssdk.services.iam.model.Tag;
import software.amazon.awssdk.services.iam.model.User;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.model.Credentials;
import software.amazon.awssdk.services.sts.model.StsException;

class IamDurabilityTest {
    static final String ACCOUNT = "500000000001";

    static StsClient sts(TestServer t, Credentials c) {
        return StsClient.builder().endpointOverride(t.endpoint()).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsSessionCredentials.create(c.accessKeyId(), c.secretAccessKey(), c.sessionToken())))
                .build();
    }

    static StsClient sts(TestServer t, AccessKey k) {
        return StsClient.builder().endpointOverride(t.endpoint()).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(k.accessKeyId(), k.secretAccessKey())))
                .build();
    }

    @Test
    void identitiesAndPoliciesSurviveARestart(@TempDir Path dir) {
        Role role;
        User user;
        AccessKey key;
        Credentials session;
        String policyArn;
        try (TestServer t = TestServer.startDurable(dir);
             IamClient iam = t.client(IamClient.builder(), ACCOUNT, "us-east-1");
             StsClient sts = t.client(StsClient.builder(), ACCOUNT, "us-east-1")) {
            role = iam.createRole(r -> r.roleName("kept").assumeRolePolicyDocument(IamRolesTest.TRUST)
                    .tags(Tag.builder().key("k").value("v").build())).role();
            iam.putRolePolicy(r -> r.roleName("kept").policyName("inline").policyDocument(IamPoliciesTest.S3_READ));
            policyArn = iam.createPolicy(r -> r.policyName("mine").policyDocument(IamPoliciesTest.S3_READ)).policy().arn();
            iam.createPolicyVersion(r -> r.policyArn(policyArn).policyDocument(IamPoliciesTest.S3_ALL).setAsDefault(true));
            iam.attachRolePolicy(r -> r.roleName("kept").policyArn(policyArn));
            iam.attachRolePolicy(r -> r.roleName("kept").policyArn(IamPoliciesTest.BASIC));
            user = iam.createUser(r -> r.userName("keeper")).user();
            key = iam.createAccessKey(r -> r.userName("keeper")).accessKey();
            iam.createGroup(r -> r.groupName("keepers"));
            iam.addUserToGroup(r -> r.groupName("keepers").userName("keeper"));
            session = sts.assumeRole(r -> r.roleArn(role.arn()).roleSessionName("before-restart")).credentials();
        }

        try (TestServer t = TestServer.startDurable(dir);
             IamClient iam = t.client(IamClient.builder(), ACCOUNT, "us-east-1");
             StsClient asUser = sts(t, key);
             StsClient asSession = sts(t, session)) {
            Role again = iam.getRole(r -> r.roleName("kept")).role();
            assertEquals(role.roleId(), again.roleId());
            assertEquals(role.createDate(), again.createDate());
            assertEquals(List.of(Tag.builder().key("k").value("v").build()), again.tags());
            assertEquals(IamPoliciesTest.S3_READ, IamPoliciesTest.decode(iam.getRolePolicy(r -> r.roleName("kept").policyName("inline")).policyDocument()));
            assertEquals(java.util.Set.of(policyArn, IamPoliciesTest.BASIC), iam.listAttachedRolePolicies(r -> r.roleName("kept")).attachedPolicies()
                    .stream().map(AttachedPolicy::policyArn).collect(Collectors.toSet()));
            assertEquals("v2", iam.getPolicy(r -> r.policyArn(policyArn)).policy().defaultVersionId());
            assertEquals(1, iam.getPolicy(r -> r.policyArn(policyArn)).policy().attachmentCount());
            assertEquals(List.of("keeper"), iam.getGroup(r -> r.groupName("keepers")).users().stream().map(User::userName).collect(Collectors.toList()));
            assertEquals(key.accessKeyId(), iam.listAccessKeys(r -> r.userName("keeper")).accessKeyMetadata().get(0).accessKeyId());

            assertEquals(user.arn(), asUser.getCallerIdentity().arn());
            assertEquals("arn:aws:sts::" + ACCOUNT + ":assumed-role/kept/before-restart", asSession.getCallerIdentity().arn());
        }
    }

    @Test
    void expiredSessionsAreRejected(@TempDir Path dir) {
        Credentials session;
        try (TestServer t = TestServer.startDurable(dir);
             IamClient iam = t.client(IamClient.builder(), ACCOUNT, "us-east-1");
             StsClient sts = t.client(StsClient.builder(), ACCOUNT, "us-east-1")) {
            String arn = iam.createRole(r -> r.roleName("brief").assumeRolePolicyDocument(IamRolesTest.TRUST)).role().arn();
            session = sts.assumeRole(r -> r.roleArn(arn).roleSessionName("soon-over").durationSeconds(900)).credentials();
            try (StsClient s = sts(t, session)) {
                assertEquals(ACCOUNT, s.getCallerIdentity().account());
            }
        }
        // Let the session's time pass while the server is down (a test does not wait 15 minutes).
        try (SqliteStore store = SqliteStore.open(dir)) {
            ObjectNode record = (ObjectNode) store.table(CredentialRegistry.TABLE).getJson(session.accessKeyId());
            record.set("Expiration", Values.timestamp(Instant.now().minusSeconds(1)));
            store.table(CredentialRegistry.TABLE).putJson(session.accessKeyId(), record);
        }
        try (TestServer t = TestServer.startDurable(dir); StsClient s = sts(t, session);
             IamClient iam = IamClient.builder().endpointOverride(t.endpoint()).region(Region.US_EAST_1)
                     .credentialsProvider(StaticCredentialsProvider.create(AwsSessionCredentials.create(
                             session.accessKeyId(), session.secretAccessKey(), session.sessionToken()))).build()) {
            StsException expired = assertThrows(StsException.class, s::getCallerIdentity);
            assertEquals("ExpiredToken", expired.awsErrorDetails().errorCode());
            assertEquals("The security token included in the request is expired", expired.awsErrorDetails().errorMessage());
            assertEquals(403, expired.statusCode());
            IamException inIam = assertThrows(IamException.class, iam::listRoles);
            assertEquals("ExpiredToken", inIam.awsErrorDetails().errorCode());
        }
    }
}
