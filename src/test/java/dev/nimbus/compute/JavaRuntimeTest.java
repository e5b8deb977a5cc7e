package dev.nimbus.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which JDK runs a javaNN function: the newest installed one of at least NN, as the launcher picks its own. */
class JavaRuntimeTest {
    static final Function<String, String> NONE = name -> null;

    @TempDir
    Path jvms;

    private Path jdk(String dir, String version) throws IOException {
        Path home = jvms.resolve(dir);
        Files.createDirectories(home.resolve("bin"));
        Path java = Files.writeString(home.resolve("bin/java"), "#!/bin/sh\n");
        java.toFile().setExecutable(true);
        Files.writeString(home.resolve("release"), "IMPLEMENTOR=\"x\"\nJAVA_VERSION=\"" + version + "\"\n");
        return home;
    }

    @Test
    void newestAtLeastTheRuntimeVersion() throws IOException {
        Path j8 = jdk("jdk8", "1.8.0_402");
        Path j17 = jdk("jdk17", "17.0.15");
        Path j25 = jdk("jdk25", "25.0.3");
        Path link = Files.createSymbolicLink(jvms.resolve("default-java"), j17);
        Path noRelease = Files.createDirectories(jvms.resolve("broken"));
        JavaRuntime rt = new JavaRuntime(List.of(j8, link, j17, noRelease, j25), NONE);
        assertEquals(j25.toRealPath(), rt.jdk(17).home());
        assertEquals(25, rt.jdk(21).major());
        assertEquals(8, new JavaRuntime(List.of(j8), NONE).jdk(8).major());
        IllegalStateException none = assertThrows(IllegalStateException.class, () -> new JavaRuntime(List.of(j8, j17), NONE).jdk(21));
        assertTrue(none.getMessage().startsWith("no Java 21 or newer on this host"), none.getMessage());
        assertEquals(21, JavaRuntime.version("java21"));
    }

    @Test
    void aRuntimeCanBeMappedToAJdk() throws IOException {
        Path j17 = jdk("jdk17", "17.0.15");
        Path j25 = jdk("jdk25", "25.0.3");
        Function<String, String> settings = Map.of("NIMBUS_RUNTIME_JAVA21", j17.toString())::get;
        JavaRuntime rt = new JavaRuntime(List.of(j17, j25), settings);
        assertEquals(j17.toRealPath(), rt.jdk(21).home(), "the mapping wins over the newest installed JDK");
        assertEquals(j25.toRealPath(), rt.jdk(17).home(), "unmapped runtimes still take the newest");
        IllegalStateException bad = assertThrows(IllegalStateException.class,
                () -> new JavaRuntime(List.of(j25), Map.of("NIMBUS_RUNTIME_JAVA17", jvms.resolve("nowhere").toString())::get).jdk(17));
        assertTrue(bad.getMessage().startsWith("NIMBUS_RUNTIME_JAVA17 names "), bad.getMessage());
    }
}
