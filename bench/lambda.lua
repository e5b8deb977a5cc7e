-- wrk script for bench/lambda.py: a synchronous Lambda Invoke as the SDKs send it (rest-json POST to
-- /2015-03-31/functions/NAME/invocations, the path given in wrk's URL, SigV4 Authorization scoped to
-- lambda; Nimbus routes on the scope and does not verify signatures). No response() hook, to keep
-- the client light on the cores it shares with the server; wrk counts non-2xx answers itself.
wrk.method = "POST"
wrk.body = '{"name":"bench"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Amz-Date"] = "20250101T000000Z"
wrk.headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250101/us-east-1/lambda/aws4_request, "
  .. "SignedHeaders=content-type;host;x-amz-date, Signature=" .. string.rep("0", 64)
