package dev.nimbus.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.Codecs;
import dev.nimbus.protocol.HttpRequest;
import dev.nimbus.protocol.HttpResponse;
import dev.nimbus.protocol.Identity;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.Router;
import dev.nimbus.protocol.SigV4;
import dev.nimbus.protocol.Validator;
import dev.nimbus.protocol.codec.Codec;
import dev.nimbus.protocol.codec.JsonCodec;
import dev.nimbus.protocol.codec.QueryCodec;
import dev.nimbus.protocol.model.Catalog;
import dev.nimbus.services.Operations;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One request, end to end, independent of the HTTP library: identify the caller, route, parse and
 * validate the input, run the operation, serialize the output or the error. Nothing thrown here
 * reaches a client as a stack trace: unexpected exceptions become InternalFailure and are logged.
 */
public final class Dispatcher {
    private static final Logger LOG = Logger.getLogger(Dispatcher.class.getName());
    private static final Codec FALLBACK_XML = new QueryCodec();
    private static final Codec FALLBACK_JSON = new JsonCodec("1.1");

    private final Router router;
    private final Operations operations;
    private final Function<String, Identity> identities;

    public Dispatcher(Catalog catalog, Operations operations, Function<String, Identity> identities) {
        this.router = new Router(catalog, new Codecs());
        this.operations = operations;
        this.identities = identities;
    }

    public HttpResponse handle(HttpRequest req, String requestId) {
        HttpResponse res = new HttpResponse();
        Router.Route route = null;
        try {
            SigV4 sig = SigV4.of(req);
            route = router.route(req, sig);
            if (route.op() == null) throw route.codec().unknownOperation(route.model(), route.operationName());
            // Input is parsed and validated before the implementation is looked up, as AWS's front
            // ends do: a malformed request gets the same answer whether or not Nimbus serves the operation.
            ObjectNode input = route.codec().read(req, route.op(), route.labels());
            // S3's front end checks no enums or patterns (SDKs send the FilterRule names "Prefix"/"Suffix" that the model
            // spells "prefix"/"suffix", and S3 takes them): the S3 service checks values with S3's own errors.
            String invalid = "rest-xml".equals(route.model().protocol) ? null : Validator.check(input, route.op().input);
            if (invalid != null) throw route.codec().validationError(invalid);
            Operations.Handler handler = operations.handler(route.model().name, route.op().name);
            if (handler == null) throw AwsException.notImplemented(route.op().fullName());
            Identity identity = identities.apply(sig.accessKey());
            JsonNode output = handler.handle(new RequestContext(requestId, identity, sig.region(), route.op(), req::sourceIp), input);
            route.codec().write(res, route.op(), output, requestId);
        } catch (Router.RoutedException e) {
            route = e.route;
            error(res, e.error, route, req, requestId);
        } catch (AwsException e) {
            error(res, e, route, req, requestId);
        } catch (RuntimeException | StackOverflowError e) {
            LOG.log(Level.WARNING, "request " + requestId + " failed: " + req.method + " " + req.rawPath, e);
            error(res, AwsException.internal("Internal error; the server log has details under request id " + requestId), route, req, requestId);
        }
        if ("HEAD".equals(req.method)) {
            // A HEAD answer has headers only, errors included (S3 HeadObject's 404); a body would be read as the next response.
            res.body = null;
            res.stream = null;
        }
        return res;
    }

    private static void error(HttpResponse res, AwsException e, Router.Route route, HttpRequest req, String requestId) {
        res.headers.clear();
        res.body = null;
        res.stream = null;
        Codec codec = route != null ? route.codec() : guessCodec(req::header);
        codec.writeError(res, e, route == null ? null : route.model(), requestId);
    }

    /** An error found before any service is known (malformed HTTP, transport limits); {@code header} may know no headers at all. */
    static HttpResponse unrouted(AwsException e, Function<String, String> header, String requestId) {
        HttpResponse res = new HttpResponse();
        guessCodec(header).writeError(res, e, null, requestId);
        return res;
    }

    /** Before a service is known, answer in the family the client most likely speaks. */
    private static Codec guessCodec(Function<String, String> header) {
        String type = header.apply("Content-Type");
        return type != null && type.contains("json") || header.apply("X-Amz-Target") != null ? FALLBACK_JSON : FALLBACK_XML;
    }
}
