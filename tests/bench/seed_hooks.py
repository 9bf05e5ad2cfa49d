"""The seed's two Python hooks, as `make bench` runs them beside shiftguard's.

Copied from the guide this project grew from (../shared/background/codedeploy-guide.txt,
"Pre-Traffic Hook — Synthetic Validation" and "Post-Traffic Hook — Metric Validation"), with
two changes only, so that they run against the local stand-in: the post-traffic hook's function
name comes from FUNCTION_NAME instead of the literal "myapp-api", and both handlers share this
file. Their flaws (no deadline, zero traffic passing, the `Resource` dimension that misses alias
traffic) are left as they are: this is the baseline, not a hook to use.
"""

import boto3, datetime, json, os

codedeploy = boto3.client("codedeploy")
cloudwatch = boto3.client("cloudwatch")


def pre_traffic(event, context):
    deployment_id = event["DeploymentId"]
    hook_id = event["LifecycleEventHookExecutionId"]
    status = "Succeeded"
    try:
        # Invoke the new version directly (bypassing alias) for smoke test
        lambda_client = boto3.client("lambda")
        response = lambda_client.invoke(
            FunctionName=os.environ["TARGET_FUNCTION_ARN"],
            InvocationType="RequestResponse",
            Payload=json.dumps({"httpMethod": "GET", "path": "/health"}),
        )
        payload = json.loads(response["Payload"].read())
        if response.get("FunctionError") or payload.get("statusCode") != 200:
            status = "Failed"
            print(f"Pre-traffic smoke test FAILED: {payload}")
        else:
            print(f"Pre-traffic smoke test PASSED: {payload}")
    except Exception as e:
        print(f"Pre-traffic hook exception: {e}")
        status = "Failed"
    finally:
        codedeploy.put_lifecycle_event_hook_execution_status(
            deploymentId=deployment_id, lifecycleEventHookExecutionId=hook_id, status=status
        )


def post_traffic(event, context):
    deployment_id = event["DeploymentId"]
    hook_id = event["LifecycleEventHookExecutionId"]
    status = "Succeeded"
    name = os.environ["FUNCTION_NAME"]
    try:
        end = datetime.datetime.utcnow()
        start = end - datetime.timedelta(minutes=10)
        dimensions = [
            {"Name": "FunctionName", "Value": name},
            {"Name": "Resource", "Value": f"{name}:{os.environ['NEW_VERSION']}"},
        ]
        errors = cloudwatch.get_metric_statistics(
            Namespace="AWS/Lambda", MetricName="Errors", Dimensions=dimensions,
            StartTime=start, EndTime=end, Period=600, Statistics=["Sum"],
        )
        invocations = cloudwatch.get_metric_statistics(
            Namespace="AWS/Lambda", MetricName="Invocations", Dimensions=dimensions,
            StartTime=start, EndTime=end, Period=600, Statistics=["Sum"],
        )
        error_sum = sum(d["Sum"] for d in errors["Datapoints"])
        invocation_sum = sum(d["Sum"] for d in invocations["Datapoints"])
        error_rate = (error_sum / invocation_sum * 100) if invocation_sum > 0 else 0
        print(f"Error rate for new version: {error_rate:.2f}%")
        if error_rate > 1.0:
            status = "Failed"
            print("Post-traffic check FAILED — error rate exceeds 1%")
    except Exception as e:
        print(f"Post-traffic hook exception: {e}")
        status = "Failed"
    finally:
        codedeploy.put_lifecycle_event_hook_execution_status(
            deploymentId=deployment_id, lifecycleEventHookExecutionId=hook_id, status=status
        )
