//! The post-traffic judgement: the new version's error rate on real traffic, with minimum-sample
//! rules and a statistical comparison against the old version. Pure: numbers in, outcomes out.
//!
//! With n invocations and k errors of the new version, in this order:
//! 1. the Wilson lower bound of k/n (one-sided at `CONFIDENCE`) above `MAX_ERROR_RATE`: Failed,
//!    however small n is;
//! 2. else n < `MIN_INVOCATIONS`: inconclusive, resolved by `ON_INSUFFICIENT_DATA`;
//! 3. else k/n above `MAX_ERROR_RATE`: Failed;
//! 4. else, with `COMPARE_BASELINE` and enough calls of the old version, a one-sided
//!    two-proportion z-test: Failed when the new rate is significantly higher by at least
//!    `MIN_EFFECT` points;
//! 5. `MAX_P99_MS` and `MAX_THROTTLES`, where set;
//! 6. otherwise Succeeded.

use serde_json::json;

use crate::gate::metric_checks::{MetricCheck, MetricCheckKind};
use crate::gate::settings::{GateSettings, OnInsufficientData};
use crate::gate::statistics::{rate, sanitize, two_proportion_z, wilson_lower_bound, z_one_sided};
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

/// Step 4: the new version against the old one.
pub fn judge_baseline(new: &VersionMetrics, old: Option<&VersionMetrics>, settings: &GateSettings) -> CheckOutcome {
    let mut outcome = CheckOutcome {
        name: "baseline".into(),
        kind: "two-proportion-z-test".into(),
        passed: true,
        measured: json!(null),
        expected: json!({"confidence": settings.confidence, "min_effect_pp": settings.min_effect_pp,
                          "min_old_invocations": settings.min_invocations}),
        reasons: Vec::new(),
        inconclusive: false,
        note: None,
    };
    let Some(old) = old else {
        outcome.note = Some("not compared: the AppSpec names no CurrentVersion".into());
        return outcome;
    };
    let (k1, n1) = sanitize(new.errors.unwrap_or(0.0), new.invocations.unwrap_or(0.0));
    let (k2, n2) = sanitize(old.errors.unwrap_or(0.0), old.invocations.unwrap_or(0.0));
    let (r1, r2) = (rate(k1, n1), rate(k2, n2));
    let z = two_proportion_z(k1, n1, k2, n2);
    let z_crit = z_one_sided(settings.confidence);
    let diff_pp = (r1 - r2) * 100.0;
    outcome.measured = json!({
        "new_version": new.version, "new_invocations": n1, "new_errors": k1, "new_rate_pct": pct(r1),
        "old_version": old.version, "old_invocations": n2, "old_errors": k2, "old_rate_pct": pct(r2),
        "difference_pp": (diff_pp * 10_000.0).round() / 10_000.0,
        "z": (z * 1000.0).round() / 1000.0, "z_critical": (z_crit * 1000.0).round() / 1000.0,
    });
    if n2 < settings.min_invocations as f64 {
        outcome.note = Some(format!(
            "not compared: the old version ({}) served {n2} invocations, fewer than MIN_INVOCATIONS ({})",
            old.version, settings.min_invocations
        ));
    } else if z > z_crit && diff_pp >= settings.min_effect_pp {
        outcome.passed = false;
        outcome.reasons.push(format!(
            "error rate {:.2} % against {:.2} % for the old version ({}): higher by {diff_pp:.2} points, significant at {} % (z = {z:.2} > {z_crit:.2}) and at least MIN_EFFECT ({} points)",
            r1 * 100.0,
            r2 * 100.0,
            old.version,
            pct(settings.confidence),
            settings.min_effect_pp
        ));
    }
    outcome
}

