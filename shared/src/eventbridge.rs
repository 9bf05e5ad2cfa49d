//! What the EventBridge functions (alarm-rollback, deploy-events, canary-judge) share: reading the one kind of
//! event each handles, and the errors that end an invocation, with Lambda's `errorType`.

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use lambda_runtime::Diagnostic;
use serde::de::DeserializeOwned;
use serde_json::Value;
use thiserror::Error;

use crate::config::env::ConfigError;

/// An incoming event: the kind the function handles, or another one (nothing to do, and why).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming<T> {
    Handled(T),
    Other(String),
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum EventError {
    #[error("the event is not an EventBridge event: {0}")]
    NotEventBridge(String),
    #[error("the `{detail_type}` event lacks {field}")]
    Missing {
        detail_type: &'static str,
        field: &'static str,
    },
}

/// The envelope and the detail of an event of `detail_type`, or what other event it is.
pub fn read_event<D: DeserializeOwned>(
    event: Value,
    detail_type: &'static str,
) -> Result<Incoming<(EventBridgeEvent<Value>, D)>, EventError> {
    let mut event: EventBridgeEvent<Value> =
        serde_json::from_value(event).map_err(|e| EventError::NotEventBridge(e.to_string()))?;
    if event.detail_type != detail_type {
        return Ok(Incoming::Other(format!(
            "a `{}` event from {}",
            event.detail_type, event.source
        )));
    }
    let detail = serde_json::from_value(event.detail.take()).map_err(|_| EventError::Missing {
        detail_type,
        field: "a detail object",
    })?;
    Ok(Incoming::Handled((event, detail)))
}

/// Why an invocation failed. Lambda retries an asynchronous event that failed, so only what a
/// retry can mend, or what a person must see, fails.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum InvocationError {
    #[error(transparent)]
    InvalidEvent(#[from] EventError),
    #[error("{function} is misconfigured: {error}")]
    Misconfigured { function: &'static str, error: ConfigError },
    /// Some groups could not be acted on; a retry may reach them.
    #[error("{0}")]
    RollbackIncomplete(String),
    /// The canary judge could not judge or stop some deployments; the next tick tries again.
    #[error("{0}")]
    JudgementIncomplete(String),
}

impl From<InvocationError> for Diagnostic {
    fn from(e: InvocationError) -> Self {
        let error_type = match &e {
            InvocationError::InvalidEvent(_) => "Shiftguard.InvalidEvent",
            InvocationError::Misconfigured { .. } => "Shiftguard.Misconfigured",
            InvocationError::RollbackIncomplete(_) => "Shiftguard.RollbackIncomplete",
            InvocationError::JudgementIncomplete(_) => "Shiftguard.JudgementIncomplete",
        };
        Diagnostic {
            error_type: error_type.to_string(),
            error_message: e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn other_events_are_named_and_bad_ones_refused() {
        let other = json!({"version": "0", "id": "1", "detail-type": "Something Else", "source": "aws.s3",
            "account": "1", "time": "2026-11-27T16:00:00Z", "region": "us-east-1", "resources": [], "detail": {}});
        assert_eq!(
            read_event::<Value>(other, "CloudWatch Alarm State Change"),
            Ok(Incoming::Other("a `Something Else` event from aws.s3".into()))
        );
        assert!(matches!(
            read_event::<Value>(json!([1]), "X"),
            Err(EventError::NotEventBridge(_))
        ));
    }

    #[test]
    fn each_error_has_its_lambda_error_type() {
        let d = Diagnostic::from(InvocationError::Misconfigured {
            function: "deploy-events",
            error: ConfigError::Unusable {
                variable: "METRICS_NAMESPACE",
                problem: "starts with AWS/".into(),
            },
        });
        assert_eq!(d.error_type, "Shiftguard.Misconfigured");
        assert_eq!(
            d.error_message,
            "deploy-events is misconfigured: METRICS_NAMESPACE is not valid: starts with AWS/"
        );
    }
}
