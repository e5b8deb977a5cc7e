#!/usr/bin/env python3
"""Vendors AWS API models (botocore's service-2.json, Apache-2.0) into src/main/resources/models.

Run with a python3 that has botocore installed. Writes <service>.json.gz per service and index.json,
a small metadata table the router reads at start-up so that no model is parsed until a request
for its service arrives (start-up time is a product feature)."""
import gzip, json, os, sys
import botocore

SERVICES = ["sts", "iam", "lambda", "logs", "cloudwatch", "apigateway", "apigatewayv2", "s3",
            "dynamodb", "dynamodbstreams", "sqs", "sns", "events", "stepfunctions"]
KEEP_META = ["apiVersion", "endpointPrefix", "signingName", "protocol", "protocols", "jsonVersion",
             "targetPrefix", "xmlNamespace", "serviceId", "awsQueryCompatible", "globalEndpoint"]

def main():
    data = os.path.join(os.path.dirname(botocore.__file__), "data")
    out = os.path.join(os.path.dirname(__file__), "..", "src", "main", "resources", "models")
    os.makedirs(out, exist_ok=True)
    index = {"source": "botocore " + botocore.__version__, "services": {}}
    for name in SERVICES:
        version = sorted(os.listdir(os.path.join(data, name)))[-1]
        with gzip.open(os.path.join(data, name, version, "service-2.json.gz")) as f:
            model = json.load(f)
        # Documentation strings are most of a model's size and never needed at run time.
        strip_docs(model)
        apply_overlay(name, model)
        # Member order is kept (XML output follows it); mtime=0 makes re-runs byte-identical.
        with open(os.path.join(out, name + ".json.gz"), "wb") as raw, \
                gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as f:
            f.write(json.dumps(model, separators=(",", ":")).encode())
        meta = {k: model["metadata"][k] for k in KEEP_META if k in model["metadata"]}
        meta["operations"] = len(model["operations"])
        # Service shape name, used by smithy-rpc-v2-cbor paths (/service/<name>/operation/<op>).
        meta["shapeName"] = model["metadata"].get("targetPrefix") or model["metadata"]["serviceId"].replace(" ", "")
        index["services"][name] = meta
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(index, f, indent=1, sort_keys=True)

def apply_overlay(name, model):
    """Adds the traits in model-overlays/<name>.json that the model lacks (SQS's json model lost
    the query traits its query clients still use). Never overrides what the model says."""
    path = os.path.join(os.path.dirname(__file__), "model-overlays", name + ".json")
    if not os.path.exists(path):
        return
    with open(path) as f:
        overlay = json.load(f)
    add_missing(model["metadata"], overlay.get("metadata", {}))
    for shape, traits in overlay.get("shapes", {}).items():
        if shape in model["shapes"]:
            add_missing(model["shapes"][shape], traits)

def add_missing(target, traits):
    for key, value in traits.items():
        if isinstance(value, dict) and key != "error":
            # members, a member, a map's key or value: only into what the model has
            if isinstance(target.get(key), dict):
                add_missing(target[key], value)
        elif key not in target:
            target[key] = value

def strip_docs(node):
    if isinstance(node, dict):
        for key in ("documentation", "documentationUrl", "examples"):
            node.pop(key, None)
        for value in node.values():
            strip_docs(value)
    elif isinstance(node, list):
        for value in node:
            strip_docs(value)

if __name__ == "__main__":
    sys.exit(main())
