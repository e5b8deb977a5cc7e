package dev.nimbus.protocol.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.nimbus.protocol.Codecs;
import dev.nimbus.protocol.HttpRequest;
import dev.nimbus.protocol.Router;
import dev.nimbus.protocol.SigV4;
import dev.nimbus.protocol.model.Catalog;
import java.io.InputStream;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** How rest requests find their operation: templates, query literals, and S3's operations that share a template. */
class RestRoutingTest {
    static final Router ROUTER = new Router(new Catalog(), new Codecs());

    static Router.Route route(String service, String method, String target, String... headers) {
        Map<String, String> h = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        h.put("Host", "localhost:4566");
        h.put("Authorization", "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/" + service + "/aws4_request, SignedHeaders=host, Signature=00");
        for (String line : headers) h.put(line.substring(0, line.indexOf(':')), line.substring(line.indexOf(':') + 1).trim());
        int q = target.indexOf('?');
        HttpRequest req = new HttpRequest(method, q < 0 ? target : target.substring(0, q), q < 0 ? "" : target.substring(q + 1), h::get, h.entrySet(),
                InputStream.nullInputStream(), 0, 1 << 20);
        return ROUTER.route(req, SigV4.of(req));
    }

    static String op(String service, String method, String target, String... headers) {
        Router.Route r = route(service, method, target, headers);
        return r.op() == null ? null : r.op().name;
    }

    @Test
    void s3OperationsSharingATemplateAreToldApartByRequiredParameters() {
        assertEquals("PutObject", op("s3", "PUT", "/b/k"));
        assertEquals("CopyObject", op("s3", "PUT", "/b/k", "x-amz-copy-source: src/key"));
        assertEquals("UploadPart", op("s3", "PUT", "/b/k?partNumber=1&uploadId=u"));
        assertEquals("UploadPartCopy", op("s3", "PUT", "/b/k?partNumber=1&uploadId=u", "x-amz-copy-source: src/key"));
        assertEquals("GetObject", op("s3", "GET", "/b/k"));
        assertEquals("ListParts", op("s3", "GET", "/b/k?uploadId=u"));
        assertEquals("DeleteObject", op("s3", "DELETE", "/b/k"));
        assertEquals("AbortMultipartUpload", op("s3", "DELETE", "/b/k?uploadId=u"));
        assertEquals("CreateMultipartUpload", op("s3", "POST", "/b/k?uploads"));
        assertEquals("CompleteMultipartUpload", op("s3", "POST", "/b/k?uploadId=u"));
        assertEquals("ListBucketAnalyticsConfigurations", op("s3", "GET", "/b?analytics"));
        assertEquals("GetBucketAnalyticsConfiguration", op("s3", "GET", "/b?analytics&id=a1"));
        // the deprecated GetBucketLifecycle shares the wire route with its successor
        assertEquals("GetBucketLifecycleConfiguration", op("s3", "GET", "/b?lifecycle"));
        assertEquals("PutBucketNotificationConfiguration", op("s3", "PUT", "/b?notification"));
    }

    @Test
    void s3BucketsKeysAndQueryLiterals() {
        assertEquals("ListBuckets", op("s3", "GET", "/"));
        assertEquals("ListObjects", op("s3", "GET", "/b"));
        assertEquals("ListObjects", op("s3", "GET", "/b/"));
        assertEquals("ListObjectsV2", op("s3", "GET", "/b?list-type=2"));
        assertEquals("ListObjectsV2", op("s3", "GET", "/b/?list-type=2&prefix=x"));
        assertEquals("GetBucketTagging", op("s3", "GET", "/b?tagging"));
        assertEquals("GetObjectTagging", op("s3", "GET", "/b/k?tagging"));
        assertEquals("CreateBucket", op("s3", "PUT", "/b"));

        Router.Route r = route("s3", "GET", "/b/dir/a%2Fb%20c/");
        assertEquals(Map.of("Bucket", "b", "Key", "dir/a/b c/"), r.labels());
        assertEquals(Map.of("Bucket", "b", "Key", "a//b"), route("s3", "GET", "/b/a//b").labels());
        assertEquals(Map.of("Bucket", "b", "Key", "1+1"), route("s3", "GET", "/b/1+1").labels());
    }

    @Test
    void s3VirtualHostPutsTheBucketInFrontOfThePath() {
        Router.Route r = route("s3", "GET", "/photos/2024/cat.jpg", "Host: my-bucket.s3.localhost:4566");
        assertEquals("GetObject", r.op().name);
        assertEquals(Map.of("Bucket", "my-bucket", "Key", "photos/2024/cat.jpg"), r.labels());
        assertEquals("ListObjectsV2", op("s3", "GET", "/?list-type=2", "Host: my-bucket.s3.localhost:4566"));
        assertEquals("ListObjects", op("s3", "GET", "/", "Host: my-bucket.s3.us-east-1.amazonaws.com"));
        // no bucket in the host: path style
        assertEquals("ListBuckets", op("s3", "GET", "/", "Host: s3.localhost:4566"));
    }

    @Test
    void unmatchedAndMalformedRequests() {
        Router.Route r = route("s3", "PATCH", "/b/k");
        assertNull(r.op());
        assertEquals("MethodNotAllowed", r.codec().unknownOperation(r.model(), r.operationName()).code());
        Router.RoutedException bad = assertThrows(Router.RoutedException.class, () -> route("s3", "GET", "/b/%zz"));
        assertEquals("InvalidURI", bad.error.code());
        assertEquals(400, bad.error.status());
        assertEquals("s3", bad.route.model().name);
    }

    @Test
    void lambdaTemplatesWithTrailingSlashesAndQueryLiterals() {
        assertEquals("ListFunctions", op("lambda", "GET", "/2015-03-31/functions/"));
        assertEquals("GetFunction", op("lambda", "GET", "/2015-03-31/functions/my-fn"));
        assertEquals(Map.of("FunctionName", "arn:aws:lambda:us-east-1:000000000000:function:f"),
                route("lambda", "GET", "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Af").labels());
        assertEquals("Invoke", op("lambda", "POST", "/2015-03-31/functions/f/invocations"));
        assertEquals("ListLayers", op("lambda", "GET", "/2018-10-31/layers"));
        assertEquals("GetLayerVersionByArn", op("lambda", "GET", "/2018-10-31/layers?find=LayerVersion&Arn=x"));
        assertEquals("ListProvisionedConcurrencyConfigs", op("lambda", "GET", "/2019-09-30/functions/f/provisioned-concurrency?List=ALL"));
        assertEquals("GetProvisionedConcurrencyConfig", op("lambda", "GET", "/2019-09-30/functions/f/provisioned-concurrency?Qualifier=1"));
    }

    @Test
    void apiGatewayV1AndV2ShareASigningName() {
        assertEquals("apigatewayv2", route("apigateway", "GET", "/v2/apis").model().name);
        assertEquals("GetApis", op("apigateway", "GET", "/v2/apis"));
        assertEquals("apigateway", route("apigateway", "GET", "/restapis").model().name);
        assertEquals("ImportRestApi", op("apigateway", "POST", "/restapis?mode=import"));
        assertEquals("CreateRestApi", op("apigateway", "POST", "/restapis"));
    }
}
