#!/usr/bin/env bash
# End to end: the CloudWatch monitoring lab with the AWS CLI (v1 and v2, each one found): a Python
# function that logs and sometimes fails, its log group and output (filter-log-events), a metric
# filter counting its error lines, `logs tail --follow` streaming a new line (CLI v2), the AWS/Lambda Errors metric, an alarm on it that goes to ALARM
# after the errors, and a Logs Insights query (start-query / get-query-results).
# Prints one line per check and a closing "N passed, N failed" line.
# Exit status: 0 all passed, 1 a check failed, 77 no AWS CLI or no python3 here (reported as a skip).
set -uo pipefail

# shellcheck source=tests/e2e/lib.bash
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

command -v python3 >/dev/null || { echo "skipped: no python3 for the function"; exit 77; }

TRUST='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'

mkdir -p "$WORK/src"
cat >"$WORK/src/lambda_function.py" <<'PY'
def lambda_handler(event, context):
    if event.get("fail"):
        print("PAYMENT_DECLINED for order " + str(event.get("order")))
        raise ValueError("declined")
    print("order placed: " + str(event.get("order")))
    return {"ok": True}
PY
(cd "$WORK/src" && python3 -m zipfile -c "$WORK/function.zip" lambda_function.py)

ALARMS=()

# invoke FUNCTION PAYLOAD: one synchronous invocation; the answer's metadata in $WORK/out.
invoke() {
  timeout 120 "$CLI" --endpoint-url "$ENDPOINT" lambda invoke --function-name "$1" "${raw[@]}" --payload "$2" \
    "$WORK/response.json" >"$WORK/out" 2>"$WORK/err"
  RC=$?
}

