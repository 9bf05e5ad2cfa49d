//! Past deployments read and judged through the ports, as the functions read them: the canary
//! judge's four per-minute series over the deployment's minutes (its looks), and post-traffic's
//! metric plan over the same minutes (its verdict after the shift), each in its own
//! `GetMetricData` call, with the effective settings of the deployment's group or the ones given.

use std::collections::BTreeMap;
use std::time::SystemTime;

use crate::canary::judge::{Judge, Watch};
use crate::canary::per_minute::{MinuteMetrics, Minutes, minutes_from, queries};
use crate::deployment::{ComputePlatform, DeploymentStatus};
use crate::gate::metric_checks::{TargetGroups, uses_target_groups, with_target_groups};
use crate::gate::metric_plan::{MetricPlan, Span, alias_versions};
use crate::gate::metric_query::MetricWindow;
use crate::hook::check::CheckOutcome;
use crate::ports::{
    AwsError, DeploymentHistory, DeploymentReader, DeploymentSummary, MetricReader, SettingsStore, TargetGroupReader,
};
use crate::replay::outcome::{CodeDeployOutcome, Replayed, Thresholds, Would, minute_rows};
use crate::replay::span::{judged_minutes, within_retention};
use crate::rollback::deployment_group::GroupRef;
use crate::settings::effective::{EffectiveSettings, SettingsRecord, apply};
use crate::target::deployment_target::DeploymentTarget;
use crate::target::overrides::TargetOverride;
use crate::target::resolution::target_of;

/// The ids of the canary judge's queries: `canary_new_calls` and so on.
const CANARY_PREFIX: &str = "canary";

/// What a replay reads through.
pub struct Readers<'a, H, D, M, G, S> {
    /// Lists the group's deployments and reads their summaries (`BatchGetDeployments`).
    pub history: &'a H,
    /// Reads a deployment's AppSpec.
    pub deployments: &'a D,
    pub metrics: &'a M,
    /// Finds an ECS deployment's target groups.
    pub target_groups: &'a G,
    /// Reads the groups' settings documents.
    pub store: &'a S,
}

/// The settings a replay judges with.
#[derive(Debug, Clone)]
pub enum SettingsSource {
    /// One document for every deployment (`--settings FILE`), over the defaults.
    Given(Box<(EffectiveSettings, SettingsRecord)>),
    /// Each deployment group's documents in Parameter Store, over the defaults.
    Documents,
}

/// No environment: a replay applies the documents over the defaults, as `shiftguard settings show`.
fn no_environment(_: &str) -> Option<String> {
    None
}

/// How far back `--last` looks: CloudWatch's five-minute datapoints are kept 63 days (the
/// GetMetricData reference), so nothing older could be judged even on coarser data; within it, a
/// deployment too old for one-minute data is listed and says why. It also bounds the
/// `ListDeployments` pages of a busy group. CodeDeploy documents no order for the ids it lists.
pub const LOOKBACK: std::time::Duration = std::time::Duration::from_secs(63 * 24 * 3600);

/// The last `n` completed deployments of `group` created within [`LOOKBACK`] of `now`, newest
/// first; CodeDeploy's own rollbacks are not counted (each is shown as the deployment it rolled
/// back).
pub async fn last<H: DeploymentHistory>(
    history: &H,
    group: &GroupRef,
    n: usize,
    now: SystemTime,
) -> Result<Vec<DeploymentSummary>, AwsError> {
    let mut found = history
        .deployments(group, &DeploymentStatus::FINAL, now.checked_sub(LOOKBACK))
        .await?;
    found.retain(|d| !d.is_rollback());
    found.sort_by(|a, b| {
        b.created_at
            .cmp(&a.created_at)
            .then_with(|| a.deployment_id.cmp(&b.deployment_id))
    });
    found.truncate(n);
    Ok(found)
}

