package dev.nimbus.services.dynamodb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.Values;
import dev.nimbus.testing.TestServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.lambda.model.Runtime;

/** Functions using DynamoDB as the tutorials write them: boto3 in Python, @aws-sdk/lib-dynamodb in Node.js. */
class DynamoDbLambdaTest {
    static final String ROLE = "arn:aws:iam::000000000000:role/lambda-role";
    static TestServer nimbus;
    static LambdaClient lambda;
    static DynamoDbClient ddb;

    @BeforeAll
    static void start() {
        nimbus = TestServer.start();
        lambda = nimbus.client(LambdaClient.builder());
        ddb = nimbus.client(DynamoDbClient.builder());
    }

    @AfterAll
    static void stop() {
        ddb.close();
        lambda.close();
        nimbus.close();
    }

    static void table(String name) {
        ddb.createTable(r -> r.tableName(name).billingMode(BillingMode.PAY_PER_REQUEST)
                .attributeDefinitions(a -> a.attributeName("id").attributeType(ScalarAttributeType.S))
                .keySchema(k -> k.attributeName("id").keyType(KeyType.HASH)));
    }

    static boolean runs(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
            return p.waitFor(300, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    static JsonNode invoke(String name, String payload) throws IOException {
        InvokeResponse r = lambda.invoke(b -> b.functionName(name).payload(SdkBytes.fromUtf8String(payload)));
        assertNull(r.functionError(), r.payload().asUtf8String());
        return Values.JSON.readTree(r.payload().asByteArray());
    }

    @Test
    void boto3FunctionLogsUploadsToATable() throws IOException {
        assumeTrue(runs("python3", "-c", "import boto3"), "boto3 is not importable by the python3 on the PATH");
        table("uploads");
        lambda.createFunction(b -> b.functionName("log-uploads").role(ROLE).runtime(Runtime.PYTHON3_12).handler("app.handler").timeout(30)
                .environment(e -> e.variables(Map.of("TABLE", "uploads")))
                .code(c -> c.zipFile(SdkBytes.fromByteArray(zip(Map.of("app.py", """
                        import os
                        import boto3

                        table = boto3.resource("dynamodb").Table(os.environ["TABLE"])

                        def handler(event, context):
                            for record in event["Records"]:
                                s3 = record["s3"]
                                table.put_item(Item={"id": s3["object"]["key"], "bucket": s3["bucket"]["name"], "size": s3["object"]["size"]})
                            return table.get_item(Key={"id": event["Records"][0]["s3"]["object"]["key"]})["Item"]["bucket"]
                        """))))));
        JsonNode out = invoke("log-uploads", """
                {"Records":[{"s3":{"bucket":{"name":"photos"},"object":{"key":"cat.jpg","size":1024}}},
                            {"s3":{"bucket":{"name":"photos"},"object":{"key":"dog.jpg","size":2048}}}]}""");
        assertEquals("photos", out.asText());
        Map<String, AttributeValue> item = ddb.getItem(r -> r.tableName("uploads").key(Map.of("id", AttributeValue.fromS("dog.jpg")))).item();
        assertEquals("2048", item.get("size").n());
    }

    /** The serverless CRUD API tutorial's handler, on an API Gateway HTTP API event (routeKey). */
    static final String CRUD = """
            import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
            import { DynamoDBDocumentClient, ScanCommand, PutCommand, GetCommand, DeleteCommand } from "@aws-sdk/lib-dynamodb";

            const docs = DynamoDBDocumentClient.from(new DynamoDBClient({}));
            const TableName = "http-crud-items";

            export const handler = async (event) => {
              let body;
              let statusCode = 200;
              try {
                switch (event.routeKey) {
                  case "DELETE /items/{id}":
                    await docs.send(new DeleteCommand({ TableName, Key: { id: event.pathParameters.id } }));
                    body = `Deleted item ${event.pathParameters.id}`;
                    break;
                  case "GET /items/{id}":
                    body = (await docs.send(new GetCommand({ TableName, Key: { id: event.pathParameters.id } }))).Item;
                    break;
                  case "GET /items":
                    body = (await docs.send(new ScanCommand({ TableName }))).Items;
                    break;
                  case "PUT /items": {
                    const item = JSON.parse(event.body);
                    await docs.send(new PutCommand({ TableName, Item: { id: item.id, price: item.price, name: item.name } }));
                    body = `Put item ${item.id}`;
                    break;
                  }
                  default:
                    throw new Error(`Unsupported route: "${event.routeKey}"`);
                }
              } catch (err) {
                statusCode = 400;
                body = err.message;
              }
              return { statusCode, body: JSON.stringify(body), headers: { "Content-Type": "application/json" } };
            };
            """;

    @Test
    void nodeCrudHandlerWithLibDynamodb() throws IOException {
        assumeTrue(runs("node", "--version"), "node is not installed");
        Path dir = Files.createTempDirectory("nimbus-node-crud-");
        Files.writeString(dir.resolve("package.json"), "{\"name\":\"crud\",\"version\":\"1.0.0\",\"type\":\"module\"}");
        assumeTrue(runs("npm", "install", "--prefix", dir.toString(), "--no-audit", "--no-fund", "--prefer-offline", "@aws-sdk/client-dynamodb@3", "@aws-sdk/lib-dynamodb@3"),
                "npm install of @aws-sdk/lib-dynamodb failed (offline?)");
        Files.writeString(dir.resolve("index.mjs"), CRUD);
        table("http-crud-items");
        byte[] code = zipDir(dir);
        lambda.createFunction(b -> b.functionName("crud").role(ROLE).runtime(Runtime.NODEJS20_X).handler("index.handler").timeout(30)
                .code(c -> c.zipFile(SdkBytes.fromByteArray(code))));
        assertEquals("\"Put item 1\"", invoke("crud", "{\"routeKey\":\"PUT /items\",\"body\":\"{\\\"id\\\":\\\"1\\\",\\\"price\\\":12.5,\\\"name\\\":\\\"lamp\\\"}\"}").get("body").asText());
        invoke("crud", "{\"routeKey\":\"PUT /items\",\"body\":\"{\\\"id\\\":\\\"2\\\",\\\"price\\\":3,\\\"name\\\":\\\"pen\\\"}\"}");
        JsonNode one = Values.JSON.readTree(invoke("crud", "{\"routeKey\":\"GET /items/{id}\",\"pathParameters\":{\"id\":\"1\"}}").get("body").asText());
        assertEquals(12.5, one.get("price").asDouble());
        assertEquals("lamp", one.get("name").asText());
        JsonNode all = Values.JSON.readTree(invoke("crud", "{\"routeKey\":\"GET /items\"}").get("body").asText());
        assertEquals(2, all.size());
        invoke("crud", "{\"routeKey\":\"DELETE /items/{id}\",\"pathParameters\":{\"id\":\"1\"}}");
        assertEquals(1, Values.JSON.readTree(invoke("crud", "{\"routeKey\":\"GET /items\"}").get("body").asText()).size());
    }

    static byte[] zip(Map<String, String> files) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, String> f : files.entrySet()) {
                zip.putNextEntry(new ZipEntry(f.getKey()));
                zip.write(f.getValue().getBytes(StandardCharsets.UTF_8));
                zip.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static byte[] zipDir(Path dir) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes); Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
                zip.putNextEntry(new ZipEntry(dir.relativize(p).toString()));
                Files.copy(p, zip);
                zip.closeEntry();
            }
        }
        return bytes.toByteArray();
    }
}
