# Shared by the end-to-end scripts (sourced, not run): a work dir, pass/fail counting, the AWS CLIs
# found on this machine, starting and stopping ./nimbus, running the CLI and checking its output.
# shellcheck shell=bash disable=SC2034  # variables set here (EXIT, PID, ENDPOINT) are read by the scripts
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

