import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * SNS publish throughput with fan-out: one topic, N SQS queue subscribers, wrk publishing over C
 * keep-alive connections (bench/sns-publish.lua; one wrk thread, so the client takes little of the
 * cores the server runs on) for S seconds; deliveries are counted from the queues'
 * ApproximateNumberOfMessages.
 *
 * The server is `./nimbus start` on a free loopback port (it builds target/nimbus.jar when stale),
 * in --ephemeral mode unless "durable" (a temporary data dir). Server CPU per publish is the server
 * process's utime + stime (/proc/PID/stat) over the measured run, divided by publishes; it includes
 * delivering to every subscriber (SQS deliveries happen within the publish, and the run waits until
 * the queues hold them all).
 *
 * Run from the repository root (needs wrk):
 *   java bench/SnsBench.java [seconds] [connections] [subscribers] [durable]
 */
public class SnsBench {
    static long pid;
    static int port;

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int clients = args.length > 1 ? Integer.parseInt(args[1]) : 16;
        int subscribers = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        boolean durable = args.length > 3 && args[3].equals("durable");
        Path root = Path.of(System.getProperty("user.dir"));
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path dir = durable ? Files.createTempDirectory("nimbus-snsbench-") : null;
        List<String> cmd = new ArrayList<>(List.of(root.resolve("nimbus").toString(), "start", "--port", Integer.toString(port)));
        if (durable) cmd.addAll(List.of("--data-dir", dir.toString()));
        else cmd.add("--ephemeral");
        Files.createDirectories(root.resolve("target"));
        Process server = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(root.resolve("target/bench-sns.log").toFile()).start();
        pid = server.pid(); // the launcher execs the JVM, so this is the server's pid
        try {
            String endpoint = "http://127.0.0.1:" + port + "/";
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            waitUp(http, endpoint);
            String topic = call(http, endpoint, "sns", "Action=CreateTopic&Name=bench").replaceAll("(?s).*<TopicArn>([^<]+)</TopicArn>.*", "$1");
            List<String> queues = new ArrayList<>();
            for (int i = 0; i < subscribers; i++) {
                queues.add(call(http, endpoint, "sqs", "Action=CreateQueue&QueueName=q" + i).replaceAll("(?s).*<QueueUrl>([^<]+)</QueueUrl>.*", "$1"));
                call(http, endpoint, "sns", "Action=Subscribe&Protocol=sqs&TopicArn=" + enc(topic) + "&Endpoint=" + enc("arn:aws:sqs:us-east-1:000000000000:q" + i));
            }
            LongSupplier delivered = () -> {
                long n = 0;
                for (String q : queues) {
                    String r = call(http, endpoint, "sqs", "Action=GetQueueAttributes&AttributeName.1=ApproximateNumberOfMessages&QueueUrl=" + enc(q));
                    n += Long.parseLong(r.replaceAll("(?s).*<Value>(\\d+)</Value>.*", "$1"));
                }
                return n;
            };
            // Warm-up: the JIT (as long as the run; the compiler threads keep working for a while all the same, see below).
            wrk(root, topic, clients, seconds);
            waitFor(delivered, -1);
            long before = delivered.getAsLong();

            String load0 = Files.readString(Path.of("/proc/loadavg")).trim();
            long cpu0 = cpu(), jit0 = cpu("C1 CompilerThre") + cpu("C2 CompilerThre");
            long t0 = System.nanoTime();
            long published = wrk(root, topic, clients, seconds);
            long t1 = System.nanoTime();
            long cpu = cpu() - cpu0, jit = cpu("C1 CompilerThre") + cpu("C2 CompilerThre") - jit0;
            long lastDelivery = waitFor(delivered, before + published * subscribers);
            double elapsed = (t1 - t0) / 1e9;
            System.out.printf("%s, %d clients, %d subscribers, %d s; %d cores; load average before %s, after %s%n", durable ? "durable" : "ephemeral",
                    clients, subscribers, seconds, Runtime.getRuntime().availableProcessors(), load0, Files.readString(Path.of("/proc/loadavg")).trim());
            System.out.printf("publishes:             %,d (%,.0f/s)%n", published, published / elapsed);
            System.out.printf("deliveries:            %,d, all done %.2f s after the last publish%n", published * subscribers, (lastDelivery - t1) / 1e9);
            System.out.printf("server CPU per publish: %.0f us (incl. its %d deliveries), of which the JIT compiler threads' %.0f us%n", cpu / 1e3 / published,
                    subscribers, jit / 1e3 / published);
        } finally {
            server.destroy();
            server.waitFor();
            if (dir != null) {
                try (var files = Files.walk(dir)) {
                    files.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    /** Waits for the server: up to five minutes, as the launcher first builds the jar and its start-up cache when they are stale. */
    static void waitUp(HttpClient http, String endpoint) throws Exception {
        for (int i = 0; i < 3000; i++) {
            try {
                http.send(request(endpoint, "sns", "Action=ListTopics"), HttpResponse.BodyHandlers.discarding());
                return;
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("server did not start; see target/bench-sns.log");
    }

    /** The server's CPU time so far, in nanoseconds: utime + stime (fields 14 and 15 of /proc/PID/stat; CLK_TCK is 100 on Linux). */
    static long cpu() throws IOException {
        return cpu(Path.of("/proc/" + pid + "/stat"));
    }

    /** The CPU time of the server's live threads whose name starts so (a thread that ended took its time along), in nanoseconds. */
    static long cpu(String threadName) throws IOException {
        long sum = 0;
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path t : tasks.toList()) {
                try {
                    if (Files.readString(t.resolve("comm")).startsWith(threadName)) sum += cpu(t.resolve("stat"));
                } catch (IOException e) {
                    // the thread ended meanwhile
                }
            }
        }
        return sum;
    }

    private static long cpu(Path stat) throws IOException {
        String s = Files.readString(stat);
        String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L;
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    static String call(HttpClient http, String endpoint, String service, String form) {
        try {
            HttpResponse<String> r = http.send(request(endpoint, service, form), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) throw new IllegalStateException(r.statusCode() + " " + r.body());
            return r.body();
        } catch (java.io.IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    static HttpRequest request(String endpoint, String service, String form) {
        // Routed by the SigV4 scope, as the CLI's requests are; Nimbus does not verify signatures.
        return HttpRequest.newBuilder(URI.create(endpoint)).header("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
                .header("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250101/us-east-1/" + service + "/aws4_request, "
                        + "SignedHeaders=content-type;host;x-amz-date, Signature=" + "0".repeat(64))
                .POST(HttpRequest.BodyPublishers.ofString(form)).build();
    }

    /** Publishes with wrk for the given time; returns how many publishes it made (all must have succeeded). */
    static long wrk(Path root, String topic, int connections, int seconds) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("wrk", "-t1", "-c" + connections, "-d" + seconds + "s", "--timeout", "30s", "-s", root.resolve("bench/sns-publish.lua").toString(),
                "http://127.0.0.1:" + port + "/").redirectErrorStream(true);
        pb.environment().put("TOPIC_ARN", topic);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0 || out.contains("Non-2xx") || out.contains("Socket errors")) throw new IllegalStateException("wrk: " + out);
        var m = java.util.regex.Pattern.compile("(\\d+) requests in").matcher(out);
        if (!m.find()) throw new IllegalStateException("wrk: " + out);
        return Long.parseLong(m.group(1));
    }

    /** Waits until the count reaches the target (or, with -1, stops growing); returns when it did, in nanoTime. */
    static long waitFor(LongSupplier count, long target) throws InterruptedException {
        long last = -1, at = System.nanoTime();
        for (long n = count.getAsLong(); target < 0 ? n != last : n < target; n = count.getAsLong()) {
            if (n != last) {
                last = n;
                at = System.nanoTime();
            }
            Thread.sleep(target < 0 ? 500 : 20);
        }
        return target < 0 ? at : System.nanoTime();
    }
}
