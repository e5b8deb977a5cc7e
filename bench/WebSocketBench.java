import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * API Gateway WebSocket APIs against `./nimbus start --ephemeral` on a free loopback port: a WebSocket
 * API whose "echo" route is a two-way MOCK (request template {"statusCode": 200}, a response template
 * using $context), then
 *   1. round trips: each of --clients connections sends {"action":"echo"} and waits for the reply;
 *   2. PostToConnection: as many HTTP clients each POST /@connections/{id} to their own connection
 *      (path-style URL), the connection's client draining what arrives.
 * Each phase runs --seconds; it prints operations per second and the server's CPU per operation
 * (utime + stime of the server process from /proc/PID/stat, before and after), with the load average.
 *
 * Run from the repository root (./nimbus builds target/nimbus.jar when it is stale):
 *   java bench/WebSocketBench.java [--clients 16] [--seconds 10]
 */
public class WebSocketBench {
    static final String AUTH = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250101/us-east-1/apigateway/aws4_request, "
            + "SignedHeaders=host, Signature=" + "0".repeat(64);
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    static int port;
    static long pid;

    public static void main(String[] args) throws Exception {
        int clients = intArg(args, "--clients", 16), seconds = intArg(args, "--seconds", 10);
        Path root = Path.of(System.getProperty("user.dir"));
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Files.createDirectories(root.resolve("target"));
        Process server = new ProcessBuilder(root.resolve("nimbus").toString(), "start", "--port", Integer.toString(port), "--ephemeral")
                .redirectErrorStream(true).redirectOutput(root.resolve("target/bench-websocket.log").toFile()).start();
        pid = server.pid(); // the launcher execs the JVM, so this is the server's pid
        try {
            waitUp();
            System.out.printf("nimbus pid %d on port %d; %d cores; load average %s%n", pid, port,
                    Runtime.getRuntime().availableProcessors(), Files.readString(Path.of("/proc/loadavg")).trim());
            String apiId = setUp();
            List<Client> connections = new ArrayList<>();
            for (int i = 0; i < clients; i++) connections.add(Client.open(apiId));
            roundTrips(connections, seconds);
            posts(apiId, connections, seconds);
            for (Client c : connections) c.socket.sendClose(WebSocket.NORMAL_CLOSURE, "").join();
        } finally {
            server.destroy();
            server.waitFor();
        }
    }

    static int intArg(String[] args, String name, int dflt) {
        for (int i = 0; i + 1 < args.length; i++) if (args[i].equals(name)) return Integer.parseInt(args[i + 1]);
        return dflt;
    }

    static void waitUp() throws Exception {
        for (int i = 0; i < 600; i++) {
            try {
                if (call("GET", "/v2/apis", null).statusCode() == 200) return;
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("server did not start; see target/bench-websocket.log");
    }

    static HttpResponse<String> call(String method, String path, String body) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).header("Authorization", AUTH)
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build();
        return HTTP.send(r, HttpResponse.BodyHandlers.ofString());
    }

    static String created(String path, String body, String field) throws Exception {
        HttpResponse<String> r = call("POST", path, body);
        if (r.statusCode() != 201) throw new IllegalStateException(path + " answered " + r.statusCode() + ": " + r.body());
        Matcher m = Pattern.compile("\"" + field + "\":\"([^\"]+)\"").matcher(r.body());
        return m.find() ? m.group(1) : null;
    }

    static String setUp() throws Exception {
        String api = created("/v2/apis", "{\"name\":\"bench\",\"protocolType\":\"WEBSOCKET\",\"routeSelectionExpression\":\"$request.body.action\"}", "apiId");
        mockRoute(api, "echo", "{\\\"route\\\": \\\"$context.routeKey\\\"}");
        mockRoute(api, "whoami", "{\\\"id\\\": \\\"$context.connectionId\\\"}");
        created("/v2/apis/" + api + "/stages", "{\"stageName\":\"bench\",\"autoDeploy\":true}", "stageName");
        return api;
    }

