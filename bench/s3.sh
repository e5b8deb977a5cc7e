#!/usr/bin/env bash
# S3 benchmark: Nimbus side by side with s3proxy (filesystem backend), the same client for both
# (bench/S3Bench.java): 1 KiB PUT and GET with 16 clients, a 1 GiB PUT and GET, ListObjectsV2
# pages over 100,000 keys, server CPU per operation from /proc/PID/stat; optionally (ROUNDTRIP_GB,
# off by default: it needs twice that much free disk and the AWS CLI) `aws s3 cp` of a file that
# large up and down (multipart) with the server's heap capped at 256 MB.
#   bash bench/s3.sh                 # CLIENTS=16 DURATION=10 BIG_MIB=1024 LIST_KEYS=100000 PEER=1 ROUNDTRIP_GB=0
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CLIENTS="${CLIENTS:-16}" DURATION="${DURATION:-10}" BIG_MIB="${BIG_MIB:-1024}" LIST_KEYS="${LIST_KEYS:-100000}" PEER="${PEER:-1}"
ROUNDTRIP_GB="${ROUNDTRIP_GB:-0}"
# The JDK the launcher runs Nimbus with (21+: the client uses Java 21 APIs), not whatever java is first on PATH.
JAVA="$("$ROOT/nimbus" jdk | cut -d" " -f1)/bin/java"
WORK="$(mktemp -d)"
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"' EXIT
export CLK_TCK="$(getconf CLK_TCK)"

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 1800); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; echo "no answer from $1" >&2; return 1; }

P="$(port)"
"$ROOT/nimbus" start --port "$P" --data-dir "$WORK/nimbus" >"$WORK/nimbus.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$P/_nimbus/health"
# the launcher execs the JVM, so $! is the server's pid
echo "== Nimbus (durable data dir) $(nproc) cores, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
"$JAVA" "$ROOT/bench/S3Bench.java" "http://127.0.0.1:$P" "${PIDS[-1]}" "$CLIENTS" "$DURATION" "$BIG_MIB" "$LIST_KEYS"
echo "Nimbus RSS after: $(grep VmRSS /proc/"${PIDS[-1]}"/status | tr -s ' ')"
kill "${PIDS[-1]}"

if [[ "$ROUNDTRIP_GB" != 0 ]]; then
  P="$(port)"
  # -Xmx256m: the round trip must stream; a body held in memory anywhere would fail it with OutOfMemoryError
  NIMBUS_JAVA_OPTS="-Xmx256m" "$ROOT/nimbus" start --port "$P" --data-dir "$WORK/roundtrip" >"$WORK/roundtrip.log" 2>&1 &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$P/_nimbus/health"
  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1
  s3() { aws --endpoint-url "http://127.0.0.1:$P" s3 "$@"; }
  head -c "$((ROUNDTRIP_GB * 1000000000))" /dev/urandom >"$WORK/up.bin"
  s3 mb s3://roundtrip >/dev/null
  echo "== aws s3 cp round trip of $ROUNDTRIP_GB GB, server -Xmx256m, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  t0=$(date +%s.%N)
  s3 cp --only-show-errors "$WORK/up.bin" s3://roundtrip/big.bin
  t1=$(date +%s.%N)
  s3 cp --only-show-errors s3://roundtrip/big.bin "$WORK/down.bin"
  t2=$(date +%s.%N)
  cmp "$WORK/up.bin" "$WORK/down.bin"
  python3 -c "import sys; gb=float(sys.argv[1]); up=float(sys.argv[3])-float(sys.argv[2]); down=float(sys.argv[4])-float(sys.argv[3]); \
print(f'upload {up:.1f} s ({gb*1000/up:.0f} MB/s), download {down:.1f} s ({gb*1000/down:.0f} MB/s), downloaded file identical')" "$ROUNDTRIP_GB" "$t0" "$t1" "$t2"
  "$(dirname "$JAVA")/jcmd" "${PIDS[-1]}" GC.heap_info | grep -i "total"
  echo "server peak RSS: $(grep VmHWM /proc/"${PIDS[-1]}"/status | tr -s ' ')"
  rm -f "$WORK/up.bin" "$WORK/down.bin"
  kill "${PIDS[-1]}"
fi

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
  "$JAVA" "$ROOT/bench/S3Bench.java" "http://127.0.0.1:$P" "${PIDS[-1]}" "$CLIENTS" "$DURATION" "$BIG_MIB" "$LIST_KEYS"
  echo "s3proxy RSS after: $(grep VmRSS /proc/"${PIDS[-1]}"/status | tr -s ' ')"
fi
