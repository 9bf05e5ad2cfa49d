//! The deploy-events handler: one CloudWatch EMF line per deployment state change, with a count
//! per state, the duration of a finished deployment, and the time to restore after a failure;
//! then, after a success, the pruning of the deployed function's old versions ([`crate::pruning`]).

use std::time::{Duration, SystemTime};

use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::{Value, json};
use shiftguard::config::env::ConfigError;
use shiftguard::delivery::deployment_event::{DeploymentState, DeploymentStateChange, parse_deployment_event};
use shiftguard::delivery::emf::{EmfMetric, emf_document};
use shiftguard::delivery::metrics::{deployment_duration, time_to_restore};
use shiftguard::deployment::DeploymentStatus;
use shiftguard::eventbridge::{Incoming, InvocationError};
use shiftguard::ports::{DeploymentHistory, DeploymentReader, FunctionVersions};
use shiftguard::rollback::deployment_group::GroupRef;

use crate::config::DeployEventsConfig;
use crate::pruning::{self, Ports};

/// Earlier deployments are looked for this far before the restoring one was created.
pub const HISTORY: Duration = Duration::from_secs(30 * 24 * 3600);

pub struct Deps<C, R, F> {
    pub history: C,
    /// Reads a deployment's AppSpec: the function to prune, the versions in flight.
    pub deployments: R,
    pub versions: F,
    pub config: Result<DeployEventsConfig, ConfigError>,
}

/// `START` → `DeploymentStart`, and so on.
pub fn count_metric(state: &str) -> String {
    let mut chars = state.chars();
    let title: String = chars
        .next()
        .map(|c| c.to_ascii_uppercase())
        .into_iter()
        .chain(chars.map(|c| c.to_ascii_lowercase()))
        .collect();
    format!("Deployment{title}")
}

fn ms(d: Duration) -> f64 {
    d.as_millis() as f64
}

pub async fn function_handler<C, R, F>(deps: &Deps<C, R, F>, event: LambdaEvent<Value>) -> Result<Value, Diagnostic>
where
    C: DeploymentHistory,
    R: DeploymentReader,
    F: FunctionVersions,
{
    let LambdaEvent { payload, context } = event;
    let change = match parse_deployment_event(payload).map_err(InvocationError::from)? {
        Incoming::Handled(c) => c,
        Incoming::Other(what) => {
            tracing::info!(what, "not a deployment state change; nothing to record");
            return Ok(json!({"metrics": [], "reason": format!("{what} is not a deployment state change")}));
        }
    };
    let config = deps.config.as_ref().map_err(|error| InvocationError::Misconfigured {
        function: "deploy-events",
        error: error.clone(),
    })?;
    let (metrics, mut properties, problems) = measure(&deps.history, &change).await;
    properties.push(("DeploymentId", Value::from(change.deployment_id.clone())));
    properties.push(("State", Value::from(change.state.as_str())));
    if !problems.is_empty() {
        // The count is still right; a retry would count the event twice, so this is logged, not raised.
        tracing::warn!(
            deployment_id = change.deployment_id,
            ?problems,
            "some delivery metrics could not be computed"
        );
        properties.push(("Problems", json!(problems)));
    }
    let now_ms = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let dims = [
        ("Application", change.application.as_str()),
        ("DeploymentGroup", change.deployment_group.as_str()),
    ];
    let doc = emf_document(&config.namespace, &dims, &metrics, &properties, now_ms);
    println!("{doc}");
    let mut out = json!({
        "metrics": metrics.iter().map(|m| json!({"name": m.name, "value": m.value, "unit": m.unit})).collect::<Vec<_>>(),
        "problems": problems,
    });
    if change.state == DeploymentState::Success {
        // After the EMF line, and never raised: a retry would count the event twice.
        let ports = Ports {
            history: &deps.history,
            deployments: &deps.deployments,
            versions: &deps.versions,
        };
        let deadline = pruning::deadline(context.deadline());
        let report = pruning::prune(ports, &change, config.versions_to_keep, deadline).await;
        if !report.errors.is_empty() {
            tracing::warn!(deployment_id = change.deployment_id, errors = ?report.errors, "pruning did not finish");
        }
        report.emit(&change);
        out["pruning"] = json!(report);
    }
    Ok(out)
}

