package dev.nimbus.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which interpreter runs a python or node runtime: the PATH's, unless NIMBUS_RUNTIME_<RUNTIME> or NIMBUS_RUNTIME_<FAMILY> maps it. */
class InterpretersTest {
    @TempDir
    Path dir;

    @Test
    void runtimesMapToConfiguredInterpreters() throws Exception {
        Path python = Sandbox.Interpreters.onPath("python3");
        assumeTrue(python != null, "python3 is not on the PATH");
        // A wrapper stands in for another Python installation: it is what the mapping names, and it is asked where it lives.
        Path other = dir.resolve("python-other");
        Files.writeString(other, "#!/bin/sh\nexec " + python + " \"$@\"\n");
        other.toFile().setExecutable(true);
        String real = new Sandbox.Interpreters(name -> null).python("python3.12").executable();

        Sandbox.Interpreters mapped = new Sandbox.Interpreters(Map.of("NIMBUS_RUNTIME_PYTHON3_9", other.toString())::get);
        assertEquals(real, mapped.python("python3.9").executable(), "the wrapper runs the same python, which reports itself");
        assertEquals(real, mapped.python("python3.12").executable());

        Sandbox.Interpreters broken = new Sandbox.Interpreters(Map.of("NIMBUS_RUNTIME_PYTHON", dir.resolve("missing").toString())::get);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> broken.python("python3.11"));
        assertTrue(e.getMessage().endsWith("is not an executable file"), e.getMessage());
        Sandbox.Interpreters nodeMissing = new Sandbox.Interpreters(Map.of("NIMBUS_RUNTIME_NODEJS22_X", "no-such-node-binary")::get);
        e = assertThrows(IllegalStateException.class, () -> nodeMissing.node("nodejs22.x"));
        assertEquals("no-such-node-binary is not on the PATH", e.getMessage());
    }
}
