//! The small capabilities the hooks need from the outside world, one trait each.
//! Implemented for the AWS SDK clients in [`crate::adapters`] and for reqwest in [`crate::adapters::http_probe`];
//! handlers are generic over them, so tests use in-memory fakes.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, SystemTime};

use thiserror::Error;

use crate::deployment::{ComputePlatform, Creator, DeploymentStatus};
use crate::gate::metric_checks::TargetGroups;
use crate::gate::metric_query::{MetricQuery, MetricWindow};
use crate::hook::verdict::Status;
use crate::rollback::deployment_group::GroupRef;

/// Reports a lifecycle hook's status to CodeDeploy.
pub trait HookStatusReporter: Send + Sync {
    fn report(
        &self,
        deployment_id: &str,
        hook_execution_id: &str,
        status: Status,
    ) -> impl Future<Output = Result<(), ReportError>> + Send;
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ReportError {
    /// A status was already reported for this hook execution (a duplicate delivery).
    #[error("the lifecycle event was already completed")]
    AlreadyCompleted,
    /// CodeDeploy refused the status for good: the deployment or the hook execution does not
    /// exist, or is not one a status can be reported to. No retry can change that, and nobody
    /// is waiting on the status.
    #[error("{0}")]
    Rejected(String),
    /// Reporting failed and may work later (throttling, 5xx, the network, permissions).
    #[error("{0}")]
    Failed(String),
}

/// An AWS call that failed: the operation, what AWS (or the network) said, and whether trying
/// again later may help (throttling, a 5xx, a timeout or a dropped connection) or not (a refusal
/// such as AccessDenied or a validation error, which a retry only repeats).
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("{operation} failed: {message}")]
pub struct AwsError {
    pub operation: String,
    pub message: String,
    pub retryable: bool,
}

/// What a hook needs to know about a deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentInfo {
    pub application: String,
    pub deployment_group: String,
    /// `deploymentConfigName`, e.g. `CodeDeployDefault.LambdaCanary10Percent5Minutes`.
    pub deployment_config: String,
    pub creator: Creator,
    /// `rollbackInfo.rollbackTriggeringDeploymentId`: the deployment this one rolls back.
    pub rollback_of: Option<String>,
    pub compute_platform: ComputePlatform,
    pub created_at: Option<SystemTime>,
    pub completed_at: Option<SystemTime>,
    pub status: DeploymentStatus,
    /// The AppSpec content (JSON or YAML): inline in the revision, from `GetApplicationRevision`,
    /// or from the S3 object the revision names.
    pub appspec: String,
}

impl DeploymentInfo {
    /// CodeDeploy's or CloudFormation's own rollback, not a release.
    pub fn is_rollback(&self) -> bool {
        crate::deployment::is_rollback(&self.creator, self.rollback_of.as_deref())
    }
}

/// A deployment as `BatchGetDeployments` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentSummary {
    pub deployment_id: String,
    pub application: String,
    pub deployment_group: String,
    pub status: DeploymentStatus,
    pub creator: Creator,
    /// `rollbackInfo.rollbackTriggeringDeploymentId`: the deployment this one rolls back.
    pub rollback_of: Option<String>,
    pub compute_platform: ComputePlatform,
    pub created_at: Option<SystemTime>,
    pub completed_at: Option<SystemTime>,
}

impl DeploymentSummary {
    /// CodeDeploy's or CloudFormation's own rollback, not a release.
    pub fn is_rollback(&self) -> bool {
        crate::deployment::is_rollback(&self.creator, self.rollback_of.as_deref())
    }
}

/// Reads a deployment and its AppSpec.
pub trait DeploymentReader: Send + Sync {
    fn deployment(&self, deployment_id: &str) -> impl Future<Output = Result<DeploymentInfo, LookupError>> + Send;
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum LookupError {
    #[error("deployment {0} does not exist in this account and region")]
    NoSuchDeployment(String),
    #[error(
        "the revision of deployment {deployment_id} is {kind}; shiftguard reads AppSpecs given inline (AppSpecContent or String) or as a YAML or JSON object in S3"
    )]
    UnsupportedRevision { deployment_id: String, kind: String },
    #[error("the AppSpec of deployment {deployment_id} at {location} is {size} bytes, more than the {max} bytes shiftguard reads", max = crate::target::appspec::MAX_APPSPEC_BYTES)]
    AppSpecTooLarge {
        deployment_id: String,
        location: String,
        size: u64,
    },
    #[error(transparent)]
    Aws(#[from] AwsError),
}

