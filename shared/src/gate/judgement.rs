//! The post-traffic judgement: the new version's error rate on real traffic, with minimum-sample
//! rules, then latency and throttles, then `METRIC_CHECKS`. Pure: numbers in, outcomes out.
//!
//! A Lambda deployment whose AppSpec names both versions (through an alias) is judged by the
//! canary judge's final look ([`judge_lambda_minutes`]) on the per-minute counts of both versions
//! over every complete minute from the deployment's start, so that the false-rollback bound
//! α = 1 − `CONFIDENCE` covers the canary judge's minute-by-minute looks and this one together
//! (docs/canary-judge.md). In this order:
//! 1. the judge's verdict failed (a look's stop, or its final tests on the relative risk and on
//!    `MAX_ERROR_RATE`): Failed, however few the calls;
//! 2. else fewer than `MIN_INVOCATIONS` calls of the new version over those minutes:
//!    inconclusive, resolved by `ON_INSUFFICIENT_DATA`;
//! 3. `MAX_P99_MS` and `MAX_THROTTLES`, where set; otherwise Succeeded.
//!
//! Without a `CurrentVersion` (nothing to compare with) the one look over the window remains
//! ([`judge_lambda`]), with n invocations and k errors of the new version:
//! 1. the Wilson lower bound of k/n (one-sided at `CONFIDENCE`) above `MAX_ERROR_RATE`: Failed,
//!    however small n is;
//! 2. else n < `MIN_INVOCATIONS`: inconclusive, resolved by `ON_INSUFFICIENT_DATA`;
//! 3. else k/n above `MAX_ERROR_RATE`: Failed;
//! 4. `MAX_P99_MS` and `MAX_THROTTLES`, where set; otherwise Succeeded.
//!
//! The ratio `METRIC_CHECKS` use the one look's steps 1–3 ([`judge_rate`]).

use serde_json::json;

use crate::canary::judge::{Judge, Verdict as JudgeVerdict};
use crate::canary::minute::{Counts, Minute};
use crate::gate::metric_checks::{MetricCheck, MetricCheckKind};
use crate::gate::settings::{GateSettings, OnInsufficientData};
use crate::gate::statistics::{rate, sanitize, wilson_lower_bound, z_one_sided};
use crate::hook::check::CheckOutcome;

/// What CloudWatch said about one version over the window (`None`: no datapoints).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VersionMetrics {
    pub version: String,
    pub invocations: Option<f64>,
    pub errors: Option<f64>,
    pub throttles: Option<f64>,
    pub p99_ms: Option<f64>,
}

/// How steps 1–3 ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateDecision {
    Failed,
    Inconclusive,
    Passed,
}

/// Marks `outcome` inconclusive and resolves it by `ON_INSUFFICIENT_DATA`: a note when it passes,
/// a reason when it fails. Never a silent pass.
fn resolve_insufficient(outcome: &mut CheckOutcome, why: String, settings: &GateSettings) {
    outcome.inconclusive = true;
    match settings.on_insufficient_data {
        OnInsufficientData::Pass => {
            outcome.passed = true;
            outcome.note = Some(format!("{why}; ON_INSUFFICIENT_DATA=pass"));
        }
        OnInsufficientData::Fail => {
            outcome.passed = false;
            outcome.reasons.push(format!("{why}; ON_INSUFFICIENT_DATA=fail"));
        }
    }
}

fn pct(x: f64) -> f64 {
    (x * 100.0 * 10_000.0).round() / 10_000.0
}

