//! A CodeDeploy deployment as the core sees it: AWS's enumerations as typed enums, so a value is
//! matched by the compiler, never compared as a string. The adapter maps the SDK's enums onto
//! these (`crate::adapters`); nothing here depends on the SDK.
//!
//! The values are those of AWS's API model (botocore `codedeploy/2014-10-06/service-2.json`:
//! `DeploymentStatus`, `DeploymentCreator`, `ComputePlatform`).

use std::fmt;

use serde::Serialize;

/// `DeploymentStatus`. A value the model gains later arrives as `Other` and is never taken for
/// one of these.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DeploymentStatus {
    Created,
    Queued,
    InProgress,
    Baking,
    Ready,
    Succeeded,
    Failed,
    Stopped,
    Other(String),
}

impl DeploymentStatus {
    /// The statuses from which a deployment can still be stopped.
    pub const IN_FLIGHT: [DeploymentStatus; 5] = [
        DeploymentStatus::Created,
        DeploymentStatus::Queued,
        DeploymentStatus::InProgress,
        DeploymentStatus::Baking,
        DeploymentStatus::Ready,
    ];

    /// The statuses a deployment ends in.
    pub const FINAL: [DeploymentStatus; 3] = [
        DeploymentStatus::Succeeded,
        DeploymentStatus::Failed,
        DeploymentStatus::Stopped,
    ];

    /// As AWS spells it.
    pub fn as_str(&self) -> &str {
        match self {
            DeploymentStatus::Created => "Created",
            DeploymentStatus::Queued => "Queued",
            DeploymentStatus::InProgress => "InProgress",
            DeploymentStatus::Baking => "Baking",
            DeploymentStatus::Ready => "Ready",
            DeploymentStatus::Succeeded => "Succeeded",
            DeploymentStatus::Failed => "Failed",
            DeploymentStatus::Stopped => "Stopped",
            DeploymentStatus::Other(s) => s,
        }
    }

    /// Failed or stopped: the group did not get the release.
    pub fn is_unsuccessful(&self) -> bool {
        matches!(self, DeploymentStatus::Failed | DeploymentStatus::Stopped)
    }
}

/// `DeploymentCreator`: who or what started a deployment.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Creator {
    User,
    Autoscaling,
    AutoscalingTermination,
    /// CodeDeploy itself (undocumented in the model).
    CodeDeploy,
    /// A rollback CodeDeploy started itself (a failed or stopped deployment with automatic
    /// rollback): a new deployment in the same group that redeploys the last good revision.
    CodeDeployRollback,
    CodeDeployAutoUpdate,
    CloudFormation,
    /// A rollback of a CloudFormation stack that redeploys the previous version.
    CloudFormationRollback,
    Other(String),
}

impl Creator {
    /// As AWS spells it.
    pub fn as_str(&self) -> &str {
        match self {
            Creator::User => "user",
            Creator::Autoscaling => "autoscaling",
            Creator::AutoscalingTermination => "autoscalingTermination",
            Creator::CodeDeploy => "CodeDeploy",
            Creator::CodeDeployRollback => "codeDeployRollback",
            Creator::CodeDeployAutoUpdate => "CodeDeployAutoUpdate",
            Creator::CloudFormation => "CloudFormation",
            Creator::CloudFormationRollback => "CloudFormationRollback",
            Creator::Other(s) => s,
        }
    }
}

/// `ComputePlatform`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ComputePlatform {
    Lambda,
    Ecs,
    /// EC2 or on-premises instances.
    Server,
    Other(String),
}

impl ComputePlatform {
    /// As AWS spells it.
    pub fn as_str(&self) -> &str {
        match self {
            ComputePlatform::Lambda => "Lambda",
            ComputePlatform::Ecs => "ECS",
            ComputePlatform::Server => "Server",
            ComputePlatform::Other(s) => s,
        }
    }
}

macro_rules! aws_spelling {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    )*};
}
aws_spelling!(DeploymentStatus, Creator, ComputePlatform);

/// Where a deployment came from when it is a rollback: CodeDeploy's (`codeDeployRollback`, with
/// `rollbackInfo.rollbackTriggeringDeploymentId` naming the deployment it undoes) or
/// CloudFormation's.
pub fn is_rollback(creator: &Creator, rollback_of: Option<&str>) -> bool {
    matches!(creator, Creator::CodeDeployRollback | Creator::CloudFormationRollback) || rollback_of.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rollbacks_are_known_by_creator_or_by_what_they_undo() {
        assert!(is_rollback(&Creator::CodeDeployRollback, None));
        assert!(is_rollback(&Creator::CloudFormationRollback, None));
        assert!(is_rollback(&Creator::User, Some("d-1")));
        assert!(!is_rollback(&Creator::User, None));
        assert!(!is_rollback(&Creator::CloudFormation, None));
        assert!(!is_rollback(&Creator::Other("autoRollback".into()), None));
    }

    #[test]
    fn values_are_spelled_as_aws_spells_them() {
        assert_eq!(Creator::CodeDeployRollback.to_string(), "codeDeployRollback");
        assert_eq!(ComputePlatform::Ecs.to_string(), "ECS");
        assert_eq!(
            serde_json::to_value(DeploymentStatus::InProgress).unwrap(),
            serde_json::json!("InProgress")
        );
        assert!(
            DeploymentStatus::IN_FLIGHT
                .iter()
                .all(|s| !DeploymentStatus::FINAL.contains(s))
        );
    }
}
