//! The pre-traffic hook's configuration, read on every invocation from the deployment group's
//! settings over the function's environment. A bad value fails the invocation, naming it.

use shiftguard::config::env::{ConfigError, FromEnv, non_empty};
use shiftguard::smoke::probes::{Probe, parse_smoke_tests};
use shiftguard::target::overrides::TargetOverride;

#[derive(Debug, Clone, PartialEq)]
pub struct PreTrafficConfig {
    pub target: TargetOverride,
    /// `SMOKE_TESTS`; `None` when unset (a Lambda target then gets the default probe).
    pub probes: Option<Vec<Probe>>,
}

impl FromEnv for PreTrafficConfig {
    fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Ok(PreTrafficConfig {
            target: TargetOverride::from_lookup(get)?,
            probes: non_empty(get, "SMOKE_TESTS")
                .map(|json| parse_smoke_tests(&json))
                .transpose()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_means_defaults_and_no_probes() {
        let c = PreTrafficConfig::from_lookup(&|_| None).unwrap();
        assert_eq!(c.probes, None);
    }

    #[test]
    fn bad_smoke_tests_keep_the_parse_error() {
        let e =
            PreTrafficConfig::from_lookup(&|k| (k == "SMOKE_TESTS").then(|| "[{\"name\":".to_string())).unwrap_err();
        assert!(
            e.to_string().starts_with("SMOKE_TESTS is not a JSON array of probes"),
            "{e}"
        );
    }
}
