"""CodeDeploy revisions: GetApplicationRevision, and GetDeployment's revision as AWS may give it.

- GetApplicationRevision, which moto 5.2.5 lacks: AppSpecContent/String revisions with their
  content and sha256, S3 revisions by location (see get_application_revision).
- GetDeployment returns only the sha256 of an AppSpecContent/String revision (as AWS may), so the
  hooks' fallback to GetApplicationRevision is exercised; S3 revisions come back as given (see
  with_sha_only and get_deployment).

Shapes and error names are those of botocore's codedeploy model (codedeploy.MODEL).
"""

import hashlib
import json

from moto.core.responses import ActionResult

from .codedeploy import CodeDeployError, backend_of, deployment_id_of, deployment_info, respond


def _content_of(revision):
    part = (revision or {}).get("appSpecContent") or (revision or {}).get("string") or {}
    return part.get("content")


def _sha256(text):
    return hashlib.sha256(text.encode()).hexdigest()


def with_sha_only(revision):
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


def get_deployment(self):
    deployment = backend_of(self).get_deployment(deployment_id_of(self))
    info = deployment_info(deployment)
    # An S3 revision comes back as it was given (RevisionLocation.s3Location: bucket, key,
    # bundleType, version, eTag): only AppSpecContent/String revisions are reduced.
    info["revision"] = with_sha_only(info["revision"])
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
    backend = backend_of(self)
    application = self._get_param("applicationName")
    if not application:
        raise CodeDeployError(
            "ApplicationNameRequiredException", "The minimum number of required application names was not specified."
        )
    wanted = self._get_param("revision") or {}
    if not wanted:
        raise CodeDeployError("RevisionRequiredException", "The revision ID was not specified.")
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
    raise CodeDeployError(
        "RevisionDoesNotExistException", "The named revision does not exist with the user or AWS account."
    )


def install():
    respond("get_deployment", get_deployment)
    respond("get_application_revision", get_application_revision)
