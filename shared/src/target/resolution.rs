//! Finding the target of a deployment from the deployment itself, so one hook serves every application.

use thiserror::Error;

use crate::ports::{DeploymentInfo, DeploymentReader, LookupError};
use crate::target::appspec::{AppSpecError, parse_appspec};
use crate::target::deployment_target::{DeploymentTarget, LambdaTarget};
use crate::target::overrides::TargetOverride;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ResolveError {
    #[error("could not read the deployment: {0}")]
    Lookup(#[from] LookupError),
    #[error("could not read the deployment's AppSpec: {0}")]
    AppSpec(#[from] AppSpecError),
    #[error("TARGET_FUNCTION/TARGET_VERSION are set, but deployment {0} is an ECS deployment; unset them")]
    OverrideOnEcs(String),
}

/// The target, and the deployment it came from where the deployment was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedTarget {
    pub target: DeploymentTarget,
    pub deployment: Option<DeploymentInfo>,
}

/// Reads the target from the deployment's AppSpec. `TARGET_FUNCTION` and `TARGET_VERSION`
/// replace what the AppSpec says; with both set, the deployment is not read at all.
pub async fn resolve_target(
    reader: &impl DeploymentReader,
    deployment_id: &str,
    overrides: &TargetOverride,
) -> Result<ResolvedTarget, ResolveError> {
    if let (Some(function), Some(version)) = (&overrides.function, &overrides.version) {
        return Ok(ResolvedTarget {
            target: DeploymentTarget::Lambda(LambdaTarget {
                function_name: function.clone(),
                alias: None,
                current_version: None,
                target_version: version.clone(),
            }),
            deployment: None,
        });
    }
    let deployment = reader.deployment(deployment_id).await?;
    let target = target_of(deployment_id, &deployment, overrides)?;
    Ok(ResolvedTarget {
        target,
        deployment: Some(deployment),
    })
}

/// The target a deployment's AppSpec names, with `TARGET_FUNCTION`/`TARGET_VERSION` applied.
pub fn target_of(
    deployment_id: &str,
    deployment: &DeploymentInfo,
    overrides: &TargetOverride,
) -> Result<DeploymentTarget, ResolveError> {
    match parse_appspec(&deployment.appspec)? {
        DeploymentTarget::Lambda(mut t) => {
            if let Some(f) = &overrides.function {
                t.function_name = f.clone();
            }
            if let Some(v) = &overrides.version {
                t.target_version = v.clone();
            }
            Ok(DeploymentTarget::Lambda(t))
        }
        DeploymentTarget::Ecs(_) if overrides != &TargetOverride::default() => {
            Err(ResolveError::OverrideOnEcs(deployment_id.to_string()))
        }
        ecs => Ok(ecs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::FixedDeployment;

    fn reader(appspec: &'static str) -> FixedDeployment {
        FixedDeployment::new(appspec)
    }

    #[tokio::test]
    async fn reads_the_target_from_the_appspec() {
        let r = reader(include_str!("../../tests/fixtures/appspec-lambda.yaml"));
        let resolved = resolve_target(&r, "d-1", &TargetOverride::default()).await.unwrap();
        assert_eq!(resolved.target.label(), "orders-api:7");
        assert_eq!(resolved.deployment.unwrap().application, "orders");
    }

    #[tokio::test]
    async fn a_complete_override_skips_the_lookup() {
        let r = reader("");
        let o = TargetOverride {
            function: Some("f".into()),
            version: Some("3".into()),
        };
        let resolved = resolve_target(&r, "d-1", &o).await.unwrap();
        assert_eq!(resolved.target.label(), "f:3");
        assert_eq!(r.lookups(), 0);
    }

    #[tokio::test]
    async fn a_partial_override_replaces_one_field() {
        let r = reader(include_str!("../../tests/fixtures/appspec-lambda.yaml"));
        let o = TargetOverride {
            function: None,
            version: Some("9".into()),
        };
        assert_eq!(
            resolve_target(&r, "d-1", &o).await.unwrap().target.label(),
            "orders-api:9"
        );
    }

    #[tokio::test]
    async fn lookup_and_appspec_errors_say_which() {
        let r = reader(include_str!("../../tests/fixtures/appspec-ecs.yaml"));
        let e = resolve_target(&r, crate::fakes::UNKNOWN_DEPLOYMENT, &TargetOverride::default())
            .await
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "could not read the deployment: deployment d-unknown does not exist in this account and region"
        );
        let o = TargetOverride {
            function: Some("f".into()),
            version: None,
        };
        assert_eq!(
            resolve_target(&r, "d-1", &o).await.unwrap_err(),
            ResolveError::OverrideOnEcs("d-1".into())
        );
        let bad = reader("Resources: []");
        let e = resolve_target(&bad, "d-1", &TargetOverride::default())
            .await
            .unwrap_err();
        assert!(matches!(e, ResolveError::AppSpec(AppSpecError::NoResources)), "{e}");
    }
}
