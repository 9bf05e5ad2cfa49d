//! One tick of the canary judge: list the account's in-flight deployments, find the Lambda canaries
//! among them, read every one's per-minute counts of both versions in one `GetMetricData` call,
//! judge each on its complete minutes, stop those with evidence of a regression, and log a record
//! for every deployment. Stateless: each tick recomputes from CloudWatch, so overlapping ticks
//! and retries are harmless (a second stop answers "already completed").

use std::time::SystemTime;

use futures_util::StreamExt;
use futures_util::stream;
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::{Value, json};
use shiftguard::canary::judge::Judge;
use shiftguard::canary::minute::Minute;
use shiftguard::canary::per_minute::{Minutes, minutes_from, queries};
use shiftguard::canary::plan::{DEFAULT_SEED, PlanRequest, plan};
use shiftguard::config::env::ConfigError;
use shiftguard::eventbridge::{Incoming, InvocationError, read_event};
use shiftguard::hook::runner::Environment;
use shiftguard::ports::{
    DeploymentHistory, DeploymentReader, DeploymentStopper, FunctionConfigReader, GroupTagReader, MetricReader,
    SettingsStore, StopOutcome, TargetGroupReader,
};

use crate::candidates::{Candidate, Readers, find, screen};
use crate::config::CanaryJudgeConfig;
use crate::record::{Decision, Record};
use crate::settings::{Group, GroupSettings, group_settings};

/// CloudWatch answers at most 500 queries in one `GetMetricData` call
/// (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html>),
/// four per deployment: more deployments than this wait for the next tick.
pub const MAX_JUDGED: usize = 500 / 4;

/// Deployments read at once.
const CONCURRENCY: usize = 8;

/// The blind-canary warning's simulated deployments per regression size: enough to tell a blind
/// canary from one that sees, in well under a second.
const WARNING_RUNS: usize = 200;

/// The EventBridge rule's event (SAM's `Schedule` event source): "Scheduled Event" from aws.events,
/// <https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html>.
pub const SCHEDULED_EVENT: &str = "Scheduled Event";

pub struct Deps<C, D, M, L, G, S> {
    /// Lists and stops deployments, reads groups' tags.
    pub codedeploy: C,
    /// Reads a deployment and its AppSpec.
    pub deployments: D,
    pub metrics: M,
    /// Reads the versions' timeout.
    pub lambda: L,
    /// Finds an ECS deployment's target groups.
    pub target_groups: G,
    /// Reads the deployment groups' settings documents.
    pub store: S,
    /// The judge's environment, under every group's documents.
    pub environment: Environment,
    /// The environment's settings, read at cold start (`METRICS_NAMESPACE` is the environment's
    /// alone; a bad value fails every tick, naming it).
    pub config: Result<CanaryJudgeConfig, ConfigError>,
}

pub async fn function_handler<C, D, M, L, G, S>(
    deps: &Deps<C, D, M, L, G, S>,
    event: LambdaEvent<Value>,
) -> Result<Value, Diagnostic>
where
    C: DeploymentHistory + DeploymentStopper + GroupTagReader,
    D: DeploymentReader,
    M: MetricReader,
    L: FunctionConfigReader,
    G: TargetGroupReader,
    S: SettingsStore,
{
    if let Incoming::Other(what) = read_event::<Value>(event.payload, SCHEDULED_EVENT).map_err(InvocationError::from)? {
        tracing::info!(what, "not a schedule tick; nothing judged");
        return Ok(json!({"judged": 0, "reason": format!("{what} is not a schedule tick")}));
    }
    let config = deps.config.as_ref().map_err(|error| InvocationError::Misconfigured {
        function: "canary-judge",
        error: error.clone(),
    })?;
    let now = SystemTime::now();
    let records = tick(deps, &event.context.invoked_function_arn, now).await?;
    let now_ms = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    for record in &records {
        println!("{}", record.log_line(&config.namespace, now_ms));
    }
    let count = |d: Decision| records.iter().filter(|r| r.decision == d).count();
    let failures: Vec<String> = records
        .iter()
        .filter(|r| r.decision.is_failure())
        .map(|r| format!("{}: {}", r.deployment_id, r.reasons.join("; ")))
        .collect();
    if !failures.is_empty() {
        return Err(InvocationError::JudgementIncomplete(format!(
            "{} of {} in-flight deployments could not be judged or stopped this tick (the next tick tries again): {}",
            failures.len(),
            records.len(),
            failures.join(" | ")
        ))
        .into());
    }
    Ok(json!({
        "in_flight": records.len(),
        "judged": count(Decision::Watching) + count(Decision::Stopped) + count(Decision::AlreadyCompleted),
        "stopped": records.iter().filter(|r| r.decision == Decision::Stopped).map(|r| &r.deployment_id).collect::<Vec<_>>(),
    }))
}

