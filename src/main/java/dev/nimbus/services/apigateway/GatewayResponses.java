package dev.nimbus.services.apigateway;

import dev.nimbus.protocol.HttpResponse;
import java.util.Map;

/** REST APIs' own answers when a request does not reach an integration's response, as AWS's gateway responses write them by default. */
final class GatewayResponses {
    private record Default(int status, String errorType, String body) {}

    private static final Map<String, Default> DEFAULTS = Map.ofEntries(
            Map.entry("MISSING_AUTHENTICATION_TOKEN", message(403, "MissingAuthenticationTokenException", "Missing Authentication Token")),
            Map.entry("FORBIDDEN", message(403, "ForbiddenException", "Forbidden")),
            Map.entry("INVALID_API_KEY", message(403, "ForbiddenException", "Forbidden")),
            Map.entry("ACCESS_DENIED", message(403, "AccessDeniedException", "User is not authorized to access this resource")),
            Map.entry("UNAUTHORIZED", message(401, "UnauthorizedException", "Unauthorized")),
            Map.entry("THROTTLED", message(429, "TooManyRequestsException", "Too Many Requests")),
            Map.entry("QUOTA_EXCEEDED", message(429, "LimitExceededException", "Limit Exceeded")),
            Map.entry("REQUEST_TOO_LARGE", message(413, "RequestTooLargeException", "Request Too Long")),
            Map.entry("UNSUPPORTED_MEDIA_TYPE", message(415, "UnsupportedMediaTypeException", "Unsupported Media Type")),
            Map.entry("BAD_REQUEST_BODY", message(400, "BadRequestException", "Invalid request body")),
            Map.entry("BAD_REQUEST_PARAMETERS", message(400, "BadRequestException", "Missing required request parameters")),
            Map.entry("INTEGRATION_TIMEOUT", new Default(504, "InternalServerErrorException", "{\"message\": \"Endpoint request timed out\"}")),
            Map.entry("INTEGRATION_FAILURE", new Default(504, "InternalServerErrorException", "{\"message\": \"Internal server error\"}")),
            Map.entry("API_CONFIGURATION_ERROR", new Default(500, "InternalServerErrorException", "{\"message\": \"Internal server error\"}")),
            Map.entry("AUTHORIZER_FAILURE", new Default(500, "AuthorizerConfigurationException", "{\"message\": null}")),
            Map.entry("AUTHORIZER_CONFIGURATION_ERROR", new Default(500, "AuthorizerConfigurationException", "{\"message\": null}")),
            // A Lambda proxy integration whose function failed or answered outside the proxy format.
            Map.entry("LAMBDA_PROXY_ERROR", new Default(502, "InternalServerErrorException", "{\"message\": \"Internal server error\"}")));

    private GatewayResponses() {}

    private static Default message(int status, String errorType, String message) {
        return new Default(status, errorType, "{\"message\":\"" + message + "\"}");
    }

    static HttpResponse of(String type) {
        Default d = DEFAULTS.get(type);
        HttpResponse res = GatewayRequest.message(d.status, d.body);
        return res.header("x-amzn-ErrorType", d.errorType);
    }
}
