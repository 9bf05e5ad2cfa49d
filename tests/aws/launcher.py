"""The local AWS stand-in for shiftguard's tests and demo.

moto's server (pinned in tests/aws/requirements.txt), plus what moto 5.2.5 lacks or does
differently from AWS in the ways shiftguard depends on:

- CodeDeploy PutLifecycleEventHookExecutionStatus: recorded; a second status for the same hook
  execution is refused with LifecycleEventAlreadyCompletedException, as AWS does.
- CodeDeploy StopDeployment (DeploymentAlreadyCompletedException once a deployment ended),
  and a control to move a deployment to a status with create/complete times, playing the part
  of CodeDeploy's own progress.
- CodeDeploy GetApplicationRevision, and GetDeployment returning only the sha256 of an
  AppSpecContent revision (as AWS may), so the hooks' fallback path is exercised.
- Lambda Invoke runs the function's real code, for the exact version asked for, with the
  function's timeout: a Python handler from its zip in-process, or a `provided.al2023` function's
  `bootstrap` binary as a warm process under a Runtime API served here (one sandbox per version,
  one event at a time, as Lambda does). moto's own invoke needs Docker.
- CloudWatch over smithy-rpc-v2-cbor (the protocol of the Rust SDK), bridged to moto's JSON
  protocol with botocore's CBOR parser and serializer; percentile statistics (p99) in
  GetMetricData, which moto leaves empty; dimension sets matched whatever their order (moto
  5.2.5 sorts them wrongly); every GetMetricData request recorded.
- Fault injection per operation, optionally only for one deploymentId (error status and
  code, delay, dropped connection), and
  read-only views of what happened, under /_shiftguard/.

Usage: python launcher.py [--port N]. Prints "READY http://127.0.0.1:N" once serving, and
exits when its standard input closes (so it never outlives the test run that started it),
unless --no-stdin-watch is given.
"""

import argparse
import base64
import datetime
import http.server
import queue
import stat
import subprocess
import tempfile
import hashlib
import io
import json
import os
import re
import sys
import threading
import time
import traceback
import types
import zipfile
from urllib.parse import parse_qs, unquote

from botocore.parsers import RpcV2CBORParser
from botocore.serialize import RpcV2CBORSerializer
from botocore.session import get_session
from werkzeug.serving import WSGIRequestHandler, make_server

from moto.awslambda.models import lambda_backends
from moto.cloudwatch.models import Dimension, Statistics
from moto.codedeploy import responses as cd_responses
from moto.codedeploy.exceptions import CodeDeployException
from moto.codedeploy.models import codedeploy_backends
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.iam.models import iam_backends
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

# The role every test function runs as (moto refuses CreateFunction without an existing role).
TEST_ROLE = "shiftguard-e2e"

LOCK = threading.Lock()
REPORTS = []  # hook statuses, in the order they were accepted
INVOCATIONS = []  # Lambda invocations: function, qualifier, version, payload
CALLS = []  # every AWS operation seen: {"service", "operation", "deploymentId", "applicationName"}
FAULTS = []  # injected faults, consumed in order
METRIC_REQUESTS = []  # GetMetricData requests, decoded
STOPS = []  # StopDeployment calls that stopped something
FINAL_STATUSES = ("Succeeded", "Failed", "Stopped")

INVOKE_PATH = re.compile(r"^/2015-03-31/functions/([^/]+)/invocations/?$")


# --- CodeDeploy -------------------------------------------------------------------------


class _Error(CodeDeployException):
    code = 400

    def __init__(self, kind, message):
        super().__init__(kind, message)


def _backend(response):
    return codedeploy_backends[response.current_account][response.region]


def _content_of(revision):
    part = (revision or {}).get("appSpecContent") or (revision or {}).get("string") or {}
    return part.get("content")


def _sha256(text):
    return hashlib.sha256(text.encode()).hexdigest()


def _with_sha_only(revision):
    """What AWS may return for an AppSpecContent revision: the sha256, not the content."""
    revision = json.loads(json.dumps(revision or {}))
    for key in ("appSpecContent", "string"):
        part = revision.get(key)
        if part and "content" in part:
            revision[key] = {"sha256": _sha256(part["content"])}
    return revision


