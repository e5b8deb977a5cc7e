package dev.nimbus.compute;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The java17/java21 runtimes: the host's newest JDK of at least the runtime's version (found as the
 * launcher finds one: $JAVA_HOME, then /usr/lib/jvm/*) runs Nimbus's bootstrap (resources
 * runtimes/java/Bootstrap.java), which loads the function's handler in a class loader of its own.
 *
 * The bootstrap is compiled once, with --release 17 so that any suitable JDK runs it, into the
 * runtimes directory under a name derived from its source: a JVM starting a single-file source
 * program spends a second compiling it, on every cold start.
 */
final class JavaRuntime {
    record Jdk(Path home, int major) {
        String java() {
            return home.resolve("bin/java").toString();
        }
    }

    private final List<Path> searched;
    private final ConcurrentHashMap<Integer, Jdk> chosen = new ConcurrentHashMap<>();
    private final java.util.function.Function<String, String> settings;
    private volatile String compiled;

    /** @param settings where NIMBUS_RUNTIME_JAVA21 (a JDK home for java21, say) is read: the environment */
    JavaRuntime(java.util.function.Function<String, String> settings) {
        this(defaultSearch(), settings);
    }

    JavaRuntime(List<Path> searched, java.util.function.Function<String, String> settings) {
        this.searched = searched;
        this.settings = settings;
    }

    private static List<Path> defaultSearch() {
        List<Path> homes = new ArrayList<>();
        String env = System.getenv("JAVA_HOME");
        if (env != null && !env.isBlank()) homes.add(Path.of(env));
        try (DirectoryStream<Path> jvms = Files.newDirectoryStream(Path.of("/usr/lib/jvm"))) {
            jvms.forEach(homes::add);
        } catch (IOException e) {
            // no /usr/lib/jvm: only $JAVA_HOME
        }
        return homes;
    }

    /** java17 -> 17; the runtime names LambdaService accepts are javaNN. */
    static int version(String runtime) {
        return Integer.parseInt(runtime.substring("java".length()));
    }

    /**
     * The JDK NIMBUS_RUNTIME_JAVA{min} names, else the newest of at least {@code min}, or an
     * IllegalStateException saying what was found.
     */
    Jdk jdk(int min) {
        return chosen.computeIfAbsent(min, m -> {
            String configured = Sandbox.configured(settings, "java" + m);
            if (configured != null) {
                try {
                    Path home = Path.of(configured).toRealPath();
                    int major = major(home);
                    if (major > 0 && Files.isExecutable(home.resolve("bin/java"))) return new Jdk(home, major);
                } catch (IOException e) {
                    // reported below
                }
                throw new IllegalStateException("NIMBUS_RUNTIME_JAVA" + m + " names " + configured + ", which is not a JDK home");
            }
            Jdk best = null;
            List<String> seen = new ArrayList<>();
            for (Jdk j : installed()) {
                seen.add(j.home() + " (" + j.major() + ")");
                if (j.major() >= m && (best == null || j.major() > best.major())) best = j;
            }
            if (best == null) throw new IllegalStateException("no Java " + m + " or newer on this host (found: " + (seen.isEmpty() ? "none" : String.join(", ", seen))
                    + "); install one under /usr/lib/jvm or set JAVA_HOME");
            return best;
        });
    }

    private List<Jdk> installed() {
        Set<Path> homes = new LinkedHashSet<>();
        List<Jdk> out = new ArrayList<>();
        for (Path h : searched) {
            try {
                Path real = h.toRealPath();
                if (!homes.add(real) || !Files.isExecutable(real.resolve("bin/java"))) continue;
                int major = major(real);
                if (major > 0) out.add(new Jdk(real, major));
            } catch (IOException e) {
                // a dangling link or unreadable directory is not a JDK
            }
        }
        return out;
    }

    /** JAVA_VERSION="21.0.2" (or "1.8.0_x") from the JDK's release file; 0 if unreadable. */
    private static int major(Path home) throws IOException {
        Path release = home.resolve("release");
        if (!Files.isRegularFile(release)) return 0;
        for (String line : Files.readAllLines(release)) {
            if (!line.startsWith("JAVA_VERSION=")) continue;
            String v = line.substring(line.indexOf('"') + 1).replace("\"", "");
            String[] parts = v.split("[._+-]");
            int first = Integer.parseInt(parts[0]);
            return first == 1 && parts.length > 1 ? Integer.parseInt(parts[1]) : first;
        }
        return 0;
    }

    /**
     * The runtime's command: the JVM with AWS's flags for a fast start (C1 only, class data
     * sharing, serial GC) and a heap sized from MemorySize, running the compiled bootstrap.
     * {@code runtimeDir} is where the process sees {@code runtimes}.
     */
    List<String> command(FunctionSpec spec, Path runtimes, String runtimeDir) throws IOException {
        Jdk jdk = jdk(version(spec.runtime()));
        String classes = compile(runtimes);
        // AWS leaves the JVM about 85% of the function's memory for the heap, the rest for metaspace, code and stacks.
        long heapMb = Math.max(spec.memoryMb() * 85L / 100, 16);
        // No hsperfdata file: a killed environment would leave it behind in the host's /tmp when not sandboxed.
        return List.of(jdk.java(), "-XX:+TieredCompilation", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto",
                "-XX:-UsePerfData", "-Xss512k", "-XX:MaxHeapSize=" + heapMb + "m", "-Djava.net.preferIPv4Stack=true",
                "-cp", runtimeDir + "/java/" + classes, "Bootstrap");
    }

    /** Compiles the bootstrap into runtimes/java/NAME once; returns NAME. */
    private String compile(Path runtimes) throws IOException {
        String done = compiled;
        if (done != null) return done;
        synchronized (this) {
            if (compiled != null) return compiled;
            byte[] source;
            try (InputStream in = JavaRuntime.class.getResourceAsStream("/runtimes/java/Bootstrap.java")) {
                if (in == null) throw new IllegalStateException("runtime file missing from the build: java/Bootstrap.java");
                source = in.readAllBytes();
            }
            String name = "bootstrap-" + sha256(source).substring(0, 16);
            Path target = runtimes.resolve("java").resolve(name);
            if (!Files.isRegularFile(target.resolve("Bootstrap.class"))) {
                Path work = Files.createTempDirectory(Files.createDirectories(runtimes.resolve("java")), "compile");
                try {
                    Files.write(work.resolve("Bootstrap.java"), source);
                    Path out = Files.createDirectories(work.resolve("classes"));
                    javac(List.of("--release", "17", "-nowarn", "-d", out.toString(), work.resolve("Bootstrap.java").toString()));
                    try {
                        Files.move(out, target, StandardCopyOption.ATOMIC_MOVE);
                    } catch (IOException e) {
                        if (!Files.isRegularFile(target.resolve("Bootstrap.class"))) throw e; // else another server compiled it meanwhile
                    }
                } finally {
                    deleteTree(work);
                }
            }
            compiled = name;
            return name;
        }
    }

    /** Runs javac of the newest JDK that has one. */
    private void javac(List<String> args) throws IOException {
        Jdk withJavac = null;
        for (Jdk j : installed()) {
            if (Files.isExecutable(j.home().resolve("bin/javac")) && j.major() >= 17 && (withJavac == null || j.major() > withJavac.major())) withJavac = j;
        }
        if (withJavac == null) throw new IllegalStateException("the Java runtimes need a JDK 17 or newer with javac, to compile their bootstrap once");
        List<String> cmd = new ArrayList<>(List.of(withJavac.home().resolve("bin/javac").toString()));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IllegalStateException("compiling the Java bootstrap failed: " + output);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IllegalStateException("interrupted while compiling the Java bootstrap", e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    private static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
