"""What the stand-in saw, in the order it happened, for the tests to read under /_shiftguard/.

One lock, LOCK, guards these lists and the stand-in's other shared state (the faults in faults.py,
the metric pages in metric_statuses.py, the sandboxes in sandboxes.py). The views in control.py
answer with the lists as they are; nothing here is an AWS behaviour.
"""

import threading

LOCK = threading.Lock()
REPORTS = []  # hook statuses, in the order they were accepted (hook_statuses.py)
INVOCATIONS = []  # Lambda invocations: function, qualifier, version, payload (lambda_invoke.py)
CALLS = []  # every AWS operation seen: {"service", "operation", "deploymentId", "applicationName"} (app.py)
METRIC_REQUESTS = []  # GetMetricData requests, decoded (cloudwatch.py)
STOPS = []  # StopDeployment calls that stopped something (stop_and_rollback.py)
