//! The canary judge's configuration: `CONFIDENCE` and `MAX_ERROR_RATE` (read as post-traffic reads
//! them: the false-rollback bound holds over both functions' looks only when they agree),
//! `SETTLE_SECONDS` and `METRICS_NAMESPACE`. Read once at cold start; a bad value makes every
//! tick fail, naming it.

use std::time::Duration;

use shiftguard::canary::per_minute::settle;
use shiftguard::canary::settings::JudgeSettings;
use shiftguard::config::env::{ConfigError, FromEnv};
use shiftguard::delivery::emf::namespace;

#[derive(Debug, Clone, PartialEq)]
pub struct CanaryJudgeConfig {
    pub judge: JudgeSettings,
    pub settle: Duration,
    pub namespace: String,
}

impl FromEnv for CanaryJudgeConfig {
    fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Ok(CanaryJudgeConfig {
            judge: JudgeSettings::from_lookup(get)?,
            settle: settle(get)?,
            namespace: namespace(get)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shiftguard::canary::per_minute::DEFAULT_SETTLE;
    use shiftguard::delivery::emf::DEFAULT_NAMESPACE;

    #[test]
    fn unset_means_the_documented_defaults_and_a_bad_value_is_named() {
        let c = CanaryJudgeConfig::from_lookup(&|_| None).unwrap();
        assert_eq!(
            (c.judge, c.settle, c.namespace.as_str()),
            (JudgeSettings::default(), DEFAULT_SETTLE, DEFAULT_NAMESPACE)
        );
        let e = CanaryJudgeConfig::from_lookup(&|k| (k == "CONFIDENCE").then(|| "1.5".into())).unwrap_err();
        assert!(e.to_string().starts_with("CONFIDENCE is not valid"), "{e}");
    }
}
