"""Long-poll wake latency: a ReceiveMessage waiting (WaitTimeSeconds=20) on an empty queue, then a
SendMessage; the time from just before the send to the receive's answer (so it includes the send's
own round trip). Plain HTTP/1.1 keep-alive connections, json 1.0, as bench/sqs.sh's other runs.
    python3 bench/sqs-longpoll.py URL NAME [ROUNDS]"""
import http.client
import json
import statistics
import sys
import threading
import time
import urllib.parse

url, name = sys.argv[1], sys.argv[2]
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 30
host = urllib.parse.urlparse(url)
AUTH = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0"


def call(conn, target, body):
    conn.request("POST", "/", json.dumps(body), {"Content-Type": "application/x-amz-json-1.0",
                                                 "X-Amz-Target": "AmazonSQS." + target, "Authorization": AUTH})
    return json.loads(conn.getresponse().read() or b"{}")


def connect():
    return http.client.HTTPConnection(host.hostname, host.port)


sender, poller = connect(), connect()
queue = call(sender, "CreateQueue", {"QueueName": "longpoll"})["QueueUrl"]
latencies = []
for _ in range(rounds):
    got = {}

    def poll():
        r = call(poller, "ReceiveMessage", {"QueueUrl": queue, "WaitTimeSeconds": 20})
        got["at"] = time.perf_counter()
        for m in r.get("Messages", []):
            call(poller, "DeleteMessage", {"QueueUrl": queue, "ReceiptHandle": m["ReceiptHandle"]})

    t = threading.Thread(target=poll)
    t.start()
    time.sleep(0.3)  # the receive is waiting by now
    sent = time.perf_counter()
    call(sender, "SendMessage", {"QueueUrl": queue, "MessageBody": "wake"})
    t.join()
    latencies.append((got["at"] - sent) * 1000)
latencies.sort()
print("%-10s %-16s median %.1f ms  p90 %.1f ms  max %.1f ms  (%d rounds, send round trip included)" % (
    name, "long-poll wake", statistics.median(latencies), latencies[int(len(latencies) * 0.9) - 1], latencies[-1], rounds))
