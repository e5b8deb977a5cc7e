package dev.nimbus.protocol.codec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.HttpRequest;
import dev.nimbus.protocol.HttpResponse;
import dev.nimbus.protocol.model.Member;
import dev.nimbus.protocol.model.Operation;
import dev.nimbus.protocol.model.ServiceModel;
import dev.nimbus.protocol.model.Shape;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;

/**
 * rest-xml (S3): the {@link RestCodec} bindings with an XML document body, read by
 * {@link XmlReader} and written by {@link XmlShapes}. Errors are S3's
 * {@code <Error><Code/><Message/>...<RequestId/><HostId/></Error>}, with no body at all where HTTP
 * forbids one.
 */
public final class RestXmlCodec extends RestCodec {
    private static final String XML = "application/xml";

    /**
     * Root elements of S3's output documents. The botocore model lost the Smithy model's xmlName
     * traits on output structures, so the names the S3 API reference shows are kept here; an
     * output not listed is written under its shape's name.
     */
    private static final Map<String, String> ROOT_NAMES = Map.ofEntries(
            Map.entry("ListObjectsOutput", "ListBucketResult"),
            Map.entry("ListObjectsV2Output", "ListBucketResult"),
            Map.entry("ListObjectVersionsOutput", "ListVersionsResult"),
            Map.entry("ListBucketsOutput", "ListAllMyBucketsResult"),
            Map.entry("ListDirectoryBucketsOutput", "ListAllMyDirectoryBucketsResult"),
            Map.entry("ListMultipartUploadsOutput", "ListMultipartUploadsResult"),
            Map.entry("ListPartsOutput", "ListPartsResult"),
            Map.entry("CreateMultipartUploadOutput", "InitiateMultipartUploadResult"),
            Map.entry("CompleteMultipartUploadOutput", "CompleteMultipartUploadResult"),
            Map.entry("DeleteObjectsOutput", "DeleteResult"),
            Map.entry("GetBucketLocationOutput", "LocationConstraint"),
            Map.entry("GetBucketTaggingOutput", "Tagging"),
            Map.entry("GetObjectTaggingOutput", "Tagging"),
            Map.entry("GetBucketAclOutput", "AccessControlPolicy"),
            Map.entry("GetObjectAclOutput", "AccessControlPolicy"),
            Map.entry("GetBucketCorsOutput", "CORSConfiguration"),
            Map.entry("GetBucketLifecycleOutput", "LifecycleConfiguration"),
            Map.entry("GetBucketLifecycleConfigurationOutput", "LifecycleConfiguration"),
            Map.entry("GetBucketLoggingOutput", "BucketLoggingStatus"),
            Map.entry("GetBucketVersioningOutput", "VersioningConfiguration"),
            Map.entry("GetBucketWebsiteOutput", "WebsiteConfiguration"),
            Map.entry("GetBucketRequestPaymentOutput", "RequestPaymentConfiguration"),
            Map.entry("GetBucketAccelerateConfigurationOutput", "AccelerateConfiguration"),
            Map.entry("NotificationConfigurationDeprecated", "NotificationConfiguration"),
            Map.entry("ListBucketAnalyticsConfigurationsOutput", "ListBucketAnalyticsConfigurationResult"),
            Map.entry("ListBucketInventoryConfigurationsOutput", "ListInventoryConfigurationsResult"),
            Map.entry("ListBucketMetricsConfigurationsOutput", "ListMetricsConfigurationsResult"),
            Map.entry("GetObjectAttributesOutput", "GetObjectAttributesResponse"),
            Map.entry("CreateSessionOutput", "CreateSessionResult"));

    @Override
    public ObjectNode read(HttpRequest request, Operation op, Map<String, String> labels) {
        ObjectNode input = super.read(request, op, labels);
        Member payload = op.input == null ? null : payloadMember(op.input);
        if (payload != null && op.input.required.contains(payload.name) && !input.has(payload.name)) {
            throw new AwsException("MissingRequestBodyError", "Request Body is empty", 400);
        }
        return input;
    }

    @Override
    protected void readBody(byte[] body, Shape shape, ObjectNode into) {
        JsonNode doc = XmlReader.read(body, shape, null);
        doc.fields().forEachRemaining(e -> into.set(e.getKey(), e.getValue()));
    }

    @Override
    protected JsonNode readPayloadDocument(byte[] body, Member payload) {
        return XmlReader.read(body, payload.shape, payload);
    }

