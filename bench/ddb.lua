-- wrk script for bench/dynamodb.py: one DynamoDB operation (env DDB_OP: put, get, query) as the SDKs
-- send it (awsJson 1.0, X-Amz-Target, a SigV4 Authorization header; neither server checks the
-- signature), on random keys so that requests do not repeat. Tables are made by dynamodb.py.
local op = os.getenv("DDB_OP")
local keys = tonumber(os.getenv("DDB_KEYS") or "10000")
local partitions = tonumber(os.getenv("DDB_PARTITIONS") or "1000")
local targets = { put = "PutItem", get = "GetItem", query = "Query" }
wrk.method = "POST"
wrk.path = "/"
wrk.headers["Content-Type"] = "application/x-amz-json-1.0"
wrk.headers["X-Amz-Target"] = "DynamoDB_20120810." .. targets[op]
wrk.headers["X-Amz-Date"] = "20250101T000000Z"
wrk.headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250101/us-east-1/dynamodb/aws4_request, "
  .. "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=" .. string.rep("0", 64)

request = function()
  local body
  if op == "put" then
    body = string.format('{"TableName":"items","Item":{"pk":{"S":"k%d"},"n":{"N":"%d"},"s":{"S":"some text of a typical item, about a hundred bytes long ......"}}}',
      math.random(keys), math.random(1000000))
  elseif op == "get" then
    body = string.format('{"TableName":"items","Key":{"pk":{"S":"k%d"}}}', math.random(keys))
  else
    body = string.format('{"TableName":"%s","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"p%d"}}}',
      os.getenv("DDB_TABLE") or "parts", math.random(partitions))
  end
  return wrk.format(nil, nil, nil, body)
end
