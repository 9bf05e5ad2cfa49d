"""One stand-in per test process, served in-process on a free port, and what the tests share:
boto3 clients for it, its /_shiftguard/ API, unique names, scenarios, and a check of raw answers
against botocore's model."""

import atexit
import hashlib
import io
import json
import os
import shutil
import tempfile
import threading
import time
import urllib.error
import urllib.request
import zipfile

import boto3
from botocore.config import Config

from standin import app

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's DEFAULT_ACCOUNT_ID
FUNCTION_ROLE = f"arn:aws:iam::{ACCOUNT}:role/{app.TEST_ROLE}"
SERVICE_ROLE = f"arn:aws:iam::{ACCOUNT}:role/codedeploy"

_SERVER = None
_SERVER_LOCK = threading.Lock()
_NEXT = iter(range(1, 1 << 30))


def endpoint():
    """The URL of this process's stand-in, started on first use."""
    global _SERVER
    with _SERVER_LOCK:
        if _SERVER is None:
            _SERVER = app.serve(0)
    return f"http://127.0.0.1:{_SERVER.server_port}"


def client(service, **config):
    """A boto3 client for the stand-in: no retries (a fault is seen once, as injected)."""
    options = {"retries": {"total_max_attempts": 1, "mode": "standard"}, "read_timeout": 30}
    options.update(config)
    return boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    ).client(service, endpoint_url=endpoint(), config=Config(**options))


def unique(prefix):
    return f"{prefix}-{os.getpid()}-{next(_NEXT)}"


# --- /_shiftguard/ ------------------------------------------------------------------------


def control(method, name, body=None):
    """(status, JSON value) of /_shiftguard/<name>."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{endpoint()}/_shiftguard/{name}", data=data, method=method)
    request.add_header("Content-Type", "application/json")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def view(name):
    status, value = control("GET", name)
    assert status == 200, (name, status, value)
    return value


def set_deployment(deployment_id, **change):
    status, value = control("POST", f"deployments/{deployment_id}", change)
    assert status == 200, (deployment_id, status, value)
    return value


def inject_fault(**fault):
    status, value = control("POST", "faults", fault)
    assert status == 201, (fault, status, value)
    return value


def clear_faults():
    control("DELETE", "faults")


# --- Raw answers and botocore's model --------------------------------------------------------


def call_raw(aws, method, **params):
    """(parsed, raw body) of one call: the raw body as the stand-in wrote it, before botocore's
    parser keeps only what the model knows. A failing call raises, as boto3 does; the raw body is
    then in the exception's `raw` attribute."""
    operation = aws.meta.method_to_api_mapping[method]
    event = f"after-call.{aws.meta.service_model.service_id.hyphenize()}.{operation}"
    captured = {}

    def keep(http_response, **kwargs):
        captured["body"] = http_response.content

    aws.meta.events.register(event, keep)
    try:
        return getattr(aws, method)(**params), captured.get("body")
    except Exception as e:
        e.raw = captured.get("body")
        raise
    finally:
        aws.meta.events.unregister(event, keep)


def shape_problems(value, shape, path="$"):
    """Where a JSON value strays from a botocore shape: members the shape does not have, enum
    values it does not list, wrong types. An empty list when the value fits."""
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{path}: {type(value).__name__} where {shape.name} is a structure"]
        problems = []
        for key, member in value.items():
            if key not in shape.members:
                problems.append(f"{path}.{key}: not a member of {shape.name} ({sorted(shape.members)})")
            else:
                problems += shape_problems(member, shape.members[key], f"{path}.{key}")
        return problems
    if kind == "list":
        if not isinstance(value, list):
            return [f"{path}: {type(value).__name__} where {shape.name} is a list"]
        return [p for i, v in enumerate(value) for p in shape_problems(v, shape.member, f"{path}[{i}]")]
    if kind == "map":
        if not isinstance(value, dict):
            return [f"{path}: {type(value).__name__} where {shape.name} is a map"]
        return [p for k, v in value.items() for p in shape_problems(v, shape.value, f"{path}[{k!r}]")]
    if kind == "string":
        if not isinstance(value, str):
            return [f"{path}: {value!r} where {shape.name} is a string"]
        if shape.enum and value not in shape.enum:
            return [f"{path}: {value!r} is none of {shape.name}'s {shape.enum}"]
        return []
    if kind in ("integer", "long"):
        return [] if isinstance(value, int) and not isinstance(value, bool) else [f"{path}: {value!r} is not an integer"]
    if kind in ("double", "float"):
        return [] if isinstance(value, (int, float)) and not isinstance(value, bool) else [f"{path}: {value!r} is not a number"]
    if kind == "boolean":
        return [] if isinstance(value, bool) else [f"{path}: {value!r} is not a boolean"]
    if kind == "timestamp":
        return [] if isinstance(value, (int, float, str)) and not isinstance(value, bool) else [f"{path}: {value!r} is not a timestamp"]
    return []


