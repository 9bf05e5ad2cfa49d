//! alarm-rollback's configuration: `ROLLBACK_TARGETS` and `BAKE_MINUTES`.

use std::time::Duration;

use shiftguard::config::env::{ConfigError, FromEnv, non_empty, parse_u64};
use shiftguard::rollback::deployment_group::RollbackTargets;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AlarmRollbackConfig {
    pub targets: RollbackTargets,
    /// `BAKE_MINUTES`: how long after success a Lambda deployment is still rolled back. Zero: off.
    pub bake: Duration,
}

impl FromEnv for AlarmRollbackConfig {
    fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Ok(AlarmRollbackConfig {
            targets: non_empty(get, "ROLLBACK_TARGETS")
                .map(|j| RollbackTargets::parse(&j))
                .transpose()?
                .unwrap_or_default(),
            bake: Duration::from_secs(parse_u64(get, "BAKE_MINUTES", 0..=10_080)?.unwrap_or(0) * 60),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_errors() {
        assert_eq!(
            AlarmRollbackConfig::from_lookup(&|_| None).unwrap(),
            AlarmRollbackConfig::default()
        );
        let e = AlarmRollbackConfig::from_lookup(&|k| (k == "BAKE_MINUTES").then(|| "ten".into())).unwrap_err();
        assert!(e.to_string().starts_with("BAKE_MINUTES is not valid"), "{e}");
        let e = AlarmRollbackConfig::from_lookup(&|k| (k == "ROLLBACK_TARGETS").then(|| "[]".into())).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("ROLLBACK_TARGETS is not valid: not a JSON object"),
            "{e}"
        );
    }
}