    @Override
    protected void writeBody(HttpResponse res, Operation op, Shape shape, JsonNode output) {
        String root = shape.locationName != null ? shape.locationName : ROOT_NAMES.getOrDefault(shape.name, shape.name);
        XmlWriter w = new XmlWriter().declaration().millisTimestamps();
        Member only = soleBodyMember(shape);
        if (only != null && only.shape.isScalar() && only.wireName().equals(root)) {
            // S3's GetBucketLocation: the root element is the member itself, <LocationConstraint>eu-west-1</LocationConstraint>.
            JsonNode v = output.get(only.name);
            w.open(root, "xmlns", namespace(op.service));
            if (v != null && !v.isNull()) w.text(XmlShapes.scalar(v, only.shape, only, true));
            w.close(root);
        } else {
            w.open(root, "xmlns", namespace(op.service));
            XmlShapes.members(w, output, shape);
            w.close(root);
        }
        body(res, w);
    }

    @Override
    protected void writePayloadDocument(HttpResponse res, Operation op, Member payload, JsonNode value) {
        if (value == null) return;
        String root = payload.locationName != null ? payload.locationName : payload.shape.locationName != null ? payload.shape.locationName : payload.name;
        XmlWriter w = new XmlWriter().declaration().millisTimestamps();
        String ns = payload.xmlNamespace != null ? payload.xmlNamespace : payload.shape.xmlNamespace != null ? payload.shape.xmlNamespace : namespace(op.service);
        w.open(root, "xmlns", ns);
        XmlShapes.members(w, value, payload.shape);
        w.close(root);
        body(res, w);
    }

    private static void body(HttpResponse res, XmlWriter w) {
        res.body(res.header("Content-Type") == null ? XML : null, w.toBytes());
    }

    private static Member soleBodyMember(Shape shape) {
        Member only = null;
        for (Member m : shape.members.values()) {
            if (m.location != null) continue;
            if (only != null) return null;
            only = m;
        }
        return only;
    }

    /** S3's models carry no service-wide namespace; its documents use http://s3.amazonaws.com/doc/2006-03-01/. */
    private static String namespace(ServiceModel model) {
        return model.xmlNamespace != null ? model.xmlNamespace : "http://" + model.endpointPrefix + ".amazonaws.com/doc/" + model.apiVersion + "/";
    }

    @Override
    protected AwsException badValue(String where, String text, Shape shape) {
        return new AwsException("InvalidArgument", "Invalid value '" + text + "' for " + where + ": expected a " + shape.type, 400);
    }

    @Override
    public void writeError(HttpResponse res, AwsException e, ServiceModel model, String requestId) {
        res.status = e.status();
        String hostId = hostId(requestId);
        res.header("x-amz-id-2", hostId);
        e.headers().forEach(res::header);
        // 304 Not Modified and 1xx/204 must not carry a body (conditional GETs answer NotModified).
        if (e.status() == 304 || e.status() == 204) return;
        XmlWriter w = new XmlWriter().declaration()
                .open("Error")
                .element("Code", e.code())
                .element("Message", e.getMessage());
        for (Map.Entry<String, String> f : e.fields().entrySet()) w.element(f.getKey(), f.getValue());
        w.element("RequestId", requestId).element("HostId", hostId).close("Error");
        res.body(XML, w.toBytes());
    }

    @Override
    public void write(HttpResponse res, Operation op, JsonNode output, String requestId) {
        res.header("x-amz-id-2", hostId(requestId));
        super.write(res, op, output, requestId);
    }

    /** S3's extended request id (x-amz-id-2, HostId): opaque; derived from the request id so the two stay paired in logs. */
    private static String hostId(String requestId) {
        return Base64.getEncoder().encodeToString(requestId.getBytes(StandardCharsets.US_ASCII));
    }

    @Override
    public AwsException validationError(String message) {
        // S3 has no ValidationException; a parameter it cannot accept is an InvalidArgument.
        return new AwsException("InvalidArgument", message, 400);
    }

    @Override
    public AwsException unknownOperation(ServiceModel model, String name) {
        // The router names an unmatched request "METHOD /path".
        int space = name == null ? -1 : name.indexOf(' ');
        AwsException e = new AwsException("MethodNotAllowed", "The specified method is not allowed against this resource.", 405);
        return space > 0 ? e.with("Method", name.substring(0, space)) : e;
    }
}