def put_lifecycle_event_hook_execution_status(self):
    deployment_id = self._get_param("deploymentId")
    hook_id = self._get_param("lifecycleEventHookExecutionId")
    status = self._get_param("status")
    _backend(self).get_deployment(deployment_id)  # DeploymentDoesNotExistException
    if not hook_id:
        raise _Error("LifecycleEventHookExecutionIdRequiredException", "lifecycleEventHookExecutionId is required")
    if status not in ("Succeeded", "Failed"):
        raise _Error("InvalidLifecycleEventHookExecutionStatusException", f"status {status!r} is not valid")
    with LOCK:
        if any(r["lifecycleEventHookExecutionId"] == hook_id for r in REPORTS):
            raise _Error(
                "LifecycleEventAlreadyCompletedException",
                f"The lifecycle event {hook_id} is already completed",
            )
        REPORTS.append(
            {
                "deploymentId": deployment_id,
                "lifecycleEventHookExecutionId": hook_id,
                "status": status,
                "at": time.time(),
            }
        )
    return ActionResult({"lifecycleEventHookExecutionId": hook_id})


def get_deployment(self):
    deployment = _backend(self).get_deployment(self._get_param("deploymentId"))
    info = cd_responses._deployment_info(deployment)
    info["revision"] = _with_sha_only(info["revision"])
    return ActionResult({"deploymentInfo": info})


def get_application_revision(self):
    backend = _backend(self)
    application = self._get_param("applicationName")
    wanted = self._get_param("revision") or {}
    backend.get_application(application)  # ApplicationDoesNotExistException
    part = wanted.get("appSpecContent") or wanted.get("string") or {}
    for deployment in backend.deployments.values():
        content = _content_of(deployment.revision)
        if deployment.application_name != application or content is None:
            continue
        if part.get("sha256") in (None, _sha256(content)):
            revision = json.loads(json.dumps(deployment.revision))
            for key in ("appSpecContent", "string"):
                if key in revision:
                    revision[key]["sha256"] = _sha256(content)
            return ActionResult(
                {
                    "applicationName": application,
                    "revision": revision,
                    "revisionInfo": {"registerTime": deployment.create_time},
                }
            )
    raise _Error("RevisionDoesNotExistException", "The revision does not exist")


def stop_deployment(self):
    deployment_id = self._get_param("deploymentId")
    rollback = bool(self._get_param("autoRollbackEnabled"))
    deployment = _backend(self).get_deployment(deployment_id)
    with LOCK:
        if deployment.status in FINAL_STATUSES:
            raise _Error(
                "DeploymentAlreadyCompletedException", f"The deployment {deployment_id} is already completed"
            )
        deployment.status = "Stopped"
        deployment.complete_time = utcnow()
        STOPS.append({"deploymentId": deployment_id, "autoRollbackEnabled": rollback, "at": time.time()})
    return ActionResult({"status": "Succeeded", "statusMessage": "stopped" + (" with rollback" if rollback else "")})


def set_deployment_state(deployment_id, change):
    """Plays CodeDeploy's progress: {"status", "created_seconds_ago", "completed_seconds_ago"}."""
    for backends in codedeploy_backends.values():
        for backend in backends.values():
            deployment = backend.deployments.get(deployment_id)
            if deployment is None:
                continue
            now = utcnow()
            if "status" in change:
                deployment.status = change["status"]
            if "created_seconds_ago" in change:
                deployment.create_time = now - datetime.timedelta(seconds=change["created_seconds_ago"])
            if "completed_seconds_ago" in change:
                deployment.complete_time = now - datetime.timedelta(seconds=change["completed_seconds_ago"])
            return {"deploymentId": deployment_id, "status": deployment.status}
    return None


cd_responses.CodeDeployResponse.stop_deployment = stop_deployment
cd_responses.CodeDeployResponse.put_lifecycle_event_hook_execution_status = put_lifecycle_event_hook_execution_status
cd_responses.CodeDeployResponse.get_deployment = get_deployment
cd_responses.CodeDeployResponse.get_application_revision = get_application_revision


