import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * S3 benchmark client (run by bench/s3.sh against Nimbus and against s3proxy): 1 KiB PUT and GET
 * with N concurrent clients, one large PUT and GET, ListObjectsV2 pages over a bucket of many keys.
 * Server CPU per operation from /proc/PID/stat (utime + stime) before and after each phase.
 *
 *   java bench/S3Bench.java ENDPOINT SERVER_PID [clients=16] [seconds=10] [bigMiB=1024] [listKeys=100000]
 */
public class S3Bench {
    static final String AUTH = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00";
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    static String endpoint;
    static long pid;
    static final long TICK_NS = 1_000_000_000L / Long.parseLong(System.getenv().getOrDefault("CLK_TCK", "100"));

    public static void main(String[] args) throws Exception {
        endpoint = args[0];
        pid = Long.parseLong(args[1]);
        int clients = args.length > 2 ? Integer.parseInt(args[2]) : 16;
        int seconds = args.length > 3 ? Integer.parseInt(args[3]) : 10;
        int bigMiB = args.length > 4 ? Integer.parseInt(args[4]) : 1024;
        int listKeys = args.length > 5 ? Integer.parseInt(args[5]) : 100_000;

        send("PUT", "/bench", HttpRequest.BodyPublishers.noBody(), 200);
        byte[] kib = new byte[1024];
        new Random(1).nextBytes(kib);
        AtomicLong written = new AtomicLong();
        // warm-up, then measured runs
        run("warm-up PUT", clients, 10, i -> send("PUT", "/bench/small/" + written.getAndIncrement(), HttpRequest.BodyPublishers.ofByteArray(kib), 200), false);
        run("1 KiB PUT", clients, seconds, i -> send("PUT", "/bench/small/" + written.getAndIncrement(), HttpRequest.BodyPublishers.ofByteArray(kib), 200), true);
        long keys = written.get();
        run("warm-up GET", clients, 3, i -> get("/bench/small/" + (i % keys)), false);
        run("1 KiB GET", clients, seconds, i -> get("/bench/small/" + (i % keys)), true);

        if (bigMiB > 0) big(bigMiB);
        if (listKeys > 0) list(clients, listKeys);
    }

    interface Op {
        void call(long i) throws Exception;
    }

