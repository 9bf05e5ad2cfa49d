//! Settings every hook reads from its environment. Parsing is pure: it takes a lookup function,
//! so tests pass a map and `main` passes `std::env::var`.
//!
//! A bad value is an error that names the variable. The hooks never fall back to a default
//! silently; they report `Failed` with the error as the reason (failing at cold start instead
//! would leave CodeDeploy waiting an hour for a status).

use std::time::Duration;

use thiserror::Error;

pub const DEFAULT_REPORT_RESERVE: Duration = Duration::from_millis(5000);

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{variable}={value:?} is not valid: expected {expected}")]
    Invalid {
        variable: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error("{variable} is not valid: {problem}")]
    Unusable { variable: &'static str, problem: String },
    /// A variable shiftguard once read and no longer does: set, it would be ignored, so it fails.
    #[error("{variable} is no longer read: {why}; remove it from the function's environment")]
    NoLongerRead { variable: &'static str, why: &'static str },
    /// `SMOKE_TESTS` or `METRIC_CHECKS`.
    #[error(transparent)]
    Entries(#[from] crate::config::named_entries::EntriesError),
}

impl ConfigError {
    /// The variable the error is about.
    pub fn variable(&self) -> &'static str {
        match self {
            ConfigError::Invalid { variable, .. }
            | ConfigError::Unusable { variable, .. }
            | ConfigError::NoLongerRead { variable, .. } => variable,
            ConfigError::Entries(e) => e.variable(),
        }
    }
}

/// How every function reads its configuration: from its environment at cold start, or, for the
/// hooks and the canary judge, per invocation from a deployment group's settings documents over
/// it (`crate::settings`). A bad value does not stop the function: each invocation then fails,
/// naming it.
pub trait FromEnv: Sized {
    /// Parses from `get`, a lookup tests give a map and `from_env` the process environment.
    fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError>;

    fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(&|k| std::env::var(k).ok())
    }
}

/// The settings of the hook contract itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookSettings {
    /// Kept back from the invocation deadline for reporting (`REPORT_RESERVE_MS`).
    pub report_reserve: Duration,
    /// Run every check, log the real verdict, report `Succeeded` (`DRY_RUN`).
    pub dry_run: bool,
}

impl Default for HookSettings {
    fn default() -> Self {
        HookSettings {
            report_reserve: DEFAULT_REPORT_RESERVE,
            dry_run: false,
        }
    }
}

impl HookSettings {
    pub fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Ok(HookSettings {
            report_reserve: Duration::from_millis(
                parse_u64(get, "REPORT_RESERVE_MS", 1..=900_000)?.unwrap_or(DEFAULT_REPORT_RESERVE.as_millis() as u64),
            ),
            dry_run: parse_bool(get, "DRY_RUN")?.unwrap_or(false),
        })
    }
}

/// [`ConfigError::NoLongerRead`] when `variable` is set (blank counts as unset).
pub fn no_longer_read(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    why: &'static str,
) -> Result<(), ConfigError> {
    match non_empty(get, variable) {
        Some(_) => Err(ConfigError::NoLongerRead { variable, why }),
        None => Ok(()),
    }
}

/// A variable's value, `None` when unset or blank.
pub fn non_empty(get: &impl Fn(&str) -> Option<String>, variable: &str) -> Option<String> {
    get(variable).map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

pub fn parse_bool(get: &impl Fn(&str) -> Option<String>, variable: &'static str) -> Result<Option<bool>, ConfigError> {
    match non_empty(get, variable) {
        None => Ok(None),
        Some(v) => match v.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Ok(Some(true)),
            "false" | "0" | "no" => Ok(Some(false)),
            _ => Err(ConfigError::Invalid {
                variable,
                value: v,
                expected: "true or false",
            }),
        },
    }
}

pub fn parse_u64(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    range: std::ops::RangeInclusive<u64>,
) -> Result<Option<u64>, ConfigError> {
    match non_empty(get, variable) {
        None => Ok(None),
        Some(v) => match v.parse::<u64>() {
            Ok(n) if range.contains(&n) => Ok(Some(n)),
            _ => Err(ConfigError::Unusable {
                variable,
                problem: format!("{v:?} is not a whole number from {} to {}", range.start(), range.end()),
            }),
        },
    }
}

pub fn parse_f64(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    min: f64,
    max: f64,
) -> Result<Option<f64>, ConfigError> {
    match non_empty(get, variable) {
        None => Ok(None),
        Some(v) => match v.parse::<f64>() {
            Ok(n) if n.is_finite() && (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(ConfigError::Unusable {
                variable,
                problem: format!("{v:?} is not a number from {min} to {max}"),
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::env;

    #[test]
    fn defaults_when_unset() {
        assert_eq!(HookSettings::from_lookup(&env(&[])).unwrap(), HookSettings::default());
    }

    #[test]
    fn reads_reserve_and_dry_run() {
        let s = HookSettings::from_lookup(&env(&[("REPORT_RESERVE_MS", "1500"), ("DRY_RUN", "TRUE")])).unwrap();
        assert_eq!(
            s,
            HookSettings {
                report_reserve: Duration::from_millis(1500),
                dry_run: true
            }
        );
    }

    #[test]
    fn bad_values_name_the_variable() {
        let e = HookSettings::from_lookup(&env(&[("DRY_RUN", "maybe")])).unwrap_err();
        assert_eq!(e.to_string(), r#"DRY_RUN="maybe" is not valid: expected true or false"#);
        let e = HookSettings::from_lookup(&env(&[("REPORT_RESERVE_MS", "5s")])).unwrap_err();
        assert!(e.to_string().starts_with("REPORT_RESERVE_MS is not valid"), "{e}");
        let e = HookSettings::from_lookup(&env(&[("REPORT_RESERVE_MS", "0")])).unwrap_err();
        assert!(e.to_string().contains("from 1 to 900000"), "{e}");
    }

    #[test]
    fn numbers_are_range_checked() {
        let get = env(&[("X", "0.5"), ("Y", "NaN"), ("Z", "101")]);
        assert_eq!(parse_f64(&get, "X", 0.0, 100.0), Ok(Some(0.5)));
        assert!(
            parse_f64(&get, "Y", 0.0, 100.0)
                .unwrap_err()
                .to_string()
                .starts_with("Y is not valid")
        );
        assert!(parse_f64(&get, "Z", 0.0, 100.0).is_err());
        assert_eq!(parse_f64(&get, "unset", 0.0, 100.0), Ok(None));
    }
}
