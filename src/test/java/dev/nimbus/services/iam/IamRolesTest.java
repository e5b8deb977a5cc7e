package dev.nimbus.services.iam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nimbus.testing.TestServer;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.iam.model.DeleteConflictException;
import software.amazon.awssdk.services.iam.model.EntityAlreadyExistsException;
import software.amazon.awssdk.services.iam.model.IamException;
import software.amazon.awssdk.services.iam.model.LimitExceededException;
import software.amazon.awssdk.services.iam.model.ListRolesResponse;
import software.amazon.awssdk.services.iam.model.MalformedPolicyDocumentException;
import software.amazon.awssdk.services.iam.model.NoSuchEntityException;
import software.amazon.awssdk.services.iam.model.Role;
import software.amazon.awssdk.services.iam.model.Tag;

class IamRolesTest {
    static final String TRUST = """
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}""";

    static TestServer nimbus;
    static IamClient iam;

    @BeforeAll
    static void start() {
        nimbus = TestServer.start();
        iam = nimbus.client(IamClient.builder(), "100000000001", "us-east-1");
    }

    @AfterAll
    static void stop() {
        iam.close();
        nimbus.close();
    }

    static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    @Test
    void createGetAndDescribeARole() {
        Role created = iam.createRole(r -> r.roleName("lambda-basic").path("/service/").assumeRolePolicyDocument(TRUST)
                .description("runs functions").maxSessionDuration(7200).tags(Tag.builder().key("team").value("core").build())).role();
        assertEquals("arn:aws:iam::100000000001:role/service/lambda-basic", created.arn());
        assertTrue(created.roleId().matches("AROA[A-Z2-7]{17}"), created.roleId());
        assertEquals("/service/", created.path());
        assertEquals("runs functions", created.description());
        assertEquals(List.of(Tag.builder().key("team").value("core").build()), created.tags());
        assertNotNull(created.createDate());

        Role got = iam.getRole(r -> r.roleName("lambda-basic")).role();
        assertEquals(created.roleId(), got.roleId());
        assertEquals(7200, got.maxSessionDuration());
        assertEquals(created.createDate(), got.createDate());
        // IAM returns policy documents URL-encoded (RFC 3986); the CLI decodes them, SDKs do not.
        assertTrue(got.assumeRolePolicyDocument().startsWith("%7B%22Version%22%3A%20%222012-10-17%22"), got.assumeRolePolicyDocument());
        assertEquals(TRUST, decode(got.assumeRolePolicyDocument()));
        assertNotNull(got.roleLastUsed());
        assertEquals(created.roleId(), iam.getRole(r -> r.roleName("LAMBDA-BASIC")).role().roleId(), "role names are case-insensitive");
    }

    @Test
    void errorsLikeIam() {
        NoSuchEntityException missing = assertThrows(NoSuchEntityException.class, () -> iam.getRole(r -> r.roleName("nope")));
        assertEquals("The role with name nope cannot be found.", missing.awsErrorDetails().errorMessage());
        assertEquals(404, missing.statusCode());
        assertEquals("NoSuchEntity", missing.awsErrorDetails().errorCode());

        iam.createRole(r -> r.roleName("twice").assumeRolePolicyDocument(TRUST));
        EntityAlreadyExistsException exists = assertThrows(EntityAlreadyExistsException.class,
                () -> iam.createRole(r -> r.roleName("TWICE").assumeRolePolicyDocument(TRUST)));
        assertEquals("Role with name TWICE already exists.", exists.awsErrorDetails().errorMessage());
        assertEquals(409, exists.statusCode());

        MalformedPolicyDocumentException json = assertThrows(MalformedPolicyDocumentException.class,
                () -> iam.createRole(r -> r.roleName("bad").assumeRolePolicyDocument("{not json")));
        assertEquals("This policy contains invalid Json", json.awsErrorDetails().errorMessage());
        MalformedPolicyDocumentException principal = assertThrows(MalformedPolicyDocumentException.class,
                () -> iam.createRole(r -> r.roleName("bad").assumeRolePolicyDocument(
                        "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\"}]}")));
        assertEquals("Missing required field Principal", principal.awsErrorDetails().errorMessage());
        MalformedPolicyDocumentException resource = assertThrows(MalformedPolicyDocumentException.class,
                () -> iam.createRole(r -> r.roleName("bad").assumeRolePolicyDocument(
                        "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"sts:AssumeRole\",\"Resource\":\"*\"}]}")));
        assertEquals("Has prohibited field Resource", resource.awsErrorDetails().errorMessage());

        String huge = TRUST.replace("lambda.amazonaws.com", "x".repeat(2100));
        LimitExceededException tooLong = assertThrows(LimitExceededException.class,
                () -> iam.createRole(r -> r.roleName("bad").assumeRolePolicyDocument(huge)));
        assertEquals("Cannot exceed quota for ACLSizePerRole: 2048", tooLong.awsErrorDetails().errorMessage());

        IamException badName = assertThrows(IamException.class, () -> iam.createRole(r -> r.roleName("no spaces").assumeRolePolicyDocument(TRUST)));
        assertEquals("ValidationError", badName.awsErrorDetails().errorCode());
        assertTrue(badName.awsErrorDetails().errorMessage().contains("at 'roleName' failed to satisfy constraint"), badName.getMessage());
        IamException badDuration = assertThrows(IamException.class,
                () -> iam.createRole(r -> r.roleName("short").assumeRolePolicyDocument(TRUST).maxSessionDuration(60)));
        assertEquals("ValidationError", badDuration.awsErrorDetails().errorCode());
        assertThrows(NoSuchEntityException.class, () -> iam.getRole(r -> r.roleName("bad")), "a rejected role is not created");
    }

