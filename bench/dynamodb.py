#!/usr/bin/env python3
"""DynamoDB: Nimbus side by side with DynamoDB Local in the same session.

For each server: PutItem, GetItem and Query (10 items per partition) with wrk (1 thread, --clients
connections, bench/ddb.lua), req/s, p50/p99 latency and server CPU per request (utime + stime from
/proc/PID/stat, before and after the run, divided by the requests served). Then, on Nimbus only,
a table of --big (1,000,000) items loaded with BatchWriteItem, and Query latency on it from one
connection (p50/p99).

    python3 bench/dynamodb.py [--clients 16] [--seconds 10] [--big 1000000] [--durable]

Needs wrk, a JDK 21+ for both servers, and Maven with network access the first time (DynamoDB Local
is resolved through the throwaway bench/dynamodb-local/pom.xml).
"""
import argparse
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TCK = os.sysconf("SC_CLK_TCK")
JAVA_HOME = os.environ.get("JAVA_HOME", "/usr/lib/jvm/temurin-25-jdk-amd64")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    return 0


class Client:
    """Raw awsJson 1.0 calls over one kept-alive connection (what the SDKs send, without their signing cost)."""

    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def call(self, op, body):
        headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810." + op,
                   "Authorization": "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250101/us-east-1/dynamodb/aws4_request, "
                                    "SignedHeaders=host, Signature=" + "0" * 64, "X-Amz-Date": "20250101T000000Z"}
        self.conn.request("POST", "/", json.dumps(body), headers)
        res = self.conn.getresponse()
        data = res.read()
        if res.status != 200:
            raise RuntimeError(f"{op}: {res.status} {data[:300]}")
        return json.loads(data)


def create(port, name, range_key=False):
    c = Client(port)
    attrs = [{"AttributeName": "pk", "AttributeType": "S"}]
    keys = [{"AttributeName": "pk", "KeyType": "HASH"}]
    if range_key:
        attrs.append({"AttributeName": "sk", "AttributeType": "N"})
        keys.append({"AttributeName": "sk", "KeyType": "RANGE"})
    c.call("CreateTable", {"TableName": name, "AttributeDefinitions": attrs, "KeySchema": keys, "BillingMode": "PAY_PER_REQUEST"})
    for _ in range(600):
        if c.call("DescribeTable", {"TableName": name})["Table"]["TableStatus"] == "ACTIVE":
            return
        time.sleep(0.1)


def load(port, table, items, threads=4):
    """Writes items (a list of item dicts) with BatchWriteItem, 25 per call, from a few threads."""
    batches = [items[i:i + 25] for i in range(0, len(items), 25)]
    lock = threading.Lock()

    def work():
        c = Client(port)
        while True:
            with lock:
                if not batches:
                    return
                batch = batches.pop()
            req = {table: [{"PutRequest": {"Item": it}} for it in batch]}
            while req:
                req = c.call("BatchWriteItem", {"RequestItems": req}).get("UnprocessedItems") or None

    ts = [threading.Thread(target=work) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


def wrk(port, op, clients, seconds, pid, env=None):
    e = dict(os.environ, DDB_OP=op, **(env or {}))
    before = cpu_ticks(pid)
    out = subprocess.run(["wrk", "-t1", f"-c{clients}", f"-d{seconds}s", "--latency", "-s", os.path.join(ROOT, "bench", "ddb.lua"),
                          f"http://127.0.0.1:{port}/"], capture_output=True, text=True, env=e, check=True).stdout
    ticks = cpu_ticks(pid) - before
    reqs = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M))
    return {"req/s": float(re.search(r"Requests/sec:\s+(\S+)", out).group(1)), "p50": lat.get("50"), "p99": lat.get("99"),
            "cpu_us": ticks / TCK / max(reqs, 1) * 1e6, "errors": int(errors.group(1)) if errors else 0}


def start_nimbus(durable):
    log = open(os.path.join(ROOT, "target", "bench-dynamodb-nimbus.log"), "w")
    args = [os.path.join(ROOT, "nimbus"), "start", "--port", "0"]
    args += ["--data-dir", tempfile.mkdtemp(prefix="nimbus-bench-ddb-")] if durable else ["--ephemeral"]
    p = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(3000):
        with open(log.name) as f:
            m = re.search(r"ready on http://[^:]+:(\d+)", f.read())
        if m:
            return p, int(m.group(1))
        if p.poll() is not None:
            break
        time.sleep(0.1)
    sys.exit("nimbus did not start; see " + log.name)


