#!/usr/bin/env bash
# End to end: the "SNS to Lambda" tutorial with the AWS CLI (v1 and v2, each one found), unchanged but
# for --endpoint-url: a topic, a Python function subscribed to it, a publish with a subject and a
# message attribute, the SNS event in the function's CloudWatch log; then topic attributes, tags,
# a filter policy refused with AWS's message, unsubscribe and delete. Prints one line per check and
# a closing "N passed, N failed" line. Exit status: 0 all passed, 1 a check failed, 77 no AWS CLI or
# no python3 here (reported as a skip).
set -uo pipefail

# shellcheck source=tests/e2e/lib.bash
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

command -v python3 >/dev/null || { echo "skipped: no python3 for the function"; exit 77; }

mkdir -p "$WORK/src"
cat >"$WORK/src/lambda_function.py" <<'PY'
import json


def lambda_handler(event, context):
    sns = event["Records"][0]["Sns"]
    print("From SNS: " + sns["Message"] + " | " + str(sns["Subject"]) + " | " + json.dumps(sns["MessageAttributes"]))
    return sns["Message"]
PY
(cd "$WORK/src" && python3 -m zipfile -c "$WORK/function.zip" lambda_function.py)

suite() {
  local v tag fn topic fnarn sub id i found=""
  v="$("$CLI" --version 2>&1 | cut -d' ' -f1)"
  tag="${v//[^A-Za-z0-9]/-}"
  fn="sns-reader-$tag"
  echo "# $v ($CLI)"

  cli sns create-topic --name "tutorial-$tag"
  topic="$(field TopicArn 2>/dev/null)"
  expect "$v: sns create-topic TopicArn" "$topic" "arn:aws:sns:us-east-1:000000000000:tutorial-$tag"

  cli lambda create-function --function-name "$fn" --runtime python3.12 --handler lambda_function.lambda_handler \
    --role arn:aws:iam::000000000000:role/lambda-role --zip-file "fileb://$WORK/function.zip"
  fnarn="$(field FunctionArn 2>/dev/null)"
  expect "$v: lambda create-function" "$RC" 0
  cli lambda add-permission --function-name "$fn" --statement-id sns --action lambda:InvokeFunction \
    --principal sns.amazonaws.com --source-arn "$topic"
  expect "$v: lambda add-permission for sns.amazonaws.com" "$RC" 0

  cli sns subscribe --topic-arn "$topic" --protocol lambda --notification-endpoint "$fnarn"
  sub="$(field SubscriptionArn 2>/dev/null)"
  expect "$v: sns subscribe answers the subscription ARN" "${sub%:*}" "$topic"
  cli sns list-subscriptions-by-topic --topic-arn "$topic" --query 'Subscriptions[0].Endpoint' --output text
  expect "$v: sns list-subscriptions-by-topic" "$(cat "$WORK/out")" "$fnarn"

  cli sns publish --topic-arn "$topic" --subject Greeting --message "Hello from SNS" \
    --message-attributes '{"kind":{"DataType":"String","StringValue":"tutorial"}}'
  id="$(field MessageId 2>/dev/null)"
  if [[ "$id" =~ ^[0-9a-f-]{36}$ ]]; then pass "$v: sns publish MessageId"; else fail "$v: sns publish MessageId" "$WORK/out" "$WORK/err"; fi

  # Delivery is asynchronous: the function's log shows the message once it ran.
  for ((i = 0; i < 150; i++)); do
    cli logs filter-log-events --log-group-name "/aws/lambda/$fn" --filter-pattern '"From SNS"' --query 'events[].message' --output text
    if grep -qF 'From SNS: Hello from SNS | Greeting | {"kind": {"Type": "String", "Value": "tutorial"}}' "$WORK/out"; then found=yes; break; fi
    sleep 0.2
  done
  if [[ -n "$found" ]]; then pass "$v: the function got the SNS event (its log shows it)"; else fail "$v: the function got the SNS event" "$WORK/out" "$WORK/err"; fi

  cli sns set-topic-attributes --topic-arn "$topic" --attribute-name DisplayName --attribute-value Tutorial
  cli sns get-topic-attributes --topic-arn "$topic" --query Attributes.DisplayName --output text
  expect "$v: sns set/get-topic-attributes DisplayName" "$(cat "$WORK/out")" Tutorial
  cli sns tag-resource --resource-arn "$topic" --tags Key=team,Value=core
  cli sns list-tags-for-resource --resource-arn "$topic" --query 'Tags[0].Value' --output text
  expect "$v: sns tag-resource / list-tags-for-resource" "$(cat "$WORK/out")" core

  cli sns set-subscription-attributes --subscription-arn "$sub" --attribute-name FilterPolicy --attribute-value '{"kind":"tutorial"}'
  expect_error "$v: sns set-subscription-attributes refuses an invalid filter policy" InvalidParameter \
    'Invalid parameter: FilterPolicy: "kind" must be an object or an array'

  cli sns unsubscribe --subscription-arn "$sub"
  expect "$v: sns unsubscribe" "$RC" 0
  cli sns get-subscription-attributes --subscription-arn "$sub"
  expect_error "$v: sns get-subscription-attributes after unsubscribe" NotFound "Subscription does not exist"
  cli sns delete-topic --topic-arn "$topic"
  expect "$v: sns delete-topic" "$RC" 0
  cli sns publish --topic-arn "$topic" --message gone
  expect_error "$v: sns publish to a deleted topic" NotFound "Topic does not exist"
  cli lambda delete-function --function-name "$fn"
}

if start_server ephemeral --ephemeral; then
  for CLI in "${clis[@]}"; do suite; done
  stop_server ephemeral TERM
fi

echo "sns.sh: $passed passed, $failed failed"
((failed == 0))
