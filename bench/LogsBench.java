import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * CloudWatch Logs and Metrics over HTTP, against `./nimbus start` on a free loopback port:
 *
 * 1. PutLogEvents ingest: --events (1,000,000) events in --batch (1,000)-event batches from --clients (4)
 *    concurrent clients, each writing its own stream of one group; events 10 ms apart, so the group
 *    spans about 2.8 hours. Events/s and the server's CPU time per event.
 * 2. FilterLogEvents over a 5-minute window of that group (about 30,000 events): with a pattern that
 *    matches 1% of them, and without a pattern (the first page, 1 MB). Median and max of --reps (5) calls.
 * 3. Logs Insights `stats count() by bin(5m)` over the whole group (StartQuery + GetQueryResults).
 * 4. PutMetricData: --datums (200,000) datums, 20 a call (what SDK batching sends), 10 metrics, from
 *    the same clients; then GetMetricData of one metric over 3 hours at 1-minute periods.
 *
 * Server CPU is utime + stime of the server process (/proc/PID/stat) before and after a phase.
 * Requests are signed only as far as routing needs (SigV4 scope in Authorization); Nimbus does not
 * verify signatures. The server runs in --ephemeral mode unless --durable (a temporary data dir).
 *
 * Run from the repository root (builds nothing: ./nimbus builds target/nimbus.jar when it is stale):
 *   java bench/LogsBench.java [--events 1000000] [--batch 1000] [--clients 4] [--datums 200000] [--reps 5] [--durable]
 */
public class LogsBench {
    static final String AUTH = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250101/us-east-1/%s/aws4_request, "
            + "SignedHeaders=content-type;host;x-amz-date, Signature=" + "0".repeat(64);
    static final String[] LEVELS = {"INFO", "INFO", "INFO", "DEBUG", "WARN"};

