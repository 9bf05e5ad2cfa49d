//! From CloudWatch's per-minute sums to the judge's [`Minute`]s: which minutes are complete, the
//! four queries (invocations and errors of each version through the alias), and the alignment of
//! their datapoints by timestamp.
//!
//! CloudWatch returns a datapoint only for a minute that had one: a minute without one is a
//! minute without calls (for that version), never a missing read, because only results CloudWatch
//! marked `Complete` reach here (`ports::MetricData`). A minute still filling is not read at all:
//! "Lambda sends metric data to CloudWatch in 1-minute intervals"
//! (<https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics.html>), and a minute read
//! before its last batch arrived would count too few calls and errors.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use crate::canary::minute::{Counts, Minute};
use crate::config::env::{ConfigError, parse_u64};
use crate::gate::metric_query::{MetricQuery, MetricWindow, lambda_version_metric};

pub const MINUTE: Duration = Duration::from_secs(60);

/// How long after a minute ends its metrics are read as complete, by default. AWS documents the
/// one-minute interval, not the delay; two minutes leaves one for publication.
pub const DEFAULT_SETTLE: Duration = Duration::from_secs(120);

/// `SETTLE_SECONDS` (0 to 600, default [`DEFAULT_SETTLE`]): how long after a minute ends the
/// canary judge and post-traffic read its metrics as complete.
pub fn settle(get: &impl Fn(&str) -> Option<String>) -> Result<Duration, ConfigError> {
    Ok(parse_u64(get, "SETTLE_SECONDS", 0..=600)?.map_or(DEFAULT_SETTLE, Duration::from_secs))
}

/// The start of the minute `t` falls in.
pub fn minute_start(t: SystemTime) -> SystemTime {
    let s = t.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default().as_secs();
    SystemTime::UNIX_EPOCH + Duration::from_secs(s - s % 60)
}

/// The complete minutes of a deployment: from the start of the minute it was created in to the
/// end of the last minute that ended at least `settle` before `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Minutes {
    pub start: SystemTime,
    /// Exclusive.
    pub end: SystemTime,
}

impl Minutes {
    /// `None` while no minute of the deployment is complete.
    pub fn complete(created_at: SystemTime, now: SystemTime, settle: Duration) -> Option<Minutes> {
        let start = minute_start(created_at);
        let end = minute_start(now.checked_sub(settle)?);
        (end > start).then_some(Minutes { start, end })
    }

    pub fn count(&self) -> usize {
        (self.end.duration_since(self.start).unwrap_or_default().as_secs() / 60) as usize
    }

    /// One `GetMetricData` period a minute over these minutes.
    pub fn window(&self) -> MetricWindow {
        MetricWindow {
            start: self.start,
            end: self.end,
            period_s: 60,
        }
    }

    /// The smallest span holding all of `spans`.
    pub fn union(spans: impl IntoIterator<Item = Minutes>) -> Option<Minutes> {
        spans.into_iter().reduce(|a, b| Minutes {
            start: a.start.min(b.start),
            end: a.end.max(b.end),
        })
    }
}

/// A function's two versions behind the alias a deployment shifts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AliasVersions {
    pub function: String,
    pub alias: String,
    /// The alias's `TargetVersion`.
    pub new: String,
    /// The alias's `CurrentVersion`.
    pub old: String,
}

const SERIES: [(&str, bool, &str); 4] = [
    ("new_invocations", true, "Invocations"),
    ("new_errors", true, "Errors"),
    ("old_invocations", false, "Invocations"),
    ("old_errors", false, "Errors"),
];

/// The four `Sum` queries of one deployment, their ids `<prefix>_new_invocations` and so on
/// (`prefix` must start with a lowercase letter, as CloudWatch requires of an id).
pub fn queries(prefix: &str, versions: &AliasVersions) -> Vec<MetricQuery> {
    SERIES
        .iter()
        .map(|(name, new, metric)| {
            MetricQuery::new(
                format!("{prefix}_{name}"),
                lambda_version_metric(
                    &versions.function,
                    &versions.alias,
                    if *new { &versions.new } else { &versions.old },
                    metric,
                    "Sum",
                ),
            )
        })
        .collect()
}

/// One query's datapoints by minute start.
fn by_minute(values: Option<&Vec<f64>>, timestamps: Option<&Vec<SystemTime>>) -> BTreeMap<SystemTime, u64> {
    let mut out = BTreeMap::new();
    for (v, t) in values.into_iter().flatten().zip(timestamps.into_iter().flatten()) {
        if v.is_finite() && *v > 0.0 {
            *out.entry(minute_start(*t)).or_insert(0) += v.round() as u64;
        }
    }
    out
}

