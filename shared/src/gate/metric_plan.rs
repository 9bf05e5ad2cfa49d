//! What the post-traffic gate asks CloudWatch for, and how the answers become check outcomes.
//! Every metric goes into one `GetMetricData` call, however many there are.

use std::collections::BTreeMap;

use thiserror::Error;

use crate::gate::judgement::{CheckValues, VersionMetrics, judge_lambda, judge_metric_check};
use crate::gate::metric_checks::{MetricCheck, MetricCheckKind};
use crate::gate::metric_query::{MetricQuery, MetricRef, aggregate, lambda_version_metric};
use crate::gate::settings::GateSettings;
use crate::hook::check::CheckOutcome;
use crate::target::deployment_target::DeploymentTarget;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum PlanError {
    #[error(
        "the AppSpec names no Alias for {0}: the per-version metrics of traffic shifted through an alias carry the alias in their Resource dimension"
    )]
    NoAlias(String),
    #[error(
        "an ECS deployment has no built-in metrics: set METRIC_CHECKS, e.g. the green target group's HTTPCode_Target_5XX_Count over RequestCount"
    )]
    NothingToCheck,
}

#[derive(Debug, Clone, PartialEq)]
struct LambdaPlan {
    new_version: String,
    old_version: Option<String>,
}

/// The queries of one verdict, and how to read them back.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricPlan {
    pub queries: Vec<MetricQuery>,
    lambda: Option<LambdaPlan>,
    checks: Vec<MetricCheck>,
}

const LAMBDA_METRICS: [(&str, &str, &str); 3] = [
    ("invocations", "Invocations", "Sum"),
    ("errors", "Errors", "Sum"),
    ("throttles", "Throttles", "Sum"),
];

impl MetricPlan {
    pub fn new(target: &DeploymentTarget, settings: &GateSettings, checks: &[MetricCheck]) -> Result<Self, PlanError> {
        let mut queries = Vec::new();
        let lambda = match target {
            DeploymentTarget::Lambda(t) => {
                let alias = t
                    .alias
                    .as_deref()
                    .ok_or_else(|| PlanError::NoAlias(t.function_name.clone()))?;
                let mut versions = vec![("new", t.target_version.as_str())];
                if let Some(old) = t.current_version.as_deref().filter(|v| *v != t.target_version) {
                    versions.push(("old", old));
                }
                for (side, version) in &versions {
                    for (key, metric, stat) in LAMBDA_METRICS {
                        queries.push(MetricQuery {
                            id: format!("{side}_{key}"),
                            metric: lambda_version_metric(&t.function_name, alias, version, metric, stat),
                        });
                    }
                    if settings.max_p99_ms.is_some() {
                        queries.push(MetricQuery {
                            id: format!("{side}_p99"),
                            metric: lambda_version_metric(&t.function_name, alias, version, "Duration", "p99"),
                        });
                    }
                }
                Some(LambdaPlan {
                    new_version: t.target_version.clone(),
                    old_version: versions.get(1).map(|(_, v)| v.to_string()),
                })
            }
            DeploymentTarget::Ecs(_) if checks.is_empty() => return Err(PlanError::NothingToCheck),
            DeploymentTarget::Ecs(_) => None,
        };
        for (i, check) in checks.iter().enumerate() {
            let mut add = |suffix: &str, metric: &MetricRef| {
                queries.push(MetricQuery {
                    id: format!("check{i}{suffix}"),
                    metric: metric.clone(),
                })
            };
            match &check.kind {
                MetricCheckKind::Ratio {
                    numerator, denominator, ..
                } => {
                    add("_num", numerator);
                    add("_den", denominator);
                }
                MetricCheckKind::Threshold { metric, .. } => add("", metric),
            }
        }
        Ok(MetricPlan {
            queries,
            lambda,
            checks: checks.to_vec(),
        })
    }

    fn value(&self, values: &BTreeMap<String, Vec<f64>>, id: &str) -> Option<f64> {
        let stat = self
            .queries
            .iter()
            .find(|q| q.id == id)
            .map(|q| q.metric.stat.as_str())?;
        values.get(id).and_then(|v| aggregate(stat, v))
    }

    fn version(&self, values: &BTreeMap<String, Vec<f64>>, side: &str, version: &str) -> VersionMetrics {
        VersionMetrics {
            version: version.to_string(),
            invocations: self.value(values, &format!("{side}_invocations")),
            errors: self.value(values, &format!("{side}_errors")),
            throttles: self.value(values, &format!("{side}_throttles")),
            p99_ms: self.value(values, &format!("{side}_p99")),
        }
    }

