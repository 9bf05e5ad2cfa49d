//! Reading settings from the environment: pure parsers over a lookup function, each error
//! naming its variable, the hooks' common settings, and the skeleton `SMOKE_TESTS` and
//! `METRIC_CHECKS` share (a capped array of uniquely named entries), and settings in layers
//! (`layers`: a deployment group's and an application's settings documents over the environment).
//!
//! May use: nothing else of this crate (its tests read through `gate::settings`).

pub mod env;
pub mod layers;
pub mod named_entries;
