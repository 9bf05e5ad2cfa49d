//! deploy-events' configuration: `METRICS_NAMESPACE`.

use shiftguard::config::env::{ConfigError, FromEnv, non_empty};

pub const DEFAULT_NAMESPACE: &str = "Shiftguard/Deployments";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployEventsConfig {
    pub namespace: String,
}

impl FromEnv for DeployEventsConfig {
    fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let namespace = non_empty(get, "METRICS_NAMESPACE").unwrap_or_else(|| DEFAULT_NAMESPACE.to_string());
        if namespace.len() > 255 || namespace.starts_with("AWS/") || namespace.contains(':') {
            return Err(ConfigError::Unusable {
                variable: "METRICS_NAMESPACE",
                problem: format!("{namespace:?} must be at most 255 characters, without `:`, and not start with AWS/"),
            });
        }
        Ok(DeployEventsConfig { namespace })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