/// Steps 1–3 for `k` bad out of `n`, against `max_rate_pct`; shared by the Lambda error rate and
/// the ratio `METRIC_CHECKS`. `what` names the counts (e.g. `("errors", "invocations")`),
/// `threshold` the setting (e.g. `MAX_ERROR_RATE`).
pub fn judge_rate(
    name: &str,
    kind: &str,
    (k, n): (f64, f64),
    max_rate_pct: f64,
    settings: &GateSettings,
    (bad, calls): (&str, &str),
    threshold: &str,
) -> (CheckOutcome, RateDecision) {
    let (k_raw, n_raw) = (k, n);
    let (k, n) = sanitize(k, n);
    let z = z_one_sided(settings.confidence);
    let observed = rate(k, n);
    let lower = wilson_lower_bound(k, n, z);
    let max = max_rate_pct / 100.0;
    let conf = pct(settings.confidence);
    let mut measured = json!({
        calls: n, bad: k,
        "rate_pct": pct(observed),
        "wilson_lower_pct": pct(lower),
    });
    if k_raw > n_raw {
        measured["note"] = json!(format!(
            "{k_raw} {bad} reported for {n_raw} {calls} (metric lag?); counted as {k}"
        ));
    }
    let expected = json!({
        "max_rate_pct": max_rate_pct,
        "min_samples": settings.min_invocations,
        "confidence": settings.confidence,
        "on_insufficient_data": settings.on_insufficient_data,
    });
    let mut outcome = CheckOutcome {
        name: name.to_string(),
        kind: kind.to_string(),
        passed: true,
        measured,
        expected,
        reasons: Vec::new(),
        inconclusive: false,
        note: None,
    };
    let decision = if lower > max {
        outcome.passed = false;
        outcome.reasons.push(format!(
            "{k} {bad} in {n} {calls} ({:.2} %): at {conf} % confidence the rate is at least {:.2} %, above {threshold} ({max_rate_pct} %)",
            observed * 100.0,
            lower * 100.0
        ));
        RateDecision::Failed
    } else if n < settings.min_invocations as f64 {
        let why = format!(
            "inconclusive: {n} {calls}, fewer than MIN_INVOCATIONS ({})",
            settings.min_invocations
        );
        resolve_insufficient(&mut outcome, why, settings);
        RateDecision::Inconclusive
    } else if observed > max {
        outcome.passed = false;
        outcome.reasons.push(format!(
            "{k} {bad} in {n} {calls}: {:.2} % is above {threshold} ({max_rate_pct} %)",
            observed * 100.0
        ));
        RateDecision::Failed
    } else {
        RateDecision::Passed
    };
    (outcome, decision)
}

/// The one look (steps 1–4 above, for a Lambda deployment without a `CurrentVersion`), stopping
/// where the order decides.
pub fn judge_lambda(new: &VersionMetrics, settings: &GateSettings) -> Vec<CheckOutcome> {
    let counts = (new.errors.unwrap_or(0.0), new.invocations.unwrap_or(0.0));
    let (error_rate, decision) = judge_rate(
        "error-rate",
        "wilson-score",
        counts,
        settings.max_error_rate_pct,
        settings,
        ("errors", "invocations"),
        "MAX_ERROR_RATE",
    );
    let mut out = vec![error_rate];
    if decision != RateDecision::Passed {
        return out;
    }
    out.extend(latency_and_throttles(new, settings));
    out
}

/// A Lambda deployment's two versions over its complete minutes, oldest first: what
/// [`judge_lambda_minutes`] judges.
#[derive(Debug, Clone, PartialEq)]
pub struct MinuteSeries {
    /// The alias's `TargetVersion`.
    pub new_version: String,
    /// The alias's `CurrentVersion`.
    pub old_version: String,
    pub minutes: Vec<Minute>,
    /// The new version's `Duration` p99 over the same minutes, where asked for and counted.
    pub new_p99_ms: Option<f64>,
    /// The new version's `Throttles` over the same minutes, where asked for and counted.
    pub new_throttles: Option<f64>,
}

impl MinuteSeries {
    /// Each version's sums over every minute.
    pub fn totals(&self) -> (Counts, Counts) {
        self.minutes
            .iter()
            .fold((Counts::default(), Counts::default()), |(n, o), m| {
                (
                    Counts::new(n.invocations + m.new.invocations, n.errors + m.new.errors),
                    Counts::new(o.invocations + m.old.invocations, o.errors + m.old.errors),
                )
            })
    }
}

/// Three significant digits: enough for an e-value in a record. (Through the decimal text, so
/// that 1e300 stays 1e300 and 0.0123 is the double nearest to 0.0123.)
fn significant(x: f64) -> f64 {
    if !x.is_finite() {
        return x;
    }
    format!("{x:.2e}").parse().unwrap_or(x)
}

