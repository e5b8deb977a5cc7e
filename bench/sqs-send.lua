-- wrk script: SQS SendMessage as current SDKs send it (json 1.0, X-Amz-Target, SigV4 header scoped
-- to sqs; neither server verifies signatures). QUEUE_URL comes from the environment (bench/sqs.sh).
wrk.method = "POST"
wrk.path = "/"
wrk.body = '{"QueueUrl":"' .. os.getenv("QUEUE_URL") .. '","MessageBody":"' .. string.rep("m", 200) .. '"}'
wrk.headers["Content-Type"] = "application/x-amz-json-1.0"
wrk.headers["X-Amz-Target"] = "AmazonSQS.SendMessage"
wrk.headers["X-Amz-Date"] = "20250101T000000Z"
wrk.headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250101/us-east-1/sqs/aws4_request, "
  .. "SignedHeaders=content-type;host;x-amz-date, Signature=" .. string.rep("0", 64)
