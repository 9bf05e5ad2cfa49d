//! Reading settings from the environment: pure parsers over a lookup function, each error
//! naming its variable, the hooks' common settings, and the skeleton `SMOKE_TESTS` and
//! `METRIC_CHECKS` share (a capped array of uniquely named entries).
//!
//! May use: nothing else of this crate.

pub mod env;
pub mod named_entries;
