"""Lambda's execution environment for `provided.al2023` functions: a warm `bootstrap` process per
function version, fed one event at a time through a Runtime API served here.

A sandbox plays Lambda's execution environment: "The Init phase is followed by one or more
function invocations" in the same environment ("Lambda execution environment",
https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html), so the process is
started once and kept warm. The function's runtime takes events from the Runtime API, `GET
/2018-06-01/runtime/invocation/next` (the event's deadline in Lambda-Runtime-Deadline-Ms), and
answers with `POST /2018-06-01/runtime/invocation/<request id>/response` or `.../error` ("Using
the Lambda runtime API for custom runtimes", https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html).
One sandbox per version (and environment), one event at a time, as Lambda does; a timed-out
sandbox is killed and not reused. moto's own invoke needs Docker. lambda_invoke.py decides which
functions run here.
"""

import http.server
import io
import json
import os
import queue
import stat
import subprocess
import tempfile
import threading
import time
import zipfile

from .recorder import LOCK


class Sandbox:
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


def sandbox_of(fn):
    """The warm sandbox of a function version (moto's LambdaFunction), started on first use."""
    key = (fn.function_arn, fn.code_sha_256, json.dumps(fn.environment_vars or {}, sort_keys=True))
    with LOCK:
        if key not in _SANDBOXES:
            _SANDBOXES[key] = Sandbox(fn)
        return _SANDBOXES[key]


def stop_all():
    """Kills every sandbox's process (the launcher does so before it exits)."""
    for sandbox in list(_SANDBOXES.values()):
        if sandbox.process is not None:
            sandbox.process.kill()
