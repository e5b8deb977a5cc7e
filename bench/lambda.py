#!/usr/bin/env python3
"""Lambda numbers: cold start per runtime, warm Invoke latency and throughput, idle cost of deployed
functions, and no leaked processes or file descriptors after many invocations.

Starts `./nimbus start --ephemeral` on a free loopback port and stops it at the end. Functions are
created with boto3; invocations are raw HTTP/1.1 over kept-alive connections (what an SDK sends,
without the client's own signing cost in the figures). See bench/README.md."""
import argparse
import base64
import http.client
import multiprocessing
import os
import re
import shutil
import socket
import statistics
import subprocess
import tempfile
import time

from nimbus_bench import AUTH, Nimbus, cpu_seconds, percentile, zip_files

INIT = re.compile(r"Init Duration: ([\d.]+) ms")

PY = ("app.py", "def handler(event, context):\n    return {'hello': event.get('name', 'world')}\n")
NODE = ("index.mjs", "export const handler = async (event) => ({ hello: event.name ?? 'world' });\n")
JAVA = """package bench;
import java.util.Map;
public class Hello {
    public Map<String, Object> handle(Map<String, Object> event) { return Map.of("hello", event.getOrDefault("name", "world")); }
}
"""






def java_zip():
    """Compiles the Java handler with the JDK the launcher would use (JAVA_HOME, else javac on PATH)."""
    javac = os.path.join(os.environ["JAVA_HOME"], "bin", "javac") if os.environ.get("JAVA_HOME") else shutil.which("javac")
    work = tempfile.mkdtemp(prefix="nimbus-bench-java")
    try:
        os.makedirs(os.path.join(work, "src", "bench"))
        with open(os.path.join(work, "src", "bench", "Hello.java"), "w") as f:
            f.write(JAVA)
        subprocess.run([javac, "--release", "17", "-d", os.path.join(work, "out"), os.path.join(work, "src", "bench", "Hello.java")], check=True)
        with open(os.path.join(work, "out", "bench", "Hello.class"), "rb") as f:
            return zip_files([("bench/Hello.class", f.read())])
    finally:
        shutil.rmtree(work)


RUNTIMES = {
    "python": ("python3.12", "app.handler", lambda: zip_files([PY])),
    "node": ("nodejs22.x", "index.handler", lambda: zip_files([NODE])),
    "java": ("java21", "bench.Hello::handle", java_zip),
}


class Invoker:
    """One kept-alive connection that invokes functions as the SDK does (POST .../invocations)."""

    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port)
        self.conn.connect()
        self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def invoke(self, name, payload=b'{"name":"bench"}', tail=False):
        headers = {"Authorization": AUTH, "Content-Type": "application/json"}
        if tail:
            headers["X-Amz-Log-Type"] = "Tail"
        self.conn.request("POST", "/2015-03-31/functions/%s/invocations" % name, body=payload, headers=headers)
        r = self.conn.getresponse()
        body = r.read()
        if r.status != 200 or r.getheader("X-Amz-Function-Error"):
            raise RuntimeError("invoke %s: %s %s" % (name, r.status, body[:300]))
        return body, r.getheader("X-Amz-Log-Result")




def rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def descendants(pid):
    """Every process below pid, from /proc (ppid links)."""
    children = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    stat = f.read()
                ppid = int(stat[stat.rindex(")") + 2:].split()[1])
                children.setdefault(ppid, []).append(int(d))
            except (OSError, ValueError):
                pass
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out




def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
        return stat[stat.rindex(")") + 2] != "Z"
    except OSError:
        return False


