import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
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
 *   BIG_ONLY=1 java bench/S3Bench.java ENDPOINT SERVER_PID    (the large PUT and GET alone)
 *   ONLY=list java bench/S3Bench.java ENDPOINT SERVER_PID 16 10 0 100000   (the listing phase alone)
 *   ONLY=fill, then ONLY=restarted, as bench/s3-cold.sh runs them   (the first listing after a restart)
 *   WARMUP=30 java bench/S3Bench.java ...    (the least seconds of PUTs before the measured ones, 10 by default; see warmUp)
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
        // BIG_ONLY=1: the large PUT and GET alone (to measure or profile them without the rest)
        if ("1".equals(System.getenv("BIG_ONLY"))) {
            big(bigMiB);
            return;
        }
        // ONLY=list: the fill and the listings alone, on a server that has served nothing else (to measure or
        // profile the listing, whose first pages run while the JIT compiles it)
        if ("list".equals(System.getenv("ONLY"))) {
            list(clients, listKeys);
            return;
        }
        // ONLY=fill, then ONLY=restarted on a server restarted over that data dir (bench/s3-cold.sh): the first
        // listing of a server that has only taken 20,000 PUTs since it started
        if ("fill".equals(System.getenv("ONLY"))) {
            fill("listing", clients, listKeys);
            return;
        }
        if ("restarted".equals(System.getenv("ONLY"))) {
            fill("warmup-puts", clients, 20_000);
            warmClient();
            listPages("ListObjectsV2, first listing after a restart", "");
            return;
        }
        byte[] kib = new byte[1024];
        new Random(1).nextBytes(kib);
        AtomicLong written = new AtomicLong();
        // warm-up, then measured runs: the server's CPU per operation in steady state, not while its JIT compiles the
        // path (on this 2-core machine the C2 compiler thread was still busy 20-30 s after the start, up to 42% of the
        // server's CPU in a measured 10 s). See warmUp; WARMUP (seconds, 10) is the least it lasts.
        int warmup = Integer.parseInt(System.getenv().getOrDefault("WARMUP", "10"));
        warmUp("PUT", clients, warmup, i -> send("PUT", "/bench/small/" + written.getAndIncrement(), HttpRequest.BodyPublishers.ofByteArray(kib), 200));
        run("1 KiB PUT", clients, seconds, i -> send("PUT", "/bench/small/" + written.getAndIncrement(), HttpRequest.BodyPublishers.ofByteArray(kib), 200), true);
        long keys = written.get();
        warmUp("GET", clients, 3, i -> get("/bench/small/" + (i % keys)));
        run("1 KiB GET", clients, seconds, i -> get("/bench/small/" + (i % keys)), true);

        if (bigMiB > 0) big(bigMiB);
        if (listKeys > 0) list(clients, listKeys);
    }

    /** A warm-up stops once the server's JIT compiler threads used less than this share of its CPU in a slice. */
    static final double JIT_QUIET = 0.05;

    /**
     * Runs {@code op} in 2 s slices, untimed, for at least {@code minSeconds} and then until the server's JIT compiler
     * threads (HotSpot's "C1/C2 CompilerThread"s, in /proc/PID/task) used under {@link #JIT_QUIET} of its CPU in the
     * last slice, or 60 s have passed; prints how long that took. The same rule for every server measured.
     */
    static void warmUp(String name, int clients, int minSeconds, Op op) throws Exception {
        long t0 = System.nanoTime();
        double share;
        do {
            long cpu0 = cpuNanos(), jit0 = compilerNanos();
            run("warm-up " + name, clients, 2, op, false);
            share = (double) (compilerNanos() - jit0) / Math.max(1, cpuNanos() - cpu0);
        } while (System.nanoTime() - t0 < minSeconds * 1_000_000_000L || share >= JIT_QUIET && System.nanoTime() - t0 < 60_000_000_000L);
        System.out.printf("warm-up %s: %.0f s, the JIT's compiler threads at %.0f%% of the server's CPU in its last 2 s%n", name, (System.nanoTime() - t0) / 1e9, 100 * share);
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

    /**
     * A large PUT from a file and a GET of it, twice (the first pair reported apart), over a plain
     * socket rather than HttpClient: on loopback the client shares the cores with the server, and
     * HttpClient spent ~2 s of CPU per GiB uploaded and ~3 s per GiB downloaded (more than the
     * server), so it, not the server, set the pace. Here the upload is sent with
     * FileChannel.transferTo (sendfile) and the download read into one direct buffer and dropped:
     * the least CPU a client can spend, so that MB/s measures the server.
     */
    static void big(int mib) throws Exception {
        Path file = Files.createTempFile("s3bench", ".bin");
        try {
            byte[] block = new byte[1 << 20];
            new Random(2).nextBytes(block);
            java.util.zip.CRC32 crc = new java.util.zip.CRC32();
            try (OutputStream out = Files.newOutputStream(file)) {
                for (int i = 0; i < mib; i++) {
                    out.write(block);
                    crc.update(block);
                }
            }
            // CHECKSUM=CRC32 sends the CRC32 that current SDKs and the CLI send by default (computed here, untimed);
            // without it the server computes S3's default CRC64NVME, as for any client that sends none.
            bigChecksum = "CRC32".equals(System.getenv("CHECKSUM"))
                    ? "x-amz-checksum-crc32: " + Base64.getEncoder().encodeToString(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array()) + "\r\n" : "";
            // The first PUT and GET of a large object run while the JIT compiles their path (on a fresh server ~15% of
            // its CPU, and a slower start): reported, then measured again as the small objects are, after their warm-up.
            bigExchange(mib, file, "/bench/big-first.bin", " (first)");
            bigExchange(mib, file, "/bench/big.bin", "");
            for (String key : List.of("/bench/big-first.bin", "/bench/big.bin")) send("DELETE", key, HttpRequest.BodyPublishers.noBody(), 204);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** One PUT of {@code file} and one GET of it, their MB/s and CPU printed with {@code label}. */
    static void bigExchange(int mib, Path file, String key, String label) throws Exception {
        long bytes = (long) mib << 20;
        long cpu0 = cpuNanos(), sys0 = sysNanos(), own0 = ownCpuNanos(), t0 = System.nanoTime();
        long[] put = exchange("PUT", key, file);
        double putSecs = (System.nanoTime() - t0) / 1e9;
        long cpuPut = cpuNanos() - cpu0, sysPut = sysNanos() - sys0, ownPut = ownCpuNanos() - own0;
        if (put[0] != 200) throw new IOException("PUT of the large object -> " + put[0]);
        cpu0 = cpuNanos();
        sys0 = sysNanos();
        own0 = ownCpuNanos();
        t0 = System.nanoTime();
        long[] get = exchange("GET", key, null);
        double getSecs = (System.nanoTime() - t0) / 1e9;
        long cpuGet = cpuNanos() - cpu0, sysGet = sysNanos() - sys0, ownGet = ownCpuNanos() - own0;
        if (get[0] != 200 || get[1] != bytes) throw new IllegalStateException("GET -> " + get[0] + " with " + get[1] + " of " + bytes + " bytes");
        System.out.printf("%d MiB PUT%s  %7.0f MB/s  server CPU %5.2f s (system %5.2f)  client CPU %5.2f s%n", mib, label, bytes / 1e6 / putSecs, cpuPut / 1e9, sysPut / 1e9, ownPut / 1e9);
        System.out.printf("%d MiB GET%s  %7.0f MB/s  server CPU %5.2f s (system %5.2f)  client CPU %5.2f s%n", mib, label, bytes / 1e6 / getSecs, cpuGet / 1e9, sysGet / 1e9, ownGet / 1e9);
    }

    /** The large PUT's checksum header line, or "" (see CHECKSUM in {@link #big}). */
    static String bigChecksum = "";

    /** One HTTP/1.1 request on a new connection, {@code upload} its body if not null; returns {status, response body bytes (read and dropped)}. */
    static long[] exchange(String method, String path, Path upload) throws IOException {
        URI uri = URI.create(endpoint);
        try (SocketChannel ch = SocketChannel.open(new InetSocketAddress(uri.getHost(), uri.getPort()));
             FileChannel body = upload == null ? null : FileChannel.open(upload)) {
            String head = method + " " + path + " HTTP/1.1\r\nHost: " + uri.getAuthority() + "\r\nAuthorization: " + AUTH
                    + "\r\nx-amz-content-sha256: UNSIGNED-PAYLOAD\r\nx-amz-date: 20260101T000000Z\r\nConnection: close\r\n"
                    + (body == null ? "" : "Content-Length: " + body.size() + "\r\n" + bigChecksum) + "\r\n";
            ByteBuffer out = ByteBuffer.wrap(head.getBytes(StandardCharsets.US_ASCII));
            while (out.hasRemaining()) ch.write(out);
            for (long sent = 0, size = body == null ? 0 : body.size(); sent < size; ) sent += body.transferTo(sent, size - sent, ch);
            // The status line and headers, then the body as it comes (Content-Length, or to the end of the connection).
            ByteBuffer in = ByteBuffer.allocateDirect(1 << 20);
            int end;
            while ((end = headerEnd(in)) < 0) {
                if (ch.read(in) < 0) throw new IOException("connection closed before the response headers");
            }
            byte[] headBytes = new byte[end];
            in.flip().get(headBytes).position(end + 4);
            String[] lines = new String(headBytes, StandardCharsets.ISO_8859_1).split("\r\n");
            long length = -1;
            for (String line : lines) {
                if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) length = Long.parseLong(line.substring(15).trim());
                if (line.regionMatches(true, 0, "Transfer-Encoding:", 0, 18)) throw new IOException("chunked response: not expected here");
            }
            long got = in.remaining();
            for (int n = 0; n >= 0 && (length < 0 || got < length); got += Math.max(n, 0)) {
                in.clear();
                n = ch.read(in);
            }
            return new long[] {Integer.parseInt(lines[0].split(" ")[1]), got};
        }
    }

    /** Where "\r\n\r\n" starts in what {@code in} holds so far (it is being filled), or -1. */
    static int headerEnd(ByteBuffer in) {
        for (int i = 0; i + 3 < in.position(); i++) {
            if (in.get(i) == '\r' && in.get(i + 1) == '\n' && in.get(i + 2) == '\r' && in.get(i + 3) == '\n') return i;
        }
        return -1;
    }

    static void list(int clients, int keys) throws Exception {
        fill("listing", clients, keys);
        warmClient();
        // The first listing runs code no earlier phase ran (the JIT compiles it meanwhile): reported on its own line,
        // then measured again after it, as every other phase is measured after a warm-up.
        // A server that takes seconds a page (s3proxy walks its directory tree) is not listed twice: that would add minutes.
        if (listPages("ListObjectsV2, first listing", "") < 60) listPages("ListObjectsV2", "");
        listPages("ListObjectsV2 (prefix dir42/)", "&delimiter=%2F&prefix=dir42%2F");
        listPages("ListObjectsV2 (delimiter / at the top: 100 common prefixes)", "&delimiter=%2F");
    }

    /** A bucket of {@code keys} one-byte objects under 100 "folders", written by {@code clients} threads. */
    static void fill(String bucket, int clients, int keys) throws Exception {
        send("PUT", "/" + bucket, HttpRequest.BodyPublishers.noBody(), 200);
        AtomicLong next = new AtomicLong();
        long t0 = System.nanoTime();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            threads.add(Thread.ofPlatform().start(() -> {
                for (long i = next.getAndIncrement(); i < keys; i = next.getAndIncrement()) {
                    try {
                        send("PUT", "/" + bucket + "/dir" + (i % 100) + "/key-" + String.format("%08d", i), HttpRequest.BodyPublishers.ofString("x"), 200);
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                }
            }));
        }
        for (Thread t : threads) t.join();
        System.out.printf("filled %d keys in %.1f s%n", keys, (System.nanoTime() - t0) / 1e9);
    }

    static void warmClient() throws Exception {
        // This client's side of a page (HttpClient reading and decoding ~300 KB) warmed first, on another bucket's
        // object of that size, so the first listing's times are the server's cold start and not this JVM's too.
        send("PUT", "/listing-warmup", HttpRequest.BodyPublishers.noBody(), 200);
        send("PUT", "/listing-warmup/page", HttpRequest.BodyPublishers.ofString("<Key>x</Key>".repeat(25_000)), 200);
        for (int i = 0; i < 50; i++) HTTP.send(request("GET", "/listing-warmup/page", HttpRequest.BodyPublishers.noBody()), HttpResponse.BodyHandlers.ofString());
    }

    /** Every page of one listing, one request after the other: page time median, p90 and max, server CPU per page. Returns the seconds it took. */
    static double listPages(String name, String query) throws Exception {
        List<Double> pages = new ArrayList<>();
        String token = null;
        long cpu0 = cpuNanos();
        int listed = 0;
        do {
            String q = "/listing?list-type=2&max-keys=1000" + query + (token == null ? "" : "&continuation-token=" + java.net.URLEncoder.encode(token, "UTF-8"));
            long p0 = System.nanoTime();
            String body = HTTP.send(request("GET", q, HttpRequest.BodyPublishers.noBody()), HttpResponse.BodyHandlers.ofString()).body();
            pages.add((System.nanoTime() - p0) / 1e6);
            listed += count(body, "<Key>");
            int a = body.indexOf("<NextContinuationToken>");
            token = a < 0 ? null : body.substring(a + 23, body.indexOf("</NextContinuationToken>"));
        } while (token != null);
        long cpu = cpuNanos() - cpu0;
        double first = pages.get(0), total = pages.stream().mapToDouble(Double::doubleValue).sum() / 1e3;
        pages.sort(null);
        System.out.printf("%s: %d keys in %d pages, page median %.1f ms, p90 %.1f ms, max %.1f ms (first page %.1f ms), server CPU %.1f ms/page%n",
                name, listed, pages.size(), pages.get(pages.size() / 2), pages.get((int) (pages.size() * 0.9)), pages.get(pages.size() - 1), first, cpu / 1e6 / pages.size());
        return total;
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

    /** This client's own CPU time (it shares the cores with the server: a costly client slows the server down). */
    static long ownCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** The server's system (kernel) CPU time alone: fsync and file system work show here. */
    static long sysNanos() throws IOException {
        return Long.parseLong(statFields(Files.readString(Path.of("/proc/" + pid + "/stat")))[12]) * TICK_NS;
    }

    /** The server's user + system CPU time, from /proc/PID/stat (fields 14 and 15, in clock ticks). */
    static long cpuNanos() throws IOException {
        return statCpuNanos(Files.readString(Path.of("/proc/" + pid + "/stat")));
    }

    /** The CPU time of the server's JIT compiler threads so far (0 for a server that has none). */
    static long compilerNanos() throws IOException {
        long sum = 0;
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    String name = Files.readString(task.resolve("comm"));
                    if (name.startsWith("C1 CompilerThre") || name.startsWith("C2 CompilerThre")) sum += statCpuNanos(Files.readString(task.resolve("stat")));
                } catch (IOException ended) {
                    // a thread that ended meanwhile
                }
            }
        }
        return sum;
    }

    /** utime + stime of a /proc stat line, in nanoseconds. */
    static long statCpuNanos(String stat) {
        String[] f = statFields(stat);
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * TICK_NS;
    }

    /** A /proc stat line's fields after the command name (which may hold spaces): field 3 on, from index 0. */
    static String[] statFields(String stat) {
        return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    }
}
