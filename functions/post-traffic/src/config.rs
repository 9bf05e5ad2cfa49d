//! The post-traffic hook's configuration, read on every invocation from the deployment group's
//! settings over the function's environment. A bad value fails the invocation, naming it.

use std::time::Duration;

use shiftguard::canary::per_minute::settle;
use shiftguard::canary::settings::JudgeSettings;
use shiftguard::config::env::{ConfigError, FromEnv, non_empty};
use shiftguard::gate::metric_checks::{MetricCheck, parse_metric_checks};
use shiftguard::gate::settings::GateSettings;
use shiftguard::target::overrides::TargetOverride;

#[derive(Debug, Clone, PartialEq)]
pub struct PostTrafficConfig {
    pub target: TargetOverride,
    pub gate: GateSettings,
    /// `CONFIDENCE` and `MAX_ERROR_RATE` as the canary judge reads them: its final look must be
    /// made with the settings of its minute-by-minute looks.
    pub judge: JudgeSettings,
    /// `SETTLE_SECONDS`: how long after a minute ends its metrics are read as complete.
    pub settle: Duration,
    /// `METRIC_CHECKS`; empty when unset.
    pub metric_checks: Vec<MetricCheck>,
}

impl FromEnv for PostTrafficConfig {
    fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Ok(PostTrafficConfig {
            target: TargetOverride::from_lookup(get)?,
            gate: GateSettings::from_lookup(get)?,
            judge: JudgeSettings::from_lookup(get)?,
            settle: settle(get)?,
            metric_checks: non_empty(get, "METRIC_CHECKS")
                .map(|j| parse_metric_checks(&j))
                .transpose()?
                .unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_means_the_documented_defaults() {
        let c = PostTrafficConfig::from_lookup(&|_| None).unwrap();
        assert_eq!(c.gate, GateSettings::default());
        assert_eq!(c.judge, JudgeSettings::default());
        assert_eq!(c.settle, Duration::from_secs(120));
        assert!(c.metric_checks.is_empty());
    }

    #[test]
    fn a_bad_threshold_names_its_variable() {
        let e = PostTrafficConfig::from_lookup(&|k| (k == "MAX_ERROR_RATE").then(|| "one".to_string())).unwrap_err();
        assert!(e.to_string().starts_with("MAX_ERROR_RATE is not valid"), "{e}");
        let e = PostTrafficConfig::from_lookup(&|k| (k == "METRIC_CHECKS").then(|| "{".to_string())).unwrap_err();
        assert!(e.to_string().starts_with("METRIC_CHECKS is not a JSON array"), "{e}");
    }

    #[test]
    fn the_judge_reads_the_gates_confidence_and_ceiling() {
        let get = |k: &str| match k {
            "CONFIDENCE" => Some("0.99".to_string()),
            "MAX_ERROR_RATE" => Some("2.5".to_string()),
            "SETTLE_SECONDS" => Some("0".to_string()),
            _ => None,
        };
        let c = PostTrafficConfig::from_lookup(&get).unwrap();
        assert_eq!((c.judge.confidence, c.judge.max_error_rate_pct), (0.99, 2.5));
        assert_eq!((c.gate.confidence, c.gate.max_error_rate_pct), (0.99, 2.5));
        assert_eq!(c.settle, Duration::ZERO);
        let e = PostTrafficConfig::from_lookup(&|k| (k == "SETTLE_SECONDS").then(|| "700".to_string())).unwrap_err();
        assert!(e.to_string().starts_with("SETTLE_SECONDS is not valid"), "{e}");
    }

    #[test]
    fn min_effect_and_compare_baseline_fail_when_still_set() {
        for var in ["MIN_EFFECT", "COMPARE_BASELINE"] {
            let e = PostTrafficConfig::from_lookup(&|k| (k == var).then(|| "1".to_string())).unwrap_err();
            assert!(e.to_string().starts_with(&format!("{var} is no longer read: ")), "{e}");
        }
    }
}
