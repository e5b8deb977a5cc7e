#!/usr/bin/env python3
"""The CPU every request pays around its service (HTTP server, dispatch, routing, codecs), measured with
cheap requests: STS GetCallerIdentity, SQS GetQueueUrl, an API Gateway MOCK integration and a 1 KiB S3
GET, each by wrk (16 keep-alive connections, 1 thread); the figure is server CPU time per request.

With --base DIR (another checkout, e.g. `git worktree add --detach DIR main`), both servers run side by
side and each run loads them at the same moment, one wrk each, so that a busy machine weighs on both
alike: an A/B comparison of this checkout against DIR. See bench/README.md."""
import argparse
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

from nimbus_bench import ROOT, cpu_seconds, free_port

BENCH = os.path.join(ROOT, "bench")


def start(tree, name):
    port = free_port()
    os.makedirs(os.path.join(ROOT, "target"), exist_ok=True)
    log = open(os.path.join(ROOT, "target", "bench-sharedpath-%s.log" % name), "w")
    server = subprocess.Popen([os.path.join(tree, "nimbus"), "start", "--ephemeral", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    return server, port  # the launcher execs the JVM: server.pid is the JVM's


def client(port, service):
    return boto3.client(service, endpoint_url="http://127.0.0.1:%d" % port, region_name="us-east-1", aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
                        aws_secret_access_key="x", config=Config(retries={"max_attempts": 0}))


def setup(server, port):
    """Waits for the server, creates what the requests read; returns kind -> (url, wrk script)."""
    deadline = time.time() + 300
    while True:
        try:
            client(port, "sts").get_caller_identity()
            break
        except Exception:
            if time.time() > deadline or server.poll() is not None:
                sys.exit("nimbus on port %d did not start (target/bench-sharedpath-*.log)" % port)
            time.sleep(0.2)
    client(port, "sqs").create_queue(QueueName="q")
    s3 = client(port, "s3")
    s3.create_bucket(Bucket="bench")
    s3.put_object(Bucket="bench", Key="k", Body=b"x" * 1024)
    gw = client(port, "apigateway")
    api = gw.create_rest_api(name="bench")["id"]
    res = gw.create_resource(restApiId=api, parentId=gw.get_resources(restApiId=api)["items"][0]["id"], pathPart="mock")["id"]
    gw.put_method(restApiId=api, resourceId=res, httpMethod="GET", authorizationType="NONE")
    gw.put_integration(restApiId=api, resourceId=res, httpMethod="GET", type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'})
    gw.put_method_response(restApiId=api, resourceId=res, httpMethod="GET", statusCode="200")
    gw.put_integration_response(restApiId=api, resourceId=res, httpMethod="GET", statusCode="200",
                                responseTemplates={"application/json": '{"hello": "$context.stage"}'})
    gw.create_deployment(restApiId=api, stageName="prod")
    url = "http://127.0.0.1:%d" % port
    return {"sts": (url + "/", os.path.join(BENCH, "sts.lua")),
            "sqs": (url + "/", os.path.join(BENCH, "sqs-geturl.lua")),
            "mock": ("%s/_aws/execute-api/%s/prod/mock" % (url, api), os.path.join(BENCH, "apigateway.lua")),
            "s3get": (url + "/bench/k", os.path.join(BENCH, "s3-get.lua"))}


def wrk(url, script, seconds, connections):
    out = subprocess.run(["wrk", "-t1", "-c%d" % connections, "-d%ds" % seconds, "-s", script, url], capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return int(re.search(r"(\d+) requests in", out).group(1)), int(errors.group(1)) if errors else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--base", help="another checkout to compare with, loaded side by side")
    ap.add_argument("--kinds", default="sts,sqs,mock,s3get")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=6)
    ap.add_argument("--warmup", type=int, default=8)
    ap.add_argument("--connections", type=int, default=16)
    args = ap.parse_args()
    trees = {"this": ROOT}
    if args.base:
        trees = {"base": os.path.abspath(args.base), "this": ROOT}
    servers = {name: start(tree, name) for name, tree in trees.items()}
    try:
        urls = {name: setup(*servers[name]) for name in trees}
        kinds = args.kinds.split(",")
        for kind in kinds:
            for name in trees:
                wrk(*urls[name][kind], args.warmup, args.connections)
        pool = ThreadPoolExecutor(len(trees))
        results = {}
        for _ in range(args.runs):
            for kind in kinds:
                before = {name: cpu_seconds([servers[name][0].pid]) for name in trees}
                runs = {name: pool.submit(wrk, *urls[name][kind], args.seconds, args.connections) for name in trees}
                done = {name: f.result() for name, f in runs.items()}
                after = {name: cpu_seconds([servers[name][0].pid]) for name in trees}
                for name, (n, errors) in done.items():
                    results.setdefault((kind, name), []).append(((after[name] - before[name]) / n * 1e6, n / args.seconds, errors))
        print("%d cores, load average %s; %d runs of %d s per kind, %d connections" % (
            os.cpu_count(), " ".join("%.2f" % x for x in os.getloadavg()), args.runs, args.seconds, args.connections))
        print("%-6s %-5s %12s %12s  %s" % ("kind", "tree", "CPU/req min", "CPU/req med", "each run (us CPU per request @ req/s)"))
        for kind in kinds:
            for name in trees:
                v = results[(kind, name)]
                cpu = sorted(x[0] for x in v)
                print("%-6s %-5s %9.1f us %9.1f us  %s%s" % (kind, name, cpu[0], cpu[len(cpu) // 2], " ".join("%.1f@%.0f" % (x[0], x[1]) for x in v),
                                                           "  NON-2XX: %d" % sum(x[2] for x in v) if any(x[2] for x in v) else ""))
    finally:
        for server, _ in servers.values():
            server.terminate()
        for server, _ in servers.values():
            server.wait()


if __name__ == "__main__":
    main()