/// The column names of [`per_minute_evidence`]'s rows.
pub const EVIDENCE_COLUMNS: [&str; 6] = [
    "new_invocations",
    "new_errors",
    "old_invocations",
    "old_errors",
    "relative_e",
    "ceiling_e",
];

/// The verdict's evidence, one row a minute (see [`EVIDENCE_COLUMNS`]): the counts and both
/// tests' e-values after that minute, every earlier minute counted.
pub fn per_minute_evidence(minutes: &[Minute], verdict: &JudgeVerdict) -> serde_json::Value {
    let rows: Vec<serde_json::Value> = minutes
        .iter()
        .zip(&verdict.watch.evidence)
        .map(|(m, e)| {
            json!([
                m.new.invocations,
                m.new.errors,
                m.old.invocations,
                m.old.errors,
                significant(e.relative),
                significant(e.ceiling)
            ])
        })
        .collect();
    json!({"columns": EVIDENCE_COLUMNS, "rows": rows})
}

/// A Lambda deployment of both versions: the canary judge's final look on `series`, exactly as
/// the canary judge would make it (`judge` built from the same settings), then
/// `MIN_INVOCATIONS` / `ON_INSUFFICIENT_DATA` on the new version's calls over those minutes,
/// then `MAX_P99_MS` and `MAX_THROTTLES`; stopping where the order in the module's doc decides.
pub fn judge_lambda_minutes(series: &MinuteSeries, judge: &Judge, settings: &GateSettings) -> Vec<CheckOutcome> {
    let (new, old) = series.totals();
    let js = judge.settings();
    let expected = json!({
        "confidence": js.confidence,
        "alpha": js.alpha(),
        "relative_alpha": js.relative_alpha(),
        "ceiling_alpha": js.ceiling_alpha(),
        "max_error_rate_pct": js.max_error_rate_pct,
        "relative_threshold": significant(judge.relative_threshold()),
        "ceiling_threshold": significant(judge.ceiling_threshold()),
        "min_invocations": settings.min_invocations,
        "on_insufficient_data": settings.on_insufficient_data,
    });
    let mut measured = json!({
        "minutes": series.minutes.len(),
        "new_version": series.new_version,
        "new_invocations": new.invocations,
        "new_errors": new.errors,
        "old_version": series.old_version,
        "old_invocations": old.invocations,
        "old_errors": old.errors,
    });
    let mut outcome = CheckOutcome {
        name: "error-rate".into(),
        kind: "canary-judge".into(),
        passed: true,
        measured: json!(null),
        expected,
        reasons: Vec::new(),
        inconclusive: false,
        note: None,
    };
    let verdict = match judge.final_look(&series.minutes) {
        Ok(v) => v,
        Err(e) => {
            outcome.measured = measured;
            outcome.passed = false;
            outcome
                .reasons
                .push(format!("the per-minute counts cannot be judged: {e}"));
            return vec![outcome];
        }
    };
    measured["evidence"] = per_minute_evidence(&series.minutes, &verdict);
    measured["stop"] = json!(verdict.watch.stop);
    measured["relative"] = json!(verdict.relative);
    measured["ceiling"] = json!(verdict.ceiling);
    measured["reasons"] = json!(verdict.reasons);
    outcome.measured = measured;
    if verdict.failed {
        outcome.passed = false;
        outcome.reasons = verdict.reasons;
        return vec![outcome];
    }
    if new.invocations < settings.min_invocations {
        let why = format!(
            "inconclusive: {} invocations of the new version ({}) in {} complete minutes, fewer than MIN_INVOCATIONS ({})",
            new.invocations,
            series.new_version,
            series.minutes.len(),
            settings.min_invocations
        );
        resolve_insufficient(&mut outcome, why, settings);
        return vec![outcome];
    }
    outcome.note = Some(verdict.reasons.join("; "));
    let mut out = vec![outcome];
    let version = VersionMetrics {
        version: series.new_version.clone(),
        invocations: Some(new.invocations as f64),
        errors: Some(new.errors as f64),
        throttles: series.new_throttles,
        p99_ms: series.new_p99_ms,
    };
    out.extend(latency_and_throttles(&version, settings));
    out
}

