"""The local AWS stand-in for shiftguard's tests and demo.

moto's server (pinned in tests/aws/requirements.txt), plus what moto 5.2.5 lacks or does
differently from AWS in the ways shiftguard depends on. Each patch says, where it is defined,
which AWS page or API model (botocore's service-2.json for the service) it follows; error names
are those the model lists for the operation.

- CodeDeploy PutLifecycleEventHookExecutionStatus: recorded; a second status for the same hook
  execution is refused with LifecycleEventAlreadyCompletedException, as AWS does.
- CodeDeploy StopDeployment (DeploymentAlreadyCompletedException once a deployment ended); with
  autoRollbackEnabled, CodeDeploy's rollback deployment (creator codeDeployRollback, rollbackInfo
  both ways) in the same group. GetDeployment/BatchGetDeployments return rollbackInfo, which
  moto leaves empty. A control moves a deployment to a status with create/complete times and
  sets its creator and rollbackInfo, playing the part of CodeDeploy's own progress.
- CodeDeploy GetApplicationRevision (AppSpecContent/String revisions with their content, S3
  revisions by location), and GetDeployment returning only the sha256 of an AppSpecContent
  revision (as AWS may), so the hooks' fallback path is exercised; S3 revisions as given.
- CodeDeploy ListDeploymentTargets and BatchGetDeploymentTargets for ECS deployments: the
  group's service as the one target, its Green and Blue task sets behind the group's two target
  groups, swapped after every Succeeded deployment of the group, as CodeDeploy does. (ELBv2, for
  the target groups' ARNs, is moto's own, over awsQuery; the calls view names its operations.)
- Lambda Invoke runs the function's real code, for the exact version asked for, with the
  function's timeout: a Python handler from its zip in-process, or a `provided.al2023` function's
  `bootstrap` binary as a warm process under a Runtime API served here (one sandbox per version,
  one event at a time, as Lambda does). moto's own invoke needs Docker.
- CloudWatch over smithy-rpc-v2-cbor (the protocol of the Rust SDK), bridged to moto's JSON
  protocol with botocore's CBOR parser and serializer; percentile statistics (p99) in
  GetMetricData, which moto leaves empty; dimension sets matched whatever their order (moto
  5.2.5 sorts them wrongly); every GetMetricData request recorded; results that are not
  Complete (Forbidden, InternalError, PartialData with a NextToken) under fault injection.
- Fault injection per operation, optionally only for one deploymentId (error status and
  code, delay, dropped connection, GetMetricData result status), and
  read-only views of what happened, under /_shiftguard/.

Usage: python launcher.py [--port N]. Prints "READY http://127.0.0.1:N" once serving, and
exits when its standard input closes (so it never outlives the test run that started it),
unless --no-stdin-watch is given.
"""

import argparse
import base64
import datetime
import http.server
import queue
import stat
import subprocess
import tempfile
import hashlib
import io
import json
import os
import re
import sys
import threading
import time
import traceback
import types
import zipfile
from urllib.parse import parse_qs, unquote

from botocore.parsers import RpcV2CBORParser
from botocore.serialize import RpcV2CBORSerializer
from botocore.session import get_session
from werkzeug.serving import WSGIRequestHandler, make_server

from moto.awslambda.models import lambda_backends
from moto.cloudwatch.models import Dimension, Statistics
from moto.codedeploy import responses as cd_responses
from moto.codedeploy.exceptions import CodeDeployException
from moto.codedeploy.models import DeploymentInfo, codedeploy_backends
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.ec2.models import ec2_backends
from moto.iam.models import iam_backends
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

# The role every test function runs as (moto refuses CreateFunction without an existing role).
TEST_ROLE = "shiftguard-e2e"

LOCK = threading.Lock()
REPORTS = []  # hook statuses, in the order they were accepted
INVOCATIONS = []  # Lambda invocations: function, qualifier, version, payload
CALLS = []  # every AWS operation seen: {"service", "operation", "deploymentId", "applicationName"}
FAULTS = []  # injected faults, consumed in order
METRIC_REQUESTS = []  # GetMetricData requests, decoded
STOPS = []  # StopDeployment calls that stopped something
FINAL_STATUSES = ("Succeeded", "Failed", "Stopped")

INVOKE_PATH = re.compile(r"^/2015-03-31/functions/([^/]+)/invocations/?$")


# --- CodeDeploy -------------------------------------------------------------------------
#
# Error names are those botocore's model (botocore/data/codedeploy/2014-10-06/service-2.json,
# the model AWS's SDKs are generated from) lists for the operation raising them.

_CODEDEPLOY = get_session().get_service_model("codedeploy")


class _Error(CodeDeployException):
    code = 400

    def __init__(self, kind, message):
        super().__init__(kind, message)


def _backend(response):
    return codedeploy_backends[response.current_account][response.region]


def _content_of(revision):
    part = (revision or {}).get("appSpecContent") or (revision or {}).get("string") or {}
    return part.get("content")


def _sha256(text):
    return hashlib.sha256(text.encode()).hexdigest()


def _with_sha_only(revision):
    """What AWS may return for an AppSpecContent revision: the sha256, not the content.

    Not documented either way: the model (AppSpecContent: content, sha256) makes both members
    optional, and GetApplicationRevision is the operation that returns a revision's content.
    Kept so the hooks' fallback to GetApplicationRevision is exercised."""
    revision = json.loads(json.dumps(revision or {}))
    for key in ("appSpecContent", "string"):
        part = revision.get(key)
        if part and "content" in part:
            revision[key] = {"sha256": _sha256(part["content"])}
    return revision


def _deployment_id(self):
    """The request's deploymentId; DeploymentIdRequiredException without one, as the model lists
    for GetDeployment, StopDeployment and PutLifecycleEventHookExecutionStatus ("At least one
    deployment ID must be specified")."""
    deployment_id = self._get_param("deploymentId")
    if not deployment_id:
        raise _Error("DeploymentIdRequiredException", "At least one deployment ID must be specified.")
    return deployment_id


_moto_deployment_info = cd_responses._deployment_info