/// Replays `ids` in the order given; an id CodeDeploy does not return is a problem row.
pub async fn replay_ids<H, D, M, G, S>(
    readers: &Readers<'_, H, D, M, G, S>,
    ids: &[String],
    source: &SettingsSource,
    now: SystemTime,
) -> Result<Vec<Replayed>, AwsError>
where
    H: DeploymentHistory,
    D: DeploymentReader,
    M: MetricReader,
    G: TargetGroupReader,
    S: SettingsStore,
{
    // One malformed id fails the whole batch (InvalidDeploymentIdException, botocore's
    // codedeploy model): then each id alone, so that only the bad one is a problem row.
    let (found, unreadable) = match readers.history.summaries(ids).await {
        Ok(found) => (found, BTreeMap::new()),
        Err(batch) if ids.len() > 1 => {
            let (mut found, mut unreadable) = (Vec::new(), BTreeMap::new());
            for id in ids {
                match readers.history.summaries(std::slice::from_ref(id)).await {
                    Ok(one) => found.extend(one),
                    Err(e) => {
                        unreadable.insert(id.clone(), e);
                    }
                }
            }
            if found.is_empty() && unreadable.len() == ids.len() {
                return Err(batch);
            }
            (found, unreadable)
        }
        Err(e) => return Err(e),
    };
    let mut out = Vec::with_capacity(ids.len());
    let mut settings = BTreeMap::new();
    for id in ids {
        match found.iter().find(|s| &s.deployment_id == id) {
            Some(summary) => out.push(replay_one(readers, summary, source, &mut settings, now).await),
            None => {
                let reason = match unreadable.get(id) {
                    Some(e) => format!("could not read deployment {id}: {e}"),
                    None => format!("deployment {id} does not exist in this account and region"),
                };
                out.push(unknown(id).decided(Would::Problem { reason }));
            }
        }
    }
    Ok(out)
}

/// Replays `summaries` in order.
pub async fn replay_summaries<H, D, M, G, S>(
    readers: &Readers<'_, H, D, M, G, S>,
    summaries: &[DeploymentSummary],
    source: &SettingsSource,
    now: SystemTime,
) -> Vec<Replayed>
where
    D: DeploymentReader,
    M: MetricReader,
    G: TargetGroupReader,
    S: SettingsStore,
{
    let mut out = Vec::with_capacity(summaries.len());
    let mut settings = BTreeMap::new();
    for summary in summaries {
        out.push(replay_one(readers, summary, source, &mut settings, now).await);
    }
    out
}

fn unknown(id: &str) -> Replayed {
    Replayed {
        deployment_id: id.to_string(),
        application: String::new(),
        deployment_group: String::new(),
        compute_platform: String::new(),
        codedeploy: CodeDeployOutcome {
            status: String::new(),
            created_at: None,
            completed_at: None,
        },
        target: None,
        shiftguard: Would::Pass,
        agrees: None,
        minutes: Vec::new(),
        thresholds: None,
        checks: Vec::new(),
        settings: None,
        notes: Vec::new(),
    }
}

fn epoch_s(t: Option<SystemTime>) -> Option<u64> {
    t.and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map(|d| d.as_secs())
}

/// A group's settings, read once a replay.
type GroupSettings = BTreeMap<(String, String), Result<(EffectiveSettings, SettingsRecord), String>>;

async fn settings_of<S: SettingsStore>(
    store: &S,
    source: &SettingsSource,
    cache: &mut GroupSettings,
    summary: &DeploymentSummary,
) -> Result<(EffectiveSettings, SettingsRecord), String> {
    if let SettingsSource::Given(given) = source {
        return Ok((**given).clone());
    }
    let key = (summary.application.clone(), summary.deployment_group.clone());
    if let Some(found) = cache.get(&key) {
        return found.clone();
    }
    let applied = apply::<EffectiveSettings>(store, &key.0, &key.1, &no_environment)
        .await
        .map(|a| (a.effective, a.record))
        .map_err(|e| e.to_string());
    cache.insert(key, applied.clone());
    applied
}

