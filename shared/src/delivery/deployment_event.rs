//! The EventBridge `CodeDeploy Deployment State-change Notification` event.

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use serde::Deserialize;
use serde_json::Value;
use thiserror::Error;

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

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeploymentEvent {
    StateChange(DeploymentStateChange),
    Other(String),
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DeploymentEventError {
    #[error("the event is not an EventBridge event: {0}")]
    NotEventBridge(String),
    #[error("the deployment state change lacks detail.{0}")]
    Missing(&'static str),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Detail {
    application: Option<String>,
    deployment_group: Option<String>,
    deployment_id: Option<String>,
    state: Option<String>,
}

pub fn parse_deployment_event(event: Value) -> Result<DeploymentEvent, DeploymentEventError> {
    let event: EventBridgeEvent<Value> =
        serde_json::from_value(event).map_err(|e| DeploymentEventError::NotEventBridge(e.to_string()))?;
    if event.detail_type != DEPLOYMENT_DETAIL_TYPE {
        return Ok(DeploymentEvent::Other(format!(
            "a `{}` event from {}",
            event.detail_type, event.source
        )));
    }
    let d: Detail = serde_json::from_value(event.detail).map_err(|_| DeploymentEventError::Missing("(an object)"))?;
    let field = |v: Option<String>, name| v.filter(|s| !s.is_empty()).ok_or(DeploymentEventError::Missing(name));
    Ok(DeploymentEvent::StateChange(DeploymentStateChange {
        application: field(d.application, "application")?,
        deployment_group: field(d.deployment_group, "deploymentGroup")?,
        deployment_id: field(d.deployment_id, "deploymentId")?,
        state: DeploymentState::parse(&field(d.state, "state")?),
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
            Ok(DeploymentEvent::StateChange(DeploymentStateChange {
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
            Err(DeploymentEventError::Missing("deploymentId"))
        );
        let other = json!({"detail-type": "CodeDeploy Instance State-change Notification", "source": "aws.codedeploy", "detail": {}});
        assert!(matches!(parse_deployment_event(other), Ok(DeploymentEvent::Other(_))));
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
