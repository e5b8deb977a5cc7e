#!/usr/bin/env bash
# SQS throughput and server CPU, Nimbus against ElasticMQ, one server at a time on the same cores:
# SendMessage, then ReceiveMessage+DeleteMessage pairs, each with 16 keep-alive connections (wrk,
# bench/sqs-*.lua, json 1.0 as current SDKs speak it); server CPU per operation from /proc/PID/stat;
# then the long-poll wake latency (bench/sqs-longpoll.py). ElasticMQ comes from Maven Central
# through the throwaway bench/elasticmq/pom.xml.
#   bash bench/sqs.sh                 # DURATION=10 WARMUP=15 CONNECTIONS=16 (the warm-up lets the JIT compile the hot paths first)
#   SKIP="memory elasticmq" bash bench/sqs.sh   # leaves out those of the runs memory, disk, elasticmq
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DURATION="${DURATION:-10}" WARMUP="${WARMUP:-15}" CONNECTIONS="${CONNECTIONS:-16}" SKIP="${SKIP:-}"
skipped() { [[ " $SKIP " == *" $1 "* ]]; }
command -v wrk >/dev/null || { echo "bench: needs wrk (apt-get install -y wrk)" >&2; exit 1; }
JAVA="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
mkdir -p "$ROOT/target"
if ! skipped elasticmq && [[ ! -d "$ROOT/bench/elasticmq/target/lib" ]]; then
  mvn -q -B -f "$ROOT/bench/elasticmq/pom.xml" dependency:copy-dependencies -DoutputDirectory=target/lib
fi

PID=""
trap '[[ -n "$PID" ]] && kill -TERM $PID 2>/dev/null; wait 2>/dev/null || true' EXIT
TCK="$(getconf CLK_TCK)"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }

json() { # json URL TARGET BODY
  curl -s -X POST "$1/" -H "Content-Type: application/x-amz-json-1.0" -H "X-Amz-Target: AmazonSQS.$2" \
    -H "Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0" -d "$3"
}

wait_port() {
  for ((i = 0; i < 600; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    kill -0 "$PID" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

run() { # run NAME URL
  local name="$1" url="$2" before after out requests q
  export QUEUE_URL
  QUEUE_URL="$(json "$url" CreateQueue '{"QueueName":"bench"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["QueueUrl"])')"
  wrk -t1 -c"$CONNECTIONS" -d"${WARMUP}s" -s "$ROOT/bench/sqs-send.lua" "$url/" >/dev/null
  before="$(cpu_ticks)"
  out="$(wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$ROOT/bench/sqs-send.lua" "$url/")"
  after="$(cpu_ticks)"
  requests="$(awk '/requests in/ {print $1}' <<<"$out")"
  printf '%-10s %-16s %8.0f/s  p99 %8s  CPU %7.1f us/op  non-2xx %s\n' "$name" SendMessage \
    "$(awk -v n="$requests" -v d="$DURATION" 'BEGIN {print n / d}')" "$(awk '$1 == "99%" {print $2}' <<<"$out")" \
    "$(awk -v t=$((after - before)) -v hz="$TCK" -v n="$requests" 'BEGIN {print t / hz / n * 1e6}')" \
    "$(awk '/Non-2xx/ {print $NF}' <<<"$out" | grep . || echo 0)"
  # More messages first (unmeasured): the pairs must not drain the queue and time empty receives.
  wrk -t1 -c"$CONNECTIONS" -d"$((DURATION * 2))s" -s "$ROOT/bench/sqs-send.lua" "$url/" >/dev/null
  before="$(cpu_ticks)"
  out="$(wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$ROOT/bench/sqs-receive-delete.lua" "$url/")"
  after="$(cpu_ticks)"
  local pairs empty
  pairs="$(awk '/^pairs/ {print $2}' <<<"$out")"
  empty="$(awk '/^pairs/ {print $4}' <<<"$out")"
  printf '%-10s %-16s %8.0f/s  p99 %8s  CPU %7.1f us/pair  empty receives %s\n' "$name" Receive+Delete \
    "$(awk -v n="$pairs" -v d="$DURATION" 'BEGIN {print n / d}')" "$(awk '$1 == "99%" {print $2}' <<<"$out")" \
    "$(awk -v t=$((after - before)) -v hz="$TCK" -v n="$pairs" 'BEGIN {print t / hz / n * 1e6}')" "$empty"
  python3 "$ROOT/bench/sqs-longpoll.py" "$url" "$name"
}

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg); ${CONNECTIONS} connections, ${DURATION}s runs after ${WARMUP}s warm-up"

nimbus() { # nimbus NAME ARGS...: Nimbus in memory (as ElasticMQ is) and on a data dir (every change on disk)
  local name="$1" url="" log="$ROOT/target/bench-sqs-$1.log"
  shift
  : >"$log" # there before the server's first line, as the loop below reads it at once
  "$ROOT/nimbus" start --port 0 "$@" >"$log" 2>&1 &
  PID=$!
  for ((i = 0; i < 3000; i++)); do [[ -n "$url" ]] && break; url="$(sed -n 's|.* ready on \(http://[^ ]*\).*|\1|p' "$log")"; sleep 0.1; done
  wait_port "${url##*:}"
  run "$name" "$url"
  echo "           server RSS $(awk '/VmRSS/ {printf "%.0f MB", $2 / 1024}' "/proc/$PID/status")"
  kill -TERM "$PID"; wait "$PID" 2>/dev/null || true
}
skipped memory || nimbus Nimbus --ephemeral
rm -rf "$ROOT/target/bench-sqs-data"
skipped disk || nimbus Nimbus-disk --data-dir "$ROOT/target/bench-sqs-data"
skipped elasticmq && exit 0

PORT=$((20000 + RANDOM % 20000))
cat >"$ROOT/target/bench-elasticmq.conf" <<CONF
include classpath("application.conf")
node-address { protocol = http, host = localhost, port = $PORT, context-path = "" }
rest-sqs { enabled = true, bind-port = $PORT, bind-hostname = "127.0.0.1", sqs-limits = strict }
rest-stats { enabled = false }
CONF
"$JAVA" -Dconfig.file="$ROOT/target/bench-elasticmq.conf" -cp "$ROOT/bench/elasticmq/target/lib/*" org.elasticmq.server.Main \
  >"$ROOT/target/bench-sqs-elasticmq.log" 2>&1 &
PID=$!
wait_port "$PORT"
run ElasticMQ "http://127.0.0.1:$PORT"
echo "           server RSS $(awk '/VmRSS/ {printf "%.0f MB", $2 / 1024}' "/proc/$PID/status")"
