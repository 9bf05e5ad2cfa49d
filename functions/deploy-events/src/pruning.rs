//! Version pruning after a successful Lambda deployment: the function and the versions that the
//! group's in-flight deployments name are read from the deployments' AppSpecs, the function's
//! versions and aliases from Lambda; [`shiftguard::pruning::plan`] decides; at most
//! [`MAX_DELETIONS`] of the oldest are deleted before the deadline, and the next success
//! continues. Nothing here raises: what went wrong is in the report.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, SystemTime};

use serde::Serialize;
use shiftguard::delivery::deployment_event::DeploymentStateChange;
use shiftguard::deployment::{ComputePlatform, DeploymentStatus};
use shiftguard::hook::decision_record::emit_line;
use shiftguard::ports::{DeploymentHistory, DeploymentReader, FunctionVersions, VersionDeletion};
use shiftguard::pruning::plan::{Inventory, KeptVersion, plan};
use shiftguard::rollback::deployment_group::GroupRef;
use shiftguard::target::appspec::parse_appspec;
use shiftguard::target::deployment_target::DeploymentTarget;
use tokio::time::Instant;

/// Marks the log line: `filter record = "shiftguard.pruning"`.
pub const RECORD_KIND: &str = "shiftguard.pruning";

/// Deletions per event; the next successful deployment deletes the next ones.
pub const MAX_DELETIONS: usize = 50;

/// Kept back from the invocation deadline, for the log line and the return.
pub const DEADLINE_RESERVE: Duration = Duration::from_secs(2);

/// What pruning did after one successful deployment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PruningReport {
    pub versions_to_keep: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    /// Why nothing was looked at, where nothing was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// Every version kept, with its reasons.
    pub kept: Vec<KeptVersion>,
    pub deleted: Vec<String>,
    /// Planned for deletion, but already gone (an earlier run, or by hand).
    pub already_gone: Vec<String>,
    /// Planned for deletion, but Lambda refused for now (`ResourceConflictException`): why.
    pub left_alone: BTreeMap<String, String>,
    /// Planned for deletion, left for the next successful deployment (the cap, the deadline or an
    /// error came first).
    pub deferred: Vec<String>,
    pub errors: Vec<String>,
}

#[derive(Serialize)]
struct PruningRecord<'a> {
    record: &'static str,
    deployment_id: &'a str,
    application: &'a str,
    deployment_group: &'a str,
    #[serde(flatten)]
    report: &'a PruningReport,
}

impl PruningReport {
    /// One JSON line on stdout, `{"record":"shiftguard.pruning", ...}`.
    pub fn emit(&self, change: &DeploymentStateChange) {
        emit_line(&PruningRecord {
            record: RECORD_KIND,
            deployment_id: &change.deployment_id,
            application: &change.application,
            deployment_group: &change.deployment_group,
            report: self,
        });
    }
}

/// The pruning's deadline: the invocation's less [`DEADLINE_RESERVE`].
pub fn deadline(invocation_deadline: SystemTime) -> Instant {
    let left = invocation_deadline
        .duration_since(SystemTime::now())
        .unwrap_or(Duration::ZERO);
    Instant::now() + left.saturating_sub(DEADLINE_RESERVE)
}

/// What pruning reads and deletes through.
pub struct Ports<'a, H, R, F> {
    pub history: &'a H,
    pub deployments: &'a R,
    pub versions: &'a F,
}

/// Prunes the function that the successful deployment `change` deployed, keeping the newest
/// `keep` versions (0: nothing is done).
pub async fn prune<H, R, F>(
    ports: Ports<'_, H, R, F>,
    change: &DeploymentStateChange,
    keep: u64,
    deadline: Instant,
) -> PruningReport
where
    H: DeploymentHistory,
    R: DeploymentReader,
    F: FunctionVersions,
{
    let mut report = PruningReport {
        versions_to_keep: keep,
        ..PruningReport::default()
    };
    if keep == 0 {
        report.skipped = Some("VERSIONS_TO_KEEP is 0: pruning is off".into());
        return report;
    }
    if let Err(e) = run(&ports, change, keep, deadline, &mut report).await {
        report.errors.push(e);
    }
    report
}

/// `future`, unless `deadline` comes first (or has come: nothing new is started after it).
async fn within<T>(deadline: Instant, what: &str, future: impl Future<Output = T>) -> Result<T, String> {
    let late = || {
        format!(
            "the pruning deadline (the invocation's less {DEADLINE_RESERVE:?}) came before {what} ended; the next successful deployment continues"
        )
    };
    if Instant::now() >= deadline {
        return Err(late());
    }
    tokio::time::timeout_at(deadline, future).await.map_err(|_| late())
}

