//! What the post-traffic gate asks CloudWatch for, and how the answers become check outcomes.
//! Every metric goes into one `GetMetricData` call, however many there are.
//!
//! A Lambda deployment whose AppSpec names both versions is read as the canary judge reads it:
//! the per-minute sums of both versions ([`per_minute::queries`]) over the deployment's complete
//! minutes, period 60; the new version's p99 and throttles and every `METRIC_CHECKS` entry are
//! read in the same call over the same minutes, each as one period. Anything else (ECS, a Lambda
//! AppSpec without a `CurrentVersion`) is one look: one period over the whole window.

use std::collections::BTreeMap;
use std::time::SystemTime;

use thiserror::Error;

use crate::canary::judge::Judge;
use crate::canary::per_minute::{self, AliasVersions, Minutes};
use crate::gate::judgement::{
    CheckValues, MinuteSeries, VersionMetrics, judge_lambda, judge_lambda_minutes, judge_metric_check,
};
use crate::gate::metric_checks::{MetricCheck, MetricCheckKind};
use crate::gate::metric_query::{MetricQuery, MetricRef, MetricWindow, aggregate, lambda_version_metric};
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
    #[error(
        "the AppSpec of {0} names both versions, which the canary judge reads minute by minute from the deployment's start: the plan needs those minutes, not one window (internal error)"
    )]
    NeedsMinutes(String),
}

/// The two versions behind the alias, where the AppSpec names both (a `CurrentVersion` other than
/// the `TargetVersion`): such a deployment is judged by the canary judge on its per-minute series.
pub fn alias_versions(target: &DeploymentTarget) -> Option<AliasVersions> {
    match target {
        DeploymentTarget::Lambda(t) => {
            let alias = t.alias.as_deref()?;
            let old = t.current_version.as_deref().filter(|v| *v != t.target_version)?;
            Some(AliasVersions {
                function: t.function_name.clone(),
                alias: alias.to_string(),
                new: t.target_version.clone(),
                old: old.to_string(),
            })
        }
        DeploymentTarget::Ecs(_) => None,
    }
}

/// What one verdict reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    /// One period over the whole window: one datapoint a query.
    Window(MetricWindow),
    /// The deployment's complete minutes, for a deployment [`alias_versions`] finds: the per-minute
    /// series at period 60, everything else one period over them all.
    Minutes(Minutes),
}

#[derive(Debug, Clone, PartialEq)]
enum LambdaPlan {
    OneLook { new_version: String },
    PerMinute { versions: AliasVersions, minutes: Minutes },
}

/// The queries of one verdict, and how to read them back.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricPlan {
    pub queries: Vec<MetricQuery>,
    /// The `GetMetricData` window (and the period of the queries without their own).
    pub window: MetricWindow,
    lambda: Option<LambdaPlan>,
    checks: Vec<MetricCheck>,
}

/// The prefix of the per-minute queries' ids.
pub const MINUTE_PREFIX: &str = "minute";

const ONE_LOOK_METRICS: [(&str, &str, &str); 3] = [
    ("invocations", "Invocations", "Sum"),
    ("errors", "Errors", "Sum"),
    ("throttles", "Throttles", "Sum"),
];

