//! The metrics the post-traffic gate reads, as plain data: what to ask CloudWatch for, and how
//! the datapoints of one query reduce to one number.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use serde::Serialize;

/// The time span one `GetMetricData` call covers, and the period its queries are read at unless
/// they name their own ([`MetricQuery::period_s`]). [`MetricWindow::new`] makes it one period: the
/// whole window, in whole minutes (CloudWatch periods are multiples of 60 s), so each query comes
/// back as one datapoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricWindow {
    pub start: SystemTime,
    pub end: SystemTime,
    pub period_s: i32,
}

impl MetricWindow {
    /// The window from `start` to `end`; an end before the start is read as an empty minute.
    pub fn new(start: SystemTime, end: SystemTime) -> Self {
        let span = end.duration_since(start).unwrap_or(Duration::ZERO).as_secs();
        let minutes = span.div_ceil(60).clamp(1, i32::MAX as u64 / 60);
        let end = end.max(start + Duration::from_secs(60).min(Duration::from_secs(minutes * 60)));
        MetricWindow {
            start,
            end,
            period_s: (minutes * 60) as i32,
        }
    }
}

/// The statistics CloudWatch computes that shiftguard accepts.
pub fn is_valid_stat(stat: &str) -> bool {
    matches!(stat, "Sum" | "Average" | "Minimum" | "Maximum" | "SampleCount")
        || stat.strip_prefix('p').is_some_and(|p| {
            let mut parts = p.splitn(2, '.');
            let whole = parts.next().unwrap_or_default();
            let frac = parts.next();
            !whole.is_empty()
                && whole.len() <= 2
                && whole.bytes().all(|b| b.is_ascii_digit())
                && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
        })
}

/// One CloudWatch metric with its exact dimension set and a statistic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MetricRef {
    pub namespace: String,
    pub metric: String,
    /// CloudWatch matches dimension sets exactly: this is the whole set, not a filter.
    pub dimensions: BTreeMap<String, String>,
    pub stat: String,
}

/// A metric with the id its result comes back under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MetricQuery {
    pub id: String,
    pub metric: MetricRef,
    /// This query's own period, in seconds (a multiple of 60), where it differs from the
    /// window's: `GetMetricData` takes a period per `MetricStat`, so per-minute series and
    /// whole-window values share one call. `None`: the window's [`MetricWindow::period_s`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period_s: Option<i32>,
}

impl MetricQuery {
    /// A query read at the window's period.
    pub fn new(id: impl Into<String>, metric: MetricRef) -> Self {
        MetricQuery {
            id: id.into(),
            metric,
            period_s: None,
        }
    }
}

/// A metric of one version of a function, for the traffic that came through a weighted alias:
/// `{FunctionName, Resource = "<name>:<alias>", ExecutedVersion = "<version>"}` in `AWS/Lambda`.
pub fn lambda_version_metric(function: &str, alias: &str, version: &str, metric: &str, stat: &str) -> MetricRef {
    MetricRef {
        namespace: "AWS/Lambda".to_string(),
        metric: metric.to_string(),
        dimensions: BTreeMap::from([
            ("FunctionName".to_string(), function.to_string()),
            ("Resource".to_string(), format!("{function}:{alias}")),
            ("ExecutedVersion".to_string(), version.to_string()),
        ]),
        stat: stat.to_string(),
    }
}

/// Reduces the datapoints of one query to one number: counts add up; a minimum takes the
/// smallest; averages, maxima and percentiles take the largest (the conservative reading when a
/// window spans several periods). `None` without datapoints.
pub fn aggregate(stat: &str, values: &[f64]) -> Option<f64> {
    let finite = values.iter().copied().filter(|v| v.is_finite());
    match stat {
        _ if values.is_empty() => None,
        "Sum" | "SampleCount" => Some(finite.sum()),
        "Minimum" => finite.reduce(f64::min),
        _ => finite.reduce(f64::max),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_per_version_dimension_set_is_exact() {
        let m = lambda_version_metric("orders", "live", "7", "Errors", "Sum");
        assert_eq!(m.namespace, "AWS/Lambda");
        assert_eq!(
            m.dimensions.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>(),
            vec!["ExecutedVersion=7", "FunctionName=orders", "Resource=orders:live"]
        );
    }

    #[test]
    fn the_window_is_one_period_of_whole_minutes() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        assert_eq!(MetricWindow::new(t0, t0 + Duration::from_secs(601)).period_s, 660);
        assert_eq!(MetricWindow::new(t0, t0 + Duration::from_secs(600)).period_s, 600);
        let empty = MetricWindow::new(t0, t0);
        assert_eq!((empty.period_s, empty.end), (60, t0 + Duration::from_secs(60)));
        assert_eq!(MetricWindow::new(t0, t0 - Duration::from_secs(5)).period_s, 60);
    }

    #[test]
    fn stats_are_checked() {
        for ok in [
            "Sum",
            "Average",
            "Minimum",
            "Maximum",
            "SampleCount",
            "p99",
            "p99.9",
            "p50",
            "p0",
        ] {
            assert!(is_valid_stat(ok), "{ok}");
        }
        for bad in ["sum", "p", "p999", "p99.", "P99", "Avg", ""] {
            assert!(!is_valid_stat(bad), "{bad}");
        }
    }

    #[test]
    fn aggregation_follows_the_statistic() {
        assert_eq!(aggregate("Sum", &[1.0, 2.0, 3.0]), Some(6.0));
        assert_eq!(aggregate("p99", &[120.0, 300.0]), Some(300.0));
        assert_eq!(aggregate("Minimum", &[5.0, 2.0]), Some(2.0));
        assert_eq!(aggregate("Sum", &[]), None);
        assert_eq!(aggregate("Sum", &[f64::NAN, 2.0]), Some(2.0));
    }
}