/// `MAX_P99_MS` and `MAX_THROTTLES` of the new version, where set.
fn latency_and_throttles(new: &VersionMetrics, settings: &GateSettings) -> Vec<CheckOutcome> {
    let mut out = Vec::new();
    if let Some(max) = settings.max_p99_ms {
        out.push(bound_check(
            "p99-duration",
            "Duration p99 (ms)",
            new.p99_ms,
            (Some(max), None),
            "MAX_P99_MS",
            settings,
        ));
    }
    if let Some(max) = settings.max_throttles {
        // No Throttles datapoint means none were counted.
        let throttles = Some(new.throttles.unwrap_or(0.0));
        out.push(bound_check(
            "throttles",
            "Throttles",
            throttles,
            (Some(max), None),
            "MAX_THROTTLES",
            settings,
        ));
    }
    out
}

/// A value against bounds; no datapoints is inconclusive, resolved by `ON_INSUFFICIENT_DATA`.
fn bound_check(
    name: &str,
    what: &str,
    value: Option<f64>,
    (max, min): (Option<f64>, Option<f64>),
    setting: &str,
    settings: &GateSettings,
) -> CheckOutcome {
    let mut outcome = CheckOutcome {
        name: name.into(),
        kind: "threshold".into(),
        passed: true,
        measured: json!({ "value": value }),
        expected: json!({ "max": max, "min": min }),
        reasons: Vec::new(),
        inconclusive: false,
        note: None,
    };
    match value {
        None => resolve_insufficient(
            &mut outcome,
            format!("inconclusive: no {what} datapoints in the window"),
            settings,
        ),
        Some(v) => {
            if let Some(max) = max.filter(|m| v > *m) {
                outcome.passed = false;
                outcome.reasons.push(format!("{what} {v} is above {setting} ({max})"));
            }
            if let Some(min) = min.filter(|m| v < *m) {
                outcome.passed = false;
                outcome.reasons.push(format!("{what} {v} is below {setting} ({min})"));
            }
        }
    }
    outcome
}

/// The value(s) a `METRIC_CHECKS` entry read: (numerator, denominator) for a ratio, the one
/// value for a threshold; `None` where CloudWatch had no datapoints.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CheckValues {
    Ratio {
        numerator: Option<f64>,
        denominator: Option<f64>,
    },
    Single(Option<f64>),
}