impl MetricPlan {
    pub fn new(
        target: &DeploymentTarget,
        settings: &GateSettings,
        checks: &[MetricCheck],
        span: Span,
    ) -> Result<Self, PlanError> {
        let mut queries = Vec::new();
        let (window, whole) = match span {
            Span::Window(w) => (w, None),
            // Whole minutes, so a multiple of 60 s; at least one minute, as CloudWatch requires.
            Span::Minutes(m) => (m.window(), Some((m.count().max(1) * 60).min(i32::MAX as usize) as i32)),
        };
        let lambda = match (target, alias_versions(target), span) {
            (DeploymentTarget::Lambda(t), Some(versions), Span::Minutes(minutes)) => {
                queries.extend(per_minute::queries(
                    MINUTE_PREFIX,
                    &per_minute::MinuteMetrics::lambda(&versions),
                ));
                let mut add = |id: &str, metric: &str, stat: &str| {
                    queries.push(MetricQuery {
                        id: id.to_string(),
                        metric: lambda_version_metric(&t.function_name, &versions.alias, &versions.new, metric, stat),
                        period_s: whole,
                    })
                };
                if settings.max_throttles.is_some() {
                    add("new_throttles", "Throttles", "Sum");
                }
                if settings.max_p99_ms.is_some() {
                    add("new_p99", "Duration", "p99");
                }
                Some(LambdaPlan::PerMinute { versions, minutes })
            }
            (DeploymentTarget::Lambda(t), Some(_), Span::Window(_)) => {
                return Err(PlanError::NeedsMinutes(t.function_name.clone()));
            }
            (DeploymentTarget::Lambda(t), None, _) => {
                let alias = t
                    .alias
                    .as_deref()
                    .ok_or_else(|| PlanError::NoAlias(t.function_name.clone()))?;
                let version = t.target_version.as_str();
                for (key, metric, stat) in ONE_LOOK_METRICS {
                    queries.push(MetricQuery {
                        id: format!("new_{key}"),
                        metric: lambda_version_metric(&t.function_name, alias, version, metric, stat),
                        period_s: whole,
                    });
                }
                if settings.max_p99_ms.is_some() {
                    queries.push(MetricQuery {
                        id: "new_p99".into(),
                        metric: lambda_version_metric(&t.function_name, alias, version, "Duration", "p99"),
                        period_s: whole,
                    });
                }
                Some(LambdaPlan::OneLook {
                    new_version: t.target_version.clone(),
                })
            }
            (DeploymentTarget::Ecs(_), _, _) if checks.is_empty() => return Err(PlanError::NothingToCheck),
            (DeploymentTarget::Ecs(_), _, _) => None,
        };
        for (i, check) in checks.iter().enumerate() {
            let mut add = |suffix: &str, metric: &MetricRef| {
                queries.push(MetricQuery {
                    id: format!("check{i}{suffix}"),
                    metric: metric.clone(),
                    period_s: whole,
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
            window,
            lambda,
            checks: checks.to_vec(),
        })
    }

    /// How many complete minutes the canary judge judges; `None` for a one-look verdict.
    pub fn minutes(&self) -> Option<Minutes> {
        match &self.lambda {
            Some(LambdaPlan::PerMinute { minutes, .. }) => Some(*minutes),
            _ => None,
        }
    }

    fn value(&self, values: &BTreeMap<String, Vec<f64>>, id: &str) -> Option<f64> {
        let stat = self
            .queries
            .iter()
            .find(|q| q.id == id)
            .map(|q| q.metric.stat.as_str())?;
        values.get(id).and_then(|v| aggregate(stat, v))
    }

    /// Judges what CloudWatch returned: the Lambda gate (where the target is a function; the
    /// canary judge's final look where both versions served), then every `METRIC_CHECKS` entry.
    /// `timestamps` are those of `values` (`ports::MetricData`).
    pub fn judge(
        &self,
        values: &BTreeMap<String, Vec<f64>>,
        timestamps: &BTreeMap<String, Vec<SystemTime>>,
        settings: &GateSettings,
        judge: &Judge,
    ) -> Vec<CheckOutcome> {
        let mut out = Vec::new();
        match &self.lambda {
            Some(LambdaPlan::OneLook { new_version }) => {
                let new = VersionMetrics {
                    version: new_version.clone(),
                    invocations: self.value(values, "new_invocations"),
                    errors: self.value(values, "new_errors"),
                    throttles: self.value(values, "new_throttles"),
                    p99_ms: self.value(values, "new_p99"),
                };
                out.extend(judge_lambda(&new, settings));
            }
            Some(LambdaPlan::PerMinute { versions, minutes }) => {
                let series = MinuteSeries {
                    new_version: versions.new.clone(),
                    old_version: versions.old.clone(),
                    minutes: per_minute::minutes_from(MINUTE_PREFIX, minutes, values, timestamps),
                    new_p99_ms: self.value(values, "new_p99"),
                    new_throttles: self.value(values, "new_throttles"),
                };
                out.extend(judge_lambda_minutes(&series, judge, settings));
            }
            None => {}
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
    use crate::canary::minute::{Counts, Minute};
    use crate::canary::settings::JudgeSettings;
    use crate::gate::metric_checks::parse_metric_checks;
    use crate::target::deployment_target::{EcsTarget, LambdaTarget};
    use std::time::Duration;

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

    fn t(s: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + s)
    }

    /// Ten complete minutes.
    fn ten() -> Span {
        Span::Minutes(Minutes {
            start: t(0),
            end: t(600),
        })
    }

    fn one_look() -> Span {
        Span::Window(MetricWindow::new(t(0), t(600)))
    }

    fn judge() -> Judge {
        Judge::new(JudgeSettings::default())
    }

    #[test]
    fn both_versions_are_read_minute_by_minute_the_rest_over_all_the_minutes() {
        let s = GateSettings {
            max_p99_ms: Some(500.0),
            max_throttles: Some(0.0),
            ..GateSettings::default()
        };
        let checks = parse_metric_checks(include_str!("../../tests/fixtures/metric-checks.json")).unwrap();
        let plan = MetricPlan::new(&lambda(Some("live"), Some("6")), &s, &checks, ten()).unwrap();
        assert_eq!(
            ids(&plan),
            vec![
                "minute_new_calls",
                "minute_new_errors",
                "minute_old_calls",
                "minute_old_errors",
                "new_throttles",
                "new_p99",
                "check0_num",
                "check0_den",
                "check1"
            ]
        );
        assert_eq!(plan.window.period_s, 60);
        assert_eq!((plan.window.start, plan.window.end), (t(0), t(600)));
        let periods: Vec<Option<i32>> = plan.queries.iter().map(|q| q.period_s).collect();
        assert_eq!(periods[..4], [Some(60); 4], "the per-minute series a minute a period");
        assert!(periods[4..].iter().all(|p| *p == Some(600)), "{periods:?}");
        let old = &plan.queries[2].metric;
        assert_eq!(old.dimensions["Resource"], "orders:live");
        assert_eq!(old.dimensions["ExecutedVersion"], "6");
        assert_eq!(plan.queries[5].metric.stat, "p99");
        assert_eq!(plan.minutes().map(|m| m.count()), Some(10));
    }

    #[test]
    fn without_a_current_version_it_is_one_look_over_the_window() {
        let plan = MetricPlan::new(&lambda(Some("live"), None), &GateSettings::default(), &[], one_look()).unwrap();
        assert_eq!(ids(&plan), vec!["new_invocations", "new_errors", "new_throttles"]);
        assert_eq!(plan.window.period_s, 600);
        assert!(plan.queries.iter().all(|q| q.period_s.is_none()));
        assert_eq!(plan.minutes(), None);
        let same = MetricPlan::new(
            &lambda(Some("live"), Some("7")),
            &GateSettings::default(),
            &[],
            one_look(),
        )
        .unwrap();
        assert_eq!(
            ids(&same),
            ids(&plan),
            "a CurrentVersion equal to the TargetVersion is no old version"
        );
    }

    #[test]
    fn a_deployment_of_both_versions_is_never_judged_on_one_look() {
        assert_eq!(
            MetricPlan::new(
                &lambda(Some("live"), Some("6")),
                &GateSettings::default(),
                &[],
                one_look()
            ),
            Err(PlanError::NeedsMinutes("orders".into()))
        );
    }

    #[test]
    fn without_an_alias_or_checks_there_is_nothing_to_read() {
        assert!(matches!(
            MetricPlan::new(&lambda(None, None), &GateSettings::default(), &[], one_look()),
            Err(PlanError::NoAlias(_))
        ));
        let ecs = DeploymentTarget::Ecs(EcsTarget {
            task_definition: "td".into(),
            container_name: "c".into(),
            container_port: 80,
        });
        assert_eq!(
            MetricPlan::new(&ecs, &GateSettings::default(), &[], one_look()),
            Err(PlanError::NothingToCheck)
        );
    }

    #[test]
    fn one_look_reads_values_by_id() {
        let plan = MetricPlan::new(&lambda(Some("live"), None), &GateSettings::default(), &[], one_look()).unwrap();
        let values = BTreeMap::from([
            ("new_invocations".to_string(), vec![600.0, 400.0]),
            ("new_errors".to_string(), vec![50.0]),
        ]);
        let out = plan.judge(&values, &BTreeMap::new(), &GateSettings::default(), &judge());
        assert!(!out[0].passed);
        assert_eq!(out[0].measured["invocations"], 1000.0);
        assert_eq!(out[0].measured["errors"], 50.0);
    }

    #[test]
    fn the_minutes_are_aligned_by_timestamp_and_judged_by_the_canary_judge() {
        let plan = MetricPlan::new(&lambda(Some("live"), Some("6")), &GateSettings::default(), &[], ten()).unwrap();
        let every_minute = |v: f64| (vec![v; 10], (0..10).map(|i| t(60 * i)).collect::<Vec<_>>());
        let mut values = BTreeMap::new();
        let mut timestamps = BTreeMap::new();
        for (id, v) in [
            ("minute_new_calls", 200.0),
            ("minute_new_errors", 6.0),
            ("minute_old_calls", 1800.0),
            ("minute_old_errors", 18.0),
        ] {
            let (vs, ts) = every_minute(v);
            values.insert(id.to_string(), vs);
            timestamps.insert(id.to_string(), ts);
        }
        let out = plan.judge(&values, &timestamps, &GateSettings::default(), &judge());
        assert_eq!(out[0].kind, "canary-judge");
        assert!(!out[0].passed, "{:?}", out[0]);
        assert_eq!(out[0].measured["minutes"], 10);
        assert_eq!(out[0].measured["new_invocations"], 2000);
        // The same counts stamped outside the minutes are not counted.
        let late: BTreeMap<String, Vec<SystemTime>> = timestamps
            .iter()
            .map(|(k, v)| (k.clone(), v.iter().map(|t| *t + Duration::from_secs(600)).collect()))
            .collect();
        let out = plan.judge(&values, &late, &GateSettings::default(), &judge());
        assert_eq!(out[0].measured["new_invocations"], 0);
        assert!(out[0].inconclusive);
        let expect = vec![Minute::new(Counts::default(), Counts::default()); 10];
        assert_eq!(
            per_minute::minutes_from(MINUTE_PREFIX, &plan.minutes().unwrap(), &values, &late),
            expect
        );
    }
}
