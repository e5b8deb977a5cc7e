# Nimbus's Python runtime: pulls events from the Lambda Runtime API (2018-06-01), calls the
# handler named by _HANDLER ("module.function", module relative to LAMBDA_TASK_ROOT) and posts
# its result or error in AWS's shapes. Standard library only.
import importlib
import json
import logging
import os
import socket
import sys
import time
import traceback

API_HOST = os.environ["AWS_LAMBDA_RUNTIME_API"]
PREFIX = "/2018-06-01/runtime"
_conn = None
# LoggingConfig LogFormat JSON: the logging module's records (and runtime errors) are written as JSON objects.
JSON_LOGS = os.environ.get("AWS_LAMBDA_LOG_FORMAT") == "JSON"
_request_id = None


def _timestamp(created):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created)) + ".%03dZ" % (int(created * 1000) % 1000)


class JsonFormatter(logging.Formatter):
    """One JSON object a record, with the fields Lambda's Python runtime writes."""

    def format(self, record):
        out = {"timestamp": _timestamp(record.created), "level": record.levelname, "message": record.getMessage(), "logger": record.name}
        if _request_id:
            out["requestId"] = _request_id
        if record.exc_info and record.exc_info[0]:
            out["errorType"] = record.exc_info[0].__name__
            out["errorMessage"] = str(record.exc_info[1])
            out["stackTrace"] = traceback.format_tb(record.exc_info[2])
        return json.dumps(out, default=str)


class TextFormatter(logging.Formatter):
    """Lambda's Python line: [LEVEL]<tab>time<tab>request id<tab>message."""

    def format(self, record):
        return "[%s]\t%s\t%s\t%s" % (record.levelname, _timestamp(record.created), _request_id or "", record.getMessage())


def configure_logging():
    """
    The root logger writes to stdout as Lambda's runtime sets it up: Lambda's text line at the
    logging module's default level (WARNING: logger.info needs setLevel, as in AWS), or with JSON
    logs one JSON object a record at the function's ApplicationLogLevel.
    """
    if not JSON_LOGS:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(TextFormatter())
        logging.getLogger().handlers[:] = [handler]
        return
    levels = {"TRACE": logging.DEBUG, "DEBUG": logging.DEBUG, "INFO": logging.INFO, "WARN": logging.WARNING,
              "ERROR": logging.ERROR, "FATAL": logging.CRITICAL}
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(levels.get(os.environ.get("AWS_LAMBDA_LOG_LEVEL", "INFO"), logging.INFO))