/// Every in-flight deployment's record this tick.
async fn tick<C, D, M, L, G, S>(
    deps: &Deps<C, D, M, L, G, S>,
    function_arn: &str,
    now: SystemTime,
) -> Result<Vec<Record>, InvocationError>
where
    C: DeploymentHistory + DeploymentStopper + GroupTagReader,
    D: DeploymentReader,
    M: MetricReader,
    L: FunctionConfigReader,
    G: TargetGroupReader,
    S: SettingsStore,
{
    let incomplete = |what: &str, e| InvocationError::JudgementIncomplete(format!("could not {what}: {e}"));
    let ids = deps
        .codedeploy
        .in_progress()
        .await
        .map_err(|e| incomplete("list the deployments in progress", e))?;
    let summaries = if ids.is_empty() {
        Vec::new()
    } else {
        deps.codedeploy
            .summaries(&ids)
            .await
            .map_err(|e| incomplete("read the deployments in progress", e))?
    };
    let mut records = Vec::new();
    let mut judged = Vec::new();
    for summary in summaries {
        match screen(&summary) {
            None => judged.push(summary),
            Some(record) => records.push(record),
        }
    }
    // Each group's own settings, every group's documents read together.
    let groups: Vec<Group> = judged
        .iter()
        .map(|s| (s.application.clone(), s.deployment_group.clone()))
        .collect();
    let settings = match group_settings(&deps.store, &*deps.environment, &groups).await {
        Ok(settings) => settings,
        Err(e) => {
            records.extend(judged.iter().map(|s| {
                Record::left(&s.deployment_id, Decision::Problem, e.clone())
                    .in_group(&s.application, &s.deployment_group)
            }));
            return Ok(records);
        }
    };
    let settings_of = |application: &str, group: &str| {
        settings
            .get(&(application.to_string(), group.to_string()))
            .cloned()
            .unwrap_or_else(|| Err("no settings were applied to this deployment group".to_string()))
    };
    let mut applicable = Vec::new();
    for summary in judged {
        match settings_of(&summary.application, &summary.deployment_group) {
            Ok(group) => applicable.push((summary, group.settle)),
            Err(e) => records.push(
                Record::left(&summary.deployment_id, Decision::Problem, e)
                    .in_group(&summary.application, &summary.deployment_group),
            ),
        }
    }
    let readers = Readers {
        deployments: &deps.deployments,
        tags: &deps.codedeploy,
        lambda: &deps.lambda,
        target_groups: &deps.target_groups,
    };
    let found: Vec<Result<Candidate, Record>> = stream::iter(applicable)
        .map(|(summary, settle)| find(&readers, summary, function_arn, now, settle))
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut candidates = Vec::new();
    for f in found {
        match f {
            Ok(c) if candidates.len() < MAX_JUDGED => candidates.push(c),
            Ok(c) => records.push(
                Record::left(
                    &c.deployment_id,
                    Decision::Problem,
                    format!("more than {MAX_JUDGED} Lambda deployments in flight; this one waits for a later tick"),
                )
                .in_group(&c.application, &c.deployment_group)
                .with_target(c.target.clone()),
            ),
            Err(r) => records.push(r),
        }
    }
    // In a fixed order, whatever order the reads finished in: the same deployment has the same
    // query ids tick after tick, and the records come out sorted.
    candidates.sort_by(|a, b| a.deployment_id.cmp(&b.deployment_id));
    let Some(span) = Minutes::union(candidates.iter().map(|c| c.minutes)) else {
        return Ok(records);
    };
    let prefix = |i: usize| format!("d{i}");
    let all_queries: Vec<_> = candidates
        .iter()
        .enumerate()
        .flat_map(|(i, c)| queries(&prefix(i), &c.metrics))
        .collect();
    let data = match deps.metrics.metric_data(&all_queries, span.window()).await {
        Ok(data) => data,
        Err(e) => {
            records.extend(
                candidates
                    .iter()
                    .map(|c| unjudged(c, Decision::Problem, format!("could not read the metrics: {e}"))),
            );
            return Ok(records);
        }
    };
    for (i, c) in candidates.iter().enumerate() {
        let minutes = minutes_from(&prefix(i), &c.minutes, &data.values, &data.timestamps);
        let Ok(group) = settings_of(&c.application, &c.deployment_group) else {
            continue; // screened out above
        };
        let mut record = judge_one(&deps.codedeploy, &group, c, &minutes).await;
        record.settings = Some(group.record);
        records.push(record);
    }
    Ok(records)
}

