"""faults.py: injected faults, consumed in order, only for the operation and deploymentId named."""

import time
import unittest

from botocore.exceptions import ClientError, ReadTimeoutError

from . import cloudwatch_support as metrics
from . import support


class Faults(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.codedeploy = support.client("codedeploy")
        cls.app = support.application(cls.codedeploy)

    def setUp(self):
        support.clear_faults()

    def tearDown(self):
        support.clear_faults()

    def new_deployment(self):
        return support.deployment(self.codedeploy, self.app, support.appspec_revision("version: 0.0\n"))

    def code_of(self, call):
        try:
            call()
        except ClientError as e:
            return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]
        return "ok", 200

    def get(self, deployment_id):
        return self.code_of(lambda: self.codedeploy.get_deployment(deploymentId=deployment_id))

    def test_faults_are_consumed_in_order_and_only_for_their_deployment(self):
        mine, other = self.new_deployment(), self.new_deployment()
        added = support.inject_fault(operation="GetDeployment", deploymentId=mine)
        self.assertEqual((added["times"], added["status"], added["error"]), (1, 400, "ThrottlingException"))
        support.inject_fault(operation="GetDeployment", deploymentId=mine, status=500, error="InternalFailure")

        self.assertEqual(self.get(other), ("ok", 200))
        self.assertEqual(self.get(mine), ("ThrottlingException", 400))
        self.assertEqual(self.get(other), ("ok", 200))
        self.assertEqual(self.get(mine), ("InternalFailure", 500))
        self.assertEqual(self.get(mine), ("ok", 200))

    def test_a_fault_applies_to_its_operation_and_its_times(self):
        deployment_id = self.new_deployment()
        support.inject_fault(operation="StopDeployment", times=2, error="ServiceUnavailable", status=503)
        self.assertEqual(self.get(deployment_id), ("ok", 200))
        stop = lambda: self.codedeploy.stop_deployment(deploymentId=deployment_id)  # noqa: E731
        self.assertEqual(self.code_of(stop), ("ServiceUnavailable", 503))
        self.assertEqual(self.code_of(stop), ("ServiceUnavailable", 503))
        support.set_deployment(deployment_id, status="InProgress")
        self.assertEqual(self.code_of(stop), ("ok", 200))

    def test_any_operation_and_every_time(self):
        deployment_id = self.new_deployment()
        support.inject_fault(operation="*", deploymentId=deployment_id, times=-1)
        for _ in range(3):
            self.assertEqual(self.get(deployment_id), ("ThrottlingException", 400))
        put = lambda: self.codedeploy.put_lifecycle_event_hook_execution_status(  # noqa: E731
            deploymentId=deployment_id, lifecycleEventHookExecutionId=support.unique("hook"), status="Succeeded"
        )
        self.assertEqual(self.code_of(put), ("ThrottlingException", 400))
        support.clear_faults()
        self.assertEqual(self.get(deployment_id), ("ok", 200))

    def test_a_delay_alone_answers_for_real_afterwards(self):
        deployment_id = self.new_deployment()
        support.inject_fault(operation="GetDeployment", deploymentId=deployment_id, status=0, delay_ms=400)
        started = time.monotonic()
        self.assertEqual(self.get(deployment_id), ("ok", 200))
        self.assertGreaterEqual(time.monotonic() - started, 0.4)
        started = time.monotonic()
        self.get(deployment_id)
        self.assertLess(time.monotonic() - started, 0.4)

    def test_a_dropped_call_has_no_answer(self):
        deployment_id = self.new_deployment()
        support.inject_fault(operation="GetDeployment", deploymentId=deployment_id, drop=True)
        impatient = support.client("codedeploy", read_timeout=1)
        started = time.monotonic()
        with self.assertRaises(ReadTimeoutError):
            impatient.get_deployment(deploymentId=deployment_id)
        self.assertGreaterEqual(time.monotonic() - started, 1)
        self.assertEqual(self.get(deployment_id), ("ok", 200))

    def test_a_cloudwatch_fault_is_answered_in_cbor(self):
        cloudwatch = support.cbor_client("cloudwatch")
        support.inject_fault(operation="GetMetricData")
        with self.assertRaises(ClientError) as refused:
            metrics.get(cloudwatch, [metrics.query(metrics.namespace(), metrics.service(), "Sum")])
        error = refused.exception.response
        self.assertEqual(error["Error"]["Code"], "ThrottlingException")
        self.assertEqual(error["ResponseMetadata"]["HTTPHeaders"]["content-type"], "application/cbor")
        self.assertEqual(error["ResponseMetadata"]["HTTPHeaders"]["x-amzn-query-error"], "ThrottlingException;Sender")

    def test_lambda_throttling_is_said_explicitly(self):
        awslambda = support.client("lambda")
        support.inject_fault(operation="Invoke", status=429, error="TooManyRequestsException")
        with self.assertRaises(ClientError) as refused:
            awslambda.invoke(FunctionName=support.unique("any-fn"), Payload=b"{}")
        self.assertEqual(refused.exception.response["Error"]["Code"], "TooManyRequestsException")
        self.assertEqual(refused.exception.response["ResponseMetadata"]["HTTPStatusCode"], 429)


if __name__ == "__main__":
    unittest.main()