/// Reads settings documents (Parameter Store's `GetParameters`, one call for up to ten names).
pub trait SettingsStore: Send + Sync {
    /// The text of each of `names` that exists, by name. A name that does not exist is left out:
    /// no document is normal. Any other failure (access denied, throttling) is an error.
    fn documents(&self, names: &[String]) -> impl Future<Output = Result<BTreeMap<String, String>, AwsError>> + Send;
}

/// Invokes a Lambda function synchronously.
pub trait FunctionInvoker: Send + Sync {
    fn invoke(
        &self,
        function: &str,
        qualifier: Option<&str>,
        payload: Vec<u8>,
    ) -> impl Future<Output = Result<Invocation, AwsError>> + Send;
}

/// Reads a Lambda function's tags.
pub trait FunctionTagReader: Send + Sync {
    /// The tags of `function` (a name or an ARN, qualified or not: tags belong to the function).
    fn function_tags(&self, function: &str) -> impl Future<Output = Result<BTreeMap<String, String>, AwsError>> + Send;
}

/// The result of a RequestResponse invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// `X-Amz-Function-Error` (`Unhandled`, `Handled`), where the function failed.
    pub function_error: Option<String>,
    pub payload: Vec<u8>,
}

/// Sends one HTTP request and reads the reply (body capped).
pub trait HttpSender: Send + Sync {
    fn send(&self, request: &HttpRequest) -> impl Future<Output = Result<HttpReply, String>> + Send;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: String,
    pub url: String,
    pub headers: BTreeMap<String, String>,
    pub body: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpReply {
    pub status: u16,
    pub body: String,
}

/// Reads many metrics in one `GetMetricData` call (following `NextToken`).
pub trait MetricReader: Send + Sync {
    fn metric_data(
        &self,
        queries: &[MetricQuery],
        window: MetricWindow,
    ) -> impl Future<Output = Result<MetricData, MetricReadError>> + Send;
}

/// The values of each query by its id (a query without datapoints may be missing), their
/// timestamps (the start of each period, `timestamps[id][i]` that of `values[id][i]`), and how many
/// `GetMetricData` requests it took (pages included). Only results whose `StatusCode` was
/// `Complete` (after following every `PartialData` page) are here.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricData {
    pub values: BTreeMap<String, Vec<f64>>,
    pub timestamps: BTreeMap<String, Vec<SystemTime>>,
    pub requests: usize,
}

/// Why metrics could not be read. A result that CloudWatch did not mark `Complete` is never
/// passed on as "no datapoints".
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum MetricReadError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    /// A `MetricDataResult` came back `Forbidden` or `InternalError` (or a status this build
    /// does not know): its datapoints are unknown, not zero.
    #[error("GetMetricData could not read `{query}`: its StatusCode is {status}{}", if .messages.is_empty() { String::new() } else { format!(" ({})", .messages) })]
    Incomplete {
        query: String,
        status: String,
        messages: String,
    },
    #[error("GetMetricData returned more than {0} pages; narrow WINDOW_MINUTES or METRIC_CHECKS")]
    TooManyPages(usize),
}

/// Lists and reads the deployments of a group.
pub trait DeploymentHistory: Send + Sync {
    /// Deployment ids of `group` in any of `statuses`, created at or after `created_after` where
    /// given (`ListDeployments`, every page).
    fn list(
        &self,
        group: &GroupRef,
        statuses: &[DeploymentStatus],
        created_after: Option<SystemTime>,
    ) -> impl Future<Output = Result<Vec<String>, AwsError>> + Send;

    /// Every `InProgress` deployment of the account in this region (`ListDeployments` without an
    /// application or group, every page).
    fn in_progress(&self) -> impl Future<Output = Result<Vec<String>, AwsError>> + Send;

    /// `BatchGetDeployments`, in batches as the API allows.
    fn summaries(
        &self,
        deployment_ids: &[String],
    ) -> impl Future<Output = Result<Vec<DeploymentSummary>, AwsError>> + Send;