/// Judges one `METRIC_CHECKS` entry.
pub fn judge_metric_check(check: &MetricCheck, values: CheckValues, settings: &GateSettings) -> CheckOutcome {
    match (&check.kind, values) {
        (
            MetricCheckKind::Ratio {
                numerator,
                denominator,
                max_rate_pct,
            },
            CheckValues::Ratio {
                numerator: k,
                denominator: n,
            },
        ) => {
            let (mut outcome, _) = judge_rate(
                &check.name,
                "ratio",
                (k.unwrap_or(0.0), n.unwrap_or(0.0)),
                *max_rate_pct,
                settings,
                (&numerator.metric, &denominator.metric),
                "max_rate",
            );
            outcome.expected["numerator"] = json!(numerator);
            outcome.expected["denominator"] = json!(denominator);
            outcome
        }
        (MetricCheckKind::Threshold { metric, max, min }, CheckValues::Single(value)) => {
            let what = format!("{} {}", metric.metric, metric.stat);
            let mut outcome = bound_check(&check.name, &what, value, (*max, *min), "the check's bound", settings);
            outcome.expected["metric"] = json!(metric);
            outcome
        }
        _ => CheckOutcome::not_run(
            &check.name,
            "metric",
            "internal error: values of the wrong shape for this check",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::metric_checks::parse_metric_checks;
    use crate::hook::verdict::{Status, Verdict};
    use proptest::prelude::*;

    fn version(v: &str, n: f64, k: f64) -> VersionMetrics {
        VersionMetrics {
            version: v.into(),
            invocations: Some(n),
            errors: Some(k),
            ..VersionMetrics::default()
        }
    }

    fn verdict(new: VersionMetrics, s: &GateSettings) -> (Status, Vec<String>) {
        let v = Verdict::of_checks(&judge_lambda(&new, s));
        (v.status, v.reasons)
    }

    fn defaults() -> GateSettings {
        GateSettings::default()
    }

    #[test]
    fn two_in_a_thousand_passes() {
        assert_eq!(verdict(version("7", 1000.0, 2.0), &defaults()).0, Status::Succeeded);
    }

    #[test]
    fn fifty_in_a_thousand_fails_on_the_wilson_bound() {
        let (status, reasons) = verdict(version("7", 1000.0, 50.0), &defaults());
        assert_eq!(status, Status::Failed);
        assert!(
            reasons[0].contains("at 95 % confidence the rate is at least 3.98 %"),
            "{reasons:?}"
        );
    }

    #[test]
    fn six_in_eight_is_not_too_little_data() {
        let (status, reasons) = verdict(version("7", 8.0, 6.0), &defaults());
        assert_eq!(status, Status::Failed);
        assert!(
            reasons[0].contains("6 errors in 8 invocations (75.00 %)"),
            "{reasons:?}"
        );
    }

    #[test]
    fn no_traffic_is_inconclusive_and_passes_by_default() {
        let checks = judge_lambda(
            &VersionMetrics {
                version: "7".into(),
                ..Default::default()
            },
            &defaults(),
        );
        assert_eq!(checks.len(), 1, "the chain stops at an inconclusive error rate");
        assert!(checks[0].inconclusive && checks[0].passed);
        let v = Verdict::of_checks(&checks);
        assert_eq!(v.status, Status::Succeeded);
        assert!(
            v.reasons[1]
                .contains("inconclusive: 0 invocations, fewer than MIN_INVOCATIONS (20); ON_INSUFFICIENT_DATA=pass"),
            "{:?}",
            v.reasons
        );
    }

    #[test]
    fn no_traffic_fails_when_asked_to() {
        let s = GateSettings {
            on_insufficient_data: OnInsufficientData::Fail,
            ..defaults()
        };
        let (status, reasons) = verdict(version("7", 0.0, 0.0), &s);
        assert_eq!(status, Status::Failed);
        assert!(reasons[0].contains("ON_INSUFFICIENT_DATA=fail"));
    }

    #[test]
    fn a_rate_just_above_the_threshold_fails_at_step_3() {
        // 15/1000: the Wilson bound (≈0.98 %) is below 1 %, the rate is not.
        let (status, reasons) = verdict(version("7", 1000.0, 15.0), &defaults());
        assert_eq!(status, Status::Failed);
        assert!(
            reasons[0].contains("1.50 % is above MAX_ERROR_RATE (1 %)"),
            "{reasons:?}"
        );
    }

    #[test]
    fn p99_and_throttles_are_checked_last() {
        let s = GateSettings {
            max_p99_ms: Some(500.0),
            max_throttles: Some(0.0),
            ..defaults()
        };
        let mut new = version("7", 1000.0, 0.0);
        new.p99_ms = Some(812.0);
        new.throttles = Some(3.0);
        let (status, reasons) = verdict(new, &s);
        assert_eq!(status, Status::Failed);
        assert_eq!(
            reasons,
            vec![
                "p99-duration: Duration p99 (ms) 812 is above MAX_P99_MS (500)",
                "throttles: Throttles 3 is above MAX_THROTTLES (0)"
            ]
        );
    }

    #[test]
    fn a_p99_without_datapoints_follows_on_insufficient_data() {
        let s = GateSettings {
            max_p99_ms: Some(500.0),
            on_insufficient_data: OnInsufficientData::Fail,
            ..defaults()
        };
        let (status, reasons) = verdict(version("7", 1000.0, 0.0), &s);
        assert_eq!(status, Status::Failed);
        assert!(reasons[0].contains("no Duration p99 (ms) datapoints"), "{reasons:?}");
    }

    #[test]
    fn metric_checks_judge_ratios_and_thresholds() {
        let checks = parse_metric_checks(include_str!("../../tests/fixtures/metric-checks.json")).unwrap();
        let s = defaults();
        let bad = judge_metric_check(
            &checks[0],
            CheckValues::Ratio {
                numerator: Some(40.0),
                denominator: Some(1000.0),
            },
            &s,
        );
        assert!(!bad.passed);
        assert!(
            bad.reasons[0].contains("40 HTTPCode_Target_5XX_Count in 1000 RequestCount"),
            "{:?}",
            bad.reasons
        );
        let good = judge_metric_check(
            &checks[0],
            CheckValues::Ratio {
                numerator: Some(1.0),
                denominator: Some(1000.0),
            },
            &s,
        );
        assert!(good.passed);
        let slow = judge_metric_check(&checks[1], CheckValues::Single(Some(950.0)), &s);
        assert_eq!(slow.reasons, vec!["Latency p99 950 is above the check's bound (800)"]);
        let none = judge_metric_check(&checks[1], CheckValues::Single(None), &s);
        assert!(none.passed && none.inconclusive);
    }

    fn series(minutes: Vec<Minute>) -> MinuteSeries {
        MinuteSeries {
            new_version: "7".into(),
            old_version: "6".into(),
            minutes,
            new_p99_ms: None,
            new_throttles: None,
        }
    }

    fn canary(new_errors: u64, minutes: usize) -> Vec<Minute> {
        // 2000 calls a minute, a 10 % canary, the old version at 1 %.
        vec![Minute::new(Counts::new(200, new_errors), Counts::new(1800, 18)); minutes]
    }

    fn judge() -> Judge {
        Judge::new(crate::canary::settings::JudgeSettings::new(0.95, 5.0).unwrap())
    }

    fn minutes_verdict(series: &MinuteSeries, s: &GateSettings) -> (Vec<CheckOutcome>, Verdict) {
        let checks = judge_lambda_minutes(series, &judge(), s);
        let v = Verdict::of_checks(&checks);
        (checks, v)
    }

    #[test]
    fn a_3x_regression_over_the_minutes_fails_with_the_judges_reason() {
        let (checks, v) = minutes_verdict(&series(canary(6, 10)), &defaults());
        assert_eq!(v.status, Status::Failed);
        assert_eq!(checks.len(), 1, "the chain stops at a failed error rate");
        assert_eq!(checks[0].kind, "canary-judge");
        assert!(
            v.reasons[0].starts_with("error-rate: minute 2: the new version fails 3.00x as often as the old one"),
            "{:?}",
            v.reasons
        );
        let m = &checks[0].measured;
        assert_eq!((m["minutes"].as_u64(), m["new_errors"].as_u64()), (Some(10), Some(60)));
        assert_eq!(m["stop"]["minute"], 2);
        let rows = m["evidence"]["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 10);
        assert_eq!(
            rows[0].as_array().unwrap()[..4],
            [json!(200), json!(6), json!(1800), json!(18)]
        );
        assert!(rows[1][4].as_f64().unwrap() >= checks[0].expected["relative_threshold"].as_f64().unwrap());
        assert_eq!(checks[0].expected["alpha"], 0.05);
    }

    #[test]
    fn a_healthy_canary_succeeds_and_says_why() {
        let (checks, v) = minutes_verdict(&series(canary(2, 10)), &defaults());
        assert_eq!(v.status, Status::Succeeded, "{:?}", v.reasons);
        assert!(!checks[0].inconclusive);
        assert!(
            v.reasons[1].starts_with("error-rate: no regression shown: relative evidence"),
            "{:?}",
            v.reasons
        );
    }

    #[test]
    fn the_final_look_fails_what_no_one_look_z_test_would_have_named() {
        // 1.5x for ten minutes: below every look's threshold, rejected by the exact final test.
        let (checks, v) = minutes_verdict(&series(canary(3, 10)), &defaults());
        assert_eq!(v.status, Status::Failed);
        assert!(checks[0].measured["stop"].is_null());
        assert!(
            v.reasons[0].starts_with("error-rate: final look: 30 of the 210 errors"),
            "{:?}",
            v.reasons
        );
    }

    #[test]
    fn too_few_calls_of_the_new_version_are_inconclusive_never_a_silent_pass() {
        let few = vec![Minute::new(Counts::new(3, 0), Counts::new(300, 3)); 5];
        let (checks, v) = minutes_verdict(&series(few.clone()), &defaults());
        assert!(checks[0].inconclusive && checks[0].passed);
        assert_eq!(v.status, Status::Succeeded);
        assert!(
            v.reasons[1].contains(
                "inconclusive: 15 invocations of the new version (7) in 5 complete minutes, fewer than MIN_INVOCATIONS (20); ON_INSUFFICIENT_DATA=pass"
            ),
            "{:?}",
            v.reasons
        );
        let fail = GateSettings {
            on_insufficient_data: OnInsufficientData::Fail,
            ..defaults()
        };
        let (_, v) = minutes_verdict(&series(few), &fail);
        assert_eq!(v.status, Status::Failed);
        assert!(v.reasons[0].ends_with("ON_INSUFFICIENT_DATA=fail"), "{:?}", v.reasons);
        // No complete minute at all: the same.
        let (checks, _) = minutes_verdict(&series(Vec::new()), &defaults());
        assert!(checks[0].inconclusive);
    }

    #[test]
    fn few_calls_that_already_show_a_regression_fail() {
        // 15 calls, all failing, against a 5 % ceiling: no need for MIN_INVOCATIONS calls.
        let bad = vec![Minute::new(Counts::new(3, 3), Counts::new(300, 3)); 5];
        let (checks, v) = minutes_verdict(&series(bad), &defaults());
        assert_eq!(v.status, Status::Failed, "{:?}", v.reasons);
        assert!(!checks[0].inconclusive);
    }

    #[test]
    fn p99_and_throttles_follow_a_passing_judge() {
        let s = GateSettings {
            max_p99_ms: Some(500.0),
            max_throttles: Some(0.0),
            ..defaults()
        };
        let mut slow = series(canary(2, 10));
        slow.new_p99_ms = Some(812.0);
        let (checks, v) = minutes_verdict(&slow, &s);
        assert_eq!(checks.len(), 3);
        assert_eq!(
            v.reasons,
            vec!["p99-duration: Duration p99 (ms) 812 is above MAX_P99_MS (500)"],
            "no Throttles datapoint is none counted"
        );
    }

    #[test]
    fn counts_that_cannot_be_complete_fail_naming_the_minute() {
        let bad = vec![Minute::new(Counts::new(3, 4), Counts::new(300, 3))];
        let (_, v) = minutes_verdict(&series(bad), &defaults());
        assert_eq!(v.status, Status::Failed);
        assert!(
            v.reasons[0].starts_with("error-rate: the per-minute counts cannot be judged: minute 1: new.errors is 4"),
            "{:?}",
            v.reasons
        );
    }

    #[test]
    fn e_values_are_recorded_to_three_significant_digits() {
        assert_eq!(significant(1234.5), 1230.0);
        assert_eq!(significant(0.012345), 0.0123);
        assert_eq!(significant(0.0), 0.0);
        assert_eq!(significant(1e300), 1e300);
    }

    proptest! {
        #[test]
        fn the_gate_is_total(n in prop_oneof![Just(f64::NAN), Just(-1.0), 0.0f64..1e12], k in prop_oneof![Just(f64::INFINITY), 0.0f64..1e12],
                             on in prop_oneof![Just(OnInsufficientData::Pass), Just(OnInsufficientData::Fail)]) {
            let s = GateSettings { on_insufficient_data: on, max_p99_ms: Some(100.0), max_throttles: Some(1.0), ..GateSettings::default() };
            let checks = judge_lambda(&version("2", n, k), &s);
            prop_assert!(!checks.is_empty());
            for c in &checks {
                prop_assert_eq!(c.passed, c.reasons.is_empty());
            }
        }

        #[test]
        fn more_errors_never_turn_a_failure_into_a_pass(n in 20u32..5000, k in 0u32..5000) {
            let k = k.min(n - 1) as f64;
            let s = GateSettings::default();
            let a = Verdict::of_checks(&judge_lambda(&version("2", n as f64, k), &s)).status;
            let b = Verdict::of_checks(&judge_lambda(&version("2", n as f64, k + 1.0), &s)).status;
            prop_assert!(!(a == Status::Failed && b == Status::Succeeded));
        }
    }
}
