//! The lifecycle hook contract, shared by every hook: exactly one status per invocation, checks
//! bounded by the invocation deadline minus a reserve, panics caught, duplicate deliveries ended
//! cleanly, a dry-run mode, and one decision record per verdict.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_lambda_events::event::codedeploy::CodeDeployLifecycleEvent;
use futures_util::FutureExt;
use serde::Serialize;
use serde_json::Value;
use thiserror::Error;
use tokio::time::Instant;

use crate::config::env::{FromEnv, HookSettings};
use crate::deployment::DeploymentStatus;
use crate::hook::check::CheckOutcome;
use crate::hook::decision_record::{DecisionRecord, RECORD_KIND};
use crate::hook::verdict::{Status, Verdict};
use crate::ports::{DeploymentInfo, DeploymentReader, HookStatusReporter, ReportError, SettingsStore};
use crate::settings::effective::{SettingsRecord, apply};
use crate::target::deployment_target::DeploymentTarget;

/// The reason reported when the checks outlive the budget.
pub const OUT_OF_TIME: &str = "checks did not finish in time";

/// Kept back from the deadline even for the report itself, so the invocation can still return.
const RETURN_MARGIN: Duration = Duration::from_millis(150);

/// Which hook is running.
#[derive(Debug, Clone, Copy)]
pub struct HookSpec {
    pub hook: &'static str,
    pub lifecycle_event: &'static str,
}

/// What the checks get to work with.
#[derive(Debug, Clone)]
pub struct CheckContext {
    pub deployment_id: String,
    /// Checks must be done by then; the rest of the time is the report's.
    pub budget_end: Instant,
    /// Where the checks note what they have found so far.
    pub progress: Progress,
}

/// What the checks have found so far. The runner keeps it, so that when the budget runs out or a
/// check panics, the decision record still names the deployment, the target and the inputs
/// instead of nothing.
#[derive(Debug, Clone, Default)]
pub struct Progress(Arc<Mutex<Evaluation>>);

impl Progress {
    fn update(&self, f: impl FnOnce(&mut Evaluation)) {
        // A check that panicked while holding the lock left the data as it was: still usable.
        let mut so_far = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut so_far)
    }

    /// The deployment has been read.
    pub fn deployment(&self, deployment: &DeploymentInfo) {
        self.update(|e| e.deployment = Some(deployment.clone()))
    }

    /// The target has been found.
    pub fn target(&self, target: &DeploymentTarget) {
        self.update(|e| e.target = Some(target.clone()))
    }

    /// The deployment group's settings have been applied.
    pub fn settings(&self, record: &SettingsRecord, dry_run: bool) {
        self.update(|e| {
            e.settings = Some(record.clone());
            e.dry_run = Some(dry_run);
        })
    }

    /// What will go into the verdict (a metric window, thresholds).
    pub fn inputs(&self, inputs: &Value) {
        self.update(|e| e.inputs = inputs.clone())
    }

    /// What was found so far, failed for `reason`.
    pub fn failed(&self, reason: String) -> Evaluation {
        let mut evaluation = Evaluation::failed(reason);
        self.update(|e| {
            evaluation.target = e.target.take();
            evaluation.deployment = e.deployment.take();
            evaluation.inputs = e.inputs.take();
            evaluation.settings = e.settings.take();
            evaluation.dry_run = e.dry_run.take();
        });
        evaluation
    }
}

/// What the checks found.
#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    pub target: Option<DeploymentTarget>,
    pub deployment: Option<DeploymentInfo>,
    pub checks: Vec<CheckOutcome>,
    /// A failure outside any one check (target not found, bad configuration).
    pub failure: Option<String>,
    /// What else went into the verdict (a metric window, the calls made), for the record.
    pub inputs: Value,
    /// The settings documents read and where each setting came from.
    pub settings: Option<SettingsRecord>,
    /// `DRY_RUN` as the deployment group's settings say; unset, the function's environment decides.
    pub dry_run: Option<bool>,
}

impl Evaluation {
    pub fn failed(reason: impl Into<String>) -> Self {
        Evaluation {
            failure: Some(reason.into()),
            ..Evaluation::default()
        }
    }

    fn verdict(&self) -> Verdict {
        match &self.failure {
            Some(reason) => {
                let mut v = Verdict::failed(reason.clone());
                if self.checks.iter().any(|c| !c.passed) {
                    v.reasons.extend(Verdict::of_checks(&self.checks).reasons);
                }
                v
            }
            None => Verdict::of_checks(&self.checks),
        }
    }
}

