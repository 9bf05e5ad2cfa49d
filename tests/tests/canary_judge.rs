//! canary-judge, run for real against its own stand-in (each test starts one: the judge reads
//! every deployment in progress in the account, so tests sharing one would judge each other's).
//! Traffic is written as Lambda reports it, per minute and version through the alias (or as the
//! load balancer reports it, per target group), in whole minutes before the current one; with
//! `SETTLE_SECONDS=0` and the functions' 3 s timeout they are complete 3 s after they end.

use std::time::{Duration, SystemTime};

use aws_sdk_codedeploy::types::{ComputePlatform, DeploymentStatus, Tag};
use serde_json::{Value, json};
use shiftguard::delivery::emf::validate_emf;
use shiftguard_e2e::local_aws::LocalAws;
use shiftguard_e2e::runtime_api::{FunctionRun, Invoke};
use shiftguard_e2e::scenario::{
    Aws, deployment, lambda_deployment, minute_start, put_canary_minutes, python_function, scheduled_event, unique,
};

const SETTLED: [(&str, &str); 1] = [("SETTLE_SECONDS", "0")];

/// Waits until from 5 s to 40 s of the current minute are past, so that what a test writes and
/// the judge's tick fall in the same minute, and returns that minute's start: the test's clock.
async fn early_in_a_minute() -> SystemTime {
    let into = SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        % 60;
    if into >= 40 {
        tokio::time::sleep(Duration::from_secs(66 - into)).await;
    } else if into < 5 {
        tokio::time::sleep(Duration::from_secs(6 - into)).await;
    }
    minute_start(SystemTime::now())
}

/// `created_seconds_ago` for a deployment created 5 s into the minute that starts at `minute`.
fn created_ago(minute: SystemTime) -> u64 {
    SystemTime::now().duration_since(minute).unwrap().as_secs() - 5
}

/// A Lambda deployment of a new function (two versions, a 3 s timeout) from version 1 to 2;
/// returns its id and the function. The slow part of a test, done before [`start`].
async fn lambda_canary(aws: &Aws) -> (String, String) {
    let function = unique("fn");
    let source = "def handler(event, context):\n    return {}\n";
    assert_eq!(python_function(aws, &function, &[source, source], 3).await, ["1", "2"]);
    (lambda_deployment(aws, &function, "1", "2").await, function)
}

/// Puts deployment `id` in progress since the minute before `minutes` whole minutes of traffic
/// that end at `until` (the minute BeforeAllowTraffic runs in, without traffic on the new
/// version), with that traffic.
async fn start(
    local: &LocalAws,
    aws: &Aws,
    (id, function): &(String, String),
    until: SystemTime,
    minutes: &[[u64; 4]],
) {
    let created = until - Duration::from_secs(60 * (minutes.len() as u64 + 1));
    let change = json!({"status": "InProgress", "created_seconds_ago": created_ago(created)});
    local.set_deployment(id, change).await;
    put_canary_minutes(aws, function, ["2", "1"], until, minutes).await;
}

/// Minutes of 1800 calls at 1 % on the old version and 200 on the new one with `new_errors`.
fn minutes(n: usize, new_errors: u64) -> Vec<[u64; 4]> {
    vec![[200, new_errors, 1800, 18]; n]
}

async fn tick(local: &LocalAws) -> FunctionRun {
    tick_with(local, &SETTLED).await
}

async fn tick_with(local: &LocalAws, env: &[(&str, &str)]) -> FunctionRun {
    let event = Invoke::once(scheduled_event(), Duration::from_secs(50));
    local.run("canary-judge", env, event).await
}

/// The judge's record of `deployment_id` in a run's log lines.
fn record(run: &FunctionRun, deployment_id: &str) -> Value {
    run.json_lines()
        .into_iter()
        .find(|l| l["deployment_id"] == deployment_id)
        .unwrap_or_else(|| panic!("no record of {deployment_id}; stdout:\n{}", run.stdout.join("\n")))
}

async fn status(aws: &Aws, id: &str) -> Option<DeploymentStatus> {
    aws.deployment_info(id).await.status
}

