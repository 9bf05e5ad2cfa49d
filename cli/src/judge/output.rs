//! One output line of `shiftguard judge`: where the minute-by-minute looks stopped the deployment,
//! the AfterAllowTraffic verdict after the last minute, and the evidence behind both.

use serde::Serialize;
use shiftguard::canary::final_look::FinalTest;
use shiftguard::canary::judge::{Evidence, Judge, Test, Verdict};
use shiftguard::hook::verdict::Status;

/// The settings the judge ran with, the defaults filled in, named as in the environment.
#[derive(Debug, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub struct Settings {
    pub confidence: f64,
    pub max_error_rate: f64,
}

/// The e-values at which the looks stop the deployment.
#[derive(Debug, Serialize)]
pub struct Thresholds {
    pub relative: f64,
    pub ceiling: f64,
}

/// The exact tests after the last minute.
#[derive(Debug, Serialize)]
pub struct FinalLook {
    pub relative: FinalTest,
    /// `null` when `MAX_ERROR_RATE` is 100.
    pub ceiling: Option<FinalTest>,
}

#[derive(Debug, Serialize)]
pub struct Judged {
    /// The input line this answers (1-based), so that a reader can match answers to input when a
    /// bad line has none.
    pub line: usize,
    /// The 1-based minute at which a minute-by-minute look stops the deployment, or `null`.
    pub rollback_at: Option<usize>,
    /// The AfterAllowTraffic verdict after the last minute: `Failed` when rolled back.
    #[serde(rename = "final")]
    pub final_status: Status,
    /// The test whose look stopped it, `relative` (against the old version) or `ceiling`
    /// (against `MAX_ERROR_RATE`), or `null`.
    pub stopped_by: Option<Test>,
    pub reasons: Vec<String>,
    pub settings: Settings,
    /// 1 − `CONFIDENCE`: false rollbacks over every look together.
    pub alpha: f64,
    pub thresholds: Thresholds,
    /// After each minute, every minute so far counted.
    pub evidence: Vec<Evidence>,
    pub final_look: FinalLook,
}

impl Judged {
    pub fn new(line: usize, judge: &Judge, verdict: Verdict) -> Judged {
        let s = judge.settings();
        let stop = verdict.watch.stop.as_ref();
        Judged {
            line,
            rollback_at: stop.map(|s| s.minute),
            final_status: if verdict.failed {
                Status::Failed
            } else {
                Status::Succeeded
            },
            stopped_by: stop.map(|s| s.test),
            reasons: verdict.reasons,
            settings: Settings {
                confidence: s.confidence,
                max_error_rate: s.max_error_rate_pct,
            },
            alpha: s.alpha(),
            thresholds: Thresholds {
                relative: verdict.watch.relative_threshold,
                ceiling: verdict.watch.ceiling_threshold,
            },
            evidence: verdict.watch.evidence,
            final_look: FinalLook {
                relative: verdict.relative,
                ceiling: verdict.ceiling,
            },
        }
    }
}
