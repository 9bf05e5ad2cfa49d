//! The post-traffic gate's thresholds, from the environment, each error naming its variable.

use std::time::Duration;

use serde::Serialize;

use crate::config::env::{ConfigError, non_empty, parse_bool, parse_f64, parse_u64};

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
    /// `COMPARE_BASELINE`: test the new version against the old one.
    pub compare_baseline: bool,
    /// `MIN_EFFECT`, percentage points: a significant difference smaller than this passes.
    pub min_effect_pp: f64,
    /// `MAX_P99_MS`, where set.
    pub max_p99_ms: Option<f64>,
    /// `MAX_THROTTLES`, where set.
    pub max_throttles: Option<f64>,
    /// `WINDOW_MINUTES`, where set: look back this far instead of to the deployment's start.
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
            compare_baseline: true,
            min_effect_pp: 0.5,
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

impl GateSettings {
    pub fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
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
            compare_baseline: parse_bool(get, "COMPARE_BASELINE")?.unwrap_or(d.compare_baseline),
            min_effect_pp: parse_f64(get, "MIN_EFFECT", 0.0, 100.0)?.unwrap_or(d.min_effect_pp),
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
            ("COMPARE_BASELINE", "false"),
            ("MIN_EFFECT", "1"),
            ("MAX_P99_MS", "750"),
            ("MAX_THROTTLES", "0"),
            ("WINDOW_MINUTES", "15"),
        ]))
        .unwrap();
        assert_eq!(s.max_error_rate_pct, 2.5);
        assert_eq!(s.confidence, 0.99);
        assert_eq!(s.min_invocations, 100);
        assert_eq!(s.on_insufficient_data, OnInsufficientData::Fail);
        assert!(!s.compare_baseline);
        assert_eq!(
            (s.min_effect_pp, s.max_p99_ms, s.max_throttles),
            (1.0, Some(750.0), Some(0.0))
        );
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
            ("COMPARE_BASELINE", "sometimes"),
            ("MIN_EFFECT", "x"),
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
}
