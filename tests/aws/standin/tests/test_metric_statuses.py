"""metric_statuses.py: GetMetricData results that are not Complete, under fault injection, and the
pages a PartialData answer's NextToken announces."""

import datetime
import unittest

from botocore.exceptions import ClientError

from standin.metric_statuses import with_metric_status

from . import cloudwatch_support as metrics
from . import support


class MetricStatuses(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cloudwatch = support.cbor_client("cloudwatch")

    def tearDown(self):
        support.clear_faults()

    def four_minutes(self):
        """A metric with one datapoint a minute for four minutes; its query, and the end of a window
        holding them."""
        namespace, dims = metrics.namespace(), metrics.service()
        start = metrics.now().replace(second=0) - datetime.timedelta(minutes=5)
        for minute in range(4):
            metrics.put(self.cloudwatch, namespace, dims, [minute + 1], at=start + datetime.timedelta(minutes=minute, seconds=30))
        return metrics.query(namespace, dims, "Sum"), metrics.now() + datetime.timedelta(minutes=1)

    def test_partial_data_then_the_rest_with_the_next_token(self):
        query, end = self.four_minutes()
        complete = metrics.get(self.cloudwatch, [query], end=end, ScanBy="TimestampAscending")["MetricDataResults"][0]
        self.assertEqual(complete["Values"], [1.0, 2.0, 3.0, 4.0])

        support.inject_fault(operation="GetMetricData", metric_status="PartialData")
        first = metrics.get(self.cloudwatch, [query], end=end, ScanBy="TimestampAscending")
        (part,) = first["MetricDataResults"]
        self.assertEqual((part["StatusCode"], part["Values"]), ("PartialData", [1.0, 2.0]))
        self.assertEqual(part["Timestamps"], complete["Timestamps"][:2])
        token = first["NextToken"]

        rest = metrics.get(self.cloudwatch, [query], end=end, ScanBy="TimestampAscending", NextToken=token)
        (part,) = rest["MetricDataResults"]
        self.assertEqual((part["StatusCode"], part["Values"]), ("Complete", [3.0, 4.0]))
        self.assertEqual(part["Timestamps"], complete["Timestamps"][2:])
        self.assertNotIn("NextToken", rest)

        with self.assertRaises(ClientError) as refused:  # a page is given once
            metrics.get(self.cloudwatch, [query], NextToken=token)
        self.assertEqual(refused.exception.response["Error"]["Code"], "InvalidNextToken")

    def test_forbidden_and_internal_error_results_carry_no_datapoints(self):
        query, _ = self.four_minutes()
        for status in ("Forbidden", "InternalError"):
            with self.subTest(status=status):
                support.inject_fault(operation="GetMetricData", metric_status=status)
                answer = metrics.get(self.cloudwatch, [query])
                (result,) = answer["MetricDataResults"]
                self.assertEqual((result["StatusCode"], result["Values"], result["Timestamps"]), (status, [], []))
                self.assertEqual(result["Messages"][0]["Code"], status)
                self.assertNotIn("NextToken", answer)
        self.assertEqual(metrics.get(self.cloudwatch, [query])["MetricDataResults"][0]["StatusCode"], "Complete")

    def test_a_metric_status_is_for_get_metric_data_and_one_of_the_models(self):
        for fault in (
            {"operation": "GetMetricStatistics", "metric_status": "PartialData"},
            {"operation": "GetMetricData", "metric_status": "Partial"},
        ):
            with self.subTest(fault=fault):
                status, answer = support.control("POST", "faults", fault)
                self.assertEqual(status, 400)
                self.assertIn("metric_status", answer["error"])

    def test_with_metric_status_directly(self):
        answer = {"MetricDataResults": [{"Id": "q", "Values": [1, 2, 3], "Timestamps": [10, 20, 30], "StatusCode": "Complete"}]}
        partial = with_metric_status(answer, "PartialData")
        self.assertEqual(partial["MetricDataResults"][0]["Values"], [1])
        self.assertTrue(partial["NextToken"].startswith("shiftguard-page-"))


if __name__ == "__main__":
    unittest.main()
