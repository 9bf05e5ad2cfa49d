"""control.py: the /_shiftguard/ views and controls."""

import unittest

from . import support


class Control(unittest.TestCase):
    def test_health(self):
        self.assertEqual(support.control("GET", "health"), (200, {"ok": True}))

    def test_an_unknown_view_is_404(self):
        status, answer = support.control("GET", "nothing-here")
        self.assertEqual(status, 404)
        self.assertEqual(answer["error"], "no such view: GET /_shiftguard/nothing-here")

    def test_the_default_vpc_is_the_one_ec2_reports(self):
        vpc = support.view("default-vpc")["VpcId"]
        ec2 = support.client("ec2")
        defaults = [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if v["IsDefault"]]
        self.assertEqual(defaults, [vpc])

    def test_calls_record_each_aws_operation_but_not_the_views(self):
        codedeploy = support.client("codedeploy")
        app = support.application(codedeploy)
        deployment_id = support.deployment(codedeploy, app, support.appspec_revision("version: 0.0\n"))
        codedeploy.get_deployment(deploymentId=deployment_id)
        calls = support.view("calls")
        self.assertIn(
            {"service": "codedeploy", "operation": "GetDeployment", "deploymentId": deployment_id, "applicationName": None},
            calls,
        )
        self.assertIn(
            {"service": "codedeploy", "operation": "CreateApplication", "deploymentId": None, "applicationName": app},
            calls,
        )
        self.assertFalse([c for c in calls if "_shiftguard" in c["operation"]])

    def test_views_are_lists(self):
        for name in ("reports", "invocations", "calls", "stops", "metric-data-requests"):
            with self.subTest(name=name):
                self.assertIsInstance(support.view(name), list)

    def test_faults_can_be_cleared(self):
        support.inject_fault(operation="NoSuchOperation", times=5)
        self.assertEqual(support.control("DELETE", "faults"), (200, []))
        from standin import faults

        self.assertEqual(faults.FAULTS, [])


if __name__ == "__main__":
    unittest.main()
