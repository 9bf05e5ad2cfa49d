"""deployment_targets.py: an ECS deployment's one target, its Green and Blue task sets swapped after
every Succeeded deployment of the group; the operations' modelled errors."""

import unittest

from botocore.exceptions import ClientError

from . import support

TARGET = "web-cluster:web"


class EcsTargets(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.codedeploy = support.client("codedeploy")
        cls.unchecked = support.client("codedeploy", parameter_validation=False)

    def ecs_application(self):
        blue, green = support.unique("tg-first"), support.unique("tg-second")
        app = support.application(
            self.codedeploy,
            "ECS",
            ecsServices=[{"clusterName": "web-cluster", "serviceName": "web"}],
            loadBalancerInfo={
                "targetGroupPairInfoList": [
                    {
                        "targetGroups": [{"name": blue}, {"name": green}],
                        "prodTrafficRoute": {
                            "listenerArns": [
                                "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/0123456789abcdef/0123456789abcdef"
                            ]
                        },
                    }
                ]
            },
        )
        return app, blue, green

    def started(self, app, status="InProgress"):
        deployment_id = support.deployment(self.codedeploy, app, support.appspec_revision('{"version": 0.0}'))
        support.set_deployment(deployment_id, status=status)
        return deployment_id

    def target(self, deployment_id):
        answer, raw = support.call_raw(
            self.codedeploy, "batch_get_deployment_targets", deploymentId=deployment_id, targetIds=[TARGET]
        )
        support.assert_fits(self, raw, self.codedeploy, "batch_get_deployment_targets")
        (target,) = answer["deploymentTargets"]
        self.assertEqual(target["deploymentTargetType"], "ECSTarget")
        return target["ecsTarget"]

    def task_sets(self, ecs_target):
        """{label: (target group, status, traffic weight)}"""
        return {
            t["taskSetLabel"]: (t["targetGroup"]["name"], t["status"], t["trafficWeight"])
            for t in ecs_target["taskSetsInfo"]
        }

    def test_the_service_is_the_one_target(self):
        app, _, _ = self.ecs_application()
        deployment_id = self.started(app)
        answer, raw = support.call_raw(self.codedeploy, "list_deployment_targets", deploymentId=deployment_id)
        support.assert_fits(self, raw, self.codedeploy, "list_deployment_targets")
        self.assertEqual(answer["targetIds"], [TARGET])
        self.assertNotIn("nextToken", answer)
        target = self.target(deployment_id)
        self.assertEqual(
            (target["deploymentId"], target["targetId"], target["status"]), (deployment_id, TARGET, "InProgress")
        )
        self.assertEqual(target["targetArn"], "arn:aws:ecs:us-east-1:123456789012:service/web-cluster/web")
        self.assertEqual(len(target["lifecycleEvents"]), 8)
        # the raw answer spells ECSTaskSet's id as the model does, `identifer`
        self.assertTrue(all(t["identifer"].startswith("ecs-svc/") for t in target["taskSetsInfo"]))

    def test_green_and_blue_swap_after_every_succeeded_deployment(self):
        app, first, second = self.ecs_application()
        one = self.started(app)
        self.assertEqual(
            self.task_sets(self.target(one)), {"Green": (second, "PRIMARY", 100.0), "Blue": (first, "ACTIVE", 0.0)}
        )
        support.set_deployment(one, status="Succeeded")
        self.assertEqual(self.target(one)["status"], "Succeeded")
        self.assertEqual({e["status"] for e in self.target(one)["lifecycleEvents"]}, {"Succeeded"})

        two = self.started(app)
        self.assertEqual(
            self.task_sets(self.target(two)), {"Green": (first, "PRIMARY", 100.0), "Blue": (second, "ACTIVE", 0.0)}
        )
        support.set_deployment(two, status="Succeeded")

        three = self.started(app)
        self.assertEqual(self.task_sets(self.target(three))["Green"][0], second)
        # the first deployment's answer has not moved: it counts the deployments before it
        self.assertEqual(self.task_sets(self.target(one))["Green"][0], second)

    def test_a_failed_deployment_leaves_traffic_on_blue_and_does_not_count(self):
        app, first, second = self.ecs_application()
        failed = self.started(app)
        support.set_deployment(failed, status="Failed")
        target = self.target(failed)
        self.assertEqual(target["status"], "Failed")
        self.assertEqual(
            self.task_sets(target), {"Green": (second, "ACTIVE", 0.0), "Blue": (first, "PRIMARY", 100.0)}
        )
        after = self.started(app)
        self.assertEqual(self.task_sets(self.target(after))["Green"][0], second)

    def test_target_status_filters(self):
        app, _, _ = self.ecs_application()
        deployment_id = self.started(app)
        listed = self.codedeploy.list_deployment_targets(
            deploymentId=deployment_id, targetFilters={"TargetStatus": ["Succeeded"]}
        )
        self.assertEqual(listed["targetIds"], [])
        listed = self.codedeploy.list_deployment_targets(
            deploymentId=deployment_id, targetFilters={"TargetStatus": ["InProgress"], "ServerInstanceLabel": ["Blue"]}
        )
        self.assertEqual(listed["targetIds"], [TARGET])

    def assert_error(self, code, method, **params):
        with self.assertRaises(ClientError) as refused:
            getattr(self.unchecked, method)(**params)
        self.assertEqual(refused.exception.response["Error"]["Code"], code)

    def test_the_modelled_errors(self):
        app, _, _ = self.ecs_application()
        created = support.deployment(self.codedeploy, app, support.appspec_revision('{"version": 0.0}'))
        self.assert_error("DeploymentNotStartedException", "list_deployment_targets", deploymentId=created)
        self.assert_error(
            "DeploymentNotStartedException", "batch_get_deployment_targets", deploymentId=created, targetIds=[TARGET]
        )
        started = self.started(app)
        self.assert_error("InvalidNextTokenException", "list_deployment_targets", deploymentId=started, nextToken="x")
        self.assert_error(
            "InvalidTargetFilterNameException",
            "list_deployment_targets",
            deploymentId=started,
            targetFilters={"Colour": ["Blue"]},
        )
        self.assert_error("DeploymentTargetIdRequiredException", "batch_get_deployment_targets", deploymentId=started, targetIds=[])
        self.assert_error(
            "DeploymentTargetListSizeExceededException",
            "batch_get_deployment_targets",
            deploymentId=started,
            targetIds=[TARGET] * 26,
        )
        self.assert_error(
            "DeploymentTargetDoesNotExistException",
            "batch_get_deployment_targets",
            deploymentId=started,
            targetIds=["web-cluster:other"],
        )
        self.assert_error("DeploymentDoesNotExistException", "list_deployment_targets", deploymentId="d-NOSUCHDEP")

    def test_a_lambda_deployment_has_no_targets_here(self):
        app = support.application(self.codedeploy, "Lambda")
        deployment_id = self.started(app)
        self.assertEqual(self.codedeploy.list_deployment_targets(deploymentId=deployment_id)["targetIds"], [])
        self.assert_error(
            "DeploymentTargetDoesNotExistException",
            "batch_get_deployment_targets",
            deploymentId=deployment_id,
            targetIds=[TARGET],
        )


if __name__ == "__main__":
    unittest.main()
