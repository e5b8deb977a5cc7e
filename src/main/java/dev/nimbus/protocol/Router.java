package dev.nimbus.protocol;

import dev.nimbus.protocol.codec.Codec;
import dev.nimbus.protocol.codec.QueryCodec;
import dev.nimbus.protocol.model.Catalog;
import dev.nimbus.protocol.model.Member;
import dev.nimbus.protocol.model.Operation;
import dev.nimbus.protocol.model.ServiceModel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Finds the service, operation and protocol of a request the way AWS front ends do: the
 * rpc-v2-cbor path, X-Amz-Target, the query protocol's Action, or the method and path templates
 * of the rest models; the SigV4 scope narrows the candidates, the Host header finds S3 buckets.
 */
public final class Router {
    /**
     * A routed request; {@code op} is null when the service is known but the operation is not, and
     * {@code model} too when only the protocol is known (a failed route that still knows how to answer).
     */
    public record Route(ServiceModel model, Operation op, String operationName, Codec codec, Map<String, String> labels) {}

    private final Catalog catalog;
    private final Codecs codecs;
    /** rest services tried for unsigned requests (curl, browsers), S3 last: its "/{Bucket}" matches nearly any path */
    private final List<Catalog.Entry> restFallbackOrder;
    private final List<Catalog.Entry> queryServices;
    /** each rest model's operations by HTTP method, in the model's order (most specific first) */
    private final Map<ServiceModel, Map<String, List<RestOp>>> byMethod = new ConcurrentHashMap<>();

    public Router(Catalog catalog, Codecs codecs) {
        this.catalog = catalog;
        this.codecs = codecs;
        List<Catalog.Entry> rest = new ArrayList<>();
        List<Catalog.Entry> query = new ArrayList<>();
        for (Catalog.Entry e : catalog.entries()) {
            if (e.protocol().startsWith("rest-") && !e.name().equals("s3")) rest.add(e);
            if (speaksQuery(e)) query.add(e);
        }
        rest.add(catalog.entry("s3"));
        this.restFallbackOrder = List.copyOf(rest);
        this.queryServices = List.copyOf(query);
    }

    public Route route(HttpRequest req, SigV4 sig) {
        String smithy = req.header("smithy-protocol");
        if (smithy != null && req.rawPath.startsWith("/service/")) return rpcV2Cbor(req);
        String target = req.header("X-Amz-Target");
        if (target != null) return jsonTarget(req, target);

        String bucket = S3Hosts.bucketFromHost(req.header("Host"));
        List<Catalog.Entry> candidates = bucket != null ? List.of(catalog.entry("s3"))
                : sig.service() != null ? catalog.bySigningName(sig.service()) : List.of();

        String action = req.queryParam("Action");
        if (action == null && "POST".equals(req.method) && isForm(req) && (candidates.isEmpty() || candidates.stream().anyMatch(Router::speaksQuery))) {
            List<String> a = QueryCodec.params(req).get("Action");
            action = a == null || a.isEmpty() ? null : a.get(0);
        }
        if (action != null) return query(action, candidates);

        if (candidates.isEmpty()) {
            for (Catalog.Entry e : restFallbackOrder) {
                Route found = rest(e, req, null);
                if (found.op != null) return found;
            }
            throw new AwsException("UnrecognizedClientException", "Cannot tell which AWS service this request is for: sign it with SigV4"
                    + " (the credential scope names the service) or send X-Amz-Target or Action", 400);
        }
        Route firstMiss = null;
        for (Catalog.Entry e : candidates) {
            if (!e.protocol().startsWith("rest-")) continue;
            Route found = rest(e, req, bucket);
            if (found.op != null) return found;
            if (firstMiss == null) firstMiss = found;
        }
        if (firstMiss != null) return firstMiss;
        // Signed for a json/query service but carrying neither X-Amz-Target nor Action.
        Catalog.Entry e = candidates.get(0);
        ServiceModel model = catalog.model(e.name());
        Codec codec = codecs.forProtocol(speaksQuery(e) && !e.protocol().equals("json") ? "query" : e.protocol(), model);
        throw new RoutedException(new Route(model, null, null, codec, Map.of()),
                new AwsException(speaksQuery(e) ? "MissingAction" : "UnknownOperationException",
                        speaksQuery(e) ? "Missing Action parameter" : "Missing X-Amz-Target header", 400));
    }

    /** smithy-rpc-v2-cbor: POST /service/{ServiceShape}/operation/{Operation} */
    private Route rpcV2Cbor(HttpRequest req) {
        Codec cbor = codecs.forProtocol("smithy-rpc-v2-cbor", null);
        String[] parts = req.rawPath.split("/");
        // ["", "service", name, "operation", op]; the name may also be the absolute shape ID with '.' for '#'
        // (com.amazonaws.cloudwatch.GraniteServiceVersion20100801), which servers should accept.
        Catalog.Entry e = parts.length == 5 && "operation".equals(parts[3])
                ? catalog.byTargetPrefix(parts[2].substring(parts[2].lastIndexOf('.') + 1)) : null;
        if (e == null) {
            // No service to name, but the client reads CBOR: the error is written in it.
            throw new RoutedException(new Route(null, null, null, cbor, Map.of()),
                    new AwsException("UnknownOperationException", "No rpc-v2-cbor service at " + req.rawPath, 404));
        }
        ServiceModel model = catalog.model(e.name());
        return new Route(model, model.operation(parts[4]), parts[4], cbor, Map.of());
    }