async fn replay_one<H, D, M, G, S>(
    readers: &Readers<'_, H, D, M, G, S>,
    summary: &DeploymentSummary,
    source: &SettingsSource,
    cache: &mut GroupSettings,
    now: SystemTime,
) -> Replayed
where
    D: DeploymentReader,
    M: MetricReader,
    G: TargetGroupReader,
    S: SettingsStore,
{
    let mut replayed = Replayed {
        deployment_id: summary.deployment_id.clone(),
        application: summary.application.clone(),
        deployment_group: summary.deployment_group.clone(),
        compute_platform: summary.compute_platform.as_str().to_string(),
        codedeploy: CodeDeployOutcome {
            status: summary.status.as_str().to_string(),
            created_at: epoch_s(summary.created_at),
            completed_at: epoch_s(summary.completed_at),
        },
        ..unknown(&summary.deployment_id)
    };
    let skipped = |r: Replayed, reason: String| r.decided(Would::Skipped { reason });
    let problem = |r: Replayed, reason: String| r.decided(Would::Problem { reason });
    if summary.is_rollback() {
        let reason = format!(
            "a rollback (creator {}): shiftguard never judges one, it restores the version that served before",
            summary.creator.as_str()
        );
        return skipped(replayed, reason);
    }
    if !matches!(summary.compute_platform, ComputePlatform::Lambda | ComputePlatform::Ecs) {
        let reason = format!(
            "a {} deployment: shiftguard judges Lambda and ECS deployments on their metrics (`shiftguard validate` checks an instance)",
            summary.compute_platform.as_str()
        );
        return skipped(replayed, reason);
    }
    let (settings, record) = match settings_of(readers.store, source, cache, summary).await {
        Ok(s) => s,
        Err(e) => return problem(replayed, e),
    };
    replayed.settings = Some(record);
    let minutes = match judged_minutes(
        &summary.status,
        summary.created_at,
        summary.completed_at,
        settings.settle,
        now,
    ) {
        Ok(m) => m,
        Err(e) => return skipped(replayed, e.to_string()),
    };
    let info = match readers.deployments.deployment(&summary.deployment_id).await {
        Ok(info) => info,
        Err(e) => return problem(replayed, format!("could not read the deployment: {e}")),
    };
    let target = match target_of(&summary.deployment_id, &info, &TargetOverride::default()) {
        Ok(t) => t,
        Err(e) => return problem(replayed, e.to_string()),
    };
    replayed.target = Some(target.clone());
    let groups = match &target {
        DeploymentTarget::Ecs(_) => match readers.target_groups.target_groups(&summary.deployment_id).await {
            Ok(g) => Some(g),
            Err(e) => return problem(replayed, format!("could not find the deployment's target groups: {e}")),
        },
        DeploymentTarget::Lambda(_) => None,
    };
    let judge = Judge::new(settings.judge);
    let watch = match canary_metrics(&target, groups.as_ref()) {
        Ok(metrics) => match watch(readers.metrics, &judge, &metrics, minutes).await {
            Ok((watch, rows)) => {
                replayed.minutes = rows;
                replayed.thresholds = Some(Thresholds {
                    relative: watch.relative_threshold,
                    ceiling: watch.ceiling_threshold,
                });
                Some(watch)
            }
            Err(e) => return problem(replayed, e),
        },
        Err(note) => {
            replayed.notes.push(note);
            None
        }
    };
    let checks = match post_traffic(
        readers.metrics,
        &settings,
        &target,
        groups.as_ref(),
        info.created_at,
        minutes,
        now,
    )
    .await
    {
        Ok(checks) => checks,
        Err(e) => return problem(replayed, e),
    };
    replayed.checks = checks;
    let would = Would::decide(watch.as_ref(), &replayed.checks);
    replayed.decided(would)
}