/// The metrics of one state change, extra properties for the log line, and what went wrong.
async fn measure<C: DeploymentHistory>(
    deployments: &C,
    change: &DeploymentStateChange,
) -> (Vec<EmfMetric>, Vec<(&'static str, Value)>, Vec<String>) {
    let mut metrics = vec![EmfMetric {
        name: count_metric(change.state.as_str()),
        unit: "Count",
        value: 1.0,
    }];
    let (mut properties, mut problems) = (Vec::new(), Vec::new());
    if !change.is_final() {
        return (metrics, properties, problems);
    }
    let this = match deployments.summaries(std::slice::from_ref(&change.deployment_id)).await {
        Ok(mut s) if !s.is_empty() => s.remove(0),
        Ok(_) => {
            problems.push(format!("deployment {} was not found", change.deployment_id));
            return (metrics, properties, problems);
        }
        Err(e) => {
            problems.push(e.to_string());
            return (metrics, properties, problems);
        }
    };
    let now = SystemTime::now();
    match deployment_duration(this.created_at, this.completed_at, now) {
        Some(d) => metrics.push(EmfMetric {
            name: "DeploymentDuration".into(),
            unit: "Milliseconds",
            value: ms(d),
        }),
        None => problems.push("the deployment has no createTime".into()),
    }
    if change.state != DeploymentState::Success {
        return (metrics, properties, problems);
    }
    let group = GroupRef {
        application: change.application.clone(),
        group: change.deployment_group.clone(),
    };
    let after = this.created_at.map(|c| c - HISTORY);
    let history = deployments
        .deployments(&group, &DeploymentStatus::FINAL, after)
        .await
        .map(|all| {
            all.into_iter()
                .filter(|d| d.deployment_id != change.deployment_id)
                .collect::<Vec<_>>()
        });
    match history {
        Ok(history) => {
            if let Some((ttr, since)) =
                time_to_restore(&change.deployment_id, this.completed_at.unwrap_or(now), &history)
            {
                metrics.push(EmfMetric {
                    name: "TimeToRestore".into(),
                    unit: "Milliseconds",
                    value: ms(ttr),
                });
                properties.push(("RestoredFrom", Value::from(since)));
            }
        }
        Err(e) => problems.push(e.to_string()),
    }
    (metrics, properties, problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_runtime::Context;
    use shiftguard::config::env::FromEnv;
    use shiftguard::deployment::ComputePlatform;
    use shiftguard::deployment::DeploymentStatus::{Failed, InProgress, Succeeded};
    use shiftguard::fakes::{
        CodeDeployGroups, DeploymentsById, InMemoryFunction, ecs_appspec, env, lambda_appspec, secs_ago, summary,
    };
    use shiftguard::ports::DeploymentSummary;

    /// The fixture's event for `id` in `state`, 60 s before the invocation deadline.
    fn event(id: &str, state: &str) -> LambdaEvent<Value> {
        event_with_time_left(id, state, Duration::from_secs(60))
    }

    fn event_with_time_left(id: &str, state: &str, left: Duration) -> LambdaEvent<Value> {
        let mut e: Value = serde_json::from_str(include_str!(
            "../../../shared/tests/fixtures/deployment-state-change.json"
        ))
        .unwrap();
        e["detail"]["deploymentId"] = json!(id);
        e["detail"]["state"] = json!(state);
        let mut context = Context::default();
        context.deadline = (SystemTime::now() + left)
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        LambdaEvent::new(e, context)
    }

    type FakeDeps = Deps<CodeDeployGroups, DeploymentsById, InMemoryFunction>;

    /// The fixture's group, `orders/orders-live`, with `history`; no AppSpecs, no function.
    fn deps(history: Vec<DeploymentSummary>) -> FakeDeps {
        let group = GroupRef {
            application: "orders".into(),
            group: "orders-live".into(),
        };
        Deps {
            history: CodeDeployGroups::in_group(&group, history),
            deployments: DeploymentsById::default(),
            versions: InMemoryFunction::default(),
            config: DeployEventsConfig::from_lookup(&|_| None),
        }
    }

    fn names(out: &Value) -> Vec<String> {
        out["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["name"].as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn states_become_metric_names() {
        assert_eq!(count_metric("START"), "DeploymentStart");
        assert_eq!(count_metric("FAILURE"), "DeploymentFailure");
    }

    #[tokio::test]
    async fn a_start_is_only_counted() {
        let out = function_handler(&deps(vec![]), event("d-1", "START")).await.unwrap();
        assert_eq!(names(&out), vec!["DeploymentStart"]);
    }

    #[tokio::test]
    async fn a_success_after_a_failure_has_a_time_to_restore() {
        let history = vec![
            summary("d-0", Failed, secs_ago(900), secs_ago(600)),
            summary("d-1", Succeeded, secs_ago(300), secs_ago(0)),
        ];
        let out = function_handler(&deps(history), event("d-1", "SUCCESS")).await.unwrap();
        assert_eq!(
            names(&out),
            vec!["DeploymentSuccess", "DeploymentDuration", "TimeToRestore"]
        );
        let ttr = out["metrics"][2]["value"].as_f64().unwrap();
        assert!((599_000.0..=601_000.0).contains(&ttr), "{ttr}");
        let duration = out["metrics"][1]["value"].as_f64().unwrap();
        assert!((299_000.0..=301_000.0).contains(&duration), "{duration}");
    }

    #[tokio::test]
    async fn a_failure_has_a_duration_and_no_restore() {
        let out = function_handler(
            &deps(vec![summary("d-1", Failed, secs_ago(120), secs_ago(0))]),
            event("d-1", "FAILURE"),
        )
        .await
        .unwrap();
        assert_eq!(names(&out), vec!["DeploymentFailure", "DeploymentDuration"]);
    }

    #[tokio::test]
    async fn an_unknown_deployment_is_still_counted_and_the_problem_kept() {
        let out = function_handler(&deps(vec![]), event("d-404", "SUCCESS"))
            .await
            .unwrap();
        assert_eq!(names(&out), vec!["DeploymentSuccess"]);
        assert_eq!(out["problems"][0], "deployment d-404 was not found");
    }

    /// `orders` with versions 1 to `published`, `live` on 8 shifting to 7; `d-1` just succeeded
    /// (7 → 8), `d-2` is in flight from 8 back to 2; `VERSIONS_TO_KEEP` as given.
    fn orders(published: u64, keep: &str) -> FakeDeps {
        let mut d = deps(vec![
            summary("d-1", Succeeded, secs_ago(300), secs_ago(0)),
            summary("d-2", InProgress, secs_ago(60), None),
        ]);
        d.deployments = DeploymentsById::default()
            .with(
                "d-1",
                ComputePlatform::Lambda,
                Succeeded,
                lambda_appspec("orders", "live", "7", "8"),
            )
            .with(
                "d-2",
                ComputePlatform::Lambda,
                InProgress,
                lambda_appspec("orders", "live", "8", "2"),
            );
        d.versions = InMemoryFunction::published("orders", published).alias("live", &["8", "7"]);
        d.config = DeployEventsConfig::from_lookup(&env(&[("VERSIONS_TO_KEEP", keep)]));
        d
    }

    fn strings(out: &Value) -> Vec<String> {
        out.as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    }

    #[tokio::test]
    async fn a_success_deletes_what_no_alias_deployment_or_newness_keeps_and_a_second_run_nothing() {
        let deps = orders(8, "3");
        let out = function_handler(&deps, event("d-1", "SUCCESS")).await.unwrap();
        let pruning = &out["pruning"];
        assert_eq!(strings(&pruning["deleted"]), ["1", "3", "4", "5"], "{pruning}");
        assert_eq!(pruning["function"], "orders");
        assert_eq!(
            pruning["kept"],
            json!([
                {"version": "$LATEST", "reasons": ["$LATEST"]},
                {"version": "8", "reasons": ["newest 3", "aliased by live", "in flight in deployment d-2"]},
                {"version": "7", "reasons": ["newest 3", "aliased by live"]},
                {"version": "6", "reasons": ["newest 3"]},
                {"version": "2", "reasons": ["in flight in deployment d-2"]},
            ])
        );
        assert_eq!(pruning["errors"], json!([]));
        assert_eq!(deps.versions.versions(), ["$LATEST", "2", "6", "7", "8"]);
        let again = function_handler(&deps, event("d-1", "SUCCESS")).await.unwrap();
        assert_eq!(again["pruning"]["deleted"], json!([]), "{}", again["pruning"]);
        assert_eq!(deps.versions.deletes.lock().unwrap().len(), 4);
        // The metrics are still there.
        assert_eq!(names(&out)[0], "DeploymentSuccess");
    }

    #[tokio::test]
    async fn an_ecs_deployment_is_skipped_with_its_reason() {
        let mut deps = orders(8, "3");
        deps.deployments = DeploymentsById::default().with("d-1", ComputePlatform::Ecs, Succeeded, ecs_appspec());
        let out = function_handler(&deps, event("d-1", "SUCCESS")).await.unwrap();
        let skipped = out["pruning"]["skipped"].as_str().unwrap();
        assert!(skipped.contains("runs on ECS"), "{skipped}");
        assert!(deps.versions.deletes.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn versions_to_keep_zero_reads_and_deletes_nothing() {
        let deps = orders(8, "0");
        let out = function_handler(&deps, event("d-1", "SUCCESS")).await.unwrap();
        assert_eq!(out["pruning"]["skipped"], "VERSIONS_TO_KEEP is 0: pruning is off");
        assert_eq!(deps.deployments.lookups.load(std::sync::atomic::Ordering::SeqCst), 0);
        assert_eq!(deps.versions.versions().len(), 9);
    }

    #[tokio::test]
    async fn a_failing_delete_is_reported_not_raised_and_the_rest_waits() {
        let mut deps = orders(8, "3");
        deps.versions.fails_on = Some("3");
        let out = function_handler(&deps, event("d-1", "SUCCESS")).await.unwrap();
        let pruning = &out["pruning"];
        assert_eq!(strings(&pruning["deleted"]), ["1"]);
        assert_eq!(strings(&pruning["deferred"]), ["3", "4", "5"]);
        let error = pruning["errors"][0].as_str().unwrap();
        assert!(error.starts_with("DeleteFunction orders:3 failed"), "{error}");
    }

    #[tokio::test]
    async fn a_version_an_alias_took_after_the_listing_is_left_alone() {
        let mut deps = orders(8, "3");
        deps.versions.taken = Some("4");
        let out = function_handler(&deps, event("d-1", "SUCCESS")).await.unwrap();
        let pruning = &out["pruning"];
        assert_eq!(strings(&pruning["deleted"]), ["1", "3", "5"]);
        let why = pruning["left_alone"]["4"].as_str().unwrap();
        assert!(why.contains("aliases reference it"), "{why}");
        assert_eq!(pruning["errors"], json!([]));
    }

    #[tokio::test]
    async fn at_most_fifty_versions_go_per_event_and_the_next_success_continues() {
        let deps = orders(70, "3");
        let out = function_handler(&deps, event("d-1", "SUCCESS")).await.unwrap();
        // 70 versions: 70, 69, 68 newest; 8 and 7 aliased; 2 in flight; 64 to delete.
        assert_eq!(
            out["pruning"]["deleted"].as_array().unwrap().len(),
            pruning::MAX_DELETIONS
        );
        assert_eq!(out["pruning"]["deferred"].as_array().unwrap().len(), 14);
        let again = function_handler(&deps, event("d-1", "SUCCESS")).await.unwrap();
        assert_eq!(again["pruning"]["deleted"].as_array().unwrap().len(), 14);
        assert_eq!(deps.versions.versions(), ["$LATEST", "2", "7", "8", "68", "69", "70"]);
    }

    #[tokio::test]
    async fn an_unreadable_deployment_in_flight_stops_the_pruning() {
        let deps = orders(8, "3");
        deps.history.deployments.lock().unwrap().push((
            GroupRef {
                application: "orders".into(),
                group: "orders-live".into(),
            },
            summary("d-3", InProgress, None, None),
        ));
        let out = function_handler(&deps, event("d-1", "SUCCESS")).await.unwrap();
        let error = out["pruning"]["errors"][0].as_str().unwrap();
        assert!(error.starts_with("could not read deployment d-3, in flight"), "{error}");
        assert!(deps.versions.deletes.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn no_time_left_deletes_nothing_and_says_so() {
        let deps = orders(8, "3");
        let out = function_handler(&deps, event_with_time_left("d-1", "SUCCESS", Duration::from_secs(1)))
            .await
            .unwrap();
        let error = out["pruning"]["errors"][0].as_str().unwrap();
        assert!(error.contains("pruning deadline"), "{error}");
        assert!(deps.versions.deletes.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn only_a_success_prunes() {
        let deps = orders(8, "3");
        for state in ["START", "FAILURE", "STOP", "READY"] {
            let out = function_handler(&deps, event("d-1", state)).await.unwrap();
            assert!(out.get("pruning").is_none(), "{state}: {out}");
        }
        assert_eq!(deps.versions.versions().len(), 9);
    }
}