suite() {
  local v fn role arn i found start invocations=3
  v="$("$CLI" --version 2>&1 | cut -d' ' -f1)"
  fn="shop-${v//[^A-Za-z0-9]/-}"
  role="shop-role-${v//[^A-Za-z0-9]/-}"
  echo "# $v ($CLI)"
  raw=()
  [[ "$v" == aws-cli/2* ]] && raw=(--cli-binary-format raw-in-base64-out)
  start="$(date +%s)"

  cli iam create-role --role-name "$role" --assume-role-policy-document "$TRUST"
  arn="$(field Role.Arn 2>/dev/null)"
  cli lambda create-function --function-name "$fn" --runtime python3.12 --handler lambda_function.lambda_handler \
    --role "$arn" --zip-file "fileb://$WORK/function.zip"
  expect "$v: lambda create-function" "$RC" 0
  cli lambda wait function-active-v2 --function-name "$fn"

  invoke "$fn" '{"order": 1}'
  expect "$v: a successful invocation" "$(field StatusCode 2>/dev/null)" 200

  # The log group exists once the function has logged; a metric filter counts the error lines from now on.
  cli logs describe-log-groups --log-group-name-prefix "/aws/lambda/$fn" --query 'logGroups[0].logGroupName' --output text
  expect "$v: logs describe-log-groups finds the function's group" "$(cat "$WORK/out")" "/aws/lambda/$fn"
  cli logs put-metric-filter --log-group-name "/aws/lambda/$fn" --filter-name declined --filter-pattern PAYMENT_DECLINED \
    --metric-transformations "metricName=DeclinedPayments,metricNamespace=Shop-$fn,metricValue=1"
  expect "$v: logs put-metric-filter" "$RC" 0
  cli cloudwatch put-metric-alarm --alarm-name "$fn-errors" --namespace AWS/Lambda --metric-name Errors \
    --dimensions "Name=FunctionName,Value=$fn" --statistic Sum --period 60 --evaluation-periods 1 --threshold 0 \
    --comparison-operator GreaterThanThreshold --treat-missing-data notBreaching
  expect "$v: cloudwatch put-metric-alarm on Errors" "$RC" 0
  ALARMS+=("$fn-errors")

  invoke "$fn" '{"order": 2, "fail": true}'
  expect "$v: a failing invocation reports FunctionError" "$(field FunctionError 2>/dev/null)" Unhandled
  invoke "$fn" '{"order": 3, "fail": true}'

  found=""
  for ((i = 0; i < 50; i++)); do
    cli logs filter-log-events --log-group-name "/aws/lambda/$fn" --filter-pattern PAYMENT_DECLINED --query 'length(events)' --output text
    if [[ "$(cat "$WORK/out")" == 2 ]]; then found=yes; break; fi
    sleep 0.2
  done
  if [[ -n "$found" ]]; then pass "$v: logs filter-log-events finds both error lines"; else fail "$v: logs filter-log-events" "$WORK/out" "$WORK/err"; fi

  # `aws logs tail --follow` (CLI v2 only) prints what is there, then streams new events as they come.
  if [[ "$v" == aws-cli/2* ]]; then
    local tailer
    # The CLI writes the events to sys.stdout and never flushes: to a file, they sit in Python's buffer
    # unless Python is unbuffered (this machine's environment sets PYTHONUNBUFFERED; a clean one may not).
    PYTHONUNBUFFERED=1 timeout 60 "$CLI" --endpoint-url "$ENDPOINT" logs tail "/aws/lambda/$fn" --follow --since 10m >"$WORK/tail" 2>"$WORK/tail.err" &
    tailer=$!
    found=""
    for ((i = 0; i < 100; i++)); do grep -qs 'order placed: 1' "$WORK/tail" && { found=yes; break; }; sleep 0.2; done
    expect "$v: logs tail --follow prints the earlier output" "$found" yes
    invoke "$fn" '{"order": 4}'
    invocations=4
    found=""
    for ((i = 0; i < 150; i++)); do grep -qs 'order placed: 4' "$WORK/tail" && { found=yes; break; }; sleep 0.2; done
    kill "$tailer" 2>/dev/null
    wait "$tailer" 2>/dev/null
    if [[ -n "$found" ]]; then pass "$v: logs tail --follow streams a new invocation's line"; else fail "$v: logs tail --follow" "$WORK/tail" "$WORK/tail.err"; fi
  fi

  # Data sits in minute buckets, and the hour-long periods counted from start-3600 may split the run's
  # minutes in two: the figure is the sum over the periods.
  cli cloudwatch get-metric-statistics --namespace "Shop-$fn" --metric-name DeclinedPayments --statistics Sum --period 3600 \
    --start-time "$((start - 3600))" --end-time "$(($(date +%s) + 60))" --query 'sum(Datapoints[].Sum)' --output text
  expect "$v: the metric filter counted 2 declined payments" "$(cat "$WORK/out")" 2.0

  found=""
  for ((i = 0; i < 50; i++)); do
    cli cloudwatch get-metric-statistics --namespace AWS/Lambda --metric-name Errors --dimensions "Name=FunctionName,Value=$fn" \
      --statistics Sum --period 3600 --start-time "$((start - 3600))" --end-time "$(($(date +%s) + 60))" --query 'sum(Datapoints[].Sum)' --output text
    if [[ "$(cat "$WORK/out")" == 2.0 ]]; then found=yes; break; fi
    sleep 0.2
  done
  if [[ -n "$found" ]]; then pass "$v: AWS/Lambda Errors is 2"; else fail "$v: AWS/Lambda Errors" "$WORK/out" "$WORK/err"; fi

  cli logs start-query --log-group-name "/aws/lambda/$fn" --start-time "$((start - 60))" --end-time "$(($(date +%s) + 60))" \
    --query-string 'filter @message like /PAYMENT_DECLINED/ | stats count() as declined'
  local id
  id="$(field queryId 2>/dev/null)"
  found=""
  for ((i = 0; i < 50; i++)); do
    cli logs get-query-results --query-id "$id"
    [[ "$(field status 2>/dev/null)" == Complete ]] && { found=yes; break; }
    sleep 0.2
  done
  expect "$v: logs get-query-results status" "$found" yes
  expect "$v: Insights counts the declined payments" "$(field results.0.0.value 2>/dev/null)" 2
  cli logs start-query --log-group-name "/aws/lambda/$fn" --start-time "$((start - 60))" --end-time "$(($(date +%s) + 60))" \
    --query-string 'filter @type = "REPORT" | stats count() as invocations, max(@duration) as slowest'
  cli logs get-query-results --query-id "$(field queryId 2>/dev/null)"
  expect "$v: Insights reads the REPORT lines" "$(field results.0.0.value 2>/dev/null)" "$invocations"
}

if start_server ephemeral --ephemeral; then
  for CLI in "${clis[@]}"; do suite; done
  # AWS evaluates alarms once a minute over complete periods: the minute of the errors must end
  # first. The alarm may already be back to OK (notBreaching) by the time a slow machine looks, so
  # the check is that its history records the move to ALARM.
  for alarm in "${ALARMS[@]}"; do
    found=""
    for ((i = 0; i < 150; i++)); do
      cli cloudwatch describe-alarm-history --alarm-name "$alarm" --history-item-type StateUpdate --query 'AlarmHistoryItems[].HistorySummary' --output text
      grep -q 'to ALARM' "$WORK/out" && { found=yes; break; }
      sleep 1
    done
    expect "alarm $alarm went to ALARM after the errors" "$found" yes
    cli cloudwatch describe-alarm-history --alarm-name "$alarm" --history-item-type StateUpdate --output json \
      --query "AlarmHistoryItems[?contains(HistorySummary, 'to ALARM')] | [0].HistoryData"
    if grep -q "Threshold Crossed: 1 datapoint \\[[12]\\.0 " "$WORK/out"; then pass "alarm $alarm: the reason gives the errors datapoint"; else
      fail "alarm $alarm: the reason gives the errors datapoint" "$WORK/out" "$WORK/err"; fi
  done
  stop_server ephemeral TERM
fi

echo "monitoring.sh: $passed passed, $failed failed"
((failed == 0))