def _deployment_info(deployment):
    """moto's DeploymentInfo plus `rollbackInfo`, which moto 5.2.5 always leaves empty.

    DeploymentInfo.rollbackInfo (model shape RollbackInfo; API reference
    https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_RollbackInfo.html):
    rollbackDeploymentId "The ID of the deployment rollback", rollbackTriggeringDeploymentId
    "The deployment ID of the deployment that was underway and triggered a rollback deployment
    because it failed or was stopped", rollbackMessage. moto already keeps `creator`."""
    info = _moto_deployment_info(deployment)
    info["rollbackInfo"] = dict(getattr(deployment, "rollback_info", None) or {})
    return info


# GetDeployment and BatchGetDeployments both answer through this function.
cd_responses._deployment_info = _deployment_info


def put_lifecycle_event_hook_execution_status(self):
    deployment_id = _deployment_id(self)
    hook_id = self._get_param("lifecycleEventHookExecutionId")
    status = self._get_param("status")
    _backend(self).get_deployment(deployment_id)  # DeploymentDoesNotExistException
    if not hook_id:
        # The model's errors for this operation have no "...IdRequired" name for the hook
        # execution; InvalidLifecycleEventHookExecutionIdException is the one it lists.
        raise _Error("InvalidLifecycleEventHookExecutionIdException", "lifecycleEventHookExecutionId is missing")
    # LifecycleEventStatus has more values, but "only Succeeded and Failed can be passed
    # successfully in your API call" (the model's documentation of `status`).
    if status not in ("Succeeded", "Failed"):
        raise _Error("InvalidLifecycleEventHookExecutionStatusException", f"status {status!r} is not valid")
    with LOCK:
        if any(r["lifecycleEventHookExecutionId"] == hook_id for r in REPORTS):
            # "An attempt to return the status of an already completed lifecycle event occurred."
            raise _Error(
                "LifecycleEventAlreadyCompletedException",
                f"The lifecycle event {hook_id} is already completed",
            )
        REPORTS.append(
            {
                "deploymentId": deployment_id,
                "lifecycleEventHookExecutionId": hook_id,
                "status": status,
                "at": time.time(),
            }
        )
    return ActionResult({"lifecycleEventHookExecutionId": hook_id})


def get_deployment(self):
    deployment = _backend(self).get_deployment(_deployment_id(self))
    info = _deployment_info(deployment)
    # An S3 revision comes back as it was given (RevisionLocation.s3Location: bucket, key,
    # bundleType, version, eTag): only AppSpecContent/String revisions are reduced.
    info["revision"] = _with_sha_only(info["revision"])
    return ActionResult({"deploymentInfo": info})


def _same_s3_location(used, wanted):
    """Whether a deployment's S3 revision is the one asked for: bucket and key, and bundleType,
    version and eTag where the request names them (S3Location in the model)."""
    if not used or used.get("bucket") != wanted.get("bucket") or used.get("key") != wanted.get("key"):
        return False
    return all(wanted.get(k) in (None, used.get(k)) for k in ("bundleType", "version", "eTag"))


def get_application_revision(self):
    """GetApplicationRevision: applicationName, revision (RevisionLocation) and revisionInfo
    (GenericRevisionInfo), as GetApplicationRevisionOutput in the model has them. A revision
    CodeDeploy knows is one a deployment of the application used. For an S3 revision the answer
    is its location, not the object's content (RevisionLocation has no content for S3: the
    bundle stays in the bucket); for AppSpecContent/String it is the content with its sha256."""
    backend = _backend(self)
    application = self._get_param("applicationName")
    if not application:
        raise _Error("ApplicationNameRequiredException", "The minimum number of required application names was not specified.")
    wanted = self._get_param("revision") or {}
    if not wanted:
        raise _Error("RevisionRequiredException", "The revision ID was not specified.")
    backend.get_application(application)  # ApplicationDoesNotExistException
    part = wanted.get("appSpecContent") or wanted.get("string") or {}
    for deployment in backend.deployments.values():
        if deployment.application_name != application:
            continue
        used = deployment.revision or {}
        if wanted.get("revisionType") == "S3":
            if not _same_s3_location(used.get("s3Location"), wanted.get("s3Location") or {}):
                continue
            revision = json.loads(json.dumps(used))
        else:
            content = _content_of(used)
            if content is None or part.get("sha256") not in (None, _sha256(content)):
                continue
            revision = json.loads(json.dumps(used))
            for key in ("appSpecContent", "string"):
                if key in revision:
                    revision[key]["sha256"] = _sha256(content)
        return ActionResult(
            {
                "applicationName": application,
                "revision": revision,
                "revisionInfo": {"registerTime": deployment.create_time, "firstUsedTime": deployment.create_time},
            }
        )
    raise _Error("RevisionDoesNotExistException", "The named revision does not exist with the user or AWS account.")


ROLLBACK_CREATOR = "codeDeployRollback"  # DeploymentCreator: "A rollback process created the deployment."


def _start_rollback(backend, stopped):
    """The deployment CodeDeploy starts when a deployment is stopped with automatic rollback.

    "CodeDeploy rolls back deployments by redeploying a previously deployed revision of an
    application as a new deployment. These rolled-back deployments are technically new
    deployments, with new deployment IDs" ... "the last known good version of an application
    revision is deployed" (https://docs.aws.amazon.com/codedeploy/latest/userguide/deployments-rollback-and-redeploy.html).
    The new deployment is in the same application and group, its creator is codeDeployRollback
    and its rollbackInfo.rollbackTriggeringDeploymentId names the stopped deployment, whose
    rollbackInfo.rollbackDeploymentId names the new one (RollbackInfo in the model).

    Approximated: the revision is that of the group's newest Succeeded deployment, or the stopped
    deployment's own where the group has none (AWS's choice there is not documented). The
    rollbackMessage texts are the stand-in's own: the model only says the member describes the
    rollback's status. The rollback starts InProgress; tests move it on through the control API."""
    group = stopped.deployment_group
    good = [
        d
        for d in backend.deployments.values()
        if d.application_name == stopped.application_name
        and d.deployment_group_name == stopped.deployment_group_name
        and d.status == "Succeeded"
        and d.deployment_id != stopped.deployment_id
    ]
    source = max(good, key=lambda d: d.complete_time or d.create_time, default=stopped)
    rollback = DeploymentInfo(
        stopped.application,
        group,
        json.loads(json.dumps(source.revision or {})),
        stopped.deployment_config_name,
        f"Rollback of {stopped.deployment_id}",
        stopped.ignore_application_stop_failures,
        stopped.target_instances,
        stopped.auto_rollback_configuration,
        stopped.update_outdated_instances_only,
        stopped.file_exists_behavior,
        stopped.override_alarm_configuration,
        ROLLBACK_CREATOR,
    )
    rollback.status = "InProgress"
    rollback.start_time = utcnow()
    rollback.rollback_info = {
        "rollbackTriggeringDeploymentId": stopped.deployment_id,
        "rollbackMessage": f"Rollback deployment for {stopped.deployment_id}, which was stopped; in progress",
    }
    stopped.rollback_info = {
        "rollbackDeploymentId": rollback.deployment_id,
        "rollbackMessage": f"Deployment stopped; rolled back by deployment {rollback.deployment_id}",
    }
    backend.deployments[rollback.deployment_id] = rollback
    return rollback


