//! canary-judge, run for real against its own stand-in (each test starts one: the judge reads
//! every deployment in progress in the account, so tests sharing one would judge each other's).
//! Traffic is written as Lambda reports it, per minute and version through the alias; minutes
//! are whole minutes before the current one, and `SETTLE_SECONDS=0` makes them complete.

use std::time::Duration;

use aws_sdk_codedeploy::types::{ComputePlatform, DeploymentStatus, Tag};
use serde_json::{Value, json};
use shiftguard::delivery::emf::validate_emf;
use shiftguard_e2e::local_aws::LocalAws;
use shiftguard_e2e::runtime_api::{FunctionRun, Invoke};
use shiftguard_e2e::scenario::{
    Aws, deployment, lambda_deployment, put_canary_minutes, put_version_traffic, python_function, scheduled_event,
    unique,
};

const SETTLED: [(&str, &str); 1] = [("SETTLE_SECONDS", "0")];

/// Waits for the next minute when fewer than 20 s are left of this one, so that a test's minutes
/// do not move under it between writing the traffic and the judge's tick.
async fn early_in_a_minute() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let into = now.as_secs() % 60;
    if into >= 40 {
        tokio::time::sleep(Duration::from_secs(61 - into)).await;
    }
}

/// A Lambda deployment of a new function (two versions, a 3 s timeout) from version 1 to 2,
/// created in the minute before `minutes` whole minutes of that traffic (the minute
/// BeforeAllowTraffic runs in, without traffic on the new version), and in progress; returns its
/// id and the function.
async fn canary(local: &LocalAws, aws: &Aws, minutes: &[[u64; 4]]) -> (String, String) {
    let function = unique("fn");
    let source = "def handler(event, context):\n    return {}\n";
    assert_eq!(python_function(aws, &function, &[source, source], 3).await, ["1", "2"]);
    let id = lambda_deployment(aws, &function, "1", "2").await;
    local
        .set_deployment(
            &id,
            json!({"status": "InProgress", "created_seconds_ago": 60 * (minutes.len() as u64 + 1)}),
        )
        .await;
    put_canary_minutes(aws, &function, "2", "1", minutes).await;
    (id, function)
}

/// Minutes of 1800 calls at 1 % on the old version and 200 on the new one with `new_errors`.
fn minutes(n: usize, new_errors: u64) -> Vec<[u64; 4]> {
    vec![[200, new_errors, 1800, 18]; n]
}

async fn tick(local: &LocalAws) -> FunctionRun {
    local
        .run(
            "canary-judge",
            &SETTLED,
            Invoke::once(scheduled_event(), Duration::from_secs(50)),
        )
        .await
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
    early_in_a_minute().await;
    let (bad, _) = canary(&local, &aws, &minutes(4, 8)).await;
    let (good, _) = canary(&local, &aws, &minutes(4, 2)).await;
    let run = tick(&local).await;
    assert!(run.only().outcome.is_ok(), "{:?}", run.only().outcome);

    let stopped = record(&run, &bad);
    assert_eq!(stopped["decision"], "stopped", "{stopped}");
    assert_eq!(
        stopped["minutes"], 5,
        "the creation minute and four of traffic: {stopped}"
    );
    assert_eq!(
        stopped["evidence"].as_array().unwrap().len(),
        5,
        "every minute's evidence: {stopped}"
    );
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

#[tokio::test]
async fn a_minute_still_filling_is_not_counted() {
    let local = LocalAws::start();
    let aws = Aws::new(&local).await;
    early_in_a_minute().await;
    let (id, function) = canary(&local, &aws, &minutes(3, 2)).await;
    // The current minute, still filling: every call of the new version so far failed.
    put_version_traffic(&aws, &function, "live", "2", 50.0, 50.0).await;
    let run = tick(&local).await;
    let r = record(&run, &id);
    assert_eq!(
        (r["decision"].as_str(), r["minutes"].as_u64()),
        (Some("watching"), Some(4)),
        "{r}"
    );
    assert!(local.stops().await.is_empty());
}

#[tokio::test]
async fn overlapping_ticks_stop_a_deployment_once() {
    let local = LocalAws::start();
    let aws = Aws::new(&local).await;
    early_in_a_minute().await;
    let (id, _) = canary(&local, &aws, &minutes(4, 8)).await;
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
    early_in_a_minute().await;
    let (off, _) = canary(&local, &aws, &minutes(4, 40)).await;
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
    let (rollback, _) = canary(&local, &aws, &minutes(4, 40)).await;
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