    /** A two-way route to a MOCK integration whose reply is {@code responseTemplate} (JSON-escaped). */
    static void mockRoute(String api, String key, String responseTemplate) throws Exception {
        String integration = created("/v2/apis/" + api + "/integrations", "{\"integrationType\":\"MOCK\",\"templateSelectionExpression\":\"\\\\$default\","
                + "\"requestTemplates\":{\"$default\":\"{\\\"statusCode\\\": 200}\"}}", "integrationId");
        created("/v2/apis/" + api + "/integrations/" + integration + "/integrationresponses",
                "{\"integrationResponseKey\":\"$default\",\"responseTemplates\":{\"$default\":\"" + responseTemplate + "\"}}", "integrationResponseId");
        String route = created("/v2/apis/" + api + "/routes", "{\"routeKey\":\"" + key + "\",\"target\":\"integrations/" + integration
                + "\",\"routeResponseSelectionExpression\":\"$default\"}", "routeId");
        created("/v2/apis/" + api + "/routes/" + route + "/routeresponses", "{\"routeResponseKey\":\"$default\"}", "routeResponseId");
    }

    /** One connection and the messages it got. */
    static final class Client implements WebSocket.Listener {
        final LinkedBlockingQueue<String> messages = new LinkedBlockingQueue<>();
        final StringBuilder partial = new StringBuilder();
        WebSocket socket;

        static Client open(String apiId) {
            Client c = new Client();
            c.socket = HttpClient.newHttpClient().newWebSocketBuilder()
                    .buildAsync(URI.create("ws://localhost:" + port + "/_aws/execute-api/" + apiId + "/bench"), c).join();
            return c;
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                messages.add(partial.toString());
                partial.setLength(0);
            }
            ws.request(1);
            return null;
        }

        String next() throws InterruptedException {
            String m = messages.poll(30, TimeUnit.SECONDS);
            if (m == null) throw new IllegalStateException("no message within 30 s");
            return m;
        }
    }

    /** The server's CPU time so far, in nanoseconds. */
    static long cpu() throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L; // utime + stime; CLK_TCK is 100 on Linux
    }

    interface Step {
        void run(int client) throws Exception;
    }

    /** Runs {@code step} in a loop on every client for the given seconds (after a 2 s warm-up) and prints the figures. */
    static void phase(String name, int clients, int seconds, Step step) throws Exception {
        for (int warm = 0; warm < 2; warm++) {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(warm == 0 ? 2 : seconds);
            AtomicLong ops = new AtomicLong();
            List<CompletableFuture<Void>> running = new ArrayList<>();
            long cpu0 = cpu(), t0 = System.nanoTime();
            for (int i = 0; i < clients; i++) {
                int client = i;
                running.add(CompletableFuture.runAsync(() -> {
                    try {
                        while (System.nanoTime() < until) {
                            step.run(client);
                            ops.incrementAndGet();
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }, r -> Thread.ofVirtual().start(r)));
            }
            CompletableFuture.allOf(running.toArray(CompletableFuture[]::new)).join();
            double elapsed = (System.nanoTime() - t0) / 1e9;
            long cpu = cpu() - cpu0;
            if (warm == 1) {
                System.out.printf("%-38s %9.0f ops/s  %7.1f us server CPU/op  (%d ops, %d clients)%n", name, ops.get() / elapsed,
                        cpu / 1e3 / ops.get(), ops.get(), clients);
            }
        }
    }

    static void roundTrips(List<Client> connections, int seconds) throws Exception {
        phase("message -> MOCK two-way reply", connections.size(), seconds, i -> {
            Client c = connections.get(i);
            c.socket.sendText("{\"action\":\"echo\"}", true).join();
            c.next();
        });
    }

    static void posts(String apiId, List<Client> connections, int seconds) throws Exception {
        String[] ids = new String[connections.size()];
        for (int i = 0; i < ids.length; i++) ids[i] = connectionId(connections.get(i));
        phase("PostToConnection (HTTP) -> frame", connections.size(), seconds, i -> {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/_aws/execute-api/" + apiId
                    + "/bench/@connections/" + ids[i])).POST(HttpRequest.BodyPublishers.ofString("{\"hello\":\"world\"}")).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) throw new IllegalStateException("PostToConnection answered " + r.statusCode());
            connections.get(i).next();
        });
    }

    /** A connection's id, from the "whoami" route's reply ($context.connectionId). */
    static String connectionId(Client c) throws Exception {
        c.socket.sendText("{\"action\":\"whoami\"}", true).join();
        Matcher m = Pattern.compile("\"id\": \"([^\"]+)\"").matcher(c.next());
        if (!m.find()) throw new IllegalStateException("no connection id");
        return m.group(1);
    }
}