def stop_deployment(self):
    """StopDeployment (deploymentId, autoRollbackEnabled). DeploymentAlreadyCompletedException once
    the deployment ended ("The deployment is already complete"). With autoRollbackEnabled,
    CodeDeploy's rollback deployment is started (see _start_rollback). The stop itself lands at
    once here (StopStatus Succeeded); AWS may answer Pending and finish the stop later."""
    deployment_id = _deployment_id(self)
    rollback = bool(self._get_param("autoRollbackEnabled"))
    backend = _backend(self)
    deployment = backend.get_deployment(deployment_id)
    with LOCK:
        if deployment.status in FINAL_STATUSES:
            raise _Error(
                "DeploymentAlreadyCompletedException", f"The deployment {deployment_id} is already completed"
            )
        deployment.status = "Stopped"
        deployment.complete_time = utcnow()
        started = _start_rollback(backend, deployment) if rollback else None
        STOPS.append(
            {
                "deploymentId": deployment_id,
                "autoRollbackEnabled": rollback,
                "rollbackDeploymentId": started.deployment_id if started else None,
                "at": time.time(),
            }
        )
    return ActionResult({"status": "Succeeded", "statusMessage": "stopped" + (" with rollback" if rollback else "")})


def set_deployment_state(deployment_id, change):
    """Plays CodeDeploy's progress: {"status", "created_seconds_ago", "completed_seconds_ago",
    "creator", "rollbackInfo"}. `status` must be a DeploymentStatus value of the model, `creator` must be a DeploymentCreator value of the model (so a
    test can make, say, CloudFormation's rollback, CloudFormationRollback); `rollbackInfo` members
    are RollbackInfo's."""
    for backends in codedeploy_backends.values():
        for backend in backends.values():
            deployment = backend.deployments.get(deployment_id)
            if deployment is None:
                continue
            now = utcnow()
            if "creator" in change:
                creators = _CODEDEPLOY.shape_for("DeploymentCreator").enum
                if change["creator"] not in creators:
                    raise ValueError(f"creator {change['creator']!r} is none of DeploymentCreator's {creators}")
                deployment.creator = change["creator"]
            if "rollbackInfo" in change:
                members = set(_CODEDEPLOY.shape_for("RollbackInfo").members)
                unknown = set(change["rollbackInfo"]) - members
                if unknown:
                    raise ValueError(f"rollbackInfo has no {sorted(unknown)}; RollbackInfo has {sorted(members)}")
                deployment.rollback_info = {**(getattr(deployment, "rollback_info", None) or {}), **change["rollbackInfo"]}
            if "status" in change:
                statuses = _CODEDEPLOY.shape_for("DeploymentStatus").enum
                if change["status"] not in statuses:
                    raise ValueError(f"status {change['status']!r} is none of DeploymentStatus's {statuses}")
                deployment.status = change["status"]
            if "created_seconds_ago" in change:
                deployment.create_time = now - datetime.timedelta(seconds=change["created_seconds_ago"])
            if "completed_seconds_ago" in change:
                deployment.complete_time = now - datetime.timedelta(seconds=change["completed_seconds_ago"])
            return {
                "deploymentId": deployment_id,
                "status": deployment.status,
                "creator": deployment.creator,
                "rollbackInfo": getattr(deployment, "rollback_info", None) or {},
            }
    return None


# --- CodeDeploy deployment targets (ECS) --------------------------------------------------
#
# ListDeploymentTargets and BatchGetDeploymentTargets, which moto 5.2.5 lacks, for ECS
# deployments: the one target `<cluster>:<service>` of the deployment group's `ecsServices`, with
# its two task sets behind the two target groups of
# `loadBalancerInfo.targetGroupPairInfoList[0].targetGroups`, as CreateDeploymentGroup was given
# them (moto keeps both as given).
#
# Which target group is the replacement's: "During a deployment, CodeDeploy determines which
# target group is associated with the task set in your Amazon ECS service that has the status
# PRIMARY (this is the original task set) and associates one target group with it, and then
# associates the other target group with the replacement task set. If you do another deployment,
# the target group associated with the current deployment's original task set is associated with
# the next deployment's replacement task set." (CodeDeploy User Guide, "Deployments on an Amazon
# ECS compute platform", https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-steps-ecs.html,
# "Two Amazon ECS target groups"); the table in "What happens during an Amazon ECS deployment" on
# the same page: Install sets up the replacement task set, AllowTestTraffic routes the test
# listener and AllowTraffic the production listener "to target group 2". The ECS Developer
# Guide's blue/green tutorial (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/create-blue-green.html,
# `aws deploy get-deployment-target`) shows the first deployment ending with the second target
# group's task set PRIMARY at trafficWeight 100 and the first's ACTIVE at 0 (its deployment group
# lists targetGroups [bluegreentarget1, bluegreentarget2]; its ECS service was created behind
# bluegreentarget1). So the stand-in plays: the service starts behind targetGroups[0] (AWS starts
# from whichever group the service was created with); every Succeeded deployment of the group moved
# it to that deployment's replacement target group. A deployment created after an even number of
# the group's deployments had succeeded has Green behind targetGroups[1] and Blue behind
# targetGroups[0]; after an odd number, the other way round. (A stopped or failed deployment
# leaves production where it was, and is not counted.)
#
# Shapes are those of botocore's model (ListDeploymentTargetsOutput: targetIds, nextToken;
# BatchGetDeploymentTargetsOutput: deploymentTargets[] of DeploymentTarget with
# deploymentTargetType ECSTarget and ecsTarget: ECSTarget with taskSetsInfo[] of ECSTaskSet,
# whose id member is spelt `identifer` in the model). Approximated, since the stand-in does not
# follow CodeDeploy through the lifecycle events: the target's status follows the deployment's;
# every lifecycle event is Pending before the deployment starts, Succeeded once it succeeded,
# otherwise Unknown; while InProgress (the hooks that ask run after AllowTraffic) and once
# Succeeded, Green is PRIMARY with all traffic, Blue ACTIVE with none; a Failed or Stopped
# deployment has its traffic back on Blue. Task set counts are 1, ids derived from the
# deployment id.
#
# Other compute platforms: AWS lists a Lambda deployment's function or an EC2 deployment's
# instances; the stand-in has no targets for them (ListDeploymentTargets returns an empty list,
# and BatchGetDeploymentTargets answers DeploymentTargetDoesNotExistException for any id).

