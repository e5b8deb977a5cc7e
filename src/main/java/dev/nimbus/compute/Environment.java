package dev.nimbus.compute;

import dev.nimbus.protocol.Values;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

/**
 * One execution environment: one OS process running a function's runtime, which pulls events
 * from, and answers them to, the Lambda Runtime API (2018-06-01) served here.
 *
 * Each environment has its own small loopback listener for that API. A shared listener with the
 * environment's id in the path (AWS_LAMBDA_RUNTIME_API=127.0.0.1:PORT/env/ID) is not an option:
 * the Node.js runtime interface client splits the variable into host and port and drops any path,
 * and so do Rust's and others'. A listener per environment also means an environment can reach
 * only its own invocations.
 *
 * An environment serves one invocation at a time; {@link Compute} hands it out exclusively.
 * An invocation meets the runtime's long-polling "next" request in a slot: whichever comes second
 * writes the event as the answer to that request, so a warm invoke, whose runtime is already
 * waiting, writes its event from the invoking thread and wakes no other.
 */
final class Environment {
    private static final Logger LOG = Logger.getLogger("nimbus.lambda");
    /** AWS gives a runtime's initialization 10 seconds. */
    static final long INIT_LIMIT_MILLIS = 10_000;
    /** A function's response is limited like a request: 6 MB. */
    static final int MAX_RESPONSE = 6 * 1024 * 1024;
    private static final String API = "/2018-06-01/runtime/";
    private static final DateTimeFormatter STREAM_DATE = DateTimeFormatter.ofPattern("yyyy/MM/dd");

    final FunctionSpec spec;
    final String logStream;
    private final RuntimeApi api;
    /** Guards {@link #queued} and {@link #waiting}, of which at most one is set. */
    private final Object slot = new Object();
    /** An invocation no "next" request has taken yet. */
    private Invocation queued;
    /** A "next" request no invocation has answered yet. */
    private RuntimeApi.Connection waiting;
    /** LogFormat JSON: the platform's records are JSON objects (the runtime formats its own logs likewise). */
    private final boolean jsonLogs;
    private final Process process;
    private final LogCapture log;
    private final long spawnedNanos = System.nanoTime();
    private final AtomicBoolean closed = new AtomicBoolean();
    /** When the environment last finished an invocation (System.nanoTime), for idle reaping. */
    volatile long lastUsedNanos = System.nanoTime();
    /** The invocation this environment is serving (assigned before handoff), or null. */
    private volatile Invocation current;
    /** Nanoseconds from spawn to the runtime's first "next": the Init Duration, reported once. */
    private volatile long initNanos = -1;
    /** Completes when the runtime has initialised (its first "next"); fails when it ends before. */
    private final java.util.concurrent.CompletableFuture<Void> initialised = new java.util.concurrent.CompletableFuture<>();
    private boolean initReported;

    /** The cgroup capping this environment's memory, or null where there is none. */
    private final Cgroups.Group memory;

    private Environment(FunctionSpec spec, RuntimeApi api, Process process, String logStream, Cgroups.Group memory, LogCapture log) {
        this.spec = spec;
        this.api = api;
        this.process = process;
        this.memory = memory;
        this.logStream = logStream;
        this.log = log;
        this.jsonLogs = "JSON".equals(spec.environment().get("AWS_LAMBDA_LOG_FORMAT"));
    }

