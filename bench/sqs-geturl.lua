-- wrk script for bench/sharedpath.py: SQS GetQueueUrl of queue "q" in the JSON protocol, as the SDKs send
-- it (SigV4 scoped to sqs; Nimbus routes on the scope and does not verify signatures). A cheap operation,
-- so the shared path (HTTP, routing, codecs) is most of what it costs.
wrk.method = "POST"
wrk.path = "/"
wrk.body = '{"QueueName":"q"}'
wrk.headers["Content-Type"] = "application/x-amz-json-1.0"
wrk.headers["X-Amz-Target"] = "AmazonSQS.GetQueueUrl"
wrk.headers["X-Amz-Date"] = "20250101T000000Z"
wrk.headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250101/us-east-1/sqs/aws4_request, "
  .. "SignedHeaders=content-type;host;x-amz-date, Signature=" .. string.rep("0", 64)
