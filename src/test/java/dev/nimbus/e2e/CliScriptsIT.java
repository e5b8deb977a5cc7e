package dev.nimbus.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The end-to-end scripts in tests/e2e (the AWS CLI against a server started by ./nimbus), one test
 * each. Failsafe runs this after `package`, so the launcher finds an up-to-date jar and does not
 * build. A script exits 77 when a tool it needs (the AWS CLI) is missing: reported as skipped.
 */
class CliScriptsIT {
    private static final int SKIPPED = 77;

    @TestFactory
    Stream<DynamicTest> scripts() throws IOException {
        List<Path> scripts;
        try (Stream<Path> files = Files.list(Path.of("tests", "e2e"))) {
            scripts = files.filter(p -> p.getFileName().toString().endsWith(".sh")).sorted().toList();
        }
        assertFalse(scripts.isEmpty(), "no scripts in tests/e2e");
        return scripts.stream().map(s -> DynamicTest.dynamicTest(s.getFileName().toString(), () -> run(s)));
    }

    /** Streams the script's lines to the build output as they come; the failed checks also go into the failure message. */
    private static void run(Path script) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("bash", script.toString()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        StringBuilder failures = new StringBuilder();
        String last = "";
        try (BufferedReader r = p.inputReader()) {
            for (String line; (line = r.readLine()) != null; ) {
                System.out.println(line);
                if (line.startsWith("not ok")) failures.append('\n').append(line);
                last = line;
            }
        }
        int status = p.waitFor();
        String lastLine = last;
        assumeTrue(status != SKIPPED, () -> script + ": " + lastLine);
        assertEquals(0, status, () -> script + " failed (exit " + status + "; details in the output above):" + failures);
    }
}
