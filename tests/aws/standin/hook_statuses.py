"""CodeDeploy PutLifecycleEventHookExecutionStatus, which moto 5.2.5 does not record.

Each accepted status is recorded (recorder.REPORTS, the view /_shiftguard/reports); a second
status for the same hook execution is refused with LifecycleEventAlreadyCompletedException, as AWS
does ("An attempt to return the status of an already completed lifecycle event occurred", the
error's documentation in botocore's codedeploy model). Only Succeeded and Failed are accepted, as
the model documents for `status`.
"""

import time

from moto.core.responses import ActionResult

from .codedeploy import CodeDeployError, backend_of, deployment_id_of, respond
from .recorder import LOCK, REPORTS


def put_lifecycle_event_hook_execution_status(self):
    deployment_id = deployment_id_of(self)
    hook_id = self._get_param("lifecycleEventHookExecutionId")
    status = self._get_param("status")
    backend_of(self).get_deployment(deployment_id)  # DeploymentDoesNotExistException
    if not hook_id:
        # The model's errors for this operation have no "...IdRequired" name for the hook
        # execution; InvalidLifecycleEventHookExecutionIdException is the one it lists.
        raise CodeDeployError("InvalidLifecycleEventHookExecutionIdException", "lifecycleEventHookExecutionId is missing")
    # LifecycleEventStatus has more values, but "only Succeeded and Failed can be passed
    # successfully in your API call" (the model's documentation of `status`).
    if status not in ("Succeeded", "Failed"):
        raise CodeDeployError("InvalidLifecycleEventHookExecutionStatusException", f"status {status!r} is not valid")
    with LOCK:
        if any(r["lifecycleEventHookExecutionId"] == hook_id for r in REPORTS):
            # "An attempt to return the status of an already completed lifecycle event occurred."
            raise CodeDeployError(
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


def install():
    respond("put_lifecycle_event_hook_execution_status", put_lifecycle_event_hook_execution_status)