/// The deployment's complete minutes, oldest first, from the results of [`queries`] with the same
/// `prefix`. Datapoints outside `minutes` are left out.
pub fn minutes_from(
    prefix: &str,
    minutes: &Minutes,
    values: &BTreeMap<String, Vec<f64>>,
    timestamps: &BTreeMap<String, Vec<SystemTime>>,
) -> Vec<Minute> {
    let series: Vec<BTreeMap<SystemTime, u64>> = SERIES
        .iter()
        .map(|(name, _, _)| {
            let id = format!("{prefix}_{name}");
            by_minute(values.get(&id), timestamps.get(&id))
        })
        .collect();
    (0..minutes.count())
        .map(|i| {
            let at = minutes.start + MINUTE * i as u32;
            let get = |k: usize| series[k].get(&at).copied().unwrap_or(0);
            Minute::new(Counts::new(get(0), get(1)), Counts::new(get(2), get(3)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + s)
    }

    #[test]
    fn only_minutes_that_ended_a_settle_ago_are_complete() {
        // Created at 0:30 into minute 0; now 4:10 with two minutes to settle: minutes 0 and 1.
        let m = Minutes::complete(t(30), t(250), DEFAULT_SETTLE).unwrap();
        assert_eq!((m.start, m.end, m.count()), (t(0), t(120), 2));
        assert_eq!(Minutes::complete(t(30), t(179), DEFAULT_SETTLE), None);
        assert_eq!(Minutes::complete(t(30), t(180), DEFAULT_SETTLE).unwrap().count(), 1);
        assert_eq!(m.window().period_s, 60);
    }

    #[test]
    fn datapoints_align_by_minute_and_a_missing_one_is_no_calls() {
        let v = AliasVersions {
            function: "orders".into(),
            alias: "live".into(),
            new: "8".into(),
            old: "7".into(),
        };
        let q = queries("d0", &v);
        assert_eq!(
            q.iter().map(|q| q.id.as_str()).collect::<Vec<_>>(),
            [
                "d0_new_invocations",
                "d0_new_errors",
                "d0_old_invocations",
                "d0_old_errors"
            ]
        );
        assert_eq!(q[1].metric.dimensions["ExecutedVersion"], "8");
        assert_eq!(q[2].metric.dimensions["Resource"], "orders:live");
        let values = BTreeMap::from([
            ("d0_new_invocations".to_string(), vec![20.0, 30.0]),
            ("d0_new_errors".to_string(), vec![2.0]),
            ("d0_old_invocations".to_string(), vec![100.0, 180.0, 170.0, 999.0]),
        ]);
        let timestamps = BTreeMap::from([
            ("d0_new_invocations".to_string(), vec![t(60), t(120)]),
            ("d0_new_errors".to_string(), vec![t(120)]),
            ("d0_old_invocations".to_string(), vec![t(0), t(60), t(120), t(180)]),
        ]);
        let minutes = Minutes::complete(t(10), t(300), DEFAULT_SETTLE).unwrap();
        assert_eq!(
            minutes_from("d0", &minutes, &values, &timestamps),
            vec![
                Minute::new(Counts::new(0, 0), Counts::new(100, 0)),
                Minute::new(Counts::new(20, 0), Counts::new(180, 0)),
                Minute::new(Counts::new(30, 2), Counts::new(170, 0)),
            ],
            "minute 3 (t 180) is still filling and is left out"
        );
    }

    #[test]
    fn settle_seconds_is_read_and_checked() {
        assert_eq!(settle(&|_| None).unwrap(), DEFAULT_SETTLE);
        assert_eq!(settle(&|_| Some("0".into())).unwrap(), Duration::ZERO);
        let e = settle(&|_| Some("601".into())).unwrap_err().to_string();
        assert!(e.starts_with("SETTLE_SECONDS is not valid"), "{e}");
    }

    #[test]
    fn spans_join() {
        let a = Minutes {
            start: t(60),
            end: t(180),
        };
        let b = Minutes {
            start: t(0),
            end: t(120),
        };
        assert_eq!(
            Minutes::union([a, b]),
            Some(Minutes {
                start: t(0),
                end: t(180)
            })
        );
        assert_eq!(Minutes::union([]), None);
    }
}
