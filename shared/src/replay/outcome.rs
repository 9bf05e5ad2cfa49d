//! What shiftguard would have done with a past deployment, beside what CodeDeploy did: the canary
//! judge's first stop, else post-traffic's verdict after the shift, with the evidence minute by
//! minute.

use serde::Serialize;

use crate::canary::judge::{Test, Watch};
use crate::canary::minute::Minute;
use crate::deployment::DeploymentStatus;
use crate::hook::check::CheckOutcome;
use crate::settings::effective::SettingsRecord;
use crate::target::deployment_target::DeploymentTarget;

/// shiftguard's decision on one deployment.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Would {
    /// The canary judge would have stopped it (and CodeDeploy rolled it back) once this many
    /// whole minutes were complete.
    Stop { minute: usize, test: Test, reason: String },
    /// It would have run through the shift, and post-traffic would have failed it.
    FailAfterShift { reasons: Vec<String> },
    /// Both would have let it through.
    Pass,
    /// Not judged, and why: nothing to read (too old, still in progress, a rollback, EC2).
    Skipped { reason: String },
    /// Not judged: what could not be read or applied.
    Problem { reason: String },
}

impl Would {
    /// The canary judge's first stop, else post-traffic's failed checks, else a pass. `watch` is
    /// `None` where the canary judge does not watch the deployment (no old version beside the new).
    pub fn decide(watch: Option<&Watch>, checks: &[CheckOutcome]) -> Would {
        if let Some(stop) = watch.and_then(|w| w.stop.as_ref()) {
            return Would::Stop {
                minute: stop.minute,
                test: stop.test,
                reason: stop.reason.clone(),
            };
        }
        let failed: Vec<String> = checks
            .iter()
            .filter(|c| !c.passed)
            .map(|c| match c.reasons.is_empty() {
                true => format!("{} failed", c.name),
                false => format!("{}: {}", c.name, c.reasons.join("; ")),
            })
            .collect();
        if failed.is_empty() {
            Would::Pass
        } else {
            Would::FailAfterShift { reasons: failed }
        }
    }

    /// Whether it would have rolled the deployment back; `None` when not judged.
    pub fn rolls_back(&self) -> Option<bool> {
        match self {
            Would::Stop { .. } | Would::FailAfterShift { .. } => Some(true),
            Would::Pass => Some(false),
            Would::Skipped { .. } | Would::Problem { .. } => None,
        }
    }
}

/// What CodeDeploy did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodeDeployOutcome {
    pub status: String,
    /// Seconds since the Unix epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<u64>,
}

/// One judged minute: both versions' counts and the evidence once it was counted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MinuteRow {
    /// 1-based.
    pub minute: usize,
    pub new_calls: u64,
    pub new_errors: u64,
    pub old_calls: u64,
    pub old_errors: u64,
    /// The relative test's e-value after this minute.
    pub relative: f64,
    /// The ceiling's e-value after this minute.
    pub ceiling: f64,
}

/// The minutes beside the watch's evidence of each.
pub fn minute_rows(minutes: &[Minute], watch: &Watch) -> Vec<MinuteRow> {
    minutes
        .iter()
        .zip(&watch.evidence)
        .map(|(m, e)| MinuteRow {
            minute: e.minute,
            new_calls: m.new.invocations,
            new_errors: m.new.errors,
            old_calls: m.old.invocations,
            old_errors: m.old.errors,
            relative: e.relative,
            ceiling: e.ceiling,
        })
        .collect()
}

/// One deployment replayed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Replayed {
    pub deployment_id: String,
    pub application: String,
    pub deployment_group: String,
    pub compute_platform: String,
    pub codedeploy: CodeDeployOutcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<DeploymentTarget>,
    pub shiftguard: Would,
    /// Whether shiftguard and CodeDeploy ended the same way (both let it through, or both
    /// rolled it back); `None` when not judged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agrees: Option<bool>,
    /// The canary judge's minutes, with the evidence after each (empty where it does not watch).
    pub minutes: Vec<MinuteRow>,
    /// The canary judge's thresholds, where it watched: an e-value at or over one stops.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thresholds: Option<Thresholds>,
    /// Post-traffic's checks after the shift.
    pub checks: Vec<CheckOutcome>,
    /// Where each setting came from (absent when the settings could not be applied).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settings: Option<SettingsRecord>,
    /// What the replay could not do as the functions would have (e.g. the canary judge does not
    /// watch a deployment without an old version).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The e-values at which the canary judge stops.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Thresholds {
    pub relative: f64,
    pub ceiling: f64,
}