/// The canary judge's four series of the deployment, or why it does not watch it.
fn canary_metrics(target: &DeploymentTarget, groups: Option<&TargetGroups>) -> Result<MinuteMetrics, String> {
    match (target, groups) {
        (DeploymentTarget::Lambda(_), _) => alias_versions(target).map(|v| MinuteMetrics::lambda(&v)).ok_or_else(|| {
            "the canary judge does not watch it: the AppSpec names no alias, no CurrentVersion, or a CurrentVersion equal to the TargetVersion, so no old version served beside the new one".to_string()
        }),
        (DeploymentTarget::Ecs(_), Some(g)) => match (&g.original, &g.load_balancer) {
            (Some(original), Some(lb)) if lb.starts_with("app/") => {
                Ok(MinuteMetrics::target_groups(lb, &g.replacement, original))
            }
            (None, _) => Err(format!(
                "the canary judge does not watch it: no original task set beside the replacement's {}",
                g.replacement
            )),
            _ => Err(format!(
                "the canary judge does not watch it: the target group {} is behind no Application Load Balancer",
                g.replacement
            )),
        },
        (DeploymentTarget::Ecs(_), None) => Err("the ECS deployment's target groups are unknown".into()),
    }
}

/// The canary judge's looks over `minutes`, and each minute's row.
async fn watch<M: MetricReader>(
    reader: &M,
    judge: &Judge,
    metrics: &MinuteMetrics,
    minutes: Minutes,
) -> Result<(Watch, Vec<crate::replay::outcome::MinuteRow>), String> {
    let data = reader
        .metric_data(&queries(CANARY_PREFIX, metrics), minutes.window())
        .await
        .map_err(|e| format!("could not read the canary judge's metrics: {e}"))?;
    let counted = minutes_from(CANARY_PREFIX, &minutes, &data.values, &data.timestamps);
    let watch = judge
        .watch(&counted)
        .map_err(|e| format!("CloudWatch's counts cannot be judged: {e}"))?;
    let rows = minute_rows(&counted, &watch);
    Ok((watch, rows))
}