# --- Lambda Invoke ----------------------------------------------------------------------

_MODULES = {}


def _handler_of(fn):
    """Loads the handler from the version's own zip (cached per code hash)."""
    key = (fn.function_arn, fn.code_sha_256)
    if key not in _MODULES:
        module_name, func_name = fn.handler.rsplit(".", 1)
        with zipfile.ZipFile(io.BytesIO(fn.code_bytes)) as z:
            source = z.read(module_name.replace(".", "/") + ".py").decode()
        module = types.ModuleType(module_name)
        exec(compile(source, f"{fn.function_name}:{fn.version}/{module_name}.py", "exec"), module.__dict__)
        _MODULES[key] = getattr(module, func_name)
    return _MODULES[key]


class _Context:
    def __init__(self, fn, deadline):
        self.function_name = fn.function_name
        self.function_version = fn.version
        self.invoked_function_arn = fn.function_arn
        self.memory_limit_in_mb = fn.memory_size
        self._deadline = deadline

    def get_remaining_time_in_millis(self):
        return max(0, int((self._deadline - time.time()) * 1000))


class _Sandbox:
    """A warm `bootstrap` process for one function version, fed through a Runtime API."""

    def __init__(self, fn):
        self.fn = fn
        self.lock = threading.Lock()
        self.events = queue.Queue()
        self.answers = {}
        self.process = None
        self.directory = tempfile.mkdtemp(prefix="shiftguard-sandbox-")
        with zipfile.ZipFile(io.BytesIO(fn.code_bytes)) as z:
            z.extractall(self.directory)
        self.bootstrap = os.path.join(self.directory, "bootstrap")
        os.chmod(self.bootstrap, os.stat(self.bootstrap).st_mode | stat.S_IEXEC)
        sandbox = self

        class RuntimeApi(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                request_id, event, deadline = sandbox.events.get()
                payload = json.dumps(event).encode()
                self.send_response(200)
                self.send_header("Lambda-Runtime-Aws-Request-Id", request_id)
                self.send_header("Lambda-Runtime-Deadline-Ms", str(int(deadline * 1000)))
                self.send_header("Lambda-Runtime-Invoked-Function-Arn", sandbox.fn.function_arn)
                self.send_header("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length) if length else b""
                parts = self.path.strip("/").split("/")
                if len(parts) >= 5 and parts[2] == "invocation":
                    slot = sandbox.answers.get(parts[3])
                    if slot is not None:
                        slot["kind"], slot["body"] = parts[4], data
                        slot["done"].set()
                self.send_response(202)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RuntimeApi)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _ensure_process(self):
        if self.process is not None and self.process.poll() is None:
            return
        fn = self.fn
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{self.server.server_port}",
            "AWS_LAMBDA_FUNCTION_NAME": fn.function_name,
            "AWS_LAMBDA_FUNCTION_VERSION": str(fn.version),
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_size),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{fn.function_name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": "sandbox",
            "_HANDLER": fn.handler or "bootstrap",
            "LAMBDA_TASK_ROOT": self.directory,
        }
        env.update({k: str(v) for k, v in (fn.environment_vars or {}).items()})
        self.process = subprocess.Popen(
            [self.bootstrap], env=env, cwd=self.directory, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    def invoke(self, event, timeout):
        with self.lock:
            self._ensure_process()
            request_id = f"sandbox-{time.time_ns()}"
            slot = {"done": threading.Event()}
            self.answers[request_id] = slot
            self.events.put((request_id, event, time.time() + timeout))
            finished = slot["done"].wait(timeout)
            self.answers.pop(request_id, None)
            if not finished:
                self.process.kill()  # a timed-out sandbox is not reused
                self.process = None
                return {"error": {"errorMessage": f"Task timed out after {timeout:.2f} seconds", "errorType": "Sandbox.Timedout"}}
            if slot["kind"] == "error":
                return {"error": json.loads(slot["body"] or b"{}")}
            return {"value": json.loads(slot["body"] or b"null")}


_SANDBOXES = {}


def _sandbox_of(fn):
    key = (fn.function_arn, fn.code_sha_256, json.dumps(fn.environment_vars or {}, sort_keys=True))
    with LOCK:
        if key not in _SANDBOXES:
            _SANDBOXES[key] = _Sandbox(fn)
        return _SANDBOXES[key]


def invoke(environ, start_response, name, body):
    region = _region(environ)
    qualifier = parse_qs(environ.get("QUERY_STRING", "")).get("Qualifier", [None])[0]
    try:
        fn = lambda_backends[DEFAULT_ACCOUNT_ID][region].get_function(name, qualifier)
    except Exception:
        return None  # moto answers with its own ResourceNotFoundException
    event = json.loads(body or b"null")
    with LOCK:
        INVOCATIONS.append(
            {"function": fn.function_name, "qualifier": qualifier, "version": str(fn.version), "payload": event}
        )
    timeout = float(fn.timeout or 3)
    result = {}
    if str(fn.run_time or "").startswith("provided"):
        result = _sandbox_of(fn).invoke(event, timeout)
        return _invoke_answer(start_response, fn, result)

    def run():
        try:
            result["value"] = _handler_of(fn)(event, _Context(fn, time.time() + timeout))
        except Exception as e:  # the function's own error, as Lambda reports it
            result["error"] = {
                "errorMessage": str(e),
                "errorType": type(e).__name__,
                "stackTrace": traceback.format_tb(e.__traceback__),
            }

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        result = {"error": {"errorMessage": f"Task timed out after {timeout:.2f} seconds", "errorType": "Sandbox.Timedout"}}
    return _invoke_answer(start_response, fn, result)


def _invoke_answer(start_response, fn, result):
    headers = [("Content-Type", "application/json"), ("X-Amz-Executed-Version", str(fn.version))]
    if "error" in result:
        headers.append(("X-Amz-Function-Error", "Unhandled"))
        payload = json.dumps(result["error"]).encode()
    else:
        payload = json.dumps(result.get("value")).encode()
    start_response("200 OK", headers + [("Content-Length", str(len(payload)))])
    return [payload]


# --- CloudWatch: smithy-rpc-v2-cbor, percentiles ---------------------------------------

CBOR_PATH = re.compile(r"^/service/([^/]+)/operation/([^/]+)$")
_CLOUDWATCH = get_session().get_service_model("cloudwatch")


def _percentile(self, stat, _plain=Statistics.get_statistics_for_type):
    match = re.fullmatch(r"p(\d{1,2}(?:\.\d+)?)", stat)
    if not match:
        return _plain(self, stat)
    values = sorted(self.metric_single_values_list)
    if not values:
        return None
    rank = max(1, -(-float(match.group(1)) * len(values) // 100))  # nearest rank
    return values[int(rank) - 1]


Statistics.get_statistics_for_type = _percentile

# moto 5.2.5 orders dimensions by comparing one's value with the other's name, so the same set
# written and queried in different orders does not match. CloudWatch ignores the order.
Dimension.__lt__ = lambda self, other: (self.name or "", self.value or "") < (other.name or "", other.value or "")


def _json_default(value):
    if hasattr(value, "timestamp"):
        return value.timestamp()
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode()
    raise TypeError(f"cannot bridge {type(value).__name__}")


def _prune(value, shape):
    """Keeps what the output shape knows, so botocore's serializer accepts moto's answer."""
    if shape.type_name == "structure" and isinstance(value, dict):
        return {k: _prune(v, shape.members[k]) for k, v in value.items() if k in shape.members and v is not None}
    if shape.type_name == "list" and isinstance(value, list):
        return [_prune(v, shape.member) for v in value]
    if shape.type_name == "map" and isinstance(value, dict):
        return {k: _prune(v, shape.value) for k, v in value.items()}
    return value


class _CborSerializer(RpcV2CBORSerializer):
    """Timestamps always as tag 1 with a double: the Rust SDK's decoder accepts nothing else,
    while botocore writes whole seconds as integers."""

    def _serialize_type_timestamp(self, serialized, value, shape, key):
        serialized.extend(self._get_initial_byte(self.TAG_MAJOR_TYPE, 1))
        self._serialize_type_double(serialized, float(self._convert_timestamp_to_str(value)), shape, key)


def _cbor_head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | info]) + n.to_bytes(size, "big")
    raise ValueError("too long")


def _cbor_text(text):
    data = text.encode()
    return _cbor_head(3, len(data)) + data


def _call(app, environ):
    captured = {}

    def start(status, headers, exc_info=None):
        captured["status"], captured["headers"] = status, headers

    body = b"".join(app(environ, start))
    return int(captured["status"].split()[0]), body


def cbor_bridge(environ, start_response, body, app, prefix, operation):
    params = RpcV2CBORParser()._initial_body_parse(body) or {}
    if operation == "GetMetricData":
        with LOCK:
            METRIC_REQUESTS.append(json.loads(json.dumps(params, default=_json_default)))
    forwarded = json.dumps(params, default=_json_default).encode()
    inner = dict(environ)
    inner.update(
        {
            "PATH_INFO": "/",
            "REQUEST_METHOD": "POST",
            "CONTENT_TYPE": "application/x-amz-json-1.0",
            "CONTENT_LENGTH": str(len(forwarded)),
            "HTTP_X_AMZ_TARGET": f"{prefix}.{operation}",
            "wsgi.input": io.BytesIO(forwarded),
        }
    )
    inner.pop("HTTP_SMITHY_PROTOCOL", None)
    status, answer = _call(app, inner)
    headers = [("smithy-protocol", "rpc-v2-cbor"), ("Content-Type", "application/cbor")]
    if status < 300:
        shape = _CLOUDWATCH.operation_model(operation).output_shape
        out = bytearray()
        if shape is not None:
            _CborSerializer()._serialize_data_item(out, _prune(json.loads(answer or b"{}"), shape), shape)
        else:
            out.extend(b"\xa0")
        start_response(f"{status} OK", headers + [("Content-Length", str(len(out)))])
        return [bytes(out)]
    try:
        error = json.loads(answer)
    except ValueError:
        error = {"__type": "InternalFailure", "message": answer.decode(errors="replace")}
    code = str(error.get("__type") or error.get("code") or "InternalFailure").rsplit("#", 1)[-1]
    message = str(error.get("message") or error.get("Message") or "")
    out = b"\xa2" + _cbor_text("__type") + _cbor_text(code) + _cbor_text("message") + _cbor_text(message)
    headers += [("x-amzn-query-error", f"{code};Sender"), ("Content-Length", str(len(out)))]
    start_response(f"{status} Error", headers)
    return [out]


# --- Routing, faults, views -------------------------------------------------------------


def _region(environ):
    match = re.search(r"Credential=[^/]+/\d+/([^/]+)/", environ.get("HTTP_AUTHORIZATION", ""))
    return match.group(1) if match else "us-east-1"


def _service(environ):
    match = re.search(r"Credential=[^/]+/\d+/[^/]+/([^/]+)/", environ.get("HTTP_AUTHORIZATION", ""))
    return match.group(1) if match else ""


def _operation(environ):
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return target.rsplit(".", 1)[-1]
    path = environ.get("PATH_INFO", "")
    if INVOKE_PATH.match(path):
        return "Invoke"
    if "/operation/" in path:  # smithy-rpc-v2-cbor
        return path.rsplit("/", 1)[-1]
    return environ.get("REQUEST_METHOD", "") + " " + path


def _json(start_response, status, value):
    body = json.dumps(value, default=str).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def _field_of(body, name):
    try:
        return json.loads(body or b"{}").get(name)
    except (ValueError, AttributeError):
        return None


def _take_fault(operation, deployment_id):
    with LOCK:
        for fault in FAULTS:
            if fault.get("deploymentId") not in (None, deployment_id):
                continue
            if fault["operation"] in (operation, "*") and fault["times"] != 0:
                fault["times"] -= 1
                return dict(fault)
    return None


def _control(environ, start_response, body):
    path, method = environ["PATH_INFO"], environ["REQUEST_METHOD"]
    with LOCK:
        if path == "/_shiftguard/reports":
            return _json(start_response, "200 OK", REPORTS)
        if path == "/_shiftguard/invocations":
            return _json(start_response, "200 OK", INVOCATIONS)
        if path == "/_shiftguard/calls":
            return _json(start_response, "200 OK", CALLS)
        if path == "/_shiftguard/stops":
            return _json(start_response, "200 OK", STOPS)
        if path.startswith("/_shiftguard/deployments/") and method == "POST":
            changed = set_deployment_state(path.rsplit("/", 1)[-1], json.loads(body))
            if changed is None:
                return _json(start_response, "404 Not Found", {"error": "no such deployment"})
            return _json(start_response, "200 OK", changed)
        if path == "/_shiftguard/metric-data-requests":
            return _json(start_response, "200 OK", METRIC_REQUESTS)
        if path == "/_shiftguard/faults" and method == "POST":
            fault = json.loads(body)
            fault.setdefault("times", 1)
            fault.setdefault("status", 400)
            fault.setdefault("error", "ThrottlingException")
            FAULTS.append(fault)
            return _json(start_response, "201 Created", fault)
        if path == "/_shiftguard/faults" and method == "DELETE":
            FAULTS.clear()
            return _json(start_response, "200 OK", [])
        if path == "/_shiftguard/health":
            return _json(start_response, "200 OK", {"ok": True})
    return _json(start_response, "404 Not Found", {"error": f"no such view: {method} {path}"})


class App:
    def __init__(self):
        self.moto = DomainDispatcherApplication(create_backend_app)

    def __call__(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_shiftguard/"):
            return _control(environ, start_response, body)
        operation = _operation(environ)
        deployment_id = _field_of(body, "deploymentId")
        call = {
            "service": _service(environ),
            "operation": operation,
            "deploymentId": deployment_id,
            "applicationName": _field_of(body, "applicationName"),
        }
        with LOCK:
            CALLS.append(call)
        return self._answer(environ, start_response, body, path, operation, deployment_id)

    def _answer(self, environ, start_response, body, path, operation, deployment_id):
        fault = _take_fault(operation, deployment_id)
        if fault:
            time.sleep(fault.get("delay_ms", 0) / 1000)
            if fault.get("drop"):
                raise ConnectionAbortedError("fault injection: connection dropped")
            if fault.get("status"):  # 0: only the delay, then the real answer
                status = int(fault["status"])
                error = {"__type": fault["error"], "message": f"injected {fault['error']}"}
                body_out = json.dumps(error).encode()
                start_response(
                    f"{status} Injected",
                    [
                        ("Content-Type", "application/x-amz-json-1.1"),
                        ("x-amzn-ErrorType", fault["error"]),
                        ("Content-Length", str(len(body_out))),
                    ],
                )
                return [body_out]
        cbor = CBOR_PATH.match(path)
        if cbor and cbor.group(1) == _CLOUDWATCH.metadata["targetPrefix"]:
            return cbor_bridge(environ, start_response, body, self.moto, cbor.group(1), cbor.group(2))
        match = INVOKE_PATH.match(path)
        if match and environ["REQUEST_METHOD"] == "POST":
            answer = invoke(environ, start_response, unquote(match.group(1)), body)
            if answer is not None:
                return answer
        environ["wsgi.input"] = io.BytesIO(body)
        return self.moto(environ, start_response)


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


def _seed():
    iam = iam_backends[DEFAULT_ACCOUNT_ID]["global"]
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
        }
    )
    iam.create_role(TEST_ROLE, trust, "/", None, "shiftguard test functions", [], None)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--no-stdin-watch", action="store_true")
    args = parser.parse_args()
    _seed()
    server = make_server("127.0.0.1", args.port, App(), threaded=True, request_handler=_QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"READY http://127.0.0.1:{server.server_port}", flush=True)
    if args.no_stdin_watch:
        threading.Event().wait()
    else:
        while sys.stdin.buffer.read(65536):
            pass
    for sandbox in list(_SANDBOXES.values()):
        if sandbox.process is not None:
            sandbox.process.kill()
    os._exit(0)


if __name__ == "__main__":
    main()
