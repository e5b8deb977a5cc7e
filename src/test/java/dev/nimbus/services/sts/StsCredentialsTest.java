package dev.nimbus.services.sts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nimbus.testing.TestServer;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.model.AssumeRoleResponse;
import software.amazon.awssdk.services.sts.model.Credentials;
import software.amazon.awssdk.services.sts.model.GetCallerIdentityResponse;
import software.amazon.awssdk.services.sts.model.MalformedPolicyDocumentException;
import software.amazon.awssdk.services.sts.model.PackedPolicyTooLargeException;
import software.amazon.awssdk.services.sts.model.StsException;
import software.amazon.awssdk.services.sts.model.Tag;

class StsCredentialsTest {
    static final String TRUST = """
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}""";

    static TestServer nimbus;

    @BeforeAll
    static void start() {
        nimbus = TestServer.start();
    }

    @AfterAll
    static void stop() {
        nimbus.close();
    }

    /** A client signing with temporary credentials, session token included, as SDKs do after AssumeRole. */
    static StsClient stsWith(TestServer server, Credentials c) {
        return StsClient.builder().endpointOverride(server.endpoint()).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsSessionCredentials.create(c.accessKeyId(), c.secretAccessKey(), c.sessionToken())))
                .build();
    }

    static String createRole(String account, String name, String path, Integer maxSession) {
        try (IamClient iam = nimbus.client(IamClient.builder(), account, "us-east-1")) {
            return iam.createRole(r -> r.roleName(name).path(path).assumeRolePolicyDocument(TRUST).maxSessionDuration(maxSession)).role().roleId();
        }
    }

    @Test
    void assumedRoleCredentialsSignAsTheSession() {
        String roleId = createRole("400000000001", "app-role", "/apps/", 43200);
        try (StsClient sts = nimbus.client(StsClient.builder(), "400000000001", "eu-central-1")) {
            Instant before = Instant.now();
            AssumeRoleResponse r = sts.assumeRole(b -> b.roleArn("arn:aws:iam::400000000001:role/apps/app-role").roleSessionName("build-42"));
            Credentials c = r.credentials();
            assertTrue(c.accessKeyId().matches("ASIA[A-Z2-7]{16}"), c.accessKeyId());
            assertEquals(40, c.secretAccessKey().length());
            assertTrue(c.sessionToken().length() > 100);
            Duration lifetime = Duration.between(before, c.expiration());
            assertTrue(lifetime.compareTo(Duration.ofMinutes(59)) > 0 && lifetime.compareTo(Duration.ofMinutes(61)) < 0, lifetime.toString());
            assertEquals("arn:aws:sts::400000000001:assumed-role/app-role/build-42", r.assumedRoleUser().arn(), "no role path in session ARNs");
            assertEquals(roleId + ":build-42", r.assumedRoleUser().assumedRoleId());
            assertNull(r.packedPolicySize());

            try (StsClient session = stsWith(nimbus, c)) {
                GetCallerIdentityResponse me = session.getCallerIdentity();
                assertEquals("400000000001", me.account());
                assertEquals("arn:aws:sts::400000000001:assumed-role/app-role/build-42", me.arn());
                assertEquals(roleId + ":build-42", me.userId());

                StsException chained = assertThrows(StsException.class, () -> session.assumeRole(b -> b
                        .roleArn("arn:aws:iam::400000000001:role/apps/app-role").roleSessionName("again").durationSeconds(7200)));
                assertEquals("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
                        chained.awsErrorDetails().errorMessage());
                StsException sessionToken = assertThrows(StsException.class, session::getSessionToken);
                assertEquals("AccessDenied", sessionToken.awsErrorDetails().errorCode());
                assertEquals("Cannot call GetSessionToken with session credentials", sessionToken.awsErrorDetails().errorMessage());
            }
            assertEquals("400000000001", sts.getAccessKeyInfo(b -> b.accessKeyId(c.accessKeyId())).account());
        }
        try (IamClient iam = nimbus.client(IamClient.builder(), "400000000001", "us-east-1")) {
            var lastUsed = iam.getRole(b -> b.roleName("app-role")).role().roleLastUsed();
            assertEquals("eu-central-1", lastUsed.region());
            assertNotNull(lastUsed.lastUsedDate());
        }
    }

    @Test
    void assumeRoleRejectsWhatAwsRejects() {
        createRole("400000000002", "short", "/", null);
        createRole("400000000002", "long", "/", 43200);
        try (StsClient sts = nimbus.client(StsClient.builder(), "400000000002", "us-east-1")) {
            StsException missing = assertThrows(StsException.class,
                    () -> sts.assumeRole(b -> b.roleArn("arn:aws:iam::400000000002:role/nope").roleSessionName("session")));
            assertEquals("AccessDenied", missing.awsErrorDetails().errorCode());
            assertEquals(403, missing.statusCode());
            assertEquals("User: arn:aws:iam::400000000002:root is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::400000000002:role/nope",
                    missing.awsErrorDetails().errorMessage());
            StsException wrongPath = assertThrows(StsException.class,
                    () -> sts.assumeRole(b -> b.roleArn("arn:aws:iam::400000000002:role/other/short").roleSessionName("session")));
            assertEquals("AccessDenied", wrongPath.awsErrorDetails().errorCode());
            StsException invalidArn = assertThrows(StsException.class,
                    () -> sts.assumeRole(b -> b.roleArn("arn:aws:iam::400000000002:user/short").roleSessionName("session")));
            assertEquals("ValidationError", invalidArn.awsErrorDetails().errorCode());

            StsException badName = assertThrows(StsException.class,
                    () -> sts.assumeRole(b -> b.roleArn("arn:aws:iam::400000000002:role/short").roleSessionName("has space")));
            assertEquals("ValidationError", badName.awsErrorDetails().errorCode());
            assertTrue(badName.awsErrorDetails().errorMessage().contains("'roleSessionName' failed to satisfy constraint"), badName.getMessage());
            StsException tooShort = assertThrows(StsException.class,
                    () -> sts.assumeRole(b -> b.roleArn("arn:aws:iam::400000000002:role/short").roleSessionName("session").durationSeconds(60)));
            assertTrue(tooShort.awsErrorDetails().errorMessage().contains("durationSeconds"), tooShort.getMessage());

            StsException tooLong = assertThrows(StsException.class,
                    () -> sts.assumeRole(b -> b.roleArn("arn:aws:iam::400000000002:role/short").roleSessionName("session").durationSeconds(7200)));
            assertEquals("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.", tooLong.awsErrorDetails().errorMessage());
            Credentials twelveHours = sts.assumeRole(b -> b.roleArn("arn:aws:iam::400000000002:role/long").roleSessionName("session")
                    .durationSeconds(43200)).credentials();
            assertTrue(Duration.between(Instant.now(), twelveHours.expiration()).toHours() >= 11);

            assertThrows(MalformedPolicyDocumentException.class, () -> sts.assumeRole(b -> b.roleArn("arn:aws:iam::400000000002:role/short")
                    .roleSessionName("session").policy("{not json")));
            AssumeRoleResponse scoped = sts.assumeRole(b -> b.roleArn("arn:aws:iam::400000000002:role/short").roleSessionName("session")
                    .policy("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\"}]}")
                    .tags(Tag.builder().key("project").value("nimbus").build()).sourceIdentity("alice"));
            assertTrue(scoped.packedPolicySize() > 0 && scoped.packedPolicySize() < 100, "" + scoped.packedPolicySize());
            assertEquals("alice", scoped.sourceIdentity());
            StringBuilder big = new StringBuilder("{\"Version\":\"2012-10-17\",\"Statement\":[");
            for (int i = 0; i < 400; i++) big.append(i == 0 ? "" : ",").append("{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b")
                    .append(Integer.toHexString(i * 7919)).append(i * 31).append("/*\"}");
            String tooBig = big.append("]}").toString();
            assertThrows(PackedPolicyTooLargeException.class, () -> sts.assumeRole(b -> b.roleArn("arn:aws:iam::400000000002:role/short")
                    .roleSessionName("session").policy(tooBig)));
        }
    }

    @Test
    void rolesOfAnotherAccountAreAssumedIntoThatAccount() {
        createRole("111111111111", "cross", "/", null);
        try (StsClient other = nimbus.client(StsClient.builder(), "222222222222", "us-east-1")) {
            assertThrows(StsException.class, () -> other.assumeRole(b -> b.roleArn("arn:aws:iam::222222222222:role/cross").roleSessionName("xx")),
                    "the role lives in 111111111111, not in the caller's account");
            Credentials c = other.assumeRole(b -> b.roleArn("arn:aws:iam::111111111111:role/cross").roleSessionName("xx")).credentials();
            try (StsClient session = stsWith(nimbus, c)) {
                assertEquals("111111111111", session.getCallerIdentity().account());
            }
        }
    }

    @Test
    void sessionTokensActAsTheCaller() {
        try (StsClient root = nimbus.client(StsClient.builder(), "400000000003", "us-east-1")) {
            Credentials c = root.getSessionToken().credentials();
            assertTrue(c.accessKeyId().startsWith("ASIA"));
            assertTrue(Duration.between(Instant.now(), c.expiration()).toMinutes() <= 60, "root sessions last at most an hour");
            try (StsClient session = stsWith(nimbus, c)) {
                assertEquals("arn:aws:iam::400000000003:root", session.getCallerIdentity().arn());
            }
        }
        try (IamClient iam = nimbus.client(IamClient.builder(), "400000000003", "us-east-1")) {
            iam.createUser(b -> b.userName("ci"));
            var key = iam.createAccessKey(b -> b.userName("ci")).accessKey();
            try (StsClient user = StsClient.builder().endpointOverride(nimbus.endpoint()).region(Region.US_EAST_1)
                    .credentialsProvider(StaticCredentialsProvider.create(software.amazon.awssdk.auth.credentials.AwsBasicCredentials
                            .create(key.accessKeyId(), key.secretAccessKey()))).build()) {
                Credentials c = user.getSessionToken(b -> b.durationSeconds(900)).credentials();
                long minutes = Duration.between(Instant.now(), c.expiration()).toMinutes();
                assertTrue(minutes >= 13 && minutes <= 15, "" + minutes);
                try (StsClient session = stsWith(nimbus, c)) {
                    GetCallerIdentityResponse me = session.getCallerIdentity();
                    assertEquals("arn:aws:iam::400000000003:user/ci", me.arn());
                    assertTrue(me.userId().startsWith("AIDA"));
                }
                Credentials twelve = user.getSessionToken().credentials();
                assertTrue(Duration.between(Instant.now(), twelve.expiration()).toHours() >= 11, "users get 12 hours by default");
            }
        }
    }

    @Test
    void unknownKeysKeepTheirAccount() {
        try (StsClient sts = nimbus.client(StsClient.builder(), "AKIAIOSFODNN7EXAMPLE", "us-east-1")) {
            assertEquals("000000000000", sts.getCallerIdentity().account());
            assertEquals("000000000000", sts.getAccessKeyInfo(b -> b.accessKeyId("AKIAIOSFODNN7EXAMPLE")).account());
        }
    }
}