/// Post-traffic's checks had it been invoked when the deployment completed: the final look over
/// every minute for a deployment of both versions, else one look over the window
/// (`WINDOW_MINUTES` before the completion, or since the creation). A plan post-traffic would
/// refuse (an ECS deployment without `METRIC_CHECKS`) fails, as the hook would have failed.
async fn post_traffic<M: MetricReader>(
    reader: &M,
    settings: &EffectiveSettings,
    target: &DeploymentTarget,
    groups: Option<&TargetGroups>,
    created_at: Option<SystemTime>,
    minutes: Minutes,
    now: SystemTime,
) -> Result<Vec<CheckOutcome>, String> {
    let checks = if !uses_target_groups(&settings.metric_checks) {
        settings.metric_checks.clone()
    } else {
        match groups {
            Some(g) => match with_target_groups(&settings.metric_checks, g) {
                Ok(c) => c,
                Err(e) => return Ok(vec![CheckOutcome::not_run("metric_checks", "configuration", e)]),
            },
            None => {
                return Ok(vec![CheckOutcome::not_run(
                    "metric_checks",
                    "configuration",
                    "METRIC_CHECKS names {replacement_target_group} or {original_target_group}, which only an ECS deployment has",
                )]);
            }
        }
    };
    let span = if alias_versions(target).is_some() {
        Span::Minutes(minutes)
    } else {
        let start = match settings.gate.window {
            Some(window) => minutes.end.checked_sub(window).unwrap_or(minutes.start),
            None => created_at.unwrap_or(minutes.start),
        };
        // WINDOW_MINUTES may reach before the deployment, and so out of one-minute data.
        within_retention(start, now).map_err(|e| format!("post-traffic's window (WINDOW_MINUTES): {e}"))?;
        Span::Window(MetricWindow::new(start, minutes.end))
    };
    let plan = match MetricPlan::new(target, &settings.gate, &checks, span) {
        Ok(p) => p,
        Err(e) => {
            return Ok(vec![CheckOutcome::not_run(
                "post-traffic",
                "configuration",
                e.to_string(),
            )]);
        }
    };
    let data = reader
        .metric_data(&plan.queries, plan.window)
        .await
        .map_err(|e| format!("could not read post-traffic's metrics: {e}"))?;
    Ok(plan.judge(
        &data.values,
        &data.timestamps,
        &settings.gate,
        &Judge::new(settings.judge),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deployment::Creator;
    use crate::fakes::{CodeDeployGroups, DeploymentsById, RecordedMetrics, StoredDocuments, lambda_appspec, summary};
    use crate::ports::TargetGroupError;
    use crate::replay::outcome::Would;
    use std::time::Duration;

    struct NoTargetGroups;

    impl TargetGroupReader for NoTargetGroups {
        async fn target_groups(&self, id: &str) -> Result<TargetGroups, TargetGroupError> {
            Err(TargetGroupError::NoReplacement(id.into()))
        }
    }

    fn t(s: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + s)
    }

    /// Now: an hour into the day; the deployments ran from minute 10 (20 s in) to minute 22.
    const NOW: u64 = 3600;

    fn completed(id: &str, status: DeploymentStatus) -> DeploymentSummary {
        summary(id, status, Some(t(620)), Some(t(1330)))
    }

    /// Twelve minutes of `version`'s traffic through the alias: `calls` with `errors` a minute.
    fn traffic(metrics: &mut RecordedMetrics, version: &str, calls: f64, errors: f64) {
        for minute in 10..22 {
            let at = t(minute * 60 + 10);
            let dims = [
                ("FunctionName", "orders"),
                ("Resource", "orders:live"),
                ("ExecutedVersion", version),
            ];
            metrics.put("AWS/Lambda", "Invocations", &dims, at, calls);
            metrics.put("AWS/Lambda", "Errors", &dims, at, errors);
        }
    }

    struct World {
        history: CodeDeployGroups,
        deployments: DeploymentsById,
        metrics: RecordedMetrics,
        store: StoredDocuments,
    }

    impl World {
        fn new(summaries: Vec<DeploymentSummary>) -> World {
            let mut deployments = DeploymentsById::default();
            for s in &summaries {
                deployments = deployments.with(
                    &s.deployment_id,
                    s.compute_platform.clone(),
                    s.status.clone(),
                    lambda_appspec(
                        "orders",
                        "live",
                        "1",
                        if s.deployment_id == "d-bad" { "3" } else { "2" },
                    ),
                );
            }
            let mut metrics = RecordedMetrics::default();
            // The old version 1 serves 90 %; the good new version 2 fails as often, the bad 3
            // ten times as often.
            traffic(&mut metrics, "1", 900.0, 9.0);
            traffic(&mut metrics, "2", 100.0, 1.0);
            traffic(&mut metrics, "3", 100.0, 10.0);
            let group = GroupRef {
                application: "orders".into(),
                group: "orders-live".into(),
            };
            World {
                history: CodeDeployGroups::in_group(&group, summaries),
                deployments,
                metrics,
                store: StoredDocuments::new(&[]),
            }
        }

        async fn replay(&self, ids: &[&str]) -> Vec<Replayed> {
            let readers = Readers {
                history: &self.history,
                deployments: &self.deployments,
                metrics: &self.metrics,
                target_groups: &NoTargetGroups,
                store: &self.store,
            };
            let ids: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
            replay_ids(&readers, &ids, &SettingsSource::Documents, t(NOW))
                .await
                .unwrap()
        }
    }

    #[tokio::test]
    async fn a_bad_release_is_stopped_at_the_judges_minute_and_a_good_one_passes() {
        let world = World::new(vec![
            completed("d-good", DeploymentStatus::Succeeded),
            completed("d-bad", DeploymentStatus::Succeeded),
        ]);
        let out = world.replay(&["d-bad", "d-good"]).await;
        let (bad, good) = (&out[0], &out[1]);
        let Would::Stop { minute, .. } = bad.shiftguard else {
            panic!("the bad release is stopped: {bad:?}");
        };
        assert!((1..=6).contains(&minute), "stopped at minute {minute}");
        assert_eq!(bad.agrees, Some(false), "CodeDeploy let it through");
        assert_eq!(bad.minutes.len(), 12);
        assert!(bad.minutes[minute - 1].relative >= bad.thresholds.unwrap().relative);
        assert_eq!(good.shiftguard, Would::Pass, "{good:?}");
        assert_eq!(good.agrees, Some(true));
        assert_eq!((good.minutes[0].new_calls, good.minutes[0].old_errors), (100, 9));
        assert!(!good.checks.is_empty() && good.checks.iter().all(|c| c.passed));
        // Each function's own read: the judge's four series, then post-traffic's plan, over the
        // twelve whole minutes from the creation minute.
        let windows = world.metrics.windows.lock().unwrap().clone();
        assert_eq!(windows.len(), 4);
        assert!(windows.iter().all(|w| (w.start, w.end) == (t(600), t(1320))));
    }

    #[tokio::test]
    async fn what_cannot_be_judged_says_why() {
        let mut rollback = completed("d-rollback", DeploymentStatus::Succeeded);
        rollback.creator = Creator::CodeDeployRollback;
        let mut ec2 = completed("d-ec2", DeploymentStatus::Succeeded);
        ec2.compute_platform = ComputePlatform::Server;
        let old = summary(
            "d-old",
            DeploymentStatus::Succeeded,
            t(NOW).checked_sub(Duration::from_secs(16 * 86_400)),
            t(NOW).checked_sub(Duration::from_secs(16 * 86_400 - 600)),
        );
        let running = summary("d-running", DeploymentStatus::InProgress, Some(t(620)), None);
        let world = World::new(vec![rollback, ec2, old, running]);
        let out = world
            .replay(&["d-rollback", "d-ec2", "d-old", "d-running", "d-nowhere"])
            .await;
        let reason = |r: &Replayed| match &r.shiftguard {
            Would::Skipped { reason } | Would::Problem { reason } => reason.clone(),
            other => panic!("{other:?}"),
        };
        assert!(
            reason(&out[0]).starts_with("a rollback (creator codeDeployRollback)"),
            "{}",
            reason(&out[0])
        );
        assert!(reason(&out[1]).contains("shiftguard validate"), "{}", reason(&out[1]));
        assert!(reason(&out[2]).contains("CloudWatch keeps one-minute datapoints for 15 days"));
        assert!(reason(&out[3]).starts_with("it is still InProgress"));
        assert!(matches!(out[4].shiftguard, Would::Problem { .. }));
        assert_eq!(
            reason(&out[4]),
            "deployment d-nowhere does not exist in this account and region"
        );
        assert!(out.iter().all(|r| r.agrees.is_none()));
        assert!(
            world.metrics.windows.lock().unwrap().is_empty(),
            "nothing judged, nothing read"
        );
    }

    #[tokio::test]
    async fn the_groups_documents_apply_and_a_broken_one_is_a_problem_naming_it() {
        let mut world = World::new(vec![completed("d-good", DeploymentStatus::Succeeded)]);
        world.store = StoredDocuments::new(&[("/shiftguard/orders/orders-live", "MAX_ERROR_RATE: 0.2\n")]);
        let out = world.replay(&["d-good"]).await;
        // 1 % errors against a ceiling of 0.2 %: the ceiling's evidence stops it.
        assert!(
            matches!(
                out[0].shiftguard,
                Would::Stop {
                    test: crate::canary::judge::Test::Ceiling,
                    ..
                }
            ),
            "{:?}",
            out[0].shiftguard
        );
        let record = serde_json::to_value(out[0].settings.as_ref().unwrap()).unwrap();
        assert_eq!(
            record["sources"]["MAX_ERROR_RATE"]["parameter"],
            "/shiftguard/orders/orders-live"
        );
        world.store = StoredDocuments::new(&[("/shiftguard/orders", "CONFIDENCE: 2\n")]);
        let out = world.replay(&["d-good"]).await;
        let Would::Problem { reason } = &out[0].shiftguard else {
            panic!("{:?}", out[0].shiftguard);
        };
        assert!(
            reason.starts_with("CONFIDENCE") && reason.contains("/shiftguard/orders"),
            "{reason}"
        );
    }

    #[tokio::test]
    async fn without_an_old_version_only_post_traffic_judges_one_look() {
        let world = World::new(vec![completed("d-first", DeploymentStatus::Succeeded)]);
        let mut deployments = DeploymentsById::default().with(
            "d-first",
            ComputePlatform::Lambda,
            DeploymentStatus::Succeeded,
            crate::fakes::lambda_appspec("orders", "live", "2", "2"),
        );
        deployments.deployments.get_mut("d-first").unwrap().created_at = Some(t(620));
        let world = World { deployments, ..world };
        let out = world.replay(&["d-first"]).await;
        assert!(out[0].minutes.is_empty() && out[0].thresholds.is_none());
        assert!(
            out[0].notes[0].starts_with("the canary judge does not watch it"),
            "{:?}",
            out[0].notes
        );
        assert!(!out[0].checks.is_empty(), "post-traffic's one look");
        let windows = world.metrics.windows.lock().unwrap().clone();
        assert_eq!(windows.len(), 1);
        assert_eq!((windows[0].start, windows[0].end), (t(620), t(1320)));
    }

    struct BlueGreen;

    impl TargetGroupReader for BlueGreen {
        async fn target_groups(&self, _: &str) -> Result<TargetGroups, TargetGroupError> {
            Ok(TargetGroups {
                replacement: "targetgroup/green/1".into(),
                original: Some("targetgroup/blue/2".into()),
                load_balancer: Some("app/web/3".into()),
            })
        }
    }

    #[tokio::test]
    async fn an_ecs_release_is_watched_on_its_target_groups_and_post_traffic_needs_metric_checks() {
        let mut ecs = completed("d-ecs", DeploymentStatus::Succeeded);
        ecs.compute_platform = ComputePlatform::Ecs;
        let world = World::new(vec![ecs]);
        let deployments = DeploymentsById::default().with(
            "d-ecs",
            ComputePlatform::Ecs,
            DeploymentStatus::Succeeded,
            crate::fakes::ecs_appspec(),
        );
        let mut metrics = RecordedMetrics::default();
        for minute in 10..22 {
            for (group, requests, errors) in [("targetgroup/green/1", 100.0, 30.0), ("targetgroup/blue/2", 900.0, 9.0)]
            {
                let dims = [("LoadBalancer", "app/web/3"), ("TargetGroup", group)];
                let at = t(minute * 60 + 10);
                metrics.put("AWS/ApplicationELB", "RequestCount", &dims, at, requests);
                metrics.put("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", &dims, at, errors);
            }
        }
        let readers = Readers {
            history: &world.history,
            deployments: &deployments,
            metrics: &metrics,
            target_groups: &BlueGreen,
            store: &world.store,
        };
        let out = replay_ids(&readers, &["d-ecs".to_string()], &SettingsSource::Documents, t(NOW))
            .await
            .unwrap();
        assert!(
            matches!(out[0].shiftguard, Would::Stop { minute: 1, .. }),
            "{:?}",
            out[0].shiftguard
        );
        assert_eq!((out[0].minutes[0].new_errors, out[0].minutes[0].old_calls), (30, 900));
        // Post-traffic refuses an ECS deployment without METRIC_CHECKS, and says so.
        assert!(!out[0].checks[0].passed);
        assert!(
            out[0].checks[0].reasons[0].contains("set METRIC_CHECKS"),
            "{:?}",
            out[0].checks
        );
    }

    /// CodeDeploy refusing a batch with a malformed id in it, as BatchGetDeployments does
    /// (`InvalidDeploymentIdException`, botocore's codedeploy model).
    struct RefusesMalformed(CodeDeployGroups);

    impl DeploymentHistory for RefusesMalformed {
        async fn list(
            &self,
            g: &GroupRef,
            s: &[DeploymentStatus],
            c: Option<SystemTime>,
        ) -> Result<Vec<String>, AwsError> {
            self.0.list(g, s, c).await
        }
        async fn in_progress(&self) -> Result<Vec<String>, AwsError> {
            self.0.in_progress().await
        }
        async fn summaries(&self, ids: &[String]) -> Result<Vec<DeploymentSummary>, AwsError> {
            if ids.iter().any(|id| id.contains(' ')) {
                return Err(AwsError {
                    operation: "BatchGetDeployments".into(),
                    message: "InvalidDeploymentIdException".into(),
                    retryable: false,
                });
            }
            self.0.summaries(ids).await
        }
    }

    #[tokio::test]
    async fn a_malformed_id_is_its_own_problem_and_the_others_are_judged() {
        let world = World::new(vec![completed("d-good", DeploymentStatus::Succeeded)]);
        let history = RefusesMalformed(CodeDeployGroups::in_group(
            &GroupRef {
                application: "orders".into(),
                group: "orders-live".into(),
            },
            vec![completed("d-good", DeploymentStatus::Succeeded)],
        ));
        let readers = Readers {
            history: &history,
            deployments: &world.deployments,
            metrics: &world.metrics,
            target_groups: &NoTargetGroups,
            store: &world.store,
        };
        let ids = ["d-good".to_string(), "not an id".to_string()];
        let out = replay_ids(&readers, &ids, &SettingsSource::Documents, t(NOW))
            .await
            .unwrap();
        assert_eq!(out[0].shiftguard, Would::Pass);
        assert_eq!(
            out[1].shiftguard,
            Would::Problem {
                reason: "could not read deployment not an id: BatchGetDeployments failed: InvalidDeploymentIdException"
                    .into()
            }
        );
        let only_bad = replay_ids(&readers, &ids[1..], &SettingsSource::Documents, t(NOW)).await;
        assert!(only_bad.is_err(), "nothing readable: the call's own error");
    }

    #[tokio::test]
    async fn the_last_n_are_the_newest_releases() {
        let group = GroupRef {
            application: "orders".into(),
            group: "orders-live".into(),
        };
        let mut rollback = summary("d-4", DeploymentStatus::Succeeded, Some(t(400)), Some(t(500)));
        rollback.rollback_of = Some("d-3".into());
        let history = CodeDeployGroups::in_group(
            &group,
            vec![
                summary("d-1", DeploymentStatus::Succeeded, Some(t(100)), Some(t(200))),
                summary("d-3", DeploymentStatus::Stopped, Some(t(300)), Some(t(390))),
                rollback,
                summary("d-2", DeploymentStatus::Failed, Some(t(200)), Some(t(290))),
                summary("d-5", DeploymentStatus::InProgress, Some(t(600)), None),
            ],
        );
        let ids = |found: Vec<DeploymentSummary>| found.into_iter().map(|d| d.deployment_id).collect::<Vec<_>>();
        assert_eq!(ids(last(&history, &group, 2, t(NOW)).await.unwrap()), ["d-3", "d-2"]);
        assert_eq!(
            ids(last(&history, &group, 10, t(NOW)).await.unwrap()),
            ["d-3", "d-2", "d-1"]
        );
    }
}
