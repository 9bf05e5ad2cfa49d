//! A local rehearsal of CodeDeploy's Lambda deployment, with the real hooks: publish a new
//! version, run BeforeAllowTraffic, shift the alias step by step as the deployment configuration
//! says, drive each minute's traffic through the real demo-api binary at the current weights,
//! write what it did into the local CloudWatch, let the canary judge look after every minute (and
//! stop the deployment), evaluate the alarm (and let alarm-rollback act on it), run
//! AfterAllowTraffic, and finish Succeeded or roll the alias back.
//!
//! Time is compressed (`--speed`): each rehearsed minute's traffic is stamped on a clock of
//! whole minutes that starts hours back, so that every rehearsed minute is already complete when
//! the judge and post-traffic read it (`SETTLE_SECONDS=0`), and two releases never share a minute.

use std::time::{Duration, SystemTime};

use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, Metric, MetricDataQuery, MetricStat, StateValue, Tag};
use aws_sdk_codedeploy::types::{ComputePlatform, DeploymentStatus};
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{AliasRoutingConfiguration, Environment, FunctionCode, Runtime};
use serde_json::{Value, json};

use crate::binaries::binary;
use crate::local_aws::LocalAws;
use crate::runtime_api::Invoke;
use crate::scenario::{
    Aws, FUNCTION_ROLE, alarm_event, application, deployment_in, hook_event, lambda_appspec, minute_start,
    put_version_traffic_at, scheduled_event, settings_document,
};
use crate::traffic_shift::{steps, to_new_version};
use shiftguard::config::layers::KNOWN;

/// The demo application's settings document: the rehearsal's minutes are complete as soon as they
/// end, its smoke test unless you give one, then the settings you passed that a document may hold.
fn settings_of(app: &str, given: &[(String, String)]) -> (String, String) {
    let mut document = serde_json::Map::new();
    document.insert("SETTLE_SECONDS".into(), Value::from(0));
    document.insert(
        "SMOKE_TESTS".into(),
        serde_json::from_str(DEFAULT_SMOKE_TESTS).expect("the default smoke test is JSON"),
    );
    for (k, v) in given.iter().filter(|(k, _)| KNOWN.contains(&k.as_str())) {
        // Arrays (SMOKE_TESTS, METRIC_CHECKS) as JSON, the rest as the text given.
        let value = serde_json::from_str::<Value>(v)
            .ok()
            .filter(Value::is_array)
            .unwrap_or_else(|| Value::from(v.as_str()));
        document.insert(k.clone(), value);
    }
    (format!("/shiftguard/{app}"), Value::Object(document).to_string())
}

/// The smoke test the rehearsal runs when you give none: the new version's /health.
pub const DEFAULT_SMOKE_TESTS: &str =
    r#"[{"name":"health","lambda":{"payload":{"rawPath":"/health"}},"expect":{"status":200,"json":{"/status":"UP"}}}]"#;

#[derive(Debug, Clone)]
pub struct Options {
    /// How many times faster than real time the deployment configuration's waits pass.
    pub speed: f64,
    /// A deployment configuration, e.g. `Canary10Percent5Minutes`.
    pub deployment_type: String,
    /// Requests a rehearsed minute, both versions together.
    pub requests_per_minute: usize,
    /// The alarm's threshold on the new version's error rate, percent.
    pub alarm_threshold_pct: f64,
    /// For the hooks: SMOKE_TESTS, thresholds, DRY_RUN… Those a settings document may hold go
    /// into the demo application's document (`/shiftguard/<application>`), the rest into the
    /// hooks' environment.
    pub hook_env: Vec<(String, String)>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            speed: 60.0,
            deployment_type: "Canary10Percent5Minutes".into(),
            requests_per_minute: 200,
            alarm_threshold_pct: 5.0,
            hook_env: Vec::new(),
        }
    }
}

