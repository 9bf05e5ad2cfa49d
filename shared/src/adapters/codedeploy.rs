//! CodeDeploy: reporting hook statuses, listing and stopping deployments, a group's tags, and reading a
//! deployment with its AppSpec (inline, through `GetApplicationRevision`, or from S3).

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use aws_sdk_codedeploy::Client;
use aws_sdk_codedeploy::error::DisplayErrorContext;
use aws_sdk_codedeploy::operation::get_deployment::GetDeploymentError;
use aws_sdk_codedeploy::operation::put_lifecycle_event_hook_execution_status::PutLifecycleEventHookExecutionStatusError;
use aws_sdk_codedeploy::operation::stop_deployment::StopDeploymentError;
use aws_sdk_codedeploy::types::{
    BundleType, ComputePlatform as SdkPlatform, DeploymentCreator, DeploymentStatus as SdkStatus, LifecycleEventStatus,
    RevisionLocation, RevisionLocationType, S3Location, TimeRange,
};

use super::error::aws_error;
use crate::deployment::{ComputePlatform, Creator, DeploymentStatus};
use crate::hook::verdict::Status;
use crate::ports::{
    AwsError, DeploymentHistory, DeploymentInfo, DeploymentReader, DeploymentStopper, DeploymentSummary,
    GroupTagReader, HookStatusReporter, LookupError, ReportError, StopOutcome,
};
use crate::rollback::deployment_group::GroupRef;
use crate::target::appspec::MAX_APPSPEC_BYTES;

/// CodeDeploy behind the [`HookStatusReporter`], [`DeploymentHistory`], [`DeploymentStopper`] and
/// [`GroupTagReader`] ports.
#[derive(Debug, Clone)]
pub struct CodeDeployAdapter {
    client: Client,
}

impl CodeDeployAdapter {
    pub fn new(client: Client) -> Self {
        CodeDeployAdapter { client }
    }
}

impl HookStatusReporter for CodeDeployAdapter {
    async fn report(&self, deployment_id: &str, hook_execution_id: &str, status: Status) -> Result<(), ReportError> {
        let status = match status {
            Status::Succeeded => LifecycleEventStatus::Succeeded,
            Status::Failed => LifecycleEventStatus::Failed,
        };
        match self
            .client
            .put_lifecycle_event_hook_execution_status()
            .deployment_id(deployment_id)
            .lifecycle_event_hook_execution_id(hook_execution_id)
            .status(status)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => {
                use PutLifecycleEventHookExecutionStatusError as E;
                let message = DisplayErrorContext(&e).to_string();
                match e.as_service_error() {
                    Some(E::LifecycleEventAlreadyCompletedException(_)) => Err(ReportError::AlreadyCompleted),
                    Some(
                        E::DeploymentDoesNotExistException(_)
                        | E::DeploymentIdRequiredException(_)
                        | E::InvalidDeploymentIdException(_)
                        | E::InvalidLifecycleEventHookExecutionIdException(_)
                        | E::InvalidLifecycleEventHookExecutionStatusException(_)
                        | E::UnsupportedActionForDeploymentTypeException(_),
                    ) => Err(ReportError::Rejected(message)),
                    _ => Err(ReportError::Failed(message)),
                }
            }
        }
    }
}

/// CodeDeploy and S3 behind the [`DeploymentReader`] port: the deployment, and its AppSpec
/// wherever the revision keeps it.
#[derive(Debug, Clone)]
pub struct DeploymentLookup {
    codedeploy: Client,
    s3: aws_sdk_s3::Client,
}

impl DeploymentLookup {
    pub fn new(codedeploy: Client, s3: aws_sdk_s3::Client) -> Self {
        DeploymentLookup { codedeploy, s3 }
    }
}

impl DeploymentReader for DeploymentLookup {
    async fn deployment(&self, deployment_id: &str) -> Result<DeploymentInfo, LookupError> {
        let out = self
            .codedeploy
            .get_deployment()
            .deployment_id(deployment_id)
            .send()
            .await
            .map_err(|e| match e.as_service_error() {
                Some(GetDeploymentError::DeploymentDoesNotExistException(_)) => {
                    LookupError::NoSuchDeployment(deployment_id.to_string())
                }
                _ => LookupError::Aws(aws_error(format!("GetDeployment {deployment_id}"), &e)),
            })?;
        let info = out
            .deployment_info
            .ok_or_else(|| LookupError::NoSuchDeployment(deployment_id.to_string()))?;
        let summary = summary_of(&info);
        let application = info.application_name.unwrap_or_default();
        let revision = info.revision.ok_or_else(|| LookupError::UnsupportedRevision {
            deployment_id: deployment_id.to_string(),
            kind: "missing".into(),
        })?;
        let appspec = match (inline_content(&revision), revision.revision_type()) {
            (Some(content), _) => content,
            (None, Some(RevisionLocationType::S3)) => {
                self.s3_content(deployment_id, revision.s3_location(), summary.created_at)
                    .await?
            }
            // For AppSpecContent revisions GetDeployment may return only the sha256.
            (None, _) => self.revision_content(deployment_id, &application, revision).await?,
        };
        Ok(DeploymentInfo {
            application,
            deployment_group: info.deployment_group_name.unwrap_or_default(),
            deployment_config: info.deployment_config_name.unwrap_or_default(),
            creator: summary.creator,
            rollback_of: summary.rollback_of,
            compute_platform: summary.compute_platform,
            created_at: summary.created_at,
            completed_at: summary.completed_at,
            status: summary.status,
            appspec,
        })
    }
}

