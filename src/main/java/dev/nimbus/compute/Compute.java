package dev.nimbus.compute;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The execution environments of every function: a warm, idle one is reused when there is one,
 * a new one is started when all are busy, and one left idle for the idle limit is ended. Environments of a replaced revision are drained: idle
 * ones are killed at once, busy ones when their invocation ends.
 */
public final class Compute implements AutoCloseable {
    private final Sandbox sandbox;
    private final Path runtimes;
    /** Temporary credentials for a new environment of this function (AWS_ACCESS_KEY_ID and friends). */
    private final Function<FunctionSpec, Map<String, String>> credentials;
    /** function ARN -> its idle environments, most recently used first */
    private final ConcurrentHashMap<String, ConcurrentLinkedDeque<Environment>> idle = new ConcurrentHashMap<>();
    private final Set<Environment> all = ConcurrentHashMap.newKeySet();
    private final Duration idleLimit;
    private final ScheduledExecutorService reaper = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "lambda-idle-reaper");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean closed;

    /**
     * {@code runtimes}: a directory holding Nimbus's runtime bootstraps (python/bootstrap.py,
     * node/bootstrap.mjs); environments idle for longer than {@link #DEFAULT_IDLE_LIMIT} end.
     */
    public Compute(Path runtimes, Function<FunctionSpec, Map<String, String>> credentials) {
        this(Sandbox.detect(), runtimes, credentials, DEFAULT_IDLE_LIMIT);
    }

    /** Environments idle for longer than {@code idleLimit} end. */
    public Compute(Path runtimes, Function<FunctionSpec, Map<String, String>> credentials, Duration idleLimit) {
        this(Sandbox.detect(), runtimes, credentials, idleLimit);
    }

    /** Like AWS, which keeps an unused environment for some minutes before it reclaims it. */
    public static final Duration DEFAULT_IDLE_LIMIT = Duration.ofMinutes(10);

    Compute(Sandbox sandbox, Path runtimes, Function<FunctionSpec, Map<String, String>> credentials, Duration idleLimit) {
        this.sandbox = sandbox;
        this.runtimes = runtimes;
        this.credentials = credentials;
        this.idleLimit = idleLimit;
        long period = Math.max(idleLimit.toMillis() / 4, 10);
        reaper.scheduleWithFixedDelay(this::reapIdle, period, period, TimeUnit.MILLISECONDS);
    }

    /**
     * Ends environments nobody used within the idle limit, except those kept for provisioned
     * concurrency, and replaces provisioned ones that ended (a timer, not on any invocation's path).
     */
    private void reapIdle() {
        long now = System.nanoTime();
        for (var entry : idle.entrySet()) {
            ConcurrentLinkedDeque<Environment> warm = entry.getValue();
            Provision kept = provisioned.get(entry.getKey());
            int spare = kept == null ? Integer.MAX_VALUE : running(entry.getKey(), kept.spec().revision()) - kept.count();
            for (Environment e : List.copyOf(warm)) {
                if (spare > 0 && now - e.lastUsedNanos > idleLimit.toNanos() && warm.remove(e)) {
                    retire(e);
                    spare--;
                }
            }
        }
        for (String arn : provisioned.keySet()) provisionMissing(arn);
    }

    /** Environments kept started for a function version (provisioned concurrency), and the spec they start from. */
    private record Provision(FunctionSpec spec, int count) {}

    private final ConcurrentHashMap<String, Provision> provisioned = new ConcurrentHashMap<>();

    /**
     * Keeps {@code count} environments of this function version started and initialised
     * (provisioned concurrency): started now, exempt from idle reaping, replaced when they end.
     * The answer completes when that many have finished their init (or fails if one could not).
     * A count of 0 lets them go like any other environment.
     */
    public java.util.concurrent.CompletableFuture<Void> provision(FunctionSpec spec, int count) {
        if (count <= 0) {
            provisioned.remove(spec.arn());
            return java.util.concurrent.CompletableFuture.completedFuture(null);
        }
        provisioned.put(spec.arn(), new Provision(spec, count));
        return provisionMissing(spec.arn());
    }

    private synchronized java.util.concurrent.CompletableFuture<Void> provisionMissing(String arn) {
        Provision p = provisioned.get(arn);
        if (p == null || closed) return java.util.concurrent.CompletableFuture.completedFuture(null);
        List<java.util.concurrent.CompletableFuture<Void>> ready = new java.util.ArrayList<>();
        for (Environment e : all) {
            if (ready.size() < p.count() && e.spec.arn().equals(arn) && e.spec.revision().equals(p.spec().revision()) && e.alive()) ready.add(e.initialised());
        }
        try {
            while (ready.size() < p.count()) {
                Environment e = start(p.spec());
                idle.computeIfAbsent(arn, k -> new ConcurrentLinkedDeque<>()).addLast(e);
                ready.add(e.initialised());
            }
        } catch (IOException | IllegalStateException e) {
            return java.util.concurrent.CompletableFuture.failedFuture(e);
        }
        return java.util.concurrent.CompletableFuture.allOf(ready.toArray(java.util.concurrent.CompletableFuture[]::new));
    }

    /** Live environments of a function at a revision, busy or idle. */
    private int running(String arn, String revision) {
        int n = 0;
        for (Environment e : all) if (e.spec.arn().equals(arn) && e.spec.revision().equals(revision) && e.alive()) n++;
        return n;
    }

    /** Whether this host lets Nimbus cap environments' memory with cgroups (writable v1 or v2 memory controller). */
    public static boolean memoryLimits() {
        return Cgroups.detect() != null;
    }

    /** Whether environments run inside bubblewrap; without it they are plain child processes. */
    public boolean isolated() {
        return sandbox.isolated();
    }

    /** Runs one invocation synchronously in a warm environment of this revision, or a new one. */
    public Invocation.Result invoke(FunctionSpec spec, Invocation inv) {
        if (closed) throw new IllegalStateException("compute is closed");
        Environment env;
        try {
            env = acquire(spec);
        } catch (IOException | IllegalStateException e) { // no interpreter, a bootstrap that cannot be executed
            if (closed) throw e instanceof IllegalStateException ise ? ise : new IllegalStateException(e);
            return Environment.error("Runtime.InvalidEntrypoint", "RequestId: " + inv.requestId + " Error: could not start the "
                    + spec.runtime() + " runtime: " + e.getMessage()).withLog("", null);
        }
        try {
            return env.invoke(inv);
        } finally {
            release(env);
        }
    }

    private Environment acquire(FunctionSpec spec) throws IOException {
        ConcurrentLinkedDeque<Environment> warm = idle.get(spec.arn());
        if (warm != null) {
            for (Environment e; (e = warm.pollFirst()) != null; ) {
                if (e.alive() && e.spec.revision().equals(spec.revision())) return e;
                retire(e);
            }
        }
        return start(spec);
    }

    /** A new environment, known to {@link #close} and forgotten when it ends. */
    private Environment start(FunctionSpec spec) throws IOException {
        Environment e = Environment.start(spec, sandbox, runtimes, credentials.apply(spec));
        all.add(e);
        e.exit().thenRun(() -> { // a crashed or killed environment is forgotten at once
            all.remove(e);
            ConcurrentLinkedDeque<Environment> d = idle.get(spec.arn());
            if (d != null) d.remove(e);
        });
        if (closed) { // close() ran meanwhile and did not see this one
            retire(e);
            throw new IllegalStateException("compute is closed");
        }
        return e;
    }

    private void release(Environment e) {
        e.lastUsedNanos = System.nanoTime();
        if (!closed && e.alive()) {
            idle.computeIfAbsent(e.spec.arn(), k -> new ConcurrentLinkedDeque<>()).addFirst(e);
            // A revision replaced while this one was busy: drained now that it is done.
            if (e.spec.revision().equals(currentRevision.getOrDefault(e.spec.arn(), e.spec.revision()))) return;
            if (!idle.get(e.spec.arn()).remove(e)) return;
        }
        retire(e);
    }

    /** function ARN -> the revision new invocations use, set by {@link #drain}; older environments are retired. */
    private final ConcurrentHashMap<String, String> currentRevision = new ConcurrentHashMap<>();

    /**
     * The function changed (code, configuration) or is gone: idle environments of other revisions are
     * killed now, busy ones when they finish. {@code revision} null means the function was deleted.
     */
    public void drain(String arn, String revision) {
        if (revision == null) provisioned.remove(arn);
        if (revision == null) currentRevision.put(arn, "");
        else currentRevision.put(arn, revision);
        ConcurrentLinkedDeque<Environment> warm = idle.get(arn);
        if (warm == null) return;
        for (Environment e : List.copyOf(warm)) {
            if (!e.spec.revision().equals(revision) && warm.remove(e)) retire(e);
        }
    }

    private void retire(Environment e) {
        all.remove(e);
        e.close();
    }

    /** Kills every environment. */
    @Override
    public void close() {
        closed = true;
        reaper.shutdownNow();
        for (Environment e : List.copyOf(all)) retire(e);
        idle.clear();
    }
}
