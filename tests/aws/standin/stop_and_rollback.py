"""CodeDeploy StopDeployment, and the rollback deployment CodeDeploy starts for it.

- DeploymentAlreadyCompletedException once a deployment ended, which moto 5.2.5 does not check.
- With autoRollbackEnabled, CodeDeploy's rollback deployment in the same group: creator
  codeDeployRollback, rollbackInfo both ways (see start_rollback), which moto 5.2.5 does not start.
- Every stop is recorded (recorder.STOPS, the view /_shiftguard/stops).

Error names and shapes are those of botocore's codedeploy model (codedeploy.MODEL).
"""

import json
import time

from moto.codedeploy.models import DeploymentInfo
from moto.core.responses import ActionResult
from moto.core.utils import utcnow

from .codedeploy import FINAL_STATUSES, CodeDeployError, backend_of, deployment_id_of, respond
from .recorder import LOCK, STOPS

ROLLBACK_CREATOR = "codeDeployRollback"  # DeploymentCreator: "A rollback process created the deployment."


def start_rollback(backend, stopped):
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
    rollback's status. The rollback starts InProgress; tests move it on through the control API
    (deployment_progress.py)."""
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
    CodeDeploy's rollback deployment is started (see start_rollback). The stop itself lands at
    once here (StopStatus Succeeded); AWS may answer Pending and finish the stop later."""
    deployment_id = deployment_id_of(self)
    rollback = bool(self._get_param("autoRollbackEnabled"))
    backend = backend_of(self)
    deployment = backend.get_deployment(deployment_id)
    with LOCK:
        if deployment.status in FINAL_STATUSES:
            raise CodeDeployError(
                "DeploymentAlreadyCompletedException", f"The deployment {deployment_id} is already completed"
            )
        deployment.status = "Stopped"
        deployment.complete_time = utcnow()
        started = start_rollback(backend, deployment) if rollback else None
        STOPS.append(
            {
                "deploymentId": deployment_id,
                "autoRollbackEnabled": rollback,
                "rollbackDeploymentId": started.deployment_id if started else None,
                "at": time.time(),
            }
        )
    return ActionResult({"status": "Succeeded", "statusMessage": "stopped" + (" with rollback" if rollback else "")})


def install():
    respond("stop_deployment", stop_deployment)
