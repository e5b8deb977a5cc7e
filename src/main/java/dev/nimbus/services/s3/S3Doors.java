package dev.nimbus.services.s3;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.Identity;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.HttpRequest;
import dev.nimbus.protocol.HttpResponse;
import dev.nimbus.protocol.S3Hosts;
import dev.nimbus.protocol.SigV4;
import dev.nimbus.protocol.Values;
import dev.nimbus.protocol.codec.XmlWriter;
import dev.nimbus.services.FrontDoor;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

/**
 * What S3 answers before an API operation runs: expired presigned URLs (AccessDenied), CORS
 * preflights by the bucket's CORS rules (and the CORS headers of actual cross-origin requests, by
 * the same rules), browser POST uploads (a form with a policy), and static website endpoints
 * ({@code bucket.s3-website.localhost:4566}) serving index and error documents.
 */
final class S3Doors implements FrontDoor {
    private static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter ISO = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'Z'").withZone(ZoneOffset.UTC);

    private final S3Service s3;
    private final Buckets buckets;
    /** access key -> its secret when Nimbus issued it, else null; set once at wiring */
    volatile Function<String, String> secrets = key -> null;

    S3Doors(S3Service s3, Buckets buckets) {
        this.s3 = s3;
        this.buckets = buckets;
    }

    /**
     * A cross-origin request's CORS headers come from the bucket's rules whatever S3 answers it with: an object, an
     * API error, an expired presigned URL, a website's index or error document. A preflight is answered before any
     * authentication, a presigned URL's included.
     */
    @Override
    public HttpResponse serve(HttpRequest req) {
        boolean preflight = "OPTIONS".equals(req.method) && req.header("Origin") != null && req.header("Access-Control-Request-Method") != null;
        String website = websiteBucket(req.header("Host"));
        if (website != null) {
            boolean exists = buckets.buckets.get(website) != null;
            if (preflight && exists) return preflight(req, website);
            HttpResponse res = website(req, website);
            if (req.header("Origin") != null && exists) withCors(res, corsHeaders(req, website));
            return res;
        }
        if (req.header("Origin") != null) {
            if (preflight) return preflight(req, bucketOf(req));
            actualCors(req);
        }
        if (req.rawQuery.contains("X-Amz-Expires=") || req.rawQuery.contains("Expires=") && req.rawQuery.contains("AWSAccessKeyId=")) {
            HttpResponse res = expired(req);
            if (res == null) res = forged(req);
            if (res != null) return withCors(res, req.corsHeaders);
        }
        if ("POST".equals(req.method)) {
            String bucket = postBucket(req);
            if (bucket != null) return withCors(post(req, bucket), req.corsHeaders);
        }
        return null;
    }

    private static HttpResponse withCors(HttpResponse res, List<String[]> headers) {
        if (headers != null) for (String[] h : headers) res.header(h[0], h[1]);
        return res;
    }

    // ---- presigned URL expiry ----

