"""What the benchmark programs share: a Nimbus server started on a free loopback port, boto3 clients
for it, function zips, CPU time from /proc and percentiles. Imported by bench/lambda.py and
bench/apigateway.py (run from anywhere: Python puts the script's directory on the path)."""
import io
import os
import signal
import socket
import subprocess
import sys
import time
import zipfile

import boto3
from botocore.config import Config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROLE = "arn:aws:iam::000000000000:role/bench"
# A well-formed SigV4 header: Nimbus reads the access key and region from it and does not check signatures.
AUTH = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=0"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def zip_files(files):
    """A zip (bytes) of (name, content) pairs."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, content in files:
            z.writestr(name, content)
    return buf.getvalue()


def percentile(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100.0 * (len(s) - 1))))]


def cpu_seconds(pids):
    """utime + stime of these processes (those still there), in seconds."""
    ticks = 0
    for p in pids:
        try:
            with open("/proc/%d/stat" % p) as f:
                stat = f.read()
            fields = stat[stat.rindex(")") + 2:].split()
            ticks += int(fields[11]) + int(fields[12])
        except (OSError, ValueError):
            pass
    return ticks / os.sysconf("SC_CLK_TCK")


class Nimbus:
    """`./nimbus start --ephemeral` on a free port, its output in target/bench-NAME.log; use with `with`."""

    def __init__(self, name):
        self.name = name
        self.port = free_port()
        self.endpoint = "http://127.0.0.1:%d" % self.port
        target = os.path.join(ROOT, "target")
        log = open(os.path.join(target, "bench-%s.log" % name), "w") if os.path.isdir(target) else subprocess.DEVNULL
        self.server = subprocess.Popen([os.path.join(ROOT, "nimbus"), "start", "--ephemeral", "--port", str(self.port)],
                                       stdout=log, stderr=subprocess.STDOUT)
        self.pid = self.server.pid  # the launcher execs the JVM

    def client(self, service):
        return boto3.client(service, endpoint_url=self.endpoint, region_name="us-east-1", aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
                            aws_secret_access_key="x", config=Config(retries={"max_attempts": 0}, read_timeout=120))

    def __enter__(self):
        lam = self.client("lambda")
        deadline = time.time() + 180
        while True:
            try:
                lam.list_functions()
                return self
            except Exception:
                if time.time() > deadline or self.server.poll() is not None:
                    self.__exit__()
                    sys.exit("nimbus did not start; see target/bench-%s.log" % self.name)
                time.sleep(0.05)

    def __exit__(self, *exc):
        self.server.send_signal(signal.SIGTERM)
        try:
            self.server.wait(30)
        except subprocess.TimeoutExpired:
            self.server.kill()

    def create_function(self, lam, name, runtime, handler, zipped, memory=128):
        return lam.create_function(FunctionName=name, Runtime=runtime, Role=ROLE, Handler=handler, MemorySize=memory, Timeout=30,
                                   Code={"ZipFile": zipped})["FunctionArn"]
