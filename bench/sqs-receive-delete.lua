-- wrk script: SQS ReceiveMessage (one message) then DeleteMessage of what it got, json 1.0. The
-- connections of a wrk thread share this state: receipt handles received wait in a list, the next
-- request deletes one when there is one, else receives. Pairs = deletes; empty receives = receives
-- that brought no handle.
local queue = os.getenv("QUEUE_URL")
local auth = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250101/us-east-1/sqs/aws4_request, "
  .. "SignedHeaders=content-type;host;x-amz-date, Signature=" .. string.rep("0", 64)
local handles = {}
deletes = 0
receives = 0
got = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

local function call(target, body)
  return wrk.format("POST", "/", {["Content-Type"] = "application/x-amz-json-1.0", ["X-Amz-Target"] = "AmazonSQS." .. target,
    ["X-Amz-Date"] = "20250101T000000Z", ["Authorization"] = auth}, body)
end

function request()
  local h = table.remove(handles)
  if h then
    deletes = deletes + 1
    return call("DeleteMessage", '{"QueueUrl":"' .. queue .. '","ReceiptHandle":"' .. h .. '"}')
  end
  receives = receives + 1
  return call("ReceiveMessage", '{"QueueUrl":"' .. queue .. '","MaxNumberOfMessages":1}')
end

function response(status, headers, body)
  local h = string.match(body, '"ReceiptHandle"%s*:%s*"([^"]+)"')
  if h then
    table.insert(handles, h)
    got = got + 1
  end
end

function done(summary, latency, requests)
  local d, e = 0, 0
  for _, t in ipairs(threads) do
    d = d + t:get("deletes")
    e = e + t:get("receives") - t:get("got")
  end
  io.write(string.format("pairs %d empty %d\n", d, e))
end
