"""CodeDeploy's own progress, played by the tests: the control POST /_shiftguard/deployments/<id>.

moto 5.2.5 leaves a deployment where CreateDeployment put it; CodeDeploy moves it through its
statuses by itself. A test moves it instead, to a status with create/complete times, and may set
its creator and rollbackInfo (which GetDeployment then returns, codedeploy.deployment_info). Every
value is checked against botocore's codedeploy model (codedeploy.MODEL): DeploymentStatus,
DeploymentCreator, RollbackInfo.
"""

import datetime

from moto.codedeploy.models import codedeploy_backends
from moto.core.utils import utcnow

from .codedeploy import MODEL


def _one_of(shape, field, value):
    """`value`, when it is one of the model's `shape` enum; else ValueError naming `field`."""
    allowed = MODEL.shape_for(shape).enum
    if value not in allowed:
        raise ValueError(f"{field} {value!r} is none of {shape}'s {allowed}")
    return value


def set_deployment_state(deployment_id, change):
    """Plays CodeDeploy's progress: {"status", "created_seconds_ago", "completed_seconds_ago",
    "creator", "rollbackInfo"}. `status` must be a DeploymentStatus value of the model, `creator`
    must be a DeploymentCreator value of the model (so a test can make, say, CloudFormation's
    rollback, CloudFormationRollback); `rollbackInfo` members are RollbackInfo's.

    Returns the deployment's id, status, creator and rollbackInfo after the change; None when no
    account or region has the deployment. ValueError for a value the model does not allow."""
    for backends in codedeploy_backends.values():
        for backend in backends.values():
            deployment = backend.deployments.get(deployment_id)
            if deployment is None:
                continue
            now = utcnow()
            if "creator" in change:
                deployment.creator = _one_of("DeploymentCreator", "creator", change["creator"])
            if "rollbackInfo" in change:
                members = set(MODEL.shape_for("RollbackInfo").members)
                unknown = set(change["rollbackInfo"]) - members
                if unknown:
                    raise ValueError(f"rollbackInfo has no {sorted(unknown)}; RollbackInfo has {sorted(members)}")
                deployment.rollback_info = {**(getattr(deployment, "rollback_info", None) or {}), **change["rollbackInfo"]}
            if "status" in change:
                deployment.status = _one_of("DeploymentStatus", "status", change["status"])
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
