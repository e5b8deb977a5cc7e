#!/usr/bin/env bash
# Throughput benchmark for Nimbus: STS GetCallerIdentity over keep-alive connections with wrk
# (bench/sts.lua), 16 connections on 1 client thread. Warms up, then RUNS bounded runs; for each:
# req/s and p99 latency from wrk, and the server's CPU time per request from /proc/PID/stat
# (utime + stime before and after, in clock ticks / CLK_TCK, divided by the requests served).
#
#   bash bench/throughput.sh            # RUNS=3 DURATION=10 WARMUP=10 CONNECTIONS=16 THREADS=1
#
# One wrk thread drives the 16 connections: on 2 cores a second client thread competes with the
# server's two carrier threads, and the scheduler's time slices then show up as the p99 (8 ms with
# 2 wrk threads against 3.5 ms with 1, at the same ~60k req/s).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${RUNS:-3}" DURATION="${DURATION:-10}" WARMUP="${WARMUP:-10}"
CONNECTIONS="${CONNECTIONS:-16}" THREADS="${THREADS:-1}"
command -v wrk >/dev/null || { echo "bench: needs wrk (apt-get install -y wrk)" >&2; exit 1; }

mkdir -p "$ROOT/target"
LOG="$ROOT/target/bench-throughput.log"
"$ROOT/nimbus" start --ephemeral --port 0 >"$LOG" 2>&1 &
PID=$! # the launcher execs java: this is the server's pid
trap 'kill -TERM $PID 2>/dev/null && wait $PID || true' EXIT
URL=""
for ((i = 0; i < 3000; i++)); do
  URL="$(sed -n 's|.* ready on \(http://[^ ]*\).*|\1|p' "$LOG")"
  [[ -n "$URL" ]] && break
  kill -0 "$PID" 2>/dev/null || { cat "$LOG" >&2; exit 1; }
  sleep 0.1
done
[[ -n "$URL" ]] || { echo "bench: server did not start; see $LOG" >&2; exit 1; }
PORT="${URL##*:}"
for ((i = 0; i < 100; i++)); do
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  sleep 0.1
done

cpu_ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
TCK="$(getconf CLK_TCK)"

wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s "$ROOT/bench/sts.lua" "$URL/" >/dev/null

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg); JDK: $(readlink "/proc/$PID/exe")"
echo "GetCallerIdentity, $CONNECTIONS connections, $THREADS wrk threads, ${DURATION}s per run after ${WARMUP}s warm-up"
printf '%-4s %10s %10s %9s %13s %8s\n' run requests "req/s" p99 "CPU/request" errors
for ((run = 1; run <= RUNS; run++)); do
  before="$(cpu_ticks)"
  out="$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$ROOT/bench/sts.lua" "$URL/")"
  after="$(cpu_ticks)"
  requests="$(awk '/requests in/ {print $1}' <<<"$out")"
  rps="$(awk '/^Requests\/sec/ {printf "%.0f", $2}' <<<"$out")"
  p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
  errors="$(awk '/Non-2xx/ {n += $NF} /Socket errors/ {gsub(/,/, ""); n += $4 + $6 + $8 + $10} END {print n + 0}' <<<"$out")"
  us="$(awk -v t=$((after - before)) -v hz="$TCK" -v n="$requests" 'BEGIN {printf "%.1f", t / hz / n * 1e6}')"
  printf '%-4s %10s %10s %9s %10s us %8s\n' "$run" "$requests" "$rps" "$p99" "$us" "$errors"
done
echo "server RSS after the runs: $(awk '/VmRSS/ {printf "%.0f MB", $2 / 1024}' "/proc/$PID/status")"
