//! The post-traffic hook's configuration, read once at cold start.
//! A bad value does not stop the function: every invocation then reports `Failed` naming it.

use shiftguard::config::env::{ConfigError, FromEnv, HookSettings, non_empty};
use shiftguard::gate::metric_checks::{MetricCheck, parse_metric_checks};
use shiftguard::gate::settings::GateSettings;
use shiftguard::target::overrides::TargetOverride;

#[derive(Debug, Clone, PartialEq)]
pub struct PostTrafficConfig {
    pub target: TargetOverride,
    pub gate: GateSettings,
    /// `METRIC_CHECKS`; empty when unset.
    pub metric_checks: Vec<MetricCheck>,
}

impl FromEnv for PostTrafficConfig {
    fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        // The hook settings are read on their own (see `HookSettings`); a bad one still fails here.
        HookSettings::from_lookup(get)?;
        Ok(PostTrafficConfig {
            target: TargetOverride::from_lookup(get)?,
            gate: GateSettings::from_lookup(get)?,
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
        assert!(c.metric_checks.is_empty());
    }

    #[test]
    fn a_bad_threshold_names_its_variable() {
        let e = PostTrafficConfig::from_lookup(&|k| (k == "MAX_ERROR_RATE").then(|| "one".to_string())).unwrap_err();
        assert!(e.to_string().starts_with("MAX_ERROR_RATE is not valid"), "{e}");
        let e = PostTrafficConfig::from_lookup(&|k| (k == "METRIC_CHECKS").then(|| "{".to_string())).unwrap_err();
        assert!(e.to_string().starts_with("METRIC_CHECKS is not a JSON array"), "{e}");
    }
}