def throughput_worker(port, name, seconds, start_at, out):
    inv = Invoker(port)
    while time.time() < start_at:
        time.sleep(0.001)
    end = start_at + seconds
    n = 0
    while time.time() < end:
        inv.invoke(name)
        n += 1
    out.put(n)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--cold", type=int, default=5, help="new functions per runtime for the cold start figure")
    ap.add_argument("--warm", type=int, default=2000, help="sequential warm invokes per runtime")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--functions", type=int, default=1000, help="deployed functions for the idle RSS figure")
    ap.add_argument("--spread", type=int, default=100, help="functions the 10,000 invocations are spread over")
    ap.add_argument("--invocations", type=int, default=10000)
    ap.add_argument("--runtimes", default="python,node,java")
    ap.add_argument("--skip", default="", help="parts not to run, of warm,throughput,idle,leaks (cold start always runs: it creates the functions)")
    args = ap.parse_args()
    skip = set(args.skip.split(",")) - {""}
    runtimes = args.runtimes.split(",")

    env_procs = []
    with Nimbus("lambda") as nimbus:
        port, pid = nimbus.port, nimbus.pid
        lam = nimbus.client("lambda")
        print("nimbus pid %d on port %d; %d cores; %s" % (pid, port, os.cpu_count(), os.uname().release))
        zips = {r: RUNTIMES[r][2]() for r in runtimes}

        def create(name, runtime_key, memory=128):
            rt, handler, _ = RUNTIMES[runtime_key]
            nimbus.create_function(lam, name, rt, handler, zips[runtime_key], memory)

        inv = Invoker(port)
        # The first function of a runtime pays one-off costs (interpreter lookup; the Java bootstrap's compilation):
        # shown apart, not in the cold start figures.
        print("\n== cold start: invoke -> response on a function just created (%d each) ==" % args.cold)
        for r in runtimes:
            create("first-" + r, r)
            t = time.perf_counter()
            inv.invoke("first-" + r)
            first = (time.perf_counter() - t) * 1000
            cold, init = [], []
            for i in range(args.cold):
                name = "cold-%s-%d" % (r, i)
                create(name, r)
                t = time.perf_counter()
                _, tail = inv.invoke(name, tail=True)
                cold.append((time.perf_counter() - t) * 1000)
                m = INIT.search(base64.b64decode(tail).decode())
                if m:
                    init.append(float(m.group(1)))
            print("%-7s cold median %7.1f ms (min %.1f, max %.1f); Init Duration median %.1f ms; first function of the runtime %.1f ms"
                  % (r, statistics.median(cold), min(cold), max(cold), statistics.median(init) if init else float("nan"), first))

        print("\n== warm sync Invoke, 1 client, %d invokes after 200 warm-up ==" % args.warm)
        for r in runtimes if "warm" not in skip else []:
            name = "cold-%s-0" % r
            for _ in range(200):
                inv.invoke(name)
            lat = []
            for _ in range(args.warm):
                t = time.perf_counter()
                inv.invoke(name)
                lat.append((time.perf_counter() - t) * 1000)
            print("%-7s p50 %.2f ms  p99 %.2f ms  max %.2f ms" % (r, percentile(lat, 50), percentile(lat, 99), max(lat)))

        wrk = shutil.which("wrk")
        print("\n== warm throughput, %d clients (%s), %.0f s ==" % (args.clients, "wrk, 1 thread" if wrk else "python processes", args.seconds))
        for r in runtimes if "throughput" not in skip else []:
            name = "cold-%s-0" % r
            if wrk:
                # wrk: a light client in C, so that the figure is the server's rather than python's.
                url = "http://127.0.0.1:%d/2015-03-31/functions/%s/invocations" % (port, name)
                script = os.path.join(ROOT, "bench", "lambda.lua")
                subprocess.run([wrk, "-t1", "-c%d" % args.clients, "-d2s", "-s", script, url], check=True, capture_output=True)
                envs = descendants(pid)  # the warm environments' processes (bwrap, its init, the runtime)
                server_cpu, env_cpu = cpu_seconds([pid]), cpu_seconds(envs)
                out = subprocess.run([wrk, "-t1", "-c%d" % args.clients, "-d%ds" % args.seconds, "--latency", "-s", script, url],
                                     check=True, capture_output=True, text=True).stdout
                server_cpu, env_cpu = cpu_seconds([pid]) - server_cpu, cpu_seconds(envs) - env_cpu
                rps = re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)
                total = int(re.search(r"(\d+) requests in", out).group(1))
                p99 = re.search(r"99%\s+(\S+)", out).group(1)
                errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
                print("%-7s %s invokes/s, p99 %s, non-2xx %s; CPU per invoke: server %.0f us, environments %.0f us (load %s)"
                      % (r, rps, p99, errors.group(1) if errors else 0, server_cpu * 1e6 / total, env_cpu * 1e6 / total,
                         " ".join(open("/proc/loadavg").read().split()[:3])))
                continue
            # warm up as many environments as there will be concurrent clients
            q = multiprocessing.Queue()
            procs = [multiprocessing.Process(target=throughput_worker, args=(port, name, 2, time.time() + 0.5, q)) for _ in range(args.clients)]
            [p.start() for p in procs]
            [q.get() for _ in procs]
            [p.join() for p in procs]
            start_at = time.time() + 0.5
            procs = [multiprocessing.Process(target=throughput_worker, args=(port, name, args.seconds, start_at, q)) for _ in range(args.clients)]
            [p.start() for p in procs]
            total = sum(q.get() for _ in procs)
            [p.join() for p in procs]
            print("%-7s %d invokes, %.0f invokes/s" % (r, total, total / args.seconds))

        if "idle" in skip:
            return
        print("\n== %d deployed functions, idle ==" % args.functions)
        for fn in lam.get_paginator("list_functions").paginate():
            for f in fn["Functions"]:
                lam.delete_function(FunctionName=f["FunctionName"])
        time.sleep(2)
        before = rss_mb(pid)
        t = time.perf_counter()
        for i in range(args.functions):
            create("idle-%04d" % i, "python")
        took = time.perf_counter() - t
        time.sleep(3)
        print("server RSS %.0f MB before, %.0f MB after %d CreateFunction (%.1f ms each)"
              % (before, rss_mb(pid), args.functions, took * 1000 / args.functions))

        if "leaks" in skip:
            return
        print("\n== %d invocations over %d functions (%d clients), then the functions deleted ==" % (args.invocations, args.spread, args.clients))
        fds_before = fd_count(pid)
        names = ["idle-%04d" % i for i in range(args.spread)]
        q = multiprocessing.Queue()

        def spread_worker(k):
            # Client k sends invocations k, k + clients, k + 2 * clients ...: all of them, whatever the remainder.
            c = Invoker(port)
            mine = range(k, args.invocations, args.clients)
            for j in mine:
                c.invoke(names[j % len(names)])
            q.put(len(mine))

        t = time.perf_counter()
        procs = [multiprocessing.Process(target=spread_worker, args=(k,)) for k in range(args.clients)]
        [p.start() for p in procs]
        done = sum(q.get() for _ in procs)
        [p.join() for p in procs]
        took = time.perf_counter() - t
        env_procs = descendants(pid)
        fds_busy = fd_count(pid)
        for n in names:
            lam.delete_function(FunctionName=n)
        deadline = time.time() + 30
        while [p for p in descendants(pid) if alive(p)] and time.time() < deadline:
            time.sleep(0.1)
        left = [p for p in descendants(pid) if alive(p)]
        fds_after = fd_count(pid)
        print("%d invocations in %.1f s; %d processes under the server while warm, %d left after DeleteFunction"
              % (done, took, len(env_procs), len(left)))
        print("server fds: %d before, %d with the environments warm, %d after DeleteFunction" % (fds_before, fds_busy, fds_after))
    survivors = [p for p in env_procs if alive(p)]
    print("after the server stopped: %d of its environment processes still running" % len(survivors))


if __name__ == "__main__":
    main()