    @Test
    void updatesChangeWhatGetRoleShows() {
        iam.createRole(r -> r.roleName("updatable").assumeRolePolicyDocument(TRUST));
        iam.updateRole(r -> r.roleName("updatable").description("first").maxSessionDuration(14400));
        Role role = iam.getRole(r -> r.roleName("updatable")).role();
        assertEquals("first", role.description());
        assertEquals(14400, role.maxSessionDuration());

        assertEquals("second", iam.updateRoleDescription(r -> r.roleName("updatable").description("second")).role().description());

        String trust = TRUST.replace("lambda.amazonaws.com", "states.amazonaws.com");
        iam.updateAssumeRolePolicy(r -> r.roleName("updatable").policyDocument(trust));
        assertEquals(trust, decode(iam.getRole(r -> r.roleName("updatable")).role().assumeRolePolicyDocument()));

        assertThrows(MalformedPolicyDocumentException.class, () -> iam.updateAssumeRolePolicy(r -> r.roleName("updatable").policyDocument("[]")));
        assertThrows(NoSuchEntityException.class, () -> iam.updateRole(r -> r.roleName("ghost").description("x")));
        assertThrows(NoSuchEntityException.class, () -> iam.updateAssumeRolePolicy(r -> r.roleName("ghost").policyDocument(TRUST)));
    }

    @Test
    void listRolesPagesWithMarkerAndFiltersByPath() {
        IamClient other = nimbus.client(IamClient.builder(), "100000000002", "us-east-1");
        for (int i = 0; i < 7; i++) {
            String name = "role-" + i;
            other.createRole(r -> r.roleName(name).path(name.endsWith("3") || name.endsWith("5") ? "/app/" : "/").assumeRolePolicyDocument(TRUST));
        }
        List<String> names = new ArrayList<>();
        String marker = null;
        int pages = 0;
        do {
            String m = marker;
            ListRolesResponse page = other.listRoles(r -> r.maxItems(3).marker(m));
            page.roles().forEach(role -> names.add(role.roleName()));
            assertTrue(page.roles().size() <= 3);
            assertEquals(page.marker() != null, page.isTruncated());
            marker = page.marker();
            pages++;
        } while (marker != null);
        assertEquals(List.of("role-0", "role-1", "role-2", "role-3", "role-4", "role-5", "role-6"), names);
        assertEquals(3, pages);

        ListRolesResponse app = other.listRoles(r -> r.pathPrefix("/app/"));
        assertEquals(List.of("role-3", "role-5"), app.roles().stream().map(Role::roleName).collect(Collectors.toList()));
        assertFalse(app.isTruncated());
        // ListRoles leaves tags and last use out, like IAM.
        assertTrue(app.roles().get(0).tags().isEmpty());
        assertEquals(7, other.listRolesPaginator(r -> r.maxItems(2)).roles().stream().count(), "the SDK paginator follows markers");
        other.close();
    }

