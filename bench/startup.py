#!/usr/bin/env python3
"""Start-up benchmark for Nimbus: time from exec of `./nimbus start` to the first served AWS request
(STS GetCallerIdentity, polled every 2 ms), and the server's idle RSS a few seconds later.

Each JVM cache mode (NIMBUS_JVM_CACHE: auto = JDK 25's AOT cache or AppCDS before, cds = AppCDS,
off = none) gets one untimed run first (builds the jar and the cache if needed), then N timed runs.

    python3 bench/startup.py [--runs 10] [--modes auto,cds,off] [--idle 3]
"""
import argparse
import os
import signal
import socket
import statistics
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BODY = b"Action=GetCallerIdentity&Version=2011-06-15"
AUTH = b"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=0"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_caller_identity(port):
    """True when the server answered 200. Reads the response by Content-Length: a server need not close."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                  b"Authorization: " + AUTH + b"\r\nContent-Length: " + str(len(BODY)).encode() + b"\r\n\r\n" + BODY)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                return False
            data += chunk
        return data.startswith(b"HTTP/1.1 200")


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def one_run(mode, idle):
    """(ms to first served request, idle RSS in MB, exit status, java binary) of one server start."""
    port = free_port()
    env = dict(os.environ, NIMBUS_JVM_CACHE=mode)
    log = open(os.path.join(ROOT, "target", f"bench-startup-{mode}.log"), "w")
    t0 = time.perf_counter()
    p = subprocess.Popen([os.path.join(ROOT, "nimbus"), "start", "--ephemeral", "--port", str(port)],
                         env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = t0 + 300  # a first run may build the jar and the cache
        while True:
            try:
                if get_caller_identity(port):
                    break
            except OSError:
                pass
            if p.poll() is not None:
                raise SystemExit(f"server exited with {p.returncode} before answering; see target/bench-startup-{mode}.log")
            if time.perf_counter() > deadline:
                raise SystemExit("server did not answer within 300 s")
            time.sleep(0.002)
        ms = (time.perf_counter() - t0) * 1000
        time.sleep(idle)
        rss = rss_mb(p.pid)  # the launcher execs java: same pid
        java = os.readlink(f"/proc/{p.pid}/exe")
    finally:
        p.send_signal(signal.SIGTERM)
        status = p.wait(timeout=60)
        log.close()
    return ms, rss, status, java


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--modes", default="auto,cds,off")
    ap.add_argument("--idle", type=float, default=3.0, help="seconds after the first request before reading RSS")
    args = ap.parse_args()
    os.makedirs(os.path.join(ROOT, "target"), exist_ok=True)
    rows = []
    for mode in args.modes.split(","):
        one_run(mode, 0)  # untimed: build and cache as needed, warm the page cache
        times, rsss, statuses = [], [], set()
        for _ in range(args.runs):
            ms, rss, status, java = one_run(mode, args.idle)
            times.append(ms)
            rsss.append(rss)
            statuses.add(status)
        rows.append((mode, times, rsss, statuses, java))
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; JDK: {rows[0][4]}")
    print(f"{'cache':6} {'runs':>4} {'start median':>13} {'min':>7} {'max':>7} {'idle RSS median':>16} {'max':>7}  exit")
    for mode, times, rsss, statuses, _ in rows:
        print(f"{mode:6} {len(times):4} {statistics.median(times):10.0f} ms {min(times):4.0f} ms {max(times):4.0f} ms"
              f" {statistics.median(rsss):13.0f} MB {max(rsss):4.0f} MB  {','.join(map(str, sorted(statuses)))}")


if __name__ == "__main__":
    main()