impl Replayed {
    /// Sets shiftguard's decision, and whether CodeDeploy ended the same way.
    pub fn decided(mut self, would: Would) -> Self {
        let codedeploy_rolled_back = match self.codedeploy.status.as_str() {
            s if s == DeploymentStatus::Succeeded.as_str() => Some(false),
            s if s == DeploymentStatus::Failed.as_str() || s == DeploymentStatus::Stopped.as_str() => Some(true),
            _ => None,
        };
        self.agrees = would.rolls_back().zip(codedeploy_rolled_back).map(|(a, b)| a == b);
        self.shiftguard = would;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canary::judge::{Evidence, Stop};
    use crate::canary::minute::Counts;
    use serde_json::json;

    fn watch(stop: Option<usize>) -> Watch {
        Watch {
            evidence: (1..=3)
                .map(|minute| Evidence {
                    minute,
                    relative: minute as f64,
                    ceiling: 0.5,
                    rate_ratio: None,
                    new_error_rate: None,
                })
                .collect(),
            stop: stop.map(|minute| Stop {
                minute,
                test: Test::Relative,
                reason: "the new version fails more often".into(),
            }),
            relative_threshold: 40.0,
            ceiling_threshold: 40.0,
        }
    }

    fn check(name: &str, passed: bool) -> CheckOutcome {
        CheckOutcome {
            passed,
            reasons: if passed { vec![] } else { vec!["too many errors".into()] },
            ..CheckOutcome::not_run(name, "lambda", "")
        }
    }

    fn replayed(status: &str) -> Replayed {
        Replayed {
            deployment_id: "d-1".into(),
            application: "orders".into(),
            deployment_group: "live".into(),
            compute_platform: "Lambda".into(),
            codedeploy: CodeDeployOutcome {
                status: status.into(),
                created_at: None,
                completed_at: None,
            },
            target: None,
            shiftguard: Would::Pass,
            agrees: None,
            minutes: vec![],
            thresholds: None,
            checks: vec![],
            settings: None,
            notes: vec![],
        }
    }

    #[test]
    fn the_canary_judges_stop_comes_first_then_post_traffics_failures() {
        let failing = [check("error_rate", false), check("p99", true)];
        assert_eq!(
            Would::decide(Some(&watch(Some(2))), &failing),
            Would::Stop {
                minute: 2,
                test: Test::Relative,
                reason: "the new version fails more often".into()
            }
        );
        assert_eq!(
            Would::decide(Some(&watch(None)), &failing),
            Would::FailAfterShift {
                reasons: vec!["error_rate: too many errors".into()]
            }
        );
        assert_eq!(Would::decide(None, &failing[1..]), Would::Pass);
    }

    #[test]
    fn agreement_is_both_rolling_back_or_both_letting_through() {
        let stop = Would::decide(Some(&watch(Some(2))), &[]);
        assert_eq!(replayed("Stopped").decided(stop.clone()).agrees, Some(true));
        assert_eq!(replayed("Succeeded").decided(stop).agrees, Some(false));
        assert_eq!(replayed("Succeeded").decided(Would::Pass).agrees, Some(true));
        assert_eq!(replayed("Failed").decided(Would::Pass).agrees, Some(false));
        let skipped = Would::Skipped {
            reason: "too old".into(),
        };
        assert_eq!(replayed("Succeeded").decided(skipped).agrees, None);
    }

    #[test]
    fn rows_pair_each_minute_with_its_evidence_and_the_decision_serialises_tagged() {
        let minutes = vec![Minute::new(Counts::new(10, 1), Counts::new(90, 0)); 3];
        let rows = minute_rows(&minutes, &watch(None));
        assert_eq!(rows.len(), 3);
        assert_eq!((rows[2].minute, rows[2].new_errors, rows[2].relative), (3, 1, 3.0));
        let stop = Would::decide(Some(&watch(Some(2))), &[]);
        assert_eq!(
            serde_json::to_value(&stop).unwrap(),
            json!({"decision": "stop", "minute": 2, "test": "relative", "reason": "the new version fails more often"})
        );
    }
}
