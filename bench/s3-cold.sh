#!/usr/bin/env bash
# The first ListObjectsV2 pages of a freshly started server: one data dir filled with 100,000 keys
# once, then ROUNDS times a server started over a copy of it, given 20,000 PUTs (so the HTTP and store
# paths are warm, as after bench/s3.sh's fill) and listed once. The first page is the one the JIT has
# not seen: what `ONLY=list bash bench/s3.sh` reports as its first listing's max, without the fill.
#   bash bench/s3-cold.sh            # ROUNDS=6 LIST_KEYS=100000
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROUNDS="${ROUNDS:-6}" LIST_KEYS="${LIST_KEYS:-100000}"
JAVA="$("$ROOT/nimbus" jdk | cut -d" " -f1)/bin/java"
WORK="$(mktemp -d)"
PID=""
trap '[[ -n "$PID" ]] && kill "$PID" 2>/dev/null; rm -rf "$WORK"' EXIT
export CLK_TCK="$(getconf CLK_TCK)"

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# start DIR: a server over DIR, its pid in PID and its port in P
start() {
  P="$(port)"
  "$ROOT/nimbus" start --port "$P" --data-dir "$1" >"$WORK/nimbus.log" 2>&1 &
  PID=$!
  for _ in $(seq 1800); do curl -s -o /dev/null "http://127.0.0.1:$P/_nimbus/health" && return 0; sleep 0.1; done
  echo "no answer from the server" >&2
  return 1
}
stop() { kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""; }

start "$WORK/filled"
ONLY=fill "$JAVA" "$ROOT/bench/S3Bench.java" "http://127.0.0.1:$P" "$PID" 16 10 0 "$LIST_KEYS"
stop
for ((round = 1; round <= ROUNDS; round++)); do
  rm -rf "$WORK/run" && cp -r "$WORK/filled" "$WORK/run"
  start "$WORK/run"
  echo "== round $round, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  ONLY=restarted "$JAVA" "$ROOT/bench/S3Bench.java" "http://127.0.0.1:$P" "$PID" 16 10 0 "$LIST_KEYS" | grep -v "^filled"
  stop
done
