//! post-traffic's judgement: its settings, `METRIC_CHECKS`, the metric plan (every query in one
//! `GetMetricData`), the statistics, and the judgement of the new version against its thresholds
//! and the old version. Pure: numbers in, check outcomes out.
//!
//! May use: `hook` (check outcomes), `target`, `config`.

pub mod judgement;
pub mod metric_checks;
pub mod metric_plan;
pub mod metric_query;
pub mod settings;
pub mod statistics;
