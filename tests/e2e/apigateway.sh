#!/usr/bin/env bash
# End to end: API Gateway in front of a Python function with the AWS CLI (v1 and v2, each one found)
# and curl, unchanged but for --endpoint-url: the REST API tutorial (create-rest-api, a resource with
# an ANY method, a Lambda proxy integration, add-permission, create-deployment, curl with a query
# string, a JSON body and headers), an HTTP API by quick create (create-api --target) called through
# its *.execute-api.localhost URL, a MOCK API imported from OpenAPI YAML and exported back, usage plan
# quotas (update-usage, get-usage), HTTP API parameter mapping checks, a WebSocket API (curl's
# handshake, apigatewaymanagementapi on its stage URL), and the
# gateway's own error answers. Prints one line per check and a closing "N passed, N failed" line.
# Exit status: 0 all passed, 1 a check failed, 77 no AWS CLI or no python3/curl here (reported as a skip).
set -uo pipefail

# shellcheck source=tests/e2e/lib.bash
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

command -v python3 >/dev/null || { echo "skipped: no python3 for the function"; exit 77; }
command -v curl >/dev/null || { echo "skipped: no curl"; exit 77; }

mkdir -p "$WORK/src"
cat >"$WORK/src/lambda_function.py" <<'PY'
import json


def lambda_handler(event, context):
    name = (event.get("queryStringParameters") or {}).get("name", "you")
    body = json.loads(event["body"]) if event.get("body") else {}
    day = (event.get("headers") or {}).get("day") or (event.get("headers") or {}).get("Day")
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json", "x-custom-header": "my custom header value"},
        "body": json.dumps({"message": "Good %s, %s of %s. Happy %s!" % (body.get("time", "day"), name, event.get("resource"), day),
                            "rawPath": event.get("rawPath"), "version": event.get("version")}),
    }
PY
(cd "$WORK/src" && python3 -m zipfile -c "$WORK/function.zip" lambda_function.py)

cat >"$WORK/mock.yaml" <<'YAML'
openapi: 3.0.1
info:
  title: mock-e2e
  version: "1"
paths:
  /ping:
    get:
      responses:
        "200":
          description: ok
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates:
          application/json: '{"statusCode": 200}'
        responses:
          default:
            statusCode: "200"
            responseTemplates:
              application/json: '{"pong": "$context.stage"}'
YAML

# http CODE-FILE BODY-FILE ARGS...: curl, the status in the first file and the body in the second.
http() {
  local code="$1" body="$2"
  shift 2
  curl -s -o "$body" -w '%{http_code}' --max-time 120 "$@" >"$code"
}

