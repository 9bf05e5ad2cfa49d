"""CloudWatch GetMetricData results that are not Complete, under fault injection (faults.py,
`{"operation": "GetMetricData", "metric_status": ...}`), and the pages a PartialData answer's
NextToken announces, which moto 5.2.5 ignores.

The AWS behaviour followed is quoted in with_metric_status.
"""

import time

from .recorder import LOCK

# GetMetricData pages still to be fetched, by the NextToken that announced them.
METRIC_PAGES = {}


def with_metric_status(answer, status):
    """A GetMetricData answer as CloudWatch gives it when a result is not Complete.

    MetricDataResult.StatusCode (model enum StatusCode: Complete, InternalError, PartialData,
    Forbidden), in the model's words: "Complete indicates that all data points in the requested
    time range were returned. PartialData means that an incomplete set of data points were
    returned. You can use the NextToken value that was returned and repeat your request to get
    more data points. NextToken is not returned if you are performing a math expression.
    InternalError indicates that an error occurred. Retry your request using NextToken, if
    present." (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDataResult.html)
    GetMetricData's NextToken: "Include this value, if it was returned by the previous
    GetMetricData operation, to get the next set of data points."

    - Forbidden, InternalError: every result carries the status, no datapoints, and a
      Messages entry (MessageData: Code, Value). The Forbidden text is the one the model's
      MessageData documentation quotes; the InternalError text is the stand-in's own.
    - PartialData: every result keeps the first half of its datapoints (in the order asked for
      with ScanBy) and is PartialData; the answer gets a NextToken; the request repeated with it
      returns the other half of each result, Complete.
    """
    results = answer.get("MetricDataResults") or []
    if status in ("Forbidden", "InternalError"):
        text = (
            "Authentication too complex to retrieve cross region data"
            if status == "Forbidden"
            else "An internal error occurred"
        )
        for r in results:
            r.update({"Values": [], "Timestamps": [], "StatusCode": status, "Messages": [{"Code": status, "Value": text}]})
        return answer
    if status == "PartialData":
        rest = []
        for r in results:
            values, stamps = r.get("Values") or [], r.get("Timestamps") or []
            half = len(values) // 2
            rest.append({**r, "Values": values[half:], "Timestamps": stamps[half:], "StatusCode": "Complete"})
            r.update({"Values": values[:half], "Timestamps": stamps[:half], "StatusCode": "PartialData"})
        token = f"shiftguard-page-{time.time_ns()}"
        with LOCK:
            METRIC_PAGES[token] = {"MetricDataResults": rest}
        answer["NextToken"] = token
        return answer
    for r in results:
        r["StatusCode"] = status
    return answer




def take_page(token):
    """The page a NextToken announced, once; None for a token the stand-in never gave (or gave
    and was already fetched)."""
    with LOCK:
        return METRIC_PAGES.pop(token, None)
