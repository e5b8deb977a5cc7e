package dev.nimbus.services.apigateway;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.HttpResponse;
import dev.nimbus.services.cloudwatch.Metrics;
import dev.nimbus.services.logs.Logs;
import dev.nimbus.services.logs.LogsService;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What every served request leaves behind: AWS/ApiGateway metrics (Count, 4XXError, 5XXError,
 * Latency, IntegrationLatency; REST APIs by ApiName and Stage, HTTP APIs by ApiId and Stage) and,
 * when the stage asks for it, an access log line in CloudWatch Logs in the stage's $context format.
 * Metrics are tallied per minute in memory and written once a second, as Lambda's are: a store
 * write per request would cap the gateway's throughput.
 */
final class Observability implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Observability.class.getName());
    private static final String NAMESPACE = "AWS/ApiGateway";
    private static final Pattern CONTEXT = Pattern.compile("\\$context\\.([A-Za-z0-9_.]+)");

    private record Key(String account, String region, String apiDimension, String api, String stage, long minute) {}

    private static final class Tally {
        double count, client, server;
        final Samples latency = new Samples();
        final Samples integrationLatency = new Samples();
    }

    /**
     * The values of a latency since the last flush, appended to an array: Metrics.Stats.plus
     * copies its distinct values, which per request cost more than the rest of a MOCK call, and
     * even a TreeMap insert per request showed. Counted into Stats at flush.
     */
    static final class Samples {
        /** Past this many values in one flush interval the distribution is dropped (percentiles then not computable, as in Metrics). */
        private static final int MAX_VALUES = 1 << 20;
        double count, sum, min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
        double[] values = new double[64];
        int size;

        void add(double v) {
            count++;
            sum += v;
            min = Math.min(min, v);
            max = Math.max(max, v);
            if (values == null) return;
            if (size == values.length) values = size >= MAX_VALUES ? null : Arrays.copyOf(values, size * 2);
            if (values != null) values[size++] = v;
        }

        Metrics.Stats stats() {
            if (count == 0) return null;
            TreeMap<Double, Double> distribution = null;
            if (values != null) {
                distribution = new TreeMap<>();
                for (int i = 0; i < size; i++) distribution.merge(significant(values[i]), 1.0, Double::sum);
                if (distribution.size() > Metrics.MAX_DISTINCT) distribution = null;
            }
            return new Metrics.Stats(count, sum, min, max, distribution);
        }

        /**
         * The value to 3 significant digits, for the percentile distribution only (sum, min and max
         * stay exact): nanosecond latencies are all distinct, so a busy second would pass
         * MAX_DISTINCT and lose the minute's percentiles; rounded, they stay within 0.5%.
         */
        static double significant(double v) {
            if (v <= 0 || Double.isInfinite(v)) return v;
            double scale = Math.pow(10, 2 - Math.floor(Math.log10(v)));
            return Math.round(v * scale) / scale;
        }
    }

    private final Metrics metrics;
    private final LogsService logs;
    private final Map<Key, Tally> pending = new ConcurrentHashMap<>();
    private final ScheduledExecutorService flusher = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("apigateway-metrics").factory());

    Observability(Metrics metrics, LogsService logs) {
        this.metrics = metrics;
        this.logs = logs;
        flusher.scheduleWithFixedDelay(this::flush, 1, 1, TimeUnit.SECONDS);
    }

    void served(ApiStore.Entry entry, GatewayRequest req, HttpResponse res, long nanos) {
        JsonNode doc = entry.doc;
        boolean rest = "REST".equals(doc.path("_kind").asText());
        String account = doc.path("_account").asText();
        String region = doc.path("_region").asText();
        if (req.stage != null) {
            String api = rest ? doc.path("api").path("name").asText() : req.apiId;
            Key key = new Key(account, region, rest ? "ApiName" : "ApiId", api, req.stage, Math.floorDiv(req.time.getEpochSecond(), 60));
            pending.compute(key, (k, t) -> {
                if (t == null) t = new Tally();
                t.count++;
                if (res.status >= 400 && res.status < 500) t.client++;
                if (res.status >= 500) t.server++;
                t.latency.add(nanos / 1e6);
                if (req.integrationNanos >= 0) t.integrationLatency.add(req.integrationNanos / 1e6);
                return t;
            });
            JsonNode stage = doc.path("stages").path(req.stage);
            JsonNode settings = rest ? stage.path("accessLogSettings") : stage.path("AccessLogSettings");
            String arn = settings.path(rest ? "destinationArn" : "DestinationArn").asText("");
            String format = settings.path(rest ? "format" : "Format").asText("");
            if (!arn.isEmpty() && !format.isEmpty()) accessLog(account, region, arn, format, req, res, nanos);
        }
    }

    private void accessLog(String account, String region, String arn, String format, GatewayRequest req, HttpResponse res, long nanos) {
        Map<String, String> ctx = new HashMap<>();
        ctx.put("requestId", req.requestId);
        ctx.put("extendedRequestId", req.requestId);
        ctx.put("apiId", req.apiId);
        ctx.put("stage", req.stage);
        ctx.put("httpMethod", req.method());
        ctx.put("path", req.path);
        ctx.put("resourcePath", req.resourcePath);
        ctx.put("resourceId", req.resourceId);
        ctx.put("routeKey", req.routeKey);
        ctx.put("protocol", "HTTP/1.1");
        ctx.put("status", Integer.toString(res.status));
        ctx.put("responseLength", Integer.toString(res.body == null ? 0 : res.body.length));
        ctx.put("requestTime", req.requestTime());
        ctx.put("requestTimeEpoch", Long.toString(req.time.toEpochMilli()));
        ctx.put("identity.sourceIp", req.sourceIp());
        ctx.put("identity.userAgent", req.header("User-Agent"));
        ctx.put("domainName", req.domainName);
        ctx.put("domainPrefix", req.apiId);
        ctx.put("responseLatency", Long.toString(nanos / 1_000_000));
        ctx.put("integrationLatency", req.integrationNanos < 0 ? null : Long.toString(req.integrationNanos / 1_000_000));
        ctx.put("integration.latency", ctx.get("integrationLatency"));
        ctx.put("integrationStatus", req.integrationNanos < 0 ? null : Integer.toString(res.status));
        ctx.put("error.message", req.errorMessage);
        ctx.put("error.messageString", req.errorMessage == null ? null : "\"" + req.errorMessage + "\"");
        Matcher m = CONTEXT.matcher(format);
        StringBuilder line = new StringBuilder();
        while (m.find()) {
            String v = ctx.get(m.group(1));
            m.appendReplacement(line, Matcher.quoteReplacement(v == null ? "-" : v));
        }
        m.appendTail(line);
        String group = arn.replaceFirst(":\\*$", "");
        group = group.substring(group.indexOf(":log-group:") < 0 ? 0 : group.indexOf(":log-group:") + ":log-group:".length());
        String[] parts = arn.split(":");
        String logAccount = parts.length > 4 ? parts[4] : account;
        String logRegion = parts.length > 3 ? parts[3] : region;
        try {
            logs.append(logAccount, logRegion, group, req.apiId + "_" + req.stage, List.of(new Logs.InputEvent(req.time.toEpochMilli(), line.toString())));
        } catch (RuntimeException e) {
            LOG.log(Level.INFO, "access log for API " + req.apiId + " could not be written to " + arn, e);
        }
    }

    /** Writes what was tallied since the last flush, one store transaction. */
    synchronized void flush() {
        metrics.publish(pending, this::write, NAMESPACE);
    }

    private void write(Key k, Tally t) {
        Instant at = Instant.ofEpochSecond(k.minute() * 60);
        for (Map<String, String> dims : List.of(Map.of(k.apiDimension(), k.api()), Map.of(k.apiDimension(), k.api(), "Stage", k.stage()))) {
            record(k, "Count", dims, Metrics.Stats.of(1, t.count), "Count", at);
            // One sample per request, 1 for an error: Average is the error rate, Sum the error count.
            record(k, "4XXError", dims, rate(t.client, t.count), "Count", at);
            record(k, "5XXError", dims, rate(t.server, t.count), "Count", at);
            record(k, "Latency", dims, t.latency.stats(), "Milliseconds", at);
            if (t.integrationLatency.count > 0) record(k, "IntegrationLatency", dims, t.integrationLatency.stats(), "Milliseconds", at);
        }
    }

    private static Metrics.Stats rate(double errors, double count) {
        if (errors == 0) return Metrics.Stats.of(0, count);
        if (errors == count) return Metrics.Stats.of(1, count);
        return Metrics.Stats.of(0, count - errors).plus(Metrics.Stats.of(1, errors));
    }

    private void record(Key k, String name, Map<String, String> dims, Metrics.Stats s, String unit, Instant at) {
        metrics.record(k.account(), k.region(), NAMESPACE, name, new TreeMap<>(dims), s, unit, at, 60);
    }

    @Override
    public void close() {
        flusher.shutdown();
        flush();
    }
}
