-- wrk script for bench/sharedpath.py: an S3 GetObject (path style, the object's path given in wrk's URL)
-- as the SDKs send it, unsigned payload, SigV4 scoped to s3.
wrk.method = "GET"
wrk.headers["X-Amz-Date"] = "20250101T000000Z"
wrk.headers["X-Amz-Content-Sha256"] = "UNSIGNED-PAYLOAD"
wrk.headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250101/us-east-1/s3/aws4_request, "
  .. "SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=" .. string.rep("0", 64)
