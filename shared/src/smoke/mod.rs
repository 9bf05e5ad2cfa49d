//! Smoke tests, for pre-traffic and `shiftguard validate`: `SMOKE_TESTS` parsed and validated,
//! the marker a probe carries, judging one probe's answer (pure), and running the probes through
//! the ports within a budget (`runner`).
//!
//! May use: `config` (the named-entries skeleton), `hook` (check outcomes), `ports`, `target`.

pub mod evaluation;
pub mod marker;
pub mod probes;
pub mod runner;
