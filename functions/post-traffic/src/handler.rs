//! The AfterAllowTraffic handler: read the deployment, fetch every metric of the verdict in one
//! `GetMetricData` call, judge, report once.
//!
//! A Lambda deployment whose AppSpec names both versions is judged by the canary judge's final
//! look on every minute from the deployment's creation minute to the minute the hook was invoked
//! in (that minute excluded); the hook first waits until the last of them is `SETTLE_SECONDS`
//! old, so that CloudWatch has all of their datapoints. Anything else is one look over the window.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::{Value, json};
use shiftguard::canary::judge::Judge;
use shiftguard::canary::per_minute::{Minutes, minute_start};
use shiftguard::gate::metric_checks::{uses_target_groups, with_target_groups};
use shiftguard::gate::metric_plan::{MetricPlan, Span, alias_versions};
use shiftguard::gate::metric_query::MetricWindow;
use shiftguard::hook::runner::{CheckContext, Evaluation, HookDeps, HookOutcome, HookSpec, hook_handler};
use shiftguard::ports::{
    DeploymentInfo, DeploymentReader, HookStatusReporter, MetricReader, SettingsStore, TargetGroupReader,
};
use shiftguard::target::deployment_target::DeploymentTarget;
use shiftguard::target::resolution::target_of;
use tokio::time::Instant;

use crate::config::PostTrafficConfig;

pub const SPEC: HookSpec = HookSpec {
    hook: "post-traffic",
    lifecycle_event: "AfterAllowTraffic",
};

/// Left of the budget after the wait for the minutes to settle, for the `GetMetricData` call.
pub const READ_MARGIN: Duration = Duration::from_secs(5);

/// Why `WINDOW_MINUTES` does not apply to a deployment the canary judge judges.
const WINDOW_MINUTES_NOT_APPLIED: &str = "WINDOW_MINUTES applies to one-look verdicts only: a Lambda deployment of both \
     versions is judged on every minute from its start, as the canary judge's bound on false rollbacks requires";

/// Everything the handler talks to, built once in `main`.
pub struct Deps<R, D, S, M, T> {
    pub hook: HookDeps<R, D, S>,
    pub metrics: M,
    /// For `METRIC_CHECKS` that name an ECS deployment's target groups by placeholder.
    pub target_groups: T,
    /// The wall clock (`SystemTime::now`; a fixed time in tests).
    pub now: fn() -> SystemTime,
}

pub async fn function_handler<R, D, S, M, T>(
    deps: &Deps<R, D, S, M, T>,
    event: LambdaEvent<Value>,
) -> Result<HookOutcome, Diagnostic>
where
    R: HookStatusReporter,
    D: DeploymentReader,
    S: SettingsStore,
    M: MetricReader,
    T: TargetGroupReader,
{
    let invoked_at = (deps.now)();
    hook_handler(
        &deps.hook,
        SPEC,
        event,
        |config: PostTrafficConfig, deployment, ctx| async move {
            evaluate(deps, &config, deployment, ctx, invoked_at).await
        },
    )
    .await
}

