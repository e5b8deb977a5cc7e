package dev.nimbus.services;

import dev.nimbus.protocol.HttpRequest;
import dev.nimbus.protocol.HttpResponse;

/**
 * A service's plain-HTTP entrance beside its API: a Lambda function URL, an API Gateway invoke
 * URL, an S3 website endpoint. The server asks every front door, in registration order, before it
 * treats a request as an AWS API call; each recognises its own requests (by Host or path prefix)
 * and answers them whole, CORS included.
 */
@FunctionalInterface
public interface FrontDoor {
    /** The response, or null when the request is not for this front door (it must then not have read the body). */
    HttpResponse serve(HttpRequest request);
}