/// A release to rehearse: about one in `fault_every` requests fails (never /health).
#[derive(Debug, Clone)]
pub struct Release {
    pub name: String,
    pub fault_every: Option<u64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub release: String,
    pub from_version: String,
    pub to_version: String,
    pub pre_traffic: String,
    pub alarm: String,
    pub post_traffic: String,
    /// `Succeeded` or `RolledBack`.
    pub result: String,
    pub decided_by: String,
    /// The version `live` points at afterwards.
    pub live: String,
}

pub struct Rehearsal<'a> {
    local: &'a LocalAws,
    aws: Aws,
    opts: Options,
    function: String,
    app: String,
    log: &'a (dyn Fn(&str) + Sync),
    /// The start of the next rehearsed minute.
    clock: std::sync::Mutex<SystemTime>,
}

/// How far back the rehearsal's clock starts: room for a few releases of the longest
/// configuration (Linear10PercentEvery10Minutes, 100 minutes).
const CLOCK_START: Duration = Duration::from_secs(6 * 3600);

fn zip_bootstrap(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .unix_permissions(0o755);
        zip.start_file("bootstrap", opts).expect("a zip entry");
        zip.write_all(bytes).expect("zip content");
        zip.finish().expect("a finished zip");
    }
    buf.into_inner()
}

