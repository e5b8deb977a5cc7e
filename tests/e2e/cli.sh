#!/usr/bin/env bash
# End to end, as a user works: Nimbus started by ./nimbus, driven by the AWS CLI (every one found:
# `aws` on PATH and /usr/bin/aws, so v1 and v2 both), stopped with SIGTERM; then durability across
# kill -9 with --data-dir. Prints one line per check and a closing "N passed, N failed" line.
# Exit status: 0 all passed, 1 a check failed, 77 no AWS CLI here (the test run reports a skip).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="$(mktemp -d)"
SERVERS=()
passed=0
failed=0

cleanup() {
  local pid
  for pid in "${SERVERS[@]}"; do kill -KILL "$pid" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT

pass() {
  echo "ok - $1"
  passed=$((passed + 1))
}

# fail NAME [FILE...]: the files (a command's output) are shown indented under the failure.
fail() {
  echo "not ok - $1"
  shift
  local f
  for f in "$@"; do [[ -s "$f" ]] && sed 's/^/    /' "$f"; done
  failed=$((failed + 1))
}

clis=()
if path="$(command -v aws)"; then clis+=("$path"); fi
if [[ -x /usr/bin/aws && "$(command -v aws)" != /usr/bin/aws ]]; then clis+=(/usr/bin/aws); fi
if ((${#clis[@]} == 0)); then
  echo "skipped: no AWS CLI found (apt-get install -y awscli)"
  exit 77
fi

# The CLI as a fresh user runs it: any credentials, a region, no config files of whoever runs this.
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER="" AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL

# start_server NAME ARGS...: ./nimbus start on a port the OS picks; sets PID and ENDPOINT from the
# banner. The first start after a build also prepares the JVM cache, hence the generous wait.
start_server() {
  local name="$1" i
  shift
  "$ROOT/nimbus" start --port 0 "$@" >"$WORK/$name.log" 2>&1 &
  PID=$!
  SERVERS+=("$PID")
  ENDPOINT=""
  for ((i = 0; i < 1800; i++)); do
    ENDPOINT="$(sed -n 's|.* ready on \(http://[^ ]*\).*|\1|p' "$WORK/$name.log")"
    [[ -n "$ENDPOINT" ]] && return 0
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.1
  done
  fail "$name: server started" "$WORK/$name.log"
  return 1
}

# stop_server NAME SIGNAL: sends the signal and waits (bounded) for the server to exit; EXIT is its status.
stop_server() {
  local name="$1" signal="$2" i
  # stderr aside while the server dies: bash announces a child killed by a signal ("Killed") itself.
  {
    kill "-$signal" "$PID"
    for ((i = 0; i < 300; i++)); do
      kill -0 "$PID" || break
      sleep 0.1
    done
    if kill -0 "$PID"; then
      fail "$name: server exits within 30 s of SIG$signal" "$WORK/$name.log"
      kill -KILL "$PID"
    fi
    wait "$PID"
    EXIT=$?
  } 2>/dev/null
}

# cli NAME ARGS...: runs the CLI against the server; stdout in $WORK/out, stderr in $WORK/err, status in RC.
cli() {
  timeout 120 "$CLI" --endpoint-url "$ENDPOINT" "$@" >"$WORK/out" 2>"$WORK/err"
  RC=$?
}

# field PATH: a value from the JSON in $WORK/out, by a dotted path (numbers index arrays).
field() {
  python3 - "$WORK/out" "$1" <<'EOF'
import json, sys
value = json.load(open(sys.argv[1]))
for key in sys.argv[2].split("."):
    value = value[int(key)] if isinstance(value, list) else value.get(key)
    if value is None:
        break
print("" if value is None else value if isinstance(value, str) else json.dumps(value))
EOF
}

# expect NAME ACTUAL EXPECTED: one check of a value.
expect() {
  if [[ "$2" == "$3" ]]; then pass "$1"; else
    echo "expected: $3" >"$WORK/why"
    echo "actual:   $2" >>"$WORK/why"
    fail "$1" "$WORK/why" "$WORK/err"
  fi
}

# expect_error NAME CODE [TEXT]: the last command failed with that AWS error code (and message text).
expect_error() {
  if ((RC != 0)) && grep -q "($2)" "$WORK/err" && { [[ -z "${3:-}" ]] || grep -qF "$3" "$WORK/err"; }; then
    pass "$1"
  else
    echo "exit status $RC; expected an error ($2)${3:+ mentioning \"$3\"}" >"$WORK/why"
    fail "$1" "$WORK/why" "$WORK/out" "$WORK/err"
  fi
}

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
