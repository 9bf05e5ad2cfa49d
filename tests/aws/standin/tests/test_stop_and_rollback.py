"""stop_and_rollback.py: StopDeployment, once, and CodeDeploy's rollback deployment with
autoRollbackEnabled."""

import unittest

from botocore.exceptions import ClientError

from . import support


class StopAndRollback(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.codedeploy = support.client("codedeploy")

    def test_a_stop_with_auto_rollback_starts_codedeploys_rollback_deployment(self):
        app = support.application(self.codedeploy)
        good_content = support.lambda_appspec("fn", "1", "2")
        good = support.deployment(self.codedeploy, app, support.appspec_revision(good_content))
        support.set_deployment(good, status="Succeeded", completed_seconds_ago=600)
        bad = support.deployment(self.codedeploy, app, support.appspec_revision(support.lambda_appspec("fn", "2", "3")))
        support.set_deployment(bad, status="InProgress")

        answer, raw = support.call_raw(self.codedeploy, "stop_deployment", deploymentId=bad, autoRollbackEnabled=True)
        support.assert_fits(self, raw, self.codedeploy, "stop_deployment")
        self.assertEqual(answer["status"], "Succeeded")

        stopped = self.codedeploy.get_deployment(deploymentId=bad)["deploymentInfo"]
        self.assertEqual(stopped["status"], "Stopped")
        rollback_id = stopped["rollbackInfo"]["rollbackDeploymentId"]
        self.assertNotIn(rollback_id, (good, bad))

        rollback = self.codedeploy.get_deployment(deploymentId=rollback_id)["deploymentInfo"]
        self.assertEqual(rollback["creator"], "codeDeployRollback")
        self.assertEqual(rollback["rollbackInfo"]["rollbackTriggeringDeploymentId"], bad)
        self.assertNotIn("rollbackDeploymentId", rollback["rollbackInfo"])
        self.assertEqual(rollback["status"], "InProgress")
        self.assertEqual((rollback["applicationName"], rollback["deploymentGroupName"]), (app, f"{app}-dg"))
        # the last known good revision: that of the group's Succeeded deployment
        self.assertEqual(rollback["revision"]["appSpecContent"], {"sha256": support.sha256(good_content)})

        stops = [s for s in support.view("stops") if s["deploymentId"] == bad]
        self.assertEqual(len(stops), 1)
        self.assertEqual((stops[0]["autoRollbackEnabled"], stops[0]["rollbackDeploymentId"]), (True, rollback_id))

    def test_a_group_with_nothing_good_rolls_back_to_the_stopped_revision(self):
        app = support.application(self.codedeploy)
        content = support.lambda_appspec("fn", "5", "6")
        only = support.deployment(self.codedeploy, app, support.appspec_revision(content))
        support.set_deployment(only, status="InProgress")
        self.codedeploy.stop_deployment(deploymentId=only, autoRollbackEnabled=True)
        rollback_id = self.codedeploy.get_deployment(deploymentId=only)["deploymentInfo"]["rollbackInfo"]["rollbackDeploymentId"]
        rollback = self.codedeploy.get_deployment(deploymentId=rollback_id)["deploymentInfo"]
        self.assertEqual(rollback["revision"]["appSpecContent"], {"sha256": support.sha256(content)})

    def test_a_stop_without_rollback_starts_nothing(self):
        app = support.application(self.codedeploy)
        deployment_id = support.deployment(self.codedeploy, app, support.appspec_revision("version: 0.0\n"))
        support.set_deployment(deployment_id, status="InProgress")
        before = set(self.codedeploy.list_deployments(applicationName=app, deploymentGroupName=f"{app}-dg")["deployments"])
        self.codedeploy.stop_deployment(deploymentId=deployment_id)
        after = set(self.codedeploy.list_deployments(applicationName=app, deploymentGroupName=f"{app}-dg")["deployments"])
        self.assertEqual(after, before)
        stopped = self.codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
        self.assertEqual(stopped["status"], "Stopped")
        self.assertEqual(stopped.get("rollbackInfo", {}), {})
        stops = [s for s in support.view("stops") if s["deploymentId"] == deployment_id]
        self.assertEqual([(s["autoRollbackEnabled"], s["rollbackDeploymentId"]) for s in stops], [(False, None)])

    def test_a_second_stop_is_deployment_already_completed(self):
        app = support.application(self.codedeploy)
        deployment_id = support.deployment(self.codedeploy, app, support.appspec_revision("version: 0.0\n"))
        support.set_deployment(deployment_id, status="InProgress")
        self.codedeploy.stop_deployment(deploymentId=deployment_id, autoRollbackEnabled=True)
        with self.assertRaises(ClientError) as refused:
            self.codedeploy.stop_deployment(deploymentId=deployment_id, autoRollbackEnabled=True)
        self.assertEqual(refused.exception.response["Error"]["Code"], "DeploymentAlreadyCompletedException")
        self.assertEqual(len([s for s in support.view("stops") if s["deploymentId"] == deployment_id]), 1)

    def test_finished_deployments_cannot_be_stopped(self):
        app = support.application(self.codedeploy)
        for status in ("Succeeded", "Failed", "Stopped"):
            deployment_id = support.deployment(self.codedeploy, app, support.appspec_revision("version: 0.0\n"))
            support.set_deployment(deployment_id, status=status)
            with self.subTest(status=status), self.assertRaises(ClientError) as refused:
                self.codedeploy.stop_deployment(deploymentId=deployment_id)
            self.assertEqual(refused.exception.response["Error"]["Code"], "DeploymentAlreadyCompletedException")


if __name__ == "__main__":
    unittest.main()
