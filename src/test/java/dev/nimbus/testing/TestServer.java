package dev.nimbus.testing;

import dev.nimbus.server.NimbusServer;
import dev.nimbus.server.ServerConfig;
import dev.nimbus.services.AwsService;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;

/**
 * A Nimbus server on a random port inside the test JVM, and AWS SDK v2 clients pointed at it the
 * way users point theirs: endpoint override, any credentials, a region.
 */
public final class TestServer implements AutoCloseable {
    public final NimbusServer server;

    private TestServer(NimbusServer server) {
        this.server = server;
    }

    /** Ephemeral (in-memory) server. */
    public static TestServer start(AwsService... extraServices) {
        return new TestServer(NimbusServer.start(ServerConfig.defaults().withPort(0).asEphemeral(), List.of(extraServices)));
    }

    /** A server with its own limits or timeouts, e.g. {@code ServerConfig.defaults().withPort(0).asEphemeral().withMaxBodyBytes(1024)}. */
    public static TestServer start(ServerConfig config, AwsService... extraServices) {
        return new TestServer(NimbusServer.start(config, List.of(extraServices)));
    }

    /** Durable server on a data dir (for restart tests). */
    public static TestServer startDurable(Path dataDir, AwsService... extraServices) {
        return new TestServer(NimbusServer.start(ServerConfig.defaults().withPort(0).withDataDir(dataDir), List.of(extraServices)));
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.port());
    }

    public int port() {
        return server.port();
    }

    /** Configures any SDK v2 client builder: {@code t.client(StsClient.builder())}. */
    public <B extends AwsClientBuilder<B, C>, C> C client(B builder) {
        return client(builder, "test", "us-east-1");
    }

    public <B extends AwsClientBuilder<B, C>, C> C client(B builder, String accessKey, String region) {
        return builder.endpointOverride(endpoint())
                .region(Region.of(region))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, "secret")))
                .build();
    }

    /** HTTP client with no connection reuse surprises for SDK builders that take one. */
    public static UrlConnectionHttpClient.Builder http() {
        return UrlConnectionHttpClient.builder();
    }

    @Override
    public void close() {
        server.close();
    }
}