fn unjudged(c: &Candidate, decision: Decision, reason: String) -> Record {
    Record::left(&c.deployment_id, decision, reason)
        .in_group(&c.application, &c.deployment_group)
        .with_target(c.target.clone())
}

/// The looks over one deployment's complete minutes, and the stop when they show a regression.
async fn judge_one(
    stopper: &impl DeploymentStopper,
    group: &GroupSettings,
    c: &Candidate,
    minutes: &[Minute],
) -> Record {
    let judge = &Judge::new(group.judge);
    let watch = match judge.watch(minutes) {
        Ok(w) => w,
        Err(e) => {
            return unjudged(
                c,
                Decision::Problem,
                format!("CloudWatch's counts cannot be judged: {e}"),
            );
        }
    };
    let (decision, reasons) = match &watch.stop {
        None => (
            Decision::Watching,
            vec![format!(
                "no regression shown in {} complete minutes: relative evidence {:.3} (stops at {:.0}), ceiling evidence {:.3} (stops at {:.0})",
                minutes.len(),
                watch.evidence.last().map_or(1.0, |e| e.relative),
                watch.relative_threshold,
                watch.evidence.last().map_or(1.0, |e| e.ceiling),
                watch.ceiling_threshold,
            )],
        ),
        Some(stop) if group.dry_run => (
            Decision::DryRun,
            vec![
                stop.reason.clone(),
                "not stopped: DRY_RUN is set for this deployment group".into(),
            ],
        ),
        Some(stop) => match stopper.stop_with_rollback(&c.deployment_id).await {
            Ok(StopOutcome::Stopped) => (
                Decision::Stopped,
                vec![stop.reason.clone(), "stopped with automatic rollback".into()],
            ),
            Ok(StopOutcome::AlreadyCompleted) => (
                Decision::AlreadyCompleted,
                vec![stop.reason.clone(), "the deployment had already completed".into()],
            ),
            Err(e) => (
                Decision::StopFailed,
                vec![stop.reason.clone(), format!("the stop failed: {e}")],
            ),
        },
    };
    let mut record = Record::left(&c.deployment_id, decision, String::new())
        .in_group(&c.application, &c.deployment_group)
        .with_target(c.target.clone())
        .with_watch(&watch);
    record.reasons = reasons;
    record.warnings = c.warnings.clone();
    if minutes.len() == 1 {
        record.warnings.extend(blind_canary(judge, c, &minutes[0]));
    }
    record
}