#[derive(Debug, Error)]
pub enum HookError {
    #[error("the lifecycle event is not a CodeDeploy hook event: {0}")]
    BadEvent(String),
    #[error(
        "the lifecycle event has an empty {0}; CodeDeploy sends both DeploymentId and LifecycleEventHookExecutionId. Nothing was reported"
    )]
    EmptyField(&'static str),
    #[error("reporting {status} for deployment {deployment_id} failed: {reason}")]
    ReportFailed {
        deployment_id: String,
        status: &'static str,
        reason: String,
    },
    #[error("reporting {status} for deployment {deployment_id} did not finish before the invocation deadline")]
    ReportTimedOut {
        deployment_id: String,
        status: &'static str,
    },
}

impl HookError {
    /// The `errorType` Lambda shows for this error.
    pub fn error_type(&self) -> &'static str {
        match self {
            HookError::BadEvent(_) | HookError::EmptyField(_) => "Shiftguard.InvalidEvent",
            HookError::ReportFailed { .. } => "Shiftguard.ReportFailed",
            HookError::ReportTimedOut { .. } => "Shiftguard.ReportTimedOut",
        }
    }
}

/// What Lambda shows for a failed invocation: the error's type and its message.
impl From<HookError> for lambda_runtime::Diagnostic {
    fn from(e: HookError) -> Self {
        lambda_runtime::Diagnostic {
            error_type: e.error_type().to_string(),
            error_message: e.to_string(),
        }
    }
}

/// What the invocation returns (CodeDeploy ignores it; it helps when invoking a hook by hand).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HookOutcome {
    pub deployment_id: String,
    pub verdict: Status,
    pub reported: Status,
    /// CodeDeploy already had a status for this hook execution while the deployment was still in
    /// flight: an earlier delivery of this event reported it.
    pub duplicate: bool,
    /// CodeDeploy already had a status for this hook execution because the deployment had ended
    /// (this status, read when the hook began) before the hook reported: the event came late, after
    /// the deployment was stopped, or after the hour within which a hook must report, past which
    /// the deployment fails
    /// (<https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-hooks.html#reference-appspec-file-structure-hooks-section-structure-lambda-sample-function>).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_ended: Option<DeploymentStatus>,
    /// CodeDeploy refused the status for good, and why (see [`ReportError::Rejected`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejected: Option<String>,
}

/// Reads the two ids out of a raw event, naming the field that is missing or empty.
pub fn parse_lifecycle_event(event: Value) -> Result<CodeDeployLifecycleEvent, HookError> {
    if !event.is_object() {
        return Err(HookError::BadEvent(format!("expected a JSON object, got {event}")));
    }
    for field in ["DeploymentId", "LifecycleEventHookExecutionId"] {
        match event.get(field) {
            Some(Value::String(_)) => {}
            None | Some(Value::Null) => return Err(HookError::EmptyField(field)),
            Some(other) => return Err(HookError::BadEvent(format!("{field} is {other}, not a string"))),
        }
    }
    let parsed: CodeDeployLifecycleEvent =
        serde_json::from_value(event).map_err(|e| HookError::BadEvent(e.to_string()))?;
    if parsed.deployment_id.trim().is_empty() {
        return Err(HookError::EmptyField("DeploymentId"));
    }
    if parsed.lifecycle_event_hook_execution_id.trim().is_empty() {
        return Err(HookError::EmptyField("LifecycleEventHookExecutionId"));
    }
    Ok(parsed)
}

/// A function's environment, under every settings document: `std::env::var` in `main`, a map in tests.
pub type Environment = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// What every hook talks to around its checks: CodeDeploy for the deployment and the report,
/// Parameter Store for the deployment group's settings documents, and its own environment.
pub struct HookDeps<R, D, S> {
    pub reporter: R,
    pub deployments: D,
    pub store: S,
    pub environment: Environment,
}

