package dev.nimbus.services.apigateway;

import dev.nimbus.protocol.HttpRequest;
import dev.nimbus.protocol.HttpResponse;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.AwsService;
import dev.nimbus.services.FrontDoor;
import dev.nimbus.services.Operations;
import dev.nimbus.services.WebSocketDoor;
import dev.nimbus.services.cloudwatch.Metrics;
import dev.nimbus.services.logs.LogsService;
import dev.nimbus.store.Store;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * API Gateway: the management APIs (apigateway for REST APIs, apigatewayv2 for HTTP and WebSocket
 * APIs) over one store of API documents, and the invoke URLs that serve them:
 * {@code http://{apiId}.execute-api.localhost:4566/{stage}/{path}},
 * {@code /_aws/execute-api/{apiId}/{stage}/{path}} and LocalStack's
 * {@code /restapis/{apiId}/{stage}/_user_request_/{path}}.
 */
public final class ApiGateway implements FrontDoor, AutoCloseable {
    private static final String PATH_STYLE = "/_aws/execute-api/";
    private final ApiStore apis;
    private final HttpApiService http;
    private final RestApiService rest;
    private final UsagePlans usagePlans;
    private final HttpGateway httpGateway;
    private final RestGateway restGateway;
    private final WebSocketGateway webSocketGateway;
    private final Observability observability;
    private final Clock clock = Clock.systemUTC();

    /**
     * @param ops the registered operations, through which integrations invoke Lambda
     * @param logs where stages' access logs go
     * @param metrics where AWS/ApiGateway metrics go
     */
    public ApiGateway(Store store, Operations ops, Supplier<String> endpoint, LogsService logs, Metrics metrics) {
        this.apis = new ApiStore(store);
        this.observability = new Observability(metrics, logs);
        this.http = new HttpApiService(apis, endpoint, clock);
        Templates templates = new Templates();
        this.rest = new RestApiService(apis, templates, clock);
        LambdaCall lambda = new LambdaCall(ops);
        HttpForward forward = new HttpForward();
        this.httpGateway = new HttpGateway(lambda, forward);
        this.usagePlans = new UsagePlans(store, clock);
        this.restGateway = new RestGateway(lambda, forward, templates, usagePlans);
        this.webSocketGateway = new WebSocketGateway(apis, lambda, templates, clock);
    }

    /** The services to register: apigateway (REST APIs) and apigatewayv2. */
    public List<AwsService> services() {
        return List.of(rest, usagePlans, http);
    }

    /** Which API an invoke URL names, and the path below it (stage first). */
    record Target(String apiId, String path, String domain) {}

    /** The API an invoke URL (host or path style) is for, or null when the request is not for an invoke URL. */
    static Target locate(HttpRequest request) {
        String host = request.header("Host");
        String hostName = host == null ? "" : withoutPort(host.toLowerCase(Locale.ROOT));
        int marker = hostName.indexOf(".execute-api.");
        if (marker > 0) return new Target(hostName.substring(0, marker), request.rawPath, hostName);
        if (request.rawPath.startsWith(PATH_STYLE)) {
            String rest = request.rawPath.substring(PATH_STYLE.length());
            int slash = rest.indexOf('/');
            String apiId = slash < 0 ? rest : rest.substring(0, slash);
            return new Target(apiId, slash < 0 ? "/" : rest.substring(slash), apiId + ".execute-api.localhost");
        }
        if (request.rawPath.startsWith("/restapis/") && request.rawPath.contains("/_user_request_")) {
            // LocalStack's form: /restapis/{apiId}/{stage}/_user_request_/{path}
            String[] parts = request.rawPath.split("/", 5);
            if (parts.length < 5 || !parts[4].startsWith("_user_request_")) return null;
            return new Target(parts[2], "/" + parts[3] + parts[4].substring("_user_request_".length()), parts[2] + ".execute-api.localhost");
        }
        return null;
    }

    /** WebSocket APIs' connections (the upgrade requests of their invoke URLs). */
    public WebSocketDoor webSockets() {
        return webSocketGateway;
    }

    @Override
    public HttpResponse serve(HttpRequest request) {
        Target target = locate(request);
        if (target == null) return null;
        GatewayRequest req = new GatewayRequest(request, target.apiId(), target.path(), target.domain(), Values.uuid(), clock.instant());
        ApiStore.Entry entry = apis.get(target.apiId());
        if (entry == null) return GatewayRequest.message(404, "{\"message\":\"Not Found\"}");
        String kind = entry.doc.path("_kind").asText();
        // A WebSocket API's invoke URL over HTTP is its @connections API, which is not counted in the API's metrics or access logs.
        if (kind.equals("WEBSOCKET")) return webSocketGateway.serve(entry, req);
        long started = System.nanoTime();
        HttpResponse res = kind.equals("REST") ? restGateway.serve(entry, req) : httpGateway.serve(entry, req);
        observability.served(entry, req, res, System.nanoTime() - started);
        return res;
    }

    /** "host:port" -> "host" (a regex here cost as much as routing the request). */
    private static String withoutPort(String host) {
        int colon = host.lastIndexOf(':');
        if (colon < 0 || colon == host.length() - 1) return host;
        for (int i = colon + 1; i < host.length(); i++) if (!Character.isDigit(host.charAt(i))) return host;
        return host.substring(0, colon);
    }

    /** Writes the metrics still tallied; called before the store closes. */
    @Override
    public void close() {
        webSocketGateway.close();
        observability.close();
        usagePlans.close();
    }
}
