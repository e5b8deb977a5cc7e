#!/usr/bin/env bash
# S3 benchmark: Nimbus side by side with s3proxy (filesystem backend), the same client for both
# (bench/S3Bench.java): 1 KiB PUT and GET with 16 clients, a 1 GiB PUT and GET, ListObjectsV2
# pages over 100,000 keys, server CPU per operation from /proc/PID/stat.
#   bash bench/s3.sh                 # CLIENTS=16 SECONDS=10 BIG_MIB=1024 LIST_KEYS=100000 PEER=1
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CLIENTS="${CLIENTS:-16}" SECONDS_="${SECONDS:-10}" BIG_MIB="${BIG_MIB:-1024}" LIST_KEYS="${LIST_KEYS:-100000}" PEER="${PEER:-1}"
# The JDK the launcher runs Nimbus with (21+: the client uses Java 21 APIs), not whatever java is first on PATH.
JAVA="$("$ROOT/nimbus" jdk | cut -d" " -f1)/bin/java"
WORK="$(mktemp -d)"
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"' EXIT
export CLK_TCK="$(getconf CLK_TCK)"

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 600); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; echo "no answer from $1" >&2; return 1; }

P="$(port)"
"$ROOT/nimbus" start --port "$P" --data-dir "$WORK/nimbus" >"$WORK/nimbus.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$P/_nimbus/health"
# the launcher execs the JVM, so $! is the server's pid
echo "== Nimbus (durable data dir) $(nproc) cores, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
"$JAVA" "$ROOT/bench/S3Bench.java" "http://127.0.0.1:$P" "${PIDS[-1]}" "$CLIENTS" "$SECONDS_" "$BIG_MIB" "$LIST_KEYS"
echo "Nimbus RSS after: $(grep VmRSS /proc/"${PIDS[-1]}"/status | tr -s ' ')"
kill "${PIDS[-1]}"

if [[ "$PEER" == 1 ]]; then
  [[ -d "$ROOT/bench/s3proxy/lib" ]] || (cd "$ROOT/bench/s3proxy" && mvn -q -B dependency:copy-dependencies -DoutputDirectory=lib)
  P="$(port)"
  mkdir -p "$WORK/s3proxy"
  cat >"$WORK/s3proxy.conf" <<CONF
s3proxy.endpoint=http://127.0.0.1:$P
s3proxy.authorization=none
jclouds.provider=filesystem
jclouds.filesystem.basedir=$WORK/s3proxy
CONF
  "$JAVA" -cp "$ROOT/bench/s3proxy/lib/*" org.gaul.s3proxy.Main --properties "$WORK/s3proxy.conf" >"$WORK/s3proxy.log" 2>&1 &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$P/"
  echo "== s3proxy 2.6.0 (filesystem), load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  "$JAVA" "$ROOT/bench/S3Bench.java" "http://127.0.0.1:$P" "${PIDS[-1]}" "$CLIENTS" "$SECONDS_" "$BIG_MIB" "$LIST_KEYS"
  echo "s3proxy RSS after: $(grep VmRSS /proc/"${PIDS[-1]}"/status | tr -s ' ')"
fi
