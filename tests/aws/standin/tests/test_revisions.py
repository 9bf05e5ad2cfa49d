"""revisions.py: GetDeployment gives an AppSpecContent revision's sha256 only; GetApplicationRevision
gives its content, and an S3 revision by location."""

import unittest

from botocore.exceptions import ClientError

from . import support


class Revisions(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.codedeploy = support.client("codedeploy")
        cls.app = support.application(cls.codedeploy)

    def test_get_deployment_gives_the_sha256_and_get_application_revision_the_content(self):
        content = support.lambda_appspec(support.unique("fn"), "3", "4")
        deployment_id = support.deployment(self.codedeploy, self.app, support.appspec_revision(content))

        answer, raw = support.call_raw(self.codedeploy, "get_deployment", deploymentId=deployment_id)
        support.assert_fits(self, raw, self.codedeploy, "get_deployment")
        revision = answer["deploymentInfo"]["revision"]
        self.assertEqual(revision["revisionType"], "AppSpecContent")
        self.assertEqual(revision["appSpecContent"], {"sha256": support.sha256(content)})

        answer, raw = support.call_raw(
            self.codedeploy, "get_application_revision", applicationName=self.app, revision=revision
        )
        support.assert_fits(self, raw, self.codedeploy, "get_application_revision")
        self.assertEqual(answer["applicationName"], self.app)
        self.assertEqual(
            answer["revision"]["appSpecContent"], {"content": content, "sha256": support.sha256(content)}
        )
        self.assertIn("registerTime", answer["revisionInfo"])
        self.assertIn("firstUsedTime", answer["revisionInfo"])

    def test_a_revision_no_deployment_used_does_not_exist(self):
        support.deployment(self.codedeploy, self.app, support.appspec_revision("version: 0.0\n"))
        unknown = {"revisionType": "AppSpecContent", "appSpecContent": {"sha256": support.sha256("never deployed")}}
        with self.assertRaises(ClientError) as refused:
            self.codedeploy.get_application_revision(applicationName=self.app, revision=unknown)
        self.assertEqual(refused.exception.response["Error"]["Code"], "RevisionDoesNotExistException")

    def test_an_unknown_application_does_not_exist(self):
        revision = {"revisionType": "AppSpecContent", "appSpecContent": {"sha256": support.sha256("x")}}
        with self.assertRaises(ClientError) as refused:
            self.codedeploy.get_application_revision(applicationName=support.unique("no-app"), revision=revision)
        self.assertEqual(refused.exception.response["Error"]["Code"], "ApplicationDoesNotExistException")

    def test_an_s3_revision_comes_back_as_given_and_is_found_by_its_location(self):
        location = {
            "bucket": support.unique("appspecs"),
            "key": "appspec.yaml",
            "bundleType": "YAML",
            "version": "v-1",
            "eTag": "0123456789abcdef0123456789abcdef",
        }
        revision = {"revisionType": "S3", "s3Location": location}
        deployment_id = support.deployment(self.codedeploy, self.app, revision)

        got = self.codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]["revision"]
        self.assertEqual(got, revision)

        by_key = {"revisionType": "S3", "s3Location": {"bucket": location["bucket"], "key": location["key"]}}
        answer = self.codedeploy.get_application_revision(applicationName=self.app, revision=by_key)
        self.assertEqual(answer["revision"], revision)  # the location, not the object's content

        other_etag = {"revisionType": "S3", "s3Location": {**location, "eTag": "ffffffffffffffffffffffffffffffff"}}
        with self.assertRaises(ClientError) as refused:
            self.codedeploy.get_application_revision(applicationName=self.app, revision=other_etag)
        self.assertEqual(refused.exception.response["Error"]["Code"], "RevisionDoesNotExistException")


if __name__ == "__main__":
    unittest.main()
