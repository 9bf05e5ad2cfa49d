//! `METRIC_CHECKS`: extra checks the post-traffic gate evaluates in the same `GetMetricData`
//! call, for ECS (ALB target groups), API Gateway, or anything else in CloudWatch.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::config::named_entries::{EntriesError, NamedEntries};

use crate::gate::metric_query::{MetricRef, is_valid_stat};

pub const MAX_METRIC_CHECKS: usize = 50;

/// A dimension value that stands for the target group of the deployment's replacement (green)
/// task set, found when the hook runs. CodeDeploy swaps the two target groups of an ECS
/// deployment group on every deployment, so a fixed `TargetGroup` reads the old task set every
/// other time.
pub const REPLACEMENT_TARGET_GROUP: &str = "{replacement_target_group}";
/// The target group of the original (blue) task set.
pub const ORIGINAL_TARGET_GROUP: &str = "{original_target_group}";

/// The two target groups of an ECS deployment as CloudWatch's `TargetGroup` dimension writes
/// them (`targetgroup/NAME/ID`, the last part of the target group's ARN).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TargetGroups {
    pub replacement: String,
    pub original: Option<String>,
    /// The replacement target group's load balancer as CloudWatch's `LoadBalancer` dimension
    /// writes it (`app/NAME/ID`, the ARN's part after `loadbalancer/`), where it has one: ELB
    /// reports a target group's metrics under `{TargetGroup, LoadBalancer}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub load_balancer: Option<String>,
}

/// Whether any check names a target group by placeholder.
pub fn uses_target_groups(checks: &[MetricCheck]) -> bool {
    checks
        .iter()
        .flat_map(MetricCheck::metrics)
        .flat_map(|m| m.dimensions.values())
        .any(|v| v == REPLACEMENT_TARGET_GROUP || v == ORIGINAL_TARGET_GROUP)
}

/// The checks with each placeholder replaced by the deployment's target group.
pub fn with_target_groups(checks: &[MetricCheck], groups: &TargetGroups) -> Result<Vec<MetricCheck>, String> {
    let mut out = checks.to_vec();
    for check in &mut out {
        let name = check.name.clone();
        for metric in check.metrics_mut() {
            for value in metric.dimensions.values_mut() {
                if value == REPLACEMENT_TARGET_GROUP {
                    *value = groups.replacement.clone();
                } else if value == ORIGINAL_TARGET_GROUP {
                    *value = groups.original.clone().ok_or_else(|| {
                        format!(
                            "check `{name}` names {ORIGINAL_TARGET_GROUP}, but the deployment has no original task set"
                        )
                    })?;
                }
            }
        }
    }
    Ok(out)
}

impl MetricCheck {
    fn metrics(&self) -> Vec<&MetricRef> {
        match &self.kind {
            MetricCheckKind::Ratio {
                numerator, denominator, ..
            } => vec![numerator, denominator],
            MetricCheckKind::Threshold { metric, .. } => vec![metric],
        }
    }

