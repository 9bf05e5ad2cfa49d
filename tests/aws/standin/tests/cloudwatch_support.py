"""Metrics for the CloudWatch tests: written through PutMetricData, read through GetMetricData,
both over the stand-in's CBOR bridge as boto3 speaks it."""

import datetime

from . import support


def now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def put(cloudwatch, namespace, dimensions, values, at=None, metric="Duration"):
    """Writes `values` (one datum, Values with Counts 1) of `metric` with exactly `dimensions`."""
    cloudwatch.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": metric,
                "Dimensions": [{"Name": n, "Value": v} for n, v in dimensions],
                "Values": [float(v) for v in values],
                "Counts": [1.0] * len(values),
                "Timestamp": at or now(),
            }
        ],
    )


def query(namespace, dimensions, stat, metric="Duration", period=60, query_id="q"):
    return {
        "Id": query_id,
        "MetricStat": {
            "Metric": {
                "Namespace": namespace,
                "MetricName": metric,
                "Dimensions": [{"Name": n, "Value": v} for n, v in dimensions],
            },
            "Period": period,
            "Stat": stat,
        },
    }


def get(cloudwatch, queries, minutes=10, end=None, **params):
    """GetMetricData over the `minutes` before `end` (default: a minute from now)."""
    end = end or now() + datetime.timedelta(minutes=1)
    return cloudwatch.get_metric_data(
        MetricDataQueries=queries, StartTime=end - datetime.timedelta(minutes=minutes), EndTime=end, **params
    )


def namespace():
    return support.unique("Shiftguard/Test")


def service():
    """A dimension set no other test writes. moto 5.2.5's GetMetricData, given dimensions, matches
    datapoints of every namespace (it filters the period's datapoints by dimensions and name
    only), so the tests keep their dimensions apart, not only their namespaces."""
    return [("Service", support.unique("web"))]
