"""app.py and sigv4.py: which operation, service and region a request is for, whatever its
protocol; an awsQuery call (Elastic Load Balancing) goes to moto and is recorded by its Action."""

import unittest

from standin import app, sigv4

from . import support

AUTHORIZATION = (
    "AWS4-HMAC-SHA256 Credential=testing/20261202/eu-west-1/codedeploy/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=0"
)


class Routing(unittest.TestCase):
    def test_the_operation_of_each_protocol(self):
        cases = [
            ({"HTTP_X_AMZ_TARGET": "CodeDeploy_20141006.GetDeployment"}, b"", "GetDeployment"),
            ({"PATH_INFO": "/2015-03-31/functions/my-fn/invocations", "REQUEST_METHOD": "POST"}, b"", "Invoke"),
            ({"PATH_INFO": "/service/GraniteServiceVersion20100801/operation/GetMetricData"}, b"", "GetMetricData"),
            (
                {"PATH_INFO": "/", "CONTENT_TYPE": "application/x-www-form-urlencoded; charset=utf-8"},
                b"Action=DescribeTargetGroups&Version=2015-12-01",
                "DescribeTargetGroups",
            ),
            ({"PATH_INFO": "/bucket/key", "REQUEST_METHOD": "PUT"}, b"", "PUT /bucket/key"),
        ]
        for environ, body, operation in cases:
            with self.subTest(operation=operation):
                self.assertEqual(app.operation_of(environ, body), operation)

    def test_region_and_service_from_the_signature(self):
        environ = {"HTTP_AUTHORIZATION": AUTHORIZATION}
        self.assertEqual((sigv4.region_of(environ), sigv4.service_of(environ)), ("eu-west-1", "codedeploy"))
        self.assertEqual((sigv4.region_of({}), sigv4.service_of({})), ("us-east-1", ""))

    def test_an_aws_query_call_is_moto_s_and_recorded_by_its_action(self):
        elb = support.client("elbv2")
        name = support.unique("tg")[-32:]
        vpc = support.view("default-vpc")["VpcId"]
        created = elb.create_target_group(Name=name, Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="ip")
        self.assertEqual(created["TargetGroups"][0]["TargetGroupName"], name)
        calls = [c for c in support.view("calls") if c["operation"] == "CreateTargetGroup"]
        self.assertEqual(calls[-1]["service"], "elasticloadbalancing")

    def test_installing_the_patches_twice_changes_nothing(self):
        from moto.codedeploy import responses

        app.install_patches()
        app.install_patches()
        self.assertEqual(responses._deployment_info.__module__, "standin.codedeploy")
        codedeploy = support.client("codedeploy")
        application = support.application(codedeploy)
        deployment_id = support.deployment(codedeploy, application, support.appspec_revision("version: 0.0\n"))
        info = codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
        self.assertEqual(info["deploymentId"], deployment_id)


if __name__ == "__main__":
    unittest.main()
