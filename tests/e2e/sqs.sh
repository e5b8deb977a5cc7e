#!/usr/bin/env bash
# End to end: SQS with the AWS CLI, every one found (v1 speaks SQS's json protocol, v2.9 its query
# protocol): queues with attributes, send / receive / delete, batches, a dead-letter queue, FIFO,
# errors; then durability across kill -9 with --data-dir, and the AWS/SQS metrics in CloudWatch.
# Prints one line per check and a closing "N passed, N failed" line.
# Exit status: 0 all passed, 1 a check failed, 77 no AWS CLI here (the test run reports a skip).
set -uo pipefail

# shellcheck source=tests/e2e/lib.bash
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

suite() {
  local v q url dlq dlq_arn fifo handle
  v="$("$CLI" --version 2>&1 | cut -d' ' -f1)"
  q="e2e-${v//[^A-Za-z0-9]/-}"
  echo "# $v ($CLI)"

  cli sqs create-queue --queue-name "$q" --attributes VisibilityTimeout=40 --tags team=core
  url="$(field QueueUrl)"
  expect "$v: sqs create-queue QueueUrl" "${url%%:*}://${url#*://}" "http://sqs.us-east-1.localhost:${ENDPOINT##*:}/000000000000/$q"
  cli sqs get-queue-url --queue-name "$q"
  expect "$v: sqs get-queue-url" "$(field QueueUrl)" "$url"
  cli sqs get-queue-attributes --queue-url "$url" --attribute-names All
  expect "$v: sqs get-queue-attributes VisibilityTimeout" "$(field Attributes.VisibilityTimeout)" 40
  expect "$v: sqs get-queue-attributes QueueArn" "$(field Attributes.QueueArn)" "arn:aws:sqs:us-east-1:000000000000:$q"
  cli sqs list-queue-tags --queue-url "$url"
  expect "$v: sqs list-queue-tags" "$(field Tags.team)" core

  cli sqs send-message --queue-url "$url" --message-body 'hello <world> & all' \
    --message-attributes '{"color":{"DataType":"String","StringValue":"red"},"n":{"DataType":"Number","StringValue":"7"}}'
  expect "$v: sqs send-message MD5OfMessageBody" "$(field MD5OfMessageBody)" "$(printf '%s' 'hello <world> & all' | md5sum | cut -d' ' -f1)"
  cli sqs receive-message --queue-url "$url" --message-attribute-names All --attribute-names All --wait-time-seconds 5
  expect "$v: sqs receive-message Body" "$(field Messages.0.Body)" 'hello <world> & all'
  expect "$v: sqs receive-message attribute" "$(field Messages.0.MessageAttributes.color.StringValue)" red
  expect "$v: sqs receive-message ApproximateReceiveCount" "$(field Messages.0.Attributes.ApproximateReceiveCount)" 1
  handle="$(field Messages.0.ReceiptHandle)"
  cli sqs delete-message --queue-url "$url" --receipt-handle "$handle"
  expect "$v: sqs delete-message" "$RC" 0
  cli sqs delete-message --queue-url "$url" --receipt-handle not-a-handle
  expect_error "$v: sqs delete-message with a forged handle" ReceiptHandleIsInvalid "not a valid receipt handle"

  cli sqs send-message-batch --queue-url "$url" --entries Id=a,MessageBody=one Id=b,MessageBody=two
  expect "$v: sqs send-message-batch" "$(field Successful.1.Id)" b
  cli sqs get-queue-attributes --queue-url "$url" --attribute-names ApproximateNumberOfMessages
  expect "$v: sqs ApproximateNumberOfMessages" "$(field Attributes.ApproximateNumberOfMessages)" 2
  cli sqs purge-queue --queue-url "$url"
  cli sqs receive-message --queue-url "$url"
  expect "$v: sqs purge-queue empties it" "$(field Messages 2>/dev/null)" ""

  cli sqs create-queue --queue-name "$q-dlq"
  dlq="$(field QueueUrl)"
  dlq_arn="arn:aws:sqs:us-east-1:000000000000:$q-dlq"
  cli sqs set-queue-attributes --queue-url "$url" --attributes "{\"RedrivePolicy\":\"{\\\"deadLetterTargetArn\\\":\\\"$dlq_arn\\\",\\\"maxReceiveCount\\\":\\\"1\\\"}\"}"
  expect "$v: sqs set-queue-attributes RedrivePolicy" "$RC" 0
  cli sqs send-message --queue-url "$url" --message-body poison
  cli sqs receive-message --queue-url "$url" --visibility-timeout 0
  cli sqs receive-message --queue-url "$url"
  expect "$v: sqs a message received maxReceiveCount times is not delivered again" "$(field Messages 2>/dev/null)" ""
  cli sqs receive-message --queue-url "$dlq"
  expect "$v: sqs it is in the dead-letter queue" "$(field Messages.0.Body)" poison

  cli sqs create-queue --queue-name "$q.fifo" --attributes FifoQueue=true,ContentBasedDeduplication=true
  fifo="$(field QueueUrl)"
  cli sqs send-message --queue-url "$fifo" --message-body first --message-group-id g
  cli sqs send-message --queue-url "$fifo" --message-body second --message-group-id g
  cli sqs receive-message --queue-url "$fifo" --max-number-of-messages 10 --attribute-names All
  expect "$v: sqs FIFO order" "$(field Messages.0.Body),$(field Messages.1.Body)" first,second
  expect "$v: sqs FIFO MessageGroupId" "$(field Messages.0.Attributes.MessageGroupId)" g
  cli sqs send-message --queue-url "$fifo" --message-body nogroup
  expect_error "$v: sqs FIFO send without a group" MissingParameter MessageGroupId

  cli sqs get-queue-url --queue-name "$q-missing"
  expect_error "$v: sqs get-queue-url of a missing queue" AWS.SimpleQueueService.NonExistentQueue "does not exist"
  for u in "$url" "$dlq" "$fifo"; do cli sqs delete-queue --queue-url "$u"; done
  cli sqs list-queues --queue-name-prefix "$q"
  expect "$v: sqs delete-queue" "$(field QueueUrls 2>/dev/null)" ""
}