def assert_fits(test, raw, aws, method):
    """Fails `test` unless the raw JSON answer fits the operation's output shape in the model."""
    operation = aws.meta.service_model.operation_model(aws.meta.method_to_api_mapping[method])
    problems = shape_problems(json.loads(raw), operation.output_shape)
    test.assertEqual(problems, [], f"{operation.name}'s answer strays from the model")


# --- Scenarios ------------------------------------------------------------------------------


def sha256(text):
    return hashlib.sha256(text.encode()).hexdigest()


def application(codedeploy, platform="Lambda", **group):
    """A new application with one blue/green deployment group `<app>-dg`; returns the application."""
    name = unique("app")
    codedeploy.create_application(applicationName=name, computePlatform=platform)
    codedeploy.create_deployment_group(
        applicationName=name,
        deploymentGroupName=f"{name}-dg",
        serviceRoleArn=SERVICE_ROLE,
        deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        **group,
    )
    return name


def appspec_revision(content):
    return {"revisionType": "AppSpecContent", "appSpecContent": {"content": content}}


def deployment(codedeploy, app_name, revision):
    """A deployment of `revision` in the group `<app>-dg`; its id (status Created, as moto makes it)."""
    return codedeploy.create_deployment(
        applicationName=app_name, deploymentGroupName=f"{app_name}-dg", revision=revision
    )["deploymentId"]


def lambda_appspec(function, current, target):
    return (
        "version: 0.0\nResources:\n  - fn:\n      Type: AWS::Lambda::Function\n      Properties:\n"
        f"        Name: {function}\n        Alias: live\n        CurrentVersion: \"{current}\"\n"
        f"        TargetVersion: \"{target}\"\n"
    )


def zipped(files):
    """A zip of {name: text}, each file executable (as a `bootstrap` must be)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, text in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o755 << 16
            z.writestr(info, text)
    return buffer.getvalue()


def wait_until(condition, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


_CBOR_MODELS = None


def cbor_client(service="cloudwatch"):
    """A boto3 client for the stand-in that speaks smithy-rpc-v2-cbor, as the Rust SDK does.

    botocore prefers a service's json protocol to its smithy-rpc-v2-cbor one (its
    PRIORITY_ORDERED_SUPPORTED_PROTOCOLS), so this client loads the service's own model with CBOR
    as its only protocol; everything else (serializer, signer, parser) is botocore's."""
    global _CBOR_MODELS
    import botocore.session

    with _SERVER_LOCK:
        if _CBOR_MODELS is None:
            _CBOR_MODELS = tempfile.mkdtemp(prefix="standin-cbor-models-")
            atexit.register(shutil.rmtree, _CBOR_MODELS, True)
        loader = botocore.session.get_session().get_component("data_loader")
        api_version = loader.determine_latest_version(service, "service-2")
        model = loader.load_service_model(service, "service-2", api_version)
        model["metadata"]["protocols"] = ["smithy-rpc-v2-cbor"]
        model["metadata"]["protocol"] = "smithy-rpc-v2-cbor"
        directory = os.path.join(_CBOR_MODELS, service, api_version)
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, "service-2.json"), "w") as f:
            json.dump(model, f)
    session = botocore.session.get_session()
    session.set_config_variable("data_path", _CBOR_MODELS)
    aws = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION, botocore_session=session
    ).client(
        service,
        endpoint_url=endpoint(),
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}, read_timeout=30),
    )
    assert aws.meta.service_model.resolved_protocol == "smithy-rpc-v2-cbor", aws.meta.service_model.resolved_protocol
    return aws
