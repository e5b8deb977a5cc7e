package dev.nimbus.server;

import java.nio.file.Path;

/** How a Nimbus server runs: where it listens and where (or whether) it keeps state. */
public record ServerConfig(String host, int port, Path dataDir, boolean ephemeral, long maxBodyBytes) {
    /** Large enough for Lambda's 50 MB zip upload in base64 JSON; streaming payloads (S3) are not bound by it. */
    public static final long DEFAULT_MAX_BODY = 80L * 1024 * 1024;

    public static ServerConfig defaults() {
        return new ServerConfig("127.0.0.1", 4566, Path.of(System.getProperty("user.home"), ".nimbus", "data"), false, DEFAULT_MAX_BODY);
    }

    public ServerConfig withPort(int p) {
        return new ServerConfig(host, p, dataDir, ephemeral, maxBodyBytes);
    }

    public ServerConfig withHost(String h) {
        return new ServerConfig(h, port, dataDir, ephemeral, maxBodyBytes);
    }

    public ServerConfig withDataDir(Path d) {
        return new ServerConfig(host, port, d, false, maxBodyBytes);
    }

    public ServerConfig asEphemeral() {
        return new ServerConfig(host, port, null, true, maxBodyBytes);
    }

    public ServerConfig withMaxBodyBytes(long max) {
        return new ServerConfig(host, port, dataDir, ephemeral, max);
    }
}
