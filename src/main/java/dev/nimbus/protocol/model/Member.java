package dev.nimbus.protocol.model;

/** A member of a structure, the element of a list, or the key/value of a map. */
public final class Member {
    public final String name;
    public Shape shape;
    /** uri, querystring, header, headers, statusCode, or null for the body */
    public String location;
    /** wire name for its location (header name, query key, XML element, label name) */
    public String locationName;
    /** query protocol override of the key name (ec2-style), or null */
    public String queryName;
    public boolean flattened, xmlAttribute, idempotencyToken, hostLabel, jsonValue, streaming;
    public String xmlNamespace;
    /** prefix the namespace is declared with (S3's Grantee: xsi), or null for the default namespace */
    public String xmlPrefix;
    public String timestampFormat;

    Member(String name) {
        this.name = name;
    }

    /** Name on the wire where no location-specific rule applies. */
    public String wireName() {
        return locationName != null ? locationName : name;
    }

    public boolean inBody() {
        return location == null;
    }

    @Override
    public String toString() {
        return name + "->" + shape;
    }
}