# "For deployments that use the Amazon ECS compute platform, the target IDs are pairs of Amazon
# ECS clusters and services specified using the format <clustername>:<servicename>" (the model's
# documentation of BatchGetDeploymentTargets' targetIds).
_ECS_LIFECYCLE_EVENTS = (
    "BeforeInstall",
    "Install",
    "AfterInstall",
    "AllowTestTraffic",
    "AfterAllowTestTraffic",
    "BeforeAllowTraffic",
    "AllowTraffic",
    "AfterAllowTraffic",
)  # the order of the table in "What happens during an Amazon ECS deployment"

# DeploymentStatus → TargetStatus (both enums of the model). Stopped has no TargetStatus of
# its own; the stand-in says Failed.
_TARGET_STATUS = {
    "Created": "Pending",
    "Queued": "Pending",
    "InProgress": "InProgress",
    "Baking": "InProgress",
    "Ready": "Ready",
    "Succeeded": "Succeeded",
    "Failed": "Failed",
    "Stopped": "Failed",
}
_NOT_STARTED = ("Created", "Queued")
_TARGET_BATCH = 25  # "The maximum number of deployment target IDs you can specify is 25."


def _targets_deployment(self):
    """The deployment a targets request names: DeploymentIdRequiredException without one,
    DeploymentDoesNotExistException for an unknown one, DeploymentNotStartedException ("The
    specified deployment has not started") before it started; all three listed by the model for
    both operations."""
    deployment = _backend(self).get_deployment(_deployment_id(self))
    if deployment.status in _NOT_STARTED:
        raise _Error("DeploymentNotStartedException", f"The deployment {deployment.deployment_id} has not started.")
    return deployment


def _is_ecs(deployment):
    return str(deployment.application.compute_platform or "").upper() == "ECS"


def _ecs_target_ids(deployment):
    services = deployment.deployment_group.ecs_services or []
    return [f"{s.get('clusterName')}:{s.get('serviceName')}" for s in services[:1]]


def _green_and_blue(backend, deployment):
    """The target group names of the replacement (Green) and original (Blue) task sets."""
    pairs = (deployment.deployment_group.load_balancer_info or {}).get("targetGroupPairInfoList") or []
    names = [g.get("name") for g in ((pairs[0].get("targetGroups") or []) if pairs else [])]
    if len(names) != 2:
        return None, None
    earlier = list(backend.deployments)[: list(backend.deployments).index(deployment.deployment_id)]
    succeeded = sum(
        1
        for d in (backend.deployments[i] for i in earlier)
        if d.application_name == deployment.application_name
        and d.deployment_group_name == deployment.deployment_group_name
        and d.status == "Succeeded"
    )
    return (names[1], names[0]) if succeeded % 2 == 0 else (names[0], names[1])


def _task_set_id(deployment, label):
    digits = int(hashlib.sha256(f"{deployment.deployment_id}/{label}".encode()).hexdigest(), 16) % 10**19
    return f"ecs-svc/{digits:019d}"


def _ecs_target(backend, deployment, target_id):
    cluster, _, service = target_id.partition(":")
    status = _TARGET_STATUS.get(deployment.status, "Unknown")
    event_status = {"Pending": "Pending", "Succeeded": "Succeeded"}.get(status, "Unknown")
    green, blue = _green_and_blue(backend, deployment)
    on_green = deployment.status not in ("Failed", "Stopped")
    task_sets = []
    for label, group, serving in (("Blue", blue, not on_green), ("Green", green, on_green)):
        task_set = {
            "identifer": _task_set_id(deployment, label),
            "desiredCount": 1,
            "pendingCount": 0,
            "runningCount": 1,
            # ECSTaskSet.status: "PRIMARY: Indicates the task set is serving production
            # traffic. ACTIVE: Indicates the task set is not serving production traffic."
            "status": "PRIMARY" if serving else "ACTIVE",
            "trafficWeight": 100.0 if serving else 0.0,
            "taskSetLabel": label,
        }
        if group:
            task_set["targetGroup"] = {"name": group}
        task_sets.append(task_set)
    account, region = backend.account_id, backend.region_name
    return {
        "deploymentTargetType": "ECSTarget",
        "ecsTarget": {
            "deploymentId": deployment.deployment_id,
            "targetId": target_id,
            "targetArn": f"arn:aws:ecs:{region}:{account}:service/{cluster}/{service}",
            "lastUpdatedAt": deployment.complete_time or deployment.start_time or deployment.create_time,
            "lifecycleEvents": [{"lifecycleEventName": e, "status": event_status} for e in _ECS_LIFECYCLE_EVENTS],
            "status": status,
            "taskSetsInfo": task_sets,
        },
    }


