#![no_main]
//! `SMOKE_TESTS`: never a panic, every error with a message.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &str| {
    if let Err(e) = shiftguard::smoke::probes::parse_smoke_tests(data) {
        assert!(e.to_string().starts_with("SMOKE_TESTS"));
    }
});