fn epoch_s(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// What a verdict reads: the judged minutes for a deployment of both versions, else the window.
fn span(
    target: &DeploymentTarget,
    config: &PostTrafficConfig,
    created_at: Option<SystemTime>,
    invoked_at: SystemTime,
) -> Result<Span, String> {
    if alias_versions(target).is_some() {
        let created = created_at.ok_or(
            "the deployment has no createTime: the canary judge's final look needs every minute from the deployment's start (WINDOW_MINUTES does not replace it for a Lambda deployment of both versions)",
        )?;
        let start = minute_start(created);
        return Ok(Span::Minutes(Minutes {
            start,
            end: minute_start(invoked_at).max(start),
        }));
    }
    let start = match (config.gate.window, created_at) {
        (Some(window), _) => invoked_at - window,
        (None, Some(created)) => created,
        (None, None) => {
            return Err("the deployment has no createTime to start the metric window from: set WINDOW_MINUTES".into());
        }
    };
    Ok(Span::Window(MetricWindow::new(start, invoked_at)))
}

/// The verdict on `deployment` (read by the hook contract: its start bounds the window, and its
/// AppSpec names the alias).
async fn evaluate<R, D, S, M, T>(
    deps: &Deps<R, D, S, M, T>,
    config: &PostTrafficConfig,
    deployment: DeploymentInfo,
    ctx: CheckContext,
    invoked_at: SystemTime,
) -> Evaluation
where
    M: MetricReader,
    T: TargetGroupReader,
{
    let target = match target_of(&ctx.deployment_id, &deployment, &config.target) {
        Ok(t) => {
            ctx.progress.target(&t);
            t
        }
        Err(e) => return ctx.progress.failed(e.to_string()),
    };
    let span = match span(&target, config, deployment.created_at, invoked_at) {
        Ok(s) => s,
        Err(e) => return ctx.progress.failed(e),
    };
    // Target groups named by placeholder are this deployment's: CodeDeploy swaps the pair on
    // every ECS deployment.
    let (checks, target_groups) = if !uses_target_groups(&config.metric_checks) {
        (config.metric_checks.clone(), None)
    } else if !matches!(target, DeploymentTarget::Ecs(_)) {
        return ctx.progress.failed(
            "METRIC_CHECKS names {replacement_target_group} or {original_target_group}, which only an ECS deployment has"
                .into(),
        );
    } else {
        let resolved = deps
            .target_groups
            .target_groups(&ctx.deployment_id)
            .await
            .map_err(|e| format!("could not find the deployment's target groups: {e}"))
            .and_then(|groups| with_target_groups(&config.metric_checks, &groups).map(|c| (c, groups)));
        match resolved {
            Ok((checks, groups)) => (checks, Some(groups)),
            Err(e) => return ctx.progress.failed(e),
        }
    };
    let plan = match MetricPlan::new(&target, &config.gate, &checks, span) {
        Ok(p) => p,
        Err(e) => return ctx.progress.failed(e.to_string()),
    };
    let window = plan.window;
    let mut inputs = json!({
        "window": {"start": epoch_s(window.start), "end": epoch_s(window.end), "period_s": window.period_s},
        "metric_queries": plan.queries.len(),
        "thresholds": config.gate,
    });
    if let Some(minutes) = plan.minutes() {
        inputs["judged_minutes"] = json!(minutes.count());
        inputs["settle_s"] = json!(config.settle.as_secs());
        inputs["canary_judge"] = json!({
            "confidence": config.judge.confidence,
            "max_error_rate_pct": config.judge.max_error_rate_pct,
        });
        if config.gate.window.is_some() {
            inputs["window_minutes"] = json!(WINDOW_MINUTES_NOT_APPLIED);
        }
    }
    if let Some(groups) = target_groups {
        inputs["target_groups"] = json!(groups);
    }
    ctx.progress.inputs(&inputs);
    let judge = Judge::new(config.judge);
    if let Some(minutes) = plan.minutes() {
        if minutes.count() == 0 {
            // The deployment began in the minute the hook was invoked in: nothing complete to read.
            inputs["get_metric_data_requests"] = json!(0);
            return Evaluation {
                checks: plan.judge(&BTreeMap::new(), &BTreeMap::new(), &config.gate, &judge),
                target: Some(target),
                deployment: Some(deployment),
                inputs,
                ..Evaluation::default()
            };
        }
        if let Err(e) = settle(minutes, config.settle, (deps.now)(), ctx.budget_end).await {
            return ctx.progress.failed(e);
        }
    }
    match deps.metrics.metric_data(&plan.queries, window).await {
        Ok(data) => Evaluation {
            checks: plan.judge(&data.values, &data.timestamps, &config.gate, &judge),
            target: Some(target),
            deployment: Some(deployment),
            inputs: {
                let mut inputs = inputs;
                inputs["get_metric_data_requests"] = json!(data.requests);
                inputs
            },
            ..Evaluation::default()
        },
        Err(e) => ctx.progress.failed(format!("could not read the metrics: {e}")),
    }
}

/// Waits until the last judged minute ended `settle` ago (`now` on the wall clock); fails at once
/// when that is later than the budget allows, with [`READ_MARGIN`] left for the read.
async fn settle(minutes: Minutes, settle: Duration, now: SystemTime, budget_end: Instant) -> Result<(), String> {
    let Ok(wait) = (minutes.end + settle).duration_since(now) else {
        return Ok(());
    };
    let left = budget_end.saturating_duration_since(Instant::now());
    if wait + READ_MARGIN > left {
        return Err(format!(
            "the last judged minute is complete SETTLE_SECONDS ({} s) after it ends, {} s from now, but the hook has {} s \
             of its budget left (the invocation deadline minus REPORT_RESERVE_MS), {} s of which the read needs: raise \
             the function's Timeout or lower SETTLE_SECONDS",
            settle.as_secs(),
            wait.as_secs(),
            left.as_secs(),
            READ_MARGIN.as_secs()
        ));
    }
    tokio::time::sleep(wait).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use shiftguard::config::env::FromEnv;
    use shiftguard::fakes::{self, FixedDeployment, RecordingReporter, StoredDocuments, UNKNOWN_DEPLOYMENT};
    use shiftguard::gate::metric_checks::TargetGroups;
    use shiftguard::gate::metric_query::MetricQuery;
    use shiftguard::hook::runner::Progress;
    use shiftguard::hook::verdict::{Status, Verdict};
    use shiftguard::ports::{AwsError, MetricData, MetricReadError, TargetGroupError};
    use std::sync::Mutex;

    /// Answers from a table of datapoints by query id, one a minute from the window's start (a
    /// query read as one period gets one); records every call.
    #[derive(Default)]
    struct Metrics {
        values: BTreeMap<String, Vec<f64>>,
        calls: Mutex<Vec<(Vec<MetricQuery>, MetricWindow)>>,
        fail: Option<MetricReadError>,
    }

    impl MetricReader for Metrics {
        async fn metric_data(&self, q: &[MetricQuery], w: MetricWindow) -> Result<MetricData, MetricReadError> {
            self.calls.lock().unwrap().push((q.to_vec(), w));
            match &self.fail {
                Some(e) => Err(e.clone()),
                None => Ok(MetricData {
                    values: self.values.clone(),
                    timestamps: self
                        .values
                        .iter()
                        .map(|(id, v)| {
                            let stamps = (0..v.len()).map(|i| w.start + Duration::from_secs(60 * i as u64));
                            (id.clone(), stamps.collect())
                        })
                        .collect(),
                    requests: 1,
                }),
            }
        }
    }

    const LAMBDA: &str = include_str!("../../../shared/tests/fixtures/appspec-lambda.yaml");
    const ECS: &str = include_str!("../../../shared/tests/fixtures/appspec-ecs.yaml");

    /// A whole minute of the wall clock.
    const T0: u64 = 1_800_000_000;

    /// The hook is invoked 10 s into the minute that starts at `T0`.
    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(T0 + 10)
    }

    fn at(s: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(s)
    }

    /// One value a query (the one-look plan's ids and `METRIC_CHECKS`).
    fn metrics(pairs: &[(&str, f64)]) -> Metrics {
        Metrics {
            values: pairs.iter().map(|(k, v)| (k.to_string(), vec![*v])).collect(),
            ..Metrics::default()
        }
    }

    /// `minutes` minutes of a 10 % canary: the new version's calls and errors a minute, then
    /// the old one's.
    fn canary(minutes: usize, new: (f64, f64), old: (f64, f64)) -> Metrics {
        let series = [
            ("minute_new_calls", new.0),
            ("minute_new_errors", new.1),
            ("minute_old_calls", old.0),
            ("minute_old_errors", old.1),
        ];
        Metrics {
            values: series.iter().map(|(k, v)| (k.to_string(), vec![*v; minutes])).collect(),
            ..Metrics::default()
        }
    }

    type TestDeps = Deps<RecordingReporter, FixedDeployment, StoredDocuments, Metrics, Groups>;

    /// The deployment was created 9:50 before the hook's invocation (in minute `T0 - 600`):
    /// ten complete minutes. `SETTLE_SECONDS` is 0 unless `env` sets it.
    fn deps_with(appspec: &str, m: Metrics, env: &[(&str, &str)], created_ago: u64) -> TestDeps {
        let mut env = env.to_vec();
        env.push(("SETTLE_SECONDS", "0"));
        Deps {
            hook: HookDeps {
                reporter: RecordingReporter::default(),
                deployments: FixedDeployment::new(appspec).created_at(now() - Duration::from_secs(created_ago)),
                store: StoredDocuments::new(&[]),
                environment: Box::new(fakes::env(&env)),
            },
            metrics: m,
            target_groups: Groups,
            now,
        }
    }

    fn deps(appspec: &str, m: Metrics, env: &[(&str, &str)]) -> TestDeps {
        deps_with(appspec, m, env, 590)
    }

    /// The deployment's replacement task set is behind `web-tg-1` (its original behind `web-tg-2`).
    struct Groups;

    impl TargetGroupReader for Groups {
        async fn target_groups(&self, _id: &str) -> Result<TargetGroups, TargetGroupError> {
            Ok(TargetGroups {
                replacement: "targetgroup/web-tg-1/73e2d6bc24d8a067".into(),
                original: Some("targetgroup/web-tg-2/2453ed029918f21f".into()),
                load_balancer: None,
            })
        }
    }

    async fn run(d: &TestDeps) -> (Status, Vec<Status>) {
        let out = function_handler(d, fakes::hook_event("d-1")).await.unwrap();
        (out.verdict, d.hook.reporter.statuses())
    }

    /// The checks alone, with 55 s of budget: what the decision record holds.
    async fn evaluation(d: &TestDeps) -> (Evaluation, Verdict) {
        let ctx = CheckContext {
            deployment_id: "d-1".into(),
            budget_end: Instant::now() + Duration::from_secs(55),
            progress: Progress::default(),
        };
        let config = PostTrafficConfig::from_lookup(&d.hook.environment).unwrap();
        let deployment = d.hook.deployments.deployment("d-1").await.unwrap();
        let e = evaluate(d, &config, deployment, ctx, now()).await;
        let mut v = Verdict::of_checks(&e.checks);
        if let Some(f) = &e.failure {
            v = Verdict::failed(f.clone());
        }
        (e, v)
    }

    #[tokio::test]
    async fn when_the_new_version_fails_as_often_as_the_old_one_should_succeed_after_one_metric_call() {
        let d = deps(LAMBDA, canary(10, (200.0, 2.0), (1800.0, 18.0)), &[]);
        assert_eq!(run(&d).await, (Status::Succeeded, vec![Status::Succeeded]));
        let calls = d.metrics.calls.lock().unwrap();
        assert_eq!(calls.len(), 1);
        let (queries, window) = &calls[0];
        // Every minute from the creation minute to the invocation's, one period each.
        assert_eq!((window.start, window.end, window.period_s), (at(T0 - 600), at(T0), 60));
        let ids: Vec<&str> = queries.iter().map(|q| q.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "minute_new_calls",
                "minute_new_errors",
                "minute_old_calls",
                "minute_old_errors"
            ]
        );
    }

    #[tokio::test]
    async fn when_the_new_version_fails_3x_as_often_should_fail_with_the_judges_reason() {
        let d = deps(LAMBDA, canary(10, (200.0, 6.0), (1800.0, 18.0)), &[]);
        let (e, v) = evaluation(&d).await;
        assert_eq!(v.status, Status::Failed);
        assert!(
            v.reasons[0].starts_with("error-rate: minute 2: the new version fails 3.00x as often as the old one"),
            "{:?}",
            v.reasons
        );
        assert_eq!(e.inputs["judged_minutes"], 10);
        assert_eq!(e.inputs["window"]["period_s"], 60);
        assert_eq!(e.inputs["canary_judge"]["confidence"], 0.95);
        let measured = &e.checks[0].measured;
        assert_eq!(measured["evidence"]["rows"].as_array().unwrap().len(), 10);
        assert_eq!(measured["new_errors"], 60);
        assert_eq!(measured["stop"]["minute"], 2);
        assert_eq!(run(&d).await, (Status::Failed, vec![Status::Failed]));
    }

    #[tokio::test]
    async fn the_minute_the_hook_was_invoked_in_is_not_judged() {
        // An eleventh datapoint, in the invocation's minute (still filling), all errors: left out.
        let mut m = canary(10, (200.0, 2.0), (1800.0, 18.0));
        m.values.get_mut("minute_new_errors").unwrap().push(200.0);
        m.values.get_mut("minute_new_calls").unwrap().push(200.0);
        let (e, v) = evaluation(&deps(LAMBDA, m, &[])).await;
        assert_eq!(v.status, Status::Succeeded, "{:?}", v.reasons);
        assert_eq!(e.checks[0].measured["new_invocations"], 2000);
    }

    #[tokio::test]
    async fn too_few_calls_of_the_new_version_follow_on_insufficient_data() {
        let quiet = || canary(10, (1.0, 0.0), (1800.0, 18.0));
        let (e, v) = evaluation(&deps(LAMBDA, quiet(), &[])).await;
        assert_eq!(v.status, Status::Succeeded);
        assert!(e.checks[0].inconclusive);
        assert!(
            v.reasons[1].contains("10 invocations of the new version (7) in 10 complete minutes, fewer than MIN_INVOCATIONS (20); ON_INSUFFICIENT_DATA=pass"),
            "{:?}",
            v.reasons
        );
        let d = deps(LAMBDA, quiet(), &[("ON_INSUFFICIENT_DATA", "fail")]);
        assert_eq!(run(&d).await, (Status::Failed, vec![Status::Failed]));
    }

    #[tokio::test]
    async fn a_deployment_created_in_the_invocations_minute_has_no_complete_minute_to_read() {
        let d = deps_with(LAMBDA, canary(1, (200.0, 0.0), (1800.0, 18.0)), &[], 5);
        let (e, v) = evaluation(&d).await;
        assert!(e.checks[0].inconclusive, "{:?}", e.checks);
        assert_eq!(
            (
                e.inputs["judged_minutes"].as_u64(),
                e.inputs["get_metric_data_requests"].as_u64()
            ),
            (Some(0), Some(0))
        );
        assert_eq!(v.status, Status::Succeeded);
        assert!(d.metrics.calls.lock().unwrap().is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn the_hook_waits_until_the_last_minute_has_settled() {
        // Invoked 10 s after the last judged minute ended: 30 s more for SETTLE_SECONDS=40.
        let d = deps(
            LAMBDA,
            canary(10, (200.0, 2.0), (1800.0, 18.0)),
            &[("SETTLE_SECONDS", "40")],
        );
        let started = Instant::now();
        let (_, v) = evaluation(&d).await;
        assert_eq!(v.status, Status::Succeeded, "{:?}", v.reasons);
        assert_eq!(started.elapsed().as_secs(), 30);
        assert_eq!(d.metrics.calls.lock().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn a_settle_longer_than_the_budget_fails_at_once_without_reading() {
        let d = deps(
            LAMBDA,
            canary(10, (200.0, 2.0), (1800.0, 18.0)),
            &[("SETTLE_SECONDS", "600")],
        );
        let started = Instant::now();
        let (e, v) = evaluation(&d).await;
        assert_eq!(v.status, Status::Failed);
        let reason = e.failure.unwrap();
        assert!(
            reason.contains("SETTLE_SECONDS (600 s) after it ends, 590 s from now"),
            "{reason}"
        );
        assert!(
            reason.contains("raise the function's Timeout or lower SETTLE_SECONDS"),
            "{reason}"
        );
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(d.metrics.calls.lock().unwrap().is_empty());
        assert_eq!(
            e.inputs["judged_minutes"], 10,
            "the record still says what was to be judged"
        );
    }

    #[tokio::test]
    async fn p99_throttles_and_metric_checks_ride_in_the_same_call_over_the_judged_minutes() {
        let checks = r#"[{"name":"extra","namespace":"AWS/Lambda","metric":"ConcurrentExecutions","dimensions":{"FunctionName":"orders-api"},"stat":"Maximum","max":100}]"#;
        let mut m = canary(10, (200.0, 2.0), (1800.0, 18.0));
        m.values.insert("new_p99".into(), vec![812.0]);
        m.values.insert("check0".into(), vec![40.0]);
        let env = [("MAX_P99_MS", "500"), ("MAX_THROTTLES", "0"), ("METRIC_CHECKS", checks)];
        let d = deps(LAMBDA, m, &env);
        let (_, v) = evaluation(&d).await;
        assert_eq!(v.status, Status::Failed);
        assert_eq!(
            v.reasons,
            ["p99-duration: Duration p99 (ms) 812 is above MAX_P99_MS (500)"]
        );
        let calls = d.metrics.calls.lock().unwrap();
        assert_eq!(calls.len(), 1);
        let periods: Vec<(&str, Option<i32>)> = calls[0].0.iter().map(|q| (q.id.as_str(), q.period_s)).collect();
        assert_eq!(
            periods[4..],
            [
                ("new_throttles", Some(600)),
                ("new_p99", Some(600)),
                ("check0", Some(600))
            ]
        );
    }

    #[tokio::test]
    async fn window_minutes_does_not_shorten_the_judged_minutes_and_the_record_says_so() {
        let d = deps(
            LAMBDA,
            canary(10, (200.0, 2.0), (1800.0, 18.0)),
            &[("WINDOW_MINUTES", "2")],
        );
        let (e, _) = evaluation(&d).await;
        assert_eq!(e.inputs["judged_minutes"], 10);
        assert!(
            e.inputs["window_minutes"]
                .as_str()
                .unwrap()
                .starts_with("WINDOW_MINUTES applies to one-look verdicts only"),
            "{}",
            e.inputs
        );
        assert_eq!(d.metrics.calls.lock().unwrap()[0].1.start, at(T0 - 600));
    }

    /// The fixture without its `CurrentVersion`: nothing to compare with, one look.
    fn without_current_version() -> String {
        LAMBDA.replace("        CurrentVersion: \"6\"\n", "")
    }

    #[tokio::test]
    async fn without_a_current_version_it_is_one_look_and_window_minutes_still_applies() {
        let appspec = without_current_version();
        assert!(!appspec.contains("CurrentVersion"));
        let d = deps(
            &appspec,
            metrics(&[("new_invocations", 1000.0), ("new_errors", 50.0)]),
            &[],
        );
        let (e, v) = evaluation(&d).await;
        assert_eq!(v.status, Status::Failed);
        assert!(
            v.reasons[0].contains("at 95 % confidence the rate is at least 3.98 %"),
            "{:?}",
            v.reasons
        );
        assert_eq!(e.checks[0].kind, "wilson-score");
        assert!(e.inputs.get("judged_minutes").is_none());
        // The window starts at the deployment's createTime (590 s before now), one period.
        assert_eq!(d.metrics.calls.lock().unwrap()[0].1.period_s, 600);
        let d = deps(&appspec, metrics(&[]), &[("WINDOW_MINUTES", "2")]);
        run(&d).await;
        assert_eq!(d.metrics.calls.lock().unwrap()[0].1.period_s, 120);
    }

    #[tokio::test]
    async fn min_effect_still_set_fails_the_hook_naming_it_without_reading_metrics() {
        let d = deps(
            LAMBDA,
            canary(10, (200.0, 2.0), (1800.0, 18.0)),
            &[("MIN_EFFECT", "0.5")],
        );
        assert_eq!(run(&d).await, (Status::Failed, vec![Status::Failed]));
        assert!(d.metrics.calls.lock().unwrap().is_empty());
        let e = PostTrafficConfig::from_lookup(&d.hook.environment)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("MIN_EFFECT is no longer read: "), "{e}");
    }

    #[tokio::test]
    async fn when_metrics_cannot_be_read_or_are_incomplete_should_report_failed() {
        let failures = [
            MetricReadError::Aws(AwsError {
                operation: "GetMetricData".into(),
                message: "AccessDenied".into(),
                retryable: false,
            }),
            MetricReadError::Incomplete {
                query: "minute_new_errors".into(),
                status: "Forbidden".into(),
                messages: String::new(),
            },
        ];
        for fail in failures {
            let d = deps(
                LAMBDA,
                Metrics {
                    fail: Some(fail),
                    ..Metrics::default()
                },
                &[("ON_INSUFFICIENT_DATA", "pass")],
            );
            assert_eq!(run(&d).await, (Status::Failed, vec![Status::Failed]));
        }
    }

    #[tokio::test]
    async fn when_a_threshold_is_bad_should_report_failed_without_reading_metrics() {
        let d = deps(LAMBDA, metrics(&[]), &[("CONFIDENCE", "95%")]);
        assert_eq!(run(&d).await, (Status::Failed, vec![Status::Failed]));
        assert!(d.metrics.calls.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn ecs_checks_read_the_replacement_target_group_of_this_deployment() {
        let checks = include_str!("../../../shared/tests/fixtures/metric-checks.json");
        let d = deps(
            ECS,
            metrics(&[("check0_num", 1.0), ("check0_den", 1000.0), ("check1", 300.0)]),
            &[("METRIC_CHECKS", checks)],
        );
        assert_eq!(run(&d).await, (Status::Succeeded, vec![Status::Succeeded]));
        let calls = d.metrics.calls.lock().unwrap();
        let groups: Vec<&str> = calls[0]
            .0
            .iter()
            .filter_map(|q| q.metric.dimensions.get("TargetGroup").map(String::as_str))
            .collect();
        assert_eq!(groups, ["targetgroup/web-tg-1/73e2d6bc24d8a067"; 2]);
        // One look: the whole window as one period.
        assert_eq!(calls[0].1.period_s, 600);
    }

    #[tokio::test]
    async fn target_group_placeholders_on_a_lambda_deployment_fail_the_hook() {
        let checks = include_str!("../../../shared/tests/fixtures/metric-checks.json");
        let d = deps(LAMBDA, metrics(&[]), &[("METRIC_CHECKS", checks)]);
        assert_eq!(run(&d).await, (Status::Failed, vec![Status::Failed]));
        assert!(d.metrics.calls.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn when_ecs_has_no_metric_checks_should_report_failed() {
        let d = deps(ECS, metrics(&[]), &[]);
        assert_eq!(run(&d).await, (Status::Failed, vec![Status::Failed]));
    }

    #[tokio::test]
    async fn when_ecs_has_metric_checks_should_judge_them() {
        let checks = r#"[{"name":"green-5xx","namespace":"AWS/ApplicationELB","numerator":{"metric":"HTTPCode_Target_5XX_Count"},"denominator":{"metric":"RequestCount"},"max_rate":1}]"#;
        let d = deps(
            ECS,
            metrics(&[("check0_num", 1.0), ("check0_den", 1000.0)]),
            &[("METRIC_CHECKS", checks)],
        );
        assert_eq!(run(&d).await, (Status::Succeeded, vec![Status::Succeeded]));
    }

    #[tokio::test]
    async fn when_the_deployment_is_unknown_should_report_failed() {
        let d = deps(LAMBDA, metrics(&[]), &[]);
        let out = function_handler(&d, fakes::hook_event(UNKNOWN_DEPLOYMENT))
            .await
            .unwrap();
        assert_eq!(out.verdict, Status::Failed);
    }
}
