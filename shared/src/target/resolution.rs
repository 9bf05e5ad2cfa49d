//! Finding the target of a deployment from the deployment itself, so one hook serves every
//! application (the hooks read the deployment first, for its settings as well).

use thiserror::Error;

use crate::ports::DeploymentInfo;
use crate::target::appspec::{AppSpecError, parse_appspec};
use crate::target::deployment_target::DeploymentTarget;
use crate::target::overrides::TargetOverride;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ResolveError {
    #[error("could not read the deployment's AppSpec: {0}")]
    AppSpec(#[from] AppSpecError),
    #[error("TARGET_FUNCTION/TARGET_VERSION are set, but deployment {0} is an ECS deployment; unset them")]
    OverrideOnEcs(String),
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
    use crate::ports::DeploymentReader;

    async fn deployment(appspec: &str) -> DeploymentInfo {
        FixedDeployment::new(appspec).deployment("d-1").await.unwrap()
    }

    const LAMBDA: &str = include_str!("../../tests/fixtures/appspec-lambda.yaml");
    const ECS: &str = include_str!("../../tests/fixtures/appspec-ecs.yaml");

    #[tokio::test]
    async fn reads_the_target_from_the_appspec() {
        let target = target_of("d-1", &deployment(LAMBDA).await, &TargetOverride::default()).unwrap();
        assert_eq!(target.label(), "orders-api:7");
    }

    #[tokio::test]
    async fn an_override_replaces_what_it_names() {
        let d = deployment(LAMBDA).await;
        let version = TargetOverride {
            function: None,
            version: Some("9".into()),
        };
        assert_eq!(target_of("d-1", &d, &version).unwrap().label(), "orders-api:9");
        let both = TargetOverride {
            function: Some("f".into()),
            version: Some("3".into()),
        };
        assert_eq!(target_of("d-1", &d, &both).unwrap().label(), "f:3");
    }

    #[tokio::test]
    async fn an_override_on_ecs_and_a_bad_appspec_say_which() {
        let o = TargetOverride {
            function: Some("f".into()),
            version: None,
        };
        assert_eq!(
            target_of("d-1", &deployment(ECS).await, &o).unwrap_err(),
            ResolveError::OverrideOnEcs("d-1".into())
        );
        let e = target_of("d-1", &deployment("Resources: []").await, &TargetOverride::default()).unwrap_err();
        assert!(matches!(e, ResolveError::AppSpec(AppSpecError::NoResources)), "{e}");
    }
}
