#!/usr/bin/env python3
"""API Gateway numbers: a REST API and an HTTP API in front of a warm Python hello function, and a
MOCK integration: throughput with keep-alive clients (wrk), server CPU time per request, and the
gateway's latency overhead over a direct Lambda Invoke at p50.

Starts `./nimbus start --ephemeral` on a free loopback port and stops it at the end. APIs are set up
with boto3 (apigateway, apigatewayv2, lambda); invocations are raw HTTP/1.1 over kept-alive
connections. See bench/README.md."""
import argparse
import http.client
import io
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import zipfile

import boto3
from botocore.config import Config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AUTH = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=0"
HELLO = "def handler(event, context):\n    return {'statusCode': 200, 'headers': {'Content-Type': 'text/plain'}, 'body': 'hello'}\n"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def percentile(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(len(s) * p / 100))]


def sequential(port, method, path, body, headers, n):
    """Latencies (ms) of n requests, one after the other on one kept-alive connection."""
    c = http.client.HTTPConnection("127.0.0.1", port)
    out = []
    for _ in range(n + 50):
        t = time.perf_counter()
        c.request(method, path, body=body, headers=headers)
        r = c.getresponse()
        r.read()
        if r.status != 200:
            sys.exit("%s %s -> %d" % (method, path, r.status))
        out.append((time.perf_counter() - t) * 1000)
    c.close()
    return out[50:]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--sequential", type=int, default=2000, help="requests per path for the p50 figures")
    args = ap.parse_args()
    port = free_port()
    endpoint = "http://127.0.0.1:%d" % port
    log = open(os.path.join(ROOT, "target", "bench-apigateway.log"), "w") if os.path.isdir(os.path.join(ROOT, "target")) else subprocess.DEVNULL
    server = subprocess.Popen([os.path.join(ROOT, "nimbus"), "start", "--ephemeral", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    conf = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key="x",
                config=Config(retries={"max_attempts": 0}, read_timeout=120))
    lam, v1, v2 = boto3.client("lambda", **conf), boto3.client("apigateway", **conf), boto3.client("apigatewayv2", **conf)
    try:
        deadline = time.time() + 180
        while True:
            try:
                lam.list_functions()
                break
            except Exception:
                if time.time() > deadline or server.poll() is not None:
                    sys.exit("nimbus did not start; see target/bench-apigateway.log")
                time.sleep(0.05)
        pid = server.pid  # the launcher execs the JVM
        print("nimbus pid %d on port %d; %d cores; load average %s" % (pid, port, os.cpu_count(), " ".join("%.2f" % x for x in os.getloadavg())))

        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("app.py", HELLO)
        arn = lam.create_function(FunctionName="hello", Runtime="python3.12", Handler="app.handler", Role="arn:aws:iam::000000000000:role/bench",
                                  Code={"ZipFile": buf.getvalue()})["FunctionArn"]
        uri = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/%s/invocations" % arn

        rest = v1.create_rest_api(name="bench")
        root = rest["rootResourceId"]
        for part, kind in (("hello", "AWS_PROXY"), ("mock", "MOCK")):
            res = v1.create_resource(restApiId=rest["id"], parentId=root, pathPart=part)["id"]
            v1.put_method(restApiId=rest["id"], resourceId=res, httpMethod="GET", authorizationType="NONE")
            if kind == "MOCK":
                v1.put_integration(restApiId=rest["id"], resourceId=res, httpMethod="GET", type="MOCK",
                                   requestTemplates={"application/json": '{"statusCode": 200}'})
                v1.put_method_response(restApiId=rest["id"], resourceId=res, httpMethod="GET", statusCode="200")
                v1.put_integration_response(restApiId=rest["id"], resourceId=res, httpMethod="GET", statusCode="200",
                                            responseTemplates={"application/json": '{"hello": "$context.stage"}'})
            else:
                v1.put_integration(restApiId=rest["id"], resourceId=res, httpMethod="GET", type="AWS_PROXY", integrationHttpMethod="POST", uri=uri)
        v1.create_deployment(restApiId=rest["id"], stageName="prod")
        http_api = v2.create_api(Name="bench", ProtocolType="HTTP", Target=arn)["ApiId"]

        paths = {
            "invoke": ("POST", "/2015-03-31/functions/hello/invocations", b"{}", {"Authorization": AUTH, "Content-Type": "application/json"}),
            "rest": ("GET", "/_aws/execute-api/%s/prod/hello" % rest["id"], None, {}),
            "http": ("GET", "/_aws/execute-api/%s/hello" % http_api, None, {}),
            "mock": ("GET", "/_aws/execute-api/%s/prod/mock" % rest["id"], None, {}),
        }
        print("\n== sequential, one kept-alive connection, %d requests each, in interleaved rounds ==" % args.sequential)
        lat = {name: [] for name in paths}
        for name, (method, path, body, headers) in paths.items():
            sequential(port, method, path, body, headers, 500)  # warm-up: JIT, environments
        rounds = 10
        for _ in range(rounds):
            for name, (method, path, body, headers) in paths.items():
                lat[name] += sequential(port, method, path, body, headers, args.sequential // rounds)
        p50 = {}
        for name, values in lat.items():
            p50[name] = statistics.median(values)
            print("%-7s p50 %.3f ms  p99 %.3f ms" % (name, p50[name], percentile(values, 99)))
        print("gateway overhead at p50: REST %.3f ms, HTTP API %.3f ms over a direct Invoke"
              % (p50["rest"] - p50["invoke"], p50["http"] - p50["invoke"]))

        wrk = shutil.which("wrk")
        if not wrk:
            print("\n(wrk not found: apt-get install -y wrk for the throughput figures)")
            return
        tick = os.sysconf("SC_CLK_TCK")
        script = os.path.join(ROOT, "bench", "apigateway.lua")
        print("\n== throughput, %d keep-alive clients (wrk, 1 thread), %.0f s ==" % (args.clients, args.seconds))
        for name in ("invoke", "rest", "http", "mock"):
            url = endpoint + paths[name][1]
            lua = os.path.join(ROOT, "bench", "lambda.lua") if name == "invoke" else script
            subprocess.run([wrk, "-t1", "-c%d" % args.clients, "-d3s", "-s", lua, url], check=True, capture_output=True)
            before = cpu_ticks(pid)
            out = subprocess.run([wrk, "-t1", "-c%d" % args.clients, "-d%ds" % args.seconds, "--latency", "-s", lua, url],
                                 check=True, capture_output=True, text=True).stdout
            used = (cpu_ticks(pid) - before) / tick
            requests = int(re.search(r"(\d+) requests in", out).group(1))
            rps = re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)
            p99 = re.search(r"99%\s+(\S+)", out).group(1)
            errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
            print("%-6s %s req/s, p99 %s, non-2xx %s, server CPU %.0f us/request (Nimbus JVM only; the function's process is apart)"
                  % (name, rps, p99, errors.group(1) if errors else 0, used * 1e6 / max(requests, 1)))
        print("load average after: %s" % " ".join("%.2f" % x for x in os.getloadavg()))
    finally:
        server.terminate()
        server.wait(30)


if __name__ == "__main__":
    main()
