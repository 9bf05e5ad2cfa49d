//! What the canary judge writes for each in-flight deployment each tick: one log line that is both
//! the decision record (Logs Insights reads its fields) and, for a judged deployment, the evidence
//! as CloudWatch metrics in embedded metric format (`RelativeEvidence`, `CeilingEvidence`,
//! `CanaryStopped`, by `Application` and `DeploymentGroup`), so a team can graph the evidence and
//! alarm on it.

use serde::Serialize;
use serde_json::{Value, json};
use shiftguard::canary::judge::{Evidence, Watch};
use shiftguard::canary::per_minute::AliasVersions;
use shiftguard::delivery::emf::{EmfMetric, emf_document};
use shiftguard::settings::effective::SettingsRecord;

/// What the judge did with one deployment this tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Evidence of a regression: stopped, CodeDeploy rolls it back.
    Stopped,
    /// Evidence of a regression, but the deployment had completed meanwhile (a second tick's
    /// stop, or the hook's verdict came first).
    AlreadyCompleted,
    /// Evidence of a regression, and the stop failed: the next tick tries again.
    StopFailed,
    /// Evidence of a regression, not stopped: the group's `DRY_RUN` is set.
    DryRun,
    /// No evidence of a regression yet.
    Watching,
    /// Judged from its first complete minute on.
    Waiting,
    /// Not for the canary judge (a rollback, ECS, no old version, opted out).
    Skipped,
    /// Could not be judged this tick: the next tick tries again.
    Problem,
}

impl Decision {
    /// Whether the invocation should fail, so that Lambda's `Errors` metric shows it.
    pub fn is_failure(self) -> bool {
        matches!(self, Decision::StopFailed | Decision::Problem)
    }
}

/// The new and the old of a judged deployment, as the record names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum JudgedTarget {
    Lambda {
        function: String,
        alias: String,
        new_version: String,
        old_version: String,
    },
    Ecs {
        load_balancer: String,
        replacement_target_group: String,
        original_target_group: String,
    },
}

impl JudgedTarget {
    pub fn lambda(v: &AliasVersions) -> JudgedTarget {
        JudgedTarget::Lambda {
            function: v.function.clone(),
            alias: v.alias.clone(),
            new_version: v.new.clone(),
            old_version: v.old.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Record {
    pub deployment_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_group: Option<String>,
    pub decision: Decision,
    pub reasons: Vec<String>,
    /// What was compared: a function's two versions, or an ECS deployment's two target groups.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub target: Option<JudgedTarget>,
    /// Complete minutes judged, from the deployment's creation minute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minutes: Option<usize>,
    /// Every minute's evidence when the judge stops the deployment; the last one otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<Evidence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relative_threshold: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ceiling_threshold: Option<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The group's settings documents and where each setting came from (judged deployments).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settings: Option<SettingsRecord>,
}

impl Record {
    /// A deployment left unjudged, and why.
    pub fn left(deployment_id: &str, decision: Decision, reason: String) -> Record {
        Record {
            deployment_id: deployment_id.to_string(),
            application: None,
            deployment_group: None,
            decision,
            reasons: vec![reason],
            target: None,
            minutes: None,
            evidence: Vec::new(),
            relative_threshold: None,
            ceiling_threshold: None,
            warnings: Vec::new(),
            settings: None,
        }
    }

    pub fn in_group(mut self, application: &str, group: &str) -> Record {
        self.application = Some(application.to_string());
        self.deployment_group = Some(group.to_string());
        self
    }

    pub fn with_target(mut self, target: JudgedTarget) -> Record {
        self.target = Some(target);
        self
    }

    /// The looks' evidence: every minute when they stopped the deployment, the last one otherwise.
    pub fn with_watch(mut self, watch: &Watch) -> Record {
        self.minutes = Some(watch.evidence.len());
        self.evidence = match watch.stop {
            Some(_) => watch.evidence.clone(),
            None => watch.evidence.last().cloned().into_iter().collect(),
        };
        self.relative_threshold = Some(watch.relative_threshold);
        self.ceiling_threshold = Some(watch.ceiling_threshold);
        self
    }

    /// The log line: an EMF document with the evidence as metrics where there is evidence, the
    /// record's fields as its other members.
    pub fn log_line(&self, namespace: &str, timestamp_ms: u64) -> Value {
        let fields = serde_json::to_value(self).unwrap_or_else(|e| json!({"record_error": e.to_string()}));
        let properties: Vec<(&str, Value)> = fields
            .as_object()
            .map(|o| o.iter().map(|(k, v)| (k.as_str(), v.clone())).collect())
            .unwrap_or_default();
        let (Some(app), Some(group), Some(last)) = (&self.application, &self.deployment_group, self.evidence.last())
        else {
            return fields;
        };
        let metrics = [
            EmfMetric {
                name: "RelativeEvidence".into(),
                unit: "None",
                value: last.relative,
            },
            EmfMetric {
                name: "CeilingEvidence".into(),
                unit: "None",
                value: last.ceiling,
            },
            EmfMetric {
                name: "CanaryStopped".into(),
                unit: "Count",
                value: if self.decision == Decision::Stopped { 1.0 } else { 0.0 },
            },
        ];
        // "A metric target MUST be a numeric value" (EMF specification): the evidence is capped
        // and finite, and anything else is left out rather than written as null.
        let metrics: Vec<EmfMetric> = metrics.into_iter().filter(|m| m.value.is_finite()).collect();
        let dimensions = [("Application", app.as_str()), ("DeploymentGroup", group.as_str())];
        emf_document(namespace, &dimensions, &metrics, &properties, timestamp_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shiftguard::delivery::emf::validate_emf;

    fn evidence(minute: usize, relative: f64) -> Evidence {
        Evidence {
            minute,
            relative,
            ceiling: 1.0,
            rate_ratio: Some(2.0),
            new_error_rate: Some(0.02),
        }
    }

    #[test]
    fn a_judged_deployment_is_a_valid_emf_line_and_a_left_one_a_plain_record() {
        let watch = Watch {
            evidence: vec![evidence(1, 2.0), evidence(2, 30.0)],
            stop: None,
            relative_threshold: 25.0,
            ceiling_threshold: 100.0,
        };
        let record = Record::left("d-1", Decision::Watching, "no regression shown".into())
            .in_group("orders", "live")
            .with_watch(&watch);
        assert_eq!(
            record.evidence,
            vec![evidence(2, 30.0)],
            "only the last minute while watching"
        );
        let line = record.log_line("Shiftguard/Deployments", 1_800_000_000_000);
        validate_emf(&line).unwrap();
        assert_eq!(line["RelativeEvidence"], 30.0);
        assert_eq!(line["decision"], "watching");
        assert_eq!(line["DeploymentGroup"], "live");

        let left = Record::left("d-2", Decision::Skipped, "a rollback".into());
        let line = left.log_line("Shiftguard/Deployments", 0);
        assert!(line.get("_aws").is_none(), "no metric without evidence: {line}");
        assert_eq!(line["reasons"][0], "a rollback");
        assert!(Decision::Problem.is_failure() && !Decision::Skipped.is_failure());
    }
}
