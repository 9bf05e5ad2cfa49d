"""codedeploy.py: rollbackInfo in GetDeployment and BatchGetDeployments, and the deploymentId
every CodeDeploy patch requires."""

import pathlib
import re
import unittest

from botocore.exceptions import ClientError

from standin import codedeploy

from . import support

PACKAGE = pathlib.Path(codedeploy.__file__).parent


class RollbackInfo(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.codedeploy = support.client("codedeploy")
        cls.app = support.application(cls.codedeploy)
        cls.revision = support.appspec_revision(support.lambda_appspec("fn", "1", "2"))

    def test_batch_get_deployments_returns_the_rollback_info_moto_leaves_empty(self):
        deployment_id = support.deployment(self.codedeploy, self.app, self.revision)
        info = {"rollbackDeploymentId": "d-ROLLEDBACK", "rollbackMessage": "rolled back"}
        support.set_deployment(deployment_id, rollbackInfo=info)
        answer, raw = support.call_raw(self.codedeploy, "batch_get_deployments", deploymentIds=[deployment_id])
        self.assertEqual(answer["deploymentsInfo"][0]["rollbackInfo"], info)
        support.assert_fits(self, raw, self.codedeploy, "batch_get_deployments")
        got = self.codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
        self.assertEqual(got["rollbackInfo"], info)

    def test_a_deployment_never_rolled_back_has_an_empty_rollback_info(self):
        deployment_id = support.deployment(self.codedeploy, self.app, self.revision)
        got = self.codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
        self.assertEqual(got.get("rollbackInfo", {}), {})

    def test_an_empty_deployment_id_is_deployment_id_required(self):
        unchecked = support.client("codedeploy", parameter_validation=False)
        for method in ("get_deployment", "stop_deployment"):
            with self.subTest(method=method), self.assertRaises(ClientError) as refused:
                getattr(unchecked, method)(deploymentId="")
            self.assertEqual(refused.exception.response["Error"]["Code"], "DeploymentIdRequiredException")

    def test_every_error_the_patches_raise_is_one_the_model_lists(self):
        modelled = {shape.name for shape in codedeploy.MODEL.error_shapes}
        raised = set()
        for path in sorted(PACKAGE.glob("*.py")):
            raised |= set(re.findall(r'CodeDeployError\(\s*"(\w+)"', path.read_text()))
        self.assertGreaterEqual(len(raised), 14, sorted(raised))
        self.assertEqual(sorted(raised - modelled), [])


if __name__ == "__main__":
    unittest.main()
