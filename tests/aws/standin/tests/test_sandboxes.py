"""sandboxes.py: a provided.al2023 function's bootstrap, warm, fed through the Runtime API."""

import json
import sys
import unittest
import warnings

from standin import sandboxes

from . import support

# A custom runtime in the Runtime API's terms: next event, then its response or error.
BOOTSTRAP = """#!{python}
import json, os, time, urllib.request

api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
opener = urllib.request.build_opener(urllib.request.ProxyHandler({{}}))
while True:
    with opener.open(api + "next") as next_event:
        request_id = next_event.headers["Lambda-Runtime-Aws-Request-Id"]
        deadline_ms = int(next_event.headers["Lambda-Runtime-Deadline-Ms"])
        arn = next_event.headers["Lambda-Runtime-Invoked-Function-Arn"]
        event = json.loads(next_event.read())
    time.sleep(event.get("sleep", 0))
    if event.get("fail"):
        kind, body = "error", {{"errorMessage": "asked to fail", "errorType": "Custom.Failure"}}
    else:
        kind, body = "response", {{
            "pid": os.getpid(),
            "event": event,
            "version": os.environ["AWS_LAMBDA_FUNCTION_VERSION"],
            "greeting": os.environ.get("GREETING"),
            "arn": arn,
            "ms_left": deadline_ms - int(time.time() * 1000),
        }}
    answer = urllib.request.Request(api + request_id + "/" + kind, data=json.dumps(body).encode(), method="POST")
    opener.open(answer).read()
"""


def setUpModule():
    # A timed-out sandbox's process is killed and dropped without a wait, as the stand-in does.
    warnings.filterwarnings("ignore", category=ResourceWarning, message=r"subprocess \d+ is still running")


class Sandboxes(unittest.TestCase):
    @classmethod
    def tearDownClass(cls):
        sandboxes.stop_all()

    @classmethod
    def setUpClass(cls):
        cls.awslambda = support.client("lambda")
        cls.name = support.unique("bootstrap-fn")
        cls.awslambda.create_function(
            FunctionName=cls.name,
            Runtime="provided.al2023",
            Role=support.FUNCTION_ROLE,
            Handler="bootstrap",
            Timeout=2,
            Environment={"Variables": {"GREETING": "hello"}},
            Code={"ZipFile": support.zipped({"bootstrap": BOOTSTRAP.format(python=sys.executable)})},
        )
        cls.version = cls.awslambda.publish_version(FunctionName=cls.name)["Version"]

    def invoke(self, event):
        answer = self.awslambda.invoke(FunctionName=self.name, Qualifier=self.version, Payload=json.dumps(event).encode())
        return answer, json.loads(answer["Payload"].read())

    def test_the_bootstrap_stays_warm_between_events(self):
        first, one = self.invoke({"n": 1})
        second, two = self.invoke({"n": 2})
        self.assertNotIn("FunctionError", first)
        self.assertEqual((one["event"], two["event"]), ({"n": 1}, {"n": 2}))
        self.assertEqual(one["pid"], two["pid"])
        self.assertEqual((one["version"], second["ExecutedVersion"]), (self.version, self.version))
        self.assertEqual(one["greeting"], "hello")
        self.assertEqual(one["arn"], f"arn:aws:lambda:us-east-1:{support.ACCOUNT}:function:{self.name}:{self.version}")
        self.assertTrue(0 < one["ms_left"] <= 2000, one["ms_left"])

    def test_an_error_posted_to_the_runtime_api_is_the_functions_error(self):
        answer, payload = self.invoke({"fail": True})
        self.assertEqual(answer["FunctionError"], "Unhandled")
        self.assertEqual(payload, {"errorMessage": "asked to fail", "errorType": "Custom.Failure"})

    def test_a_timed_out_sandbox_is_replaced(self):
        _, before = self.invoke({})
        answer, payload = self.invoke({"sleep": 4})
        self.assertEqual(answer["FunctionError"], "Unhandled")
        self.assertEqual(payload["errorType"], "Sandbox.Timedout")
        _, after = self.invoke({})
        self.assertNotEqual(before["pid"], after["pid"])


if __name__ == "__main__":
    unittest.main()
