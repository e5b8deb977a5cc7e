package dev.nimbus.server;

import dev.nimbus.protocol.HttpRequest;
import dev.nimbus.protocol.HttpResponse;

/**
 * Browsers may call Nimbus directly (the AWS SDK for JavaScript in a page): any origin is allowed
 * and every response header is exposed, as a local development endpoint should. A front door that lets
 * a request through may have chosen its CORS headers already (S3 by the bucket's rules): those win.
 */
final class Cors {
    private Cors() {}

    /** Answers a CORS preflight, or returns null for any other request. */
    static HttpResponse preflight(HttpRequest req) {
        if (!"OPTIONS".equals(req.method) || req.header("Origin") == null || req.header("Access-Control-Request-Method") == null) return null;
        HttpResponse res = new HttpResponse();
        res.header("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS");
        String headers = req.header("Access-Control-Request-Headers");
        if (headers != null) res.header("Access-Control-Allow-Headers", headers);
        res.header("Access-Control-Max-Age", "86400");
        return res;
    }

    static void decorate(HttpRequest req, HttpResponse res) {
        if (req.header("Origin") == null) return;
        if (req.corsHeaders != null) {
            for (String[] h : req.corsHeaders) res.header(h[0], h[1]);
            return;
        }
        res.header("Access-Control-Allow-Origin", "*");
        res.header("Access-Control-Expose-Headers", "*");
    }
}
