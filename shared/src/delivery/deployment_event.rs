//! The EventBridge `CodeDeploy Deployment State-change Notification` event.

use crate::eventbridge::{EventError, Incoming, read_event};
use serde::Deserialize;
use serde_json::Value;

pub const DEPLOYMENT_DETAIL_TYPE: &str = "CodeDeploy Deployment State-change Notification";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentStateChange {
    pub application: String,
    pub deployment_group: String,
    pub deployment_id: String,
    pub state: DeploymentState,
}

/// The event's `detail.state`: START, SUCCESS, FAILURE, STOP, READY
/// (<https://docs.aws.amazon.com/codedeploy/latest/userguide/monitoring-cloudwatch-events.html>).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeploymentState {
    Start,
    Success,
    Failure,
    Stop,
    Ready,
    Other(String),
}

impl DeploymentState {
    /// Read whatever the case.
    pub fn parse(value: &str) -> Self {
        match value.to_ascii_uppercase().as_str() {
            "START" => DeploymentState::Start,
            "SUCCESS" => DeploymentState::Success,
            "FAILURE" => DeploymentState::Failure,
            "STOP" => DeploymentState::Stop,
            "READY" => DeploymentState::Ready,
            other => DeploymentState::Other(other.to_string()),
        }
    }

    /// As the event spells it (upper case).
    pub fn as_str(&self) -> &str {
        match self {
            DeploymentState::Start => "START",
            DeploymentState::Success => "SUCCESS",
            DeploymentState::Failure => "FAILURE",
            DeploymentState::Stop => "STOP",
            DeploymentState::Ready => "READY",
            DeploymentState::Other(s) => s,
        }
    }
}

impl DeploymentStateChange {
    /// A state after which the deployment runs no more.
    pub fn is_final(&self) -> bool {
        matches!(
            self.state,
            DeploymentState::Success | DeploymentState::Failure | DeploymentState::Stop
        )
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Detail {
    application: Option<String>,
    deployment_group: Option<String>,
    deployment_id: Option<String>,
    state: Option<String>,
}

pub fn parse_deployment_event(event: Value) -> Result<Incoming<DeploymentStateChange>, EventError> {
    let d: Detail = match read_event(event, DEPLOYMENT_DETAIL_TYPE)? {
        Incoming::Handled((_, detail)) => detail,
        Incoming::Other(what) => return Ok(Incoming::Other(what)),
    };
    let field = |v: Option<String>, field| {
        v.filter(|s| !s.is_empty()).ok_or(EventError::Missing {
            detail_type: DEPLOYMENT_DETAIL_TYPE,
            field,
        })
    };
    Ok(Incoming::Handled(DeploymentStateChange {
        application: field(d.application, "detail.application")?,
        deployment_group: field(d.deployment_group, "detail.deploymentGroup")?,
        deployment_id: field(d.deployment_id, "detail.deploymentId")?,
        state: DeploymentState::parse(&field(d.state, "detail.state")?),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn reads_the_fixture() {
        let e = parse_deployment_event(
            serde_json::from_str(include_str!("../../tests/fixtures/deployment-state-change.json")).unwrap(),
        );
        assert_eq!(
            e,
            Ok(Incoming::Handled(DeploymentStateChange {
                application: "orders".into(),
                deployment_group: "orders-live".into(),
                deployment_id: "d-ABCDEF123".into(),
                state: DeploymentState::Success,
            }))
        );
    }

    #[test]
    fn missing_fields_are_named_and_other_events_ignored() {
        let e = json!({"detail-type": DEPLOYMENT_DETAIL_TYPE, "source": "aws.codedeploy", "detail": {"application": "a", "deploymentGroup": "g", "state": "START"}});
        assert_eq!(
            parse_deployment_event(e),
            Err(EventError::Missing {
                detail_type: DEPLOYMENT_DETAIL_TYPE,
                field: "detail.deploymentId"
            })
        );
        let other = json!({"detail-type": "CodeDeploy Instance State-change Notification", "source": "aws.codedeploy", "detail": {}});
        assert!(matches!(parse_deployment_event(other), Ok(Incoming::Other(_))));
    }

    proptest! {
        #[test]
        fn never_panics(v in proptest::collection::vec(proptest::option::of("\\PC{0,20}"), 4)) {
            let e = json!({"detail-type": DEPLOYMENT_DETAIL_TYPE, "source": "aws.codedeploy",
                "detail": {"application": v[0], "deploymentGroup": v[1], "deploymentId": v[2], "state": v[3]}});
            let _ = parse_deployment_event(e);
        }
    }
}