    /** awsJson: X-Amz-Target: DynamoDB_20120810.PutItem */
    private Route jsonTarget(HttpRequest req, String target) {
        int dot = target.lastIndexOf('.');
        Catalog.Entry e = dot < 0 ? null : catalog.byTargetPrefix(target.substring(0, dot));
        if (e == null) {
            throw new AwsException("UnknownOperationException", "Unknown X-Amz-Target: " + target, 400);
        }
        ServiceModel model = catalog.model(e.name());
        String name = target.substring(dot + 1);
        String type = req.header("Content-Type");
        String version = type != null && type.contains("x-amz-json-1.0") ? "1.0" : type != null && type.contains("x-amz-json-1.1") ? "1.1" : null;
        return new Route(model, model.operation(name), name, codecs.json(version, model), Map.of());
    }

    private Route query(String action, List<Catalog.Entry> candidates) {
        Catalog.Entry service = null;
        for (Catalog.Entry e : candidates) if (speaksQuery(e)) service = e;
        if (service == null) {
            // Unsigned query requests (curl): the service whose model has this action.
            for (Catalog.Entry e : queryServices) {
                if (catalog.model(e.name()).operation(action) != null) {
                    service = e;
                    break;
                }
            }
        }
        if (service == null) {
            throw new AwsException("InvalidAction", "Could not find operation " + action, 400);
        }
        ServiceModel model = catalog.model(service.name());
        return new Route(model, model.operation(action), action, codecs.forProtocol("query", model), Map.of());
    }

    /**
     * A rest operation as routing sees it: its required query and header members (they tell
     * operations sharing a template apart) and whether its template names query keys at all.
     */
    private record RestOp(Operation op, List<Member> selectors, boolean queryLiterals) {
        static RestOp of(Operation op) {
            List<Member> selectors = new ArrayList<>();
            if (op.input != null) {
                for (String name : op.input.required) {
                    Member m = op.input.members.get(name);
                    if (m != null && m.location != null && !m.location.equals("uri")) selectors.add(m);
                }
            }
            return new RestOp(op, List.copyOf(selectors), !op.uri.queryLiterals().isEmpty());
        }
    }

    private Route rest(Catalog.Entry e, HttpRequest req, String hostBucket) {
        ServiceModel model = catalog.model(e.name());
        Codec codec = codecs.forProtocol(model.protocol, model);
        String path = hostBucket == null ? req.rawPath : "/" + hostBucket + (req.rawPath.isEmpty() ? "/" : req.rawPath);
        Map<String, List<String>> query = req.query();
        Operation best = null;
        Map<String, String> bestLabels = null;
        int bestScore = 0;
        // Operations sharing a template (S3's PUT /{Bucket}/{Key+}) are matched against the path once.
        String matchedTemplate = null;
        Map<String, String> matched = null;
        for (RestOp r : byMethod.computeIfAbsent(model, Router::byMethod).getOrDefault(req.method, List.of())) {
            Operation op = r.op;
            // Sorted most specific first: only operations as specific as the first match compete with it.
            if (best != null && op.uri.specificity < best.uri.specificity) break;
            if (r.queryLiterals && query.isEmpty()) continue;
            Map<String, String> labels;
            if (op.uri.text.equals(matchedTemplate)) {
                labels = matched;
            } else {
                try {
                    labels = op.uri.match(path, query);
                } catch (AwsException bad) { // a label that does not decode: answered in the service's own error format
                    throw new RoutedException(new Route(model, null, null, codec, Map.of()), bad);
                }
                matchedTemplate = op.uri.text;
                matched = labels;
            }
            if (labels == null) continue;
            int score = selectorScore(r, req);
            if (best == null || score > bestScore) {
                best = op;
                bestLabels = labels;
                bestScore = score;
            }
        }
        if (best != null) return new Route(model, best, best.name, codec, bestLabels);
        return new Route(model, null, req.method + " " + req.rawPath, codec, Map.of());
    }

    private static Map<String, List<RestOp>> byMethod(ServiceModel model) {
        Map<String, List<RestOp>> ops = new HashMap<>();
        for (Operation op : model.restOperations) ops.computeIfAbsent(op.method, m -> new ArrayList<>()).add(RestOp.of(op));
        ops.replaceAll((method, list) -> List.copyOf(list));
        return Map.copyOf(ops);
    }

    /**
     * Several operations can share one template (S3: PUT /{Bucket}/{Key+} is PutObject, CopyObject,
     * UploadPart or UploadPartCopy); like S3, tell them apart by the required query parameters and
     * headers the request carries: an operation missing one of its own ranks last, the one using
     * the most wins, and a deprecated operation yields to its successor.
     */
    private static int selectorScore(RestOp r, HttpRequest req) {
        int present = 0;
        int missing = 0;
        for (Member m : r.selectors) {
            boolean has = switch (m.location) {
                case "querystring" -> req.query().containsKey(m.wireName());
                case "header" -> req.header(m.wireName()) != null;
                default -> true;
            };
            if (has) present++;
            else missing++;
        }
        if (missing > 0) return -1000 - missing;
        return present * 2 - (r.op.deprecated ? 1 : 0);
    }

    private static boolean speaksQuery(Catalog.Entry e) {
        // SQS's and CloudWatch's current models are json/cbor, but older CLIs and SDKs still speak query to them.
        return e.protocols().contains("query") || e.name().equals("sqs");
    }

    private static boolean isForm(HttpRequest req) {
        String type = req.header("Content-Type");
        return type == null || type.startsWith("application/x-www-form-urlencoded");
    }

    /** A routing failure that already knows the service, so the error is written in its protocol. */
    public static final class RoutedException extends RuntimeException {
        public final Route route;
        public final AwsException error;

        RoutedException(Route route, AwsException error) {
            super(error.getMessage(), null, false, false);
            this.route = route;
            this.error = error;
        }
    }
}
