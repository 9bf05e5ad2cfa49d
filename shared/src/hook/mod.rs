//! The lifecycle hook contract every hook runs under: the CodeDeploy event, the runner (one
//! status per invocation, bounded by the deadline, panics caught, dry run), the outcome of each
//! check, the verdict, and the decision record.
//!
//! May use: `target` (the record names the target), `config` (the hook settings), `ports`,
//! `deployment`. Nothing of AWS's SDK.

pub mod check;
pub mod decision_record;
pub mod runner;
pub mod verdict;
