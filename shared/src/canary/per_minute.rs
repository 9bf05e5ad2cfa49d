//! From CloudWatch's per-minute sums to the judge's [`Minute`]s: which minutes are complete, the
//! four queries (calls and errors of each version: a Lambda function's versions through the alias,
//! or an ECS deployment's two target groups), and the alignment of their datapoints by timestamp.
//!
//! CloudWatch returns a datapoint only for a minute that had one: a minute without one is a
//! minute without calls (for that version), never a missing read, because only results CloudWatch
//! marked `Complete` reach here (`ports::MetricData`). A minute still filling is not read at all.
//! AWS (<https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics.html>): "Lambda sends
//! metric data to CloudWatch in 1-minute intervals", and "The timestamp on a metric reflects when
//! the function was invoked. Depending on the duration of the invocation, this can be several
//! minutes before the metric is emitted. For example, if your function has a 10-minute timeout,
//! look more than 10 minutes in the past for accurate metrics." A minute read too early would
//! count its quick calls (often the failures) without its slow ones: [`settle_after`].

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use crate::canary::minute::{Counts, Minute};
use crate::config::env::{ConfigError, parse_u64};
use crate::gate::metric_query::{MetricQuery, MetricRef, MetricWindow, lambda_version_metric};

pub const MINUTE: Duration = Duration::from_secs(60);

/// How long after a minute ends its metrics are read as complete, by default. AWS documents the
/// one-minute interval, not the delay; two minutes leaves one for publication.
pub const DEFAULT_SETTLE: Duration = Duration::from_secs(120);

/// `SETTLE_SECONDS` (0 to 600, default [`DEFAULT_SETTLE`]): how long after the last invocation
/// of a minute has ended its metrics are read as complete (see [`settle_after`]).
pub fn settle(get: &impl Fn(&str) -> Option<String>) -> Result<Duration, ConfigError> {
    Ok(parse_u64(get, "SETTLE_SECONDS", 0..=600)?.map_or(DEFAULT_SETTLE, Duration::from_secs))
}

/// How long after a minute ends its metrics are complete for a function whose versions may run
/// for `timeout`: an invocation started in the minute's last second is stamped in it and reported
/// when it ends, up to `timeout` later, then `settle` for the publication.
pub fn settle_after(settle: Duration, timeout: Duration) -> Duration {
    settle + timeout
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

/// The four per-minute sums the judge reads of one deployment: calls and errors of the new
/// version, then of the old one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MinuteMetrics {
    pub new_calls: MetricRef,
    pub new_errors: MetricRef,
    pub old_calls: MetricRef,
    pub old_errors: MetricRef,
}

impl MinuteMetrics {
    /// A Lambda function's `Invocations` and `Errors` of each version through the alias.
    pub fn lambda(v: &AliasVersions) -> MinuteMetrics {
        let m = |version: &str, metric: &str| lambda_version_metric(&v.function, &v.alias, version, metric, "Sum");
        MinuteMetrics {
            new_calls: m(&v.new, "Invocations"),
            new_errors: m(&v.new, "Errors"),
            old_calls: m(&v.old, "Invocations"),
            old_errors: m(&v.old, "Errors"),
        }
    }

    /// An ECS blue/green deployment's `RequestCount` and `HTTPCode_Target_5XX_Count` of the
    /// replacement and the original target groups, under `{TargetGroup, LoadBalancer}` as the
    /// Application Load Balancer reports them
    /// (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html>).
    pub fn target_groups(load_balancer: &str, replacement: &str, original: &str) -> MinuteMetrics {
        let m = |group: &str, metric: &str| MetricRef {
            namespace: "AWS/ApplicationELB".to_string(),
            metric: metric.to_string(),
            dimensions: BTreeMap::from([
                ("LoadBalancer".to_string(), load_balancer.to_string()),
                ("TargetGroup".to_string(), group.to_string()),
            ]),
            stat: "Sum".to_string(),
        };
        MinuteMetrics {
            new_calls: m(replacement, "RequestCount"),
            new_errors: m(replacement, "HTTPCode_Target_5XX_Count"),
            old_calls: m(original, "RequestCount"),
            old_errors: m(original, "HTTPCode_Target_5XX_Count"),
        }
    }

    /// Each metric with its name in [`SERIES`], in that order.
    fn each(&self) -> [(&'static str, &MetricRef); 4] {
        let metrics = [&self.new_calls, &self.new_errors, &self.old_calls, &self.old_errors];
        std::array::from_fn(|i| (SERIES[i], metrics[i]))
    }
}

/// The four series' names, the end of their query ids, in the order a [`Minute`]'s counts take.
const SERIES: [&str; 4] = ["new_calls", "new_errors", "old_calls", "old_errors"];

/// The four `Sum` queries of one deployment, a minute a period, their ids `<prefix>_new_calls`
/// and so on (`prefix` must start with a lowercase letter, as CloudWatch requires of an id).
pub fn queries(prefix: &str, metrics: &MinuteMetrics) -> Vec<MetricQuery> {
    metrics
        .each()
        .into_iter()
        .map(|(name, metric)| MetricQuery {
            period_s: Some(60),
            ..MetricQuery::new(format!("{prefix}_{name}"), metric.clone())
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
        .map(|name| {
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
        let q = queries("d0", &MinuteMetrics::lambda(&v));
        assert_eq!(
            q.iter().map(|q| q.id.as_str()).collect::<Vec<_>>(),
            ["d0_new_calls", "d0_new_errors", "d0_old_calls", "d0_old_errors"]
        );
        assert_eq!(q[1].metric.dimensions["ExecutedVersion"], "8");
        assert_eq!(q[1].metric.metric, "Errors");
        assert_eq!(q[2].metric.dimensions["Resource"], "orders:live");
        let values = BTreeMap::from([
            ("d0_new_calls".to_string(), vec![20.0, 30.0]),
            ("d0_new_errors".to_string(), vec![2.0]),
            ("d0_old_calls".to_string(), vec![100.0, 180.0, 170.0, 999.0]),
        ]);
        let timestamps = BTreeMap::from([
            ("d0_new_calls".to_string(), vec![t(60), t(120)]),
            ("d0_new_errors".to_string(), vec![t(120)]),
            ("d0_old_calls".to_string(), vec![t(0), t(60), t(120), t(180)]),
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
    fn an_ecs_deployment_is_read_on_its_two_target_groups_behind_the_load_balancer() {
        let m = MinuteMetrics::target_groups("app/web/50dc6c495c0c9188", "targetgroup/green/1", "targetgroup/blue/2");
        assert_eq!(
            (m.new_calls.metric.as_str(), m.old_errors.metric.as_str()),
            ("RequestCount", "HTTPCode_Target_5XX_Count")
        );
        assert_eq!(m.new_errors.dimensions["TargetGroup"], "targetgroup/green/1");
        assert_eq!(m.old_calls.dimensions["TargetGroup"], "targetgroup/blue/2");
        assert_eq!(m.old_calls.dimensions["LoadBalancer"], "app/web/50dc6c495c0c9188");
        assert_eq!(
            m.old_calls.dimensions.len(),
            2,
            "CloudWatch matches dimension sets exactly"
        );
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
