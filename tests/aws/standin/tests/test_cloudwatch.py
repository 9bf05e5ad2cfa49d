"""cloudwatch.py: CloudWatch over smithy-rpc-v2-cbor, bridged to moto, as boto3's own CBOR
serializer and parser speak it."""

import datetime
import unittest

from botocore.exceptions import ClientError
from botocore.serialize import RpcV2CBORSerializer

from standin import cloudwatch

from . import cloudwatch_support as metrics
from . import support


class CborBridge(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cloudwatch = support.cbor_client("cloudwatch")

    def test_botocore_speaks_cbor_to_the_bridge_and_reads_its_answer(self):
        sent = []

        def keep(request, **kwargs):
            sent.append((request.url, dict(request.headers)))

        self.cloudwatch.meta.events.register("before-send.cloudwatch.GetMetricData", keep)
        try:
            namespace, dims = metrics.namespace(), metrics.service()
            metrics.put(self.cloudwatch, namespace, dims, [1, 2, 3, 4])
            answer, raw = support.call_raw(
                self.cloudwatch,
                "get_metric_data",
                MetricDataQueries=[metrics.query(namespace, dims, "Sum")],
                StartTime=metrics.now() - datetime.timedelta(minutes=10),
                EndTime=metrics.now() + datetime.timedelta(minutes=1),
            )
        finally:
            self.cloudwatch.meta.events.unregister("before-send.cloudwatch.GetMetricData", keep)

        url, headers = sent[0]
        self.assertTrue(url.endswith("/service/GraniteServiceVersion20100801/operation/GetMetricData"), url)
        protocol = headers.get("smithy-protocol")
        self.assertEqual(protocol.decode() if isinstance(protocol, bytes) else protocol, "rpc-v2-cbor")
        (result,) = answer["MetricDataResults"]
        self.assertEqual((result["Id"], result["Values"], result["StatusCode"]), ("q", [10.0], "Complete"))
        self.assertIsInstance(result["Timestamps"][0], datetime.datetime)
        # timestamps in the answer: tag 1 (epoch) with a double, as the Rust SDK requires
        self.assertIn(b"\xc1\xfb", raw)
        self.assertNotIn(b"{", raw[:1])  # CBOR, not JSON

        calls = [c for c in support.view("calls") if c["operation"] == "GetMetricData"]
        self.assertEqual(calls[-1]["service"], "monitoring")

    def test_every_get_metric_data_request_is_recorded_decoded(self):
        namespace = metrics.namespace()
        metrics.get(self.cloudwatch, [metrics.query(namespace, metrics.service(), "p99", query_id="latency")])
        recorded = [
            r
            for r in support.view("metric-data-requests")
            if r["MetricDataQueries"][0]["MetricStat"]["Metric"]["Namespace"] == namespace
        ]
        self.assertEqual(len(recorded), 1)
        query = recorded[0]["MetricDataQueries"][0]
        self.assertEqual((query["Id"], query["MetricStat"]["Stat"], query["MetricStat"]["Period"]), ("latency", "p99", 60))
        self.assertIsInstance(recorded[0]["StartTime"], float)  # decoded from CBOR's tag 1

    def test_an_unknown_next_token_is_invalid_next_token(self):
        with self.assertRaises(ClientError) as refused:
            metrics.get(self.cloudwatch, [metrics.query(metrics.namespace(), [], "Sum")], NextToken="never-given")
        error = refused.exception.response
        self.assertEqual(error["Error"]["Code"], "InvalidNextToken")
        self.assertEqual(error["ResponseMetadata"]["HTTPStatusCode"], 400)
        self.assertEqual(error["ResponseMetadata"]["HTTPHeaders"]["x-amzn-query-error"], "InvalidNextToken;Sender")

    def test_motos_own_errors_come_back_in_cbor(self):
        with self.assertRaises(ClientError) as refused:
            self.cloudwatch.get_dashboard(DashboardName=support.unique("no-such-dashboard"))
        error = refused.exception.response
        self.assertEqual(error["ResponseMetadata"]["HTTPHeaders"]["content-type"], "application/cbor")
        # moto's JSON error, `__type` and `message`, as a CBOR error with the awsQuery code
        self.assertEqual((error["Error"]["Code"], error["Error"]["Message"]), ("ResourceNotFound", "Dashboard does not exist"))
        self.assertEqual(error["ResponseMetadata"]["HTTPStatusCode"], 404)
        self.assertEqual(error["ResponseMetadata"]["HTTPHeaders"]["x-amzn-query-error"], "ResourceNotFound;Sender")

    def test_timestamps_are_written_as_doubles_where_botocore_writes_integers(self):
        shape = cloudwatch.MODEL.operation_model("GetMetricData").output_shape
        answer = {"MetricDataResults": [{"Id": "q", "Timestamps": [1700000000], "Values": [1.0]}]}
        ours, botocores = bytearray(), bytearray()
        cloudwatch.CborSerializer()._serialize_data_item(ours, answer, shape)
        RpcV2CBORSerializer()._serialize_data_item(botocores, answer, shape)
        self.assertIn(b"\xc1\xfb\x41\xd9\x54\xfc\x40\x00\x00\x00", ours)  # tag 1, double 1700000000.0
        self.assertNotIn(b"\xc1\xfb", botocores)

    def test_only_cloudwatchs_cbor_path_is_bridged(self):
        self.assertEqual(
            cloudwatch.cloudwatch_request("/service/GraniteServiceVersion20100801/operation/GetMetricData"),
            ("GraniteServiceVersion20100801", "GetMetricData"),
        )
        self.assertIsNone(cloudwatch.cloudwatch_request("/service/SomethingElse/operation/GetMetricData"))
        self.assertIsNone(cloudwatch.cloudwatch_request("/2015-03-31/functions/fn/invocations"))


if __name__ == "__main__":
    unittest.main()
