-- wrk script: SNS Publish as the AWS CLI sends it (query protocol, form body, SigV4 header scoped to
-- sns; Nimbus does not verify signatures): a small JSON event with one String message attribute.
-- TOPIC_ARN comes from the environment (bench/SnsBench.java).
local function enc(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end
wrk.method = "POST"
wrk.path = "/"
wrk.body = "Action=Publish&TopicArn=" .. enc(os.getenv("TOPIC_ARN"))
  .. "&Message=" .. enc('{"order":12345,"status":"shipped","note":"a typical small event"}')
  .. "&MessageAttributes.entry.1.Name=kind&MessageAttributes.entry.1.Value.DataType=String"
  .. "&MessageAttributes.entry.1.Value.StringValue=order"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
wrk.headers["X-Amz-Date"] = "20250101T000000Z"
wrk.headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250101/us-east-1/sns/aws4_request, "
  .. "SignedHeaders=content-type;host;x-amz-date, Signature=" .. string.rep("0", 64)