/// Steps 1–5 for a Lambda deployment, stopping where the order above decides.
pub fn judge_lambda(new: &VersionMetrics, old: Option<&VersionMetrics>, settings: &GateSettings) -> Vec<CheckOutcome> {
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
    if settings.compare_baseline {
        let baseline = judge_baseline(new, old, settings);
        let failed = !baseline.passed;
        out.push(baseline);
        if failed {
            return out;
        }
    }
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

    fn verdict(new: VersionMetrics, old: Option<VersionMetrics>, s: &GateSettings) -> (Status, Vec<String>) {
        let v = Verdict::of_checks(&judge_lambda(&new, old.as_ref(), s));
        (v.status, v.reasons)
    }

    fn defaults() -> GateSettings {
        GateSettings::default()
    }

    #[test]
    fn two_in_a_thousand_passes() {
        assert_eq!(
            verdict(version("7", 1000.0, 2.0), Some(version("6", 1000.0, 2.0)), &defaults()).0,
            Status::Succeeded
        );
    }

    #[test]
    fn fifty_in_a_thousand_fails_on_the_wilson_bound() {
        let (status, reasons) = verdict(version("7", 1000.0, 50.0), None, &defaults());
        assert_eq!(status, Status::Failed);
        assert!(
            reasons[0].contains("at 95 % confidence the rate is at least 3.98 %"),
            "{reasons:?}"
        );
    }

    #[test]
    fn six_in_eight_is_not_too_little_data() {
        let (status, reasons) = verdict(version("7", 8.0, 6.0), None, &defaults());
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
            None,
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
        let (status, reasons) = verdict(version("7", 0.0, 0.0), None, &s);
        assert_eq!(status, Status::Failed);
        assert!(reasons[0].contains("ON_INSUFFICIENT_DATA=fail"));
    }

    #[test]
    fn a_rate_just_above_the_threshold_fails_at_step_3() {
        // 15/1000: the Wilson bound (≈0.98 %) is below 1 %, the rate is not.
        let (status, reasons) = verdict(version("7", 1000.0, 15.0), None, &defaults());
        assert_eq!(status, Status::Failed);
        assert!(
            reasons[0].contains("1.50 % is above MAX_ERROR_RATE (1 %)"),
            "{reasons:?}"
        );
    }

    #[test]
    fn the_baseline_catches_0_9_against_0_1_percent() {
        let (status, reasons) = verdict(version("7", 5000.0, 45.0), Some(version("6", 5000.0, 5.0)), &defaults());
        assert_eq!(status, Status::Failed);
        assert!(
            reasons[0].contains("error rate 0.90 % against 0.10 % for the old version (6)"),
            "{reasons:?}"
        );
        let s = GateSettings {
            compare_baseline: false,
            ..defaults()
        };
        assert_eq!(
            verdict(version("7", 5000.0, 45.0), Some(version("6", 5000.0, 5.0)), &s).0,
            Status::Succeeded
        );
    }

    #[test]
    fn equal_rates_pass_the_baseline() {
        assert_eq!(
            verdict(version("7", 5000.0, 5.0), Some(version("6", 5000.0, 5.0)), &defaults()).0,
            Status::Succeeded
        );
    }

    #[test]
    fn a_significant_but_small_difference_passes_under_min_effect() {
        // 0.4 % against 0.1 % over 50 000 calls each is significant, but only 0.3 points.
        let checks = judge_lambda(
            &version("7", 50_000.0, 200.0),
            Some(&version("6", 50_000.0, 50.0)),
            &defaults(),
        );
        assert!(checks[1].measured["z"].as_f64().unwrap() > 1.645);
        assert!(checks[1].passed);
    }

    #[test]
    fn a_quiet_old_version_is_not_compared_and_says_so() {
        let checks = judge_lambda(&version("7", 1000.0, 5.0), Some(&version("6", 3.0, 0.0)), &defaults());
        assert!(checks[1].passed);
        assert!(checks[1].note.as_deref().unwrap().contains("served 3 invocations"));
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
        let (status, reasons) = verdict(new, None, &s);
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
        let (status, reasons) = verdict(version("7", 1000.0, 0.0), None, &s);
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

    proptest! {
        #[test]
        fn the_gate_is_total(n in prop_oneof![Just(f64::NAN), Just(-1.0), 0.0f64..1e12], k in prop_oneof![Just(f64::INFINITY), 0.0f64..1e12],
                             on in prop_oneof![Just(OnInsufficientData::Pass), Just(OnInsufficientData::Fail)]) {
            let s = GateSettings { on_insufficient_data: on, max_p99_ms: Some(100.0), max_throttles: Some(1.0), ..GateSettings::default() };
            let checks = judge_lambda(&version("2", n, k), Some(&version("1", n, 0.0)), &s);
            prop_assert!(!checks.is_empty());
            for c in &checks {
                prop_assert_eq!(c.passed, c.reasons.is_empty());
            }
        }

        #[test]
        fn more_errors_never_turn_a_failure_into_a_pass(n in 20u32..5000, k in 0u32..5000) {
            let k = k.min(n - 1) as f64;
            let s = GateSettings::default();
            let a = Verdict::of_checks(&judge_lambda(&version("2", n as f64, k), None, &s)).status;
            let b = Verdict::of_checks(&judge_lambda(&version("2", n as f64, k + 1.0), None, &s)).status;
            prop_assert!(!(a == Status::Failed && b == Status::Succeeded));
        }
    }
}
