//! deploy-events' configuration: `METRICS_NAMESPACE`.

use shiftguard::config::env::{ConfigError, FromEnv};
use shiftguard::delivery::emf::namespace;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployEventsConfig {
    pub namespace: String,
}

impl FromEnv for DeployEventsConfig {
    fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Ok(DeployEventsConfig {
            namespace: namespace(get)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shiftguard::delivery::emf::DEFAULT_NAMESPACE;

    #[test]
    fn default_and_bad_namespaces() {
        assert_eq!(
            DeployEventsConfig::from_lookup(&|_| None).unwrap().namespace,
            DEFAULT_NAMESPACE
        );
        let e = DeployEventsConfig::from_lookup(&|_| Some("AWS/Lambda".into())).unwrap_err();
        assert!(e.to_string().starts_with("METRICS_NAMESPACE is not valid"), "{e}");
    }
}
