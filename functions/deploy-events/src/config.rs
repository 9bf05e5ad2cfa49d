//! deploy-events' configuration: `METRICS_NAMESPACE`, `VERSIONS_TO_KEEP`.

use shiftguard::config::env::{ConfigError, FromEnv, parse_u64};
use shiftguard::delivery::emf::namespace;

/// How many of the newest published versions a successful Lambda deployment leaves.
pub const DEFAULT_VERSIONS_TO_KEEP: u64 = 3;

/// Lambda keeps up to 75 GB of code per Region (<https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html>),
/// not a number of versions; this only keeps a typo (`30000`) from meaning "never prune".
pub const MAX_VERSIONS_TO_KEEP: u64 = 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployEventsConfig {
    pub namespace: String,
    /// The newest published versions kept after a successful Lambda deployment; 0 turns
    /// pruning off (`VERSIONS_TO_KEEP`).
    pub versions_to_keep: u64,
}

impl FromEnv for DeployEventsConfig {
    fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Ok(DeployEventsConfig {
            namespace: namespace(get)?,
            versions_to_keep: parse_u64(get, "VERSIONS_TO_KEEP", 0..=MAX_VERSIONS_TO_KEEP)?
                .unwrap_or(DEFAULT_VERSIONS_TO_KEEP),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shiftguard::delivery::emf::DEFAULT_NAMESPACE;
    use shiftguard::fakes::env;

    #[test]
    fn default_and_bad_namespaces() {
        assert_eq!(
            DeployEventsConfig::from_lookup(&|_| None).unwrap().namespace,
            DEFAULT_NAMESPACE
        );
        let e = DeployEventsConfig::from_lookup(&|_| Some("AWS/Lambda".into())).unwrap_err();
        assert!(e.to_string().starts_with("METRICS_NAMESPACE is not valid"), "{e}");
    }

    #[test]
    fn versions_to_keep_defaults_to_three_and_zero_turns_pruning_off() {
        let keep = |pairs: &[(&str, &str)]| DeployEventsConfig::from_lookup(&env(pairs)).map(|c| c.versions_to_keep);
        assert_eq!(keep(&[]), Ok(3));
        assert_eq!(keep(&[("VERSIONS_TO_KEEP", "0")]), Ok(0));
        assert_eq!(keep(&[("VERSIONS_TO_KEEP", " 10 ")]), Ok(10));
        for bad in ["-1", "three", "2.5", "1001"] {
            let e = keep(&[("VERSIONS_TO_KEEP", bad)]).unwrap_err();
            assert!(e.to_string().starts_with("VERSIONS_TO_KEEP is not valid"), "{e}");
        }
    }
}