fn unsupported(deployment_id: &str, revision: &RevisionLocation) -> LookupError {
    LookupError::UnsupportedRevision {
        deployment_id: deployment_id.to_string(),
        kind: match (revision.s3_location(), revision.git_hub_location()) {
            (Some(s3), _) => format!(
                "a {} bundle in S3 (s3://{}/{})",
                s3.bundle_type().map(|b| b.as_str()).unwrap_or("untyped"),
                s3.bucket().unwrap_or_default(),
                s3.key().unwrap_or_default()
            ),
            (_, Some(_)) => "stored in GitHub".to_string(),
            _ => "without AppSpec content".to_string(),
        },
    }
}

/// An ETag as S3 and CodeDeploy write it, quotes aside.
fn etag(tag: &str) -> &str {
    tag.trim().trim_matches('"')
}

impl DeploymentLookup {
    async fn revision_content(
        &self,
        deployment_id: &str,
        application: &str,
        revision: RevisionLocation,
    ) -> Result<String, LookupError> {
        if revision.app_spec_content().is_none() && revision.string().is_none() {
            return Err(unsupported(deployment_id, &revision));
        }
        let out = self
            .codedeploy
            .get_application_revision()
            .application_name(application)
            .revision(revision.clone())
            .send()
            .await
            .map_err(|e| aws_error(format!("GetApplicationRevision {application}"), &e))?;
        out.revision
            .as_ref()
            .and_then(inline_content)
            .ok_or_else(|| unsupported(deployment_id, &revision))
    }

    /// The AppSpec a revision keeps in S3 as a YAML or JSON object (`GetObject` of the version
    /// the revision names; an ETag it names must match). An archive (`zip`, `tar`, `tgz`) is an
    /// EC2/on-premises bundle, which has no traffic hooks.
    /// <https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_S3Location.html>
    async fn s3_content(
        &self,
        deployment_id: &str,
        location: Option<&S3Location>,
        created_at: Option<SystemTime>,
    ) -> Result<String, LookupError> {
        let refuse = |l: &S3Location| {
            unsupported(
                deployment_id,
                &RevisionLocation::builder()
                    .revision_type(RevisionLocationType::S3)
                    .s3_location(l.clone())
                    .build(),
            )
        };
        let Some(location) = location else {
            return Err(unsupported(deployment_id, &RevisionLocation::builder().build()));
        };
        let (Some(bucket), Some(key)) = (location.bucket(), location.key()) else {
            return Err(refuse(location));
        };
        if !matches!(location.bundle_type(), Some(BundleType::Yaml | BundleType::Json)) {
            return Err(refuse(location));
        }
        let url = match location.version() {
            Some(v) => format!("s3://{bucket}/{key}?versionId={v}"),
            None => format!("s3://{bucket}/{key}"),
        };
        let out = self
            .s3
            .get_object()
            .bucket(bucket)
            .key(key)
            .set_version_id(location.version().map(str::to_string))
            .send()
            .await
            .map_err(|e| aws_error(format!("S3 GetObject {url}"), &e))?;
        let too_large = |size: u64| LookupError::AppSpecTooLarge {
            deployment_id: deployment_id.to_string(),
            location: url.clone(),
            size,
        };
        if let Some(size) = out.content_length().and_then(|n| u64::try_from(n).ok())
            && size > MAX_APPSPEC_BYTES as u64
        {
            return Err(too_large(size));
        }
        if let (Some(wanted), Some(got)) = (location.e_tag(), out.e_tag())
            && etag(wanted) != etag(got)
        {
            return Err(LookupError::Aws(AwsError {
                operation: format!("S3 GetObject {url}"),
                message: format!(
                    "the object's ETag is {got}, not the {wanted} the revision names: it was replaced after the deployment was created"
                ),
                retryable: false,
            }));
        }
        // Neither a version nor an ETag pins the object: it must not be newer than the deployment.
        let replaced = location.version().is_none()
            && location.e_tag().is_none()
            && matches!((out.last_modified().and_then(system_time), created_at), (Some(m), Some(c)) if m > c);
        if replaced {
            return Err(LookupError::Aws(AwsError {
                operation: format!("S3 GetObject {url}"),
                message: "the object was modified after the deployment was created, and the revision names no version or ETag to read the one it deployed".into(),
                retryable: false,
            }));
        }
        let bytes = out
            .body
            .collect()
            .await
            .map_err(|e| {
                LookupError::Aws(AwsError {
                    operation: format!("S3 GetObject {url}"),
                    message: format!("reading the object: {e}"),
                    retryable: true,
                })
            })?
            .into_bytes();
        if bytes.len() > MAX_APPSPEC_BYTES {
            return Err(too_large(bytes.len() as u64));
        }
        String::from_utf8(bytes.to_vec()).map_err(|_| {
            LookupError::Aws(AwsError {
                operation: format!("S3 GetObject {url}"),
                message: "the object is not UTF-8 text, so not a YAML or JSON AppSpec".into(),
                retryable: false,
            })
        })
    }
}

