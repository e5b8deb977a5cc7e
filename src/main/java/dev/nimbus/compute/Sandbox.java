package dev.nimbus.compute;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * How an environment's process is started: inside bubblewrap when {@code bwrap} is on the PATH
 * (code read-only at /var/task, runtime at /var/runtime, private /tmp, own PID namespace, host
 * system directories read-only, nothing else of the host: no data dir, no home), else as a plain
 * child process working in the code directory. Either way its memory is capped with a cgroup where
 * the host lets us make one ({@link Cgroups}).
 */
final class Sandbox {
    static final String TASK_ROOT = "/var/task";
    static final String RUNTIME_DIR = "/var/runtime";
    static final String OPT = "/opt";
    /** Host directories a runtime needs (interpreters, shared libraries, certificates, resolv.conf), read-only. */
    private static final List<String> SYSTEM_DIRS = List.of("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/etc");

    private final Path bwrap;
    private final Interpreters interpreters;
    private final JavaRuntime java;
    /** Where environments' memory is capped, or null: cgroups absent or not writable. */
    private final Cgroups memory;

    Sandbox(Path bwrap, Interpreters interpreters, JavaRuntime java, Cgroups memory) {
        this.bwrap = bwrap;
        this.interpreters = interpreters;
        this.java = java;
        this.memory = memory;
    }

    static Sandbox detect() {
        return new Sandbox(Interpreters.onPath("bwrap"), new Interpreters(System::getenv), new JavaRuntime(System::getenv), Cgroups.detect());
    }

    boolean isolated() {
        return bwrap != null;
    }

    private volatile Boolean sizesTmpfs;

