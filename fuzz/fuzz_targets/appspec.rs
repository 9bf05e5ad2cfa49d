#![no_main]
//! AppSpec content, JSON or YAML: never a panic, every error with a message.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &str| {
    if let Err(e) = shiftguard::target::appspec::parse_appspec(data) {
        assert!(!e.to_string().is_empty());
    }
});
