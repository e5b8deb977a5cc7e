#!/usr/bin/env bash
# DynamoDB end to end with the AWS CLI (every one found): tables (wait table-exists), items with
# expressions, query, scan, batches, transactions, and items surviving kill -9 with --data-dir.
# Exit status: 0 all passed, 1 a check failed, 77 no AWS CLI here.
set -uo pipefail

# shellcheck source=tests/e2e/lib.bash
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

suite() {
  local v t
  v="$("$CLI" --version 2>&1 | cut -d' ' -f1)"
  t="e2e-${v//[^A-Za-z0-9]/-}"
  echo "# $v ($CLI)"

  cli dynamodb create-table --table-name "$t" --billing-mode PAY_PER_REQUEST \
    --attribute-definitions AttributeName=pk,AttributeType=S AttributeName=sk,AttributeType=N \
    --key-schema AttributeName=pk,KeyType=HASH AttributeName=sk,KeyType=RANGE
  expect "$v: create-table" "$RC" 0
  cli dynamodb wait table-exists --table-name "$t"
  expect "$v: wait table-exists" "$RC" 0
  cli dynamodb describe-table --table-name "$t"
  expect "$v: describe-table status" "$(field Table.TableStatus)" ACTIVE

  for i in 1 2 3 10 -5; do
    cli dynamodb put-item --table-name "$t" --item "{\"pk\":{\"S\":\"u\"},\"sk\":{\"N\":\"$i\"},\"n\":{\"N\":\"0\"}}"
  done
  cli dynamodb get-item --table-name "$t" --key '{"pk":{"S":"u"},"sk":{"N":"10"}}'
  expect "$v: get-item" "$(field Item.sk.N)" 10
  cli dynamodb update-item --table-name "$t" --key '{"pk":{"S":"u"},"sk":{"N":"10"}}' \
    --update-expression "SET n = n + :one, #s = :s" --expression-attribute-names '{"#s":"status"}' \
    --expression-attribute-values '{":one":{"N":"1"},":s":{"S":"seen"}}' --return-values ALL_NEW
  expect "$v: update-item ALL_NEW" "$(field Attributes.n.N)/$(field Attributes.status.S)" "1/seen"
  cli dynamodb put-item --table-name "$t" --item '{"pk":{"S":"u"},"sk":{"N":"10"}}' --condition-expression "attribute_not_exists(pk)"
  expect_error "$v: failed condition" ConditionalCheckFailedException "The conditional request failed"
  cli dynamodb update-item --table-name "$t" --key '{"pk":{"S":"u"},"sk":{"N":"10"}}' --update-expression "SET status = :s" \
    --expression-attribute-values '{":s":{"S":"x"}}'
  expect_error "$v: reserved word refused" ValidationException "reserved keyword: status"

  cli dynamodb query --table-name "$t" --key-condition-expression "pk = :p AND sk < :ten" \
    --expression-attribute-values '{":p":{"S":"u"},":ten":{"N":"10"}}' --query "Items[].sk.N" --output text
  expect "$v: query in numeric order" "$(tr -s '\t' ' ' <"$WORK/out")" "-5 1 2 3"
  cli dynamodb query --table-name "$t" --key-condition-expression "pk = :p" --no-scan-index-forward \
    --expression-attribute-values '{":p":{"S":"u"}}' --max-items 2 --query "Items[].sk.N" --output text
  expect "$v: query descending, paginated by the CLI" "$(tr -s '\t' ' ' <"$WORK/out" | head -1)" "10 3"
  cli dynamodb scan --table-name "$t" --select COUNT
  expect "$v: scan count" "$(field Count)" 5

  cli dynamodb batch-write-item --request-items "{\"$t\":[{\"DeleteRequest\":{\"Key\":{\"pk\":{\"S\":\"u\"},\"sk\":{\"N\":\"1\"}}}},{\"PutRequest\":{\"Item\":{\"pk\":{\"S\":\"w\"},\"sk\":{\"N\":\"1\"}}}}]}"
  expect "$v: batch-write-item" "$(field UnprocessedItems)" "{}"
  cli dynamodb transact-write-items --transact-items "[{\"ConditionCheck\":{\"TableName\":\"$t\",\"Key\":{\"pk\":{\"S\":\"u\"},\"sk\":{\"N\":\"2\"}},\"ConditionExpression\":\"attribute_not_exists(pk)\"}},{\"Put\":{\"TableName\":\"$t\",\"Item\":{\"pk\":{\"S\":\"z\"},\"sk\":{\"N\":\"1\"}}}}]"
  expect_error "$v: transaction cancelled" TransactionCanceledException "[ConditionalCheckFailed, None]"
  cli dynamodb get-item --table-name "$t" --key '{"pk":{"S":"z"},"sk":{"N":"1"}}'
  expect "$v: cancelled transaction wrote nothing" "$(cat "$WORK/out")" ""

  cli dynamodb delete-table --table-name "$t"
  expect "$v: delete-table" "$(field TableDescription.TableStatus)" DELETING
  cli dynamodb wait table-not-exists --table-name "$t"
  expect "$v: wait table-not-exists" "$RC" 0
}

if start_server ephemeral --ephemeral; then
  for CLI in "${clis[@]}"; do suite; done
  stop_server ephemeral TERM
fi

CLI="${clis[0]}"
if start_server durable --data-dir "$WORK/data"; then
  cli dynamodb create-table --table-name durable --billing-mode PAY_PER_REQUEST \
    --attribute-definitions AttributeName=id,AttributeType=S --key-schema AttributeName=id,KeyType=HASH
  cli dynamodb put-item --table-name durable --item '{"id":{"S":"kept"},"v":{"N":"1.50"}}'
  expect "durable: put-item" "$RC" 0
  stop_server durable KILL
  if start_server restarted --data-dir "$WORK/data"; then
    cli dynamodb get-item --table-name durable --key '{"id":{"S":"kept"}}'
    expect "durable: item still there after kill -9 and restart" "$(field Item.v.N)" 1.5
    stop_server restarted TERM
  fi
fi

echo "dynamodb.sh: $passed passed, $failed failed"
((failed == 0))
