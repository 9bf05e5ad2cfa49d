//! What `shiftguard validate` writes: the hooks' decision record (one JSON line, stdout) and a
//! short summary for a person reading the CodeDeploy agent's log (stderr).

use shiftguard::hook::check::CheckOutcome;
use shiftguard::hook::decision_record::{DecisionRecord, RECORD_KIND};
use shiftguard::hook::verdict::{Status, Verdict};

/// The lifecycle event `shiftguard validate` is written for.
pub const VALIDATE_SERVICE: &str = "ValidateService";

/// What the CodeDeploy agent tells a hook script, in its environment: `LIFECYCLE_EVENT`,
/// `DEPLOYMENT_ID`, `APPLICATION_NAME`, `DEPLOYMENT_GROUP_NAME` (and `DEPLOYMENT_GROUP_ID`):
/// aws/aws-codedeploy-agent, `lib/instance_agent/plugins/codedeploy/hook_executor.rb`
/// (`@child_envs`). Each is absent when run by hand.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentEnvironment {
    pub lifecycle_event: Option<String>,
    pub deployment_id: Option<String>,
    pub application: Option<String>,
    pub deployment_group: Option<String>,
}

impl AgentEnvironment {
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Self {
        let get = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        AgentEnvironment {
            lifecycle_event: get("LIFECYCLE_EVENT"),
            deployment_id: get("DEPLOYMENT_ID"),
            application: get("APPLICATION_NAME"),
            deployment_group: get("DEPLOYMENT_GROUP_NAME"),
        }
    }
}

/// The decision record of a run: every probe's outcome, the verdict, the deadline as input.
pub fn decision_record(
    agent: AgentEnvironment,
    checks: Vec<CheckOutcome>,
    inputs: serde_json::Value,
    elapsed_ms: u64,
) -> DecisionRecord {
    let verdict = Verdict::of_checks(&checks);
    DecisionRecord {
        record: RECORD_KIND,
        hook: "shiftguard validate",
        lifecycle_event: agent.lifecycle_event.unwrap_or_else(|| VALIDATE_SERVICE.to_string()),
        deployment_id: agent.deployment_id,
        hook_execution_id: None,
        application: agent.application,
        deployment_group: agent.deployment_group,
        target: None,
        checks,
        inputs,
        verdict: verdict.status,
        reasons: verdict.reasons,
        settings: None,
        dry_run: false,
        reported: verdict.status,
        elapsed_ms,
    }
}

/// One line a probe, then the verdict: what the agent's log shows.
pub fn summary(record: &DecisionRecord) -> String {
    let mut out = String::new();
    for check in &record.checks {
        let attempts = check.measured.get("attempts").and_then(|a| a.as_u64()).unwrap_or(0);
        let tries = if attempts == 1 { "attempt" } else { "attempts" };
        let latency = check
            .measured
            .get("latency_ms")
            .and_then(|l| l.as_u64())
            .map(|ms| format!(", {ms} ms"))
            .unwrap_or_default();
        let result = if check.passed { "passed" } else { "FAILED" };
        out.push_str(&format!(
            "shiftguard validate: {} {result} ({attempts} {tries}{latency})",
            check.name
        ));
        if !check.passed && !check.reasons.is_empty() {
            out.push_str(&format!(": {}", check.reasons.join("; ")));
        }
        out.push('\n');
    }
    let verdict = match record.verdict {
        Status::Succeeded => "Succeeded",
        Status::Failed => "Failed",
    };
    out.push_str(&format!(
        "shiftguard validate: {verdict} in {} ms: {}\n",
        record.elapsed_ms,
        record.reasons.join("; ")
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn outcome(name: &str, passed: bool, attempts: u64) -> CheckOutcome {
        CheckOutcome {
            passed,
            measured: json!({"attempts": attempts, "latency_ms": 12}),
            reasons: if passed {
                vec![]
            } else {
                vec!["status 503, expected 2xx".into()]
            },
            ..CheckOutcome::not_run(name, "http", "")
        }
    }

    #[test]
    fn the_record_names_the_deployment_the_agent_gave_and_fails_on_any_failed_probe() {
        let agent = AgentEnvironment::from_lookup(|k| match k {
            "DEPLOYMENT_ID" => Some("d-ABC123".into()),
            "APPLICATION_NAME" => Some("orders".into()),
            "LIFECYCLE_EVENT" => Some("ValidateService".into()),
            "DEPLOYMENT_GROUP_NAME" => Some(" ".into()),
            _ => None,
        });
        let record = decision_record(
            agent,
            vec![outcome("health", true, 1), outcome("orders", false, 3)],
            json!({"deadline_ms": 1000}),
            40,
        );
        let line = serde_json::to_value(&record).unwrap();
        assert_eq!(line["record"], "shiftguard.decision");
        assert_eq!(line["deployment_id"], "d-ABC123");
        assert_eq!(line["verdict"], "Failed");
        assert!(line.get("deployment_group").is_none() && line.get("hook_execution_id").is_none());
        assert_eq!(
            summary(&record),
            "shiftguard validate: health passed (1 attempt, 12 ms)\n\
             shiftguard validate: orders FAILED (3 attempts, 12 ms): status 503, expected 2xx\n\
             shiftguard validate: Failed in 40 ms: orders: status 503, expected 2xx\n"
        );
    }

    #[test]
    fn by_hand_it_is_the_validate_service_event_and_no_probe_is_a_failure() {
        let record = decision_record(AgentEnvironment::default(), vec![], json!(null), 0);
        assert_eq!(record.lifecycle_event, VALIDATE_SERVICE);
        assert_eq!(record.verdict, Status::Failed);
        assert_eq!(record.reasons, ["no check ran"]);
    }
}
