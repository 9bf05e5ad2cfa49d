"""CloudWatch metric queries that moto 5.2.5's store answers unlike CloudWatch: percentile
statistics, and dimension sets written and queried in different orders.

- Percentiles: "Percentile (p) indicates the relative standing of a value in a dataset. For
  example, p95 is the 95th percentile and means that 95 percent of the data within the period is
  lower than this value" ("CloudWatch statistics definitions",
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html).
  moto leaves a pNN statistic empty in GetMetricData; the stand-in answers it with the nearest
  rank of the period's values (its own choice: CloudWatch does not say how it interpolates).
- Dimension order: moto 5.2.5 orders dimensions by comparing one's value with the other's name,
  so the same set written and queried in different orders does not match. CloudWatch ignores the
  order.
"""

import re

from moto.cloudwatch.models import Dimension, Statistics


def percentile(self, stat, _plain=Statistics.get_statistics_for_type):
    """moto's Statistics.get_statistics_for_type, plus pNN and pNN.NN (nearest rank)."""
    match = re.fullmatch(r"p(\d{1,2}(?:\.\d+)?)", stat)
    if not match:
        return _plain(self, stat)
    values = sorted(self.metric_single_values_list)
    if not values:
        return None
    rank = max(1, -(-float(match.group(1)) * len(values) // 100))  # nearest rank
    return values[int(rank) - 1]


def dimension_lt(self, other):
    """Dimensions in (name, value) order, whichever set they are in."""
    return (self.name or "", self.value or "") < (other.name or "", other.value or "")


def install():
    Statistics.get_statistics_for_type = percentile
    Dimension.__lt__ = dimension_lt
