package dev.nimbus.services.sts;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nimbus.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.model.GetCallerIdentityResponse;

class StsCallerIdentityTest {
    static TestServer nimbus;

    @BeforeAll
    static void start() {
        nimbus = TestServer.start();
    }

    @AfterAll
    static void stop() {
        nimbus.close();
    }

    @Test
    void anyKeyIsTheDefaultAccountRoot() {
        try (StsClient sts = nimbus.client(StsClient.builder())) {
            GetCallerIdentityResponse me = sts.getCallerIdentity();
            assertEquals("000000000000", me.account());
            assertEquals("arn:aws:iam::000000000000:root", me.arn());
        }
    }

    @Test
    void twelveDigitKeyIsThatAccount() {
        try (StsClient sts = nimbus.client(StsClient.builder(), "123456789012", "eu-west-1")) {
            assertEquals("123456789012", sts.getCallerIdentity().account());
        }
    }
}
