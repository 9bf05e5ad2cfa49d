"""hook_statuses.py: PutLifecycleEventHookExecutionStatus recorded, and refused a second time."""

import unittest

from botocore.exceptions import ClientError

from . import support


class HookStatuses(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.codedeploy = support.client("codedeploy")
        app = support.application(cls.codedeploy)
        cls.revision = support.appspec_revision(support.lambda_appspec("fn", "1", "2"))
        cls.app = app

    def new_deployment(self):
        return support.deployment(self.codedeploy, self.app, self.revision)

    def put(self, deployment_id, hook_id, status):
        return self.codedeploy.put_lifecycle_event_hook_execution_status(
            deploymentId=deployment_id, lifecycleEventHookExecutionId=hook_id, status=status
        )

    def test_a_status_is_recorded_and_a_second_one_refused(self):
        deployment_id, hook_id = self.new_deployment(), support.unique("hook")
        answer, raw = support.call_raw(
            self.codedeploy,
            "put_lifecycle_event_hook_execution_status",
            deploymentId=deployment_id,
            lifecycleEventHookExecutionId=hook_id,
            status="Succeeded",
        )
        self.assertEqual(answer["lifecycleEventHookExecutionId"], hook_id)
        support.assert_fits(self, raw, self.codedeploy, "put_lifecycle_event_hook_execution_status")

        with self.assertRaises(ClientError) as refused:
            self.put(deployment_id, hook_id, "Failed")
        self.assertEqual(refused.exception.response["Error"]["Code"], "LifecycleEventAlreadyCompletedException")
        self.assertEqual(refused.exception.response["ResponseMetadata"]["HTTPStatusCode"], 400)

        reports = [r for r in support.view("reports") if r["deploymentId"] == deployment_id]
        self.assertEqual([(r["lifecycleEventHookExecutionId"], r["status"]) for r in reports], [(hook_id, "Succeeded")])

    def test_each_hook_execution_reports_once_in_order(self):
        deployment_id = self.new_deployment()
        first, second = support.unique("hook"), support.unique("hook")
        self.put(deployment_id, first, "Succeeded")
        self.put(deployment_id, second, "Failed")
        reports = [r for r in support.view("reports") if r["deploymentId"] == deployment_id]
        self.assertEqual([(r["lifecycleEventHookExecutionId"], r["status"]) for r in reports], [(first, "Succeeded"), (second, "Failed")])

    def test_only_succeeded_and_failed_are_statuses_to_report(self):
        deployment_id = self.new_deployment()
        for status in ("Pending", "InProgress", "Skipped", "Unknown"):
            with self.subTest(status=status), self.assertRaises(ClientError) as refused:
                self.put(deployment_id, support.unique("hook"), status)
            self.assertEqual(refused.exception.response["Error"]["Code"], "InvalidLifecycleEventHookExecutionStatusException")
        self.assertEqual([r for r in support.view("reports") if r["deploymentId"] == deployment_id], [])

    def test_an_unknown_deployment_is_refused(self):
        with self.assertRaises(ClientError) as refused:
            self.put("d-NOSUCHDEP", support.unique("hook"), "Succeeded")
        self.assertEqual(refused.exception.response["Error"]["Code"], "DeploymentDoesNotExistException")


if __name__ == "__main__":
    unittest.main()