/// The core's status of the SDK's: every value of AWS's model, by name.
fn status_of(s: &SdkStatus) -> DeploymentStatus {
    match s {
        SdkStatus::Created => DeploymentStatus::Created,
        SdkStatus::Queued => DeploymentStatus::Queued,
        SdkStatus::InProgress => DeploymentStatus::InProgress,
        SdkStatus::Baking => DeploymentStatus::Baking,
        SdkStatus::Ready => DeploymentStatus::Ready,
        SdkStatus::Succeeded => DeploymentStatus::Succeeded,
        SdkStatus::Failed => DeploymentStatus::Failed,
        SdkStatus::Stopped => DeploymentStatus::Stopped,
        other => DeploymentStatus::Other(other.as_str().to_string()),
    }
}

/// The SDK's status of the core's, for `ListDeployments`.
fn sdk_status(s: &DeploymentStatus) -> SdkStatus {
    match s {
        DeploymentStatus::Created => SdkStatus::Created,
        DeploymentStatus::Queued => SdkStatus::Queued,
        DeploymentStatus::InProgress => SdkStatus::InProgress,
        DeploymentStatus::Baking => SdkStatus::Baking,
        DeploymentStatus::Ready => SdkStatus::Ready,
        DeploymentStatus::Succeeded => SdkStatus::Succeeded,
        DeploymentStatus::Failed => SdkStatus::Failed,
        DeploymentStatus::Stopped => SdkStatus::Stopped,
        DeploymentStatus::Other(other) => SdkStatus::from(other.as_str()),
    }
}

fn creator_of(c: &DeploymentCreator) -> Creator {
    match c {
        DeploymentCreator::User => Creator::User,
        DeploymentCreator::Autoscaling => Creator::Autoscaling,
        DeploymentCreator::AutoscalingTermination => Creator::AutoscalingTermination,
        DeploymentCreator::CodeDeploy => Creator::CodeDeploy,
        DeploymentCreator::CodeDeployRollback => Creator::CodeDeployRollback,
        DeploymentCreator::CodeDeployAutoUpdate => Creator::CodeDeployAutoUpdate,
        DeploymentCreator::CloudFormation => Creator::CloudFormation,
        DeploymentCreator::CloudFormationRollback => Creator::CloudFormationRollback,
        other => Creator::Other(other.as_str().to_string()),
    }
}

fn platform_of(p: &SdkPlatform) -> ComputePlatform {
    match p {
        SdkPlatform::Lambda => ComputePlatform::Lambda,
        SdkPlatform::Ecs => ComputePlatform::Ecs,
        SdkPlatform::Server => ComputePlatform::Server,
        other => ComputePlatform::Other(other.as_str().to_string()),
    }
}

/// The one conversion of the SDK's deployment to what the ports carry. A deployment without a
/// creator (none is documented) counts as a user's.
fn summary_of(d: &aws_sdk_codedeploy::types::DeploymentInfo) -> DeploymentSummary {
    DeploymentSummary {
        deployment_id: d.deployment_id().unwrap_or_default().to_string(),
        application: d.application_name().unwrap_or_default().to_string(),
        deployment_group: d.deployment_group_name().unwrap_or_default().to_string(),
        status: d.status().map_or(DeploymentStatus::Other(String::new()), status_of),
        creator: d.creator().map_or(Creator::User, creator_of),
        rollback_of: d
            .rollback_info()
            .and_then(|r| r.rollback_triggering_deployment_id())
            .filter(|id| !id.is_empty())
            .map(str::to_string),
        compute_platform: d
            .compute_platform()
            .map_or(ComputePlatform::Other(String::new()), platform_of),
        created_at: d.create_time().and_then(system_time),
        completed_at: d.complete_time().and_then(system_time),
    }
}

fn system_time(t: &aws_smithy_types::DateTime) -> Option<SystemTime> {
    let ms = t.to_millis().ok()?;
    SystemTime::UNIX_EPOCH.checked_add(Duration::from_millis(u64::try_from(ms).ok()?))
}

fn inline_content(revision: &RevisionLocation) -> Option<String> {
    revision
        .app_spec_content()
        .and_then(|c| c.content())
        .or_else(|| revision.string().and_then(|s| s.content()))
        .filter(|c| !c.trim().is_empty())
        .map(str::to_string)
}

/// `BatchGetDeployments` takes at most this many ids per call.
const BATCH: usize = 25;
/// At most this many `ListDeployments` pages are followed.
const MAX_PAGES: usize = 50;