    /// Judges what CloudWatch returned: the Lambda gate (where the target is a function), then
    /// every `METRIC_CHECKS` entry.
    pub fn judge(&self, values: &BTreeMap<String, Vec<f64>>, settings: &GateSettings) -> Vec<CheckOutcome> {
        let mut out = Vec::new();
        if let Some(l) = &self.lambda {
            let new = self.version(values, "new", &l.new_version);
            let old = l.old_version.as_deref().map(|v| self.version(values, "old", v));
            out.extend(judge_lambda(&new, old.as_ref(), settings));
        }
        for (i, check) in self.checks.iter().enumerate() {
            let read = match check.kind {
                MetricCheckKind::Ratio { .. } => CheckValues::Ratio {
                    numerator: self.value(values, &format!("check{i}_num")),
                    denominator: self.value(values, &format!("check{i}_den")),
                },
                MetricCheckKind::Threshold { .. } => CheckValues::Single(self.value(values, &format!("check{i}"))),
            };
            out.push(judge_metric_check(check, read, settings));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::metric_checks::parse_metric_checks;
    use crate::target::deployment_target::{EcsTarget, LambdaTarget};

    fn lambda(alias: Option<&str>, current: Option<&str>) -> DeploymentTarget {
        DeploymentTarget::Lambda(LambdaTarget {
            function_name: "orders".into(),
            alias: alias.map(Into::into),
            current_version: current.map(Into::into),
            target_version: "7".into(),
        })
    }

    fn ids(plan: &MetricPlan) -> Vec<&str> {
        plan.queries.iter().map(|q| q.id.as_str()).collect()
    }

    #[test]
    fn a_lambda_plan_reads_both_versions_through_the_alias() {
        let s = GateSettings {
            max_p99_ms: Some(500.0),
            ..GateSettings::default()
        };
        let plan = MetricPlan::new(&lambda(Some("live"), Some("6")), &s, &[]).unwrap();
        assert_eq!(
            ids(&plan),
            vec![
                "new_invocations",
                "new_errors",
                "new_throttles",
                "new_p99",
                "old_invocations",
                "old_errors",
                "old_throttles",
                "old_p99"
            ]
        );
        let old = &plan.queries[4].metric;
        assert_eq!(old.dimensions["Resource"], "orders:live");
        assert_eq!(old.dimensions["ExecutedVersion"], "6");
        assert_eq!(plan.queries[3].metric.stat, "p99");
    }

    #[test]
    fn no_p99_query_unless_asked() {
        let plan = MetricPlan::new(&lambda(Some("live"), None), &GateSettings::default(), &[]).unwrap();
        assert_eq!(ids(&plan), vec!["new_invocations", "new_errors", "new_throttles"]);
    }

    #[test]
    fn metric_checks_join_the_same_call() {
        let checks = parse_metric_checks(include_str!("../../tests/fixtures/metric-checks.json")).unwrap();
        let plan = MetricPlan::new(&lambda(Some("live"), None), &GateSettings::default(), &checks).unwrap();
        assert_eq!(ids(&plan)[3..], ["check0_num", "check0_den", "check1"]);
    }

    #[test]
    fn without_an_alias_or_checks_there_is_nothing_to_read() {
        assert!(matches!(
            MetricPlan::new(&lambda(None, None), &GateSettings::default(), &[]),
            Err(PlanError::NoAlias(_))
        ));
        let ecs = DeploymentTarget::Ecs(EcsTarget {
            task_definition: "td".into(),
            container_name: "c".into(),
            container_port: 80,
        });
        assert_eq!(
            MetricPlan::new(&ecs, &GateSettings::default(), &[]),
            Err(PlanError::NothingToCheck)
        );
    }

    #[test]
    fn judging_reads_values_by_id() {
        let plan = MetricPlan::new(&lambda(Some("live"), Some("6")), &GateSettings::default(), &[]).unwrap();
        let values = BTreeMap::from([
            ("new_invocations".to_string(), vec![600.0, 400.0]),
            ("new_errors".to_string(), vec![50.0]),
            ("old_invocations".to_string(), vec![1000.0]),
        ]);
        let out = plan.judge(&values, &GateSettings::default());
        assert!(!out[0].passed);
        assert_eq!(out[0].measured["invocations"], 1000.0);
        assert_eq!(out[0].measured["errors"], 50.0);
    }
}