    /** AccessDenied for an S3 presigned URL past its expiry (SigV4 X-Amz-Date + X-Amz-Expires, SigV2 Expires); null otherwise. */
    private static HttpResponse expired(HttpRequest req) {
        Instant now = Instant.now();
        String credential = req.queryParam("X-Amz-Credential");
        if (credential != null) {
            String[] scope = credential.split("/");
            if (scope.length < 4 || !scope[3].equals("s3")) return null;
            try {
                Instant signed = AMZ_DATE.parse(req.queryParam("X-Amz-Date"), Instant::from);
                long seconds = Long.parseLong(req.queryParam("X-Amz-Expires"));
                Instant expires = signed.plusSeconds(seconds);
                if (!now.isAfter(expires)) return null;
                return error(403, "AccessDenied", "Request has expired", "X-Amz-Expires", String.valueOf(seconds), "Expires", ISO.format(expires),
                        "ServerTime", ISO.format(now));
            } catch (DateTimeParseException | NumberFormatException | NullPointerException e) {
                return error(400, "AuthorizationQueryParametersError", "X-Amz-Date and X-Amz-Expires must be given, as yyyyMMdd'T'HHmmss'Z' and seconds");
            }
        }
        String v2 = req.queryParam("Expires");
        if (v2 == null || req.queryParam("AWSAccessKeyId") == null) return null;
        try {
            Instant expires = Instant.ofEpochSecond(Long.parseLong(v2));
            if (!now.isAfter(expires)) return null;
            return error(403, "AccessDenied", "Request has expired", "Expires", ISO.format(expires), "ServerTime", ISO.format(now));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** SignatureDoesNotMatch for a SigV4 presigned S3 URL whose signature the key's known secret does not give; null otherwise. */
    private HttpResponse forged(HttpRequest req) {
        String credential = req.queryParam("X-Amz-Credential");
        if (credential == null || !credential.contains("/s3/")) return null;
        String secret = secrets.apply(credential.substring(0, Math.max(0, credential.indexOf('/'))));
        return secret == null ? null : PresignedSignature.check(req, secret);
    }

    static HttpResponse error(int status, String code, String message, String... fields) {
        XmlWriter w = new XmlWriter().declaration().open("Error").element("Code", code).element("Message", message);
        for (int i = 0; i + 1 < fields.length; i += 2) w.element(fields[i], fields[i + 1]);
        w.close("Error");
        HttpResponse res = new HttpResponse();
        res.status = status;
        return res.body("application/xml", w.toBytes());
    }

    // ---- CORS ----

    /** The bucket a request names by host or first path segment, when that bucket exists; else null. */
    private String bucketOf(HttpRequest req) {
        String bucket = S3Hosts.bucketFromHost(req.header("Host"));
        if (bucket == null) {
            String path = req.rawPath.startsWith("/") ? req.rawPath.substring(1) : req.rawPath;
            int slash = path.indexOf('/');
            bucket = URLDecoder.decode(slash < 0 ? path : path.substring(0, slash), StandardCharsets.UTF_8);
        }
        return bucket.isEmpty() || buckets.buckets.get(bucket) == null ? null : bucket;
    }

    private HttpResponse preflight(HttpRequest req, String bucket) {
        // Not a bucket: some other service's preflight, answered by the server's permissive default.
        if (bucket == null) return null;
        JsonNode cors = buckets.config(bucket, "cors");
        String method = req.header("Access-Control-Request-Method");
        if (cors == null) return error(403, "AccessForbidden", "CORSResponse: CORS is not enabled for this bucket.", "Method", method, "ResourceType", "BUCKET");
        List<String> headers = new ArrayList<>();
        String requested = req.header("Access-Control-Request-Headers");
        if (requested != null) for (String h : requested.split(",")) if (!h.isBlank()) headers.add(h.trim().toLowerCase(Locale.ROOT));
        JsonNode rule = matchingRule(cors, req.header("Origin"), method, headers);
        if (rule == null) {
            return error(403, "AccessForbidden", "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin,"
                    + " request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
                    "Method", method, "ResourceType", "OBJECT");
        }
        HttpResponse res = new HttpResponse();
        for (String[] h : ruleHeaders(rule, req.header("Origin"), requested)) res.header(h[0], h[1]);
        return res;
    }

    /**
     * A cross-origin request that is not a preflight (a browser's GET or PUT with an Origin header): when it is an
     * S3 request for an existing bucket, S3 owns its CORS headers, the first rule matching origin and method, or
     * none (no rule matches, or the bucket has no CORS configuration). Headers are not matched: only preflights
     * carry Access-Control-Request-Headers.
     */
    private void actualCors(HttpRequest req) {
        if (req.header("X-Amz-Target") != null) return;
        String service = SigV4.of(req).service();
        if (service != null && !service.equals("s3")) return;
        String bucket = bucketOf(req);
        if (bucket != null) req.corsHeaders = corsHeaders(req, bucket);
    }

    /** The headers of the bucket's first rule matching the request's origin and method; none when no rule does. */
    private List<String[]> corsHeaders(HttpRequest req, String bucket) {
        JsonNode cors = buckets.config(bucket, "cors");
        JsonNode rule = cors == null ? null : matchingRule(cors, req.header("Origin"), req.method, List.of());
        return rule == null ? List.of() : ruleHeaders(rule, req.header("Origin"), null);
    }

    /** S3 uses the first rule whose origins, methods and (on a preflight) every requested header match. */
    private static JsonNode matchingRule(JsonNode cors, String origin, String method, List<String> headers) {
        for (JsonNode rule : cors.path("CORSRules")) {
            if (!matchesAny(rule.path("AllowedOrigins"), origin, false) || !contains(rule.path("AllowedMethods"), method)) continue;
            boolean allHeaders = true;
            for (String h : headers) allHeaders &= matchesAny(rule.path("AllowedHeaders"), h, true);
            if (allHeaders) return rule;
        }
        return null;
    }

    /** What a matched rule answers, on a preflight and on the actual request alike. */
    private static List<String[]> ruleHeaders(JsonNode rule, String origin, String requestedHeaders) {
        List<String[]> out = new ArrayList<>();
        boolean any = contains(rule.path("AllowedOrigins"), "*");
        out.add(new String[] {"Access-Control-Allow-Origin", any ? "*" : origin});
        out.add(new String[] {"Access-Control-Allow-Methods", join(rule.path("AllowedMethods"))});
        if (requestedHeaders != null) out.add(new String[] {"Access-Control-Allow-Headers", requestedHeaders});
        if (!rule.path("ExposeHeaders").isEmpty()) out.add(new String[] {"Access-Control-Expose-Headers", join(rule.path("ExposeHeaders"))});
        if (rule.has("MaxAgeSeconds")) out.add(new String[] {"Access-Control-Max-Age", rule.path("MaxAgeSeconds").asText()});
        if (!any) out.add(new String[] {"Access-Control-Allow-Credentials", "true"});
        out.add(new String[] {"Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"});
        return out;
    }

    /** CORS origins and headers may hold one '*' wildcard. */
    private static boolean matchesAny(JsonNode patterns, String value, boolean ignoreCase) {
        for (JsonNode p : patterns) {
            String pattern = ignoreCase ? p.asText().toLowerCase(Locale.ROOT) : p.asText();
            String v = ignoreCase ? value.toLowerCase(Locale.ROOT) : value;
            int star = pattern.indexOf('*');
            if (star < 0 ? pattern.equals(v) : v.length() >= pattern.length() - 1 && v.startsWith(pattern.substring(0, star)) && v.endsWith(pattern.substring(star + 1))) {
                return true;
            }
        }
        return false;
    }

    private static boolean contains(JsonNode list, String value) {
        for (JsonNode n : list) if (n.asText().equals(value)) return true;
        return false;
    }

    private static String join(JsonNode list) {
        List<String> out = new ArrayList<>();
        list.forEach(n -> out.add(n.asText()));
        return String.join(", ", out);
    }

    // ---- website ----

    /** "site.s3-website.localhost:4566", "site.s3-website-us-east-1.amazonaws.com", "site.s3-website.eu-west-1.amazonaws.com" -> "site" */
    static String websiteBucket(String host) {
        if (host == null) return null;
        int i = host.indexOf(".s3-website");
        return i > 0 ? host.substring(0, i) : null;
    }

    private HttpResponse website(HttpRequest req, String bucket) {
        if (!"GET".equals(req.method) && !"HEAD".equals(req.method)) {
            return html(405, "405 Method Not Allowed", "MethodNotAllowed", "The specified method is not allowed against this resource.");
        }
        if (buckets.buckets.get(bucket) == null) return html(404, "404 Not Found", "NoSuchBucket", "The specified bucket does not exist");
        JsonNode site = buckets.config(bucket, "website");
        if (site == null) return html(404, "404 Not Found", "NoSuchWebsiteConfiguration", "The specified bucket does not have a website configuration");
        JsonNode redirectAll = site.path("RedirectAllRequestsTo");
        if (redirectAll.has("HostName")) {
            HttpResponse res = new HttpResponse();
            res.status = 301;
            return res.header("Location", redirectAll.path("Protocol").asText("http") + "://" + redirectAll.path("HostName").asText() + req.rawPath);
        }
        String index = site.path("IndexDocument").path("Suffix").asText("index.html");
        String requested = URLDecoder.decode(req.rawPath.startsWith("/") ? req.rawPath.substring(1) : req.rawPath, StandardCharsets.UTF_8);
        JsonNode rule = routingRule(site, requested, 0);
        if (rule != null) return redirect(req, rule, requested);
        String key = requested.isEmpty() || requested.endsWith("/") ? requested + index : requested;
        JsonNode r = s3.objects.getJson(S3Service.objectKey(bucket, key));
        if (r == null && s3.objects.get(S3Service.objectKey(bucket, key + "/" + index)) != null) {
            // a "folder" without its trailing slash: S3 redirects to it
            HttpResponse res = new HttpResponse();
            res.status = 302;
            return res.header("Location", req.rawPath + "/");
        }
        if (Versions.isMarker(r)) r = null;
        String redirectTo = r == null ? null : r.path("headers").path("WebsiteRedirectLocation").asText(null);
        if (redirectTo != null) {
            // an object stored with x-amz-website-redirect-location is a redirect on the website, not content
            HttpResponse res = new HttpResponse();
            res.status = 301;
            return res.header("Location", redirectTo);
        }
        if (r != null) return object(req, r, 200);
        rule = routingRule(site, requested, 404);
        if (rule != null) return redirect(req, rule, requested);
        String errorKey = site.path("ErrorDocument").path("Key").asText(null);
        JsonNode error = errorKey == null ? null : s3.objects.getJson(S3Service.objectKey(bucket, errorKey));
        if (error != null) return object(req, error, 404);
        return html(404, "404 Not Found", "NoSuchKey", "The specified key does not exist.");
    }

    /**
     * The first routing rule whose condition holds for the key: before the object is looked up ({@code error} 0) a rule
     * conditioned on an error code does not apply; after a miss (404) one conditioned on that code does too.
     */
    private static JsonNode routingRule(JsonNode site, String key, int error) {
        for (JsonNode rule : site.path("RoutingRules")) {
            JsonNode c = rule.path("Condition");
            if (!key.startsWith(c.path("KeyPrefixEquals").asText(""))) continue;
            String code = c.path("HttpErrorCodeReturnedEquals").asText(null);
            if (code == null ? error == 0 : code.equals(String.valueOf(error))) return rule;
        }
        return null;
    }

    /** A routing rule's redirect: its host or the request's, its protocol, the key replaced whole or by prefix. */
    private static HttpResponse redirect(HttpRequest req, JsonNode rule, String key) {
        JsonNode r = rule.path("Redirect");
        String target;
        if (r.has("ReplaceKeyWith")) {
            target = r.path("ReplaceKeyWith").asText();
        } else if (r.has("ReplaceKeyPrefixWith")) {
            target = r.path("ReplaceKeyPrefixWith").asText() + key.substring(rule.path("Condition").path("KeyPrefixEquals").asText("").length());
        } else {
            target = key;
        }
        HttpResponse res = new HttpResponse();
        res.status = r.path("HttpRedirectCode").asInt(301);
        String host = r.path("HostName").asText(req.header("Host"));
        return res.header("Location", r.path("Protocol").asText("http") + "://" + host + "/" + target);
    }

    private HttpResponse object(HttpRequest req, JsonNode r, int status) {
        HttpResponse res = new HttpResponse();
        res.status = status;
        long size = r.path("size").asLong();
        res.header("Content-Type", r.path("type").asText());
        res.header("ETag", r.path("etag").asText());
        res.header("Last-Modified", Values.httpDate(Instant.ofEpochMilli(r.path("modified").asLong())));
        if ("HEAD".equals(req.method)) return res.header("Content-Length", String.valueOf(size));
        res.streamLength = size;
        res.stream = out -> {
            try (InputStream in = new ObjectBody(s3.blobs(), r.path("parts"), 0, size)) {
                in.transferTo(out);
            }
        };
        return res;
    }

    /** The HTML error page a website endpoint answers with. */
    private static HttpResponse html(int status, String title, String code, String message) {
        String page = "<html>\n<head><title>" + title + "</title></head>\n<body>\n<h1>" + title + "</h1>\n<ul>\n<li>Code: " + code + "</li>\n<li>Message: "
                + message + "</li>\n</ul>\n<hr/>\n</body>\n</html>\n";
        HttpResponse res = new HttpResponse();
        res.status = status;
        return res.body("text/html; charset=utf-8", page.getBytes(StandardCharsets.UTF_8));
    }

    // ---- browser POST uploads ----

    /** The bucket a form POST is for (Host bucket with path "/", or path "/bucket"), or null when the request is not one. */
    private String postBucket(HttpRequest req) {
        if (PostForm.boundary(req.header("Content-Type")) == null || !req.rawQuery.isEmpty()) return null;
        String host = S3Hosts.bucketFromHost(req.header("Host"));
        String bucket;
        if (host != null) {
            bucket = req.rawPath.equals("/") || req.rawPath.isEmpty() ? host : null;
        } else {
            String path = req.rawPath.startsWith("/") ? req.rawPath.substring(1) : req.rawPath;
            if (path.endsWith("/")) path = path.substring(0, path.length() - 1);
            bucket = path.isEmpty() || path.contains("/") ? null : URLDecoder.decode(path, StandardCharsets.UTF_8);
        }
        return bucket != null && buckets.buckets.get(bucket) != null ? bucket : null;
    }

    private HttpResponse post(HttpRequest req, String bucket) {
        try {
            PostForm form = PostForm.read(req.bodyStream(), PostForm.boundary(req.header("Content-Type")));
            return upload(form, bucket, req);
        } catch (AwsException e) {
            List<String> fields = new ArrayList<>();
            e.fields().forEach((k, v) -> {
                fields.add(k);
                fields.add(v);
            });
            return error(e.status(), e.code(), e.getMessage(), fields.toArray(String[]::new));
        } catch (java.io.IOException e) {
            return error(400, "IncompleteBody", "The request body terminated unexpectedly");
        }
    }

    private HttpResponse upload(PostForm form, String bucket, HttpRequest req) throws java.io.IOException {
        Map<String, String> f = form.fields;
        String key = f.get("key");
        if (key == null) {
            throw new AwsException("InvalidArgument", "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.", 400)
                    .with("ArgumentName", "key").with("ArgumentValue", "");
        }
        key = key.replace("${filename}", form.filename);
        S3Service.checkKey(key);
        long[] range = PostPolicy.check(f.get("policy"), bucket, key, f, Instant.now());
        String credential = f.get("x-amz-credential");
        String[] scope = credential == null ? new String[0] : credential.split("/");
        JsonNode b = buckets.get(bucket);
        RequestContext ctx = new RequestContext(UUID.randomUUID().toString(), Identity.ofUnknownKey(scope.length > 0 ? scope[0] : f.get("awsaccesskeyid")),
                scope.length > 2 ? scope[2] : b.path("region").asText(), null, req::sourceIp);
        Upload up = Upload.store(s3.blobs(), form.file, -1, null, Checksums.orDefault(Map.of()));
        form.finish();
        if (range != null && (up.size() < range[0] || up.size() > range[1])) {
            s3.blobs().delete(up.blobId());
            throw up.size() > range[1]
                    ? new AwsException("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size", 400).with("ProposedSize", String.valueOf(up.size()))
                            .with("MaxSizeAllowed", String.valueOf(range[1]))
                    : new AwsException("EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size", 400)
                            .with("ProposedSize", String.valueOf(up.size())).with("MinSizeAllowed", String.valueOf(range[0]));
        }
        ObjectNode meta = Values.object();
        ObjectNode in = Values.object();
        f.forEach((k, v) -> {
            if (k.startsWith("x-amz-meta-")) meta.put(k.substring(11), v);
        });
        for (String[] h : new String[][] {{"cache-control", "CacheControl"}, {"content-disposition", "ContentDisposition"},
                {"content-encoding", "ContentEncoding"}, {"x-amz-storage-class", "StorageClass"}}) {
            if (f.containsKey(h[0])) in.put(h[1], f.get(h[0]));
        }
        S3Service.checkMetadata(meta);
        String type = f.getOrDefault("content-type", form.fileContentType);
        ObjectNode record = S3Service.record(in, type, meta, S3Service.headersOf(in), S3Service.oneBlob(up.blobId(), up.size()), up.size(), up.etag());
        record.set("checksum", Checksums.record(up.checksums()));
        s3.publish(ctx, bucket, key, record, null, "ObjectCreated:Post", null);

        String location = "/" + bucket + "/" + key;
        String redirect = f.get("success_action_redirect");
        HttpResponse res = new HttpResponse();
        res.header("ETag", up.etag()).header("Location", location);
        if (redirect != null && !redirect.isEmpty()) {
            res.status = 303;
            res.headers.removeIf(h -> h[0].equals("Location"));
            String sep = redirect.contains("?") ? "&" : "?";
            return res.header("Location", redirect + sep + "bucket=" + Listing.enc(bucket, true) + "&key=" + Listing.enc(key, true) + "&etag="
                    + Listing.enc(up.etag(), true));
        }
        String status = f.getOrDefault("success_action_status", "204");
        if (status.equals("201")) {
            res.status = 201;
            XmlWriter w = new XmlWriter().declaration().open("PostResponse").element("Location", location).element("Bucket", bucket)
                    .element("Key", key).element("ETag", up.etag()).close("PostResponse");
            return res.body("application/xml", w.toBytes());
        }
        res.status = status.equals("200") ? 200 : 204;
        return res;
    }
}
