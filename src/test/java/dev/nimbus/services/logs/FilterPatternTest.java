package dev.nimbus.services.logs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.nimbus.protocol.AwsException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class FilterPatternTest {
    static final String JSON = "{\"level\":\"ERROR\",\"latency\":150,\"user\":{\"id\":7,\"name\":\"ann\",\"admin\":true,\"team\":null},"
            + "\"items\":[{\"sku\":\"A-1\"},{\"sku\":\"B-2\"}],\"flag\":false,\"code\":\"404\"}";
    static final String ACCESS = "127.0.0.1 frank admin [10/Oct/2000:13:55:36 -0700] \"GET /apache_pb.gif HTTP/1.0\" 404 2326";

    static boolean match(String pattern, String message) {
        return FilterPattern.compile(pattern).matches(message);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '~', textBlock = """
            '' ~ anything at all ~ true
            '   ' ~ anything at all ~ true
            ERROR ~ 2024 ERROR disk full ~ true
            ERROR ~ 2024 error disk full ~ false
            ERROR disk ~ 2024 ERROR disk full ~ true
            ERROR memory ~ 2024 ERROR disk full ~ false
            '"disk full"' ~ 2024 ERROR disk full ~ true
            '"full disk"' ~ 2024 ERROR disk full ~ false
            '"ERROR disk" full' ~ 2024 ERROR disk full ~ true
            ?ERROR ?WARN ~ WARN low memory ~ true
            ?ERROR ?WARN ~ INFO all good ~ false
            ERROR -disk ~ 2024 ERROR disk full ~ false
            ERROR -memory ~ 2024 ERROR disk full ~ true
            -DEBUG ~ INFO started ~ true
            -DEBUG ~ DEBUG started ~ false
            ?ERROR ?WARN -test ~ WARN in test run ~ false
            ?"ERROR disk" ?"WARN memory" ~ WARN memory low ~ true
            ?"ERROR disk" ?"WARN memory" ~ WARN disk low ~ false
            ?ERROR disk ?WARN memory ~ ERROR memory ~ false
            ?ERROR disk ?WARN memory ~ WARN low memory ~ true
            %ERR(OR)?\\s\\d+% ~ ERR 42 ~ true
            %ERR(OR)?\\s\\d+% ~ ERROR x ~ false
            Task ~ END RequestId: 1 Task timed out ~ true
            """)
    void terms(String pattern, String message, boolean expected) {
        assertEquals(expected, match(pattern, message), pattern + " on " + message);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '~', textBlock = """
            { $.level = "ERROR" } ~ true
            { $.level = ERROR } ~ true
            { $.level = "error" } ~ false
            { $.level != "ERROR" } ~ false
            { $.level = "ERR*" } ~ true
            { $.level = "*RO*" } ~ true
            { $.level = "*X*" } ~ false
            { $.latency > 100 } ~ true
            { $.latency >= 150 } ~ true
            { $.latency < 150 } ~ false
            { $.latency <= 150.0 } ~ true
            { $.latency = 150 } ~ true
            { $.latency != 150 } ~ false
            { $.level = "ERROR" && $.latency > 100 } ~ true
            { $.level = "ERROR" && $.latency > 200 } ~ false
            { $.level = "INFO" || $.latency > 100 } ~ true
            { ($.level = "INFO" || $.level = "ERROR") && $.user.id = 7 } ~ true
            { $.level = "INFO" || ($.latency > 100 && $.user.id = 8) } ~ false
            { $.user.name = "ann" } ~ true
            { $.user.admin IS TRUE } ~ true
            { $.user.admin IS FALSE } ~ false
            { $.flag IS FALSE } ~ true
            { $.user.team IS NULL } ~ true
            { $.user.name IS NULL } ~ false
            { $.missing NOT EXISTS } ~ true
            { $.user.name NOT EXISTS } ~ false
            { $.items[0].sku = "A-1" } ~ true
            { $.items[1].sku = "B-*" } ~ true
            { $.items[2].sku = "C-3" } ~ false
            { $.code = "404" } ~ true
            { $.code > 400 } ~ false
            { $.missing = "x" } ~ false
            { $.user > 3 } ~ false
            """)
    void json(String pattern, boolean expected) {
        assertEquals(expected, match(pattern, JSON), pattern);
    }

    @ParameterizedTest
    @ValueSource(strings = {"ERROR not json", "[1,2,3]", "{\"level\":", "\"ERROR\""})
    void jsonPatternsMatchOnlyJsonObjects(String message) {
        assertEquals(false, match("{ $.level = \"ERROR\" }", message));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '~', textBlock = """
            [ip, user, username, timestamp, request, status_code, bytes] ~ true
            [ip, user, username, timestamp, request, status_code] ~ false
            [ip, user, username, timestamp, request, status_code, bytes, extra] ~ false
            [ip, user, username, timestamp, request, status_code = 404, bytes] ~ true
            [ip, user, username, timestamp, request, status_code = 4*, bytes] ~ true
            [ip, user, username, timestamp, request, status_code = 5*, bytes] ~ false
            [ip, user, username, timestamp, request, status_code != 200, bytes > 1000] ~ true
            [ip, user, username, timestamp, request, status_code, bytes > 3000] ~ false
            [ip, ..., status_code = 404, bytes] ~ true
            [..., status_code = 404 || status_code = 410, bytes] ~ true
            [..., status_code = 500 || status_code = 410, bytes] ~ false
            [..., status_code >= 400 && status_code < 500, bytes] ~ true
            [ip = 127.0.0.*, ...] ~ true
            [ip = 10.*, ...] ~ false
            [ip, user = frank, ...] ~ true
            [ip, user, username, timestamp = *Oct*, request = *gif*, ...] ~ true
            [ip, user, username, timestamp, request = "GET /apache_pb.gif HTTP/1.0", ...] ~ true
            [...] ~ true
            [..., bytes] ~ true
            [..., user, ..., bytes = 2326] ~ true
            """)
    void spaceDelimited(String pattern, boolean expected) {
        assertEquals(expected, match(pattern, ACCESS), pattern);
    }

    @ParameterizedTest
    @ValueSource(strings = {"{ level = 1 }", "{ $.level }", "{ $.level = }", "{ $.a > \"x\" }",
            "{ $.a = 1 } }", "{ ($.a = 1 }", "[ip, user", "[ip, , user]", "[ip, bytes >]", "[ip, bytes > abc]", "\"unterminated",
            "?", "-", "{ $.a[x] = 1 }", "%[%"})
    void invalidPatternsAreRefused(String pattern) {
        AwsException e = assertThrows(AwsException.class, () -> FilterPattern.compile(pattern), pattern);
        assertEquals("InvalidParameterException", e.code());
        assertEquals("Invalid filter pattern", e.getMessage());
    }

    @Test
    void anUnclosedJsonPatternSaysSo() {
        AwsException e = assertThrows(AwsException.class, () -> FilterPattern.compile("{ $.level = \"ERROR\""));
        assertEquals("InvalidParameterException", e.code());
        assertEquals("If a filter pattern starts with '{' it must end with '}'", e.getMessage());
    }
}