suite() {
  local v fn arn api root res id port base
  v="$("$CLI" --version 2>&1 | cut -d' ' -f1)"
  fn="hello-apigw-${v//[^A-Za-z0-9]/-}"
  port="${ENDPOINT##*:}"
  echo "# $v ($CLI)"

  cli lambda create-function --function-name "$fn" --runtime python3.12 --handler lambda_function.lambda_handler \
    --role arn:aws:iam::000000000000:role/lambda-ex --zip-file "fileb://$WORK/function.zip"
  arn="$(field FunctionArn 2>/dev/null)"
  expect "$v: lambda create-function" "$RC" 0
  cli lambda wait function-active-v2 --function-name "$fn"

  # The REST API tutorial.
  cli apigateway create-rest-api --name "tutorial-${v//[^A-Za-z0-9]/-}"
  api="$(field id 2>/dev/null)"
  expect "$v: apigateway create-rest-api" "$RC" 0
  cli apigateway get-resources --rest-api-id "$api" --query 'items[0].id' --output text
  root="$(cat "$WORK/out")"
  expect "$v: apigateway get-resources finds the root" "$RC" 0
  cli apigateway create-resource --rest-api-id "$api" --parent-id "$root" --path-part helloworld
  res="$(field id 2>/dev/null)"
  expect "$v: apigateway create-resource path" "$(field path 2>/dev/null)" /helloworld
  cli apigateway put-method --rest-api-id "$api" --resource-id "$res" --http-method ANY --authorization-type NONE
  expect "$v: apigateway put-method ANY" "$(field httpMethod 2>/dev/null)" ANY
  cli apigateway put-integration --rest-api-id "$api" --resource-id "$res" --http-method ANY --type AWS_PROXY \
    --integration-http-method POST --uri "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/$arn/invocations"
  expect "$v: apigateway put-integration AWS_PROXY" "$(field type 2>/dev/null)" AWS_PROXY
  cli lambda add-permission --function-name "$fn" --statement-id apigw --action lambda:InvokeFunction \
    --principal apigateway.amazonaws.com --source-arn "arn:aws:execute-api:us-east-1:000000000000:$api/*/*/helloworld"
  expect "$v: lambda add-permission for apigateway" "$RC" 0
  cli apigateway create-deployment --rest-api-id "$api" --stage-name test
  expect "$v: apigateway create-deployment" "$RC" 0

  http "$WORK/code" "$WORK/out" -X POST "http://$api.execute-api.localhost:$port/test/helloworld?name=John&city=Seattle" \
    -H 'content-type: application/json' -H 'day: Thursday' -d '{"time": "evening"}'
  expect "$v: curl the REST API: status" "$(cat "$WORK/code")" 200
  expect "$v: curl the REST API: the function saw query, body, headers" "$(field message 2>/dev/null)" \
    "Good evening, John of /helloworld. Happy Thursday!"
  expect "$v: curl the REST API: payload 1.0 event without version" "$(field version 2>/dev/null)" ""
  http "$WORK/code" "$WORK/out" "$ENDPOINT/restapis/$api/test/_user_request_/helloworld?name=Ana"
  expect "$v: curl LocalStack's _user_request_ URL" "$(cat "$WORK/code")" 200
  http "$WORK/code" "$WORK/out" "$ENDPOINT/_aws/execute-api/$api/test/nowhere"
  expect "$v: unknown resource is 403" "$(cat "$WORK/code")" 403
  expect "$v: unknown resource message" "$(field message 2>/dev/null)" "Missing Authentication Token"

  # An HTTP API by quick create, called through its invoke URL.
  cli apigatewayv2 create-api --name "quick-${v//[^A-Za-z0-9]/-}" --protocol-type HTTP --target "$arn"
  id="$(field ApiId 2>/dev/null)"
  http_api="$id"
  expect "$v: apigatewayv2 create-api --target" "$RC" 0
  http "$WORK/code" "$WORK/out" "http://$id.execute-api.localhost:$port/anything?name=Bo" -H 'day: Friday'
  expect "$v: curl the HTTP API: status" "$(cat "$WORK/code")" 200
  expect "$v: curl the HTTP API: payload 2.0" "$(field version 2>/dev/null)" 2.0
  expect "$v: curl the HTTP API: rawPath reaches the function" "$(field rawPath 2>/dev/null)" /anything
  cli apigatewayv2 get-routes --api-id "$id" --query 'Items[0].RouteKey' --output text
  expect "$v: apigatewayv2 get-routes" "$(cat "$WORK/out")" '$default'
  cli apigatewayv2 create-route --api-id "$id" --route-key 'GET /users/{id}'
  expect "$v: apigatewayv2 create-route" "$(field RouteKey 2>/dev/null)" 'GET /users/{id}'
  cli apigatewayv2 get-api --api-id nosuchapi
  expect_error "$v: apigatewayv2 get-api unknown" NotFoundException "Invalid API identifier specified"

  # MOCK API from OpenAPI YAML, deployed, exported.
  cli apigateway import-rest-api --body "fileb://$WORK/mock.yaml"
  id="$(field id 2>/dev/null)"
  expect "$v: apigateway import-rest-api from YAML" "$(field name 2>/dev/null)" mock-e2e
  cli apigateway create-deployment --rest-api-id "$id" --stage-name dev --variables color=blue
  http "$WORK/code" "$WORK/out" "$ENDPOINT/_aws/execute-api/$id/dev/ping"
  expect "$v: curl the MOCK API" "$(field pong 2>/dev/null)" dev
  "$CLI" --endpoint-url "$ENDPOINT" apigateway get-export --rest-api-id "$id" --stage-name dev --export-type oas30 \
    --parameters extensions=integrations "$WORK/export.json" >"$WORK/out" 2>"$WORK/err"
  RC=$?
  expect "$v: apigateway get-export" "$RC" 0
  cp "$WORK/export.json" "$WORK/out"
  expect "$v: the export is OpenAPI 3 with the integration" "$(field paths./ping.get.x-amazon-apigateway-integration.type 2>/dev/null)" mock
  cli apigateway get-stage --rest-api-id "$id" --stage-name dev --query variables.color --output text
  expect "$v: apigateway get-stage variables" "$(cat "$WORK/out")" blue

  # Usage plans: the CLI reads GetUsage's "values" map and sends UpdateUsage's patch.
  cli apigateway create-api-key --name "e2e-$v" --enabled
  key="$(field id 2>/dev/null)"
  cli apigateway create-usage-plan --name "e2e-$v" --api-stages "apiId=$id,stage=dev" --quota limit=5,period=DAY
  plan="$(field id 2>/dev/null)"
  cli apigateway create-usage-plan-key --usage-plan-id "$plan" --key-id "$key" --key-type API_KEY
  today="$(date -u +%Y-%m-%d)"
  cli apigateway update-usage --usage-plan-id "$plan" --key-id "$key" --patch-operations op=replace,path=/remaining,value=3
  cli apigateway get-usage --usage-plan-id "$plan" --start-date "$today" --end-date "$today" --query "items.\"$key\"[0]" --output text
  expect "$v: apigateway update-usage then get-usage" "$(tr -s '\t' ' ' <"$WORK/out")" "0 3"

  # HTTP API parameter mappings are checked when written.
  cli apigatewayv2 create-integration --api-id "$http_api" --integration-type HTTP_PROXY --integration-method GET \
    --integration-uri "$ENDPOINT/_nimbus/health" --payload-format-version 1.0 --request-parameters 'overwrite:header.host=x'
  expect_error "$v: apigatewayv2 create-integration with a reserved header mapping" BadRequestException "reserved"

  # WebSocket API: created with the CLI, upgraded by curl's handshake, and the @connections API
  # (apigatewaymanagementapi) on the stage's URL as a function would call it.
  cli apigatewayv2 create-api --name ws-e2e --protocol-type WEBSOCKET --route-selection-expression '$request.body.action'
  id="$(field ApiId 2>/dev/null)"
  expect "$v: apigatewayv2 create-api WEBSOCKET endpoint" "$(field ApiEndpoint 2>/dev/null)" "ws://$id.execute-api.localhost:$port"
  cli apigatewayv2 create-stage --api-id "$id" --stage-name prod --auto-deploy
  expect "$v: apigatewayv2 create-stage for the WebSocket API" "$RC" 0
  curl -s -i -N --max-time 2 -H 'Connection: Upgrade' -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' \
    -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' "$ENDPOINT/_aws/execute-api/$id/prod" >"$WORK/out" 2>/dev/null
  expect "$v: WebSocket handshake" "$(tr -d '\r' <"$WORK/out" | grep -i '^sec-websocket-accept:')" 'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo='
  timeout 120 "$CLI" --endpoint-url "$ENDPOINT/_aws/execute-api/$id/prod" apigatewaymanagementapi post-to-connection \
    --connection-id gone000000000A= --data aGk= >"$WORK/out" 2>"$WORK/err"
  RC=$?
  expect_error "$v: apigatewaymanagementapi post-to-connection to no connection" GoneException

  cli apigateway delete-rest-api --rest-api-id "$api"
  expect "$v: apigateway delete-rest-api" "$RC" 0
  cli apigateway get-rest-api --rest-api-id "$api"
  expect_error "$v: apigateway get-rest-api after delete" NotFoundException "Invalid API identifier specified"
}

if start_server ephemeral --ephemeral; then
  for CLI in "${clis[@]}"; do suite; done
  stop_server ephemeral TERM
fi

echo "apigateway.sh: $passed passed, $failed failed"
((failed == 0))