def start_local():
    pom = os.path.join(ROOT, "bench", "dynamodb-local", "pom.xml")
    cp_file = os.path.join(ROOT, "target", "dynamodb-local.classpath")
    if not os.path.exists(cp_file):
        subprocess.run(["mvn", "-q", "-f", pom, "dependency:build-classpath", "-Dmdep.outputFile=" + cp_file], check=True,
                       env=dict(os.environ, JAVA_HOME=JAVA_HOME))
    cp = open(cp_file).read().strip()
    native = os.path.dirname(next(j for j in cp.split(":") if "libsqlite4java-linux-amd64" in j))
    port = free_port()
    log = open(os.path.join(ROOT, "target", "bench-dynamodb-local.log"), "w")
    p = subprocess.Popen([os.path.join(JAVA_HOME, "bin", "java"), "-Dsqlite4java.library.path=" + native, "-cp", cp,
                          "com.amazonaws.services.dynamodbv2.local.main.ServerRunner", "-inMemory", "-disableTelemetry", "-port", str(port)],
                         stdout=log, stderr=subprocess.STDOUT)
    for _ in range(600):
        try:
            Client(port).call("ListTables", {})
            return p, port
        except (OSError, RuntimeError, http.client.HTTPException):
            if p.poll() is not None:
                break
            time.sleep(0.2)
    sys.exit("DynamoDB Local did not start; see " + log.name)


def prepare(port, a):
    create(port, "items")
    create(port, "parts", range_key=True)
    load(port, "items", [{"pk": {"S": f"k{i}"}, "n": {"N": str(i)}, "s": {"S": "x" * 60}} for i in range(1, a.keys + 1)])
    load(port, "parts", [{"pk": {"S": f"p{p}"}, "sk": {"N": str(s)}, "v": {"S": "y" * 40}} for p in range(1, 1001) for s in range(10)])


def compare(servers, a):
    """Runs alternate between the servers (the machine's load drifts); per server and op the best of --rounds is kept."""
    best = {name: {} for name in servers}
    for op in ["put", "get", "query"]:
        for name, (proc, port) in servers.items():
            wrk(port, op, a.clients, a.warmup, proc.pid, {"DDB_KEYS": str(a.keys)})  # warm-up: JIT compilation counts as CPU
        for _ in range(a.rounds):
            for name, (proc, port) in servers.items():
                r = wrk(port, op, a.clients, a.seconds, proc.pid, {"DDB_KEYS": str(a.keys)})
                if op not in best[name] or r["cpu_us"] < best[name][op]["cpu_us"]:
                    best[name][op] = r
    for name, (proc, port) in servers.items():
        print(f"\n{name} (pid {proc.pid}, RSS {rss_mb(proc.pid):.0f} MB after the runs)")
        print(f"{'op':6} {'req/s':>9} {'p50':>9} {'p99':>9} {'CPU us/req':>11} {'errors':>7}")
        for op, r in best[name].items():
            print(f"{op:6} {r['req/s']:9.0f} {r['p50']:>9} {r['p99']:>9} {r['cpu_us']:11.1f} {r['errors']:7d}")
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--keys", type=int, default=10000)
    ap.add_argument("--big", type=int, default=1000000)
    ap.add_argument("--durable", action="store_true", help="Nimbus on a data dir instead of --ephemeral")
    ap.add_argument("--skip-local", action="store_true")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=10)
    a = ap.parse_args()
    os.makedirs(os.path.join(ROOT, "target"), exist_ok=True)
    print(f"load average before: {open('/proc/loadavg').read().split()[:3]}, cores: {os.cpu_count()}")
    nimbus, nport = start_nimbus(a.durable)
    local = None
    try:
        name = "Nimbus" + (" (durable)" if a.durable else " (--ephemeral)")
        servers = {name: (nimbus, nport)}
        if not a.skip_local:
            local, lport = start_local()
            servers["DynamoDB Local (-inMemory)"] = (local, lport)
        for proc, port in servers.values():
            prepare(port, a)
        best = compare(servers, a)
        if local:
            local.terminate()
            local.wait()
            ours, theirs = best[name], best["DynamoDB Local (-inMemory)"]
            print("\nNimbus / DynamoDB Local, req/s: " + ", ".join(f"{op} {ours[op]['req/s'] / max(theirs[op]['req/s'], 1):.1f}x" for op in ours)
                  + "; CPU per request: " + ", ".join(f"{op} {theirs[op]['cpu_us'] / max(ours[op]['cpu_us'], 0.1):.1f}x less" for op in ours))
        if a.big:
            create(nport, "big", range_key=True)
            started = time.time()
            per = 10
            for chunk in range(0, a.big, 100000):
                load(nport, "big", [{"pk": {"S": f"p{i // per}"}, "sk": {"N": str(i % per)}, "v": {"S": "z" * 40}}
                                    for i in range(chunk, min(a.big, chunk + 100000))])
            took = time.time() - started
            print(f"\nloaded {a.big} items in {took:.0f} s ({a.big / took:.0f} items/s, BatchWriteItem from 4 connections)")
            r = wrk(nport, "query", 1, a.seconds, nimbus.pid, {"DDB_TABLE": "big", "DDB_PARTITIONS": str(a.big // per)})
            print(f"Query on the {a.big}-item table, 1 connection ({per} items a partition): p50 {r['p50']}, p99 {r['p99']}, "
                  f"{r['req/s']:.0f} req/s, {r['cpu_us']:.0f} us CPU/req")
        print(f"load average after: {open('/proc/loadavg').read().split()[:3]}")
    finally:
        for p in (nimbus, local):
            if p and p.poll() is None:
                p.terminate()
                p.wait()


if __name__ == "__main__":
    main()