    /// The group's deployments in any of `statuses`, created at or after `created_after` where
    /// given: [`list`](Self::list), then the [`summaries`](Self::summaries) of what it found.
    fn deployments(
        &self,
        group: &GroupRef,
        statuses: &[DeploymentStatus],
        created_after: Option<SystemTime>,
    ) -> impl Future<Output = Result<Vec<DeploymentSummary>, AwsError>> + Send {
        async move {
            let ids = self.list(group, statuses, created_after).await?;
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            self.summaries(&ids).await
        }
    }
}

/// Stops a deployment and rolls it back.
pub trait DeploymentStopper: Send + Sync {
    /// `StopDeployment` with `autoRollbackEnabled = true`.
    fn stop_with_rollback(&self, deployment_id: &str) -> impl Future<Output = Result<StopOutcome, AwsError>> + Send;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopOutcome {
    Stopped,
    /// It completed meanwhile (`DeploymentAlreadyCompletedException`).
    AlreadyCompleted,
}

/// Reads a Lambda function version's configuration.
pub trait FunctionConfigReader: Send + Sync {
    /// `Timeout` of `function` at `qualifier` (`GetFunctionConfiguration`).
    fn timeout(&self, function: &str, qualifier: &str) -> impl Future<Output = Result<Duration, AwsError>> + Send;
}

/// Reads the tags of a CodeDeploy deployment group.
pub trait GroupTagReader: Send + Sync {
    /// `ListTagsForResource` on the group's ARN.
    fn group_tags(&self, group_arn: &str) -> impl Future<Output = Result<BTreeMap<String, String>, AwsError>> + Send;
}

/// Reads the tags of a CloudWatch alarm.
pub trait AlarmTagReader: Send + Sync {
    fn tags(&self, alarm_arn: &str) -> impl Future<Output = Result<BTreeMap<String, String>, AwsError>> + Send;
}

/// Moves a Lambda alias back from one version to another, all traffic, routing cleared, but only
/// while it still points at `from` alone.
pub trait AliasUpdater: Send + Sync {
    fn move_alias(
        &self,
        function: &str,
        alias: &str,
        from: &str,
        to: &str,
    ) -> impl Future<Output = Result<AliasMove, AwsError>> + Send;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AliasMove {
    Moved,
    /// The alias no longer points at `from` alone (another deployment, a rollback under way, a
    /// hand-made change): left as it is, and what it points at.
    LeftAlone(String),
}

/// Finds the target groups of an ECS deployment's replacement and original task sets.
pub trait TargetGroupReader: Send + Sync {
    fn target_groups(&self, deployment_id: &str)
    -> impl Future<Output = Result<TargetGroups, TargetGroupError>> + Send;
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum TargetGroupError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(
        "deployment {0} has no ECS task set labelled Green with a target group (ListDeploymentTargets, BatchGetDeploymentTargets): is it an ECS blue/green deployment?"
    )]
    NoReplacement(String),
    #[error("target group {0} of the deployment was not found (DescribeTargetGroups)")]
    Unknown(String),
}

/// Lists a Lambda function's versions and aliases, and deletes a version.
pub trait FunctionVersions: Send + Sync {
    /// Every version of `function`, `$LATEST` included (`ListVersionsByFunction`, every page).
    fn list_versions(&self, function: &str) -> impl Future<Output = Result<Vec<String>, AwsError>> + Send;

    /// Every alias of `function` and the versions it sends traffic to: its `FunctionVersion` and
    /// the keys of its `RoutingConfig.AdditionalVersionWeights` (`ListAliases`, every page).
    fn alias_versions(
        &self,
        function: &str,
    ) -> impl Future<Output = Result<BTreeMap<String, Vec<String>>, AwsError>> + Send;

    /// Deletes one published version (`DeleteFunction` with `Qualifier` = `version`).
    fn delete_version(
        &self,
        function: &str,
        version: &str,
    ) -> impl Future<Output = Result<VersionDeletion, AwsError>> + Send;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionDeletion {
    Deleted,
    /// It was already gone (`ResourceNotFoundException`): deleted by an earlier run or by hand.
    AlreadyGone,
    /// Lambda refused for now (`ResourceConflictException`: an alias came to point at it, or an
    /// operation on the function is in progress): left alone, and what Lambda said.
    LeftAlone(String),
}
