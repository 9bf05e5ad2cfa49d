//! deploy-events' delivery metrics (and the EMF writer the canary judge's evidence uses too): the `CodeDeploy Deployment State-change Notification`
//! event, deployment duration and time to restore, and the EMF writer that logs them.
//!
//! May use: `config` (`METRICS_NAMESPACE`), `ports` (deployment summaries), `deployment`, `eventbridge` (reading the event);
//! `fakes` in tests.

pub mod deployment_event;
pub mod emf;
pub mod metrics;
