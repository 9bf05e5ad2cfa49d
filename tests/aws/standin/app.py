"""The stand-in's WSGI application: every request is recorded, then answered by the first of
these that claims it, moto's own server otherwise.

1. /_shiftguard/...: the stand-in's own API (control.py); not recorded.
2. An injected fault for the operation (faults.py).
3. CloudWatch over smithy-rpc-v2-cbor: the bridge to moto (cloudwatch.py).
4. Lambda Invoke of a function moto knows: its real code (lambda_invoke.py).
5. moto, with the CodeDeploy and CloudWatch patches installed (install_patches).

serve() starts it on a port of 127.0.0.1 with the role the test functions run as; launcher.py is
the command that does so for the Rust tests.
"""

import io
import json
import threading
from urllib.parse import parse_qs, unquote

from moto.core import DEFAULT_ACCOUNT_ID
from moto.iam.models import iam_backends
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import WSGIRequestHandler, make_server

from . import (
    cloudwatch_statistics,
    codedeploy,
    control,
    deployment_targets,
    faults,
    hook_statuses,
    revisions,
    stop_and_rollback,
)
from .cloudwatch import cbor_bridge, cloudwatch_request
from .lambda_invoke import INVOKE_PATH, invoke
from .recorder import CALLS, LOCK
from .sigv4 import service_of

# The role every test function runs as (moto refuses CreateFunction without an existing role).
TEST_ROLE = "shiftguard-e2e"

# Every module that changes what moto itself answers; each install() may run more than once.
PATCHES = (codedeploy, hook_statuses, revisions, stop_and_rollback, deployment_targets, cloudwatch_statistics)


def install_patches():
    for module in PATCHES:
        module.install()


def operation_of(environ, body=b""):
    """The AWS operation a request is for, whatever its protocol; "METHOD /path" otherwise."""
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return target.rsplit(".", 1)[-1]
    path = environ.get("PATH_INFO", "")
    if INVOKE_PATH.match(path):
        return "Invoke"
    if "/operation/" in path:  # smithy-rpc-v2-cbor
        return path.rsplit("/", 1)[-1]
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        # awsQuery (Elastic Load Balancing, EC2): the operation is the form's Action.
        action = parse_qs(body.decode(errors="replace")).get("Action")
        if action:
            return action[0]
    return environ.get("REQUEST_METHOD", "") + " " + path


def _field_of(body, name):
    try:
        return json.loads(body or b"{}").get(name)
    except (ValueError, AttributeError):
        return None


class App:
    def __init__(self):
        install_patches()
        self.moto = DomainDispatcherApplication(create_backend_app)

    def __call__(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        path = environ.get("PATH_INFO", "")
        if path.startswith(control.PREFIX):
            return control.handle(environ, start_response, body)
        operation = operation_of(environ, body)
        deployment_id = _field_of(body, "deploymentId")
        call = {
            "service": service_of(environ),
            "operation": operation,
            "deploymentId": deployment_id,
            "applicationName": _field_of(body, "applicationName"),
        }
        names = _field_of(body, "Names")  # Parameter Store's GetParameters: the documents asked for
        if names is not None:
            call["names"] = names
        with LOCK:
            CALLS.append(call)
        return self._answer(environ, start_response, body, path, operation, deployment_id)

    def _answer(self, environ, start_response, body, path, operation, deployment_id):
        fault = faults.take(operation, deployment_id)
        cloudwatch = cloudwatch_request(path)
        if fault:
            answer = faults.answer(fault, start_response, cloudwatch is not None)
            if answer is not None:
                return answer
        if cloudwatch:
            prefix, cbor_operation = cloudwatch
            metric_status = (fault or {}).get("metric_status")
            return cbor_bridge(environ, start_response, body, self.moto, prefix, cbor_operation, metric_status)
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


def seed():
    """The IAM role the test functions run as (TEST_ROLE), trusted by Lambda."""
    iam = iam_backends[DEFAULT_ACCOUNT_ID]["global"]
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
        }
    )
    iam.create_role(TEST_ROLE, trust, "/", None, "shiftguard test functions", [], None)


def serve(port=0):
    """Seeds the stand-in and serves it on 127.0.0.1:`port` (0: a free port) from a daemon
    thread; returns the server (its port: server.server_port)."""
    seed()
    server = make_server("127.0.0.1", port, App(), threaded=True, request_handler=_QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