impl<'a> Rehearsal<'a> {
    /// Deploys demo-api version 1 behind alias `live`, with an application and deployment group.
    pub async fn set_up(
        local: &'a LocalAws,
        function: &str,
        opts: Options,
        log: &'a (dyn Fn(&str) + Sync),
    ) -> Rehearsal<'a> {
        let aws = Aws::new(local).await;
        let code = std::fs::read(binary("demo-api")).expect("the demo-api binary");
        aws.lambda
            .create_function()
            .function_name(function)
            .runtime(Runtime::Providedal2023)
            .handler("bootstrap")
            .role(FUNCTION_ROLE)
            .timeout(10)
            // As template.yaml tags DemoApi: the hooks act only on guarded functions.
            .tags(
                shiftguard::target::guard::GUARD_TAG,
                shiftguard::target::guard::GUARD_VALUE,
            )
            .code(
                FunctionCode::builder()
                    .zip_file(Blob::new(zip_bootstrap(&code)))
                    .build(),
            )
            .send()
            .await
            .expect("CreateFunction");
        let v1 = aws
            .lambda
            .publish_version()
            .function_name(function)
            .send()
            .await
            .expect("PublishVersion");
        let v1 = v1.version.unwrap_or_default();
        aws.lambda
            .create_alias()
            .function_name(function)
            .name("live")
            .function_version(&v1)
            .send()
            .await
            .expect("CreateAlias");
        let app = application(&aws, ComputePlatform::Lambda).await;
        log(&format!(
            "  {function} v{v1} serves all traffic through alias live; CodeDeploy application {app}"
        ));
        let (name, document) = settings_of(&app, &opts.hook_env);
        settings_document(&aws, &name, &document).await;
        log(&format!(
            "  the application's settings, in Parameter Store at {name}: {document}"
        ));
        Rehearsal {
            local,
            aws,
            opts,
            function: function.to_string(),
            app,
            log,
            clock: std::sync::Mutex::new(minute_start(SystemTime::now()) - CLOCK_START),
        }
    }

    fn group(&self) -> String {
        format!("{}/{}-dg", self.app, self.app)
    }

    async fn live_version(&self) -> String {
        let a = self
            .aws
            .lambda
            .get_alias()
            .function_name(&self.function)
            .name("live")
            .send()
            .await
            .expect("GetAlias");
        a.function_version.unwrap_or_default()
    }

    async fn point_live(&self, version: &str, new_version_weight: Option<(&str, f64)>) {
        let weights = new_version_weight
            .map(|(v, w)| [(v.to_string(), w)].into_iter().collect())
            .unwrap_or_default();
        self.aws
            .lambda
            .update_alias()
            .function_name(&self.function)
            .name("live")
            .function_version(version)
            .routing_config(
                AliasRoutingConfiguration::builder()
                    .set_additional_version_weights(Some(weights))
                    .build(),
            )
            .send()
            .await
            .expect("UpdateAlias");
    }

    /// The environment of a function run: what the user passed that no settings document may hold.
    fn env(&self) -> Vec<(&str, &str)> {
        self.opts
            .hook_env
            .iter()
            .filter(|(k, _)| !KNOWN.contains(&k.as_str()))
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    async fn run_hook(&self, name: &str, deployment_id: &str) -> (String, Vec<String>) {
        let env = self.env();
        let event = Invoke::once(hook_event(deployment_id), Duration::from_secs(60));
        let run = self.local.run(name, &env, event).await;
        let record = run
            .json_lines()
            .into_iter()
            .find(|l| l["record"] == "shiftguard.decision")
            .unwrap_or(Value::Null);
        let reasons = record["reasons"]
            .as_array()
            .map(|r| r.iter().filter_map(|x| x.as_str().map(String::from)).collect())
            .unwrap_or_default();
        let status = self.local.statuses(deployment_id).await.pop();
        (status.unwrap_or_else(|| "no status reported".into()), reasons)
    }

    /// A `Sum` query of one metric of `version`, through alias `live`.
    fn version_query(&self, id: &str, metric: &str, version: &str, period: i32) -> MetricDataQuery {
        let resource = format!("{}:live", self.function);
        let dims = [
            ("FunctionName", self.function.as_str()),
            ("Resource", resource.as_str()),
            ("ExecutedVersion", version),
        ];
        MetricDataQuery::builder()
            .id(id)
            .metric_stat(
                MetricStat::builder()
                    .metric(
                        Metric::builder()
                            .namespace("AWS/Lambda")
                            .metric_name(metric)
                            .set_dimensions(Some(
                                dims.iter()
                                    .map(|(n, v)| Dimension::builder().name(*n).value(*v).build())
                                    .collect(),
                            ))
                            .build(),
                    )
                    .period(period)
                    .stat("Sum")
                    .build(),
            )
            .build()
    }

    async fn set_alarm(&self, alarm: &str, version: &str) {
        let stat = |id: &str, metric: &str| {
            let mut q = self.version_query(id, metric, version, 60);
            q.return_data = Some(false);
            q
        };
        self.aws
            .cloudwatch
            .put_metric_alarm()
            .alarm_name(alarm)
            .metrics(stat("errors", "Errors"))
            .metrics(stat("invocations", "Invocations"))
            .metrics(
                MetricDataQuery::builder()
                    .id("rate")
                    .expression("100 * errors / invocations")
                    .label("error rate %")
                    .return_data(true)
                    .build(),
            )
            .evaluation_periods(1)
            .threshold(self.opts.alarm_threshold_pct)
            .comparison_operator(ComparisonOperator::GreaterThanThreshold)
            .treat_missing_data("notBreaching")
            .tags(
                Tag::builder()
                    .key("shiftguard:deployment-group")
                    .value(self.group())
                    .build(),
            )
            .send()
            .await
            .expect("PutMetricAlarm");
    }

    /// The alarm's expression, `100 * errors / invocations` of the new version since the
    /// deployment began (the local stand-in evaluates no metric math, so it is computed here).
    async fn alarm_rate(&self, version: &str, since: DateTime) -> Option<f64> {
        let query = |id: &str, metric: &str| self.version_query(id, metric, version, 6 * 3600);
        let out = self
            .aws
            .cloudwatch
            .get_metric_data()
            .metric_data_queries(query("errors", "Errors"))
            .metric_data_queries(query("invocations", "Invocations"))
            .start_time(since)
            .end_time(DateTime::from(std::time::SystemTime::now() + Duration::from_secs(60)))
            .send()
            .await
            .expect("GetMetricData");
        let sum = |id: &str| -> f64 {
            out.metric_data_results()
                .iter()
                .filter(|r| r.id() == Some(id))
                .flat_map(|r| r.values().iter())
                .sum()
        };
        let (errors, invocations) = (sum("errors"), sum("invocations"));
        (invocations > 0.0).then(|| 100.0 * errors / invocations)
    }

    /// Sends one minute's requests at the current weights and writes them as Lambda would, stamped
    /// `at`; returns (old, new) as (calls, errors).
    async fn traffic(&self, old: &str, new: &str, percent: f64, tag: &str, at: SystemTime) -> ((f64, f64), (f64, f64)) {
        let (mut o, mut n) = ((0.0, 0.0), (0.0, 0.0));
        for i in 0..self.opts.requests_per_minute {
            let to_new = to_new_version(i, percent);
            let version = if to_new { new } else { old };
            let payload = json!({"rawPath": "/orders", "requestContext": {"requestId": format!("{tag}-{i}")}});
            let out = self
                .aws
                .lambda
                .invoke()
                .function_name(&self.function)
                .qualifier(version)
                .payload(Blob::new(payload.to_string()))
                .send()
                .await
                .expect("Invoke");
            let slot = if to_new { &mut n } else { &mut o };
            slot.0 += 1.0;
            if out.function_error.is_some() {
                slot.1 += 1.0;
            }
        }
        put_version_traffic_at(&self.aws, &self.function, "live", old, o.0, o.1, at).await;
        put_version_traffic_at(&self.aws, &self.function, "live", new, n.0, n.1, at).await;
        (o, n)
    }

    /// One tick of the canary judge: its record of `deployment_id` (absent when the deployment
    /// was no longer in progress), and whether the deployment is stopped afterwards.
    async fn judge(&self, deployment_id: &str) -> (Option<Value>, bool) {
        let event = Invoke::once(scheduled_event(), Duration::from_secs(50));
        let run = self.local.run("canary-judge", &self.env(), event).await;
        let record = run
            .json_lines()
            .into_iter()
            .find(|l| l["deployment_id"] == deployment_id);
        let info = self.aws.deployment_info(deployment_id).await;
        (record, info.status == Some(DeploymentStatus::Stopped))
    }

    /// Plays CodeDeploy's rollback after a stop: the alias back on `old`, the rollback deployment
    /// the stop started marked done.
    async fn roll_back(&self, deployment_id: &str, old: &str) {
        let info = self.aws.deployment_info(deployment_id).await;
        self.point_live(old, None).await;
        if let Some(rollback) = info.rollback_info.and_then(|r| r.rollback_deployment_id) {
            self.local
                .set_deployment(&rollback, json!({"status": "Succeeded", "completed_seconds_ago": 0}))
                .await;
        }
    }

    /// Rehearses one release from publishing to the end.
    pub async fn release(&self, release: &Release) -> Outcome {
        let log = self.log;
        let mut vars = std::collections::HashMap::new();
        if let Some(n) = release.fault_every {
            vars.insert("FAULT_EVERY".to_string(), n.to_string());
        }
        self.aws
            .lambda
            .update_function_configuration()
            .function_name(&self.function)
            .environment(Environment::builder().set_variables(Some(vars)).build())
            .send()
            .await
            .expect("UpdateFunctionConfiguration");
        let new = self
            .aws
            .lambda
            .publish_version()
            .function_name(&self.function)
            .send()
            .await
            .expect("PublishVersion");
        let new = new.version.unwrap_or_default();
        let old = self.live_version().await;
        let deployment = deployment_in(&self.aws, &self.app, &lambda_appspec(&self.function, &old, &new)).await;
        let plan = steps(&self.opts.deployment_type).expect("a known deployment configuration");
        // The rehearsed minutes: the one BeforeAllowTraffic runs in, then each step's.
        let minutes_of = |hold: Duration| (hold.as_secs() / 60).max(1) as u32;
        let start = {
            let mut clock = self.clock.lock().unwrap();
            let start = *clock;
            *clock += Duration::from_secs(60) * (1 + plan.iter().map(|s| minutes_of(s.hold)).sum::<u32>());
            start
        };
        let created_ago = SystemTime::now().duration_since(start).unwrap_or_default().as_secs() - 5;
        self.local
            .set_deployment(
                &deployment,
                json!({"status": "InProgress", "created_seconds_ago": created_ago}),
            )
            .await;
        let started = DateTime::from(start);
        let mut outcome = Outcome {
            release: release.name.clone(),
            from_version: old.clone(),
            to_version: new.clone(),
            pre_traffic: "-".into(),
            alarm: "OK".into(),
            post_traffic: "-".into(),
            result: "Succeeded".into(),
            decided_by: "-".into(),
            live: String::new(),
        };
        log(&format!(
            "\n▶ {}: {} v{old} → v{new}, {} (×{} speed), deployment {deployment}",
            release.name, self.function, self.opts.deployment_type, self.opts.speed
        ));

        let (pre, reasons) = self.run_hook("pre-traffic", &deployment).await;
        log(&format!(
            "  BeforeAllowTraffic  {pre}{}",
            reasons.first().map(|r| format!(" ({r})")).unwrap_or_default()
        ));
        outcome.pre_traffic = pre.clone();
        if pre != "Succeeded" {
            self.local
                .set_deployment(&deployment, json!({"status": "Failed", "completed_seconds_ago": 0}))
                .await;
            outcome.result = "RolledBack".into();
            outcome.decided_by = "pre-traffic".into();
            outcome.live = self.live_version().await;
            log(&format!("  no traffic shifted; live stays on v{}", outcome.live));
            return outcome;
        }
        // The minute BeforeAllowTraffic ran in: users still on the old version alone.
        self.traffic(
            &old,
            &new,
            0.0,
            &format!("{deployment}-pre"),
            start + Duration::from_secs(10),
        )
        .await;

        let alarm = format!("{}-new-version-errors", self.function);
        self.set_alarm(&alarm, &new).await;
        let mut minute = 1u32;
        for step in &plan {
            if step.percent >= 100.0 {
                self.point_live(&new, None).await;
            } else {
                self.point_live(&old, Some((&new, step.percent / 100.0))).await;
            }
            for _ in 0..minutes_of(step.hold) {
                let at = start + Duration::from_secs(60 * u64::from(minute) + 10);
                let ((on, oe), (nn, ne)) = self
                    .traffic(&old, &new, step.percent, &format!("{deployment}-{minute}"), at)
                    .await;
                minute += 1;
                tokio::time::sleep(Duration::from_secs(60).div_f64(self.opts.speed.max(1.0))).await;
                let (record, stopped) = self.judge(&deployment).await;
                log(&format!(
                    "  minute {minute:>2}  traffic {:>3}% v{old} / {:>3}% v{new}: v{old} {on} calls {oe} errors, v{new} {nn} calls {ne} errors  │ judge: {}",
                    100.0 - step.percent,
                    step.percent,
                    record.as_ref().map_or("-".to_string(), judged)
                ));
                if stopped {
                    if let Some(reason) = record.as_ref().and_then(|r| r["reasons"][0].as_str()) {
                        log(&format!("  canary judge: {reason}"));
                    }
                    self.roll_back(&deployment, &old).await;
                    outcome.result = "RolledBack".into();
                    outcome.decided_by = "canary judge".into();
                    outcome.live = self.live_version().await;
                    log(&format!(
                        "  CodeDeploy rolls back at {}% of the traffic: live → v{}",
                        step.percent, outcome.live
                    ));
                    return outcome;
                }
            }
            // The alarm is evaluated at the end of each step, as CodeDeploy's alarms are read between
            // steps; the canary judge has looked after every minute of it.
            let rate = self.alarm_rate(&new, started).await;
            if rate.is_some_and(|r| r > self.opts.alarm_threshold_pct) {
                let rate = rate.unwrap_or_default();
                outcome.alarm = format!("ALARM {rate:.1}%");
                log(&format!(
                    "  alarm {alarm}: ALARM, {rate:.1} % errors on v{new} > {} %",
                    self.opts.alarm_threshold_pct
                ));
                self.aws
                    .cloudwatch
                    .set_alarm_state()
                    .alarm_name(&alarm)
                    .state_value(StateValue::Alarm)
                    .state_reason(format!("{rate:.1} % errors"))
                    .send()
                    .await
                    .expect("SetAlarmState");
                let event = Invoke::once(alarm_event(&alarm, "ALARM"), Duration::from_secs(30));
                let run = self.local.run("alarm-rollback", &[], event).await;
                let stopped = run.results[0]
                    .as_ref()
                    .and_then(|r| r.outcome.as_ref().ok())
                    .map(|o| o["reason"].clone())
                    .unwrap_or(Value::Null);
                log(&format!(
                    "  alarm-rollback: {}",
                    stopped.as_str().unwrap_or("no answer")
                ));
                if self.aws.deployment_info(&deployment).await.status == Some(DeploymentStatus::Stopped) {
                    self.roll_back(&deployment, &old).await;
                    outcome.result = "RolledBack".into();
                    outcome.decided_by = "alarm".into();
                    outcome.live = self.live_version().await;
                    log(&format!("  CodeDeploy rolls back: live → v{}", outcome.live));
                    return outcome;
                }
            }
        }

        let (post, reasons) = self.run_hook("post-traffic", &deployment).await;
        log(&format!(
            "  AfterAllowTraffic   {post}{}",
            reasons.first().map(|r| format!(" ({r})")).unwrap_or_default()
        ));
        outcome.post_traffic = post.clone();
        if post == "Succeeded" {
            self.local
                .set_deployment(&deployment, json!({"status": "Succeeded", "completed_seconds_ago": 0}))
                .await;
        } else {
            self.point_live(&old, None).await;
            self.local
                .set_deployment(&deployment, json!({"status": "Failed", "completed_seconds_ago": 0}))
                .await;
            outcome.result = "RolledBack".into();
            outcome.decided_by = "post-traffic".into();
        }
        outcome.live = self.live_version().await;
        log(&format!("  deployment {}: live on v{}", outcome.result, outcome.live));
        outcome
    }
}

