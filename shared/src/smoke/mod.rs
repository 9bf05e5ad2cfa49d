//! pre-traffic's smoke tests: `SMOKE_TESTS` parsed and validated, the marker a probe carries, and
//! judging one probe's answer.
//! Pure: the probes are sent by the function, through the ports.
//!
//! May use: `config` (the named-entries skeleton).

pub mod evaluation;
pub mod marker;
pub mod probes;
