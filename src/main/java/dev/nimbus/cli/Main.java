package dev.nimbus.cli;

import dev.nimbus.protocol.model.Catalog;
import dev.nimbus.server.NimbusServer;
import dev.nimbus.server.ServerConfig;
import dev.nimbus.services.Operations;
import dev.nimbus.services.ServiceSet;
import dev.nimbus.services.lambda.LambdaLimits;
import dev.nimbus.store.SqliteStore;
import dev.nimbus.store.Store;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;

/** `nimbus start ...` and `nimbus coverage`. */
public final class Main {
    private static final String USAGE = """
            usage: nimbus start [--port 4566] [--host 127.0.0.1] [--data-dir DIR | --ephemeral] [--debug]
                                [--lambda-concurrency 1000] [--lambda-memory-mb MB] [--lambda-idle-seconds 600]
                   nimbus coverage
            """;

    public static void main(String[] args) throws Exception {
        String command = args.length == 0 ? "start" : args[0];
        switch (command) {
            case "start" -> start(args);
            case "coverage" -> coverage();
            case "help", "--help", "-h" -> System.out.print(USAGE);
            default -> fail("unknown command '" + command + "'");
        }
    }

    private static void start(String[] args) throws InterruptedException {
        long t0 = System.nanoTime();
        ServerConfig config = ServerConfig.defaults();
        boolean debug = false;
        String envDir = System.getenv("NIMBUS_DATA_DIR");
        if (envDir != null && !envDir.isBlank()) config = config.withDataDir(Path.of(envDir));
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--port" -> config = config.withPort(parsePort(value(args, ++i, a)));
                case "--host" -> config = config.withHost(value(args, ++i, a));
                case "--data-dir" -> config = config.withDataDir(Path.of(value(args, ++i, a)));
                case "--ephemeral" -> config = config.asEphemeral();
                case "--debug" -> debug = true;
                case "--lambda-concurrency", "--lambda-memory-mb", "--lambda-idle-seconds" -> config = config.withLambda(lambda(config.lambda(), a, value(args, ++i, a)));
                default -> fail("unknown option '" + a + "'");
            }
        }
        Logging.configure(debug);
        NimbusServer server;
        try {
            server = NimbusServer.start(config);
        } catch (RuntimeException e) {
            fail("cannot start: " + rootMessage(e));
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.err.println("nimbus: shutting down");
            server.close();
            stopped.countDown();
        }, "nimbus-shutdown"));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("Nimbus " + NimbusServer.VERSION + " ready on " + server.url() + " in " + ms + " ms");
        System.out.println("  data:         " + (config.ephemeral() ? "ephemeral (a temporary directory, removed on exit)" : config.dataDir().toAbsolutePath()));
        System.out.println("  services:     " + String.join(", ", server.operations().services()));
        System.out.println("  capabilities: " + server.capabilities());
        System.out.flush();
        stopped.await();
    }

    /** Operations implemented (from the services' own registrations) against operations in each model. */
    private static void coverage() {
        Catalog catalog = new Catalog();
        try (Store store = SqliteStore.ephemeral()) {
            Operations ops = new ServiceSet(store).operations();
            int totalImpl = 0, totalModel = 0;
            System.out.printf("%-18s %11s %7s %8s%n", "service", "implemented", "model", "percent");
            for (Catalog.Entry e : catalog.entries()) {
                Set<String> inModel = new TreeSet<>(catalog.model(e.name()).operations.keySet());
                Set<String> impl = ops.implemented(e.name());
                impl.retainAll(inModel);
                totalImpl += impl.size();
                totalModel += inModel.size();
                System.out.printf("%-18s %11d %7d %7.1f%%%n", e.name(), impl.size(), inModel.size(), 100.0 * impl.size() / inModel.size());
            }
            System.out.printf("%-18s %11d %7d %7.1f%%%n", "total", totalImpl, totalModel, 100.0 * totalImpl / totalModel);
            System.out.println("models: " + catalog.source);
        }
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) fail(option + " needs a value");
        return args[i];
    }

    private static int parsePort(String s) {
        try {
            int p = Integer.parseInt(s);
            if (p < 0 || p > 65535) throw new NumberFormatException();
            return p;
        } catch (NumberFormatException e) {
            fail("--port needs a number from 0 to 65535, not '" + s + "'");
            return -1;
        }
    }

    /** One Lambda limit changed from its flag. */
    private static LambdaLimits lambda(LambdaLimits l, String option, String value) {
        try {
            long n = Long.parseLong(value);
            if (n < 1 || n > Integer.MAX_VALUE) throw new NumberFormatException();
            return switch (option) {
                case "--lambda-concurrency" -> l.withConcurrency((int) n);
                case "--lambda-memory-mb" -> l.withMemoryBudgetMb(n);
                default -> l.withEnvironmentIdle(java.time.Duration.ofSeconds(n));
            };
        } catch (IllegalArgumentException e) {
            fail(option + " needs a positive number (at least 128 for memory), not '" + value + "'");
            return l;
        }
    }

    private static String rootMessage(Throwable e) {
        while (e.getCause() != null) e = e.getCause();
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }

    private static void fail(String message) {
        System.err.println("nimbus: " + message);
        System.err.print(USAGE);
        System.exit(2);
    }
}
