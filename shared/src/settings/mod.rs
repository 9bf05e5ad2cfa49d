//! An application's settings (issue 15): its deployment group's and its application's settings
//! documents in Parameter Store (`documents`), layered over the function's environment and
//! checked by every parser any function applies (`effective`), so one hook stack serves every
//! application with its own thresholds and probes, and a broken document fails only its own.
//!
//! May use: `config`, `ports`, and the parsers of `smoke`, `gate` and `canary`.

pub mod documents;
pub mod effective;
