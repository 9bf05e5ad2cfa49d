//! In-memory fakes of the ports, shared by the tests of every handler (feature `fakes`).

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use crate::deployment::{ComputePlatform, Creator, DeploymentStatus};
use crate::hook::verdict::Status;
use crate::ports::{
    AwsError, DeploymentHistory, DeploymentInfo, DeploymentReader, DeploymentStopper, DeploymentSummary,
    HookStatusReporter, LookupError, ReportError, SettingsStore, StopOutcome,
};
use crate::rollback::deployment_group::GroupRef;

/// An environment of `pairs`, as the `from_lookup` parsers read it.
pub fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    move |k| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
}

/// A user's Lambda deployment in `status`, created and completed when given.
pub fn summary(
    id: &str,
    status: DeploymentStatus,
    created_at: Option<SystemTime>,
    completed_at: Option<SystemTime>,
) -> DeploymentSummary {
    DeploymentSummary {
        deployment_id: id.into(),
        application: "orders".into(),
        deployment_group: "orders-live".into(),
        status,
        creator: Creator::User,
        rollback_of: None,
        compute_platform: ComputePlatform::Lambda,
        created_at,
        completed_at,
    }
}

/// `secs` seconds before now.
pub fn secs_ago(secs: u64) -> Option<SystemTime> {
    SystemTime::now().checked_sub(Duration::from_secs(secs))
}

/// A lifecycle hook invocation for `deployment_id` (hook execution `h-1`), 60 s before its deadline.
pub fn hook_event(deployment_id: &str) -> lambda_runtime::LambdaEvent<serde_json::Value> {
    let mut context = lambda_runtime::Context::default();
    let deadline = SystemTime::now() + Duration::from_secs(60);
    context.deadline = deadline
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(u64::MAX);
    lambda_runtime::LambdaEvent::new(
        serde_json::json!({"DeploymentId": deployment_id, "LifecycleEventHookExecutionId": "h-1"}),
        context,
    )
}

/// A deployment id the fake reader does not know.
pub const UNKNOWN_DEPLOYMENT: &str = "d-unknown";

/// Records every report; answers with `answer` (success when `None`) after `delay`.
#[derive(Debug, Default)]
pub struct RecordingReporter {
    pub reports: Mutex<Vec<(String, String, Status)>>,
    pub answer: Option<ReportError>,
    pub delay: Duration,
}

impl RecordingReporter {
    /// The statuses reported, in order.
    pub fn statuses(&self) -> Vec<Status> {
        self.reports.lock().unwrap().iter().map(|(_, _, s)| *s).collect()
    }
}

impl HookStatusReporter for RecordingReporter {
    async fn report(&self, deployment_id: &str, hook_id: &str, status: Status) -> Result<(), ReportError> {
        tokio::time::sleep(self.delay).await;
        self.reports
            .lock()
            .unwrap()
            .push((deployment_id.into(), hook_id.into(), status));
        self.answer.clone().map_or(Ok(()), Err)
    }
}

/// Parameter Store holding these settings documents (name, text); counts the calls, or fails
/// every one with `error`.
#[derive(Debug, Default)]
pub struct StoredDocuments {
    pub documents: std::collections::BTreeMap<String, String>,
    pub error: Option<String>,
    pub calls: AtomicUsize,
}

impl StoredDocuments {
    pub fn new(documents: &[(&str, &str)]) -> Self {
        StoredDocuments {
            documents: documents.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect(),
            ..StoredDocuments::default()
        }
    }

    pub fn failing(error: &str) -> Self {
        StoredDocuments {
            error: Some(error.to_string()),
            ..StoredDocuments::default()
        }
    }

    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl SettingsStore for StoredDocuments {
    async fn documents(&self, names: &[String]) -> Result<std::collections::BTreeMap<String, String>, AwsError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if let Some(message) = &self.error {
            return Err(AwsError {
                operation: format!("GetParameters {}", names.join(", ")),
                message: message.clone(),
                retryable: false,
            });
        }
        Ok(names
            .iter()
            .filter_map(|n| self.documents.get(n).map(|t| (n.clone(), t.clone())))
            .collect())
    }
}

/// Every deployment (but [`UNKNOWN_DEPLOYMENT`]) is application `orders`, group `orders-dg`,
/// with this AppSpec; counts the lookups.
#[derive(Debug)]
pub struct FixedDeployment {
    pub appspec: String,
    pub created_at: Option<SystemTime>,
    pub lookups: AtomicUsize,
}

