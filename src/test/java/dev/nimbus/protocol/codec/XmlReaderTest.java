package dev.nimbus.protocol.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.model.ServiceModel;
import dev.nimbus.protocol.model.Shape;
import dev.nimbus.protocol.model.TestModels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class XmlReaderTest {
    static final ServiceModel S3 = ServiceModel.load("s3");
    static final String NS = "http://s3.amazonaws.com/doc/2006-03-01/";

    static JsonNode read(String xml, Shape shape) {
        return XmlReader.read(xml.getBytes(StandardCharsets.UTF_8), shape, null);
    }

    static void assertMalformed(String xml, Shape shape) {
        AwsException e = assertThrows(AwsException.class, () -> read(xml, shape), xml);
        assertEquals("MalformedXML", e.code());
        assertEquals(400, e.status());
    }

    @Test
    void flattenedListEntitiesCdataAndUnknownElements() {
        JsonNode delete = read("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Delete xmlns=\"" + NS + "\">\n"
                + "  <Object><Key>a&amp;b &lt;c&gt; &#233;</Key></Object>\n"
                + "  <!-- a comment -->\n"
                + "  <Object><Key><![CDATA[x<y]]></Key><VersionId>v1</VersionId><Surprise><Deeper>z</Deeper></Surprise></Object>\n"
                + "  <Quiet>true</Quiet>\n"
                + "</Delete>", S3.shapes.get("Delete"));
        assertEquals("{\"Objects\":[{\"Key\":\"a&b <c> \u00e9\"},{\"Key\":\"x<y\",\"VersionId\":\"v1\"}],\"Quiet\":true}", delete.toString());
    }

    @Test
    void prefixedNamespacesAreMatchedByLocalName() {
        JsonNode delete = read("<s3:Delete xmlns:s3=\"" + NS + "\"><s3:Object><s3:Key>k</s3:Key></s3:Object></s3:Delete>", S3.shapes.get("Delete"));
        assertEquals("{\"Objects\":[{\"Key\":\"k\"}]}", delete.toString());
    }

    @Test
    void wrappedListsAndXmlAttributes() {
        JsonNode acl = read("<AccessControlPolicy xmlns=\"" + NS + "\"><Owner><ID>o</ID></Owner><AccessControlList>"
                + "<Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"Group\"><URI>http://acs/all</URI></Grantee>"
                + "<Permission>READ</Permission></Grant>"
                + "<Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"CanonicalUser\"><ID>u</ID></Grantee>"
                + "<Permission>WRITE</Permission></Grant>"
                + "</AccessControlList></AccessControlPolicy>", S3.shapes.get("AccessControlPolicy"));
        assertEquals("{\"Owner\":{\"ID\":\"o\"},\"Grants\":[{\"Grantee\":{\"Type\":\"Group\",\"URI\":\"http://acs/all\"},\"Permission\":\"READ\"},"
                + "{\"Grantee\":{\"Type\":\"CanonicalUser\",\"ID\":\"u\"},\"Permission\":\"WRITE\"}]}", acl.toString());
        assertEquals("[]", read("<Tagging><TagSet/></Tagging>", S3.shapes.get("Tagging")).get("TagSet").toString());
    }

    @Test
    void scalarsByType() throws Exception {
        ServiceModel m = TestModels.parse("t", "{'metadata':{'protocol':'rest-xml'},'operations':{},'shapes':{"
                + "'S':{'type':'structure','members':{'I':{'shape':'Int'},'L':{'shape':'Long'},'D':{'shape':'Dbl'},'B':{'shape':'Bool'},"
                + "'T':{'shape':'Time'},'Bin':{'shape':'Blob'}}},"
                + "'Int':{'type':'integer'},'Long':{'type':'long'},'Dbl':{'type':'double'},'Bool':{'type':'boolean'},'Time':{'type':'timestamp'},"
                + "'Blob':{'type':'blob'}}}");
        JsonNode v = read("<S><I> 42 </I><L>9000000000</L><D>1.5</D><B>false</B><T>2024-01-02T03:04:05.500Z</T><Bin>aGk=</Bin></S>", m.shapes.get("S"));
        assertEquals(42, v.get("I").intValue());
        assertEquals(9_000_000_000L, v.get("L").longValue());
        assertEquals(1.5, v.get("D").doubleValue());
        assertFalse(v.get("B").booleanValue());
        assertEquals(1704164645.5, v.get("T").doubleValue());
        assertEquals("hi", new String(v.get("Bin").binaryValue(), StandardCharsets.UTF_8));
        assertMalformed("<S><I>forty</I></S>", m.shapes.get("S"));
        assertMalformed("<S><B>yes</B></S>", m.shapes.get("S"));
        assertMalformed("<S><T>yesterday</T></S>", m.shapes.get("S"));
    }

    @Test
    void wrappedAndFlattenedMaps() {
        ServiceModel m = TestModels.parse("t", "{'metadata':{'protocol':'rest-xml'},'operations':{},'shapes':{"
                + "'S':{'type':'structure','members':{'Wrapped':{'shape':'M'},'Flat':{'shape':'M','flattened':true},"
                + "'Named':{'shape':'N','locationName':'Attrs'}}},"
                + "'M':{'type':'map','key':{'shape':'Str'},'value':{'shape':'Str'}},"
                + "'N':{'type':'map','key':{'shape':'Str','locationName':'Name'},'value':{'shape':'Int','locationName':'Count'}},"
                + "'Str':{'type':'string'},'Int':{'type':'integer'}}}");
        JsonNode v = read("<S><Wrapped><entry><key>a</key><value>1</value></entry><entry><key>b</key><value>2</value></entry></Wrapped>"
                + "<Flat><key>x</key><value>9</value></Flat><Flat><key>y</key><value>8</value></Flat>"
                + "<Attrs><entry><Name>n</Name><Count>3</Count></entry></Attrs></S>", m.shapes.get("S"));
        assertEquals("{\"Wrapped\":{\"a\":\"1\",\"b\":\"2\"},\"Flat\":{\"x\":\"9\",\"y\":\"8\"},\"Named\":{\"n\":3}}", v.toString());
        assertMalformed("<S><Wrapped><entry><value>1</value></entry></Wrapped></S>", m.shapes.get("S"));
    }

    @Test
    void malformedDocuments() {
        Shape delete = S3.shapes.get("Delete");
        assertMalformed("", delete);
        assertMalformed("not xml at all", delete);
        assertMalformed("<Delete><Object><Key>a</Key></Delete>", delete);
        assertMalformed("<Delete><Object><Key>a</Key></Object></Delete><Delete/>", delete);
        assertMalformed("<Delete><Object><Key>a<b/></Key></Object></Delete>", delete);
        assertMalformed("<Delete>stray text<Object><Key>a</Key></Object></Delete>", delete);
        assertMalformed("<Delete><Object><Key>&nbsp;</Key></Object></Delete>", delete);
    }

    @Test
    void entitiesAreNeverResolved(@TempDir Path dir) throws Exception {
        Shape delete = S3.shapes.get("Delete");
        Path secret = Files.writeString(dir.resolve("secret.txt"), "TOP-SECRET");
        Path dtd = Files.writeString(dir.resolve("evil.dtd"), "<!ENTITY leak SYSTEM \"" + secret.toUri() + "\">");
        // external entity
        assertMalformed("<?xml version=\"1.0\"?><!DOCTYPE Delete [<!ENTITY xxe SYSTEM \"" + secret.toUri() + "\">]>"
                + "<Delete><Object><Key>&xxe;</Key></Object></Delete>", delete);
        // external DTD declaring the entity
        assertMalformed("<?xml version=\"1.0\"?><!DOCTYPE Delete SYSTEM \"" + dtd.toUri() + "\"><Delete><Object><Key>&leak;</Key></Object></Delete>", delete);
        // parameter entities
        assertMalformed("<!DOCTYPE Delete [<!ENTITY % p SYSTEM \"" + dtd.toUri() + "\"> %p;]><Delete><Object><Key>&leak;</Key></Object></Delete>", delete);
        // internal entity expansion ("billion laughs")
        StringBuilder bomb = new StringBuilder("<!DOCTYPE Delete [<!ENTITY a \"aaaaaaaaaa\">");
        for (char c = 'b'; c <= 'j'; c++) {
            bomb.append("<!ENTITY ").append(c).append(" \"");
            for (int i = 0; i < 10; i++) bomb.append('&').append((char) (c - 1)).append(';');
            bomb.append("\">");
        }
        assertMalformed(bomb.append("]><Delete><Object><Key>&j;</Key></Object></Delete>").toString(), delete);
        // a DTD alone, even without references, is refused
        assertMalformed("<!DOCTYPE Delete><Delete><Object><Key>k</Key></Object></Delete>", delete);
    }
}