    fn metrics_mut(&mut self) -> Vec<&mut MetricRef> {
        match &mut self.kind {
            MetricCheckKind::Ratio {
                numerator, denominator, ..
            } => vec![numerator, denominator],
            MetricCheckKind::Threshold { metric, .. } => vec![metric],
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct MetricCheck {
    pub name: String,
    pub kind: MetricCheckKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum MetricCheckKind {
    /// numerator/denominator as a rate in percent, judged like the error rate (Wilson bound,
    /// minimum sample, threshold).
    Ratio {
        numerator: MetricRef,
        denominator: MetricRef,
        max_rate_pct: f64,
    },
    /// One metric against bounds.
    Threshold {
        metric: MetricRef,
        max: Option<f64>,
        min: Option<f64>,
    },
}

/// A bad `METRIC_CHECKS`, naming the check and the field.
pub type MetricChecksError = EntriesError;

const METRIC_CHECKS: NamedEntries = NamedEntries {
    variable: "METRIC_CHECKS",
    entry: "check",
    max: MAX_METRIC_CHECKS,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCheck {
    name: Option<String>,
    namespace: Option<String>,
    numerator: Option<RawMetric>,
    denominator: Option<RawMetric>,
    max_rate: Option<f64>,
    metric: Option<String>,
    #[serde(default)]
    dimensions: BTreeMap<String, String>,
    stat: Option<String>,
    max: Option<f64>,
    min: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMetric {
    metric: String,
    namespace: Option<String>,
    #[serde(default)]
    dimensions: BTreeMap<String, String>,
    stat: Option<String>,
}

pub fn parse_metric_checks(json: &str) -> Result<Vec<MetricCheck>, MetricChecksError> {
    METRIC_CHECKS.parse(json, |r: &RawCheck| r.name.as_deref(), |r, entry| {
        let invalid = |problem: String| entry.invalid(problem);
        let name = entry.name().to_string();
        let metric_ref = |field: &str,
                          metric: String,
                          namespace: Option<String>,
                          dims: BTreeMap<String, String>,
                          stat: Option<String>,
                          default_stat: &str| {
            let namespace = namespace
                .or_else(|| r.namespace.clone())
                .filter(|n| !n.trim().is_empty())
                .ok_or_else(|| invalid(format!("`{field}` needs a `namespace` (on the check or on the metric)")))?;
            if metric.trim().is_empty() {
                return Err(invalid(format!("`{field}` has an empty metric name")));
            }
            if dims.len() > 30 {
                return Err(invalid(format!(
                    "`{field}` has {} dimensions; CloudWatch allows 30",
                    dims.len()
                )));
            }
            if let Some((name, value)) = dims
                .iter()
                .find(|(_, v)| v.starts_with('{') && v.ends_with('}'))
                .filter(|(_, v)| *v != REPLACEMENT_TARGET_GROUP && *v != ORIGINAL_TARGET_GROUP)
            {
                return Err(invalid(format!(
                    "`{field}` dimension `{name}` is `{value}`, not a placeholder shiftguard knows: {REPLACEMENT_TARGET_GROUP} or {ORIGINAL_TARGET_GROUP}"
                )));
            }
            // CloudWatch answers only a dimension set that was published, and Elastic Load
            // Balancing publishes its per-target-group metrics with TargetGroup and LoadBalancer
            // together (RequestCountPerTarget aside): TargetGroup alone reads nothing, which would
            // pass as "no data" (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html).
            if namespace == "AWS/ApplicationELB"
                && dims.contains_key("TargetGroup")
                && !dims.contains_key("LoadBalancer")
                && metric != "RequestCountPerTarget"
            {
                return Err(invalid(format!(
                    "`{field}` gives `TargetGroup` without `LoadBalancer`: AWS/ApplicationELB publishes {metric} per target group only with both, so this query would read nothing"
                )));
            }
            let stat = stat.unwrap_or_else(|| default_stat.to_string());
            if !is_valid_stat(&stat) {
                return Err(invalid(format!(
                    "`{field}` stat `{stat}` is not a CloudWatch statistic (Sum, Average, Minimum, Maximum, SampleCount, p99, …)"
                )));
            }
            Ok(MetricRef {
                namespace,
                metric,
                dimensions: dims,
                stat,
            })
        };
        let kind = match (r.numerator, r.denominator, r.metric) {
            (Some(num), Some(den), None) => {
                if r.max.is_some() || r.min.is_some() {
                    return Err(invalid("a ratio check takes `max_rate`, not `max`/`min`".into()));
                }
                let max_rate_pct = r
                    .max_rate
                    .ok_or_else(|| invalid("a ratio check needs `max_rate` (percent)".into()))?;
                if !(max_rate_pct.is_finite() && (0.0..=100.0).contains(&max_rate_pct)) {
                    return Err(invalid(format!(
                        "`max_rate` {max_rate_pct} is not a percentage from 0 to 100"
                    )));
                }
                // `dimensions` and `stat` on the check apply to a side that gives none of its own.
                let side = |field: &'static str, side: RawMetric| {
                    let dimensions = if side.dimensions.is_empty() {
                        r.dimensions.clone()
                    } else {
                        side.dimensions
                    };
                    let stat = side.stat.or_else(|| r.stat.clone());
                    let m = metric_ref(field, side.metric, side.namespace, dimensions, stat, "Sum")?;
                    if !matches!(m.stat.as_str(), "Sum" | "SampleCount") {
                        return Err(invalid(format!(
                            "`{field}` stat must be Sum or SampleCount: a ratio check compares counts"
                        )));
                    }
                    Ok(m)
                };
                let numerator = side("numerator", num)?;
                let denominator = side("denominator", den)?;
                MetricCheckKind::Ratio {
                    numerator,
                    denominator,
                    max_rate_pct,
                }
            }
            (None, None, Some(metric)) => {
                if r.max_rate.is_some() {
                    return Err(invalid("`max_rate` belongs to ratio checks; use `max`/`min`".into()));
                }
                if r.max.is_none() && r.min.is_none() {
                    return Err(invalid("a single-metric check needs `max` or `min`".into()));
                }
                if [r.max, r.min].iter().flatten().any(|v| !v.is_finite()) {
                    return Err(invalid("`max` and `min` must be finite numbers".into()));
                }
                let stat = r
                    .stat
                    .clone()
                    .ok_or_else(|| invalid("a single-metric check needs `stat`".into()))?;
                MetricCheckKind::Threshold {
                    metric: metric_ref("metric", metric, None, r.dimensions.clone(), Some(stat), "")?,
                    max: r.max,
                    min: r.min,
                }
            }
            _ => {
                return Err(invalid(
                    "give either `numerator` and `denominator` (a ratio) or `metric` with `stat` (a single metric)"
                        .into(),
                ));
            }
        };
        Ok(MetricCheck { name, kind })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_the_documented_checks() {
        let checks = parse_metric_checks(include_str!("../../tests/fixtures/metric-checks.json")).unwrap();
        assert_eq!(checks.len(), 2);
        match &checks[0].kind {
            MetricCheckKind::Ratio {
                numerator,
                denominator,
                max_rate_pct,
            } => {
                assert_eq!(numerator.namespace, "AWS/ApplicationELB");
                assert_eq!(numerator.metric, "HTTPCode_Target_5XX_Count");
                assert_eq!(numerator.stat, "Sum");
                assert_eq!(denominator.metric, "RequestCount");
                assert_eq!(
                    denominator.dimensions.get("TargetGroup").map(String::as_str),
                    Some(REPLACEMENT_TARGET_GROUP)
                );
                assert_eq!(*max_rate_pct, 1.0);
            }
            other => panic!("expected a ratio, got {other:?}"),
        }
        match &checks[1].kind {
            MetricCheckKind::Threshold { metric, max, min } => {
                assert_eq!((metric.stat.as_str(), *max, *min), ("p99", Some(800.0), None));
            }
            other => panic!("expected a threshold, got {other:?}"),
        }
    }

    #[test]
    fn errors_name_the_check_and_the_field() {
        let cases = [
            (
                r#"[{"namespace":"n","metric":"m","stat":"Sum","max":1}]"#,
                "check 1 (unnamed): `name` is required",
            ),
            (
                r#"[{"name":"a","metric":"m","stat":"Sum","max":1}]"#,
                "`metric` needs a `namespace`",
            ),
            (
                r#"[{"name":"a","namespace":"n","metric":"m","stat":"Sum"}]"#,
                "needs `max` or `min`",
            ),
            (r#"[{"name":"a","namespace":"n","metric":"m","max":1}]"#, "needs `stat`"),
            (
                r#"[{"name":"a","namespace":"n","metric":"m","stat":"avg","max":1}]"#,
                "stat `avg` is not a CloudWatch statistic",
            ),
            (
                r#"[{"name":"a","namespace":"n","numerator":{"metric":"e"},"denominator":{"metric":"r"}}]"#,
                "needs `max_rate`",
            ),
            (
                r#"[{"name":"a","namespace":"n","numerator":{"metric":"e","stat":"Average"},"denominator":{"metric":"r"},"max_rate":1}]"#,
                "must be Sum or SampleCount",
            ),
            (
                r#"[{"name":"a","namespace":"n","numerator":{"metric":"e"},"denominator":{"metric":"r"},"max_rate":120}]"#,
                "`max_rate` 120",
            ),
            (r#"[{"name":"a","namespace":"n"}]"#, "give either"),
            (
                r#"[{"name":"a","namespace":"AWS/ApplicationELB","metric":"HTTPCode_Target_5XX_Count","stat":"Sum","max":1,"dimensions":{"TargetGroup":"{replacement_target_group}"}}]"#,
                "`TargetGroup` without `LoadBalancer`",
            ),
        ];
        for (json, expected) in cases {
            let err = parse_metric_checks(json).unwrap_err().to_string();
            assert!(err.contains(expected), "{json}: `{err}` lacks `{expected}`");
        }
    }

    #[test]
    fn a_ratio_inherits_the_checks_dimensions_and_stat() {
        let json = r#"[{"name":"a","namespace":"AWS/ApplicationELB","dimensions":{"TargetGroup":"tg","LoadBalancer":"lb"},"stat":"SampleCount",
                        "numerator":{"metric":"HTTPCode_Target_5XX_Count"},
                        "denominator":{"metric":"RequestCount","dimensions":{"LoadBalancer":"lb"}},"max_rate":1}]"#;
        match &parse_metric_checks(json).unwrap()[0].kind {
            MetricCheckKind::Ratio {
                numerator, denominator, ..
            } => {
                assert_eq!(numerator.dimensions.get("TargetGroup").map(String::as_str), Some("tg"));
                assert_eq!(numerator.stat, "SampleCount");
                assert_eq!(
                    denominator.dimensions.keys().collect::<Vec<_>>(),
                    vec!["LoadBalancer"],
                    "its own win"
                );
            }
            other => panic!("expected a ratio, got {other:?}"),
        }
    }

    #[test]
    fn target_group_placeholders_are_replaced_by_the_deployments_groups() {
        let json = r#"[{"name":"green-5xx","namespace":"AWS/ApplicationELB",
            "dimensions":{"TargetGroup":"{replacement_target_group}","LoadBalancer":"app/web/50dc6c495c0c9188"},
            "numerator":{"metric":"HTTPCode_Target_5XX_Count"},"denominator":{"metric":"RequestCount"},"max_rate":1},
            {"name":"blue-5xx","namespace":"AWS/ApplicationELB","metric":"HTTPCode_Target_5XX_Count","stat":"Sum","max":5,
            "dimensions":{"TargetGroup":"{original_target_group}","LoadBalancer":"app/web/50dc6c495c0c9188"}}]"#;
        let checks = parse_metric_checks(json).unwrap();
        assert!(uses_target_groups(&checks));
        let groups = TargetGroups {
            replacement: "targetgroup/web-green/0123456789abcdef".into(),
            original: Some("targetgroup/web-blue/fedcba9876543210".into()),
            load_balancer: None,
        };
        let resolved = with_target_groups(&checks, &groups).unwrap();
        assert!(!uses_target_groups(&resolved));
        let dims = |c: &MetricCheck| c.metrics()[0].dimensions["TargetGroup"].clone();
        assert_eq!(dims(&resolved[0]), "targetgroup/web-green/0123456789abcdef");
        assert_eq!(resolved[0].metrics()[1].dimensions["TargetGroup"], dims(&resolved[0]));
        assert_eq!(dims(&resolved[1]), "targetgroup/web-blue/fedcba9876543210");
        let no_blue = TargetGroups {
            original: None,
            ..groups
        };
        let err = with_target_groups(&checks, &no_blue).unwrap_err();
        assert!(
            err.contains("blue-5xx") && err.contains("no original task set"),
            "{err}"
        );
    }

    #[test]
    fn unknown_placeholders_and_fixed_groups_are_told_apart() {
        let fixed = parse_metric_checks(
            r#"[{"name":"a","namespace":"n","metric":"m","stat":"Sum","max":1,"dimensions":{"TargetGroup":"targetgroup/g/0123"}}]"#,
        )
        .unwrap();
        assert!(!uses_target_groups(&fixed));
        let err = parse_metric_checks(
            r#"[{"name":"a","namespace":"n","metric":"m","stat":"Sum","max":1,"dimensions":{"TargetGroup":"{green}"}}]"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("`{green}`"), "{err}");
    }

    #[test]
    fn typos_are_rejected() {
        let err =
            parse_metric_checks(r#"[{"name":"a","namespace":"n","metric":"m","stat":"Sum","maxx":1}]"#).unwrap_err();
        assert!(err.to_string().contains("maxx"), "{err}");
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,300}") {
            let _ = parse_metric_checks(&s);
        }
    }
}
