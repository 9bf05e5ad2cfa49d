#![no_main]
//! `ROLLBACK_TARGETS` and the `shiftguard:deployment-group` tag value: never a panic.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &str| {
    if let Err(e) = shiftguard::rollback::deployment_group::RollbackTargets::parse(data) {
        assert!(e.to_string().starts_with("ROLLBACK_TARGETS"));
    }
    let (groups, _) = shiftguard::rollback::deployment_group::parse_group_tag(data);
    assert!(groups.iter().all(|g| !g.application.is_empty() && !g.group.is_empty()));
});
