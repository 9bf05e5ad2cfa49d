//! The small capabilities the hooks need from the outside world, one trait each.
//! Implemented for the AWS SDK clients in [`crate::aws`] and for reqwest in [`crate::http_probe`];
//! handlers are generic over them, so tests use in-memory fakes.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::SystemTime;

use thiserror::Error;

use crate::deployment_group::GroupRef;
use crate::metric_query::{MetricQuery, MetricWindow};
use crate::verdict::Status;

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

/// What a hook needs to know about a deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentInfo {
    pub application: String,
    pub deployment_group: String,
    pub compute_platform: String,
    pub created_at: Option<SystemTime>,
    pub completed_at: Option<SystemTime>,
    pub status: String,
    /// The AppSpec content (JSON or YAML), from the revision or `GetApplicationRevision`.
    pub appspec: String,
}

/// A deployment as `BatchGetDeployments` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentSummary {
    pub deployment_id: String,
    pub status: String,
    /// `user`, `autoscaling`, `autoRollback` (CodeDeploy's own rollback), …
    pub creator: String,
    pub compute_platform: String,
    pub created_at: Option<SystemTime>,
    pub completed_at: Option<SystemTime>,
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
        "the revision of deployment {deployment_id} is {kind}; shiftguard reads AppSpecContent revisions (set TARGET_FUNCTION and TARGET_VERSION to name the target instead)"
    )]
    UnsupportedRevision { deployment_id: String, kind: String },
    #[error("{0}")]
    Aws(String),
}

/// Invokes a Lambda function synchronously.
pub trait FunctionInvoker: Send + Sync {
    fn invoke(
        &self,
        function: &str,
        qualifier: Option<&str>,
        payload: Vec<u8>,
    ) -> impl Future<Output = Result<Invocation, String>> + Send;
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
    ) -> impl Future<Output = Result<MetricData, String>> + Send;
}

/// The values of each query by its id (a query without datapoints may be missing), and how many
/// `GetMetricData` requests it took (pages included).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricData {
    pub values: BTreeMap<String, Vec<f64>>,
    pub requests: usize,
}

/// Lists, stops and reads the deployments of a group.
pub trait DeploymentControl: Send + Sync {
    /// Deployment ids of `group` in any of `statuses`, created at or after `created_after` where
    /// given (`ListDeployments`, every page).
    fn list(
        &self,
        group: &GroupRef,
        statuses: &[&str],
        created_after: Option<SystemTime>,
    ) -> impl Future<Output = Result<Vec<String>, String>> + Send;

    /// `StopDeployment` with `autoRollbackEnabled = true`.
    fn stop_with_rollback(&self, deployment_id: &str) -> impl Future<Output = Result<StopOutcome, String>> + Send;

    /// `BatchGetDeployments`, in batches as the API allows.
    fn summaries(
        &self,
        deployment_ids: &[String],
    ) -> impl Future<Output = Result<Vec<DeploymentSummary>, String>> + Send;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopOutcome {
    Stopped,
    /// It completed meanwhile (`DeploymentAlreadyCompletedException`).
    AlreadyCompleted,
}

/// Reads the tags of a CloudWatch alarm.
pub trait AlarmTagReader: Send + Sync {
    fn tags(&self, alarm_arn: &str) -> impl Future<Output = Result<BTreeMap<String, String>, String>> + Send;
}

/// Points a Lambda alias at one version, all traffic, routing cleared.
pub trait AliasUpdater: Send + Sync {
    fn point_alias(
        &self,
        function: &str,
        alias: &str,
        version: &str,
    ) -> impl Future<Output = Result<(), String>> + Send;
}
