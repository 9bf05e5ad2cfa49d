"""cloudwatch_statistics.py: percentile statistics in GetMetricData, and dimension sets matched
whatever their order."""

import types
import unittest

from moto.cloudwatch.models import Dimension

from standin import cloudwatch_statistics

from . import cloudwatch_support as metrics
from . import support


class Percentiles(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cloudwatch = support.cbor_client("cloudwatch")

    def test_get_metric_data_answers_p99_and_the_other_statistics(self):
        namespace, dims = metrics.namespace(), metrics.service()
        metrics.put(self.cloudwatch, namespace, dims, range(1, 201))  # 1..200 ms, one period
        queries = [
            metrics.query(namespace, dims, stat, query_id=f"q{i}")
            for i, stat in enumerate(("p99", "p50", "p99.9", "Maximum", "SampleCount"))
        ]
        answer = metrics.get(self.cloudwatch, queries)
        values = {r["Id"]: r["Values"] for r in answer["MetricDataResults"]}
        self.assertEqual(values, {"q0": [198.0], "q1": [100.0], "q2": [200.0], "q3": [200.0], "q4": [200.0]})

    def test_nearest_rank(self):
        def stat(values, name):
            return cloudwatch_statistics.percentile(types.SimpleNamespace(metric_single_values_list=values), name)

        self.assertEqual(stat([5, 1, 3, 2, 4], "p50"), 3)
        self.assertEqual(stat([5, 1, 3, 2, 4], "p99"), 5)
        self.assertEqual(stat([5, 1, 3, 2, 4], "p1"), 1)
        self.assertEqual(stat(list(range(1, 1001)), "p99.5"), 995)
        self.assertIsNone(stat([], "p99"))


class DimensionOrder(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cloudwatch = support.cbor_client("cloudwatch")

    def test_a_set_written_in_one_order_is_found_in_another(self):
        namespace = metrics.namespace()
        written = [("TargetGroup", support.unique("targetgroup/green")), ("LoadBalancer", "app/web/4567")]
        metrics.put(self.cloudwatch, namespace, written, [7, 9], metric="TargetResponseTime")
        for queried in (written, list(reversed(written))):
            with self.subTest(queried=queried):
                answer = metrics.get(self.cloudwatch, [metrics.query(namespace, queried, "Sum", metric="TargetResponseTime")])
                self.assertEqual(answer["MetricDataResults"][0]["Values"], [16.0])

    def test_a_different_set_is_not_matched(self):
        namespace = metrics.namespace()
        one, two = support.unique("one"), support.unique("two")
        metrics.put(self.cloudwatch, namespace, [("A", one), ("B", two)], [5])
        answer = metrics.get(self.cloudwatch, [metrics.query(namespace, [("A", two), ("B", one)], "Sum")])
        self.assertEqual(answer["MetricDataResults"][0]["Values"], [])

    def test_dimensions_sort_by_name_then_value(self):
        dims = [Dimension("b", "a"), Dimension("a", "z"), Dimension("a", "b")]
        self.assertEqual([(d.name, d.value) for d in sorted(dims)], [("a", "b"), ("a", "z"), ("b", "a")])


if __name__ == "__main__":
    unittest.main()
