"""CodeDeploy ListDeploymentTargets and BatchGetDeploymentTargets for ECS deployments.

moto 5.2.5 lacks both. The stand-in answers for an ECS deployment with the group's service as the
one target, its Green and Blue task sets behind the group's two target groups, swapped after every
Succeeded deployment of the group, as CodeDeploy does. (ELBv2, for the target groups' ARNs, is
moto's own, over awsQuery; the calls view names its operations.) The AWS pages followed, and what
is approximated, are in the comment below.
"""

import hashlib

from moto.core.responses import ActionResult

from .codedeploy import MODEL, CodeDeployError, backend_of, deployment_id_of, respond

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
    deployment = backend_of(self).get_deployment(deployment_id_of(self))
    if deployment.status in _NOT_STARTED:
        raise CodeDeployError("DeploymentNotStartedException", f"The deployment {deployment.deployment_id} has not started.")
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
        raise CodeDeployError("InvalidNextTokenException", "The next token was specified in an invalid format.")
    filters = self._get_param("targetFilters") or {}
    names = MODEL.shape_for("TargetFilterName").enum
    unknown = [name for name in filters if name not in names]
    if unknown:
        raise CodeDeployError("InvalidTargetFilterNameException", f"The target filter name {unknown[0]} is invalid.")
    ids = _ecs_target_ids(deployment) if _is_ecs(deployment) else []
    statuses = filters.get("TargetStatus")
    if statuses:
        backend = backend_of(self)
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
        raise CodeDeployError("DeploymentTargetIdRequiredException", "A deployment target ID was not provided.")
    if len(ids) > _TARGET_BATCH:
        raise CodeDeployError(
            "DeploymentTargetListSizeExceededException",
            f"{len(ids)} target IDs were given; at most {_TARGET_BATCH} can be.",
        )
    known = _ecs_target_ids(deployment) if _is_ecs(deployment) else []
    backend = backend_of(self)
    targets = []
    for target_id in ids:
        if target_id not in known:
            raise CodeDeployError(
                "DeploymentTargetDoesNotExistException",
                f"The target {target_id} does not belong to the deployment {deployment.deployment_id}.",
            )
        targets.append(_ecs_target(backend, deployment, target_id))
    return ActionResult({"deploymentTargets": targets})


def install():
    respond("list_deployment_targets", list_deployment_targets)
    respond("batch_get_deployment_targets", batch_get_deployment_targets)
