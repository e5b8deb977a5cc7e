#!/usr/bin/env bash
# End to end: AWS Lambda's "getting started" flow with the AWS CLI (v1 and v2, each one found),
# unchanged but for --endpoint-url: an execution role, a zipped Python function, create-function,
# wait, invoke with a payload and with the log tail, a configuration update, the function's logs in
# CloudWatch Logs, a function URL called with curl, an asynchronous invocation of an alias, the
# account settings, list, delete. Prints one line per check and a closing "N passed, N failed" line.
# Exit status: 0 all passed, 1 a check failed, 77 no AWS CLI or no python3 here (reported as a skip).
set -uo pipefail

# shellcheck source=tests/e2e/lib.bash
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

command -v python3 >/dev/null || { echo "skipped: no python3 for the function"; exit 77; }

TRUST='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'

mkdir -p "$WORK/src"
cat >"$WORK/src/lambda_function.py" <<'PY'
import json
import os


def lambda_handler(event, context):
    print("received event: " + json.dumps(event))
    return {"statusCode": 200, "body": json.dumps("Hello from Lambda!"), "greeting": os.environ.get("GREETING")}
PY
(cd "$WORK/src" && python3 -m zipfile -c "$WORK/function.zip" lambda_function.py)

suite() {
  local v fn role arn
  v="$("$CLI" --version 2>&1 | cut -d' ' -f1)"
  fn="hello-${v//[^A-Za-z0-9]/-}"
  role="lambda-ex-${v//[^A-Za-z0-9]/-}"
  echo "# $v ($CLI)"
  # CLI v2 reads blob parameters as base64 unless told otherwise; the tutorial passes this flag.
  local raw=()
  [[ "$v" == aws-cli/2* ]] && raw=(--cli-binary-format raw-in-base64-out)

  cli iam create-role --role-name "$role" --assume-role-policy-document "$TRUST"
  arn="$(field Role.Arn 2>/dev/null)"
  expect "$v: iam create-role" "$RC" 0
  cli iam attach-role-policy --role-name "$role" --policy-arn arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole
  expect "$v: iam attach-role-policy AWSLambdaBasicExecutionRole" "$RC" 0

  cli lambda create-function --function-name "$fn" --runtime python3.12 --handler lambda_function.lambda_handler \
    --role "$arn" --zip-file "fileb://$WORK/function.zip"
  expect "$v: lambda create-function FunctionArn" "$(field FunctionArn 2>/dev/null)" "arn:aws:lambda:us-east-1:000000000000:function:$fn"
  cli lambda wait function-active-v2 --function-name "$fn"
  expect "$v: lambda wait function-active-v2" "$RC" 0

  timeout 120 "$CLI" --endpoint-url "$ENDPOINT" lambda invoke --function-name "$fn" "${raw[@]}" \
    --payload '{"key1":"value1"}' "$WORK/response.json" >"$WORK/out" 2>"$WORK/err"
  RC=$?
  expect "$v: lambda invoke StatusCode" "$(field StatusCode 2>/dev/null)" 200
  # shellcheck disable=SC2016 # $LATEST is the literal version name
  expect "$v: lambda invoke ExecutedVersion" "$(field ExecutedVersion 2>/dev/null)" '$LATEST'
  cp "$WORK/response.json" "$WORK/out"
  expect "$v: lambda invoke response body" "$(field body 2>/dev/null)" '"Hello from Lambda!"'

  timeout 120 "$CLI" --endpoint-url "$ENDPOINT" lambda invoke --function-name "$fn" "${raw[@]}" --payload '{}' \
    --log-type Tail --query LogResult --output text "$WORK/response.json" >"$WORK/out" 2>"$WORK/err"
  base64 -d <"$WORK/out" >"$WORK/tail" 2>/dev/null
  if grep -q '^START RequestId: ' "$WORK/tail" && grep -q '^END RequestId: ' "$WORK/tail" \
    && grep -q '^REPORT RequestId: .*Duration: .*Billed Duration: .*Memory Size: 128 MB' "$WORK/tail" \
    && grep -q '^received event: {}' "$WORK/tail"; then
    pass "$v: lambda invoke --log-type Tail shows START, the function's output, END, REPORT"
  else
    fail "$v: lambda invoke --log-type Tail" "$WORK/tail" "$WORK/err"
  fi

  cli lambda update-function-configuration --function-name "$fn" --environment "Variables={GREETING=hi}"
  expect "$v: lambda update-function-configuration" "$RC" 0
  cli lambda wait function-updated-v2 --function-name "$fn"
  expect "$v: lambda wait function-updated-v2" "$RC" 0
  timeout 120 "$CLI" --endpoint-url "$ENDPOINT" lambda invoke --function-name "$fn" "${raw[@]}" --payload '{}' \
    "$WORK/response.json" >/dev/null 2>"$WORK/err"
  cp "$WORK/response.json" "$WORK/out"
  expect "$v: the new environment variable reaches the function" "$(field greeting 2>/dev/null)" hi

  cli lambda get-function --function-name "$fn" --query Configuration.Runtime --output text
  expect "$v: lambda get-function Runtime" "$(cat "$WORK/out")" python3.12
  cli lambda list-functions --query "Functions[?FunctionName=='$fn'].Handler" --output text
  expect "$v: lambda list-functions lists it" "$(cat "$WORK/out")" lambda_function.lambda_handler

  # The function's output reaches CloudWatch Logs (shipped right after each invocation).
  local i found=""
  for ((i = 0; i < 50; i++)); do
    cli logs filter-log-events --log-group-name "/aws/lambda/$fn" --filter-pattern '"received event"' --query 'events[].message' --output text
    if grep -q 'received event: {"key1": "value1"}' "$WORK/out"; then found=yes; break; fi
    sleep 0.2
  done
  if [[ -n "$found" ]]; then pass "$v: logs filter-log-events finds the function's output"; else fail "$v: logs filter-log-events" "$WORK/out" "$WORK/err"; fi
  if [[ "$v" == aws-cli/2* ]]; then
    cli logs tail "/aws/lambda/$fn" --since 10m
    if grep -q 'REPORT RequestId: ' "$WORK/out"; then pass "$v: logs tail shows the REPORT lines"; else fail "$v: logs tail" "$WORK/out" "$WORK/err"; fi
  fi

  # A function URL, called with curl as a browser would (Nimbus as the proxy: *.localhost may not resolve here).
  cli lambda create-function-url-config --function-name "$fn" --auth-type NONE
  local url
  url="$(field FunctionUrl 2>/dev/null)"
  expect "$v: lambda create-function-url-config FunctionUrl" "$(sed -E 's|http://[a-z0-9]{32}\.lambda-url\.us-east-1\.localhost:[0-9]+/|URL|' <<<"$url")" URL
  curl -s -x "$ENDPOINT" -o "$WORK/out" -w '%{http_code}' "${url}hello?name=curl" >"$WORK/status" 2>"$WORK/err"
  expect "$v: curl the function URL: status" "$(cat "$WORK/status")" 200
  expect "$v: curl the function URL: body" "$(cat "$WORK/out")" '"Hello from Lambda!"'

  # An asynchronous invocation of an alias: queued, then run by the alias's version (its log stream says [1]).
  cli lambda publish-version --function-name "$fn"
  expect "$v: lambda publish-version" "$(field Version 2>/dev/null)" 1
  cli lambda create-alias --function-name "$fn" --name live --function-version 1
  expect "$v: lambda create-alias" "$RC" 0
  timeout 120 "$CLI" --endpoint-url "$ENDPOINT" lambda invoke --function-name "$fn" --qualifier live --invocation-type Event "${raw[@]}" \
    --payload '{"async":"alias"}' "$WORK/response.json" >"$WORK/out" 2>"$WORK/err"
  expect "$v: lambda invoke --invocation-type Event --qualifier live StatusCode" "$(field StatusCode 2>/dev/null)" 202
  found=""
  for ((i = 0; i < 100; i++)); do
    cli logs filter-log-events --log-group-name "/aws/lambda/$fn" --filter-pattern '"received event"' --query 'events[].[logStreamName,message]' --output text
    if grep -q '\[1\].*received event: {"async": "alias"}' "$WORK/out"; then found=yes; break; fi
    sleep 0.2
  done
  if [[ -n "$found" ]]; then pass "$v: the alias's version ran the queued event"; else fail "$v: asynchronous invocation of an alias" "$WORK/out" "$WORK/err"; fi

  cli lambda get-account-settings
  expect "$v: lambda get-account-settings ConcurrentExecutions" "$(field AccountLimit.ConcurrentExecutions 2>/dev/null)" 1000
  expect "$v: lambda get-account-settings FunctionCount" "$(field AccountUsage.FunctionCount 2>/dev/null)" 1

  cli lambda delete-function --function-name "$fn"
  expect "$v: lambda delete-function" "$RC" 0
  cli lambda get-function --function-name "$fn"
  expect_error "$v: lambda get-function after delete" ResourceNotFoundException "Function not found"
}

if start_server ephemeral --ephemeral; then
  for CLI in "${clis[@]}"; do suite; done
  stop_server ephemeral TERM
fi

echo "lambda.sh: $passed passed, $failed failed"
((failed == 0))
