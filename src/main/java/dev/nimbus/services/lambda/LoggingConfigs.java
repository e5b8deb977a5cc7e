package dev.nimbus.services.lambda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.Values;
import java.util.List;
import java.util.Map;

/**
 * A function's LoggingConfig: LogFormat Text or JSON, where its logs go (LogGroup, by default
 * /aws/lambda/NAME), and with JSON the application and system log levels (INFO unless set). The
 * runtime learns the format and application level from AWS_LAMBDA_LOG_FORMAT and
 * AWS_LAMBDA_LOG_LEVEL, as Lambda's runtimes do; platform records below the system level are not
 * written.
 */
final class LoggingConfigs {
    private LoggingConfigs() {}

    /** The configuration after a Create or Update: {@code current} (null on create) with what {@code given} sets. */
    static ObjectNode apply(JsonNode given, JsonNode current, String function) {
        ObjectNode config = current != null && current.isObject() ? (ObjectNode) current.deepCopy()
                : Values.object().put("LogFormat", "Text").put("LogGroup", "/aws/lambda/" + function);
        for (String m : List.of("LogFormat", "ApplicationLogLevel", "SystemLogLevel", "LogGroup")) {
            if (given.hasNonNull(m)) config.put(m, given.get(m).asText());
        }
        if (config.get("LogFormat").asText().equals("JSON")) {
            if (!config.has("ApplicationLogLevel")) config.put("ApplicationLogLevel", "INFO");
            if (!config.has("SystemLogLevel")) config.put("SystemLogLevel", "INFO");
        } else { // levels apply to JSON logs only
            config.remove("ApplicationLogLevel");
            config.remove("SystemLogLevel");
        }
        return config;
    }

    /** The log group of a function's configuration. */
    static String group(JsonNode configuration) {
        return configuration.path("LoggingConfig").path("LogGroup").asText("/aws/lambda/" + configuration.get("FunctionName").asText());
    }

    /** The variables that tell the runtime where and how to log. */
    static void environment(JsonNode configuration, Map<String, String> env) {
        env.put("AWS_LAMBDA_LOG_GROUP_NAME", group(configuration));
        JsonNode logging = configuration.path("LoggingConfig");
        if (logging.path("LogFormat").asText("Text").equals("JSON")) {
            env.put("AWS_LAMBDA_LOG_FORMAT", "JSON");
            env.put("AWS_LAMBDA_LOG_LEVEL", logging.path("ApplicationLogLevel").asText("INFO"));
        }
    }

    /**
     * Whether a log line is written: the platform's JSON records (platform.start, platform.report,
     * at INFO) are dropped under a system log level of WARN.
     */
    static boolean written(JsonNode configuration, String line) {
        return !(line.startsWith("{\"time\":") && line.contains("\"type\":\"platform.")
                && configuration.path("LoggingConfig").path("SystemLogLevel").asText("INFO").equals("WARN"));
    }

    /** An invocation's log as the function's log levels let it be seen (LogType Tail). */
    static String visible(JsonNode configuration, String log) {
        if (log == null || !configuration.path("LoggingConfig").path("SystemLogLevel").asText("INFO").equals("WARN")) return log;
        StringBuilder kept = new StringBuilder();
        log.lines().filter(line -> written(configuration, line)).forEach(line -> kept.append(line).append('\n'));
        return kept.toString();
    }
}
