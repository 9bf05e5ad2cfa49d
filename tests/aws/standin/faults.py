"""Fault injection: the next calls of an operation fail, slow down or lose their connection, as
AWS calls sometimes do; optionally only for one deploymentId.

A fault (POST /_shiftguard/faults, control.py) is a JSON object:

- `operation`: the operation's name (GetDeployment, Invoke, GetMetricData, ...), or "*" for any;
- `deploymentId` (optional): only calls whose JSON body names this deploymentId;
- `times` (default 1): how many calls it applies to; a negative number, every call;
- `status` and `error` (default 400 ThrottlingException): the answer, in the protocol of the
  service (awsJson, or CBOR for CloudWatch); `status` 0 is no error, only the delay;
- `delay_ms`: a wait before answering; `drop`: no answer at all (see answer);
- `metric_status` (GetMetricData only): not an error; the results carry this StatusCode instead of
  Complete (metric_statuses.py).

Faults are consumed in the order they were added: a call takes the first that matches it.
DELETE /_shiftguard/faults clears them.
"""

import json
import time

from .cloudwatch import MODEL as CLOUDWATCH
from .cloudwatch import cbor_error
from .recorder import LOCK

FAULTS = []  # injected faults, consumed in order


def add(fault):
    """Adds a fault with its defaults; the fault as kept, or a ValueError for a metric_status that
    is not GetMetricData's. The caller holds recorder.LOCK."""
    fault.setdefault("times", 1)
    if "metric_status" in fault:
        # Not an error: the answer's MetricDataResults carry this StatusCode instead.
        statuses = CLOUDWATCH.shape_for("StatusCode").enum
        if fault.get("operation") != "GetMetricData" or fault["metric_status"] not in statuses:
            raise ValueError(f"metric_status is for GetMetricData, one of {statuses}")
        fault.setdefault("status", 0)
    # ThrottlingException, 400: in the common errors every AWS API can return ("The
    # request was denied due to request throttling", e.g.
    # https://docs.aws.amazon.com/codedeploy/latest/APIReference/CommonErrors.html and
    # https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CommonErrors.html),
    # and a modeled error of CodeDeploy (service-2.json, ThrottlingException). Lambda
    # throttles with TooManyRequestsException, 429 (its model): tests say so explicitly.
    fault.setdefault("status", 400)
    fault.setdefault("error", "ThrottlingException")
    FAULTS.append(fault)
    return fault


def clear():
    """Drops every fault. The caller holds recorder.LOCK."""
    FAULTS.clear()


def take(operation, deployment_id):
    """The first fault for this call, one of its `times` used up; None when no fault applies."""
    with LOCK:
        for fault in FAULTS:
            if fault.get("deploymentId") not in (None, deployment_id):
                continue
            if fault["operation"] in (operation, "*") and fault["times"] != 0:
                fault["times"] -= 1
                return dict(fault)
    return None


def answer(fault, start_response, cloudwatch):
    """Plays a fault taken for a call: waits, drops the connection or answers with the error (in
    CloudWatch's CBOR where `cloudwatch`). None when the call is still to be answered for real.

    `drop` raises ConnectionAbortedError, which werkzeug takes for a connection the client
    dropped: it writes nothing, and leaves the connection open, so the caller waits for an answer
    until its own read timeout."""
    time.sleep(fault.get("delay_ms", 0) / 1000)
    if fault.get("drop"):
        raise ConnectionAbortedError("fault injection: connection dropped")
    if fault.get("status") and cloudwatch:  # in CloudWatch's own protocol
        return cbor_error(start_response, int(fault["status"]), fault["error"], f"injected {fault['error']}")
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
    return None