async fn run<H, R, F>(
    ports: &Ports<'_, H, R, F>,
    change: &DeploymentStateChange,
    keep: u64,
    deadline: Instant,
    report: &mut PruningReport,
) -> Result<(), String>
where
    H: DeploymentHistory,
    R: DeploymentReader,
    F: FunctionVersions,
{
    let id = &change.deployment_id;
    let this = within(deadline, "GetDeployment", ports.deployments.deployment(id))
        .await?
        .map_err(|e| format!("could not read deployment {id}: {e}"))?;
    if this.compute_platform != ComputePlatform::Lambda {
        report.skipped = Some(format!(
            "deployment {id} runs on {}: only a Lambda function's versions are pruned",
            this.compute_platform.as_str()
        ));
        return Ok(());
    }
    let function = match parse_appspec(&this.appspec).map_err(|e| format!("could not read the AppSpec of {id}: {e}"))? {
        DeploymentTarget::Lambda(t) => t.function_name,
        DeploymentTarget::Ecs(_) => {
            report.skipped = Some(format!("the AppSpec of {id} names an ECS service: nothing to prune"));
            return Ok(());
        }
    };
    report.function = Some(function.clone());
    let in_flight = in_flight_versions(ports, change, &function, deadline).await?;
    let versions = within(
        deadline,
        "ListVersionsByFunction",
        ports.versions.list_versions(&function),
    )
    .await?
    .map_err(|e| e.to_string())?;
    let aliases = within(deadline, "ListAliases", ports.versions.alias_versions(&function))
        .await?
        .map_err(|e| e.to_string())?;
    let inventory = Inventory {
        versions,
        aliases,
        in_flight,
    };
    let plan = plan(&inventory, usize::try_from(keep).unwrap_or(usize::MAX));
    report.kept = plan.kept;
    let mut pending = plan.delete.into_iter();
    for version in pending.by_ref() {
        let attempts = report.deleted.len() + report.already_gone.len() + report.left_alone.len();
        if attempts == MAX_DELETIONS {
            report.deferred.push(version);
            break;
        }
        let outcome = match within(
            deadline,
            "DeleteFunction",
            ports.versions.delete_version(&function, &version),
        )
        .await
        {
            Ok(outcome) => outcome,
            Err(e) => {
                report.errors.push(e);
                report.deferred.push(version);
                break;
            }
        };
        match outcome {
            Ok(VersionDeletion::Deleted) => {
                tracing::info!(function, version, "deleted a version");
                report.deleted.push(version);
            }
            Ok(VersionDeletion::AlreadyGone) => report.already_gone.push(version),
            Ok(VersionDeletion::LeftAlone(why)) => {
                tracing::warn!(
                    function,
                    version,
                    why,
                    "Lambda refused to delete the version; left alone"
                );
                report.left_alone.insert(version, why);
            }
            Err(e) => {
                // Most likely throttling or a permission: the next ones would fail alike.
                report.errors.push(e.to_string());
                report.deferred.push(version);
                break;
            }
        }
    }
    report.deferred.extend(pending);
    Ok(())
}

/// The versions each in-flight deployment of the group names for `function`: its AppSpec's
/// `CurrentVersion` and `TargetVersion`. A deployment that cannot be read stops the pruning:
/// what it needs is unknown.
async fn in_flight_versions<H, R, F>(
    ports: &Ports<'_, H, R, F>,
    change: &DeploymentStateChange,
    function: &str,
    deadline: Instant,
) -> Result<BTreeMap<String, Vec<String>>, String>
where
    H: DeploymentHistory,
    R: DeploymentReader,
{
    let group = GroupRef {
        application: change.application.clone(),
        group: change.deployment_group.clone(),
    };
    let others = within(
        deadline,
        "ListDeployments",
        ports.history.deployments(&group, &DeploymentStatus::IN_FLIGHT, None),
    )
    .await?
    .map_err(|e| format!("could not list the group's deployments in flight: {e}"))?;
    let mut pinned = BTreeMap::new();
    for other in others.iter().filter(|d| d.deployment_id != change.deployment_id) {
        let id = &other.deployment_id;
        let unknown = |e: String| {
            format!("could not read deployment {id}, in flight: {e}; nothing is deleted while what it needs is unknown")
        };
        let info = within(deadline, "GetDeployment", ports.deployments.deployment(id))
            .await?
            .map_err(|e| unknown(e.to_string()))?;
        match parse_appspec(&info.appspec).map_err(|e| unknown(e.to_string()))? {
            DeploymentTarget::Lambda(t) if t.function_name == function => {
                let versions = t.current_version.into_iter().chain([t.target_version]).collect();
                pinned.insert(id.clone(), versions);
            }
            _ => {}
        }
    }
    Ok(pinned)
}