impl CodeDeployAdapter {
    /// Every page of `ListDeployments`, of one group or (without one) of the whole account.
    async fn list_pages(
        &self,
        group: Option<&GroupRef>,
        statuses: &[DeploymentStatus],
        created_after: Option<SystemTime>,
    ) -> Result<Vec<String>, AwsError> {
        let operation = || match group {
            Some(group) => format!("ListDeployments {group}"),
            None => "ListDeployments".to_string(),
        };
        let mut ids = Vec::new();
        let mut token = None;
        for _ in 0..MAX_PAGES {
            let out = self
                .client
                .list_deployments()
                .set_application_name(group.map(|g| g.application.clone()))
                .set_deployment_group_name(group.map(|g| g.group.clone()))
                .set_include_only_statuses(Some(statuses.iter().map(sdk_status).collect()))
                .set_create_time_range(
                    created_after.map(|t| TimeRange::builder().start(aws_smithy_types::DateTime::from(t)).build()),
                )
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| aws_error(operation(), &e))?;
            ids.extend(out.deployments.unwrap_or_default());
            match out.next_token.filter(|t| !t.is_empty()) {
                Some(t) => token = Some(t),
                None => return Ok(ids),
            }
        }
        Err(AwsError {
            operation: operation(),
            message: format!("more than {MAX_PAGES} pages"),
            retryable: false,
        })
    }
}

impl DeploymentHistory for CodeDeployAdapter {
    async fn list(
        &self,
        group: &GroupRef,
        statuses: &[DeploymentStatus],
        created_after: Option<SystemTime>,
    ) -> Result<Vec<String>, AwsError> {
        self.list_pages(Some(group), statuses, created_after).await
    }

    /// "If applicationName is specified, then deploymentGroupName must be specified. If it is not
    /// specified, then deploymentGroupName must not be specified." Without both, the account's
    /// deployments: <https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_ListDeployments.html>
    async fn in_progress(&self) -> Result<Vec<String>, AwsError> {
        self.list_pages(None, &[DeploymentStatus::InProgress], None).await
    }

    async fn summaries(&self, deployment_ids: &[String]) -> Result<Vec<DeploymentSummary>, AwsError> {
        let mut out = Vec::with_capacity(deployment_ids.len());
        for chunk in deployment_ids.chunks(BATCH) {
            let page = self
                .client
                .batch_get_deployments()
                .set_deployment_ids(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(|e| aws_error("BatchGetDeployments", &e))?;
            out.extend(page.deployments_info.unwrap_or_default().iter().map(summary_of));
        }
        Ok(out)
    }
}

impl GroupTagReader for CodeDeployAdapter {
    /// A deployment group's ARN is `arn:${Partition}:codedeploy:${Region}:${Account}:deploymentgroup:${ApplicationName}/${DeploymentGroupName}`
    /// (Service Authorization Reference, "Resource types defined by AWS CodeDeploy").
    async fn group_tags(&self, group_arn: &str) -> Result<BTreeMap<String, String>, AwsError> {
        let mut tags = BTreeMap::new();
        let mut token = None;
        for _ in 0..MAX_PAGES {
            let out = self
                .client
                .list_tags_for_resource()
                .resource_arn(group_arn)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| aws_error(format!("ListTagsForResource {group_arn}"), &e))?;
            tags.extend(
                out.tags
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|t| Some((t.key?, t.value.unwrap_or_default()))),
            );
            match out.next_token.filter(|t| !t.is_empty()) {
                Some(t) => token = Some(t),
                None => return Ok(tags),
            }
        }
        Err(AwsError {
            operation: format!("ListTagsForResource {group_arn}"),
            message: format!("more than {MAX_PAGES} pages"),
            retryable: false,
        })
    }
}

