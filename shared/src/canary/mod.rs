//! The canary judge: an anytime-valid test, on per-minute counts of both versions, that the new
//! version fails more often than the old one (conditioned on each minute's errors and traffic
//! split, so a base rate that drifts for both is not blamed on the release) or more often than
//! `MAX_ERROR_RATE`; looked at every minute of a shift and once more after it, with false
//! rollbacks at most α = 1 − `CONFIDENCE` over every look together. Pure: counts in, evidence
//! and decisions out. docs/canary-judge.md explains it; `make bench-judge` measures it.
//!
//! - [`minute`]: one minute's counts of both versions.
//! - [`e_process`]: the mixture of likelihood ratios both tests share.
//! - [`relative_risk`]: the new version against the old one.
//! - [`ceiling`]: the new version against `MAX_ERROR_RATE`.
//! - [`null_distribution`]: a minute's count when the new version is no worse.
//! - [`final_look`]: the exact test after the shift, on what the looks left of α.
//! - [`judge`]: both tests, every look, the verdict and its reasons.
//! - [`per_minute`]: CloudWatch's per-minute sums of both versions as complete [`minute`]s.
//! - [`settings`]: `CONFIDENCE`, `MAX_ERROR_RATE` (read as the gate reads them) and how α is spent.
//! - [`error`]: bad input, named by minute and field.
//!
//! Before a deployment, what the judge can see:
//! - [`shift`]: how the alias moves traffic; CodeDeploy's predefined Lambda configurations.
//! - [`simulation`]: deployments drawn at random (`make bench-judge`, `shiftguard plan`).
//! - [`plan`]: the smallest regression caught, and when, for a service's traffic and shift.
//!
//! May use: `gate::settings`'s parsers for `CONFIDENCE` and `MAX_ERROR_RATE`, `gate::metric_query`
//! for the per-version metrics, and `config`
//! (statrs for the distributions; rand and rand_distr for the simulation, seeded, never from
//! the operating system); its tests check a bound with `gate::statistics`.

pub mod ceiling;
pub mod e_process;
pub mod error;
pub mod final_look;
pub mod judge;
pub mod minute;
pub mod null_distribution;
pub mod per_minute;
pub mod plan;
pub mod relative_risk;
pub mod settings;
pub mod shift;
pub mod simulation;
