//! CodeDeploy: reporting hook statuses and reading deployments.

use std::time::{Duration, SystemTime};

use aws_sdk_codedeploy::Client;
use aws_sdk_codedeploy::error::DisplayErrorContext;
use aws_sdk_codedeploy::operation::get_deployment::GetDeploymentError;
use aws_sdk_codedeploy::operation::put_lifecycle_event_hook_execution_status::PutLifecycleEventHookExecutionStatusError;
use aws_sdk_codedeploy::operation::stop_deployment::StopDeploymentError;
use aws_sdk_codedeploy::types::{DeploymentStatus, TimeRange};
use aws_sdk_codedeploy::types::{LifecycleEventStatus, RevisionLocation};

use crate::deployment_group::GroupRef;
use crate::ports::{
    DeploymentControl, DeploymentInfo, DeploymentReader, DeploymentSummary, HookStatusReporter, LookupError,
    ReportError, StopOutcome,
};
use crate::verdict::Status;

/// CodeDeploy behind the [`HookStatusReporter`] and [`DeploymentReader`] ports.
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

impl DeploymentReader for CodeDeployAdapter {
    async fn deployment(&self, deployment_id: &str) -> Result<DeploymentInfo, LookupError> {
        let out = self
            .client
            .get_deployment()
            .deployment_id(deployment_id)
            .send()
            .await
            .map_err(|e| match e.as_service_error() {
                Some(GetDeploymentError::DeploymentDoesNotExistException(_)) => {
                    LookupError::NoSuchDeployment(deployment_id.to_string())
                }
                _ => LookupError::Aws(format!("GetDeployment {deployment_id}: {}", DisplayErrorContext(&e))),
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
        let appspec = match inline_content(&revision) {
            Some(content) => content,
            // For AppSpecContent revisions GetDeployment may return only the sha256.
            None => self.revision_content(deployment_id, &application, revision).await?,
        };
        Ok(DeploymentInfo {
            application,
            deployment_group: info.deployment_group_name.unwrap_or_default(),
            compute_platform: summary.compute_platform,
            created_at: summary.created_at,
            completed_at: summary.completed_at,
            status: summary.status,
            appspec,
        })
    }
}

impl CodeDeployAdapter {
    async fn revision_content(
        &self,
        deployment_id: &str,
        application: &str,
        revision: RevisionLocation,
    ) -> Result<String, LookupError> {
        let unsupported = |r: &RevisionLocation| LookupError::UnsupportedRevision {
            deployment_id: deployment_id.to_string(),
            kind: match (r.s3_location(), r.git_hub_location()) {
                (Some(s3), _) => format!(
                    "stored in S3 (s3://{}/{})",
                    s3.bucket().unwrap_or_default(),
                    s3.key().unwrap_or_default()
                ),
                (_, Some(_)) => "stored in GitHub".to_string(),
                _ => "without AppSpec content".to_string(),
            },
        };
        if revision.app_spec_content().is_none() && revision.string().is_none() {
            return Err(unsupported(&revision));
        }
        let out = self
            .client
            .get_application_revision()
            .application_name(application)
            .revision(revision.clone())
            .send()
            .await
            .map_err(|e| {
                LookupError::Aws(format!(
                    "GetApplicationRevision {application}: {}",
                    DisplayErrorContext(&e)
                ))
            })?;
        out.revision
            .as_ref()
            .and_then(inline_content)
            .ok_or_else(|| unsupported(&revision))
    }
}

/// The one conversion of the SDK's deployment to what the ports carry.
fn summary_of(d: &aws_sdk_codedeploy::types::DeploymentInfo) -> DeploymentSummary {
    let text = |s: Option<&str>| s.unwrap_or_default().to_string();
    DeploymentSummary {
        deployment_id: text(d.deployment_id()),
        status: text(d.status().map(|s| s.as_str())),
        creator: text(d.creator().map(|c| c.as_str())),
        compute_platform: text(d.compute_platform().map(|p| p.as_str())),
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

impl DeploymentControl for CodeDeployAdapter {
    async fn list(
        &self,
        group: &GroupRef,
        statuses: &[&str],
        created_after: Option<SystemTime>,
    ) -> Result<Vec<String>, String> {
        let mut ids = Vec::new();
        let mut token = None;
        for _ in 0..MAX_PAGES {
            let out = self
                .client
                .list_deployments()
                .application_name(&group.application)
                .deployment_group_name(&group.group)
                .set_include_only_statuses(Some(statuses.iter().map(|s| DeploymentStatus::from(*s)).collect()))
                .set_create_time_range(
                    created_after.map(|t| TimeRange::builder().start(aws_smithy_types::DateTime::from(t)).build()),
                )
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| format!("ListDeployments {group}: {}", DisplayErrorContext(&e)))?;
            ids.extend(out.deployments.unwrap_or_default());
            match out.next_token.filter(|t| !t.is_empty()) {
                Some(t) => token = Some(t),
                None => return Ok(ids),
            }
        }
        Err(format!("ListDeployments {group}: more than {MAX_PAGES} pages"))
    }

    async fn stop_with_rollback(&self, deployment_id: &str) -> Result<StopOutcome, String> {
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
                _ => Err(format!("StopDeployment {deployment_id}: {}", DisplayErrorContext(&e))),
            },
        }
    }

    async fn summaries(&self, deployment_ids: &[String]) -> Result<Vec<DeploymentSummary>, String> {
        let mut out = Vec::with_capacity(deployment_ids.len());
        for chunk in deployment_ids.chunks(BATCH) {
            let page = self
                .client
                .batch_get_deployments()
                .set_deployment_ids(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(|e| format!("BatchGetDeployments: {}", DisplayErrorContext(&e)))?;
            out.extend(page.deployments_info.unwrap_or_default().iter().map(summary_of));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_codedeploy::operation::get_application_revision::GetApplicationRevisionOutput;
    use aws_sdk_codedeploy::operation::get_deployment::GetDeploymentOutput;
    use aws_sdk_codedeploy::operation::put_lifecycle_event_hook_execution_status::PutLifecycleEventHookExecutionStatusOutput;
    use aws_sdk_codedeploy::types::error::{DeploymentDoesNotExistException, LifecycleEventAlreadyCompletedException};
    use aws_sdk_codedeploy::types::{
        AppSpecContent, ComputePlatform, DeploymentInfo as SdkInfo, RevisionLocationType, S3Location,
    };
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    const APPSPEC: &str = include_str!("../../tests/fixtures/appspec-lambda.yaml");

    fn deployment(revision: RevisionLocation) -> GetDeploymentOutput {
        GetDeploymentOutput::builder()
            .deployment_info(
                SdkInfo::builder()
                    .application_name("orders")
                    .deployment_group_name("orders-dg")
                    .compute_platform(ComputePlatform::Lambda)
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
        let client = mock_client!(aws_sdk_codedeploy, RuleMode::MatchAny, [&get, &rev]);
        let info = CodeDeployAdapter::new(client).deployment("d-1").await.unwrap();
        assert_eq!(info.appspec, APPSPEC);
        assert_eq!(info.compute_platform, "Lambda");
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
        let client = mock_client!(aws_sdk_codedeploy, RuleMode::MatchAny, [&get, &rev]);
        let info = CodeDeployAdapter::new(client).deployment("d-1").await.unwrap();
        assert_eq!(info.appspec, APPSPEC);
        assert_eq!(rev.num_calls(), 1);
    }

    #[tokio::test]
    async fn s3_revisions_are_refused_with_a_way_out() {
        let get = mock!(Client::get_deployment).then_output(|| {
            deployment(
                RevisionLocation::builder()
                    .revision_type(RevisionLocationType::S3)
                    .s3_location(S3Location::builder().bucket("b").key("k.yaml").build())
                    .build(),
            )
        });
        let client = mock_client!(aws_sdk_codedeploy, [&get]);
        let err = CodeDeployAdapter::new(client).deployment("d-1").await.unwrap_err();
        assert!(err.to_string().contains("s3://b/k.yaml"), "{err}");
        assert!(err.to_string().contains("TARGET_FUNCTION"), "{err}");
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
                    && r.include_only_statuses() == [DeploymentStatus::InProgress, DeploymentStatus::Baking]
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
            .list(&group, &["InProgress", "Baking"], None)
            .await
            .unwrap();
        assert_eq!(ids, vec!["d-1", "d-2"]);
    }

    #[tokio::test]
    async fn an_unknown_deployment_is_named() {
        let get = mock!(Client::get_deployment).then_error(|| {
            GetDeploymentError::DeploymentDoesNotExistException(DeploymentDoesNotExistException::builder().build())
        });
        let client = mock_client!(aws_sdk_codedeploy, [&get]);
        let err = CodeDeployAdapter::new(client).deployment("d-nope").await.unwrap_err();
        assert_eq!(err, LookupError::NoSuchDeployment("d-nope".into()));
    }
}