impl FixedDeployment {
    pub fn new(appspec: &str) -> Self {
        FixedDeployment {
            appspec: appspec.to_string(),
            created_at: None,
            lookups: AtomicUsize::new(0),
        }
    }

    pub fn created_at(mut self, at: SystemTime) -> Self {
        self.created_at = Some(at);
        self
    }

    pub fn lookups(&self) -> usize {
        self.lookups.load(Ordering::SeqCst)
    }
}

impl DeploymentReader for FixedDeployment {
    async fn deployment(&self, id: &str) -> Result<DeploymentInfo, LookupError> {
        self.lookups.fetch_add(1, Ordering::SeqCst);
        if id == UNKNOWN_DEPLOYMENT {
            return Err(LookupError::NoSuchDeployment(id.into()));
        }
        Ok(DeploymentInfo {
            application: "orders".into(),
            deployment_group: "orders-dg".into(),
            deployment_config: "CodeDeployDefault.LambdaCanary10Percent5Minutes".into(),
            creator: Creator::User,
            rollback_of: None,
            compute_platform: ComputePlatform::Lambda,
            created_at: self.created_at,
            completed_at: None,
            status: DeploymentStatus::InProgress,
            appspec: self.appspec.clone(),
        })
    }
}

/// An in-memory CodeDeploy for the EventBridge functions: deployments by group with their status.
/// A stop with rollback starts CodeDeploy's rollback deployment in the group, as AWS does
/// ("CodeDeploy rolls back deployments by redeploying a previously deployed revision [...] as a
/// new deployment": <https://docs.aws.amazon.com/codedeploy/latest/userguide/deployments-rollback-and-redeploy.html>).
#[derive(Debug, Default)]
pub struct CodeDeployGroups {
    pub deployments: Mutex<Vec<(GroupRef, DeploymentSummary)>>,
    /// Every deployment a stop was asked for, in order.
    pub stops: Mutex<Vec<String>>,
    /// This deployment fails on its own just before the stop lands: CodeDeploy answers "already
    /// completed" and starts its rollback all the same.
    pub fails_before_stop: Option<&'static str>,
}

impl CodeDeployGroups {
    /// `deployments`, all in `group`.
    pub fn in_group(group: &GroupRef, deployments: Vec<DeploymentSummary>) -> Self {
        let groups = CodeDeployGroups::default();
        groups
            .deployments
            .lock()
            .unwrap()
            .extend(deployments.into_iter().map(|d| (group.clone(), d)));
        groups
    }
}

impl DeploymentHistory for CodeDeployGroups {
    async fn list(
        &self,
        group: &GroupRef,
        statuses: &[DeploymentStatus],
        _created_after: Option<SystemTime>,
    ) -> Result<Vec<String>, AwsError> {
        Ok(self
            .deployments
            .lock()
            .unwrap()
            .iter()
            .filter(|(g, d)| g == group && statuses.contains(&d.status))
            .map(|(_, d)| d.deployment_id.clone())
            .collect())
    }

    async fn in_progress(&self) -> Result<Vec<String>, AwsError> {
        Ok(self
            .deployments
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, d)| d.status == DeploymentStatus::InProgress)
            .map(|(_, d)| d.deployment_id.clone())
            .collect())
    }

    async fn summaries(&self, ids: &[String]) -> Result<Vec<DeploymentSummary>, AwsError> {
        Ok(self
            .deployments
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, d)| ids.contains(&d.deployment_id))
            .map(|(_, d)| d.clone())
            .collect())
    }
}

impl DeploymentStopper for CodeDeployGroups {
    async fn stop_with_rollback(&self, id: &str) -> Result<StopOutcome, AwsError> {
        self.stops.lock().unwrap().push(id.into());
        let mut all = self.deployments.lock().unwrap();
        let Some((group, d)) = all.iter_mut().find(|(_, d)| d.deployment_id == id) else {
            return Err(AwsError {
                operation: format!("StopDeployment {id}"),
                message: "DeploymentDoesNotExistException".into(),
                retryable: false,
            });
        };
        if DeploymentStatus::FINAL.contains(&d.status) {
            return Ok(StopOutcome::AlreadyCompleted);
        }
        let raced = self.fails_before_stop == Some(id);
        d.status = if raced {
            DeploymentStatus::Failed
        } else {
            DeploymentStatus::Stopped
        };
        let mut rollback = summary(&format!("{id}-rollback"), DeploymentStatus::InProgress, None, None);
        rollback.creator = Creator::CodeDeployRollback;
        rollback.rollback_of = Some(id.to_string());
        let group = group.clone();
        all.push((group, rollback));
        Ok(if raced {
            StopOutcome::AlreadyCompleted
        } else {
            StopOutcome::Stopped
        })
    }
}