    static void run(String name, int clients, int seconds, Op op, boolean report) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong ops = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        long cpu0 = cpuNanos(), sys0 = sysNanos();
        long t0 = System.nanoTime();
        for (int c = 0; c < clients; c++) {
            long seed = c;
            threads.add(Thread.ofPlatform().start(() -> {
                Random r = new Random(seed);
                while (!stop.get()) {
                    try {
                        op.call(Math.abs(r.nextLong()));
                        ops.incrementAndGet();
                    } catch (Exception e) {
                        errors.incrementAndGet();
                    }
                }
            }));
        }
        Thread.sleep(seconds * 1000L);
        stop.set(true);
        for (Thread t : threads) t.join();
        double secs = (System.nanoTime() - t0) / 1e9;
        long cpu = cpuNanos() - cpu0, sys = sysNanos() - sys0;
        if (report) {
            System.out.printf("%-12s %8d ops %9.0f ops/s  server CPU %6.1f us/op (system %6.1f)  errors %d%n", name, ops.get(), ops.get() / secs,
                    cpu / 1e3 / Math.max(1, ops.get()), sys / 1e3 / Math.max(1, ops.get()), errors.get());
        }
    }

    static void big(int mib) throws Exception {
        Path file = Files.createTempFile("s3bench", ".bin");
        try {
            byte[] block = new byte[1 << 20];
            new Random(2).nextBytes(block);
            try (OutputStream out = Files.newOutputStream(file)) {
                for (int i = 0; i < mib; i++) out.write(block);
            }
            long bytes = (long) mib << 20;
            long cpu0 = cpuNanos(), t0 = System.nanoTime();
            send("PUT", "/bench/big.bin", HttpRequest.BodyPublishers.ofFile(file), 200);
            double put = (System.nanoTime() - t0) / 1e9;
            long cpuPut = cpuNanos() - cpu0;
            cpu0 = cpuNanos();
            t0 = System.nanoTime();
            HttpResponse<InputStream> res = HTTP.send(request("GET", "/bench/big.bin", HttpRequest.BodyPublishers.noBody()), HttpResponse.BodyHandlers.ofInputStream());
            long got = 0;
            try (InputStream in = res.body()) {
                byte[] buf = new byte[1 << 20];
                for (int n = in.read(buf); n >= 0; n = in.read(buf)) got += n;
            }
            double getSecs = (System.nanoTime() - t0) / 1e9;
            long cpuGet = cpuNanos() - cpu0;
            if (got != bytes) throw new IllegalStateException("GET returned " + got + " of " + bytes + " bytes");
            System.out.printf("%d MiB PUT  %7.0f MB/s  server CPU %5.2f s%n", mib, bytes / 1e6 / put, cpuPut / 1e9);
            System.out.printf("%d MiB GET  %7.0f MB/s  server CPU %5.2f s%n", mib, bytes / 1e6 / getSecs, cpuGet / 1e9);
            send("DELETE", "/bench/big.bin", HttpRequest.BodyPublishers.noBody(), 204);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    static void list(int clients, int keys) throws Exception {
        send("PUT", "/listing", HttpRequest.BodyPublishers.noBody(), 200);
        AtomicLong next = new AtomicLong();
        long t0 = System.nanoTime();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            threads.add(Thread.ofPlatform().start(() -> {
                for (long i = next.getAndIncrement(); i < keys; i = next.getAndIncrement()) {
                    try {
                        send("PUT", "/listing/dir" + (i % 100) + "/key-" + String.format("%08d", i), HttpRequest.BodyPublishers.ofString("x"), 200);
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                }
            }));
        }
        for (Thread t : threads) t.join();
        System.out.printf("filled %d keys in %.1f s%n", keys, (System.nanoTime() - t0) / 1e9);
        for (String delimiter : new String[] {"", "&delimiter=%2F&prefix=dir42%2F"}) {
            List<Double> pages = new ArrayList<>();
            String token = null;
            long cpu0 = cpuNanos();
            int listed = 0;
            do {
                String q = "/listing?list-type=2&max-keys=1000" + delimiter + (token == null ? "" : "&continuation-token=" + java.net.URLEncoder.encode(token, "UTF-8"));
                long p0 = System.nanoTime();
                String body = HTTP.send(request("GET", q, HttpRequest.BodyPublishers.noBody()), HttpResponse.BodyHandlers.ofString()).body();
                pages.add((System.nanoTime() - p0) / 1e6);
                listed += count(body, "<Key>");
                int a = body.indexOf("<NextContinuationToken>");
                token = a < 0 ? null : body.substring(a + 23, body.indexOf("</NextContinuationToken>"));
            } while (token != null);
            long cpu = cpuNanos() - cpu0;
            pages.sort(null);
            System.out.printf("ListObjectsV2%s: %d keys in %d pages, page median %.1f ms, p90 %.1f ms, max %.1f ms, server CPU %.1f ms/page%n",
                    delimiter.isEmpty() ? "" : " (prefix dir42/)", listed, pages.size(), pages.get(pages.size() / 2),
                    pages.get((int) (pages.size() * 0.9)), pages.get(pages.size() - 1), cpu / 1e6 / pages.size());
        }
    }

    static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) n++;
        return n;
    }

    static HttpRequest request(String method, String path, HttpRequest.BodyPublisher body) {
        return HttpRequest.newBuilder(URI.create(endpoint + path)).method(method, body).header("Authorization", AUTH)
                .header("x-amz-content-sha256", "UNSIGNED-PAYLOAD").header("x-amz-date", "20260101T000000Z").timeout(Duration.ofMinutes(10)).build();
    }

    static void send(String method, String path, HttpRequest.BodyPublisher body, int want) throws IOException, InterruptedException {
        HttpResponse<String> res = HTTP.send(request(method, path, body), HttpResponse.BodyHandlers.ofString());
        if (res.statusCode() != want && !(want == 204 && res.statusCode() == 200) && !(method.equals("PUT") && path.equals("/bench") && res.statusCode() == 409)) {
            throw new IOException(method + " " + path + " -> " + res.statusCode() + " " + res.body());
        }
    }

    static void get(String path) throws IOException, InterruptedException {
        HttpResponse<byte[]> res = HTTP.send(request("GET", path, HttpRequest.BodyPublishers.noBody()), HttpResponse.BodyHandlers.ofByteArray());
        if (res.statusCode() != 200 || res.body().length != 1024) throw new IOException("GET " + path + " -> " + res.statusCode());
    }

    /** The server's system (kernel) CPU time alone: fsync and file system work show here. */
    static long sysNanos() throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[12]) * TICK_NS;
    }

    /** The server's user + system CPU time, from /proc/PID/stat (fields 14 and 15, in clock ticks). */
    static long cpuNanos() throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * TICK_NS;
    }
}