class Connection:
    """The Runtime API over one kept-alive socket, in the little HTTP/1.1 it needs: http.client's
    header parsing (the email package) cost more than the function on a warm invoke."""

    def __init__(self):
        host, _, port = API_HOST.rpartition(":")
        self.sock = socket.create_connection((host, int(port)))
        # Small requests go out at once: no Nagle wait for the server's delayed ACK.
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def request(self, method, path, body, headers):
        head = "%s %s%s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n" % (method, PREFIX, path, API_HOST, len(body))
        for name, value in headers.items():
            head += "%s: %s\r\n" % (name, value)
        self.sock.sendall(head.encode("latin-1") + b"\r\n" + body)
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end >= 0:
                break
            self.more()
        lines = self.buf[:end].decode("latin-1").split("\r\n")
        self.buf = self.buf[end + 4:]
        status = int(lines[0].split(" ", 2)[1])
        response_headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            response_headers[name.strip().lower()] = value.strip()
        length = int(response_headers.get("content-length", "0"))
        while len(self.buf) < length:
            self.more()
        data, self.buf = self.buf[:length], self.buf[length:]
        return status, response_headers, data

    def more(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the runtime API closed the connection")
        self.buf += chunk

    def close(self):
        self.sock.close()


def call(method, path, body=None, headers=None):
    """One request over a kept-alive connection; reconnects once if the connection was dropped.
    Returns the response's headers (lower-case names) and body."""
    global _conn
    data = body.encode("utf-8") if isinstance(body, str) else (body or b"")
    for attempt in (0, 1):
        try:
            if _conn is None:
                _conn = Connection()
            _, response_headers, response = _conn.request(method, path, data, headers or {})
            return response_headers, response
        except (OSError, ValueError, IndexError):
            if _conn is not None:
                _conn.close()
            _conn = None
            if attempt:
                raise


def error_body(etype, message, request_id="", stack=None):
    return {"errorMessage": message, "errorType": etype, "requestId": request_id, "stackTrace": stack or []}


def user_stack(tb):
    """The traceback without this bootstrap's own frames, as AWS lists it."""
    frames = [f for f in traceback.extract_tb(tb) if f.filename != __file__]
    return traceback.format_list(frames)


def log_error(body):
    if JSON_LOGS:
        record = {"timestamp": _timestamp(time.time()), "log_level": "ERROR", "errorMessage": body["errorMessage"],
                  "errorType": body["errorType"], "requestId": body.get("requestId", ""), "stackTrace": body.get("stackTrace", [])}
        print(json.dumps(record), file=sys.stderr, flush=True)
        return
    print("[ERROR] " + body["errorType"] + ": " + body["errorMessage"], file=sys.stderr, flush=True)


def load_handler():
    spec = os.environ.get("_HANDLER", "")
    try:
        module_name, function_name = spec.rsplit(".", 1)
    except ValueError as e:
        return None, error_body("Runtime.MalformedHandlerName", "Bad handler '%s': %s" % (spec, e))
    module_name = module_name.replace("/", ".")
    try:
        module = importlib.import_module(module_name)
    except SyntaxError as e:
        return None, error_body("Runtime.UserCodeSyntaxError", "Syntax error in module '%s': %s" % (module_name, e),
                                stack=user_stack(e.__traceback__))
    except ImportError as e:
        return None, error_body("Runtime.ImportModuleError", "Unable to import module '%s': %s" % (module_name, e))
    except Exception as e:
        return None, error_body(type(e).__name__, str(e), stack=user_stack(e.__traceback__))
    handler = getattr(module, function_name, None)
    if handler is None:
        return None, error_body("Runtime.HandlerNotFound", "Handler '%s' missing on module '%s'" % (function_name, module_name))
    return handler, None


class Context:
    def __init__(self, request_id, deadline_ms, arn, client_context):
        self.aws_request_id = request_id
        self.invoked_function_arn = arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.identity = None
        self.client_context = client_context
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(self._deadline_ms - int(time.time() * 1000), 0)


def main():
    global _request_id
    configure_logging()
    sys.path.insert(0, os.environ["LAMBDA_TASK_ROOT"])
    handler, failure = load_handler()
    if failure is not None:
        log_error(failure)
        call("POST", "/init/error", json.dumps(failure), {"Lambda-Runtime-Function-Error-Type": failure["errorType"]})
        sys.exit(1)
    while True:
        h, body = call("GET", "/invocation/next")
        request_id = h.get("lambda-runtime-aws-request-id")
        _request_id = request_id
        trace = h.get("lambda-runtime-trace-id")
        if trace:
            os.environ["_X_AMZN_TRACE_ID"] = trace
        client_context = h.get("lambda-runtime-client-context")
        context = Context(request_id, int(h.get("lambda-runtime-deadline-ms")),
                          h.get("lambda-runtime-invoked-function-arn"),
                          json.loads(client_context) if client_context else None)
        try:
            result = handler(json.loads(body) if body else {}, context)
        except Exception as e:
            failure = error_body(type(e).__name__, str(e), request_id, user_stack(e.__traceback__))
            log_error(failure)
            call("POST", "/invocation/%s/error" % request_id, json.dumps(failure),
                 {"Lambda-Runtime-Function-Error-Type": failure["errorType"]})
            continue
        try:
            payload = json.dumps(result)
        except (TypeError, ValueError) as e:
            failure = error_body("Runtime.MarshalError", "Unable to marshal response: %s" % e, request_id)
            log_error(failure)
            call("POST", "/invocation/%s/error" % request_id, json.dumps(failure),
                 {"Lambda-Runtime-Function-Error-Type": failure["errorType"]})
            continue
        call("POST", "/invocation/%s/response" % request_id, payload)


if __name__ == "__main__":
    main()