/// The judge's evidence in one line: each test's e-value against the threshold that stops.
fn judged(record: &Value) -> String {
    let last = &record["evidence"]
        .as_array()
        .and_then(|e| e.last().cloned())
        .unwrap_or(Value::Null);
    let e = |v: &Value| match v.as_f64() {
        Some(x) if x >= 100.0 => format!("{x:.0}"),
        Some(x) => format!("{x:.2}"),
        None => "-".into(),
    };
    format!(
        "{} (relative evidence {} of {}, ceiling {} of {})",
        record["decision"].as_str().unwrap_or("?"),
        e(&last["relative"]),
        e(&record["relative_threshold"]),
        e(&last["ceiling"]),
        e(&record["ceiling_threshold"]),
    )
}

/// The summary table printed at the end.
pub fn summary_table(outcomes: &[Outcome]) -> String {
    let mut t = format!(
        "{:<16} {:<9} {:<11} {:<12} {:<12} {:<11} {:<13} {}\n",
        "release", "versions", "pre-traffic", "alarm", "post-traffic", "result", "decided by", "live"
    );
    for o in outcomes {
        t.push_str(&format!(
            "{:<16} {:<9} {:<11} {:<12} {:<12} {:<11} {:<13} v{}\n",
            o.release,
            format!("{}→{}", o.from_version, o.to_version),
            o.pre_traffic,
            o.alarm,
            o.post_traffic,
            o.result,
            o.decided_by,
            o.live
        ));
    }
    t
}
