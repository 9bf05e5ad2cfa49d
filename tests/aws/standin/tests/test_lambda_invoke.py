"""lambda_invoke.py: Invoke runs a Python function's own code, for the exact version asked for,
with its timeout; errors as Lambda reports them."""

import json
import unittest

from botocore.exceptions import ClientError

from . import support

SOURCE = """
import time

def handler(event, context):
    if event.get("fail"):
        raise ValueError("asked to fail")
    time.sleep(event.get("sleep", 0))
    return {
        "release": RELEASE,
        "event": event,
        "function_version": context.function_version,
        "remaining_ms": context.get_remaining_time_in_millis(),
    }
"""


def source(release):
    return f"RELEASE = {release!r}\n" + SOURCE


class PythonInvoke(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.awslambda = support.client("lambda")
        cls.name = support.unique("fn")
        cls.versions = []
        for i, release in enumerate(("one", "two")):
            code = support.zipped({"index.py": source(release)})
            if i == 0:
                cls.awslambda.create_function(
                    FunctionName=cls.name,
                    Runtime="python3.12",
                    Role=support.FUNCTION_ROLE,
                    Handler="index.handler",
                    Timeout=2,
                    Code={"ZipFile": code},
                )
            else:
                cls.awslambda.update_function_code(FunctionName=cls.name, ZipFile=code)
            cls.versions.append(cls.awslambda.publish_version(FunctionName=cls.name)["Version"])

    def invoke(self, event, **kwargs):
        answer = self.awslambda.invoke(FunctionName=self.name, Payload=json.dumps(event).encode(), **kwargs)
        return answer, json.loads(answer["Payload"].read())

    def test_the_version_asked_for_runs_its_own_code(self):
        first, second = self.versions
        for qualifier, release in ((first, "one"), (second, "two")):
            with self.subTest(qualifier=qualifier):
                answer, payload = self.invoke({"n": qualifier}, Qualifier=qualifier)
                self.assertEqual(answer["StatusCode"], 200)
                self.assertNotIn("FunctionError", answer)
                self.assertEqual(answer["ExecutedVersion"], qualifier)
                self.assertEqual(payload["release"], release)
                self.assertEqual(payload["event"], {"n": qualifier})
                # str(): the stand-in hands moto's version number over as it keeps it, an int
                # for a published version (Lambda's context has a string)
                self.assertEqual(str(payload["function_version"]), qualifier)
                self.assertTrue(0 < payload["remaining_ms"] <= 2000, payload["remaining_ms"])
        answer, payload = self.invoke({})
        self.assertEqual((answer["ExecutedVersion"], payload["release"]), ("$LATEST", "two"))

    def test_every_invocation_is_recorded(self):
        marker = support.unique("event")
        self.invoke({"marker": marker}, Qualifier=self.versions[0])
        recorded = [i for i in support.view("invocations") if i["payload"] == {"marker": marker}]
        self.assertEqual(
            recorded, [{"function": self.name, "qualifier": self.versions[0], "version": self.versions[0], "payload": {"marker": marker}}]
        )

    def test_the_functions_error_is_unhandled_with_its_type_and_message(self):
        answer, payload = self.invoke({"fail": True}, Qualifier=self.versions[1])
        self.assertEqual(answer["StatusCode"], 200)
        self.assertEqual(answer["FunctionError"], "Unhandled")
        self.assertEqual((payload["errorType"], payload["errorMessage"]), ("ValueError", "asked to fail"))
        self.assertTrue(payload["stackTrace"])

    def test_a_run_past_the_timeout_is_a_timed_out_error(self):
        answer, payload = self.invoke({"sleep": 4}, Qualifier=self.versions[0])
        self.assertEqual(answer["FunctionError"], "Unhandled")
        self.assertEqual(payload, {"errorMessage": "Task timed out after 2.00 seconds", "errorType": "Sandbox.Timedout"})

    def test_an_unknown_function_is_left_to_moto(self):
        with self.assertRaises(ClientError) as refused:
            self.awslambda.invoke(FunctionName=support.unique("no-such-fn"), Payload=b"{}")
        self.assertEqual(refused.exception.response["Error"]["Code"], "ResourceNotFoundException")


if __name__ == "__main__":
    unittest.main()
