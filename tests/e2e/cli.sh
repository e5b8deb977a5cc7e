#!/usr/bin/env bash
# End to end, as a user works: Nimbus started by ./nimbus, driven by the AWS CLI (every one found:
# `aws` on PATH and /usr/bin/aws, so v1 and v2 both), stopped with SIGTERM; then durability across
# kill -9 with --data-dir. Prints one line per check and a closing "N passed, N failed" line.
# Exit status: 0 all passed, 1 a check failed, 77 no AWS CLI here (the test run reports a skip).
set -uo pipefail

# shellcheck source=tests/e2e/lib.bash
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

TRUST='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'

suite() {
  local v role
  v="$("$CLI" --version 2>&1 | cut -d' ' -f1)"
  role="e2e-${v//[^A-Za-z0-9]/-}"
  echo "# $v ($CLI)"

  cli sts get-caller-identity
  if ((RC == 0)); then
    expect "$v: sts get-caller-identity Account" "$(field Account)" 000000000000
    expect "$v: sts get-caller-identity Arn" "$(field Arn)" "arn:aws:iam::000000000000:root"
    expect "$v: sts get-caller-identity UserId" "$(field UserId)" 000000000000
  else
    fail "$v: sts get-caller-identity" "$WORK/err"
  fi
  AWS_ACCESS_KEY_ID=123456789012 cli sts get-caller-identity --query Account --output text
  expect "$v: a 12-digit access key is that account" "$(cat "$WORK/out")" 123456789012

  cli iam create-role --role-name "$role" --assume-role-policy-document "$TRUST" --description "made by tests/e2e/cli.sh"
  expect "$v: iam create-role Arn" "$(field Role.Arn 2>/dev/null)" "arn:aws:iam::000000000000:role/$role"
  cli iam get-role --role-name "$role"
  expect "$v: iam get-role RoleName" "$(field Role.RoleName 2>/dev/null)" "$role"
  expect "$v: iam get-role trust policy" "$(field Role.AssumeRolePolicyDocument.Statement.0.Principal.Service 2>/dev/null)" lambda.amazonaws.com
  cli iam list-roles --query "Roles[?RoleName=='$role'].RoleName" --output text
  expect "$v: iam list-roles lists it" "$(cat "$WORK/out")" "$role"
  cli iam delete-role --role-name "$role"
  expect "$v: iam delete-role" "$RC" 0
  cli iam get-role --role-name "$role"
  expect_error "$v: iam get-role after delete is NoSuchEntity" NoSuchEntity "$role"

  # An operation in the model that Nimbus does not implement says so, by name.
  cli sts decode-authorization-message --encoded-message e2e
  expect_error "$v: unimplemented operation answers NotImplemented" NotImplemented sts.DecodeAuthorizationMessage
}

if start_server ephemeral --ephemeral; then
  for CLI in "${clis[@]}"; do suite; done
  stop_server ephemeral TERM
  if ((EXIT == 0 || EXIT == 143)); then pass "SIGTERM: exit status $EXIT"; else fail "SIGTERM: exit status $EXIT (expected 0 or 143)" "$WORK/ephemeral.log"; fi
  if grep -q "shutting down" "$WORK/ephemeral.log"; then pass "SIGTERM: clean shutdown logged"; else fail "SIGTERM: clean shutdown logged" "$WORK/ephemeral.log"; fi
fi

# Durability: what was acknowledged survives kill -9 of the server.
CLI="${clis[0]}"
if start_server durable --data-dir "$WORK/data"; then
  cli iam create-role --role-name e2e-durable --assume-role-policy-document "$TRUST"
  expect "durable: iam create-role" "$RC" 0
  stop_server durable KILL
  if start_server restarted --data-dir "$WORK/data"; then
    cli iam get-role --role-name e2e-durable --query Role.RoleName --output text
    expect "durable: role still there after kill -9 and restart" "$(cat "$WORK/out")" e2e-durable
    stop_server restarted TERM
  fi
fi

echo "cli.sh: $passed passed, $failed failed"
((failed == 0))