impl DeploymentStopper for CodeDeployAdapter {
    async fn stop_with_rollback(&self, deployment_id: &str) -> Result<StopOutcome, AwsError> {
        match self
            .client
            .stop_deployment()
            .deployment_id(deployment_id)
            .auto_rollback_enabled(true)
            .send()
            .await
        {
            Ok(_) => Ok(StopOutcome::Stopped),
            Err(e) => match e.as_service_error() {
                Some(StopDeploymentError::DeploymentAlreadyCompletedException(_)) => Ok(StopOutcome::AlreadyCompleted),
                _ => Err(aws_error(format!("StopDeployment {deployment_id}"), &e)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_codedeploy::operation::get_application_revision::GetApplicationRevisionOutput;
    use aws_sdk_codedeploy::operation::get_deployment::GetDeploymentOutput;
    use aws_sdk_codedeploy::operation::put_lifecycle_event_hook_execution_status::PutLifecycleEventHookExecutionStatusOutput;
    use aws_sdk_codedeploy::types::error::{DeploymentDoesNotExistException, LifecycleEventAlreadyCompletedException};
    use aws_sdk_codedeploy::types::{AppSpecContent, DeploymentInfo as SdkInfo};
    use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};

    const APPSPEC: &str = include_str!("../../tests/fixtures/appspec-lambda.yaml");

    /// A reader over CodeDeploy answering by `rules` and an S3 that answers by `s3_rules`.
    fn lookup(rules: &[&Rule], s3_rules: &[&Rule]) -> DeploymentLookup {
        let codedeploy = mock_client!(aws_sdk_codedeploy, RuleMode::MatchAny, rules);
        let s3 = mock_client!(aws_sdk_s3, RuleMode::MatchAny, s3_rules);
        DeploymentLookup::new(codedeploy, s3)
    }

    /// An awsJson1.1 answer with `body`, as CodeDeploy sends it.
    fn wire(body: &'static str) -> aws_smithy_runtime_api::http::Response {
        aws_smithy_runtime_api::http::Response::new(
            aws_smithy_runtime_api::http::StatusCode::try_from(200).unwrap(),
            aws_smithy_types::body::SdkBody::from(body),
        )
    }

    fn deployment(revision: RevisionLocation) -> GetDeploymentOutput {
        GetDeploymentOutput::builder()
            .deployment_info(
                SdkInfo::builder()
                    .application_name("orders")
                    .deployment_group_name("orders-dg")
                    .compute_platform(SdkPlatform::Lambda)
                    .create_time(aws_smithy_types::DateTime::from_secs(1_700_000_000))
                    .revision(revision)
                    .build(),
            )
            .build()
    }

    fn appspec_revision(content: Option<&str>) -> RevisionLocation {
        let mut c = AppSpecContent::builder().sha256("abc");
        if let Some(content) = content {
            c = c.content(content);
        }
        RevisionLocation::builder()
            .revision_type(RevisionLocationType::AppSpecContent)
            .app_spec_content(c.build())
            .build()
    }

    #[tokio::test]
    async fn reports_the_status_for_the_exact_hook_execution() {
        let rule = mock!(Client::put_lifecycle_event_hook_execution_status)
            .match_requests(|r| {
                r.deployment_id() == Some("d-1")
                    && r.lifecycle_event_hook_execution_id() == Some("h-1")
                    && r.status() == Some(&LifecycleEventStatus::Failed)
            })
            .then_output(|| PutLifecycleEventHookExecutionStatusOutput::builder().build());
        let client = mock_client!(aws_sdk_codedeploy, [&rule]);
        CodeDeployAdapter::new(client)
            .report("d-1", "h-1", Status::Failed)
            .await
            .unwrap();
        assert_eq!(rule.num_calls(), 1);
    }

    #[tokio::test]
    async fn an_already_completed_event_is_told_apart() {
        let rule = mock!(Client::put_lifecycle_event_hook_execution_status).then_error(|| {
            PutLifecycleEventHookExecutionStatusError::LifecycleEventAlreadyCompletedException(
                LifecycleEventAlreadyCompletedException::builder()
                    .message("done")
                    .build(),
            )
        });
        let client = mock_client!(aws_sdk_codedeploy, [&rule]);
        let err = CodeDeployAdapter::new(client)
            .report("d-1", "h-1", Status::Succeeded)
            .await
            .unwrap_err();
        assert_eq!(err, ReportError::AlreadyCompleted);
    }

    #[tokio::test]
    async fn an_unknown_deployment_is_a_refusal_and_throttling_a_failure() {
        let unknown = mock!(Client::put_lifecycle_event_hook_execution_status)
            .match_requests(|r| r.deployment_id() == Some("d-gone"))
            .then_error(|| {
                PutLifecycleEventHookExecutionStatusError::DeploymentDoesNotExistException(
                    DeploymentDoesNotExistException::builder()
                        .message("no such deployment")
                        .build(),
                )
            });
        let client = mock_client!(aws_sdk_codedeploy, [&unknown]);
        let err = CodeDeployAdapter::new(client)
            .report("d-gone", "h-1", Status::Failed)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, ReportError::Rejected(m) if m.contains("no such deployment")),
            "{err:?}"
        );

        let throttled = mock!(Client::put_lifecycle_event_hook_execution_status).then_http_response(|| {
            aws_smithy_runtime_api::http::Response::new(
                aws_smithy_runtime_api::http::StatusCode::try_from(400).unwrap(),
                aws_smithy_types::body::SdkBody::from(r#"{"__type":"ThrottlingException","message":"slow down"}"#),
            )
        });
        let client = mock_client!(aws_sdk_codedeploy, [&throttled]);
        let err = CodeDeployAdapter::new(client)
            .report("d-1", "h-1", Status::Failed)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, ReportError::Failed(m) if m.contains("ThrottlingException")),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn inline_appspec_content_needs_one_call() {
        let get = mock!(Client::get_deployment).then_output(|| deployment(appspec_revision(Some(APPSPEC))));
        let rev =
            mock!(Client::get_application_revision).then_output(|| GetApplicationRevisionOutput::builder().build());
        let info = lookup(&[&get, &rev], &[]).deployment("d-1").await.unwrap();
        assert_eq!(info.appspec, APPSPEC);
        assert_eq!(info.compute_platform, ComputePlatform::Lambda);
        assert_eq!(
            info.created_at,
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000))
        );
        assert_eq!((get.num_calls(), rev.num_calls()), (1, 0));
    }

