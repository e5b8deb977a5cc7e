package dev.nimbus.protocol.model;

import java.util.List;

/** One operation of a service model. */
public final class Operation {
    public final String name;
    public final ServiceModel service;
    public String method = "POST";
    public String requestUri = "/";
    public Shape input, output;
    /** query protocol: element wrapping the output (e.g. GetCallerIdentityResult) */
    public String resultWrapper;
    public int responseCode = 200;
    public List<Shape> errors = List.of();
    public boolean authNone;
    /** superseded by another operation on the same wire route (S3's GetBucketLifecycle): routing prefers the successor */
    public boolean deprecated;
    /** compiled requestUri, for rest protocols */
    public UriTemplate uri;

    Operation(String name, ServiceModel service) {
        this.name = name;
        this.service = service;
    }

    /** "sts.GetCallerIdentity": how errors and logs name an operation. */
    public String fullName() {
        return service.name + "." + name;
    }

    @Override
    public String toString() {
        return fullName();
    }
}
