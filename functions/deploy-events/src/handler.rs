//! The deploy-events handler: one CloudWatch EMF line per deployment state change, with a count
//! per state, the duration of a finished deployment, and the time to restore after a failure.

use std::time::{Duration, SystemTime};

use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::{Value, json};
use shiftguard::config::env::ConfigError;
use shiftguard::delivery::deployment_event::{DeploymentState, DeploymentStateChange, parse_deployment_event};
use shiftguard::delivery::emf::{EmfMetric, emf_document};
use shiftguard::delivery::metrics::{deployment_duration, time_to_restore};
use shiftguard::deployment::DeploymentStatus;
use shiftguard::eventbridge::{Incoming, InvocationError};
use shiftguard::ports::DeploymentHistory;
use shiftguard::rollback::deployment_group::GroupRef;

use crate::config::DeployEventsConfig;

/// Earlier deployments are looked for this far before the restoring one was created.
pub const HISTORY: Duration = Duration::from_secs(30 * 24 * 3600);

pub struct Deps<C> {
    pub history: C,
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

pub async fn function_handler<C: DeploymentHistory>(
    deps: &Deps<C>,
    event: LambdaEvent<Value>,
) -> Result<Value, Diagnostic> {
    let change = match parse_deployment_event(event.payload).map_err(InvocationError::from)? {
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
    Ok(json!({
        "metrics": metrics.iter().map(|m| json!({"name": m.name, "value": m.value, "unit": m.unit})).collect::<Vec<_>>(),
        "problems": problems,
    }))
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
    use shiftguard::deployment::DeploymentStatus::{Failed, Succeeded};
    use shiftguard::fakes::{CodeDeployGroups, secs_ago, summary};
    use shiftguard::ports::DeploymentSummary;

    fn event(id: &str, state: &str) -> LambdaEvent<Value> {
        let mut e: Value = serde_json::from_str(include_str!(
            "../../../shared/tests/fixtures/deployment-state-change.json"
        ))
        .unwrap();
        e["detail"]["deploymentId"] = json!(id);
        e["detail"]["state"] = json!(state);
        LambdaEvent::new(e, Context::default())
    }

    /// The fixture's group, `orders/orders-live`, with `history`.
    fn deps(history: Vec<DeploymentSummary>) -> Deps<CodeDeployGroups> {
        let group = GroupRef {
            application: "orders".into(),
            group: "orders-live".into(),
        };
        Deps {
            history: CodeDeployGroups::in_group(&group, history),
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
}
