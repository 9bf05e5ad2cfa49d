//! In-memory fakes of the ports, shared by the tests of every handler (feature `fakes`).

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use crate::deployment::{ComputePlatform, Creator, DeploymentStatus};
use crate::hook::verdict::Status;
use crate::ports::{DeploymentInfo, DeploymentReader, DeploymentSummary, HookStatusReporter, LookupError, ReportError};

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
            compute_platform: ComputePlatform::Lambda,
            created_at: self.created_at,
            completed_at: None,
            status: DeploymentStatus::InProgress,
            appspec: self.appspec.clone(),
        })
    }
}
