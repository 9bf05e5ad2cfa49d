"""deployment_progress.py: the control that plays CodeDeploy's progress, checked against the model."""

import datetime
import unittest

from standin.deployment_progress import set_deployment_state

from . import support


class DeploymentProgress(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.codedeploy = support.client("codedeploy")
        cls.app = support.application(cls.codedeploy)

    def new_deployment(self):
        return support.deployment(self.codedeploy, self.app, support.appspec_revision("version: 0.0\n"))

    def test_a_deployment_moves_as_the_control_says(self):
        deployment_id = self.new_deployment()
        changed = support.set_deployment(
            deployment_id,
            status="Succeeded",
            created_seconds_ago=3600,
            completed_seconds_ago=60,
            creator="CloudFormationRollback",
            rollbackInfo={"rollbackTriggeringDeploymentId": "d-TRIGGER"},
        )
        self.assertEqual(
            changed,
            {
                "deploymentId": deployment_id,
                "status": "Succeeded",
                "creator": "CloudFormationRollback",
                "rollbackInfo": {"rollbackTriggeringDeploymentId": "d-TRIGGER"},
            },
        )
        info = self.codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
        self.assertEqual((info["status"], info["creator"]), ("Succeeded", "CloudFormationRollback"))
        now = datetime.datetime.now(datetime.timezone.utc)
        self.assertAlmostEqual((now - info["createTime"]).total_seconds(), 3600, delta=30)
        self.assertAlmostEqual((now - info["completeTime"]).total_seconds(), 60, delta=30)

    def test_rollback_info_is_merged_member_by_member(self):
        deployment_id = self.new_deployment()
        support.set_deployment(deployment_id, rollbackInfo={"rollbackDeploymentId": "d-ONE"})
        changed = support.set_deployment(deployment_id, rollbackInfo={"rollbackMessage": "why"})
        self.assertEqual(changed["rollbackInfo"], {"rollbackDeploymentId": "d-ONE", "rollbackMessage": "why"})

    def test_values_the_model_does_not_allow_are_refused(self):
        deployment_id = self.new_deployment()
        for change in ({"status": "Finished"}, {"creator": "someone"}, {"rollbackInfo": {"rollbackId": "d-X"}}):
            with self.subTest(change=change):
                status, answer = support.control("POST", f"deployments/{deployment_id}", change)
                self.assertEqual(status, 400)
                self.assertIn(next(iter(change)), answer["error"])
                with self.assertRaises(ValueError):
                    set_deployment_state(deployment_id, change)
        self.assertEqual(self.codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]["status"], "Created")

    def test_an_unknown_deployment_is_404(self):
        status, _ = support.control("POST", "deployments/d-NOSUCHDEP", {"status": "Succeeded"})
        self.assertEqual(status, 404)
        self.assertIsNone(set_deployment_state("d-NOSUCHDEP", {"status": "Succeeded"}))


if __name__ == "__main__":
    unittest.main()
