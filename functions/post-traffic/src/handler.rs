//! The AfterAllowTraffic handler: read the deployment, fetch every metric of the verdict in one
//! `GetMetricData` call, judge, report once.

use std::time::SystemTime;

use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::{Value, json};
use shiftguard::config::env::{ConfigError, HookSettings};
use shiftguard::gate::metric_checks::{uses_target_groups, with_target_groups};
use shiftguard::gate::metric_plan::MetricPlan;
use shiftguard::gate::metric_query::MetricWindow;
use shiftguard::hook::runner::{CheckContext, Evaluation, HookOutcome, HookSpec, hook_handler};
use shiftguard::ports::{DeploymentReader, HookStatusReporter, MetricReader, TargetGroupReader};
use shiftguard::target::deployment_target::DeploymentTarget;
use shiftguard::target::resolution::target_of;

use crate::config::PostTrafficConfig;

pub const SPEC: HookSpec = HookSpec {
    hook: "post-traffic",
    lifecycle_event: "AfterAllowTraffic",
};

/// Everything the handler talks to, built once in `main`.
pub struct Deps<R, D, M, T> {
    pub reporter: R,
    pub deployments: D,
    pub metrics: M,
    /// For `METRIC_CHECKS` that name an ECS deployment's target groups by placeholder.
    pub target_groups: T,
    /// Read apart from the rest, so a bad `SMOKE_TESTS` or threshold still honours `DRY_RUN`.
    pub settings: HookSettings,
    pub config: Result<PostTrafficConfig, ConfigError>,
}

pub async fn function_handler<R, D, M, T>(
    deps: &Deps<R, D, M, T>,
    event: LambdaEvent<Value>,
) -> Result<HookOutcome, Diagnostic>
where
    R: HookStatusReporter,
    D: DeploymentReader,
    M: MetricReader,
    T: TargetGroupReader,
{
    hook_handler(
        &deps.reporter,
        SPEC,
        &deps.settings,
        &deps.config,
        event,
        |config, ctx| evaluate(deps, config, ctx),
    )
    .await
}

fn epoch_s(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

async fn evaluate<R, D, M, T>(deps: &Deps<R, D, M, T>, config: &PostTrafficConfig, ctx: CheckContext) -> Evaluation
where
    D: DeploymentReader,
    M: MetricReader,
    T: TargetGroupReader,
{
    // Always read the deployment: its start bounds the window, and its AppSpec names the alias.
    let deployment = match deps.deployments.deployment(&ctx.deployment_id).await {
        Ok(d) => d,
        Err(e) => return Evaluation::failed(format!("could not read the deployment: {e}")),
    };
    ctx.progress.deployment(&deployment);
    let target = match target_of(&ctx.deployment_id, &deployment, &config.target) {
        Ok(t) => {
            ctx.progress.target(&t);
            t
        }
        Err(e) => return ctx.progress.failed(e.to_string()),
    };
    let end = SystemTime::now();
    let start = match (config.gate.window, deployment.created_at) {
        (Some(window), _) => end - window,
        (None, Some(created)) => created,
        (None, None) => {
            return ctx
                .progress
                .failed("the deployment has no createTime to start the metric window from: set WINDOW_MINUTES".into());
        }
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
    let plan = match MetricPlan::new(&target, &config.gate, &checks) {
        Ok(p) => p,
        Err(e) => return ctx.progress.failed(e.to_string()),
    };
    let window = MetricWindow::new(start, end);
    let mut inputs = json!({
        "window": {"start": epoch_s(window.start), "end": epoch_s(window.end), "period_s": window.period_s},
        "metric_queries": plan.queries.len(),
        "thresholds": config.gate,
    });
    if let Some(groups) = target_groups {
        inputs["target_groups"] = json!(groups);
    }
    ctx.progress.inputs(&inputs);
    match deps.metrics.metric_data(&plan.queries, window).await {
        Ok(data) => Evaluation {
            target: Some(target),
            deployment: Some(deployment),
            checks: plan.judge(&data.values, &config.gate),
            failure: None,
            inputs: {
                let mut inputs = inputs;
                inputs["get_metric_data_requests"] = json!(data.requests);
                inputs
            },
        },
        Err(e) => ctx.progress.failed(format!("could not read the metrics: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shiftguard::config::env::FromEnv;
    use shiftguard::fakes::{self, FixedDeployment, RecordingReporter, UNKNOWN_DEPLOYMENT};
    use shiftguard::gate::metric_checks::TargetGroups;
    use shiftguard::gate::metric_query::MetricQuery;
    use shiftguard::hook::verdict::Status;
    use shiftguard::ports::{AwsError, MetricData, MetricReadError, TargetGroupError};
    use std::collections::BTreeMap;
    use std::sync::Mutex;
    use std::time::Duration;

    /// Answers from a table of values by query id; records every call.
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
                    requests: 1,
                    ..MetricData::default()
                }),
            }
        }
    }

    const LAMBDA: &str = include_str!("../../../shared/tests/fixtures/appspec-lambda.yaml");
    const ECS: &str = include_str!("../../../shared/tests/fixtures/appspec-ecs.yaml");

    fn metrics(pairs: &[(&str, f64)]) -> Metrics {
        Metrics {
            values: pairs.iter().map(|(k, v)| (k.to_string(), vec![*v])).collect(),
            ..Metrics::default()
        }
    }

    fn deps(
        appspec: &'static str,
        m: Metrics,
        env: &[(&str, &str)],
    ) -> Deps<RecordingReporter, FixedDeployment, Metrics, Groups> {
        let env = fakes::env(env);
        Deps {
            reporter: RecordingReporter::default(),
            deployments: FixedDeployment::new(appspec).created_at(SystemTime::now() - Duration::from_secs(600)),
            metrics: m,
            target_groups: Groups,
            settings: HookSettings::from_lookup(&env).unwrap_or_default(),
            config: PostTrafficConfig::from_lookup(&env),
        }
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

    async fn run(d: &Deps<RecordingReporter, FixedDeployment, Metrics, Groups>) -> (Status, Vec<Status>) {
        let out = function_handler(d, fakes::hook_event("d-1")).await.unwrap();
        (out.verdict, d.reporter.statuses())
    }

    #[tokio::test]
    async fn when_the_new_version_is_clean_should_report_succeeded_after_one_metric_call() {
        let d = deps(
            LAMBDA,
            metrics(&[
                ("new_invocations", 1000.0),
                ("new_errors", 2.0),
                ("old_invocations", 1000.0),
                ("old_errors", 2.0),
            ]),
            &[],
        );
        assert_eq!(run(&d).await, (Status::Succeeded, vec![Status::Succeeded]));
        let calls = d.metrics.calls.lock().unwrap();
        assert_eq!(calls.len(), 1);
        // The window starts at the deployment's createTime.
        assert!(calls[0].1.period_s >= 600);
    }

    #[tokio::test]
    async fn when_errors_are_high_should_report_failed() {
        let d = deps(
            LAMBDA,
            metrics(&[("new_invocations", 1000.0), ("new_errors", 50.0)]),
            &[],
        );
        assert_eq!(run(&d).await, (Status::Failed, vec![Status::Failed]));
    }

    #[tokio::test]
    async fn window_minutes_replaces_the_deployment_start() {
        let d = deps(LAMBDA, metrics(&[]), &[("WINDOW_MINUTES", "2")]);
        run(&d).await;
        assert_eq!(d.metrics.calls.lock().unwrap()[0].1.period_s, 120);
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
                query: "new_errors".into(),
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