def list_deployment_targets(self):
    """ListDeploymentTargets (deploymentId, nextToken, targetFilters): every target in one page,
    so no nextToken is returned, and any nextToken given is InvalidNextTokenException. A
    targetFilters name that is not a TargetFilterName (TargetStatus, ServerInstanceLabel) is
    InvalidTargetFilterNameException; TargetStatus filters by the target's status;
    ServerInstanceLabel (Blue/Green) labels instances of EC2 blue/green deployments and leaves an
    ECS target (which has both task sets) listed."""
    deployment = _targets_deployment(self)
    if self._get_param("nextToken"):
        raise _Error("InvalidNextTokenException", "The next token was specified in an invalid format.")
    filters = self._get_param("targetFilters") or {}
    names = _CODEDEPLOY.shape_for("TargetFilterName").enum
    unknown = [name for name in filters if name not in names]
    if unknown:
        raise _Error("InvalidTargetFilterNameException", f"The target filter name {unknown[0]} is invalid.")
    ids = _ecs_target_ids(deployment) if _is_ecs(deployment) else []
    statuses = filters.get("TargetStatus")
    if statuses:
        backend = _backend(self)
        ids = [i for i in ids if _ecs_target(backend, deployment, i)["ecsTarget"]["status"] in statuses]
    return ActionResult({"targetIds": ids})


def batch_get_deployment_targets(self):
    """BatchGetDeploymentTargets (deploymentId, targetIds): DeploymentTargetIdRequiredException
    without ids ("A deployment target ID was not provided"), DeploymentTargetListSizeExceededException
    past 25 ids, DeploymentTargetDoesNotExistException for an id that "does not belong to the
    attempted deployment"."""
    deployment = _targets_deployment(self)
    ids = self._get_param("targetIds") or []
    if not ids:
        raise _Error("DeploymentTargetIdRequiredException", "A deployment target ID was not provided.")
    if len(ids) > _TARGET_BATCH:
        raise _Error(
            "DeploymentTargetListSizeExceededException",
            f"{len(ids)} target IDs were given; at most {_TARGET_BATCH} can be.",
        )
    known = _ecs_target_ids(deployment) if _is_ecs(deployment) else []
    backend = _backend(self)
    targets = []
    for target_id in ids:
        if target_id not in known:
            raise _Error(
                "DeploymentTargetDoesNotExistException",
                f"The target {target_id} does not belong to the deployment {deployment.deployment_id}.",
            )
        targets.append(_ecs_target(backend, deployment, target_id))
    return ActionResult({"deploymentTargets": targets})


cd_responses.CodeDeployResponse.stop_deployment = stop_deployment
cd_responses.CodeDeployResponse.put_lifecycle_event_hook_execution_status = put_lifecycle_event_hook_execution_status
cd_responses.CodeDeployResponse.get_deployment = get_deployment
cd_responses.CodeDeployResponse.get_application_revision = get_application_revision
cd_responses.CodeDeployResponse.list_deployment_targets = list_deployment_targets
cd_responses.CodeDeployResponse.batch_get_deployment_targets = batch_get_deployment_targets


# --- Lambda Invoke ----------------------------------------------------------------------

_MODULES = {}


def _handler_of(fn):
    """Loads the handler from the version's own zip (cached per code hash)."""
    key = (fn.function_arn, fn.code_sha_256)
    if key not in _MODULES:
        module_name, func_name = fn.handler.rsplit(".", 1)
        with zipfile.ZipFile(io.BytesIO(fn.code_bytes)) as z:
            source = z.read(module_name.replace(".", "/") + ".py").decode()
        module = types.ModuleType(module_name)
        exec(compile(source, f"{fn.function_name}:{fn.version}/{module_name}.py", "exec"), module.__dict__)
        _MODULES[key] = getattr(module, func_name)
    return _MODULES[key]


class _Context:
    def __init__(self, fn, deadline):
        self.function_name = fn.function_name
        self.function_version = fn.version
        self.invoked_function_arn = fn.function_arn
        self.memory_limit_in_mb = fn.memory_size
        self._deadline = deadline

    def get_remaining_time_in_millis(self):
        return max(0, int((self._deadline - time.time()) * 1000))


