package dev.nimbus.services.sns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.Values;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FilterPolicyTest {
    static final String BODY = "{\"store\":\"example_corp\",\"price\":210.75,\"interests\":[\"soccer\",\"rugby\"],\"flag\":true,"
            + "\"customer\":{\"name\":\"auto-ann\",\"tier\":3},\"lines\":[{\"sku\":\"A-1\"},{\"sku\":\"B-2\"}],\"nothing\":null}";

    static boolean body(String policy) throws Exception {
        return FilterPolicy.parse(policy, true).matches(Values.JSON.readTree(BODY));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '~', textBlock = """
            {"store":["example_corp"]} ~ true
            {"store":["other","example_corp"]} ~ true
            {"store":["Example_Corp"]} ~ false
            {"store":[{"equals-ignore-case":"EXAMPLE_corp"}]} ~ true
            {"store":[{"prefix":"exam"}]} ~ true
            {"store":[{"prefix":"corp"}]} ~ false
            {"store":[{"suffix":"_corp"}]} ~ true
            {"store":[{"anything-but":"other"}]} ~ true
            {"store":[{"anything-but":["example_corp","x"]}]} ~ false
            {"store":[{"anything-but":{"prefix":"ex"}}]} ~ false
            {"store":[{"anything-but":{"suffix":"zz"}}]} ~ true
            {"missing":[{"anything-but":"x"}]} ~ false
            {"price":[210.75]} ~ true
            {"price":[210.7500]} ~ true
            {"price":["210.75"]} ~ false
            {"price":[{"numeric":[">",200,"<=",210.75]}]} ~ true
            {"price":[{"numeric":[">",210.75]}]} ~ false
            {"price":[{"numeric":["=",210.75]}]} ~ true
            {"price":[{"numeric":["<",100]}]} ~ false
            {"price":[{"anything-but":[100,200]}]} ~ true
            {"interests":["rugby"]} ~ true
            {"interests":["golf"]} ~ false
            {"interests":[{"prefix":"socc"}]} ~ true
            {"flag":[true]} ~ true
            {"flag":[false]} ~ false
            {"nothing":[null]} ~ true
            {"absent":[null]} ~ true
            {"store":[{"exists":true}]} ~ true
            {"absent":[{"exists":true}]} ~ false
            {"absent":[{"exists":false}]} ~ true
            {"store":[{"exists":false}]} ~ false
            {"customer":{"name":[{"prefix":"auto-"}],"tier":[{"numeric":[">=",3]}]}} ~ true
            {"customer":{"name":[{"prefix":"manual-"}]}} ~ false
            {"lines":{"sku":["B-2"]}} ~ true
            {"lines":{"sku":["C-3"]}} ~ false
            {"store":["example_corp"],"price":[{"numeric":["<",1]}]} ~ false
            {"$or":[{"store":["nope"]},{"price":[{"numeric":[">",200]}]}]} ~ true
            {"$or":[{"store":["nope"]},{"flag":[false]}]} ~ false
            {"store":["example_corp"],"$or":[{"flag":[true]},{"absent":["x"]}]} ~ true
            """)
    void bodyScope(String policy, boolean expected) throws Exception {
        assertEquals(expected, body(policy), policy);
    }

    @Test
    void attributeScopeTypesValues() {
        Map<String, JsonNode> attrs = new LinkedHashMap<>();
        attrs.put("store", Values.object().put("DataType", "String").put("StringValue", "example_corp"));
        attrs.put("price_usd", Values.object().put("DataType", "Number").put("StringValue", "210.75"));
        attrs.put("interests", Values.object().put("DataType", "String.Array").put("StringValue", "[\"soccer\",\"rugby\"]"));
        attrs.put("blob", Values.object().put("DataType", "Binary").put("BinaryValue", "AAE="));
        JsonNode doc = FilterPolicy.attributesDocument(attrs);
        assertEquals(true, FilterPolicy.parse("{\"price_usd\":[{\"numeric\":[\">=\",100]}],\"interests\":[\"rugby\"]}", false).matches(doc));
        assertEquals(false, FilterPolicy.parse("{\"price_usd\":[\"210.75\"]}", false).matches(doc), "a Number attribute matches numbers only");
        assertEquals(false, FilterPolicy.parse("{\"blob\":[{\"exists\":true}]}", false).matches(doc), "binary attributes are not matched");
        assertEquals(true, FilterPolicy.parse("{\"store\":[{\"anything-but\":[\"other\"]}]}", false).matches(doc));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '~', textBlock = """
            {"key":[["value"]]} ~ Match value must be String, number, true, false, or null
            {"key":[{"wrong-operator":true}]} ~ Unrecognized match type wrong-operator
            {"key":[{"suffix":"value","prefix":"value2"}]} ~ Only one key allowed in match expression
            {"key":[{"suffix":100}]} ~ suffix match pattern must be a string
            {"key":[{"suffix":null}]} ~ suffix match pattern must be a string
            {"key":{"suffix":"value"}} ~ "suffix" must be an object or an array
            {"key":[{"numeric":[]}]} ~ Invalid member in numeric match: ]
            {"key":[{"numeric":["operator"]}]} ~ Unrecognized numeric range operator: operator
            {"key":[{"numeric":[1,"<="]}]} ~ Invalid member in numeric match: 1
            {"key":[{"numeric":["=","000"]}]} ~ Value of equals must be numeric
            {"key":[{"numeric":[">="]}]} ~ Value of >= must be numeric
            {"key":[{"numeric":["<",100,">",10]}]} ~ Too many elements in numeric expression
            {"key":[{"numeric":[">=",1,">",2]}]} ~ Bad numeric range operator: >
            {"key":[{"numeric":[">",3,"<",1]}]} ~ Bottom must be less than top
            {"key":[{"numeric":[">",20,"<="]}]} ~ Value of <= must be numeric
            {"key":[{"numeric":[">",20,30]}]} ~ Bad value in numeric range: 30
            {"key":[{"numeric":[">",20,"test"]}]} ~ Bad numeric range operator: test
            {"key":[{"numeric":[">","20","<","30"]}]} ~ Value of > must be numeric
            {"key":[{"numeric":[">",20,"<",30,"<",50]}]} ~ Too many terms in numeric range expression
            {"key":[{"exists":null}]} ~ exists match pattern must be either true or false.
            {"key":[{"exists":"no"}]} ~ exists match pattern must be either true or false.
            {"a":["1"],"b":["1"],"c":["1"],"d":["1"],"e":["1"],"f":["1"]} ~ Filter policy can not have more than 5 keys
            {"a":["1","2","3","4","5","6"],"b":["1","2","3","4","5"],"c":["1","2","3","4","5","6"]} ~ Filter policy is too complex
            """)
    void invalidPoliciesAreRefusedWithAwsReasons(String policy, String reason) {
        assertEquals(reason, assertThrows(FilterPolicy.InvalidException.class, () -> FilterPolicy.parse(policy, true)).getMessage());
    }

    @Test
    void attributeScopeRefusesNesting() {
        assertEquals("Filter policy scope MessageAttributes does not support nested filter policy",
                assertThrows(FilterPolicy.InvalidException.class, () -> FilterPolicy.parse("{\"a\":{\"b\":[\"c\"]}}", false)).getMessage());
    }
}
