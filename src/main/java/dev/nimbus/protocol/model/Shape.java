package dev.nimbus.protocol.model;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** One shape of an AWS API model (botocore JSON form), resolved so members point at shapes. */
public final class Shape {
    public final String name;
    /** structure, list, map, string, integer, long, float, double, boolean, timestamp, blob, ... */
    public final String type;
    public final Map<String, Member> members = new LinkedHashMap<>();
    public Set<String> required = Set.of();
    /** list element, or null */
    public Member member;
    /** map key and value, or null */
    public Member key, value;
    public Set<String> enumValues;
    public Double min, max;
    public Pattern pattern;
    public String patternText;
    public boolean streaming, flattened, exception, document, union, sensitive, eventstream;
    public String timestampFormat;
    /** structure member sent as the whole HTTP body in rest protocols */
    public String payload;
    /** list/map element names for XML, when given on the shape itself */
    public String locationName;
    public String xmlNamespace;
    /** prefix the namespace is declared with (S3's Grantee: xsi), or null for the default namespace */
    public String xmlPrefix;
    /** error shapes: HTTP status, wire code (awsQueryError code), sender or receiver fault */
    public int errorStatus = 400;
    public String errorCode;
    public boolean senderFault = true;

    Shape(String name, String type) {
        this.name = name;
        this.type = type;
    }

    public boolean isStructure() {
        return "structure".equals(type);
    }

    public boolean isList() {
        return "list".equals(type);
    }

    public boolean isMap() {
        return "map".equals(type);
    }

    public boolean isScalar() {
        return !isStructure() && !isList() && !isMap();
    }

    public List<Member> memberList() {
        return List.copyOf(members.values());
    }

    @Override
    public String toString() {
        return name + ":" + type;
    }
}
