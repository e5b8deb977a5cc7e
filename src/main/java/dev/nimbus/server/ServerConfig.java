package dev.nimbus.server;

import dev.nimbus.services.lambda.LambdaLimits;
import java.nio.file.Path;
import java.time.Duration;

/**
 * How a Nimbus server runs: where it listens, where (or whether) it keeps state, and the limits
 * that keep one misbehaving client from hurting the others.
 *
 * @param maxBodyBytes  largest request body read into memory as a document (JSON, form, XML)
 * @param idleTimeout   a keep-alive connection waiting this long for its next request is closed
 * @param headerTimeout a request whose headers are not complete this long after its request line is dropped
 * @param lambda        how much Lambda may run at once, and how long an unused environment is kept
 */
public record ServerConfig(String host, int port, Path dataDir, boolean ephemeral, long maxBodyBytes, Duration idleTimeout,
                           Duration headerTimeout, LambdaLimits lambda) {

    /** Large enough for Lambda's 50 MB zip upload in base64 JSON; streaming payloads (S3) are not bound by it. */
    public static final long DEFAULT_MAX_BODY = 80L * 1024 * 1024;
    /** Longer than the SDKs' own idle limits (the Java SDK's is 60 s), so clients close first and never reuse a connection just closed. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(2);
    /** Generous for any real client, which sends its headers in one write; short enough that a slowloris holds little. */
    public static final Duration DEFAULT_HEADER_TIMEOUT = Duration.ofSeconds(30);

    public ServerConfig {
        // Documents are read into one byte array.
        if (maxBodyBytes <= 0 || maxBodyBytes > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("maxBodyBytes out of range: " + maxBodyBytes);
        if (idleTimeout.isNegative() || idleTimeout.isZero() || headerTimeout.isNegative() || headerTimeout.isZero()) {
            throw new IllegalArgumentException("timeouts must be positive");
        }
    }

    public static ServerConfig defaults() {
        return new ServerConfig("127.0.0.1", 4566, Path.of(System.getProperty("user.home"), ".nimbus", "data"), false, DEFAULT_MAX_BODY,
                DEFAULT_IDLE_TIMEOUT, DEFAULT_HEADER_TIMEOUT, LambdaLimits.defaults());
    }

    public ServerConfig withPort(int p) {
        return new ServerConfig(host, p, dataDir, ephemeral, maxBodyBytes, idleTimeout, headerTimeout, lambda);
    }

    public ServerConfig withHost(String h) {
        return new ServerConfig(h, port, dataDir, ephemeral, maxBodyBytes, idleTimeout, headerTimeout, lambda);
    }

    public ServerConfig withDataDir(Path d) {
        return new ServerConfig(host, port, d, false, maxBodyBytes, idleTimeout, headerTimeout, lambda);
    }

    public ServerConfig asEphemeral() {
        return new ServerConfig(host, port, null, true, maxBodyBytes, idleTimeout, headerTimeout, lambda);
    }

    public ServerConfig withMaxBodyBytes(long max) {
        return new ServerConfig(host, port, dataDir, ephemeral, max, idleTimeout, headerTimeout, lambda);
    }

    public ServerConfig withLambda(LambdaLimits l) {
        return new ServerConfig(host, port, dataDir, ephemeral, maxBodyBytes, idleTimeout, headerTimeout, l);
    }

    public ServerConfig withTimeouts(Duration idle, Duration header) {
        return new ServerConfig(host, port, dataDir, ephemeral, maxBodyBytes, idle, header, lambda);
    }
}