/// A Lambda deployment's AppSpec (JSON): `function`'s `alias` from `current` to `target`.
pub fn lambda_appspec(function: &str, alias: &str, current: &str, target: &str) -> String {
    serde_json::json!({
        "version": 0.0,
        "Resources": [{"app": {"Type": "AWS::Lambda::Function", "Properties": {
            "Name": function, "Alias": alias, "CurrentVersion": current, "TargetVersion": target
        }}}]
    })
    .to_string()
}

/// An ECS deployment's AppSpec (JSON).
pub fn ecs_appspec() -> String {
    serde_json::json!({
        "version": 0.0,
        "Resources": [{"web": {"Type": "AWS::ECS::Service", "Properties": {
            "TaskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/web:8",
            "LoadBalancerInfo": {"ContainerName": "web", "ContainerPort": 8080}
        }}}]
    })
    .to_string()
}

/// Deployments by id, each with its own AppSpec and platform (application `orders`, group
/// `orders-live`, as [`summary`]); any other id does not exist. Counts the lookups.
#[derive(Debug, Default)]
pub struct DeploymentsById {
    pub deployments: std::collections::BTreeMap<String, DeploymentInfo>,
    pub lookups: AtomicUsize,
}

impl DeploymentsById {
    /// Adds deployment `id` of `platform` with `appspec`, in `status`.
    pub fn with(mut self, id: &str, platform: ComputePlatform, status: DeploymentStatus, appspec: String) -> Self {
        self.deployments.insert(
            id.to_string(),
            DeploymentInfo {
                application: "orders".into(),
                deployment_group: "orders-live".into(),
                deployment_config: "CodeDeployDefault.LambdaCanary10Percent5Minutes".into(),
                creator: Creator::User,
                rollback_of: None,
                compute_platform: platform,
                created_at: None,
                completed_at: None,
                status,
                appspec,
            },
        );
        self
    }
}

impl DeploymentReader for DeploymentsById {
    async fn deployment(&self, id: &str) -> Result<DeploymentInfo, LookupError> {
        self.lookups.fetch_add(1, Ordering::SeqCst);
        self.deployments
            .get(id)
            .cloned()
            .ok_or_else(|| LookupError::NoSuchDeployment(id.into()))
    }
}

/// One Lambda function's versions and aliases in memory. A delete removes the version, answers
/// `AlreadyGone` for one that is not there and `LeftAlone` for one an alias points to, as Lambda
/// does; deleting `fails_on` fails (throttled), and `taken` is refused as if an alias had come to
/// point at it after the listing. Every delete asked is recorded, in order.
#[derive(Debug, Default)]
pub struct InMemoryFunction {
    pub function: String,
    pub versions: Mutex<Vec<String>>,
    pub aliases: std::collections::BTreeMap<String, Vec<String>>,
    pub deletes: Mutex<Vec<String>>,
    pub fails_on: Option<&'static str>,
    pub taken: Option<&'static str>,
}

impl InMemoryFunction {
    /// `function` with `$LATEST` and versions 1 to `published`.
    pub fn published(function: &str, published: u64) -> Self {
        let mut versions = vec![crate::pruning::plan::LATEST.to_string()];
        versions.extend((1..=published).map(|n| n.to_string()));
        InMemoryFunction {
            function: function.into(),
            versions: Mutex::new(versions),
            ..InMemoryFunction::default()
        }
    }

    /// Adds `alias`, sending traffic to `versions`.
    pub fn alias(mut self, alias: &str, versions: &[&str]) -> Self {
        self.aliases
            .insert(alias.into(), versions.iter().map(|v| v.to_string()).collect());
        self
    }

    /// The versions left.
    pub fn versions(&self) -> Vec<String> {
        self.versions.lock().unwrap().clone()
    }

