//! post-traffic's judgement: its settings, `METRIC_CHECKS`, the metric plan (every query in one
//! `GetMetricData`), the statistics of the one-look rules, and the judgement of the new version:
//! against the old one by the canary judge's final look on the per-minute series, against its
//! thresholds. Pure: numbers in, check outcomes out.
//!
//! May use: `hook` (check outcomes), `target`, `config`, `canary` (the judge, its per-minute
//! series).

pub mod judgement;
pub mod metric_checks;
pub mod metric_plan;
pub mod metric_query;
pub mod settings;
pub mod statistics;