    static int port;
    static long pid;
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    public static void main(String[] args) throws Exception {
        int events = intArg(args, "--events", 1_000_000), batch = intArg(args, "--batch", 1_000), clients = intArg(args, "--clients", 4);
        int datums = intArg(args, "--datums", 200_000), reps = intArg(args, "--reps", 5);
        boolean durable = Arrays.asList(args).contains("--durable");
        Path root = Path.of(System.getProperty("user.dir"));
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path dataDir = durable ? Files.createTempDirectory("nimbus-logsbench-") : null;
        List<String> cmd = new ArrayList<>(List.of(root.resolve("nimbus").toString(), "start", "--port", Integer.toString(port)));
        if (durable) cmd.addAll(List.of("--data-dir", dataDir.toString()));
        else cmd.add("--ephemeral");
        Files.createDirectories(root.resolve("target"));
        Process server = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(root.resolve("target/bench-logs.log").toFile()).start();
        pid = server.pid(); // the launcher execs the JVM, so this is the server's pid
        try {
            waitUp();
            System.out.printf("nimbus pid %d on port %d (%s); %d cores; load average %s%n", pid, port, durable ? "durable: " + dataDir : "ephemeral",
                    Runtime.getRuntime().availableProcessors(), Files.readString(Path.of("/proc/loadavg")).trim());
            ingest(events, batch, clients);
            filter(reps);
            insights(reps);
            metrics(datums, clients, reps);
        } finally {
            server.destroy();
            server.waitFor();
            if (dataDir != null) {
                try (var files = Files.walk(dataDir)) {
                    files.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    static int intArg(String[] args, String name, int dflt) {
        for (int i = 0; i + 1 < args.length; i++) if (args[i].equals(name)) return Integer.parseInt(args[i + 1].replace("_", ""));
        return dflt;
    }

    static void waitUp() throws Exception {
        for (int i = 0; i < 600; i++) {
            try {
                if (logs("DescribeLogGroups", "{}").statusCode() == 200) return;
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("server did not start; see target/bench-logs.log");
    }

    static HttpResponse<String> logs(String op, String body) throws Exception {
        return call("logs", "application/x-amz-json-1.1", "Logs_20140328." + op, body);
    }

    static HttpResponse<String> cloudwatch(String op, String body) throws Exception {
        return call("monitoring", "application/x-amz-json-1.0", "GraniteServiceVersion20100801." + op, body);
    }

    /**
     * One kept-alive HTTP/1.1 connection writing pre-encoded requests: the JDK's HttpClient spent more
     * CPU per 130 KB batch than the server, and client and server share the cores.
     */
    static final class Conn implements AutoCloseable {
        final Socket socket;
        final OutputStream out;
        final InputStream in;

        Conn() throws IOException {
            socket = new Socket("127.0.0.1", port);
            socket.setTcpNoDelay(true);
            out = new BufferedOutputStream(socket.getOutputStream(), 1 << 16);
            in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
        }

        static byte[] request(String service, String type, String target, String body) {
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            String head = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + type + "\r\nX-Amz-Target: " + target
                    + "\r\nX-Amz-Date: 20250101T000000Z\r\nAuthorization: " + AUTH.formatted(service) + "\r\nContent-Length: " + b.length + "\r\n\r\n";
            byte[] h = head.getBytes(StandardCharsets.US_ASCII);
            byte[] all = Arrays.copyOf(h, h.length + b.length);
            System.arraycopy(b, 0, all, h.length, b.length);
            return all;
        }

        /** Sends a request, reads the answer; fails unless 200. */
        void send(byte[] request) throws IOException {
            out.write(request);
            out.flush();
            StringBuilder line = new StringBuilder();
            int status = -1, length = 0;
            while (true) {
                int c = in.read();
                if (c < 0) throw new IOException("connection closed");
                if (c == '\n') {
                    String l = line.toString().trim();
                    line.setLength(0);
                    if (l.isEmpty()) break;
                    if (status < 0) status = Integer.parseInt(l.split(" ")[1]);
                    else if (l.regionMatches(true, 0, "content-length:", 0, 15)) length = Integer.parseInt(l.substring(15).trim());
                } else {
                    line.append((char) c);
                }
            }
            byte[] body = in.readNBytes(length);
            if (status != 200) throw new IOException("status " + status + ": " + new String(body, StandardCharsets.UTF_8));
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    static HttpResponse<String> call(String service, String type, String target, String body) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).header("Content-Type", type)
                .header("X-Amz-Target", target).header("X-Amz-Date", "20250101T000000Z").header("Authorization", AUTH.formatted(service))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<String> out = HTTP.send(r, HttpResponse.BodyHandlers.ofString());
        if (out.statusCode() != 200) throw new IllegalStateException(target + " answered " + out.statusCode() + ": " + out.body());
        return out;
    }

    /** The server's CPU time so far, in nanoseconds. */
    static long cpu() throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14 and 15)
        return ticks * 10_000_000L; // CLK_TCK is 100 on Linux
    }

    static long base;
    /** how long the ingested events span, in milliseconds */
    static long span;

    /** A Lambda-like application line, about 110 bytes; 1 in 100 is an ERROR. */
    static String message(int i) {
        String level = i % 100 == 0 ? "ERROR" : LEVELS[i % LEVELS.length];
        return "{\"level\":\"" + level + "\",\"requestId\":\"" + String.format("%08x-6f1c-4d2e", i) + "\",\"latency\":" + (i % 997)
                + ",\"path\":\"/orders/" + (i % 5000) + "\",\"status\":" + (i % 100 == 0 ? 500 : 200) + "}";
    }

    static void ingest(int events, int batch, int clients) throws Exception {
        logs("CreateLogGroup", "{\"logGroupName\":\"bench\"}");
        for (int c = 0; c < clients; c++) logs("CreateLogStream", "{\"logGroupName\":\"bench\",\"logStreamName\":\"s" + c + "\"}");
        base = Instant.now().toEpochMilli() - 3 * 3_600_000L;
        int batches = events / batch;
        span = (long) batches * batch * 10;
        // Bodies built before timing: the figure is the server's, not the client's JSON writing.
        byte[][] bodies = new byte[batches][];
        for (int b = 0; b < batches; b++) {
            StringBuilder sb = new StringBuilder(batch * 150).append("{\"logGroupName\":\"bench\",\"logStreamName\":\"s").append(b % clients)
                    .append("\",\"logEvents\":[");
            for (int i = 0; i < batch; i++) {
                int g = b * batch + i;
                if (i > 0) sb.append(',');
                sb.append("{\"timestamp\":").append(base + g * 10L).append(",\"message\":\"").append(message(g).replace("\"", "\\\"")).append("\"}");
            }
            bodies[b] = Conn.request("logs", "application/x-amz-json-1.1", "Logs_20140328.PutLogEvents", sb.append("]}").toString());
        }
        // Warm-up on another group, so the JIT has compiled the path before the timed run.
        logs("CreateLogGroup", "{\"logGroupName\":\"warmup\"}");
        logs("CreateLogStream", "{\"logGroupName\":\"warmup\",\"logStreamName\":\"w\"}");
        try (Conn warm = new Conn()) {
            for (int i = 0; i < Math.min(100, batches); i++) {
                String body = new String(bodies[i], StandardCharsets.UTF_8);
                body = body.substring(body.indexOf("\r\n\r\n") + 4).replace("\"logGroupName\":\"bench\",\"logStreamName\":\"s" + (i % clients) + "\"",
                        "\"logGroupName\":\"warmup\",\"logStreamName\":\"w\"");
                warm.send(Conn.request("logs", "application/x-amz-json-1.1", "Logs_20140328.PutLogEvents", body));
            }
        }
        logs("DeleteLogGroup", "{\"logGroupName\":\"warmup\"}");
        long cpu0 = cpu(), t0 = System.nanoTime();
        AtomicInteger next = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int client = c;
            threads.add(Thread.ofPlatform().start(() -> {
                // Each client sends its own stream's batches in order (a stream's producer is sequential).
                try (Conn conn = new Conn()) {
                    for (int b = client; b < batches; b += clients) {
                        conn.send(bodies[b]);
                        next.incrementAndGet();
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }));
        }
        for (Thread t : threads) t.join();
        long wall = System.nanoTime() - t0, cpu = cpu() - cpu0;
        long n = (long) next.get() * batch;
        System.out.printf("PutLogEvents: %,d events in %,d-event batches, %d clients: %.2f s, %,.0f events/s, server CPU %.2f us/event (%.0f%% of one core)%n",
                n, batch, clients, wall / 1e9, n / (wall / 1e9), cpu / 1e3 / n, 100.0 * cpu / wall);
    }

    static void filter(int reps) throws Exception {
        long from = base + Math.min(3_600_000L, span / 2), to = from + 300_000L;
        timed("FilterLogEvents, 5-minute window, pattern matching 1% ({ $.level = \"ERROR\" })", reps,
                "FilterLogEvents", "{\"logGroupName\":\"bench\",\"startTime\":" + from + ",\"endTime\":" + to + ",\"filterPattern\":\"{ $.level = \\\"ERROR\\\" }\"}");
        timed("FilterLogEvents, 5-minute window, term pattern matching 1% (ERROR)", reps,
                "FilterLogEvents", "{\"logGroupName\":\"bench\",\"startTime\":" + from + ",\"endTime\":" + to + ",\"filterPattern\":\"ERROR\"}");
        timed("FilterLogEvents, 5-minute window, no pattern (first page)", reps,
                "FilterLogEvents", "{\"logGroupName\":\"bench\",\"startTime\":" + from + ",\"endTime\":" + to + "}");
    }

    static void insights(int reps) throws Exception {
        long[] ms = new long[reps];
        String rows = "";
        long cpu0 = cpu();
        for (int r = 0; r < reps; r++) {
            long t0 = System.nanoTime();
            String started = logs("StartQuery", "{\"logGroupName\":\"bench\",\"startTime\":" + (base / 1000 - 60) + ",\"endTime\":" + (base / 1000 + 4 * 3600)
                    + ",\"queryString\":\"stats count() by bin(5m)\"}").body();
            String id = started.replaceAll(".*\"queryId\":\"([^\"]+)\".*", "$1");
            String result;
            do {
                result = logs("GetQueryResults", "{\"queryId\":\"" + id + "\"}").body();
            } while (result.contains("\"Running\"") || result.contains("\"Scheduled\""));
            ms[r] = (System.nanoTime() - t0) / 1_000_000;
            rows = Integer.toString(result.split("\\[\\{", -1).length - 1);
        }
        report("Insights stats count() by bin(5m), whole group (" + rows + " rows)", ms, cpu() - cpu0);
    }

    static void timed(String what, int reps, String op, String body) throws Exception {
        long[] ms = new long[reps];
        int found = 0;
        long cpu0 = cpu();
        for (int r = 0; r < reps; r++) {
            long t0 = System.nanoTime();
            String out = logs(op, body).body();
            ms[r] = (System.nanoTime() - t0) / 1_000_000;
            found = out.split("\"eventId\"", -1).length - 1;
        }
        report(what + ": " + found + " events", ms, cpu() - cpu0);
    }

    static void report(String what, long[] ms, long cpu) {
        long[] s = ms.clone();
        Arrays.sort(s);
        System.out.printf("%s: median %d ms, max %d ms, server CPU %d ms a call (%d calls)%n", what, s[s.length / 2], s[s.length - 1],
                cpu / 1_000_000 / s.length, s.length);
    }

    static void metrics(int datums, int clients, int reps) throws Exception {
        int perCall = 20, calls = datums / perCall;
        byte[][] bodies = new byte[calls][];
        for (int c = 0; c < calls; c++) {
            StringBuilder sb = new StringBuilder("{\"Namespace\":\"Bench\",\"MetricData\":[");
            for (int i = 0; i < perCall; i++) {
                int g = c * perCall + i;
                if (i > 0) sb.append(',');
                sb.append("{\"MetricName\":\"Latency\",\"Dimensions\":[{\"Name\":\"Service\",\"Value\":\"svc").append(g % 10)
                        .append("\"}],\"Value\":").append(g % 250).append(",\"Unit\":\"Milliseconds\"}");
            }
            bodies[c] = Conn.request("monitoring", "application/x-amz-json-1.0", "GraniteServiceVersion20100801.PutMetricData", sb.append("]}").toString());
        }
        try (Conn warm = new Conn()) {
            for (int i = 0; i < Math.min(200, calls); i++) warm.send(bodies[i]);
        }
        long cpu0 = cpu(), t0 = System.nanoTime();
        List<Thread> threads = new ArrayList<>();
        for (int k = 0; k < clients; k++) {
            int client = k;
            threads.add(Thread.ofPlatform().start(() -> {
                try (Conn conn = new Conn()) {
                    for (int c = client; c < calls; c += clients) conn.send(bodies[c]);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }));
        }
        for (Thread t : threads) t.join();
        long wall = System.nanoTime() - t0, cpu = cpu() - cpu0;
        long n = (long) calls * perCall;
        System.out.printf("PutMetricData: %,d datums, %d a call, %d clients: %,.0f datums/s (%,.0f calls/s), server CPU %.1f us/datum%n",
                n, perCall, clients, n / (wall / 1e9), calls / (wall / 1e9), cpu / 1e3 / n);
        long now = Instant.now().getEpochSecond();
        String query = "{\"StartTime\":" + (now - 3 * 3600) + ",\"EndTime\":" + (now + 60) + ",\"MetricDataQueries\":[{\"Id\":\"m1\",\"MetricStat\":{\"Metric\":"
                + "{\"Namespace\":\"Bench\",\"MetricName\":\"Latency\",\"Dimensions\":[{\"Name\":\"Service\",\"Value\":\"svc3\"}]},\"Period\":60,\"Stat\":\"p99\"}},"
                + "{\"Id\":\"e1\",\"Expression\":\"m1 * 2\"}]}";
        long[] ms = new long[reps];
        long cpu1 = cpu();
        for (int r = 0; r < reps; r++) {
            long t = System.nanoTime();
            cloudwatch("GetMetricData", query);
            ms[r] = (System.nanoTime() - t) / 1_000_000;
        }
        report("GetMetricData p99 + expression, 3 hours at 60 s", ms, cpu() - cpu1);
    }
}