#[tokio::test]
async fn a_bad_canary_is_stopped_with_its_evidence_and_a_good_one_is_not() {
    let local = LocalAws::start();
    let aws = Aws::new(&local).await;
    let (bad_canary, good_canary) = (lambda_canary(&aws).await, lambda_canary(&aws).await);
    let now = early_in_a_minute().await;
    start(&local, &aws, &bad_canary, now, &minutes(4, 8)).await;
    start(&local, &aws, &good_canary, now, &minutes(4, 2)).await;
    let (bad, good) = (bad_canary.0, good_canary.0);
    let run = tick(&local).await;
    assert!(run.only().outcome.is_ok(), "{:?}", run.only().outcome);

    let stopped = record(&run, &bad);
    assert_eq!(stopped["decision"], "stopped", "{stopped}");
    // The creation minute and four of traffic (one more, empty, were the tick a minute late).
    let judged = stopped["minutes"].as_u64().unwrap();
    assert!((5..=6).contains(&judged), "{stopped}");
    let evidence = stopped["evidence"].as_array().unwrap();
    assert_eq!(evidence.len() as u64, judged, "every minute's evidence: {stopped}");
    assert_eq!(stopped["evidence"][1]["rate_ratio"], 4.0, "{stopped}");
    assert!(stopped["reasons"][0].as_str().unwrap().contains("fails"), "{stopped}");
    validate_emf(&stopped).unwrap_or_else(|e| panic!("not valid EMF ({e}): {stopped}"));
    assert_eq!(stopped["CanaryStopped"], 1.0);
    assert_eq!(status(&aws, &bad).await, Some(DeploymentStatus::Stopped));

    let watching = record(&run, &good);
    assert_eq!(watching["decision"], "watching", "{watching}");
    assert_eq!(status(&aws, &good).await, Some(DeploymentStatus::InProgress));

    let stops: Vec<Value> = local.stops().await;
    assert_eq!(stops.len(), 1, "{stops:?}");
    assert_eq!(stops[0]["deploymentId"], bad.as_str());
    assert_eq!(stops[0]["autoRollbackEnabled"], true, "{stops:?}");
    let reads = local.metric_data_requests().await;
    assert_eq!(reads.len(), 1, "one GetMetricData for every deployment: {reads:?}");
    assert_eq!(reads[0]["MetricDataQueries"].as_array().unwrap().len(), 8);
}

/// With the default `SETTLE_SECONDS` (120) and a 3 s timeout, a minute counts 123 s after it
/// ends: the last two minutes before the current one are still filling, and every call of the
/// new version in them failed. Read, they would stop the deployment; unread, it is watched.
#[tokio::test]
async fn minutes_still_filling_are_not_counted() {
    let local = LocalAws::start();
    let aws = Aws::new(&local).await;
    let canary = lambda_canary(&aws).await;
    let now = early_in_a_minute().await;
    let two_ago = now - Duration::from_secs(120);
    start(&local, &aws, &canary, two_ago, &minutes(4, 2)).await;
    put_canary_minutes(&aws, &canary.1, ["2", "1"], now, &[[200, 200, 1800, 0]; 2]).await;
    let run = tick_with(&local, &[]).await;
    let r = record(&run, &canary.0);
    let got = (r["decision"].as_str(), r["minutes"].as_u64());
    assert_eq!(
        got,
        (Some("watching"), Some(5)),
        "the creation minute and four complete ones: {r}"
    );
    assert!(local.stops().await.is_empty());
}