    @Test
    void deleteRoleConflictsWhilePoliciesRemain() {
        iam.createRole(r -> r.roleName("busy").assumeRolePolicyDocument(TRUST));
        iam.attachRolePolicy(r -> r.roleName("busy").policyArn("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"));
        iam.putRolePolicy(r -> r.roleName("busy").policyName("inline").policyDocument(
                "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\"}]}"));
        DeleteConflictException attached = assertThrows(DeleteConflictException.class, () -> iam.deleteRole(r -> r.roleName("busy")));
        assertEquals("Cannot delete entity, must detach all policies first.", attached.awsErrorDetails().errorMessage());
        assertEquals(409, attached.statusCode());
        iam.detachRolePolicy(r -> r.roleName("busy").policyArn("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"));
        DeleteConflictException inline = assertThrows(DeleteConflictException.class, () -> iam.deleteRole(r -> r.roleName("busy")));
        assertEquals("Cannot delete entity, must delete policies first.", inline.awsErrorDetails().errorMessage());
        iam.deleteRolePolicy(r -> r.roleName("busy").policyName("inline"));
        iam.deleteRole(r -> r.roleName("busy"));
        assertThrows(NoSuchEntityException.class, () -> iam.getRole(r -> r.roleName("busy")));
        assertThrows(NoSuchEntityException.class, () -> iam.deleteRole(r -> r.roleName("busy")));
    }

    @Test
    void tagsAreMergedRemovedAndListed() {
        iam.createRole(r -> r.roleName("tagged").assumeRolePolicyDocument(TRUST).tags(Tag.builder().key("a").value("1").build()));
        iam.tagRole(r -> r.roleName("tagged").tags(Tag.builder().key("b").value("2").build(), Tag.builder().key("A").value("3").build()));
        assertEquals(List.of(Tag.builder().key("b").value("2").build(), Tag.builder().key("A").value("3").build()),
                iam.listRoleTags(r -> r.roleName("tagged")).tags(), "tag keys are case-insensitive: A replaces a");
        iam.untagRole(r -> r.roleName("tagged").tagKeys("a"));
        assertEquals(List.of(Tag.builder().key("b").value("2").build()), iam.listRoleTags(r -> r.roleName("tagged")).tags());
        var page = iam.listRoleTags(r -> r.roleName("tagged").maxItems(1));
        assertFalse(page.isTruncated());

        IamException duplicate = assertThrows(IamException.class, () -> iam.tagRole(r -> r.roleName("tagged")
                .tags(Tag.builder().key("x").value("1").build(), Tag.builder().key("X").value("2").build())));
        assertEquals("InvalidInput", duplicate.awsErrorDetails().errorCode());
        List<Tag> many = new ArrayList<>();
        for (int i = 0; i < 50; i++) many.add(Tag.builder().key("k" + i).value("v").build());
        assertThrows(LimitExceededException.class, () -> iam.tagRole(r -> r.roleName("tagged").tags(many)));
        assertThrows(NoSuchEntityException.class, () -> iam.listRoleTags(r -> r.roleName("ghost")));
    }

    @Test
    void accountsDoNotSeeEachOthersRoles() {
        IamClient a = nimbus.client(IamClient.builder(), "111111111111", "us-east-1");
        IamClient b = nimbus.client(IamClient.builder(), "222222222222", "eu-west-1");
        a.createRole(r -> r.roleName("shared-name").assumeRolePolicyDocument(TRUST));
        assertThrows(NoSuchEntityException.class, () -> b.getRole(r -> r.roleName("shared-name")));
        assertTrue(b.listRoles().roles().isEmpty());
        Role theirs = b.createRole(r -> r.roleName("shared-name").assumeRolePolicyDocument(TRUST)).role();
        assertEquals("arn:aws:iam::222222222222:role/shared-name", theirs.arn(), "IAM is global: no region in the ARN");
        assertEquals("arn:aws:iam::111111111111:role/shared-name", a.getRole(r -> r.roleName("shared-name")).role().arn());
        a.close();
        b.close();
    }
}
