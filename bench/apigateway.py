#!/usr/bin/env python3
"""API Gateway numbers: a REST API and an HTTP API in front of a warm Python hello function, and a
MOCK integration: throughput with keep-alive clients (wrk), server CPU time per request, and the
gateway's latency overhead over a direct Lambda Invoke at p50.

Starts `./nimbus start --ephemeral` on a free loopback port and stops it at the end. APIs are set up
with boto3 (apigateway, apigatewayv2, lambda); invocations are raw HTTP/1.1 over kept-alive
connections. See bench/README.md."""
import argparse
import http.client
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

from nimbus_bench import AUTH, ROOT, Nimbus, cpu_seconds, percentile, zip_files

HELLO = "def handler(event, context):\n    return {'statusCode': 200, 'headers': {'Content-Type': 'text/plain'}, 'body': 'hello'}\n"


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
    ap.add_argument("--sequential", type=int, default=2000, help="requests per path for the p50 figures (0: none)")
    ap.add_argument("--only", default="invoke,rest,http,mock", help="the throughput runs to make (of invoke,rest,http,mock)")
    args = ap.parse_args()
    with Nimbus("apigateway") as nimbus:
        run(nimbus, args)


def run(nimbus, args):
    port, pid = nimbus.port, nimbus.pid
    lam, v1, v2 = nimbus.client("lambda"), nimbus.client("apigateway"), nimbus.client("apigatewayv2")
    only = args.only.split(",")
    print("nimbus pid %d on port %d; %d cores; load average %s" % (pid, port, os.cpu_count(), " ".join("%.2f" % x for x in os.getloadavg())))
    arn = nimbus.create_function(lam, "hello", "python3.12", "app.handler", zip_files([("app.py", HELLO)]))
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
    for name, (method, path, body, headers) in paths.items():
        sequential(port, method, path, body, headers, 500)  # warm-up: JIT, environments
    if args.sequential > 0:
        latencies(port, paths, args.sequential)
    throughput(nimbus, paths, only, args)


def latencies(port, paths, n):
    print("\n== sequential, one kept-alive connection, %d requests each, in interleaved rounds ==" % n)
    lat = {name: [] for name in paths}
    rounds = 10
    for _ in range(rounds):
        for name, (method, path, body, headers) in paths.items():
            lat[name] += sequential(port, method, path, body, headers, n // rounds)
    p50 = {}
    for name, values in lat.items():
        p50[name] = statistics.median(values)
        print("%-7s p50 %.3f ms  p99 %.3f ms" % (name, p50[name], percentile(values, 99)))
    print("gateway overhead at p50: REST %.3f ms, HTTP API %.3f ms over a direct Invoke"
          % (p50["rest"] - p50["invoke"], p50["http"] - p50["invoke"]))


def throughput(nimbus, paths, only, args):
    pid, endpoint = nimbus.pid, nimbus.endpoint
    wrk = shutil.which("wrk")
    if not wrk:
        print("\n(wrk not found: apt-get install -y wrk for the throughput figures)")
        return
    script = os.path.join(ROOT, "bench", "apigateway.lua")
    print("\n== throughput, %d keep-alive clients (wrk, 1 thread), %.0f s ==" % (args.clients, args.seconds))
    for name in only:
        url = endpoint + paths[name][1]
        lua = os.path.join(ROOT, "bench", "lambda.lua") if name == "invoke" else script
        subprocess.run([wrk, "-t1", "-c%d" % args.clients, "-d3s", "-s", lua, url], check=True, capture_output=True)
        before = cpu_seconds([pid])
        out = subprocess.run([wrk, "-t1", "-c%d" % args.clients, "-d%ds" % args.seconds, "--latency", "-s", lua, url],
                             check=True, capture_output=True, text=True).stdout
        used = cpu_seconds([pid]) - before
        requests = int(re.search(r"(\d+) requests in", out).group(1))
        rps = re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)
        p99 = re.search(r"99%\s+(\S+)", out).group(1)
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        print("%-6s %s req/s, p99 %s, non-2xx %s, server CPU %.0f us/request (Nimbus JVM only; the function's process is apart)"
              % (name, rps, p99, errors.group(1) if errors else 0, used * 1e6 / max(requests, 1)))
    print("load average after: %s" % " ".join("%.2f" % x for x in os.getloadavg()))


if __name__ == "__main__":
    main()
