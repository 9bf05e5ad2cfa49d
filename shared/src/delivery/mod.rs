//! deploy-events' delivery metrics: the `CodeDeploy Deployment State-change Notification`
//! event, deployment duration and time to restore, and the EMF writer that logs them.
//!
//! May use: `ports` (deployment summaries), `deployment`, `eventbridge` (reading the event);
//! `fakes` in tests.

pub mod deployment_event;
pub mod emf;
pub mod metrics;
