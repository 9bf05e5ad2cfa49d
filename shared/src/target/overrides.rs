//! `TARGET_FUNCTION` and `TARGET_VERSION`: a function's settings that replace what the
//! deployment's AppSpec names.

use crate::config::env::{ConfigError, non_empty};
use crate::target::deployment_target::{function_name_of, plain_version};

/// `TARGET_FUNCTION` / `TARGET_VERSION`: where set, they replace what the deployment says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetOverride {
    pub function: Option<String>,
    /// Already reduced to a plain version number.
    pub version: Option<String>,
}

impl TargetOverride {
    pub fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let function = non_empty(get, "TARGET_FUNCTION").map(|f| function_name_of(&f));
        let version = match non_empty(get, "TARGET_VERSION") {
            None => None,
            Some(v) => Some(plain_version(&v).ok_or(ConfigError::Invalid {
                variable: "TARGET_VERSION",
                value: v,
                expected: "a published version number or a version ARN",
            })?),
        };
        Ok(TargetOverride { function, version })
    }

    /// Both set: the deployment need not be read at all.
    pub fn is_complete(&self) -> bool {
        self.function.is_some() && self.version.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::env;

    #[test]
    fn unset_overrides_nothing() {
        assert_eq!(
            TargetOverride::from_lookup(&env(&[])).unwrap(),
            TargetOverride::default()
        );
    }

    #[test]
    fn target_override_accepts_arns() {
        let t = TargetOverride::from_lookup(&env(&[
            (
                "TARGET_FUNCTION",
                "arn:aws:lambda:eu-west-1:123456789012:function:orders",
            ),
            (
                "TARGET_VERSION",
                "arn:aws:lambda:eu-west-1:123456789012:function:orders:9",
            ),
        ]))
        .unwrap();
        assert_eq!(
            t,
            TargetOverride {
                function: Some("orders".into()),
                version: Some("9".into())
            }
        );
        assert!(t.is_complete());
        let e = TargetOverride::from_lookup(&env(&[("TARGET_VERSION", "live")])).unwrap_err();
        assert!(e.to_string().starts_with("TARGET_VERSION=\"live\""), "{e}");
    }
}
