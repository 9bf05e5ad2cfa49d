"""The stand-in's own API under /_shiftguard/, for the tests: read-only views of what happened
(recorder.py), and the controls that play what AWS would do by itself (deployment_progress.py)
or make it misbehave (faults.py). None of it is an AWS API.

- GET reports, invocations, calls, stops, metric-data-requests: the recorded lists, as JSON.
- POST deployments/<id>: moves a deployment (deployment_progress.set_deployment_state); 400 for a
  value botocore's model does not allow, 404 for an unknown deployment.
- POST faults: adds a fault (faults.add), 201; DELETE faults: clears them.
- GET default-vpc: the region's default VPC id and its subnets; GET health: {"ok": true}.
"""

import json

from moto.core import DEFAULT_ACCOUNT_ID
from moto.ec2.models import ec2_backends

from . import faults
from .deployment_progress import set_deployment_state
from .recorder import CALLS, INVOCATIONS, LOCK, METRIC_REQUESTS, REPORTS, STOPS
from .sigv4 import region_of

PREFIX = "/_shiftguard/"


def _json(start_response, status, value):
    body = json.dumps(value, default=str).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def handle(environ, start_response, body):
    """Answers a request whose path starts with PREFIX."""
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
            try:
                changed = set_deployment_state(path.rsplit("/", 1)[-1], json.loads(body))
            except ValueError as e:
                return _json(start_response, "400 Bad Request", {"error": str(e)})
            if changed is None:
                return _json(start_response, "404 Not Found", {"error": "no such deployment"})
            return _json(start_response, "200 OK", changed)
        if path == "/_shiftguard/metric-data-requests":
            return _json(start_response, "200 OK", METRIC_REQUESTS)
        if path == "/_shiftguard/faults" and method == "POST":
            fault = json.loads(body)
            try:
                fault = faults.add(fault)
            except ValueError as e:
                return _json(start_response, "400 Bad Request", {"error": str(e)})
            return _json(start_response, "201 Created", fault)
        if path == "/_shiftguard/faults" and method == "DELETE":
            faults.clear()
            return _json(start_response, "200 OK", [])
        if path == "/_shiftguard/default-vpc":
            # The VPC moto creates in each region, as AWS gives each account a default VPC per
            # region (EC2 DescribeVpcs, isDefault), and its subnets ("a default subnet in each
            # Availability Zone", https://docs.aws.amazon.com/vpc/latest/userguide/default-vpc.html):
            # where a test makes its target groups (CreateTargetGroup checks that the VpcId exists)
            # and load balancers (CreateLoadBalancer checks the subnets) without the EC2 SDK.
            ec2 = ec2_backends[DEFAULT_ACCOUNT_ID][region_of(environ)]
            vpc = ec2.get_default_vpc()
            subnets = ec2.describe_subnets(filters={"vpc-id": [vpc.id]}) if vpc else []
            return _json(
                start_response,
                "200 OK",
                {"VpcId": vpc.id if vpc else None, "SubnetIds": sorted(s.id for s in subnets)},
            )
        if path == "/_shiftguard/health":
            return _json(start_response, "200 OK", {"ok": True})
    return _json(start_response, "404 Not Found", {"error": f"no such view: {method} {path}"})
