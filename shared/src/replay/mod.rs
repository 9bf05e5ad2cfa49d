//! `shiftguard replay`: what shiftguard would have decided on deployments that have completed,
//! from the per-minute metrics CloudWatch still holds. It runs the canary judge's looks minute
//! by minute, then post-traffic's judgement over the shift, with the settings given.
//!
//! - [`span`]: which minutes of a past deployment can still be judged (CloudWatch's retention). Pure.
//! - [`outcome`]: what shiftguard would have done, beside what CodeDeploy did. Pure.
//! - [`history`]: the deployments read and judged through the ports, as the functions read them.
//!
//! May use: `canary`, `gate`, `target`, `settings`, `deployment` and `ports`.

pub mod history;
pub mod outcome;
pub mod span;
