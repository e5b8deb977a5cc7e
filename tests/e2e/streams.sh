#!/usr/bin/env bash
# End to end: a DynamoDB table's stream triggers a Python function through an event source mapping,
# with the AWS CLI (every one found): create-table with a stream, create-event-source-mapping
# (StartingPosition required), put/update/delete items, and the function's log shows the INSERT,
# MODIFY and REMOVE records in order with their images.
# Exit status: 0 all passed, 1 a check failed, 77 no AWS CLI or no python3 here (reported as a skip).
set -uo pipefail

# shellcheck source=tests/e2e/lib.bash
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

command -v python3 >/dev/null || { echo "skipped: no python3 for the function"; exit 77; }

mkdir -p "$WORK/src"
cat >"$WORK/src/lambda_function.py" <<'PY'
def lambda_handler(event, context):
    for r in event["Records"]:
        d = r["dynamodb"]
        print("change %s %s old=%s new=%s" % (r["eventName"], d["Keys"]["id"]["S"],
              d.get("OldImage", {}).get("v", {}).get("S"), d.get("NewImage", {}).get("v", {}).get("S")))
PY
(cd "$WORK/src" && python3 -m zipfile -c "$WORK/function.zip" lambda_function.py)

suite() {
  local v t fn stream i
  v="$("$CLI" --version 2>&1 | cut -d' ' -f1)"
  t="streamed-${v//[^A-Za-z0-9]/-}"
  fn="on-change-${v//[^A-Za-z0-9]/-}"
  echo "# $v ($CLI)"

  cli dynamodb create-table --table-name "$t" --billing-mode PAY_PER_REQUEST \
    --attribute-definitions AttributeName=id,AttributeType=S --key-schema AttributeName=id,KeyType=HASH \
    --stream-specification StreamEnabled=true,StreamViewType=NEW_AND_OLD_IMAGES
  stream="$(field TableDescription.LatestStreamArn)"
  expect "$v: create-table with a stream" "$RC" 0
  cli lambda create-function --function-name "$fn" --runtime python3.12 --handler lambda_function.lambda_handler \
    --role arn:aws:iam::000000000000:role/lambda-role --zip-file "fileb://$WORK/function.zip"
  expect "$v: lambda create-function" "$RC" 0

  cli lambda create-event-source-mapping --function-name "$fn" --event-source-arn "$stream"
  expect_error "$v: a stream mapping needs a starting position" InvalidParameterValueException "Value null at 'startingPosition'"
  cli lambda create-event-source-mapping --function-name "$fn" --event-source-arn "$stream" --starting-position TRIM_HORIZON --batch-size 1
  expect "$v: create-event-source-mapping State" "$(field State)" Creating
  expect "$v: create-event-source-mapping MaximumRetryAttempts" "$(field MaximumRetryAttempts)" -1

  cli dynamodb put-item --table-name "$t" --item '{"id":{"S":"a"},"v":{"S":"1"}}'
  cli dynamodb update-item --table-name "$t" --key '{"id":{"S":"a"}}' --update-expression "SET v = :v" \
    --expression-attribute-values '{":v":{"S":"2"}}'
  cli dynamodb delete-item --table-name "$t" --key '{"id":{"S":"a"}}'
  expect "$v: delete-item" "$RC" 0

  local want found=""
  want=$'change INSERT a old=None new=1\nchange MODIFY a old=1 new=2\nchange REMOVE a old=2 new=None'
  for ((i = 0; i < 150; i++)); do
    cli logs filter-log-events --log-group-name "/aws/lambda/$fn" --filter-pattern '"change"' --query 'events[].message' --output json
    python3 -c 'import json,sys; print("\n".join(m.strip() for m in json.load(open(sys.argv[1]))))' "$WORK/out" >"$WORK/changes" 2>/dev/null
    if [[ "$(cat "$WORK/changes")" == "$want" ]]; then found=yes; break; fi
    sleep 0.2
  done
  if [[ -n "$found" ]]; then pass "$v: the function saw INSERT, MODIFY, REMOVE in order"; else fail "$v: stream records reach the function" "$WORK/changes" "$WORK/err"; fi
}

if start_server ephemeral --ephemeral; then
  for CLI in "${clis[@]}"; do suite; done
  stop_server ephemeral TERM
fi

echo "streams.sh: $passed passed, $failed failed"
((failed == 0))
