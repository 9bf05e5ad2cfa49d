//! The post-traffic gate's thresholds, from the environment, each error naming its variable.

use std::time::Duration;

use serde::Serialize;

use crate::config::env::{ConfigError, no_longer_read, non_empty, parse_f64, parse_u64};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OnInsufficientData {
    Pass,
    Fail,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateSettings {
    /// `MAX_ERROR_RATE`, percent.
    pub max_error_rate_pct: f64,
    /// `CONFIDENCE`, one-sided.
    pub confidence: f64,
    /// `MIN_INVOCATIONS`: fewer calls than this are too little data to pass on.
    pub min_invocations: u64,
    /// `ON_INSUFFICIENT_DATA`.
    pub on_insufficient_data: OnInsufficientData,
    /// `MAX_P99_MS`, where set.
    pub max_p99_ms: Option<f64>,
    /// `MAX_THROTTLES`, where set.
    pub max_throttles: Option<f64>,
    /// `WINDOW_MINUTES`, where set: look back this far instead of to the deployment's start, for
    /// the one-look verdicts only (ECS, a Lambda AppSpec without a `CurrentVersion`). A Lambda
    /// deployment of both versions is judged on every minute from its start whatever this says:
    /// the canary judge's bound on false rollbacks holds only for the whole series.
    #[serde(skip)]
    pub window: Option<Duration>,
}

impl Default for GateSettings {
    fn default() -> Self {
        GateSettings {
            max_error_rate_pct: 1.0,
            confidence: 0.95,
            min_invocations: 20,
            on_insufficient_data: OnInsufficientData::Pass,
            max_p99_ms: None,
            max_throttles: None,
            window: None,
        }
    }
}

/// `CONFIDENCE`, one-sided, from 0.5 to 0.9999; `None` when unset. The canary judge reads it
/// through this function too, so both say the same about a bad value.
pub fn confidence(get: &impl Fn(&str) -> Option<String>) -> Result<Option<f64>, ConfigError> {
    parse_f64(get, "CONFIDENCE", 0.5, 0.9999)
}

/// `MAX_ERROR_RATE`, percent, from 0 to 100; `None` when unset. Shared with the canary judge.
pub fn max_error_rate_pct(get: &impl Fn(&str) -> Option<String>) -> Result<Option<f64>, ConfigError> {
    parse_f64(get, "MAX_ERROR_RATE", 0.0, 100.0)
}

/// What replaced `MIN_EFFECT`.
pub const MIN_EFFECT_GONE: &str = "the new version is compared with the old one by the canary judge's test on \
     the per-minute counts (docs/canary-judge.md), which has no minimum effect; CONFIDENCE sets how strong \
     the evidence must be";

/// What replaced `COMPARE_BASELINE`.
pub const COMPARE_BASELINE_GONE: &str = "a Lambda deployment whose AppSpec names a CurrentVersion is always \
     compared with it by the canary judge's test, whose share of CONFIDENCE's bound on false rollbacks \
     is fixed; without a CurrentVersion there is nothing to compare";

impl GateSettings {
    pub fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        no_longer_read(get, "MIN_EFFECT", MIN_EFFECT_GONE)?;
        no_longer_read(get, "COMPARE_BASELINE", COMPARE_BASELINE_GONE)?;
        let d = GateSettings::default();
        let confidence = confidence(get)?.unwrap_or(d.confidence);
        let on_insufficient_data = match non_empty(get, "ON_INSUFFICIENT_DATA").map(|v| v.to_ascii_lowercase()) {
            None => d.on_insufficient_data,
            Some(v) if v == "pass" => OnInsufficientData::Pass,
            Some(v) if v == "fail" => OnInsufficientData::Fail,
            Some(v) => {
                return Err(ConfigError::Invalid {
                    variable: "ON_INSUFFICIENT_DATA",
                    value: v,
                    expected: "pass or fail",
                });
            }
        };
        Ok(GateSettings {
            max_error_rate_pct: max_error_rate_pct(get)?.unwrap_or(d.max_error_rate_pct),
            confidence,
            min_invocations: parse_u64(get, "MIN_INVOCATIONS", 1..=1_000_000_000)?.unwrap_or(d.min_invocations),
            on_insufficient_data,
            max_p99_ms: parse_f64(get, "MAX_P99_MS", 0.001, 3_600_000.0)?,
            max_throttles: parse_f64(get, "MAX_THROTTLES", 0.0, 1e15)?,
            window: parse_u64(get, "WINDOW_MINUTES", 1..=20_160)?.map(|m| Duration::from_secs(m * 60)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::env;

    #[test]
    fn defaults_are_the_documented_ones() {
        assert_eq!(GateSettings::from_lookup(&env(&[])).unwrap(), GateSettings::default());
    }

    #[test]
    fn every_variable_is_read() {
        let s = GateSettings::from_lookup(&env(&[
            ("MAX_ERROR_RATE", "2.5"),
            ("CONFIDENCE", "0.99"),
            ("MIN_INVOCATIONS", "100"),
            ("ON_INSUFFICIENT_DATA", "FAIL"),
            ("MAX_P99_MS", "750"),
            ("MAX_THROTTLES", "0"),
            ("WINDOW_MINUTES", "15"),
        ]))
        .unwrap();
        assert_eq!(s.max_error_rate_pct, 2.5);
        assert_eq!(s.confidence, 0.99);
        assert_eq!(s.min_invocations, 100);
        assert_eq!(s.on_insufficient_data, OnInsufficientData::Fail);
        assert_eq!((s.max_p99_ms, s.max_throttles), (Some(750.0), Some(0.0)));
        assert_eq!(s.window, Some(Duration::from_secs(900)));
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (var, value) in [
            ("MAX_ERROR_RATE", "1%"),
            ("MAX_ERROR_RATE", "-1"),
            ("CONFIDENCE", "95"),
            ("CONFIDENCE", "1"),
            ("MIN_INVOCATIONS", "twenty"),
            ("MIN_INVOCATIONS", "0"),
            ("ON_INSUFFICIENT_DATA", "ignore"),
            ("MAX_P99_MS", "0"),
            ("MAX_THROTTLES", "-2"),
            ("WINDOW_MINUTES", "0"),
        ] {
            let err = GateSettings::from_lookup(&env(&[(var, value)]))
                .unwrap_err()
                .to_string();
            assert!(err.starts_with(var), "{var}={value}: {err}");
        }
    }

    #[test]
    fn a_removed_setting_that_is_still_set_fails_naming_it() {
        for (var, value) in [
            ("MIN_EFFECT", "0.5"),
            ("COMPARE_BASELINE", "true"),
            ("COMPARE_BASELINE", "false"),
        ] {
            let err = GateSettings::from_lookup(&env(&[(var, value)])).unwrap_err();
            assert!(
                matches!(err, ConfigError::NoLongerRead { variable, .. } if variable == var),
                "{err}"
            );
            let text = err.to_string();
            assert!(text.starts_with(&format!("{var} is no longer read: ")), "{text}");
            assert!(text.ends_with("remove it from the function's environment"), "{text}");
        }
        // Blank is unset, as for every variable (a template that passes "" for it).
        let blank = env(&[("MIN_EFFECT", ""), ("COMPARE_BASELINE", " ")]);
        assert_eq!(GateSettings::from_lookup(&blank).unwrap(), GateSettings::default());
    }
}