    /** Starts the runtime process; its initialization runs while the first invocation is queued for it. */
    static Environment start(FunctionSpec spec, Sandbox sandbox, Path runtimes, Map<String, String> credentials) throws IOException {
        RuntimeApi api = new RuntimeApi(MAX_RESPONSE);
        String id = UUID.randomUUID().toString().replace("-", "");
        String stream = LocalDate.now(ZoneOffset.UTC).format(STREAM_DATE) + "/[" + spec.version() + "]" + id;
        List<String> command;
        Cgroups.Group memory = null;
        try {
            command = sandbox.command(spec, runtimes);
            if (sandbox.memory() != null) {
                memory = sandbox.memory().create(spec.memoryMb());
                command = memory.wrap(command);
            }
        } catch (IOException | RuntimeException e) {
            api.close();
            throw e;
        }
        LogCapture log = new LogCapture();
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.file.toFile()));
        if (!sandbox.isolated()) pb.directory(spec.codeDir().toFile());
        Map<String, String> env = pb.environment();
        env.clear();
        env.put("PATH", "/usr/local/bin:/usr/bin:/bin");
        env.put("LANG", "en_US.UTF-8");
        // Layer paths first: variables the function sets itself win, as in Lambda.
        env.putAll(sandbox.layerVariables(spec, env.get("PATH")));
        env.putAll(spec.environment());
        env.putAll(credentials);
        env.put("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:" + api.port());
        env.put("AWS_LAMBDA_LOG_STREAM_NAME", stream);
        env.put("LAMBDA_TASK_ROOT", sandbox.taskRoot(spec));
        env.put("LAMBDA_RUNTIME_DIR", sandbox.runtimeDir(runtimes));
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            api.close();
            if (memory != null) memory.close();
            log.close();
            throw e;
        }
        Environment e = new Environment(spec, api, process, stream, memory, log);
        api.start(new RuntimeApi.Handler() {
            @Override
            public void handle(RuntimeApi.Request request, RuntimeApi.Connection connection) {
                e.serve(request, connection);
            }

            @Override
            public void ended(RuntimeApi.Connection connection) {
                synchronized (e.slot) {
                    if (e.waiting == connection) e.waiting = null;
                }
            }
        }, id);
        process.onExit().thenRun(e::exited);
        return e;
    }

    java.util.concurrent.CompletableFuture<Process> exit() {
        return process.onExit();
    }

    java.util.concurrent.CompletableFuture<Void> initialised() {
        return initialised;
    }

    boolean alive() {
        return !closed.get() && process.isAlive();
    }

    /**
     * Runs one invocation to its end: delivered within the init limit, answered within the
     * function's timeout. A timeout kills the environment (the caller must not reuse it then).
     */
    Invocation.Result invoke(Invocation inv) {
        long started = System.nanoTime();
        current = inv;
        log.append(jsonLogs ? PlatformRecords.start(inv.requestId, spec.version()) : "START RequestId: " + inv.requestId + " Version: " + spec.version() + "\n");
        RuntimeApi.Connection next;
        synchronized (slot) {
            next = waiting;
            waiting = null;
            if (next == null) queued = inv;
        }
        if (next != null) deliver(inv, next);
        if (!alive()) inv.fail(error("Runtime.ExitError", "RequestId: " + inv.requestId + " Error: Runtime exited before the invocation"));
        Invocation.Result r;
        try {
            inv.delivered.get(INIT_LIMIT_MILLIS, TimeUnit.MILLISECONDS);
            long wait = inv.deadlineMillis - System.currentTimeMillis();
            r = inv.result.isDone() ? inv.result.join() : inv.result.get(Math.max(wait, 0), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            boolean initTimedOut = !inv.delivered.isDone();
            // The first outcome wins: a response that raced the timer is still the answer; the
            // outcome is settled before the kill, so that the exit it causes is not reported instead.
            inv.fail(initTimedOut ? error("Runtime.Unknown", "RequestId: " + inv.requestId + " Error: Runtime failed to start within "
                    + INIT_LIMIT_MILLIS / 1000 + " seconds") : timedOut(inv));
            close();
            r = inv.result.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new IllegalStateException("interrupted while invoking " + spec.functionName(), e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
        current = null;
        synchronized (slot) {
            if (queued == inv) queued = null;
        }
        double millis = (System.nanoTime() - started) / 1e6;
        if (jsonLogs) {
            double init = !initReported && initNanos >= 0 ? initNanos / 1e6 : -1;
            initReported |= init >= 0;
            return r.withLog(log.appendAndTake(PlatformRecords.report(inv.requestId, millis, spec.memoryMb(), maxMemoryMb(), init, r.functionError() != null)), logStream);
        }
        StringBuilder tail = new StringBuilder();
        tail.append("END RequestId: ").append(inv.requestId).append('\n');
        tail.append("REPORT RequestId: ").append(inv.requestId)
                .append(String.format("\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB\tMax Memory Used: %d MB\t",
                        millis, (long) Math.ceil(millis), spec.memoryMb(), maxMemoryMb()));
        if (!initReported && initNanos >= 0) {
            initReported = true;
            tail.append(String.format("Init Duration: %.2f ms\t", initNanos / 1e6));
        }
        return r.withLog(log.appendAndTake(tail.append('\n').toString()), logStream);
    }

    private Invocation.Result timedOut(Invocation inv) {
        String at = Values.isoMillis(Instant.now());
        String message = at + " " + inv.requestId + " Task timed out after " + String.format("%.2f", (double) spec.timeoutSeconds()) + " seconds";
        log.append(message + "\n");
        return new Invocation.Result(("{\"errorMessage\":\"" + message + "\"}").getBytes(StandardCharsets.UTF_8), "Unhandled");
    }

    static Invocation.Result error(String type, String message) {
        String json = "{\"errorType\":" + quote(type) + ",\"errorMessage\":" + quote(message) + "}";
        return new Invocation.Result(json.getBytes(StandardCharsets.UTF_8), "Unhandled");
    }

    private static String quote(String s) {
        return com.fasterxml.jackson.databind.node.TextNode.valueOf(s).toString();
    }

    /** The process ended: whatever it was serving fails as AWS reports a runtime that exits. */
    private void exited() {
        Invocation inv = current;
        if (inv != null) {
            int code = process.exitValue();
            // The OOM killer's SIGKILL: reported as AWS does, "signal: killed" typed Runtime.OutOfMemory.
            boolean oom = memory != null && memory.oomKilled();
            String how = oom ? "signal: killed" : code > 128 ? "signal: " + signal(code - 128) : "exit status " + code;
            inv.fail(error(oom ? "Runtime.OutOfMemory" : "Runtime.ExitError", "RequestId: " + inv.requestId + " Error: Runtime exited with error: " + how));
        }
        close();
    }

    private static String signal(int n) {
        return switch (n) {
            case 6 -> "aborted";
            case 9 -> "killed";
            case 11 -> "segmentation fault";
            case 15 -> "terminated";
            default -> "signal " + n;
        };
    }

    /** Kills the process and everything it started, and stops the runtime API. Idempotent. */
    void close() {
        if (!closed.compareAndSet(false, true)) return;
        initialised.completeExceptionally(new IllegalStateException("the runtime of " + spec.functionName() + " ended before its init finished"));
        // Descendants first: a child the runtime forked would otherwise be re-parented and escape.
        List<ProcessHandle> tree = process.descendants().toList();
        tree.forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        // A kill takes effect asynchronously: wait, so that "closed" means "no process left running".
        try {
            process.waitFor(5, TimeUnit.SECONDS);
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            for (ProcessHandle h : tree) {
                // Not onExit(): processes orphaned inside a PID namespace are reaped by the host's init,
                // which may take a second; once they are zombies they have ended, and that is what counts.
                while (!ended(h) && System.nanoTime() < until) Thread.sleep(2);
                if (!ended(h)) LOG.warning("process " + h.pid() + " of " + spec.functionName() + "'s environment survived SIGKILL for 5 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (memory != null) {
            peakAtClose = memory.peakMb(); // the REPORT of the invocation that ended it may still ask
            memory.close();
        }
        api.close();
        log.close();
    }

    /** Whether a process has ended: gone, or a zombie waiting to be reaped. */
    static boolean ended(ProcessHandle h) {
        if (!h.isAlive()) return true;
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(h.pid()), "stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) == 'Z';
        } catch (IOException | RuntimeException e) {
            return !h.isAlive();
        }
    }

    /**
     * The peak usage of the environment's cgroup where it has one; else the largest resident set
     * the runtime reached (VmHWM), over its process tree, rounded up to MB.
     * The tree is looked up once, after the first invocation: listing descendants scans every
     * process of the host, too slow for each invoke; children forked later are not counted.
     */
    private long maxMemoryMb() {
        long peak = memory == null ? -1 : memory.peakMb();
        if (peak < 0) peak = peakAtClose;
        if (peak >= 0) return peak;
        if (measured == null) measured = processes().stream().mapToLong(ProcessHandle::pid).toArray();
        long kb = 0;
        for (long pid : measured) kb = Math.max(kb, hwmKb(pid));
        return (kb + 1023) / 1024;
    }

    private long[] measured;
    /** The cgroup's peak, read just before the group was removed. */
    private volatile long peakAtClose = -1;

    private static long hwmKb(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("\\D", ""));
            }
        } catch (IOException | RuntimeException e) {
            // gone or not Linux: nothing measured
        }
        return 0;
    }

    // ---- the Runtime API, as the process sees it

    private void serve(RuntimeApi.Request r, RuntimeApi.Connection c) {
        if (!r.path().startsWith(API)) {
            respond(c, 404, "{\"errorMessage\":\"Unknown runtime API request\",\"errorType\":\"InvalidRequest\"}");
            return;
        }
        String path = r.path().substring(API.length());
        String method = r.method();
        byte[] body = r.body();
        if (method.equals("GET") && path.equals("invocation/next")) {
            next(c);
        } else if (method.equals("POST") && path.equals("init/error")) {
            Invocation inv = current;
            if (inv != null) inv.fail(new Invocation.Result(errorBody(body, r), "Unhandled"));
            respond(c, 202, "{\"status\":\"OK\"}");
            Thread.ofVirtual().start(this::close); // AWS ends an environment whose init failed
        } else if (method.equals("POST") && path.startsWith("invocation/") && (path.endsWith("/response") || path.endsWith("/error"))) {
            String id = path.substring("invocation/".length(), path.lastIndexOf('/'));
            Invocation inv = current;
            if (inv == null || !inv.requestId.equals(id)) {
                respond(c, 400, "{\"errorMessage\":\"Invalid request ID\",\"errorType\":\"InvalidRequestID\"}");
            } else if (path.endsWith("/error")) {
                inv.result.complete(new Invocation.Result(errorBody(body, r), "Unhandled"));
                respond(c, 202, "{\"status\":\"OK\"}");
            } else if (body.length > MAX_RESPONSE) {
                inv.result.complete(error("Function.ResponseSizeTooLarge",
                        "Response payload size exceeded maximum allowed payload size (" + MAX_RESPONSE + " bytes)."));
                respond(c, 413, "{\"errorMessage\":\"Exceeded maximum allowed payload size (" + MAX_RESPONSE
                        + " bytes).\",\"errorType\":\"RequestEntityTooLarge\"}");
            } else {
                inv.result.complete(new Invocation.Result(body, null));
                respond(c, 202, "{\"status\":\"OK\"}");
            }
        } else {
            respond(c, 404, "{\"errorMessage\":\"Unknown runtime API request\",\"errorType\":\"InvalidRequest\"}");
        }
    }

    /** A "next" request: answered now with the invocation waiting for it, else by the next one to come ({@link #invoke}). */
    private void next(RuntimeApi.Connection c) {
        if (initNanos < 0) initNanos = System.nanoTime() - spawnedNanos;
        initialised.complete(null);
        Invocation inv;
        synchronized (slot) {
            inv = queued;
            queued = null;
            if (inv == null) waiting = c;
        }
        if (inv != null) deliver(inv, c);
    }

    /** Answers a "next" request with the invocation's event: from here on the function's timeout runs. */
    private void deliver(Invocation inv, RuntimeApi.Connection c) {
        inv.deadlineMillis = System.currentTimeMillis() + spec.timeoutSeconds() * 1000L;
        String deadline = Long.toString(inv.deadlineMillis);
        String invoked = inv.invokedArn != null ? inv.invokedArn : spec.arn();
        if (inv.clientContext == null) {
            c.respond(200, inv.event, "Content-Type", "application/json", "Lambda-Runtime-Aws-Request-Id", inv.requestId,
                    "Lambda-Runtime-Deadline-Ms", deadline, "Lambda-Runtime-Invoked-Function-Arn", invoked, "Lambda-Runtime-Trace-Id", inv.traceId);
        } else {
            c.respond(200, inv.event, "Content-Type", "application/json", "Lambda-Runtime-Aws-Request-Id", inv.requestId,
                    "Lambda-Runtime-Deadline-Ms", deadline, "Lambda-Runtime-Invoked-Function-Arn", invoked, "Lambda-Runtime-Trace-Id", inv.traceId,
                    "Lambda-Runtime-Client-Context", inv.clientContext);
        }
        inv.delivered.complete(null);
    }

    /** An error report as the runtime posted it, or one built from its error-type header when it posted none. */
    private static byte[] errorBody(byte[] body, RuntimeApi.Request r) {
        if (body.length > 0) return body;
        String type = r.header("Lambda-Runtime-Function-Error-Type");
        return error(type == null ? "Runtime.Unknown" : type, "The runtime reported an error without details").payload();
    }

    private static void respond(RuntimeApi.Connection c, int status, String json) {
        c.respond(status, json.getBytes(StandardCharsets.UTF_8), "Content-Type", "application/json");
    }

    /** The environment's process tree: the runtime (or bwrap) and what it started. */
    List<ProcessHandle> processes() {
        return java.util.stream.Stream.concat(java.util.stream.Stream.of(process.toHandle()), process.descendants()).toList();
    }
}
