"""Lambda Invoke: runs the function's real code, for the exact version asked for, with the
function's timeout. moto's own invoke needs Docker.

- A Python handler runs from its version's zip, in-process, on a thread given the function's
  timeout (see invoke and _handler_of).
- A `provided.al2023` function's `bootstrap` runs as a warm process under a Runtime API served
  here (sandboxes.py).

The answer is Invoke's (RequestResponse): 200 with the function's result as the payload, the
version that ran in X-Amz-Executed-Version, and, when the function failed, X-Amz-Function-Error
with the error object (errorMessage, errorType, stackTrace) as the payload ("Invoke",
https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html, and botocore's lambda model:
InvocationResponse's ExecutedVersion and FunctionError). A run past the timeout is such an error,
"Task timed out after N seconds" (the stand-in's errorType: Sandbox.Timedout). A function
moto does not know is left to moto, which answers ResourceNotFoundException. Every invocation is
recorded (recorder.INVOCATIONS, the view /_shiftguard/invocations).
"""

import io
import json
import re
import threading
import time
import traceback
import types
import zipfile
from urllib.parse import parse_qs

from moto.awslambda.models import lambda_backends
from moto.core import DEFAULT_ACCOUNT_ID

from .recorder import INVOCATIONS, LOCK
from .sandboxes import sandbox_of
from .sigv4 import region_of

# Invoke's path (botocore's lambda model, requestUri of Invoke).
INVOKE_PATH = re.compile(r"^/2015-03-31/functions/([^/]+)/invocations/?$")

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
    """The context a Python handler is given: the members and method of "Using the Lambda context
    object to retrieve Python function information"
    (https://docs.aws.amazon.com/lambda/latest/dg/python-context.html) that shiftguard's tests use."""

    def __init__(self, fn, deadline):
        self.function_name = fn.function_name
        self.function_version = fn.version
        self.invoked_function_arn = fn.function_arn
        self.memory_limit_in_mb = fn.memory_size
        self._deadline = deadline

    def get_remaining_time_in_millis(self):
        return max(0, int((self._deadline - time.time()) * 1000))


def invoke(environ, start_response, name, body):
    """Invoke of the function `name` (Invoke's FunctionName, from the path; Qualifier from the
    query). None when moto does not know the function, for moto to answer."""
    region = region_of(environ)
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
        result = sandbox_of(fn).invoke(event, timeout)
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
