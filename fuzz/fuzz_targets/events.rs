#![no_main]
//! The events a function receives: the lifecycle hook event and the two EventBridge events.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    let _ = shiftguard::hook::runner::parse_lifecycle_event(value.clone());
    let _ = shiftguard::rollback::alarm_event::parse_alarm_event(value.clone());
    let _ = shiftguard::delivery::deployment_event::parse_deployment_event(value);
});
