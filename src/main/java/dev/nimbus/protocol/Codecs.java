package dev.nimbus.protocol;

import dev.nimbus.protocol.codec.CborCodec;
import dev.nimbus.protocol.codec.Codec;
import dev.nimbus.protocol.codec.JsonCodec;
import dev.nimbus.protocol.codec.QueryCodec;
import dev.nimbus.protocol.codec.RestJsonCodec;
import dev.nimbus.protocol.codec.RestXmlCodec;
import dev.nimbus.protocol.model.ServiceModel;
import java.util.HashMap;
import java.util.Map;

/** One codec per protocol family; stateless, shared by all requests. */
public final class Codecs {
    private final Codec json10 = new JsonCodec("1.0");
    private final Codec json11 = new JsonCodec("1.1");
    private final Map<String, Codec> byProtocol = new HashMap<>();

    public Codecs() {
        byProtocol.put("query", new QueryCodec());
        byProtocol.put("smithy-rpc-v2-cbor", new CborCodec());
        byProtocol.put("rest-json", new RestJsonCodec());
        byProtocol.put("rest-xml", new RestXmlCodec());
    }

    /** Codec for a protocol name as the models spell it (json, rest-json, rest-xml, query, smithy-rpc-v2-cbor). */
    public Codec forProtocol(String protocol, ServiceModel model) {
        if (protocol.equals("json")) return json(null, model);
        Codec c = byProtocol.get(protocol);
        if (c == null) throw new AwsException("NotImplemented", "Nimbus does not speak the " + protocol + " protocol yet", 501, false);
        return c;
    }

    /** awsJson codec for the version the client sent, else the one the model declares. */
    public Codec json(String version, ServiceModel model) {
        if (version == null) version = model.jsonVersion;
        return "1.1".equals(version) ? json11 : json10;
    }
}
