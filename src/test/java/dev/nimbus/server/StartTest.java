package dev.nimbus.server;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nimbus.testing.TestServer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Starting a server where it cannot listen. */
class StartTest {
    @Test
    void aPortInUseFailsTheStartAndReleasesTheDataDir(@TempDir Path dir) {
        try (TestServer first = TestServer.start()) {
            ServerConfig taken = ServerConfig.defaults().withPort(first.port()).withDataDir(dir);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> NimbusServer.start(taken, List.of()));
            assertTrue(e.getMessage().contains(":" + first.port() + " (is the port in use?)"), e.getMessage());
            // The failed start closed the store: the data dir opens again at once.
            try (TestServer again = TestServer.startDurable(dir)) {
                assertTrue(again.port() > 0);
            }
        }
    }
}
