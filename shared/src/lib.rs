//! shiftguard's validation core, shared by every hook.
//!
//! The pure part knows nothing of AWS: [`appspec`], [`target`], [`smoke_tests`],
//! [`probe_evaluation`], [`check`], [`verdict`], [`env_config`], and for the post-traffic gate
//! [`statistics`], [`metric_query`], [`metric_checks`], [`gate_settings`], [`metric_gate`], and
//! for the EventBridge functions [`alarm_event`], [`deployment_group`], [`deployment_event`],
//! [`delivery_metrics`], [`emf`]. [`ports`] names the few
//! capabilities the hooks need; [`aws`] and [`http_probe`] implement them. [`hook_runner`]
//! is the lifecycle hook contract every hook runs under.

pub mod alarm_event;
pub mod appspec;
pub mod aws;
pub mod call_time;
pub mod check;
pub mod decision_record;
pub mod delivery_metrics;
pub mod deployment;
pub mod deployment_event;
pub mod deployment_group;
pub mod emf;
pub mod env_config;
#[cfg(any(test, feature = "fakes"))]
pub mod fakes;
pub mod gate_settings;
pub mod hook_runner;
pub mod http_probe;
pub mod metric_checks;
pub mod metric_gate;
pub mod metric_plan;
pub mod metric_query;
pub mod named_entries;
pub mod ports;
pub mod probe_evaluation;
pub mod smoke_tests;
pub mod statistics;
pub mod target;
pub mod target_resolution;
pub mod verdict;