if start_server ephemeral --ephemeral; then
  for CLI in "${clis[@]}"; do suite; done
  stop_server ephemeral TERM
fi

# Durability: what was sent survives kill -9, what was deleted stays deleted; metrics are in CloudWatch.
CLI="${clis[0]}"
if start_server durable --data-dir "$WORK/data"; then
  cli sqs create-queue --queue-name durable
  url="$(field QueueUrl)"
  for body in a b c; do cli sqs send-message --queue-url "$url" --message-body "$body"; done
  cli sqs receive-message --queue-url "$url"
  cli sqs delete-message --queue-url "$url" --receipt-handle "$(field Messages.0.ReceiptHandle)"
  found=""
  for ((i = 0; i < 60; i++)); do
    cli cloudwatch get-metric-statistics --namespace AWS/SQS --metric-name NumberOfMessagesSent --dimensions Name=QueueName,Value=durable \
      --start-time "$(date -u -d '-10 min' +%FT%TZ)" --end-time "$(date -u -d '+10 min' +%FT%TZ)" --period 60 --statistics Sum \
      --query 'Datapoints[0].Sum' --output text
    if [[ "$(cat "$WORK/out")" == 3.0 ]]; then found=yes; break; fi
    sleep 0.5
  done
  if [[ -n "$found" ]]; then pass "AWS/SQS NumberOfMessagesSent in CloudWatch"; else fail "AWS/SQS NumberOfMessagesSent" "$WORK/out" "$WORK/err"; fi
  stop_server durable KILL
  if start_server durable-again --data-dir "$WORK/data"; then
    cli sqs get-queue-attributes --queue-url "$url" --attribute-names ApproximateNumberOfMessages
    expect "after kill -9: the two messages not deleted are there" "$(field Attributes.ApproximateNumberOfMessages)" 2
    stop_server durable-again TERM
  fi
fi

echo "sqs.sh: $passed passed, $failed failed"
((failed == 0))
