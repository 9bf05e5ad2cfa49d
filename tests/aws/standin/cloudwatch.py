"""CloudWatch over smithy-rpc-v2-cbor, the protocol the Rust SDK speaks to CloudWatch, bridged to
moto 5.2.5's JSON protocol (moto does not speak CBOR).

botocore's cloudwatch model lists its protocols as smithy-rpc-v2-cbor, json, query; the Rust SDK
picks CBOR (botocore prefers json, which goes to moto as it is). A request is `POST /service/GraniteServiceVersion20100801/operation/<Op>`
with a CBOR body, the answer a CBOR body with `smithy-protocol: rpc-v2-cbor`, an error a CBOR map
with `__type` and `message` ("Smithy RPC v2 CBOR protocol",
https://smithy.io/2.0/additional-specs/protocols/smithy-rpc-v2.html). The bridge decodes the
request with botocore's RpcV2CBORParser, forwards it to moto as awsJson1_0 (X-Amz-Target
`GraniteServiceVersion20100801.<Op>`), and writes moto's answer back in CBOR with botocore's
RpcV2CBORSerializer, keeping only what the operation's output shape has. Every GetMetricData
request is recorded, decoded (recorder.METRIC_REQUESTS, the view /_shiftguard/metric-data-requests).
GetMetricData's answers that are not Complete, and the pages of a NextToken, are metric_statuses.py's;
percentiles and dimension order are cloudwatch_statistics.py's.
"""

import base64
import io
import json
import re

from botocore.parsers import RpcV2CBORParser
from botocore.serialize import RpcV2CBORSerializer
from botocore.session import get_session

from .metric_statuses import take_page, with_metric_status
from .recorder import LOCK, METRIC_REQUESTS

CBOR_PATH = re.compile(r"^/service/([^/]+)/operation/([^/]+)$")
MODEL = get_session().get_service_model("cloudwatch")


def cloudwatch_request(path):
    """The (service, operation) of a smithy-rpc-v2-cbor request to CloudWatch; None otherwise."""
    cbor = CBOR_PATH.match(path)
    if cbor and cbor.group(1) == MODEL.metadata["targetPrefix"]:
        return cbor.group(1), cbor.group(2)
    return None


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


class CborSerializer(RpcV2CBORSerializer):
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


def cbor_error(start_response, status, code, message):
    """An error in smithy-rpc-v2-cbor: a CBOR map with `__type` and `message`, and, since
    CloudWatch's model is awsQueryCompatible, the x-amzn-query-error header (code;fault)."""
    out = b"\xa2" + _cbor_text("__type") + _cbor_text(code) + _cbor_text("message") + _cbor_text(message)
    headers = [
        ("smithy-protocol", "rpc-v2-cbor"),
        ("Content-Type", "application/cbor"),
        ("x-amzn-query-error", f"{code};{'Sender' if status < 500 else 'Receiver'}"),
        ("Content-Length", str(len(out))),
    ]
    start_response(f"{status} Error", headers)
    return [out]


def cbor_bridge(environ, start_response, body, app, prefix, operation, metric_status=None):
    """Answers one smithy-rpc-v2-cbor request to CloudWatch through moto (`app`, its WSGI app):
    `prefix` and `operation` are the path's service and operation; `metric_status`, from an
    injected fault, makes GetMetricData's results carry that StatusCode instead of Complete."""
    params = RpcV2CBORParser()._initial_body_parse(body) or {}
    if operation == "GetMetricData":
        with LOCK:
            METRIC_REQUESTS.append(json.loads(json.dumps(params, default=_json_default)))
    token = params.get("NextToken") if operation == "GetMetricData" else None
    if token:
        # moto 5.2.5 ignores GetMetricData's NextToken; the pages it announces are the stand-in's.
        page = take_page(token)
        if page is None:  # the operation's one modeled error: InvalidNextToken, 400
            return cbor_error(start_response, 400, "InvalidNextToken", "The next token specified is invalid.")
        status, answer = 200, json.dumps(page).encode()
    else:
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
        shape = MODEL.operation_model(operation).output_shape
        out = bytearray()
        if shape is not None:
            value = json.loads(answer or b"{}")
            if metric_status and operation == "GetMetricData":
                value = with_metric_status(value, metric_status)
            CborSerializer()._serialize_data_item(out, _prune(value, shape), shape)
        else:
            out.extend(b"\xa0")
        start_response(f"{status} OK", headers + [("Content-Length", str(len(out)))])
        return [bytes(out)]
    try:
        error = json.loads(answer)
    except ValueError:  # InternalFailure, 500: one of AWS's common errors (see faults.py)
        error = {"__type": "InternalFailure", "message": answer.decode(errors="replace")}
    code = str(error.get("__type") or error.get("code") or "InternalFailure").rsplit("#", 1)[-1]
    message = str(error.get("message") or error.get("Message") or "")
    return cbor_error(start_response, status, code, message)