    #[tokio::test]
    async fn a_sha256_only_revision_is_read_with_get_application_revision() {
        let get = mock!(Client::get_deployment).then_output(|| deployment(appspec_revision(None)));
        let rev = mock!(Client::get_application_revision)
            .match_requests(|r| {
                r.application_name() == Some("orders")
                    && r.revision().and_then(|r| r.app_spec_content()).and_then(|c| c.sha256()) == Some("abc")
            })
            .then_output(|| {
                GetApplicationRevisionOutput::builder()
                    .revision(appspec_revision(Some(APPSPEC)))
                    .build()
            });
        let info = lookup(&[&get, &rev], &[]).deployment("d-1").await.unwrap();
        assert_eq!(info.appspec, APPSPEC);
        assert_eq!(rev.num_calls(), 1);
    }

    /// GetDeployment of a deployment whose AppSpec is a YAML object in S3, as the API returns it
    /// (`revision.revisionType` `S3`, `s3Location` with `bundleType`, `version`, `eTag`):
    /// <https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_GetDeployment.html>,
    /// <https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_S3Location.html>.
    const S3_DEPLOYMENT: &str = r#"{"deploymentInfo":{"applicationName":"orders","deploymentGroupName":"orders-dg",
        "deploymentId":"d-S3REV0001","status":"InProgress","creator":"user","computePlatform":"Lambda",
        "createTime":1.7e9,"revision":{"revisionType":"S3","s3Location":{"bucket":"releases",
        "key":"orders/appspec.yaml","bundleType":"YAML","version":"3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY",
        "eTag":"6f5902ac237024bdd0c176cb93063dc4"}}}}"#;

    fn s3_object(body: &'static str, etag: &'static str) -> aws_sdk_s3::operation::get_object::GetObjectOutput {
        aws_sdk_s3::operation::get_object::GetObjectOutput::builder()
            .body(aws_sdk_s3::primitives::ByteStream::from_static(body.as_bytes()))
            .content_length(body.len() as i64)
            .e_tag(etag)
            .build()
    }

    #[tokio::test]
    async fn an_appspec_in_s3_is_read_at_the_version_the_revision_names() {
        let get = mock!(Client::get_deployment).then_http_response(|| wire(S3_DEPLOYMENT));
        let object = mock!(aws_sdk_s3::Client::get_object)
            .match_requests(|r| {
                r.bucket() == Some("releases")
                    && r.key() == Some("orders/appspec.yaml")
                    && r.version_id() == Some("3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY")
            })
            .then_output(|| s3_object(APPSPEC, "\"6f5902ac237024bdd0c176cb93063dc4\""));
        let info = lookup(&[&get], &[&object]).deployment("d-S3REV0001").await.unwrap();
        assert_eq!(info.appspec, APPSPEC);
        assert_eq!(object.num_calls(), 1);
    }

    #[tokio::test]
    async fn an_s3_object_replaced_since_the_deployment_is_refused() {
        let get = mock!(Client::get_deployment).then_http_response(|| wire(S3_DEPLOYMENT));
        let object = mock!(aws_sdk_s3::Client::get_object).then_output(|| s3_object(APPSPEC, "\"0000\""));
        let err = lookup(&[&get], &[&object]).deployment("d-S3REV0001").await.unwrap_err();
        assert!(err.to_string().contains("ETag"), "{err}");
    }

    #[tokio::test]
    async fn an_unpinned_s3_object_newer_than_the_deployment_is_refused() {
        const UNPINNED: &str = r#"{"deploymentInfo":{"applicationName":"orders","deploymentGroupName":"orders-dg",
            "deploymentId":"d-S3REV0002","status":"InProgress","computePlatform":"Lambda","createTime":1.7e9,
            "revision":{"revisionType":"S3","s3Location":{"bucket":"releases","key":"orders/appspec.yaml","bundleType":"YAML"}}}}"#;
        for (modified, ok) in [(1_699_999_000, true), (1_700_000_500, false)] {
            let get = mock!(Client::get_deployment).then_http_response(|| wire(UNPINNED));
            let object = mock!(aws_sdk_s3::Client::get_object).then_output(move || {
                aws_sdk_s3::operation::get_object::GetObjectOutput::builder()
                    .body(aws_sdk_s3::primitives::ByteStream::from_static(APPSPEC.as_bytes()))
                    .last_modified(aws_smithy_types::DateTime::from_secs(modified))
                    .build()
            });
            let read = lookup(&[&get], &[&object]).deployment("d-S3REV0002").await;
            assert_eq!(read.is_ok(), ok, "{read:?}");
            if let Err(e) = read {
                assert!(
                    e.to_string().contains("modified after the deployment was created"),
                    "{e}"
                );
            }
        }
    }

    #[tokio::test]
    async fn an_oversized_s3_appspec_is_refused_unread() {
        let get = mock!(Client::get_deployment).then_http_response(|| wire(S3_DEPLOYMENT));
        let object = mock!(aws_sdk_s3::Client::get_object).then_output(|| {
            aws_sdk_s3::operation::get_object::GetObjectOutput::builder()
                .content_length(10 * 1024 * 1024)
                .build()
        });
        let err = lookup(&[&get], &[&object]).deployment("d-S3REV0001").await.unwrap_err();
        assert!(
            matches!(err, LookupError::AppSpecTooLarge { size: 10_485_760, .. }),
            "{err}"
        );
    }

    #[tokio::test]
    async fn an_s3_access_error_names_the_object_and_is_not_retryable() {
        let get = mock!(Client::get_deployment).then_http_response(|| wire(S3_DEPLOYMENT));
        let denied = mock!(aws_sdk_s3::Client::get_object).then_http_response(|| {
            aws_smithy_runtime_api::http::Response::new(
                aws_smithy_runtime_api::http::StatusCode::try_from(403).unwrap(),
                aws_smithy_types::body::SdkBody::from(
                    "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
                ),
            )
        });
        let err = lookup(&[&get], &[&denied]).deployment("d-S3REV0001").await.unwrap_err();
        match err {
            LookupError::Aws(e) => {
                assert!(e.operation.contains("s3://releases/orders/appspec.yaml"), "{e}");
                assert!(e.message.contains("AccessDenied"), "{e}");
                assert!(!e.retryable);
            }
            other => panic!("expected an AWS error, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn archive_bundles_in_s3_are_refused_by_name() {
        let get = mock!(Client::get_deployment).then_output(|| {
            deployment(
                RevisionLocation::builder()
                    .revision_type(RevisionLocationType::S3)
                    .s3_location(
                        S3Location::builder()
                            .bucket("b")
                            .key("k.zip")
                            .bundle_type(BundleType::Zip)
                            .build(),
                    )
                    .build(),
            )
        });
        let err = lookup(&[&get], &[]).deployment("d-1").await.unwrap_err();
        assert!(err.to_string().contains("a zip bundle in S3 (s3://b/k.zip)"), "{err}");
    }

    /// BatchGetDeployments as AWS answers for CodeDeploy's own rollback of a stopped deployment:
    /// a new deployment with creator `codeDeployRollback` whose `rollbackInfo` names the deployment
    /// it rolls back. Shape: <https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_BatchGetDeployments.html>
    /// and botocore's `codedeploy/2014-10-06/service-2.json` (`DeploymentCreator`, `RollbackInfo`).
    const ROLLBACK_AND_RELEASE: &str = r#"{"deploymentsInfo":[
        {"applicationName":"orders","deploymentGroupName":"orders-dg","deploymentId":"d-ROLLBACK1",
         "status":"InProgress","creator":"codeDeployRollback","computePlatform":"Lambda","createTime":1.7e9,
         "rollbackInfo":{"rollbackTriggeringDeploymentId":"d-RELEASE01","rollbackMessage":"Rolling back"}},
        {"applicationName":"orders","deploymentGroupName":"orders-dg","deploymentId":"d-RELEASE01",
         "status":"Stopped","creator":"user","computePlatform":"Lambda","createTime":1.6e9,"completeTime":1.7e9,
         "rollbackInfo":{"rollbackDeploymentId":"d-ROLLBACK1"}},
        {"deploymentId":"d-CFN000001","status":"Baking","creator":"CloudFormationRollback","computePlatform":"ECS"},
        {"deploymentId":"d-FUTURE001","status":"Paused","creator":"somethingNew","computePlatform":"Mainframe"}]}"#;

    #[tokio::test]
    async fn rollbacks_are_told_apart_by_creator_and_rollback_info() {
        let batch = mock!(Client::batch_get_deployments).then_http_response(|| wire(ROLLBACK_AND_RELEASE));
        let client = mock_client!(aws_sdk_codedeploy, [&batch]);
        let s = CodeDeployAdapter::new(client)
            .summaries(&["d-ROLLBACK1".into()])
            .await
            .unwrap();
        assert_eq!(s[0].creator, Creator::CodeDeployRollback);
        assert_eq!(s[0].rollback_of.as_deref(), Some("d-RELEASE01"));
        assert_eq!(s[0].status, DeploymentStatus::InProgress);
        assert!(s[0].is_rollback());
        assert_eq!(
            (s[1].creator.clone(), s[1].status.clone(), s[1].is_rollback()),
            (Creator::User, DeploymentStatus::Stopped, false),
            "the stopped release names its rollback, but is none"
        );
        assert!(s[2].is_rollback());
        assert_eq!(s[2].compute_platform, ComputePlatform::Ecs);
        assert_eq!(
            (s[3].status.clone(), s[3].creator.clone(), s[3].compute_platform.clone()),
            (
                DeploymentStatus::Other("Paused".into()),
                Creator::Other("somethingNew".into()),
                ComputePlatform::Other("Mainframe".into())
            ),
            "values the model gains later are kept, never taken for known ones"
        );
    }

    #[tokio::test]
    async fn every_status_of_the_model_maps_both_ways() {
        for s in SdkStatus::values() {
            let sdk = SdkStatus::from(*s);
            let core = status_of(&sdk);
            assert!(!matches!(core, DeploymentStatus::Other(_)), "{s} is not mapped");
            assert_eq!(sdk_status(&core), sdk);
            assert_eq!(core.as_str(), *s);
        }
        for c in DeploymentCreator::values() {
            let core = creator_of(&DeploymentCreator::from(*c));
            assert!(!matches!(core, Creator::Other(_)), "{c} is not mapped");
            assert_eq!(core.as_str(), *c);
        }
        for p in SdkPlatform::values() {
            let core = platform_of(&SdkPlatform::from(*p));
            assert!(!matches!(core, ComputePlatform::Other(_)), "{p} is not mapped");
            assert_eq!(core.as_str(), *p);
        }
    }

    #[tokio::test]
    async fn stops_with_rollback_and_takes_a_completed_deployment_in_stride() {
        use aws_sdk_codedeploy::operation::stop_deployment::StopDeploymentOutput;
        use aws_sdk_codedeploy::types::error::DeploymentAlreadyCompletedException;
        let stop = mock!(Client::stop_deployment)
            .match_requests(|r| r.deployment_id() == Some("d-1") && r.auto_rollback_enabled() == Some(true))
            .then_output(|| StopDeploymentOutput::builder().build());
        let done = mock!(Client::stop_deployment)
            .match_requests(|r| r.deployment_id() == Some("d-2"))
            .then_error(|| {
                StopDeploymentError::DeploymentAlreadyCompletedException(
                    DeploymentAlreadyCompletedException::builder().build(),
                )
            });
        let client = mock_client!(aws_sdk_codedeploy, RuleMode::MatchAny, [&stop, &done]);
        let cd = CodeDeployAdapter::new(client);
        assert_eq!(cd.stop_with_rollback("d-1").await, Ok(StopOutcome::Stopped));
        assert_eq!(cd.stop_with_rollback("d-2").await, Ok(StopOutcome::AlreadyCompleted));
    }

    #[tokio::test]
    async fn lists_every_page_of_in_flight_deployments() {
        use aws_sdk_codedeploy::operation::list_deployments::ListDeploymentsOutput;
        let first = mock!(Client::list_deployments)
            .match_requests(|r| {
                r.next_token().is_none()
                    && r.application_name() == Some("orders")
                    && r.include_only_statuses() == [SdkStatus::InProgress, SdkStatus::Baking]
            })
            .then_output(|| {
                ListDeploymentsOutput::builder()
                    .deployments("d-1")
                    .next_token("more")
                    .build()
            });
        let second = mock!(Client::list_deployments)
            .match_requests(|r| r.next_token() == Some("more"))
            .then_output(|| ListDeploymentsOutput::builder().deployments("d-2").build());
        let client = mock_client!(aws_sdk_codedeploy, RuleMode::MatchAny, [&first, &second]);
        let group = GroupRef {
            application: "orders".into(),
            group: "live".into(),
        };
        let ids = CodeDeployAdapter::new(client)
            .list(&group, &[DeploymentStatus::InProgress, DeploymentStatus::Baking], None)
            .await
            .unwrap();
        assert_eq!(ids, vec!["d-1", "d-2"]);
    }

    #[tokio::test]
    async fn lists_the_accounts_deployments_in_progress_without_an_application() {
        use aws_sdk_codedeploy::operation::list_deployments::ListDeploymentsOutput;
        let list = mock!(Client::list_deployments)
            .match_requests(|r| {
                r.application_name().is_none()
                    && r.deployment_group_name().is_none()
                    && r.include_only_statuses() == [SdkStatus::InProgress]
            })
            .then_output(|| ListDeploymentsOutput::builder().deployments("d-1").build());
        let client = mock_client!(aws_sdk_codedeploy, [&list]);
        assert_eq!(CodeDeployAdapter::new(client).in_progress().await.unwrap(), vec!["d-1"]);
    }

    #[tokio::test]
    async fn reads_a_groups_tags() {
        use aws_sdk_codedeploy::operation::list_tags_for_resource::ListTagsForResourceOutput;
        use aws_sdk_codedeploy::types::Tag;
        let arn = "arn:aws:codedeploy:eu-west-1:123456789012:deploymentgroup:orders/live";
        let tags = mock!(Client::list_tags_for_resource)
            .match_requests(move |r| r.resource_arn() == Some(arn))
            .then_output(|| {
                ListTagsForResourceOutput::builder()
                    .tags(Tag::builder().key("shiftguard:canary-judge").value("off").build())
                    .build()
            });
        let client = mock_client!(aws_sdk_codedeploy, [&tags]);
        let got = CodeDeployAdapter::new(client).group_tags(arn).await.unwrap();
        assert_eq!(got.get("shiftguard:canary-judge").map(String::as_str), Some("off"));
    }

    #[tokio::test]
    async fn an_unknown_deployment_is_named() {
        let get = mock!(Client::get_deployment).then_error(|| {
            GetDeploymentError::DeploymentDoesNotExistException(DeploymentDoesNotExistException::builder().build())
        });
        let err = lookup(&[&get], &[]).deployment("d-nope").await.unwrap_err();
        assert_eq!(err, LookupError::NoSuchDeployment("d-nope".into()));
    }
}
