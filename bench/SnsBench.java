import dev.nimbus.server.NimbusServer;
import dev.nimbus.server.ServerConfig;
import java.lang.management.ManagementFactory;
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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * SNS publish throughput with fan-out: one topic, N SQS queue subscribers, C clients publishing
 * for S seconds; deliveries are counted from the queues' ApproximateNumberOfMessages.
 *
 * The server runs in this JVM; the clients are platform threads whose CPU time is measured apart,
 * so "server CPU per publish" is the process CPU time minus the clients', divided by publishes,
 * and includes delivering to every subscriber (the run waits until all deliveries are done).
 *
 * Run from the repository root:
 *   mvn -o -q -B package -DskipTests && java -cp 'target/classes:target/lib/*' bench/SnsBench.java [seconds] [clients] [subscribers] [durable]
 */
public class SnsBench {
    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int clients = args.length > 1 ? Integer.parseInt(args[1]) : 16;
        int subscribers = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        boolean durable = args.length > 3 && args[3].equals("durable");
        java.util.logging.LogManager.getLogManager().reset();
        Path dir = durable ? Files.createTempDirectory("nimbus-snsbench-") : null;
        ServerConfig config = durable ? ServerConfig.defaults().withPort(0).withDataDir(dir) : ServerConfig.defaults().withPort(0).asEphemeral();
        try (NimbusServer server = NimbusServer.start(config, List.of())) {
            String endpoint = "http://127.0.0.1:" + server.port() + "/";
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
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
            String publish = "Action=Publish&TopicArn=" + enc(topic) + "&Message=" + enc("{\"order\":12345,\"status\":\"shipped\",\"note\":\"a typical small event\"}")
                    + "&MessageAttributes.entry.1.Name=kind&MessageAttributes.entry.1.Value.DataType=String&MessageAttributes.entry.1.Value.StringValue=order";
            // Warm-up: the JIT, the connection pool.
            run(http, endpoint, publish, clients, 3, new AtomicLong());
            waitFor(delivered, -1);
            long before = delivered.getAsLong();

            var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            long cpu0 = os.getProcessCpuTime();
            AtomicLong published = new AtomicLong();
            long t0 = System.nanoTime();
            long clientCpu = run(http, endpoint, publish, clients, seconds, published);
            long t1 = System.nanoTime();
            long lastDelivery = waitFor(delivered, before + published.get() * subscribers);
            long cpu = os.getProcessCpuTime() - cpu0 - clientCpu;
            double elapsed = (t1 - t0) / 1e9;
            System.out.printf("%s, %d clients, %d subscribers, %d s%n", durable ? "durable" : "ephemeral", clients, subscribers, seconds);
            System.out.printf("publishes:             %,d (%,.0f/s)%n", published.get(), published.get() / elapsed);
            System.out.printf("deliveries:            %,d, all done %.2f s after the last publish (%,.0f/s overall)%n", published.get() * subscribers,
                    (lastDelivery - t1) / 1e9, published.get() * subscribers / ((lastDelivery - t0) / 1e9));
            System.out.printf("server CPU per publish: %.0f us (incl. %d deliveries; clients' CPU %.0f us per publish excluded)%n",
                    cpu / 1e3 / published.get(), subscribers, clientCpu / 1e3 / published.get());
        } finally {
            if (dir != null) {
                try (var files = Files.walk(dir)) {
                    files.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
                }
            }
        }
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

    /** Publishes from platform threads until the time is up; returns their CPU time in ns. */
    static long run(HttpClient http, String endpoint, String form, int clients, int seconds, AtomicLong published) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong cpu = new AtomicLong();
        var threads = ManagementFactory.getThreadMXBean();
        List<Thread> ts = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            ts.add(Thread.ofPlatform().start(() -> {
                HttpRequest req = request(endpoint, "sns", form);
                while (!stop.get()) {
                    try {
                        HttpResponse<Void> r = http.send(req, HttpResponse.BodyHandlers.discarding());
                        if (r.statusCode() != 200) throw new IllegalStateException("publish answered " + r.statusCode());
                        published.incrementAndGet();
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                }
                cpu.addAndGet(threads.getCurrentThreadCpuTime());
            }));
        }
        Thread.sleep(seconds * 1000L);
        stop.set(true);
        for (Thread t : ts) t.join();
        return cpu.get();
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