    /** Whether this bubblewrap takes --size (asked once: its help lists the option). */
    private boolean sizesTmpfs() {
        Boolean known = sizesTmpfs;
        if (known != null) return known;
        boolean yes;
        try {
            Process p = new ProcessBuilder(bwrap.toString(), "--help").redirectErrorStream(true).start();
            yes = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).contains("--size");
            p.waitFor();
        } catch (IOException e) {
            yes = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            yes = false;
        }
        sizesTmpfs = yes;
        return yes;
    }

    /** The cgroups that cap environments' memory at MemorySize, or null when this host offers none we can write. */
    Cgroups memory() {
        return memory;
    }

    /** Where the function sees its code and the runtime's files. */
    String taskRoot(FunctionSpec spec) {
        return isolated() ? TASK_ROOT : spec.codeDir().toString();
    }

    String runtimeDir(Path runtimes) {
        return isolated() ? RUNTIME_DIR : runtimes.toString();
    }

    /**
     * Where a function with layers finds them, the way Lambda's runtimes search /opt: python/ and
     * python/lib/pythonX.Y/site-packages on the Python path, nodejs/node_modules and
     * nodejs/nodeNN/node_modules on Node's, bin/ on the PATH and lib/ for shared libraries. Without a
     * sandbox there is no /opt of the function's own, and the same variables point at the merged
     * directory on the host.
     */
    Map<String, String> layerVariables(FunctionSpec spec, String path) {
        if (spec.optDir() == null) return Map.of();
        String opt = isolated() ? OPT : spec.optDir().toString();
        Map<String, String> env = new LinkedHashMap<>();
        switch (family(spec.runtime())) {
            case "python" -> env.put("PYTHONPATH", opt + "/python:" + opt + "/python/lib/" + spec.runtime() + "/site-packages");
            case "node" -> env.put("NODE_PATH", opt + "/nodejs/" + spec.runtime().replace("js", "").replace(".x", "") + "/node_modules:"
                    + opt + "/nodejs/node_modules");
            default -> { }
        }
        env.put("PATH", path + ":" + opt + "/bin");
        env.put("LD_LIBRARY_PATH", opt + "/lib");
        return env;
    }

    /** The command line for a function's runtime; {@code runtimes} holds Nimbus's bootstraps (python/, node/, java/). */
    List<String> command(FunctionSpec spec, Path runtimes) throws IOException {
        String runtimeDir = runtimeDir(runtimes);
        List<String> runtime = switch (family(spec.runtime())) {
            case "python" -> List.of(interpreters.python(spec.runtime()).executable(), "-u", runtimeDir + "/python/bootstrap.py");
            case "node" -> List.of(interpreters.node(spec.runtime()).executable(), runtimeDir + "/node/bootstrap.mjs");
            case "java" -> java.command(spec, runtimes, runtimeDir);
            default -> List.of(taskRoot(spec) + "/bootstrap");
        };
        if (!isolated()) return runtime;
        List<String> cmd = new ArrayList<>(List.of(bwrap.toString(), "--die-with-parent", "--unshare-pid", "--new-session"));
        for (String dir : SYSTEM_DIRS) bindReadOnly(cmd, Path.of(dir));
        Interpreters.Interpreter interpreter = switch (family(spec.runtime())) {
            case "python" -> interpreters.python(spec.runtime());
            case "node" -> interpreters.node(spec.runtime());
            case "java" -> {
                Path home = java.jdk(JavaRuntime.version(spec.runtime())).home();
                yield new Interpreters.Interpreter(home.resolve("bin/java").toString(), home.toString());
            }
            default -> null;
        };
        // An interpreter outside the system directories (pyenv, nvm) is made visible where it lives.
        if (interpreter != null && SYSTEM_DIRS.stream().noneMatch(d -> interpreter.prefix().startsWith(d))) {
            cmd.addAll(List.of("--ro-bind", interpreter.prefix(), interpreter.prefix()));
        }
        cmd.addAll(List.of("--proc", "/proc", "--dev", "/dev"));
        // EphemeralStorage caps /tmp where bubblewrap can size a tmpfs (0.8 and later); --size applies to the option after it.
        if (sizesTmpfs()) cmd.addAll(List.of("--size", Long.toString(spec.ephemeralStorageMb() * 1024L * 1024L)));
        cmd.addAll(List.of("--tmpfs", "/tmp",
                "--ro-bind", spec.codeDir().toString(), TASK_ROOT,
                "--ro-bind", runtimes.toString(), RUNTIME_DIR));
        if (spec.optDir() != null) cmd.addAll(List.of("--ro-bind", spec.optDir().toString(), OPT));
        cmd.addAll(List.of("--chdir", TASK_ROOT, "--"));
        cmd.addAll(runtime);
        return cmd;
    }

    /** Merged-/usr systems have /bin, /lib ... as symlinks: recreated as symlinks, not bound twice. */
    private static void bindReadOnly(List<String> cmd, Path dir) {
        try {
            if (Files.isSymbolicLink(dir)) cmd.addAll(List.of("--symlink", Files.readSymbolicLink(dir).toString(), dir.toString()));
            else if (Files.isDirectory(dir)) cmd.addAll(List.of("--ro-bind", dir.toString(), dir.toString()));
        } catch (IOException e) {
            // unreadable link: leave the directory out of the sandbox
        }
    }

    /** The interpreter NIMBUS_RUNTIME_<RUNTIME> maps a runtime to (python3.12 -> NIMBUS_RUNTIME_PYTHON3_12), or null. */
    static String configured(Function<String, String> settings, String runtime) {
        String v = settings.apply("NIMBUS_RUNTIME_" + runtime.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_"));
        return v == null || v.isBlank() ? null : v;
    }

    /** python, node, java or provided (the zip's own bootstrap). */
    static String family(String runtime) {
        if (runtime.startsWith("python")) return "python";
        if (runtime.startsWith("nodejs")) return "node";
        if (runtime.startsWith("java")) return "java";
        return "provided";
    }

    /**
     * The host's interpreters, resolved once each: by default python3 and node as found on the
     * PATH, through version-manager shims (pyenv's python3 is a shell script) to the real
     * executable and the installation prefix a sandbox must be able to see. A runtime can be mapped
     * to another interpreter with {@code NIMBUS_RUNTIME_<RUNTIME>} (NIMBUS_RUNTIME_PYTHON3_12=
     * /usr/bin/python3.12), a family with NIMBUS_RUNTIME_PYTHON or NIMBUS_RUNTIME_NODE.
     */
    static final class Interpreters {
        record Interpreter(String executable, String prefix) {}

        private final Function<String, String> settings;
        private final ConcurrentHashMap<String, Interpreter> resolved = new ConcurrentHashMap<>();

        /** @param settings where the NIMBUS_RUNTIME_* mappings are read (the environment) */
        Interpreters(Function<String, String> settings) {
            this.settings = settings;
        }

        Interpreter python(String runtime) {
            return resolve(runtime, "PYTHON", "python3", "import sys; print(sys.executable); print(sys.base_prefix)", "-c");
        }

        Interpreter node(String runtime) {
            return resolve(runtime, "NODE", "node", "console.log(process.execPath); console.log(require('path').resolve(process.execPath, '../..'))", "-e");
        }

        private Interpreter resolve(String runtime, String family, String standard, String script, String flag) {
            String name = configured(settings, runtime);
            if (name == null) name = settings.apply("NIMBUS_RUNTIME_" + family);
            return resolved.computeIfAbsent(name == null ? standard : name, n -> ask(n, script, flag));
        }

        private static Interpreter ask(String name, String script, String flag) {
            Path found = name.contains("/") ? (Files.isExecutable(Path.of(name)) ? Path.of(name) : null) : onPath(name);
            if (found == null) throw new IllegalStateException(name + (name.contains("/") ? " is not an executable file" : " is not on the PATH"));
            try {
                Process p = new ProcessBuilder(found.toString(), flag, script).redirectErrorStream(true).start();
                String[] lines = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip().split("\n");
                if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0 || lines.length < 2) {
                    throw new IllegalStateException(name + " did not say where it is installed: " + String.join(" ", lines));
                }
                return new Interpreter(lines[0].strip(), lines[1].strip());
            } catch (IOException e) {
                throw new IllegalStateException("cannot run " + found + ": " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while asking " + name + " where it lives", e);
            }
        }

        static Path onPath(String name) {
            String path = System.getenv("PATH");
            if (path == null) return null;
            for (String dir : path.split(":")) {
                if (dir.isEmpty()) continue;
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p) && !Files.isDirectory(p)) return p;
            }
            return null;
        }
    }
}
