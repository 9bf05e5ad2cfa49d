"""CodeDeploy: what every CodeDeploy patch shares, and `rollbackInfo` in DeploymentInfo.

Error names are those botocore's model (botocore/data/codedeploy/2014-10-06/service-2.json, the
model AWS's SDKs are generated from) lists for the operation raising them; MODEL is that model.
The patches themselves live by operation: hook_statuses.py, revisions.py, stop_and_rollback.py,
deployment_targets.py; deployment_progress.py plays CodeDeploy's own progress.

The patch here: GetDeployment and BatchGetDeployments return rollbackInfo, which moto 5.2.5
always leaves empty (see deployment_info).
"""

from botocore.session import get_session
from moto.codedeploy import responses as cd_responses
from moto.codedeploy.exceptions import CodeDeployException
from moto.codedeploy.models import codedeploy_backends

MODEL = get_session().get_service_model("codedeploy")

# The DeploymentStatus values after which a deployment no longer changes.
FINAL_STATUSES = ("Succeeded", "Failed", "Stopped")


class CodeDeployError(CodeDeployException):
    """A CodeDeploy error as the awsJson1_1 protocol returns it: 400, `__type` the error's name."""

    code = 400

    def __init__(self, kind, message):
        super().__init__(kind, message)


def backend_of(response):
    """moto's CodeDeploy backend for the account and region a request is for."""
    return codedeploy_backends[response.current_account][response.region]


def deployment_id_of(response):
    """The request's deploymentId; DeploymentIdRequiredException without one, as the model lists
    for GetDeployment, StopDeployment and PutLifecycleEventHookExecutionStatus ("At least one
    deployment ID must be specified")."""
    deployment_id = response._get_param("deploymentId")
    if not deployment_id:
        raise CodeDeployError("DeploymentIdRequiredException", "At least one deployment ID must be specified.")
    return deployment_id


def respond(operation, method):
    """Makes `method` (a function of moto's CodeDeployResponse) answer `operation` (snake_case)."""
    setattr(cd_responses.CodeDeployResponse, operation, method)


_moto_deployment_info = cd_responses._deployment_info


def deployment_info(deployment):
    """moto's DeploymentInfo plus `rollbackInfo`, which moto 5.2.5 always leaves empty.

    DeploymentInfo.rollbackInfo (model shape RollbackInfo; API reference
    https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_RollbackInfo.html):
    rollbackDeploymentId "The ID of the deployment rollback", rollbackTriggeringDeploymentId
    "The deployment ID of the deployment that was underway and triggered a rollback deployment
    because it failed or was stopped", rollbackMessage. moto already keeps `creator`."""
    info = _moto_deployment_info(deployment)
    info["rollbackInfo"] = dict(getattr(deployment, "rollback_info", None) or {})
    return info


def install():
    # GetDeployment and BatchGetDeployments both answer through this function.
    cd_responses._deployment_info = deployment_info