class _Sandbox:
    """A warm `bootstrap` process for one function version, fed through a Runtime API."""

    def __init__(self, fn):
        self.fn = fn
        self.lock = threading.Lock()
        self.events = queue.Queue()
        self.answers = {}
        self.process = None
        self.directory = tempfile.mkdtemp(prefix="shiftguard-sandbox-")
        with zipfile.ZipFile(io.BytesIO(fn.code_bytes)) as z:
            z.extractall(self.directory)
        self.bootstrap = os.path.join(self.directory, "bootstrap")
        os.chmod(self.bootstrap, os.stat(self.bootstrap).st_mode | stat.S_IEXEC)
        sandbox = self

        class RuntimeApi(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                request_id, event, deadline = sandbox.events.get()
                payload = json.dumps(event).encode()
                self.send_response(200)
                self.send_header("Lambda-Runtime-Aws-Request-Id", request_id)
                self.send_header("Lambda-Runtime-Deadline-Ms", str(int(deadline * 1000)))
                self.send_header("Lambda-Runtime-Invoked-Function-Arn", sandbox.fn.function_arn)
                self.send_header("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length) if length else b""
                parts = self.path.strip("/").split("/")
                if len(parts) >= 5 and parts[2] == "invocation":
                    slot = sandbox.answers.get(parts[3])
                    if slot is not None:
                        slot["kind"], slot["body"] = parts[4], data
                        slot["done"].set()
                self.send_response(202)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RuntimeApi)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _ensure_process(self):
        if self.process is not None and self.process.poll() is None:
            return
        fn = self.fn
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{self.server.server_port}",
            "AWS_LAMBDA_FUNCTION_NAME": fn.function_name,
            "AWS_LAMBDA_FUNCTION_VERSION": str(fn.version),
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_size),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{fn.function_name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": "sandbox",
            "_HANDLER": fn.handler or "bootstrap",
            "LAMBDA_TASK_ROOT": self.directory,
        }
        env.update({k: str(v) for k, v in (fn.environment_vars or {}).items()})
        self.process = subprocess.Popen(
            [self.bootstrap], env=env, cwd=self.directory, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    def invoke(self, event, timeout):
        with self.lock:
            self._ensure_process()
            request_id = f"sandbox-{time.time_ns()}"
            slot = {"done": threading.Event()}
            self.answers[request_id] = slot
            self.events.put((request_id, event, time.time() + timeout))
            finished = slot["done"].wait(timeout)
            self.answers.pop(request_id, None)
            if not finished:
                self.process.kill()  # a timed-out sandbox is not reused
                self.process = None
                return {"error": {"errorMessage": f"Task timed out after {timeout:.2f} seconds", "errorType": "Sandbox.Timedout"}}
            if slot["kind"] == "error":
                return {"error": json.loads(slot["body"] or b"{}")}
            return {"value": json.loads(slot["body"] or b"null")}


_SANDBOXES = {}


def _sandbox_of(fn):
    key = (fn.function_arn, fn.code_sha_256, json.dumps(fn.environment_vars or {}, sort_keys=True))
    with LOCK:
        if key not in _SANDBOXES:
            _SANDBOXES[key] = _Sandbox(fn)
        return _SANDBOXES[key]


def invoke(environ, start_response, name, body):
    region = _region(environ)
    qualifier = parse_qs(environ.get("QUERY_STRING", "")).get("Qualifier", [None])[0]
    try:
        fn = lambda_backends[DEFAULT_ACCOUNT_ID][region].get_function(name, qualifier)
    except Exception:
        return None  # moto answers with its own ResourceNotFoundException
    event = json.loads(body or b"null")
    with LOCK:
        INVOCATIONS.append(
            {"function": fn.function_name, "qualifier": qualifier, "version": str(fn.version), "payload": event}
        )
    timeout = float(fn.timeout or 3)
    result = {}
    if str(fn.run_time or "").startswith("provided"):
        result = _sandbox_of(fn).invoke(event, timeout)
        return _invoke_answer(start_response, fn, result)

    def run():
        try:
            result["value"] = _handler_of(fn)(event, _Context(fn, time.time() + timeout))
        except Exception as e:  # the function's own error, as Lambda reports it
            result["error"] = {
                "errorMessage": str(e),
                "errorType": type(e).__name__,
                "stackTrace": traceback.format_tb(e.__traceback__),
            }

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        result = {"error": {"errorMessage": f"Task timed out after {timeout:.2f} seconds", "errorType": "Sandbox.Timedout"}}
    return _invoke_answer(start_response, fn, result)


def _invoke_answer(start_response, fn, result):
    headers = [("Content-Type", "application/json"), ("X-Amz-Executed-Version", str(fn.version))]
    if "error" in result:
        headers.append(("X-Amz-Function-Error", "Unhandled"))
        payload = json.dumps(result["error"]).encode()
    else:
        payload = json.dumps(result.get("value")).encode()
    start_response("200 OK", headers + [("Content-Length", str(len(payload)))])
    return [payload]


# --- CloudWatch: smithy-rpc-v2-cbor, percentiles ---------------------------------------

CBOR_PATH = re.compile(r"^/service/([^/]+)/operation/([^/]+)$")
_CLOUDWATCH = get_session().get_service_model("cloudwatch")


def _percentile(self, stat, _plain=Statistics.get_statistics_for_type):
    match = re.fullmatch(r"p(\d{1,2}(?:\.\d+)?)", stat)
    if not match:
        return _plain(self, stat)
    values = sorted(self.metric_single_values_list)
    if not values:
        return None
    rank = max(1, -(-float(match.group(1)) * len(values) // 100))  # nearest rank
    return values[int(rank) - 1]


Statistics.get_statistics_for_type = _percentile

# moto 5.2.5 orders dimensions by comparing one's value with the other's name, so the same set
# written and queried in different orders does not match. CloudWatch ignores the order.
Dimension.__lt__ = lambda self, other: (self.name or "", self.value or "") < (other.name or "", other.value or "")


def _json_default(value):
    if hasattr(value, "timestamp"):
        return value.timestamp()
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode()
    raise TypeError(f"cannot bridge {type(value).__name__}")


def _prune(value, shape):
    """Keeps what the output shape knows, so botocore's serializer accepts moto's answer."""
    if shape.type_name == "structure" and isinstance(value, dict):
        return {k: _prune(v, shape.members[k]) for k, v in value.items() if k in shape.members and v is not None}
    if shape.type_name == "list" and isinstance(value, list):
        return [_prune(v, shape.member) for v in value]
    if shape.type_name == "map" and isinstance(value, dict):
        return {k: _prune(v, shape.value) for k, v in value.items()}
    return value


class _CborSerializer(RpcV2CBORSerializer):
    """Timestamps always as tag 1 with a double: the Rust SDK's decoder accepts nothing else,
    while botocore writes whole seconds as integers."""

    def _serialize_type_timestamp(self, serialized, value, shape, key):
        serialized.extend(self._get_initial_byte(self.TAG_MAJOR_TYPE, 1))
        self._serialize_type_double(serialized, float(self._convert_timestamp_to_str(value)), shape, key)


def _cbor_head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | info]) + n.to_bytes(size, "big")
    raise ValueError("too long")


def _cbor_text(text):
    data = text.encode()
    return _cbor_head(3, len(data)) + data


def _call(app, environ):
    captured = {}

    def start(status, headers, exc_info=None):
        captured["status"], captured["headers"] = status, headers

    body = b"".join(app(environ, start))
    return int(captured["status"].split()[0]), body


def _cbor_error(start_response, status, code, message):
    """An error in smithy-rpc-v2-cbor: a CBOR map with `__type` and `message`, and, since
    CloudWatch's model is awsQueryCompatible, the x-amzn-query-error header (code;fault)."""
    out = b"\xa2" + _cbor_text("__type") + _cbor_text(code) + _cbor_text("message") + _cbor_text(message)
    headers = [
        ("smithy-protocol", "rpc-v2-cbor"),
        ("Content-Type", "application/cbor"),
        ("x-amzn-query-error", f"{code};{'Sender' if status < 500 else 'Receiver'}"),
        ("Content-Length", str(len(out))),
    ]
    start_response(f"{status} Error", headers)
    return [out]


# GetMetricData pages still to be fetched, by the NextToken that announced them.
METRIC_PAGES = {}


def _with_metric_status(answer, status):
    """A GetMetricData answer as CloudWatch gives it when a result is not Complete.

    MetricDataResult.StatusCode (model enum StatusCode: Complete, InternalError, PartialData,
    Forbidden), in the model's words: "Complete indicates that all data points in the requested
    time range were returned. PartialData means that an incomplete set of data points were
    returned. You can use the NextToken value that was returned and repeat your request to get
    more data points. NextToken is not returned if you are performing a math expression.
    InternalError indicates that an error occurred. Retry your request using NextToken, if
    present." (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDataResult.html)
    GetMetricData's NextToken: "Include this value, if it was returned by the previous
    GetMetricData operation, to get the next set of data points."

    - Forbidden, InternalError: every result carries the status, no datapoints, and a
      Messages entry (MessageData: Code, Value). The Forbidden text is the one the model's
      MessageData documentation quotes; the InternalError text is the stand-in's own.
    - PartialData: every result keeps the first half of its datapoints (in the order asked for
      with ScanBy) and is PartialData; the answer gets a NextToken; the request repeated with it
      returns the other half of each result, Complete.
    """
    results = answer.get("MetricDataResults") or []
    if status in ("Forbidden", "InternalError"):
        text = (
            "Authentication too complex to retrieve cross region data"
            if status == "Forbidden"
            else "An internal error occurred"
        )
        for r in results:
            r.update({"Values": [], "Timestamps": [], "StatusCode": status, "Messages": [{"Code": status, "Value": text}]})
        return answer
    if status == "PartialData":
        rest = []
        for r in results:
            values, stamps = r.get("Values") or [], r.get("Timestamps") or []
            half = len(values) // 2
            rest.append({**r, "Values": values[half:], "Timestamps": stamps[half:], "StatusCode": "Complete"})
            r.update({"Values": values[:half], "Timestamps": stamps[:half], "StatusCode": "PartialData"})
        token = f"shiftguard-page-{time.time_ns()}"
        with LOCK:
            METRIC_PAGES[token] = {"MetricDataResults": rest}
        answer["NextToken"] = token
        return answer
    for r in results:
        r["StatusCode"] = status
    return answer


def cbor_bridge(environ, start_response, body, app, prefix, operation, metric_status=None):
    params = RpcV2CBORParser()._initial_body_parse(body) or {}
    if operation == "GetMetricData":
        with LOCK:
            METRIC_REQUESTS.append(json.loads(json.dumps(params, default=_json_default)))
    token = params.get("NextToken") if operation == "GetMetricData" else None
    if token:
        # moto 5.2.5 ignores GetMetricData's NextToken; the pages it announces are the stand-in's.
        with LOCK:
            page = METRIC_PAGES.pop(token, None)
        if page is None:  # the operation's one modeled error: InvalidNextToken, 400
            return _cbor_error(start_response, 400, "InvalidNextToken", "The next token specified is invalid.")
        status, answer = 200, json.dumps(page).encode()
    else:
        forwarded = json.dumps(params, default=_json_default).encode()
        inner = dict(environ)
        inner.update(
            {
                "PATH_INFO": "/",
                "REQUEST_METHOD": "POST",
                "CONTENT_TYPE": "application/x-amz-json-1.0",
                "CONTENT_LENGTH": str(len(forwarded)),
                "HTTP_X_AMZ_TARGET": f"{prefix}.{operation}",
                "wsgi.input": io.BytesIO(forwarded),
            }
        )
        inner.pop("HTTP_SMITHY_PROTOCOL", None)
        status, answer = _call(app, inner)
    headers = [("smithy-protocol", "rpc-v2-cbor"), ("Content-Type", "application/cbor")]
    if status < 300:
        shape = _CLOUDWATCH.operation_model(operation).output_shape
        out = bytearray()
        if shape is not None:
            value = json.loads(answer or b"{}")
            if metric_status and operation == "GetMetricData":
                value = _with_metric_status(value, metric_status)
            _CborSerializer()._serialize_data_item(out, _prune(value, shape), shape)
        else:
            out.extend(b"\xa0")
        start_response(f"{status} OK", headers + [("Content-Length", str(len(out)))])
        return [bytes(out)]
    try:
        error = json.loads(answer)
    except ValueError:  # InternalFailure, 500: one of AWS's common errors (see the faults below)
        error = {"__type": "InternalFailure", "message": answer.decode(errors="replace")}
    code = str(error.get("__type") or error.get("code") or "InternalFailure").rsplit("#", 1)[-1]
    message = str(error.get("message") or error.get("Message") or "")
    return _cbor_error(start_response, status, code, message)


# --- Routing, faults, views -------------------------------------------------------------


def _region(environ):
    match = re.search(r"Credential=[^/]+/\d+/([^/]+)/", environ.get("HTTP_AUTHORIZATION", ""))
    return match.group(1) if match else "us-east-1"


def _service(environ):
    match = re.search(r"Credential=[^/]+/\d+/[^/]+/([^/]+)/", environ.get("HTTP_AUTHORIZATION", ""))
    return match.group(1) if match else ""


def _operation(environ, body=b""):
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return target.rsplit(".", 1)[-1]
    path = environ.get("PATH_INFO", "")
    if INVOKE_PATH.match(path):
        return "Invoke"
    if "/operation/" in path:  # smithy-rpc-v2-cbor
        return path.rsplit("/", 1)[-1]
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        # awsQuery (Elastic Load Balancing, EC2): the operation is the form's Action.
        action = parse_qs(body.decode(errors="replace")).get("Action")
        if action:
            return action[0]
    return environ.get("REQUEST_METHOD", "") + " " + path


def _json(start_response, status, value):
    body = json.dumps(value, default=str).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def _field_of(body, name):
    try:
        return json.loads(body or b"{}").get(name)
    except (ValueError, AttributeError):
        return None


def _take_fault(operation, deployment_id):
    with LOCK:
        for fault in FAULTS:
            if fault.get("deploymentId") not in (None, deployment_id):
                continue
            if fault["operation"] in (operation, "*") and fault["times"] != 0:
                fault["times"] -= 1
                return dict(fault)
    return None


def _control(environ, start_response, body):
    path, method = environ["PATH_INFO"], environ["REQUEST_METHOD"]
    with LOCK:
        if path == "/_shiftguard/reports":
            return _json(start_response, "200 OK", REPORTS)
        if path == "/_shiftguard/invocations":
            return _json(start_response, "200 OK", INVOCATIONS)
        if path == "/_shiftguard/calls":
            return _json(start_response, "200 OK", CALLS)
        if path == "/_shiftguard/stops":
            return _json(start_response, "200 OK", STOPS)
        if path.startswith("/_shiftguard/deployments/") and method == "POST":
            try:
                changed = set_deployment_state(path.rsplit("/", 1)[-1], json.loads(body))
            except ValueError as e:
                return _json(start_response, "400 Bad Request", {"error": str(e)})
            if changed is None:
                return _json(start_response, "404 Not Found", {"error": "no such deployment"})
            return _json(start_response, "200 OK", changed)
        if path == "/_shiftguard/metric-data-requests":
            return _json(start_response, "200 OK", METRIC_REQUESTS)
        if path == "/_shiftguard/faults" and method == "POST":
            fault = json.loads(body)
            fault.setdefault("times", 1)
            if "metric_status" in fault:
                # Not an error: the answer's MetricDataResults carry this StatusCode instead.
                statuses = _CLOUDWATCH.shape_for("StatusCode").enum
                if fault.get("operation") != "GetMetricData" or fault["metric_status"] not in statuses:
                    return _json(
                        start_response,
                        "400 Bad Request",
                        {"error": f"metric_status is for GetMetricData, one of {statuses}"},
                    )
                fault.setdefault("status", 0)
            # ThrottlingException, 400: in the common errors every AWS API can return ("The
            # request was denied due to request throttling", e.g.
            # https://docs.aws.amazon.com/codedeploy/latest/APIReference/CommonErrors.html and
            # https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CommonErrors.html),
            # and a modeled error of CodeDeploy (service-2.json, ThrottlingException). Lambda
            # throttles with TooManyRequestsException, 429 (its model): tests say so explicitly.
            fault.setdefault("status", 400)
            fault.setdefault("error", "ThrottlingException")
            FAULTS.append(fault)
            return _json(start_response, "201 Created", fault)
        if path == "/_shiftguard/faults" and method == "DELETE":
            FAULTS.clear()
            return _json(start_response, "200 OK", [])
        if path == "/_shiftguard/default-vpc":
            # The VPC moto creates in each region, as AWS gives each account a default VPC per
            # region (EC2 DescribeVpcs, isDefault): where a test makes its target groups
            # (CreateTargetGroup checks that the VpcId exists) without building the EC2 SDK.
            vpc = ec2_backends[DEFAULT_ACCOUNT_ID][_region(environ)].get_default_vpc()
            return _json(start_response, "200 OK", {"VpcId": vpc.id if vpc else None})
        if path == "/_shiftguard/health":
            return _json(start_response, "200 OK", {"ok": True})
    return _json(start_response, "404 Not Found", {"error": f"no such view: {method} {path}"})


class App:
    def __init__(self):
        self.moto = DomainDispatcherApplication(create_backend_app)

    def __call__(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_shiftguard/"):
            return _control(environ, start_response, body)
        operation = _operation(environ, body)
        deployment_id = _field_of(body, "deploymentId")
        call = {
            "service": _service(environ),
            "operation": operation,
            "deploymentId": deployment_id,
            "applicationName": _field_of(body, "applicationName"),
        }
        with LOCK:
            CALLS.append(call)
        return self._answer(environ, start_response, body, path, operation, deployment_id)

    def _answer(self, environ, start_response, body, path, operation, deployment_id):
        fault = _take_fault(operation, deployment_id)
        cbor = CBOR_PATH.match(path)
        is_cloudwatch = bool(cbor) and cbor.group(1) == _CLOUDWATCH.metadata["targetPrefix"]
        if fault:
            time.sleep(fault.get("delay_ms", 0) / 1000)
            if fault.get("drop"):
                raise ConnectionAbortedError("fault injection: connection dropped")
            if fault.get("status") and is_cloudwatch:  # in CloudWatch's own protocol
                return _cbor_error(start_response, int(fault["status"]), fault["error"], f"injected {fault['error']}")
            if fault.get("status"):  # 0: only the delay, then the real answer
                status = int(fault["status"])
                error = {"__type": fault["error"], "message": f"injected {fault['error']}"}
                body_out = json.dumps(error).encode()
                start_response(
                    f"{status} Injected",
                    [
                        ("Content-Type", "application/x-amz-json-1.1"),
                        ("x-amzn-ErrorType", fault["error"]),
                        ("Content-Length", str(len(body_out))),
                    ],
                )
                return [body_out]
        if is_cloudwatch:
            metric_status = (fault or {}).get("metric_status")
            return cbor_bridge(environ, start_response, body, self.moto, cbor.group(1), cbor.group(2), metric_status)
        match = INVOKE_PATH.match(path)
        if match and environ["REQUEST_METHOD"] == "POST":
            answer = invoke(environ, start_response, unquote(match.group(1)), body)
            if answer is not None:
                return answer
        environ["wsgi.input"] = io.BytesIO(body)
        return self.moto(environ, start_response)


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


def _seed():
    iam = iam_backends[DEFAULT_ACCOUNT_ID]["global"]
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
        }
    )
    iam.create_role(TEST_ROLE, trust, "/", None, "shiftguard test functions", [], None)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--no-stdin-watch", action="store_true")
    args = parser.parse_args()
    _seed()
    server = make_server("127.0.0.1", args.port, App(), threaded=True, request_handler=_QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"READY http://127.0.0.1:{server.server_port}", flush=True)
    if args.no_stdin_watch:
        threading.Event().wait()
    else:
        while sys.stdin.buffer.read(65536):
            pass
    for sandbox in list(_SANDBOXES.values()):
        if sandbox.process is not None:
            sandbox.process.kill()
    os._exit(0)


if __name__ == "__main__":
    main()