/// A hook function's whole handler: the hook contract ([`run_hook`]) around one hook's checks.
/// Before them, the deployment is read and its group's settings applied over the environment
/// (one `GetParameters`); the checks get the hook's configuration `C` parsed from those layers,
/// and the deployment. A deployment that cannot be read, or settings that cannot be read or do
/// not parse, fail the hook with the reason: an application's settings are never silently
/// replaced by the defaults.
pub async fn hook_handler<R, D, S, C, F, Fut>(
    deps: &HookDeps<R, D, S>,
    spec: HookSpec,
    event: lambda_runtime::LambdaEvent<Value>,
    checks: F,
) -> Result<HookOutcome, lambda_runtime::Diagnostic>
where
    R: HookStatusReporter,
    D: DeploymentReader,
    S: SettingsStore,
    C: FromEnv,
    F: FnOnce(C, DeploymentInfo, CheckContext) -> Fut,
    Fut: Future<Output = Evaluation>,
{
    let deadline = event.context.deadline();
    // `REPORT_RESERVE_MS` is the environment's alone, and `DRY_RUN` there applies where the
    // group's settings cannot be read; a bad value fails below, named, with the other settings.
    let environment: &(dyn Fn(&str) -> Option<String> + Sync) = &*deps.environment;
    let settings = HookSettings::from_lookup(&environment).unwrap_or_default();
    // Boxed: the checks' future nests deep enough inside the runner's to overflow the compiler's
    // layout query depth in the function crates.
    let run = Box::pin(run_hook(
        &deps.reporter,
        spec,
        &settings,
        event.payload,
        deadline,
        |ctx| async move {
            let deployment = match deps.deployments.deployment(&ctx.deployment_id).await {
                Ok(d) => d,
                Err(e) => return Evaluation::failed(format!("could not read the deployment: {e}")),
            };
            ctx.progress.deployment(&deployment);
            let applied = apply::<C>(
                &deps.store,
                &deployment.application,
                &deployment.deployment_group,
                environment,
            )
            .await;
            let applied = match applied {
                Ok(applied) => applied,
                Err(e) => return ctx.progress.failed(format!("the hook is misconfigured: {e}")),
            };
            let dry_run = applied.effective.hook.dry_run;
            ctx.progress.settings(&applied.record, dry_run);
            let mut evaluation = checks(applied.config, deployment, ctx).await;
            evaluation.settings = Some(applied.record);
            evaluation.dry_run = Some(dry_run);
            evaluation
        },
    ));
    run.await.map_err(lambda_runtime::Diagnostic::from)
}