#[tokio::test]
async fn overlapping_ticks_stop_a_deployment_once() {
    let local = LocalAws::start();
    let aws = Aws::new(&local).await;
    let canary = lambda_canary(&aws).await;
    let now = early_in_a_minute().await;
    start(&local, &aws, &canary, now, &minutes(4, 8)).await;
    let id = canary.0;
    let (a, b) = tokio::join!(tick(&local), tick(&local));
    for run in [&a, &b] {
        assert!(run.only().outcome.is_ok(), "{:?}", run.only().outcome);
    }
    let decisions: Vec<String> = [&a, &b]
        .iter()
        .flat_map(|run| run.json_lines())
        .filter(|l| l["deployment_id"] == id.as_str())
        .map(|l| l["decision"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(decisions.iter().filter(|d| *d == "stopped").count(), 1, "{decisions:?}");
    // The other tick either found it completed already or no longer in progress.
    assert!(
        decisions.iter().all(|d| d == "stopped" || d == "already_completed"),
        "{decisions:?}"
    );
    let rollbacks = aws
        .codedeploy
        .list_deployments()
        .include_only_statuses(DeploymentStatus::InProgress)
        .send()
        .await
        .unwrap()
        .deployments
        .unwrap_or_default();
    assert_eq!(rollbacks.len(), 1, "one rollback deployment started: {rollbacks:?}");
}

#[tokio::test]
async fn an_opted_out_group_codedeploys_rollbacks_and_ec2_deployments_are_left_alone() {
    let local = LocalAws::start();
    let aws = Aws::new(&local).await;
    let off_canary = lambda_canary(&aws).await;
    let now = minute_start(SystemTime::now());
    start(&local, &aws, &off_canary, now, &minutes(4, 40)).await;
    let off = off_canary.0;
    let info = aws.deployment_info(&off).await;
    let group_arn = format!(
        "arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:{}/{}",
        info.application_name().unwrap(),
        info.deployment_group_name().unwrap()
    );
    aws.codedeploy
        .tag_resource()
        .resource_arn(&group_arn)
        .tags(Tag::builder().key("shiftguard:canary-judge").value("off").build())
        .send()
        .await
        .expect("TagResource");
    let rollback_canary = lambda_canary(&aws).await;
    start(&local, &aws, &rollback_canary, now, &minutes(4, 40)).await;
    let rollback = rollback_canary.0;
    local
        .set_deployment(
            &rollback,
            json!({"creator": "codeDeployRollback", "rollbackInfo": {"rollbackTriggeringDeploymentId": "d-EARLIER01"}}),
        )
        .await;
    // An EC2/on-premises deployment, whose revision may be a bundle shiftguard never reads: left
    // alone on what BatchGetDeployments says, without failing the tick.
    let ec2 = deployment(&aws, ComputePlatform::Server, "version: 0.0\nos: linux\n").await;
    local.set_deployment(&ec2, json!({"status": "InProgress"})).await;
    let run = tick(&local).await;
    assert!(run.only().outcome.is_ok(), "{:?}", run.only().outcome);
    let r = record(&run, &ec2);
    assert_eq!(r["decision"], "skipped", "{r}");
    assert!(r["reasons"][0].as_str().unwrap().contains("a Server deployment"), "{r}");
    let r = record(&run, &off);
    assert_eq!(r["decision"], "skipped", "{r}");
    assert!(
        r["reasons"][0]
            .as_str()
            .unwrap()
            .contains("shiftguard:canary-judge = off"),
        "{r}"
    );
    let r = record(&run, &rollback);
    assert_eq!(r["decision"], "skipped", "{r}");
    assert!(r["reasons"][0].as_str().unwrap().contains("codeDeployRollback"), "{r}");
    assert!(local.stops().await.is_empty());
    assert!(
        local.metric_data_requests().await.is_empty(),
        "nothing to judge, nothing read"
    );
}

/// An ECS blue/green deployment is judged on its two target groups behind the load balancer:
/// the replacement task set's (Green, behind `web-tg-2` on a group's first deployment, as the
/// stand-in plays CodeDeploy) against the original's, minute by minute.
#[tokio::test]
async fn an_ecs_canary_failing_on_its_replacement_target_group_is_stopped() {
    use shiftguard_e2e::scenario::{
        deployment_in, ecs_application, ecs_appspec, load_balancer, put_target_group_minutes, target_group,
        target_group_dimension,
    };
    let local = LocalAws::start();
    let aws = Aws::new(&local).await;
    let vpc = local.default_vpc().await;
    let (blue, green) = (
        target_group(&aws, "web-tg-1", &vpc).await,
        target_group(&aws, "web-tg-2", &vpc).await,
    );
    let lb = load_balancer(
        &aws,
        "web",
        &local.default_subnets().await,
        &[blue.clone(), green.clone()],
    )
    .await;
    let app = ecs_application(&aws, ["web-tg-1", "web-tg-2"]).await;
    let id = deployment_in(&aws, &app, &ecs_appspec()).await;
    let now = early_in_a_minute().await;
    let created = created_ago(now - Duration::from_secs(60 * 5));
    let change = json!({"status": "InProgress", "created_seconds_ago": created});
    local.set_deployment(&id, change).await;
    let (green, blue) = (target_group_dimension(&green), target_group_dimension(&blue));
    put_target_group_minutes(&aws, &lb, [&green, &blue], now, &minutes(4, 8)).await;

    let run = tick(&local).await;
    assert!(run.only().outcome.is_ok(), "{:?}", run.only().outcome);
    let r = record(&run, &id);
    assert_eq!(r["decision"], "stopped", "{r}");
    assert_eq!(
        (
            r["replacement_target_group"].as_str(),
            r["original_target_group"].as_str()
        ),
        (Some(green.as_str()), Some(blue.as_str())),
        "{r}"
    );
    assert_eq!(r["load_balancer"], lb.as_str());
    assert_eq!(status(&aws, &id).await, Some(DeploymentStatus::Stopped));
    let reads = local.metric_data_requests().await;
    let dims = &reads[0]["MetricDataQueries"][0]["MetricStat"]["Metric"]["Dimensions"];
    assert!(
        dims.to_string().contains(&green),
        "the replacement's group is the new one: {dims}"
    );
}
