//! The EventBridge `CloudWatch Alarm State Change` event, reduced to what rollback needs.
//! The detail is read leniently: metric-math and composite alarms have other configurations,
//! so only the alarm name and states are required.

use crate::eventbridge::{EventError, Incoming, read_event};
use serde::Deserialize;
use serde_json::Value;

pub const ALARM_DETAIL_TYPE: &str = "CloudWatch Alarm State Change";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlarmStateChange {
    pub alarm_name: String,
    /// The alarm's ARN, from the event's `resources`, where present.
    pub alarm_arn: Option<String>,
    pub state: AlarmState,
    pub previous_state: Option<AlarmState>,
    pub reason: Option<String>,
    /// When the state changed: the event's `time`. A retried or late event is judged as of then.
    pub at: Option<std::time::SystemTime>,
}

/// CloudWatch's `StateValue` (`OK`, `ALARM`, `INSUFFICIENT_DATA`; botocore
/// `cloudwatch/2010-08-01/service-2.json`), as the event's `state.value` spells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlarmState {
    Ok,
    Alarm,
    InsufficientData,
    Other(String),
}

impl AlarmState {
    pub fn parse(value: &str) -> Self {
        match value {
            "OK" => AlarmState::Ok,
            "ALARM" => AlarmState::Alarm,
            "INSUFFICIENT_DATA" => AlarmState::InsufficientData,
            other => AlarmState::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            AlarmState::Ok => "OK",
            AlarmState::Alarm => "ALARM",
            AlarmState::InsufficientData => "INSUFFICIENT_DATA",
            AlarmState::Other(s) => s,
        }
    }
}

impl std::fmt::Display for AlarmState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Detail {
    alarm_name: Option<String>,
    state: Option<State>,
    previous_state: Option<State>,
}

#[derive(Deserialize)]
struct State {
    value: Option<String>,
    reason: Option<String>,
}

pub fn parse_alarm_event(event: Value) -> Result<Incoming<AlarmStateChange>, EventError> {
    let (event, detail): (_, Detail) = match read_event(event, ALARM_DETAIL_TYPE)? {
        Incoming::Handled(read) => read,
        Incoming::Other(what) => return Ok(Incoming::Other(what)),
    };
    let missing = |field| EventError::Missing {
        detail_type: ALARM_DETAIL_TYPE,
        field,
    };
    let alarm_name = detail
        .alarm_name
        .filter(|n| !n.is_empty())
        .ok_or(missing("detail.alarmName"))?;
    let state = detail.state.ok_or(missing("detail.state"))?;
    Ok(Incoming::Handled(AlarmStateChange {
        alarm_name,
        alarm_arn: event
            .resources
            .unwrap_or_default()
            .into_iter()
            .find(|r| r.starts_with("arn:") && r.contains(":alarm:")),
        state: AlarmState::parse(&state.value.ok_or(missing("detail.state.value"))?),
        previous_state: detail
            .previous_state
            .and_then(|s| s.value)
            .as_deref()
            .map(AlarmState::parse),
        reason: state.reason,
        at: event.time.map(std::time::SystemTime::from),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn reads_a_metric_alarm_event() {
        let e = parse_alarm_event(
            serde_json::from_str(include_str!("../../tests/fixtures/alarm-state-change.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(
            e,
            Incoming::Handled(AlarmStateChange {
                alarm_name: "orders-error-rate".into(),
                alarm_arn: Some("arn:aws:cloudwatch:us-east-1:123456789012:alarm:orders-error-rate".into()),
                state: AlarmState::Alarm,
                previous_state: Some(AlarmState::Ok),
                reason: Some("Threshold Crossed: 1 datapoint [5.0] was greater than the threshold (1.0).".into()),
                // 2026-11-27T16:00:00Z
                at: Some(std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_795_795_200)),
            })
        );
    }

    #[test]
    fn reads_a_composite_alarm_event_without_a_metric_configuration() {
        let event = json!({"detail-type": ALARM_DETAIL_TYPE, "source": "aws.cloudwatch",
            "resources": ["arn:aws:cloudwatch:us-east-1:123456789012:alarm:composite"],
            "detail": {"alarmName": "composite", "state": {"value": "ALARM", "reason": "child"},
                       "configuration": {"alarmRule": "ALARM(a) OR ALARM(b)"}}});
        assert!(matches!(parse_alarm_event(event), Ok(Incoming::Handled(c)) if c.alarm_name == "composite"));
    }

    #[test]
    fn other_events_are_not_errors() {
        let event = json!({"detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2", "detail": {}});
        assert!(matches!(parse_alarm_event(event), Ok(Incoming::Other(_))));
    }

    #[test]
    fn broken_events_say_what_is_missing() {
        assert!(matches!(
            parse_alarm_event(json!({"hello": 1})),
            Err(EventError::NotEventBridge(_))
        ));
        let no_state =
            json!({"detail-type": ALARM_DETAIL_TYPE, "source": "aws.cloudwatch", "detail": {"alarmName": "a"}});
        assert_eq!(
            parse_alarm_event(no_state),
            Err(EventError::Missing {
                detail_type: ALARM_DETAIL_TYPE,
                field: "detail.state"
            })
        );
    }

    proptest! {
        #[test]
        fn never_panics(name in proptest::option::of("\\PC{0,30}"), state in proptest::option::of("[A-Z_]{0,20}"), res in proptest::collection::vec("\\PC{0,40}", 0..3)) {
            let event = json!({"detail-type": ALARM_DETAIL_TYPE, "source": "aws.cloudwatch", "resources": res,
                "detail": {"alarmName": name, "state": {"value": state}}});
            let _ = parse_alarm_event(event);
        }
    }
}
