package dev.nimbus.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Execution environments without the Lambda API in front: reuse, and the end of idle ones. */
class ComputeTest {
    @TempDir
    Path dir;

    private Path runtimes() throws Exception {
        Path target = dir.resolve("runtimes/python/bootstrap.py");
        Files.createDirectories(target.getParent());
        try (InputStream in = ComputeTest.class.getResourceAsStream("/runtimes/python/bootstrap.py")) {
            Files.copy(in, target);
        }
        return dir.resolve("runtimes");
    }

    private FunctionSpec spec(String source) throws Exception {
        Path code = Files.createDirectories(dir.resolve("code"));
        Files.writeString(code.resolve("app.py"), source);
        return new FunctionSpec("arn:aws:lambda:us-east-1:000000000000:function:f", "f", "$LATEST", "r1", "python3.12", "app.handler",
                "arn:aws:iam::000000000000:role/r", 128, 5, code, Map.of("_HANDLER", "app.handler", "AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"));
    }

    private static Invocation.Result run(Compute compute, FunctionSpec spec) {
        return compute.invoke(spec, new Invocation(UUID.randomUUID().toString(), "{}".getBytes(StandardCharsets.UTF_8), null, "Root=1-0-0"));
    }

    @Test
    void warmEnvironmentIsReusedAndEndsAfterTheIdleLimit() throws Exception {
        Set<Long> before = ProcessHandle.current().descendants().map(ProcessHandle::pid).collect(Collectors.toSet());
        FunctionSpec spec = spec("import uuid\nENV = str(uuid.uuid4())\ndef handler(e, c):\n    return ENV\n");
        try (Compute compute = new Compute(Sandbox.detect(), runtimes(), s -> Map.of(), Duration.ofMillis(300))) {
            Invocation.Result first = run(compute, spec);
            assertNull(first.functionError(), new String(first.payload(), StandardCharsets.UTF_8));
            assertEquals(new String(first.payload(), StandardCharsets.UTF_8), new String(run(compute, spec).payload(), StandardCharsets.UTF_8),
                    "invoked again at once: the same environment");
            List<ProcessHandle> env = ProcessHandle.current().descendants().filter(p -> !before.contains(p.pid())).toList();
            assertFalse(env.isEmpty());
            // The reaper runs on its own schedule: wait (bounded) for it to end the idle environment.
            long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (!env.stream().allMatch(Environment::ended) && System.nanoTime() < until) Thread.sleep(50);
            assertTrue(env.stream().allMatch(Environment::ended), "the idle environment ended");
            assertTrue(new String(run(compute, spec).payload(), StandardCharsets.UTF_8).startsWith("\""), "a new environment serves the next call");
        }
    }
}
