#!/usr/bin/env python3
"""Offline IAM audit of template.yaml (make lint).

1. Translates the SAM template to CloudFormation with AWS's own SAM translator
   (aws-sam-translator, the library `sam deploy` and CloudFormation's transform use), with the
   parameters' defaults and a sample account, region and partition, once for a 100-character
   stack name (issue 12's case) and once for a 128-character one (CloudFormation's maximum,
   StackName in https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html).
2. Checks every Lambda FunctionName resolves to at most 64 characters of [A-Za-z0-9_-]
   (FunctionName in https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html) and
   every CodeDeploy hook's name starts with CodeDeployHook_, the only functions CodeDeploy's
   AWSCodeDeployRoleForLambda may invoke
   (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSCodeDeployRoleForLambda.html).
3. Collects every IAM policy document of the translated template, resolves its intrinsic functions
   to concrete ARNs of the sample account, and
   - fails any document whose Version is not "2012-10-17";
   - runs parliament (https://github.com/duo-labs/parliament) on each permission policy: actions
     exist, condition keys apply, resources match each action's ARN format;
   - checks each action's required resource types again, strictly (RESOURCE_FORMAT): parliament
     turns every ${Variable} of an ARN format into a `*` that also spans colons, so it accepts
     `function:*:*` for lambda:UpdateAlias although a function name has no colon and the unqualified
     function ARN can never match. Here a variable matches one or more characters other than `:`
     (except S3 object keys, which may hold colons), a policy's `*` any characters, and an action
     passes when one of its resources can match an ARN of each required resource type. The resource
     types and ARN formats are parliament's bundled copy of AWS's Service Authorization Reference.
4. Prints each finding with its function, policy and statement Sid, and exits 1 on any finding
   not listed in the exceptions file (tools/iam-audit-exceptions.yaml: each with its reason), or
   on an exception that no longer matches anything.

Usage: iam_audit.py [--template template.yaml] [--exceptions tools/iam-audit-exceptions.yaml]
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

# The translator reads the region from boto3 when AWS::Region is not given; give both.
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
# The translator logs its feature toggles and metrics at INFO/WARNING; its errors are raised.
logging.basicConfig(level=logging.ERROR)

import parliament  # noqa: E402
from parliament import analyze_policy_string, expand_action  # noqa: E402
from parliament.statement import get_privilege_info  # noqa: E402
from samtranslator.model.exceptions import InvalidDocumentException  # noqa: E402
from samtranslator.translator.transform import transform  # noqa: E402
from samtranslator.yaml_helper import yaml_parse  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PARTITION, REGION, ACCOUNT = "aws", "us-east-1", "123456789012"
# The shape of a stack id, from the example in CloudFormation's DescribeStacks reference.
STACK_UUID = "51af3dc0-da77-11e4-872e-1234567db123"
STACK_NAME_LENGTHS = (100, 128)
FUNCTION_NAME_MAX = 64
FUNCTION_NAME_RE = re.compile(r"[A-Za-z0-9_-]+")
HOOK_PREFIX = "CodeDeployHook_"
POLICY_VERSION = "2012-10-17"
# AWS managed policies the translator itself attaches; any other one is not audited here.
KNOWN_MANAGED_POLICIES = {
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "arn:aws:iam::aws:policy/service-role/AWSCodeDeployRoleForLambda",
}
# ARN-format variables whose values may contain colons.
COLON_VARIABLES = {"ObjectName"}


class AuditError(Exception):
    """The template uses something the audit cannot resolve; fix the audit, not the finding."""


class NoManagedPolicies:
    """samtranslator's managed-policy loader asks IAM for the ARNs of managed policies named by name
    in Policies. Offline there is no IAM; the template uses only inline policies, so the map is empty
    and a managed policy named by name makes the translation fail instead of passing unaudited."""

    def load(self) -> dict[str, str]:
        return {}


def stack_name(length: int) -> str:
    # Letters, digits and hyphens, starting with a letter (CreateStack's StackName).
    return ("shiftguard-long-stack-name-" * 6)[:length]


# ---------------------------------------------------------------- intrinsic functions


class Resolver:
    """Resolves intrinsic functions to the values CloudFormation would give them in the sample
    account: Ref and Fn::GetAtt of resources become their physical names and ARNs."""

    def __init__(self, template: dict, parameters: dict):
        self.resources = template.get("Resources", {})
        self.parameters = parameters

    def physical_name(self, logical_id: str) -> str:
        resource = self.resources[logical_id]
        props = resource.get("Properties", {})
        explicit = {
            "AWS::Lambda::Function": "FunctionName",
            "AWS::IAM::Role": "RoleName",
            "AWS::CloudWatch::Alarm": "AlarmName",
            "AWS::SQS::Queue": "QueueName",
            "AWS::SNS::Topic": "TopicName",
            "AWS::S3::Bucket": "BucketName",
            "AWS::DynamoDB::Table": "TableName",
            "AWS::Events::Rule": "Name",
            "AWS::Logs::LogGroup": "LogGroupName",
            "AWS::CodeDeploy::Application": "ApplicationName",
            "AWS::CodeDeploy::DeploymentGroup": "DeploymentGroupName",
        }.get(resource["Type"])
        if explicit and explicit in props:
            return str(self.resolve(props[explicit]))
        # CloudFormation's generated names: stack name, logical id and a random suffix.
        return f"{self.parameters['AWS::StackName'][:20]}-{logical_id[:20]}-1A2B3C4D5E6F".lower()

    def arn(self, logical_id: str) -> str:
        kind = self.resources[logical_id]["Type"]
        name = self.physical_name(logical_id) if kind not in ("AWS::Lambda::Version", "AWS::Lambda::Alias") else ""
        prefix = f"arn:{PARTITION}"
        arns = {
            "AWS::Lambda::Function": f"{prefix}:lambda:{REGION}:{ACCOUNT}:function:{name}",
            "AWS::IAM::Role": f"{prefix}:iam::{ACCOUNT}:role/{name}",
            "AWS::CloudWatch::Alarm": f"{prefix}:cloudwatch:{REGION}:{ACCOUNT}:alarm:{name}",
            "AWS::SQS::Queue": f"{prefix}:sqs:{REGION}:{ACCOUNT}:{name}",
            "AWS::SNS::Topic": f"{prefix}:sns:{REGION}:{ACCOUNT}:{name}",
            "AWS::S3::Bucket": f"{prefix}:s3:::{name}",
            "AWS::DynamoDB::Table": f"{prefix}:dynamodb:{REGION}:{ACCOUNT}:table/{name}",
            "AWS::Events::Rule": f"{prefix}:events:{REGION}:{ACCOUNT}:rule/{name}",
            "AWS::Logs::LogGroup": f"{prefix}:logs:{REGION}:{ACCOUNT}:log-group:{name}:*",
        }
        if kind in ("AWS::Lambda::Version", "AWS::Lambda::Alias"):
            function = self.resources[logical_id]["Properties"]["FunctionName"]
            qualifier = "1" if kind == "AWS::Lambda::Version" else self.resources[logical_id]["Properties"]["Name"]
            function_name = self.resolve(function)
            base = function_name if str(function_name).startswith("arn:") else (
                f"{prefix}:lambda:{REGION}:{ACCOUNT}:function:{function_name}")
            return f"{base}:{qualifier}"
        if kind not in arns:
            raise AuditError(f"no ARN form for {logical_id} ({kind}); add its type to Resolver.arn")
        return arns[kind]

    def ref(self, name: str):
        if name in self.parameters:
            return self.parameters[name]
        if name not in self.resources:
            raise AuditError(f"Ref to unknown {name}")
        kind = self.resources[name]["Type"]
        if kind in ("AWS::SNS::Topic", "AWS::Lambda::Version", "AWS::Lambda::Alias", "AWS::IAM::ManagedPolicy"):
            return self.arn(name)
        if kind == "AWS::SQS::Queue":
            return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{self.physical_name(name)}"
        return self.physical_name(name)

    def get_att(self, name: str, attribute: str):
        if name not in self.resources:
            raise AuditError(f"Fn::GetAtt of unknown {name}")
        if attribute == "Arn":
            return self.arn(name)
        if attribute in ("Name", "RoleId", "FunctionName", "QueueName", "TopicName"):
            return self.physical_name(name)
        raise AuditError(f"Fn::GetAtt {name}.{attribute}: add the attribute to Resolver.get_att")

    def sub(self, text: str, variables: dict) -> str:
        def replace(match: re.Match) -> str:
            inner = match.group(1)
            if inner.startswith("!"):
                return "${" + inner[1:] + "}"
            if inner in variables:
                return str(variables[inner])
            if "." in inner and not inner.startswith("AWS::"):
                name, attribute = inner.split(".", 1)
                return str(self.get_att(name, attribute))
            return str(self.ref(inner))

        return re.sub(r"\$\{([^}]*)\}", replace, text)

    def resolve(self, value):
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, arg), = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                name, attribute = arg.split(".", 1) if isinstance(arg, str) else arg
                return self.get_att(name, attribute)
            if key == "Fn::Sub":
                if isinstance(arg, str):
                    return self.sub(arg, {})
                text, variables = arg
                return self.sub(text, {k: self.resolve(v) for k, v in variables.items()})
            if key == "Fn::Join":
                delimiter, parts = arg
                return delimiter.join(str(p) for p in self.resolve(parts))
            if key == "Fn::Split":
                delimiter, text = arg
                return str(self.resolve(text)).split(delimiter)
            if key == "Fn::Select":
                index, items = arg
                return self.resolve(items)[int(self.resolve(index))]
            if key.startswith("Fn::") or key == "Condition":
                raise AuditError(f"{key} is not resolved by the audit; add it to Resolver.resolve")
        return {k: self.resolve(v) for k, v in value.items()}


# ---------------------------------------------------------------- findings


@dataclass
class Finding:
    issue: str
    where: str  # function / policy
    sid: str = ""
    action: str = ""
    detail: str = ""
    excepted_by: dict | None = field(default=None, compare=False)

    def line(self) -> str:
        state = "excepted" if self.excepted_by else "FAIL"
        parts = [f"{state:8} {self.issue}", self.where]
        if self.sid:
            parts.append(f"Sid {self.sid}")
        if self.action:
            parts.append(self.action)
        text = "  ".join(parts)
        if self.detail:
            text += f"\n         {self.detail}"
        if self.excepted_by:
            reason = " ".join(str(self.excepted_by["reason"]).split())
            text += f"\n         reason: {reason[:300]}{'…' if len(reason) > 300 else ''}"
        return text


def load_exceptions(path: Path) -> list[dict]:
    data = yaml.safe_load(path.read_text()) or {}
    exceptions = data.get("exceptions") or []
    for e in exceptions:
        if not e.get("finding") or not str(e.get("reason", "")).strip():
            raise AuditError(f"{path}: every exception needs a finding and a reason: {e}")
    return exceptions


def matches(exception: dict, finding: Finding) -> bool:
    if exception["finding"] != finding.issue:
        return False
    for key in ("action", "sid"):
        if key in exception and exception[key] != getattr(finding, key):
            return False
    return True


# ---------------------------------------------------------------- strict ARN format check


def _glob_tokens(resource: str) -> list:
    # A policy variable such as ${aws:username} can be anything; ${*}, ${?}, ${$} are literals.
    resource = re.sub(r"\$\{aws:[^}]*\}", "*", resource)
    tokens, i = [], 0
    while i < len(resource):
        if resource.startswith(("${*}", "${?}", "${$}"), i):
            tokens.append(("lit", resource[i + 2]))
            i += 4
            continue
        c = resource[i]
        tokens.append(("star",) if c == "*" else ("one",) if c == "?" else ("lit", c))
        i += 1
    return tokens


def _format_tokens(arn_format: str) -> list:
    tokens, i = [], 0
    for m in re.finditer(r"\$\{([^}]*)\}", arn_format):
        tokens += [("lit", c) for c in arn_format[i:m.start()]]
        tokens.append(("var", m.group(1) in COLON_VARIABLES))
        i = m.end()
    tokens += [("lit", c) for c in arn_format[i:]]
    return tokens


def can_match(resource: str, arn_format: str) -> bool:
    """True when some ARN matches both the policy's resource pattern (`*` any characters, `?` one)
    and the ARN format (each ${Variable} one or more characters, no `:` unless in COLON_VARIABLES):
    a search over the product of the two automata."""
    g, f = _glob_tokens(resource), _format_tokens(arn_format)
    other = "\u0000"  # any character that is in neither pattern
    alphabet = {t[1] for t in g + f if t[0] == "lit"} | {":", other}

    def closure(states):
        stack, seen = list(states), set(states)
        while stack:
            i, j, in_var = stack.pop()
            nexts = []
            if i < len(g) and g[i][0] == "star":
                nexts.append((i + 1, j, in_var))
            if in_var:
                nexts.append((i, j + 1, False))
            for s in nexts:
                if s not in seen:
                    seen.add(s)
                    stack.append(s)
        return seen

    def glob_step(i, c):
        if i >= len(g):
            return []
        kind = g[i][0]
        if kind == "star":
            return [i]
        if kind == "one" or g[i][1] == c:
            return [i + 1]
        return []

    def format_step(j, in_var, c):
        if j >= len(f):
            return []
        kind = f[j][0]
        if kind == "var":
            return [(j, True)] if (c != ":" or f[j][1]) else []
        return [(j + 1, False)] if f[j][1] == c and not in_var else []

    start = closure({(0, 0, False)})
    frontier, seen = [start], {frozenset(start)}
    while frontier:
        states = frontier.pop()
        if any(i == len(g) and j == len(f) and not v for i, j, v in states):
            return True
        for c in alphabet:
            nxt = set()
            for i, j, v in states:
                for i2 in glob_step(i, c):
                    for j2, v2 in format_step(j, v, c):
                        nxt.add((i2, j2, v2))
            if nxt:
                nxt = frozenset(closure(nxt))
                if nxt not in seen:
                    seen.add(nxt)
                    frontier.append(nxt)
    return False


def strict_resource_findings(statement: dict, flagged: set[str]) -> list[tuple[str, str]]:
    """(action, detail) for each action with a required resource type none of the resources can
    match. Actions parliament already reported as RESOURCE_MISMATCH are left to it."""
    resources = statement.get("Resource")
    if resources is None:
        return []
    resources = resources if isinstance(resources, list) else [resources]
    if "*" in resources:
        return []
    actions = statement.get("Action", [])
    actions = actions if isinstance(actions, list) else [actions]
    out = []
    for pattern in actions:
        try:
            expanded = expand_action(pattern)
        except Exception:  # unknown action: parliament reports it
            continue
        for a in expanded:
            name = f"{a['service']}:{a['action']}"
            if name in flagged:
                continue
            info = get_privilege_info(a["service"], a["action"])
            for rt in info["resource_types"]:
                if not rt["resource_type"].endswith("*"):
                    continue
                kind = rt["resource_type"][:-1]
                arn_format = next(r["arn"] for r in info["service_resources"] if r["resource"] == kind)
                if not any(can_match(r, arn_format) for r in resources):
                    out.append((name, f"no resource can be a {kind} ARN {arn_format}; resources: {resources}"))
    return out


# ---------------------------------------------------------------- the audit


def translate(sam: dict, name: str) -> tuple[dict, dict]:
    parameters = {k: v["Default"] for k, v in sam.get("Parameters", {}).items() if "Default" in v}
    parameters.update({
        "AWS::Partition": PARTITION,
        "AWS::Region": REGION,
        "AWS::AccountId": ACCOUNT,
        "AWS::URLSuffix": "amazonaws.com",
        "AWS::StackName": name,
        "AWS::StackId": f"arn:{PARTITION}:cloudformation:{REGION}:{ACCOUNT}:stack/{name}/{STACK_UUID}",
    })
    try:
        cfn = transform(packaged(sam), dict(parameters), NoManagedPolicies())
    except InvalidDocumentException as e:
        raise AuditError(f"the SAM translator refuses the template (stack name of {len(name)} characters): "
                         + "; ".join(str(c) for c in e.causes))
    return cfn, parameters


def packaged(sam: dict) -> dict:
    """The template as `sam package` leaves it: local code paths become S3 URIs (the translator
    accepts nothing else), as `sam validate` does before it translates."""
    sam = copy.deepcopy(sam)
    local = {"AWS::Serverless::Function": "CodeUri", "AWS::Serverless::LayerVersion": "ContentUri",
             "AWS::Serverless::Api": "DefinitionUri", "AWS::Serverless::HttpApi": "DefinitionUri",
             "AWS::Serverless::StateMachine": "DefinitionUri"}
    for logical_id, res in sam.get("Resources", {}).items():
        key = local.get(res.get("Type"))
        props = res.get("Properties") or {}
        if key and isinstance(props.get(key), str) and not props[key].startswith("s3://"):
            props[key] = f"s3://iam-audit-placeholder/{logical_id}.zip"
    return sam


def function_name_findings(sam: dict, cfn: dict, resolver: Resolver, stack: str) -> list[Finding]:
    findings = []
    hooks = set()
    for res in sam.get("Resources", {}).values():
        pref = (res.get("Properties") or {}).get("DeploymentPreference") or {}
        for hook in (pref.get("Hooks") or {}).values():
            if isinstance(hook, dict) and "Ref" in hook:
                hooks.add(hook["Ref"])
    for logical_id, res in cfn["Resources"].items():
        if res["Type"] != "AWS::Lambda::Function":
            continue
        where = f"{logical_id} (stack name of {len(stack)} characters)"
        name = resolver.physical_name(logical_id)
        explicit = "FunctionName" in res.get("Properties", {})
        if explicit and (len(name) > FUNCTION_NAME_MAX or not FUNCTION_NAME_RE.fullmatch(name)):
            findings.append(Finding("FUNCTION_NAME", where, detail=(
                f"FunctionName {name!r} is {len(name)} characters; Lambda allows at most "
                f"{FUNCTION_NAME_MAX} of [A-Za-z0-9_-]")))
        if logical_id in hooks and not (explicit and name.startswith(HOOK_PREFIX)):
            findings.append(Finding("HOOK_NAME", where, detail=(
                f"hook FunctionName {name!r} must start with {HOOK_PREFIX}: AWSCodeDeployRoleForLambda "
                "only invokes arn:aws:lambda:*:*:function:CodeDeployHook_*")))
    return findings


def policy_documents(cfn: dict):
    """(where, document, is_trust_policy) for every IAM policy document in the template."""
    role_users: dict[str, list[str]] = {}
    for logical_id, res in cfn["Resources"].items():
        role = (res.get("Properties") or {}).get("Role")
        if isinstance(role, dict) and "Fn::GetAtt" in role:
            target = role["Fn::GetAtt"]
            target = target.split(".")[0] if isinstance(target, str) else target[0]
            role_users.setdefault(target, []).append(logical_id)
    for logical_id, res in cfn["Resources"].items():
        props = res.get("Properties") or {}
        users = role_users.get(logical_id)
        owner = f"{'/'.join(users)} role {logical_id}" if users else logical_id
        if res["Type"] == "AWS::IAM::Role":
            yield f"{owner} trust policy", props.get("AssumeRolePolicyDocument"), True
            for p in props.get("Policies") or []:
                yield f"{owner} policy {p.get('PolicyName')}", p.get("PolicyDocument"), False
            for arn in props.get("ManagedPolicyArns") or []:
                yield f"{owner} managed policy", arn, False
        elif "PolicyDocument" in props:
            yield f"{logical_id} ({res['Type']})", props["PolicyDocument"], False


def audit_document(where: str, document: dict, trust: bool) -> list[Finding]:
    findings = []
    version = document.get("Version") if isinstance(document, dict) else None
    if version != POLICY_VERSION:
        findings.append(Finding("POLICY_VERSION", where, detail=f"Version is {version!r}, not {POLICY_VERSION!r}"))
    if trust:
        return findings
    policy = analyze_policy_string(json.dumps(document), ignore_private_auditors=True)
    for f in policy._findings:  # policy-level findings
        if f.issue == "NO_VERSION":  # reported as POLICY_VERSION
            continue
        findings.append(Finding(f.issue, where, detail=str(f.detail)))
    statements = document.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    for index, st in enumerate(policy.statements):
        raw = statements[index] if index < len(statements) else {}
        sid = raw.get("Sid", f"#{index}")
        flagged = set()
        for f in st.findings:
            details = f.detail if isinstance(f.detail, list) else [f.detail]
            if f.issue == "RESOURCE_MISMATCH":
                for d in details:
                    flagged.add(d["action"])
                    findings.append(Finding(f.issue, where, sid, d["action"], f"parliament wants {d['required_format']}"))
            else:
                findings.append(Finding(f.issue, where, sid, detail=json.dumps(f.detail, default=str)))
        for action, detail in strict_resource_findings(raw, flagged):
            findings.append(Finding("RESOURCE_FORMAT", where, sid, action, detail))
    return findings


def audit(template: Path, exceptions_path: Path) -> int:
    sam = yaml_parse(template.read_text())
    exceptions = load_exceptions(exceptions_path)
    findings: list[Finding] = []
    policies = 0
    names = []
    for length in STACK_NAME_LENGTHS:
        stack = stack_name(length)
        cfn, parameters = translate(sam, stack)
        resolver = Resolver(cfn, parameters)
        findings += function_name_findings(sam, cfn, resolver, stack)
        names += [f"{lid}={resolver.physical_name(lid)} ({len(resolver.physical_name(lid))})"
                  for lid, r in cfn["Resources"].items()
                  if r["Type"] == "AWS::Lambda::Function" and "FunctionName" in r.get("Properties", {})
                  and length == STACK_NAME_LENGTHS[0]]
        if length != STACK_NAME_LENGTHS[0]:
            continue
        for where, document, trust in policy_documents(cfn):
            if isinstance(document, str) or (isinstance(document, dict) and "Fn::Sub" in document
                                              and "Statement" not in document):
                arn = resolver.resolve(document)
                if arn not in KNOWN_MANAGED_POLICIES:
                    findings.append(Finding("UNAUDITED_MANAGED_POLICY", where, detail=str(arn)))
                continue
            policies += 1
            found = audit_document(where, resolver.resolve(document), trust)
            findings += found
            if not found:
                print(f"ok       {where}")

    used = [False] * len(exceptions)
    for f in findings:
        for k, e in enumerate(exceptions):
            if matches(e, f):
                f.excepted_by, used[k] = e, True
                break
    failed = [f for f in findings if not f.excepted_by]
    for f in findings:
        print(f.line())
    for k, e in enumerate(exceptions):
        if not used[k]:
            print(f"FAIL     STALE_EXCEPTION  {e['finding']} {e.get('action', '')} matches nothing; remove it "
                  f"from {exceptions_path.name}")
            failed.append(e)
    print(f"iam_audit: translated with aws-sam-translator for stack names of "
          f"{' and '.join(map(str, STACK_NAME_LENGTHS))} characters; hook names: {', '.join(names)}")
    excepted = sum(1 for f in findings if f.excepted_by)
    print(f"iam_audit: {policies} policy documents, parliament {parliament.__version__}: "
          f"{len(findings)} findings, {excepted} excepted, {len(failed)} failing")
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--template", type=Path, default=ROOT / "template.yaml")
    parser.add_argument("--exceptions", type=Path, default=ROOT / "tools" / "iam-audit-exceptions.yaml")
    args = parser.parse_args()
    try:
        return audit(args.template, args.exceptions)
    except AuditError as e:
        print(f"iam_audit: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