/// Runs one hook invocation: the checks within the budget, then exactly one report.
pub async fn run_hook<R, F, Fut>(
    reporter: &R,
    spec: HookSpec,
    settings: &HookSettings,
    event: Value,
    deadline: SystemTime,
    checks: F,
) -> Result<HookOutcome, HookError>
where
    R: HookStatusReporter,
    F: FnOnce(CheckContext) -> Fut,
    Fut: Future<Output = Evaluation>,
{
    let started = Instant::now();
    let event = parse_lifecycle_event(event)?;
    let deployment_id = event.deployment_id.clone();
    let until_deadline = deadline.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO);
    let budget = until_deadline.saturating_sub(settings.report_reserve);
    let ctx = CheckContext {
        deployment_id: deployment_id.clone(),
        budget_end: started + budget,
        progress: Progress::default(),
    };

    let evaluation = if budget.is_zero() {
        Evaluation::failed(format!(
            "{OUT_OF_TIME}: the invocation had {} ms left, less than REPORT_RESERVE_MS ({} ms)",
            until_deadline.as_millis(),
            settings.report_reserve.as_millis()
        ))
    } else {
        match tokio::time::timeout_at(ctx.budget_end, AssertUnwindSafe(checks(ctx.clone())).catch_unwind()).await {
            Ok(Ok(evaluation)) => evaluation,
            Ok(Err(panic)) => ctx
                .progress
                .failed(format!("a check panicked: {}", panic_message(panic.as_ref()))),
            Err(_) => ctx.progress.failed(format!(
                "{OUT_OF_TIME}: the budget was {} ms (the invocation deadline minus REPORT_RESERVE_MS)",
                budget.as_millis()
            )),
        }
    };

    let verdict = evaluation.verdict();
    let ended = evaluation
        .deployment
        .as_ref()
        .map(|d| d.status.clone())
        .filter(|s| DeploymentStatus::FINAL.contains(s));
    let dry_run = evaluation.dry_run.unwrap_or(settings.dry_run);
    let reported = if dry_run { Status::Succeeded } else { verdict.status };
    DecisionRecord {
        record: RECORD_KIND,
        hook: spec.hook,
        lifecycle_event: spec.lifecycle_event.to_string(),
        deployment_id: Some(deployment_id.clone()),
        hook_execution_id: Some(event.lifecycle_event_hook_execution_id.clone()),
        application: evaluation.deployment.as_ref().map(|d| d.application.clone()),
        deployment_group: evaluation.deployment.as_ref().map(|d| d.deployment_group.clone()),
        target: evaluation.target,
        checks: evaluation.checks,
        inputs: evaluation.inputs,
        verdict: verdict.status,
        reasons: verdict.reasons,
        settings: evaluation.settings,
        dry_run,
        reported,
        elapsed_ms: started.elapsed().as_millis() as u64,
    }
    .emit();

    let report_by = Instant::now() + until_deadline.saturating_sub(started.elapsed() + RETURN_MARGIN);
    let report = reporter.report(&deployment_id, &event.lifecycle_event_hook_execution_id, reported);
    let reported_in_time = tokio::time::timeout_at(report_by, report).await;
    let outcome = HookOutcome {
        deployment_id: deployment_id.clone(),
        verdict: verdict.status,
        reported,
        duplicate: false,
        deployment_ended: None,
        rejected: None,
    };
    match reported_in_time {
        Ok(Ok(())) => {
            tracing::info!(deployment_id, status = reported.as_str(), "reported the hook status");
            Ok(outcome)
        }
        Ok(Err(ReportError::AlreadyCompleted)) => match ended {
            Some(status) => {
                tracing::warn!(
                    deployment_id,
                    deployment_status = status.as_str(),
                    "CodeDeploy no longer takes a status for this hook: the deployment had already ended when the hook began (stopped, or failed because no status came within the hour a hook has); this event came too late to count"
                );
                Ok(HookOutcome {
                    deployment_ended: Some(status),
                    ..outcome
                })
            }
            None => {
                tracing::warn!(
                    deployment_id,
                    "the hook status was already reported while the deployment is in flight: a duplicate delivery, nothing more to do"
                );
                Ok(HookOutcome {
                    duplicate: true,
                    ..outcome
                })
            }
        },
        // Nobody waits on this status (the deployment or hook execution does not exist, e.g. a
        // hook invoked by hand), so no release stalls, and an error would only make Lambda
        // rerun every check twice for the same refusal: the invocation ends, loudly in the log.
        Ok(Err(ReportError::Rejected(reason))) => {
            tracing::error!(
                deployment_id,
                status = reported.as_str(),
                reason,
                "CodeDeploy refused the status for good: the event names a deployment or hook execution it does not know or no longer waits on"
            );
            Ok(HookOutcome {
                rejected: Some(reason),
                ..outcome
            })
        }
        Ok(Err(ReportError::Failed(reason))) => Err(HookError::ReportFailed {
            deployment_id,
            status: reported.as_str(),
            reason,
        }),
        Err(_) => Err(HookError::ReportTimedOut {
            deployment_id,
            status: reported.as_str(),
        }),
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::RecordingReporter;
    use proptest::strategy::Strategy;
    use serde_json::json;

    const SPEC: HookSpec = HookSpec {
        hook: "test",
        lifecycle_event: "BeforeAllowTraffic",
    };

    fn event() -> Value {
        json!({"DeploymentId": "d-1", "LifecycleEventHookExecutionId": "hook-1"})
    }

    fn in_secs(s: u64) -> SystemTime {
        SystemTime::now() + Duration::from_secs(s)
    }

    fn passing() -> Evaluation {
        Evaluation {
            checks: vec![CheckOutcome {
                passed: true,
                ..CheckOutcome::not_run("a", "lambda", "")
            }],
            ..Evaluation::default()
        }
    }

    fn reported(r: &RecordingReporter) -> Vec<Status> {
        r.reports.lock().unwrap().iter().map(|(_, _, s)| *s).collect()
    }

    proptest::proptest! {
        #[test]
        fn lifecycle_events_never_panic_and_errors_name_a_field(
            d in proptest::option::of(proptest::prop_oneof![proptest::strategy::Just(json!(null)), "\\PC{0,12}".prop_map(|s| json!(s)), proptest::num::i64::ANY.prop_map(|n| json!(n))]),
            h in proptest::option::of(proptest::prop_oneof![proptest::strategy::Just(json!(null)), "\\PC{0,12}".prop_map(|s| json!(s))]),
        ) {
            let mut event = serde_json::Map::new();
            if let Some(d) = d { event.insert("DeploymentId".into(), d); }
            if let Some(h) = h { event.insert("LifecycleEventHookExecutionId".into(), h); }
            match parse_lifecycle_event(Value::Object(event)) {
                Ok(e) => proptest::prop_assert!(!e.deployment_id.trim().is_empty() && !e.lifecycle_event_hook_execution_id.trim().is_empty()),
                Err(e) => {
                    let m = e.to_string();
                    proptest::prop_assert!(m.contains("DeploymentId") || m.contains("LifecycleEventHookExecutionId"), "{}", m);
                }
            }
        }
    }

    #[tokio::test]
    async fn passing_checks_report_succeeded_once() {
        let r = RecordingReporter::default();
        let out = run_hook(&r, SPEC, &HookSettings::default(), event(), in_secs(30), |_| async {
            passing()
        })
        .await
        .unwrap();
        assert_eq!(out.reported, Status::Succeeded);
        assert_eq!(
            r.reports.lock().unwrap().as_slice(),
            &[("d-1".to_string(), "hook-1".to_string(), Status::Succeeded)]
        );
    }

    #[tokio::test]
    async fn a_failure_outside_the_checks_reports_failed() {
        let r = RecordingReporter::default();
        let out = run_hook(&r, SPEC, &HookSettings::default(), event(), in_secs(30), |_| async {
            Evaluation::failed("no target")
        })
        .await
        .unwrap();
        assert_eq!((out.verdict, reported(&r)), (Status::Failed, vec![Status::Failed]));
    }

    #[tokio::test]
    async fn missing_and_empty_ids_are_named_and_nothing_is_reported() {
        let r = RecordingReporter::default();
        let cases = [
            (json!({"LifecycleEventHookExecutionId": "h"}), "DeploymentId"),
            (json!({"DeploymentId": "d-1"}), "LifecycleEventHookExecutionId"),
            (
                json!({"DeploymentId": " ", "LifecycleEventHookExecutionId": "h"}),
                "DeploymentId",
            ),
            (
                json!({"DeploymentId": "d-1", "LifecycleEventHookExecutionId": ""}),
                "LifecycleEventHookExecutionId",
            ),
        ];
        for (ev, field) in cases {
            let err = run_hook(&r, SPEC, &HookSettings::default(), ev, in_secs(30), |_| async {
                passing()
            })
            .await
            .unwrap_err();
            assert!(err.to_string().contains(field), "{err}");
            assert_eq!(err.error_type(), "Shiftguard.InvalidEvent");
        }
        assert!(reported(&r).is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn checks_that_outlive_the_budget_fail_in_time() {
        let r = RecordingReporter::default();
        let settings = HookSettings {
            report_reserve: Duration::from_secs(5),
            dry_run: false,
        };
        let started = Instant::now();
        let out = run_hook(&r, SPEC, &settings, event(), in_secs(20), |_| async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            passing()
        })
        .await
        .unwrap();
        assert_eq!(out.reported, Status::Failed);
        assert!(started.elapsed() <= Duration::from_secs(15), "{:?}", started.elapsed());
    }

    #[tokio::test]
    async fn no_time_left_fails_without_running_checks() {
        let r = RecordingReporter::default();
        let ran = std::sync::atomic::AtomicBool::new(false);
        let out = run_hook(&r, SPEC, &HookSettings::default(), event(), in_secs(2), |_| async {
            ran.store(true, std::sync::atomic::Ordering::SeqCst);
            passing()
        })
        .await
        .unwrap();
        assert_eq!(out.reported, Status::Failed);
        assert!(
            !ran.load(std::sync::atomic::Ordering::SeqCst),
            "no check runs without a budget"
        );
    }

    #[tokio::test]
    async fn a_panicking_check_reports_failed() {
        let r = RecordingReporter::default();
        let out = run_hook(&r, SPEC, &HookSettings::default(), event(), in_secs(30), |_| async {
            let v: Vec<u8> = Vec::new();
            let _ = v[3];
            passing()
        })
        .await
        .unwrap();
        assert_eq!((out.verdict, reported(&r)), (Status::Failed, vec![Status::Failed]));
    }

    #[tokio::test]
    async fn dry_run_reports_succeeded_but_keeps_the_real_verdict() {
        let r = RecordingReporter::default();
        let settings = HookSettings {
            dry_run: true,
            ..HookSettings::default()
        };
        let out = run_hook(&r, SPEC, &settings, event(), in_secs(30), |_| async {
            Evaluation::failed("bad")
        })
        .await
        .unwrap();
        assert_eq!((out.verdict, out.reported), (Status::Failed, Status::Succeeded));
        assert_eq!(reported(&r), vec![Status::Succeeded]);
    }

    #[tokio::test]
    async fn a_duplicate_delivery_ends_successfully() {
        let r = RecordingReporter {
            answer: Some(ReportError::AlreadyCompleted),
            ..RecordingReporter::default()
        };
        let out = run_hook(&r, SPEC, &HookSettings::default(), event(), in_secs(30), |_| async {
            passing()
        })
        .await
        .unwrap();
        assert!(out.duplicate);
        assert_eq!(out.deployment_ended, None);
    }

    #[tokio::test]
    async fn a_late_delivery_to_an_ended_deployment_is_told_apart_from_a_duplicate() {
        let r = RecordingReporter {
            answer: Some(ReportError::AlreadyCompleted),
            ..RecordingReporter::default()
        };
        let deployment = crate::fakes::FixedDeployment::new("");
        let mut info = crate::ports::DeploymentReader::deployment(&deployment, "d-1")
            .await
            .unwrap();
        info.status = DeploymentStatus::Failed;
        let out = run_hook(&r, SPEC, &HookSettings::default(), event(), in_secs(30), |_| async {
            Evaluation {
                deployment: Some(info),
                ..passing()
            }
        })
        .await
        .unwrap();
        assert!(!out.duplicate);
        assert_eq!(out.deployment_ended, Some(DeploymentStatus::Failed));
        assert_eq!(
            serde_json::to_value(&out).unwrap()["deployment_ended"],
            serde_json::json!("Failed")
        );
    }

    #[tokio::test]
    async fn a_failed_report_is_an_error_so_lambda_retries() {
        let r = RecordingReporter {
            answer: Some(ReportError::Failed("AccessDenied".into())),
            ..RecordingReporter::default()
        };
        let err = run_hook(&r, SPEC, &HookSettings::default(), event(), in_secs(30), |_| async {
            passing()
        })
        .await
        .unwrap_err();
        assert_eq!(err.error_type(), "Shiftguard.ReportFailed");
        assert!(err.to_string().contains("AccessDenied"), "{err}");
    }

    #[tokio::test]
    async fn a_report_codedeploy_refuses_for_good_ends_the_invocation_with_the_reason() {
        let r = RecordingReporter {
            answer: Some(ReportError::Rejected("DeploymentDoesNotExistException".into())),
            ..RecordingReporter::default()
        };
        let out = run_hook(&r, SPEC, &HookSettings::default(), event(), in_secs(30), |_| async {
            passing()
        })
        .await
        .expect("no error: a retry would only be refused again");
        assert_eq!(out.rejected.as_deref(), Some("DeploymentDoesNotExistException"));
        assert!(!out.duplicate);
        assert_eq!(reported(&r), vec![Status::Succeeded], "the one attempt was made");
    }

    #[tokio::test(start_paused = true)]
    async fn a_report_that_hangs_past_the_deadline_is_an_error() {
        let r = RecordingReporter {
            delay: Duration::from_secs(600),
            ..RecordingReporter::default()
        };
        let err = run_hook(&r, SPEC, &HookSettings::default(), event(), in_secs(30), |_| async {
            passing()
        })
        .await
        .unwrap_err();
        assert_eq!(err.error_type(), "Shiftguard.ReportTimedOut");
    }

    #[test]
    fn a_failure_keeps_what_the_checks_had_found_so_far() {
        let progress = Progress::default();
        assert_eq!(progress.failed("x".into()).target, None);
        let target = DeploymentTarget::Lambda(crate::target::deployment_target::LambdaTarget {
            function_name: "f".into(),
            alias: Some("live".into()),
            current_version: Some("1".into()),
            target_version: "2".into(),
        });
        progress.target(&target);
        progress.inputs(&json!({"window": {"start": 1, "end": 2}}));
        let evaluation = progress.failed(OUT_OF_TIME.into());
        assert_eq!(evaluation.target, Some(target));
        assert_eq!(evaluation.inputs["window"]["end"], 2);
        assert_eq!(evaluation.failure.as_deref(), Some(OUT_OF_TIME));
        assert!(evaluation.checks.is_empty());
    }

    #[test]
    fn a_check_that_panicked_holding_the_progress_lock_leaves_it_usable() {
        let progress = Progress::default();
        let held = progress.clone();
        let _ = std::thread::spawn(move || held.update(|_| panic!("while holding the lock"))).join();
        progress.inputs(&json!({"a": 1}));
        assert_eq!(progress.failed("a check panicked".into()).inputs["a"], 1);
    }
}
