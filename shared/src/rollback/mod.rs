//! alarm-rollback's inputs: the `CloudWatch Alarm State Change` event, and the deployment groups
//! an alarm guards (`ROLLBACK_TARGETS` and the `shiftguard:deployment-group` tag). The rollback
//! itself lives in `functions/alarm-rollback`.
//!
//! May use: `eventbridge` (reading the event), `config` (its error type); `fakes` in tests.

pub mod alarm_event;
pub mod deployment_group;