/// What `shiftguard plan` would warn of for this deployment, on the traffic of its first complete
/// minute (the old version's error rate; half an error where it had none), once, in the first
/// record. Nothing for a configuration that is not one of CodeDeploy's predefined ones.
fn blind_canary(judge: &Judge, c: &Candidate, first: &Minute) -> Vec<String> {
    let Some(Ok(config)) = c.deployment_config.as_deref().map(str::parse) else {
        return Vec::new();
    };
    let calls = first.invocations() as f64;
    let errors = (first.old.errors as f64).max(0.5);
    let request = PlanRequest {
        calls_per_minute: calls,
        error_rate_pct: 100.0 * errors / (first.old.invocations.max(1) as f64),
        config,
        settings: *judge.settings(),
        seed: DEFAULT_SEED,
        runs: WARNING_RUNS,
    };
    match plan(&request) {
        Ok(p) => p
            .warnings
            .into_iter()
            .map(|w| format!("at the first minute's traffic ({calls:.0} calls a minute): {w}"))
            .collect(),
        Err(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Mutex;
    use std::time::Duration;

    use lambda_runtime::Context;
    use shiftguard::config::env::FromEnv;
    use shiftguard::deployment::{ComputePlatform, Creator, DeploymentStatus};
    use shiftguard::fakes::{StoredDocuments, env};
    use shiftguard::gate::metric_checks::TargetGroups;
    use shiftguard::gate::metric_query::{MetricQuery, MetricWindow};
    use shiftguard::ports::{
        AwsError, DeploymentInfo, DeploymentSummary, LookupError, MetricData, MetricReadError, TargetGroupError,
    };
    use shiftguard::rollback::deployment_group::GroupRef;

    use super::*;

    const APPSPEC: &str = include_str!("../../../shared/tests/fixtures/appspec-lambda.yaml");
    const JUDGE_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:canary-judge";

    /// CodeDeploy and CloudWatch in memory: deployments with their per-minute counts (new
    /// invocations, new errors, old invocations, old errors) from their creation minute.
    #[derive(Default)]
    struct World {
        deployments: BTreeMap<String, (DeploymentInfo, Vec<[u64; 4]>)>,
        tags: BTreeMap<String, BTreeMap<String, String>>,
        stops: Mutex<Vec<String>>,
        completed: Vec<String>,
        metric_calls: Mutex<Vec<(Vec<MetricQuery>, MetricWindow)>>,
        metrics_fail: bool,
        /// Both versions' timeout.
        timeout: Duration,
        /// Every stop fails, as a throttled StopDeployment would.
        stop_fails: bool,
        /// ECS deployments' load balancer; without it, their target groups are not found.
        load_balancer: Option<&'static str>,
    }

    fn t0() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)
    }

    impl World {
        fn lambda(mut self, id: &str, group: &str, minutes: Vec<[u64; 4]>) -> Self {
            let info = DeploymentInfo {
                application: "orders".into(),
                deployment_group: group.into(),
                deployment_config: "CodeDeployDefault.LambdaCanary10Percent5Minutes".into(),
                creator: Creator::User,
                rollback_of: None,
                compute_platform: ComputePlatform::Lambda,
                created_at: Some(t0() + Duration::from_secs(20)),
                completed_at: None,
                status: DeploymentStatus::InProgress,
                appspec: APPSPEC.into(),
            };
            self.deployments.insert(id.into(), (info, minutes));
            self
        }

        fn edit(mut self, id: &str, f: impl FnOnce(&mut DeploymentInfo)) -> Self {
            f(&mut self.deployments.get_mut(id).unwrap().0);
            self
        }

        fn tag(mut self, group: &str, key: &str, value: &str) -> Self {
            self.tags
                .entry(format!(
                    "arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:orders/{group}"
                ))
                .or_default()
                .insert(key.into(), value.into());
            self
        }
    }

    impl DeploymentHistory for &World {
        async fn list(
            &self,
            _: &GroupRef,
            _: &[DeploymentStatus],
            _: Option<SystemTime>,
        ) -> Result<Vec<String>, AwsError> {
            unreachable!("the judge lists the account's deployments, not a group's")
        }
        async fn in_progress(&self) -> Result<Vec<String>, AwsError> {
            Ok(self.deployments.keys().cloned().collect())
        }
        async fn summaries(&self, ids: &[String]) -> Result<Vec<DeploymentSummary>, AwsError> {
            Ok(ids
                .iter()
                .filter_map(|id| self.deployments.get(id).map(|(i, _)| (id, i)))
                .map(|(id, i)| DeploymentSummary {
                    deployment_id: id.clone(),
                    application: i.application.clone(),
                    deployment_group: i.deployment_group.clone(),
                    status: i.status.clone(),
                    creator: i.creator.clone(),
                    rollback_of: i.rollback_of.clone(),
                    compute_platform: i.compute_platform.clone(),
                    created_at: i.created_at,
                    completed_at: i.completed_at,
                })
                .collect())
        }
    }

    impl DeploymentStopper for &World {
        async fn stop_with_rollback(&self, id: &str) -> Result<StopOutcome, AwsError> {
            self.stops.lock().unwrap().push(id.into());
            if self.stop_fails {
                return Err(AwsError {
                    operation: format!("StopDeployment {id}"),
                    message: "ThrottlingException: Rate exceeded".into(),
                    retryable: true,
                });
            }
            Ok(if self.completed.iter().any(|c| c == id) {
                StopOutcome::AlreadyCompleted
            } else {
                StopOutcome::Stopped
            })
        }
    }

    impl TargetGroupReader for &World {
        async fn target_groups(&self, id: &str) -> Result<TargetGroups, TargetGroupError> {
            match self.load_balancer {
                Some(lb) => Ok(TargetGroups {
                    replacement: format!("targetgroup/{id}-green/1"),
                    original: Some(format!("targetgroup/{id}-blue/2")),
                    load_balancer: Some(lb.into()),
                }),
                None => Err(TargetGroupError::NoReplacement(id.into())),
            }
        }
    }

    impl FunctionConfigReader for &World {
        async fn timeout(&self, _: &str, _: &str) -> Result<Duration, AwsError> {
            Ok(self.timeout)
        }
    }

    impl GroupTagReader for &World {
        async fn group_tags(&self, arn: &str) -> Result<BTreeMap<String, String>, AwsError> {
            Ok(self.tags.get(arn).cloned().unwrap_or_default())
        }
    }

    impl DeploymentReader for &World {
        async fn deployment(&self, id: &str) -> Result<DeploymentInfo, LookupError> {
            self.deployments
                .get(id)
                .map(|(info, _)| info.clone())
                .ok_or_else(|| LookupError::NoSuchDeployment(id.into()))
        }
    }

    impl MetricReader for &World {
        /// Answers each query from the deployment whose versions it names, as CloudWatch would:
        /// one datapoint per minute that had a nonzero count, timestamped at the minute's start.
        async fn metric_data(
            &self,
            queries: &[MetricQuery],
            window: MetricWindow,
        ) -> Result<MetricData, MetricReadError> {
            self.metric_calls.lock().unwrap().push((queries.to_vec(), window));
            if self.metrics_fail {
                return Err(MetricReadError::TooManyPages(20));
            }
            let mut data = MetricData::default();
            // Query ids are d<i>_<series>, in the order the candidates were read: match them to
            // a deployment by position among the judged ones.
            let judged: Vec<&Vec<[u64; 4]>> = self.deployments.values().map(|(_, m)| m).collect();
            for q in queries {
                let (prefix, series) = q.id.split_once('_').unwrap();
                let k = ["new_calls", "new_errors", "old_calls", "old_errors"]
                    .iter()
                    .position(|s| *s == series)
                    .unwrap();
                let i: usize = prefix[1..].parse().unwrap();
                for (m, counts) in judged[i].iter().enumerate() {
                    let at = t0() + Duration::from_secs(60 * m as u64);
                    if counts[k] > 0 && at >= window.start && at < window.end {
                        data.values.entry(q.id.clone()).or_default().push(counts[k] as f64);
                        data.timestamps.entry(q.id.clone()).or_default().push(at);
                    }
                }
            }
            Ok(data)
        }
    }

    /// The world in all three roles (leaked: a test's world lives as long as the test process).
    type WorldDeps =
        Deps<&'static World, &'static World, &'static World, &'static World, &'static World, StoredDocuments>;

    fn deps(world: World, settings: &[(&str, &str)]) -> WorldDeps {
        let world: &'static World = Box::leak(Box::new(world));
        Deps {
            codedeploy: world,
            deployments: world,
            metrics: world,
            lambda: world,
            target_groups: world,
            store: StoredDocuments::new(&[]),
            environment: Box::new(env(settings)),
            config: CanaryJudgeConfig::from_lookup(&env(settings)),
        }
    }

    /// One tick `minutes_later` minutes (and 5 s) after t0, every minute complete once it ended.
    async fn run(world: World, minutes_later: u64) -> (Vec<Record>, &'static World) {
        let d = deps(world, &[("SETTLE_SECONDS", "0")]);
        let now = t0() + Duration::from_secs(60 * minutes_later + 5);
        let mut records = tick(&d, JUDGE_ARN, now).await.unwrap();
        records.sort_by(|a, b| a.deployment_id.cmp(&b.deployment_id));
        (records, d.metrics)
    }

    #[tokio::test]
    async fn each_group_is_judged_with_its_own_documents_and_a_dry_run_is_not_stopped() {
        // Three groups with the same bad canary: one in a dry run, one whose document is broken.
        let world = World::default()
            .lambda("d-bad", "bad", canary(4, 8))
            .lambda("d-trial", "trial", canary(4, 8))
            .lambda("d-typo", "typo", canary(4, 8));
        let mut d = deps(world, &[("SETTLE_SECONDS", "0")]);
        d.store = StoredDocuments::new(&[
            ("/shiftguard/orders/trial", "DRY_RUN: true"),
            ("/shiftguard/orders/typo", "CONFIDENSE: 0.99"),
        ]);
        let now = t0() + Duration::from_secs(60 * 4 + 5);
        let mut records = tick(&d, JUDGE_ARN, now).await.unwrap();
        records.sort_by(|a, b| a.deployment_id.cmp(&b.deployment_id));
        let decisions: Vec<_> = records.iter().map(|r| (r.deployment_id.as_str(), r.decision)).collect();
        assert_eq!(
            decisions,
            [
                ("d-bad", Decision::Stopped),
                ("d-trial", Decision::DryRun),
                ("d-typo", Decision::Problem)
            ]
        );
        assert_eq!(*d.metrics.stops.lock().unwrap(), ["d-bad"]);
        assert!(
            records[2].reasons[0].contains("sets CONFIDENSE"),
            "{:?}",
            records[2].reasons
        );
        assert_eq!(d.store.calls(), 1, "every group's documents in one read");
        let trial = serde_json::to_value(&records[1]).unwrap();
        assert_eq!(trial["settings"]["sources"]["DRY_RUN"]["from"], "deployment_group");
    }

    /// Minutes of 1800 old calls at 1 % and 200 new ones at `new_pct`.
    fn canary(minutes: usize, new_errors: u64) -> Vec<[u64; 4]> {
        vec![[200, new_errors, 1800, 18]; minutes]
    }

    #[tokio::test]
    async fn a_bad_canary_is_stopped_with_every_minutes_evidence_and_a_good_one_watched() {
        let world = World::default()
            .lambda("d-bad", "bad", canary(4, 8))
            .lambda("d-good", "good", canary(4, 2));
        let (records, world) = run(world, 4).await;
        assert_eq!(
            records
                .iter()
                .map(|r| (r.deployment_id.as_str(), r.decision))
                .collect::<Vec<_>>(),
            [("d-bad", Decision::Stopped), ("d-good", Decision::Watching)]
        );
        assert_eq!(*world.stops.lock().unwrap(), ["d-bad"]);
        let bad = &records[0];
        assert_eq!(
            bad.evidence.len(),
            bad.minutes.unwrap(),
            "every minute's evidence on a stop"
        );
        assert!(bad.reasons[0].contains("fails"), "{:?}", bad.reasons);
        assert_eq!(records[1].evidence.len(), 1, "the last minute's while watching");
        assert_eq!(records[1].minutes, Some(4));
        let calls = world.metric_calls.lock().unwrap();
        assert_eq!(calls.len(), 1, "one GetMetricData call for every deployment");
        assert_eq!(calls[0].0.len(), 8);
        assert_eq!(calls[0].1.period_s, 60);
    }

    #[tokio::test]
    async fn a_minute_still_filling_is_not_read() {
        // Now is 5 s into minute 4 with SETTLE_SECONDS=0: minutes 0..=3 are complete, not 4.
        let mut minutes = canary(4, 2);
        minutes.push([200, 200, 1800, 0]);
        let (records, world) = run(World::default().lambda("d-1", "g", minutes), 4).await;
        assert_eq!(records[0].decision, Decision::Watching);
        assert_eq!(records[0].minutes, Some(4));
        assert!(world.stops.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn rollbacks_other_platforms_opted_out_groups_and_new_deployments_are_left_alone() {
        let world = World::default()
            .lambda("d-rollback", "a", canary(4, 200))
            .edit("d-rollback", |i| {
                i.creator = Creator::CodeDeployRollback;
                i.rollback_of = Some("d-0".into());
            })
            .lambda("d-ec2", "b", canary(4, 200))
            .edit("d-ec2", |i| i.compute_platform = ComputePlatform::Server)
            .lambda("d-off", "off", canary(4, 200))
            .tag("off", "shiftguard:canary-judge", "OFF")
            .lambda("d-new", "c", canary(4, 200))
            .edit("d-new", |i| i.created_at = Some(t0() + Duration::from_secs(60 * 4)));
        let (records, world) = run(world, 4).await;
        let got: Vec<_> = records.iter().map(|r| (r.deployment_id.as_str(), r.decision)).collect();
        assert_eq!(
            got,
            [
                ("d-ec2", Decision::Skipped),
                ("d-new", Decision::Waiting),
                ("d-off", Decision::Skipped),
                ("d-rollback", Decision::Skipped)
            ]
        );
        assert!(world.stops.lock().unwrap().is_empty());
        assert!(world.metric_calls.lock().unwrap().is_empty(), "nothing to read");
        assert!(records[2].reasons[0].contains("shiftguard:canary-judge = off"));
        assert!(records[3].reasons[0].contains("codeDeployRollback"));
    }

    #[tokio::test]
    async fn a_minute_counts_only_once_its_slowest_invocation_can_have_been_reported() {
        // Versions that may run 90 s: at 4:05 only minutes ending by 2:35 are complete.
        let mut world = World::default().lambda("d-1", "g", canary(4, 2));
        world.timeout = Duration::from_secs(90);
        let (records, _) = run(world, 4).await;
        assert_eq!(records[0].minutes, Some(2), "{:?}", records[0]);
        let mut world = World::default().lambda("d-1", "g", canary(4, 2));
        world.timeout = Duration::from_secs(600);
        let (records, _) = run(world, 4).await;
        assert_eq!(records[0].decision, Decision::Waiting, "{:?}", records[0]);
        assert!(records[0].reasons[0].contains("600 s"), "{:?}", records[0].reasons);
    }

    #[tokio::test]
    async fn an_ecs_canary_is_judged_on_its_two_target_groups() {
        let mut world = World::default()
            .lambda("d-ecs", "web", canary(4, 8))
            .edit("d-ecs", |i| i.compute_platform = ComputePlatform::Ecs);
        world.load_balancer = Some("app/web/50dc6c495c0c9188");
        let (records, world) = run(world, 4).await;
        assert_eq!(records[0].decision, Decision::Stopped, "{:?}", records[0]);
        let line = records[0].log_line("Shiftguard/Deployments", 0);
        assert_eq!(line["replacement_target_group"], "targetgroup/d-ecs-green/1", "{line}");
        let calls = world.metric_calls.lock().unwrap().clone();
        let metrics: Vec<_> = calls[0].0.iter().map(|q| q.metric.metric.as_str()).collect();
        assert_eq!(
            metrics,
            [
                "RequestCount",
                "HTTPCode_Target_5XX_Count",
                "RequestCount",
                "HTTPCode_Target_5XX_Count"
            ]
        );
        assert_eq!(
            calls[0].0[0].metric.dimensions["TargetGroup"],
            "targetgroup/d-ecs-green/1"
        );

        let mut lost = World::default()
            .lambda("d-ecs", "web", canary(4, 8))
            .edit("d-ecs", |i| i.compute_platform = ComputePlatform::Ecs);
        lost.load_balancer = None;
        let (records, _) = run(lost, 4).await;
        assert_eq!(records[0].decision, Decision::Problem, "{:?}", records[0]);
        assert!(
            records[0].reasons[0].contains("target groups"),
            "{:?}",
            records[0].reasons
        );

        let mut nlb = World::default()
            .lambda("d-ecs", "web", canary(4, 8))
            .edit("d-ecs", |i| i.compute_platform = ComputePlatform::Ecs);
        nlb.load_balancer = Some("net/web/50dc6c495c0c9188");
        let (records, world) = run(nlb, 4).await;
        assert_eq!(records[0].decision, Decision::Skipped, "{:?}", records[0]);
        assert!(world.metric_calls.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn fifty_canaries_are_judged_in_one_tick_with_one_metric_read() {
        let world = (0..50).fold(World::default(), |w, i| {
            let errors = if i % 10 == 0 { 8 } else { 2 };
            w.lambda(&format!("d-{i:02}"), &format!("g{i}"), canary(4, errors))
        });
        let (records, world) = run(world, 4).await;
        assert_eq!(records.len(), 50);
        let stopped: Vec<_> = records
            .iter()
            .filter(|r| r.decision == Decision::Stopped)
            .map(|r| r.deployment_id.as_str())
            .collect();
        assert_eq!(stopped, ["d-00", "d-10", "d-20", "d-30", "d-40"]);
        assert!(
            records
                .iter()
                .all(|r| matches!(r.decision, Decision::Stopped | Decision::Watching))
        );
        let calls = world.metric_calls.lock().unwrap().clone();
        assert_eq!(
            (calls.len(), calls[0].0.len()),
            (1, 200),
            "one GetMetricData of 200 queries"
        );
    }

    #[tokio::test]
    async fn a_stop_that_fails_fails_the_tick_so_the_next_one_stops_it() {
        let mut world = World::default().lambda("d-bad", "bad", canary(4, 8));
        world.stop_fails = true;
        let (records, _) = run(world, 4).await;
        assert_eq!(records[0].decision, Decision::StopFailed);
        assert!(
            records[0].reasons[1].contains("ThrottlingException"),
            "{:?}",
            records[0].reasons
        );

        // A failure: the invocation fails naming it (see the handler test), and the next tick,
        // stateless, finds the same evidence and stops it.
        assert!(records[0].decision.is_failure());
    }

    #[tokio::test]
    async fn a_second_tick_after_the_stop_is_harmless() {
        let mut world = World::default().lambda("d-bad", "bad", canary(4, 8));
        world.completed.push("d-bad".into());
        let (records, _) = run(world, 4).await;
        assert_eq!(records[0].decision, Decision::AlreadyCompleted);
        assert!(!records[0].decision.is_failure());
    }

    #[tokio::test]
    async fn unreadable_metrics_are_a_problem_never_a_pass() {
        let mut world = World::default().lambda("d-1", "g", canary(4, 8));
        world.metrics_fail = true;
        let (records, world) = run(world, 4).await;
        assert_eq!(records[0].decision, Decision::Problem);
        assert!(
            records[0].reasons[0].starts_with("could not read the metrics"),
            "{:?}",
            records[0].reasons
        );
        assert!(world.stops.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn the_first_record_warns_of_a_blind_canary() {
        // 20 calls a minute at 1 %: a 10 % canary serves 2 calls a minute.
        let (records, _) = run(World::default().lambda("d-1", "g", vec![[0, 0, 20, 1]]), 1).await;
        assert_eq!(records[0].minutes, Some(1));
        assert!(
            records[0]
                .warnings
                .iter()
                .any(|w| w.contains("too small to see anything useful")),
            "{:?}",
            records[0].warnings
        );
        let (later, _) = run(World::default().lambda("d-1", "g", vec![[0, 0, 20, 1]; 2]), 2).await;
        assert!(later[0].warnings.is_empty(), "only the first record warns");
    }

    #[tokio::test]
    async fn the_handler_reads_only_schedule_ticks_and_fails_when_a_deployment_could_not_be_judged() {
        let event = |detail_type: &str| {
            let mut ctx = Context::default();
            ctx.invoked_function_arn = JUDGE_ARN.into();
            LambdaEvent::new(
                json!({"version": "0", "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa", "detail-type": detail_type,
                    "source": "aws.events", "account": "123456789012", "time": "2015-10-08T16:53:06Z",
                    "region": "us-east-1", "resources": ["arn:aws:events:us-east-1:123456789012:rule/my-scheduled-rule"],
                    "detail": {}}),
                ctx,
            )
        };
        let d = deps(World::default(), &[]);
        let other = function_handler(&d, event("Something Else")).await.unwrap();
        assert_eq!(other["judged"], 0);
        let quiet = function_handler(&d, event(SCHEDULED_EVENT)).await.unwrap();
        assert_eq!(quiet["in_flight"], 0);

        let unreadable = World::default()
            .lambda("d-1", "g", canary(1, 0))
            .edit("d-1", |i| i.appspec = "{".into());
        let broken = deps(unreadable, &[]);
        let err = function_handler(&broken, event(SCHEDULED_EVENT)).await.unwrap_err();
        assert_eq!(err.error_type, "Shiftguard.JudgementIncomplete");
        assert!(err.error_message.contains("d-1: "), "{}", err.error_message);

        let misconfigured = deps(World::default(), &[("SETTLE_SECONDS", "-1")]);
        let err = function_handler(&misconfigured, event(SCHEDULED_EVENT))
            .await
            .unwrap_err();
        assert_eq!(err.error_type, "Shiftguard.Misconfigured");
        assert!(err.error_message.contains("SETTLE_SECONDS"), "{}", err.error_message);
    }
}