    fn known(&self, operation: &str, function: &str) -> Result<(), AwsError> {
        if function == self.function {
            return Ok(());
        }
        Err(AwsError {
            operation: format!("{operation} {function}"),
            message: "ResourceNotFoundException: Function not found".into(),
            retryable: false,
        })
    }
}

impl crate::ports::FunctionVersions for InMemoryFunction {
    async fn list_versions(&self, function: &str) -> Result<Vec<String>, AwsError> {
        self.known("ListVersionsByFunction", function)?;
        Ok(self.versions())
    }

    async fn alias_versions(
        &self,
        function: &str,
    ) -> Result<std::collections::BTreeMap<String, Vec<String>>, AwsError> {
        self.known("ListAliases", function)?;
        Ok(self.aliases.clone())
    }

    async fn delete_version(&self, function: &str, version: &str) -> Result<crate::ports::VersionDeletion, AwsError> {
        use crate::ports::VersionDeletion;
        self.known("DeleteFunction", function)?;
        self.deletes.lock().unwrap().push(version.into());
        if self.fails_on == Some(version) {
            return Err(AwsError {
                operation: format!("DeleteFunction {function}:{version}"),
                message: "TooManyRequestsException: Rate exceeded".into(),
                retryable: true,
            });
        }
        if self.taken == Some(version) {
            return Ok(VersionDeletion::LeftAlone(
                "Unable to delete version because the following aliases reference it: [beta]".into(),
            ));
        }
        if let Some((alias, _)) = self.aliases.iter().find(|(_, vs)| vs.iter().any(|v| v == version)) {
            return Ok(VersionDeletion::LeftAlone(format!(
                "Unable to delete version because the following aliases reference it: [{alias}]"
            )));
        }
        let mut versions = self.versions.lock().unwrap();
        match versions.iter().position(|v| v == version) {
            Some(i) => {
                versions.remove(i);
                Ok(VersionDeletion::Deleted)
            }
            None => Ok(VersionDeletion::AlreadyGone),
        }
    }
}

/// Sums written per metric (namespace, name and the whole dimension set) and time, answered as
/// CloudWatch answers `Sum` queries: one value per period that had a datapoint, stamped with the
/// period's start. Any other statistic has no datapoints here. Records every window asked for.
#[derive(Debug, Default)]
pub struct RecordedMetrics {
    pub datapoints: Vec<(crate::gate::metric_query::MetricRef, SystemTime, f64)>,
    pub windows: Mutex<Vec<crate::gate::metric_query::MetricWindow>>,
}

impl RecordedMetrics {
    /// Adds `value` of `namespace`/`metric` under `dimensions` at `at`.
    pub fn put(&mut self, namespace: &str, metric: &str, dimensions: &[(&str, &str)], at: SystemTime, value: f64) {
        let metric = crate::gate::metric_query::MetricRef {
            namespace: namespace.into(),
            metric: metric.into(),
            dimensions: dimensions.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            stat: "Sum".into(),
        };
        self.datapoints.push((metric, at, value));
    }
}

impl crate::ports::MetricReader for RecordedMetrics {
    async fn metric_data(
        &self,
        queries: &[crate::gate::metric_query::MetricQuery],
        window: crate::gate::metric_query::MetricWindow,
    ) -> Result<crate::ports::MetricData, crate::ports::MetricReadError> {
        self.windows.lock().unwrap().push(window);
        let mut data = crate::ports::MetricData {
            requests: 1,
            ..Default::default()
        };
        for q in queries.iter().filter(|q| q.metric.stat == "Sum") {
            let period = Duration::from_secs(q.period_s.unwrap_or(window.period_s) as u64);
            let mut sums = std::collections::BTreeMap::<SystemTime, f64>::new();
            for (m, at, v) in &self.datapoints {
                let same = m.namespace == q.metric.namespace
                    && m.metric == q.metric.metric
                    && m.dimensions == q.metric.dimensions;
                if same && *at >= window.start && *at < window.end {
                    let offset = at.duration_since(window.start).unwrap_or_default().as_secs();
                    let start = window.start + Duration::from_secs(offset - offset % period.as_secs());
                    *sums.entry(start).or_insert(0.0) += v;
                }
            }
            if !sums.is_empty() {
                data.timestamps.insert(q.id.clone(), sums.keys().copied().collect());
                data.values.insert(q.id.clone(), sums.values().copied().collect());
            }
        }
        Ok(data)
    }
}
