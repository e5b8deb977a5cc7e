-- wrk script: STS GetCallerIdentity as the AWS CLI sends it (query protocol, form body, SigV4
-- Authorization header whose credential scope names sts; Nimbus routes on the scope and does not
-- verify signatures). No response() hook: wrk counts non-2xx answers itself, and a Lua hook per
-- response would make the client heavier on the cores it shares with the server.
wrk.method = "POST"
wrk.path = "/"
wrk.body = "Action=GetCallerIdentity&Version=2011-06-15"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
wrk.headers["X-Amz-Date"] = "20250101T000000Z"
wrk.headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250101/us-east-1/sts/aws4_request, "
  .. "SignedHeaders=content-type;host;x-amz-date, Signature=" .. string.rep("0", 64)
