//! What can be wrong with the canary judge's input: each error names the minute and the field, and
//! says what to do.

use std::fmt;

use serde::Serialize;
use thiserror::Error;

/// Which version of the function a count belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Version {
    /// The version being deployed (the alias's `TargetVersion`).
    New,
    /// The version serving before the deployment (the alias's `CurrentVersion`).
    Old,
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Version::New => "new",
            Version::Old => "old",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Error)]
pub enum CanaryError {
    #[error(
        "minute {minute}: {version}.errors is {errors} but {version}.invocations is {invocations}; \
         a minute cannot have more errors than invocations (a minute CloudWatch is still filling \
         must not be read: pass only complete minutes)"
    )]
    MoreErrorsThanInvocations {
        /// 1-based, in the order the minutes were given.
        minute: usize,
        version: Version,
        errors: u64,
        invocations: u64,
    },
    #[error(
        "CONFIDENCE is {value}; it must lie strictly between 0 and 1 (0.95 holds false rollbacks \
         to 5 % over every look together)"
    )]
    Confidence { value: f64 },
    #[error("MAX_ERROR_RATE is {value}; it must be a percentage from 0 to 100 (e.g. 5.0 for 5 %)")]
    MaxErrorRate { value: f64 },
    #[error(
        "unknown deployment configuration {name:?}: CodeDeploy's predefined Lambda configurations are {} \
         (with or without the CodeDeployDefault. prefix and the Lambda prefix)",
        crate::canary::shift::LambdaDeploymentConfig::names()
    )]
    UnknownDeploymentConfig { name: String },
    #[error(
        "the calls per minute are {value}; give the service's calls a minute through the alias, a number \
         above 0 and at most {max}"
    )]
    CallsPerMinute { value: f64, max: f64 },
    #[error(
        "the base error rate is {value} %; give the old version's error rate in percent, above 0 and at \
         most 100 (e.g. 1 for 1 %): without errors there is no rate to compare"
    )]
    BaseErrorRate { value: f64 },
    #[error("{value} simulated deployments: give from 1 to {max}")]
    Runs { value: usize, max: usize },
}
