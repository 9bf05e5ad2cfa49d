#![no_main]
//! `METRIC_CHECKS`: never a panic, every error naming the variable.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &str| {
    if let Err(e) = shiftguard::gate::metric_checks::parse_metric_checks(data) {
        assert!(e.to_string().starts_with("METRIC_CHECKS"));
    }
});
