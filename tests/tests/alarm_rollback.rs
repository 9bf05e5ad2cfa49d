//! alarm-rollback, run for real: the binary under the Runtime API stand-in, EventBridge alarm
//! events in, CodeDeploy and Lambda of the local AWS stand-in changed.

use std::time::Duration;

use aws_sdk_codedeploy::types::ComputePlatform;
use serde_json::{Value, json};
use shiftguard_e2e::binaries::binary;
use shiftguard_e2e::local_aws::LocalAws;
use shiftguard_e2e::runtime_api::{FunctionRun, Invoke, run_function};
use shiftguard_e2e::scenario::{
    Aws, alarm_event, application, deployment_in, lambda_appspec, python_function, tagged_alarm, unique,
};

const CODE: &str = "def handler(event, context):\n    return {'statusCode': 200}\n";

async fn alarm_rollback(env: &[(&str, &str)], events: Vec<Value>) -> FunctionRun {
    let mut all = LocalAws::shared().env();
    all.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let events = events
        .into_iter()
        .map(|event| Invoke {
            event,
            timeout: Duration::from_secs(30),
        })
        .collect();
    run_function(&binary("alarm-rollback"), &all, events, Duration::from_secs(60)).await
}

/// An application whose group has one deployment in `status`; returns (group, deployment id).
async fn group_with(aws: &Aws, status: &str) -> (String, String) {
    let app = application(aws, ComputePlatform::Lambda).await;
    let id = deployment_in(aws, &app, &lambda_appspec("fn", "1", "2")).await;
    LocalAws::shared().set_deployment(&id, json!({"status": status})).await;
    (format!("{app}/{app}-dg"), id)
}

async fn stops_of(id: &str) -> Vec<Value> {
    LocalAws::shared()
        .stops()
        .await
        .into_iter()
        .filter(|s| s["deploymentId"] == id)
        .collect()
}

async fn status_of(aws: &Aws, id: &str) -> String {
    let d = aws.codedeploy.get_deployment().deployment_id(id).send().await.unwrap();
    d.deployment_info
        .and_then(|i| i.status)
        .map(|s| s.as_str().to_string())
        .unwrap_or_default()
}

fn outcome(run: &FunctionRun, i: usize) -> Value {
    let result = run.results[i]
        .as_ref()
        .unwrap_or_else(|| panic!("event {i} got no answer; stderr:\n{}", run.stderr.join("\n")));
    result
        .outcome
        .clone()
        .unwrap_or_else(|e| panic!("event {i} failed: {e}"))
}

#[tokio::test]
async fn an_alarm_stops_the_guarded_in_flight_deployment_with_rollback_and_nothing_else() {
    let aws = Aws::new(LocalAws::shared()).await;
    let (guarded, in_flight) = group_with(&aws, "InProgress").await;
    let (_, elsewhere) = group_with(&aws, "InProgress").await;
    let alarm = unique("orders-5xx");
    let targets = json!({ alarm.clone(): [guarded] }).to_string();
    let run = alarm_rollback(&[("ROLLBACK_TARGETS", &targets)], vec![alarm_event(&alarm, "ALARM")]).await;

    assert_eq!(outcome(&run, 0)["action"], "rollback");
    let stops = stops_of(&in_flight).await;
    assert_eq!(stops.len(), 1);
    assert_eq!(stops[0]["autoRollbackEnabled"], true);
    assert_eq!(status_of(&aws, &in_flight).await, "Stopped");
    assert!(stops_of(&elsewhere).await.is_empty(), "other groups are untouched");
    assert_eq!(status_of(&aws, &elsewhere).await, "InProgress");
    let record = run
        .json_lines()
        .into_iter()
        .find(|l| l["record"] == "shiftguard.decision")
        .expect("a decision record");
    assert_eq!(record["groups"][0]["stopped"], json!([in_flight]));
    // At least the alarm's tags, the group's in-flight deployments and the stop, timed.
    let calls = record["aws"]["calls"].as_u64().unwrap_or(0);
    assert!(calls >= 3 && record["aws"]["ms"].as_f64() > Some(0.0), "{record}");
}

#[tokio::test]
async fn ok_and_insufficient_data_change_nothing() {
    let aws = Aws::new(LocalAws::shared()).await;
    let (guarded, in_flight) = group_with(&aws, "InProgress").await;
    let alarm = unique("orders-5xx");
    let targets = json!({ alarm.clone(): [guarded] }).to_string();
    let run = alarm_rollback(
        &[("ROLLBACK_TARGETS", &targets)],
        vec![alarm_event(&alarm, "OK"), alarm_event(&alarm, "INSUFFICIENT_DATA")],
    )
    .await;
    assert_eq!(outcome(&run, 0)["action"], "none");
    assert_eq!(outcome(&run, 1)["action"], "none");
    assert!(stops_of(&in_flight).await.is_empty());
    assert_eq!(status_of(&aws, &in_flight).await, "InProgress");
}

#[tokio::test]
async fn an_unmapped_alarm_changes_nothing_and_does_not_fail() {
    let aws = Aws::new(LocalAws::shared()).await;
    let (_, in_flight) = group_with(&aws, "InProgress").await;
    let run = alarm_rollback(&[], vec![alarm_event(&unique("unmapped"), "ALARM")]).await;
    let out = outcome(&run, 0);
    assert_eq!(out["action"], "none");
    assert!(out["reason"].as_str().unwrap().contains("guards no deployment group"));
    assert!(stops_of(&in_flight).await.is_empty());
}

#[tokio::test]
async fn the_same_alarm_twice_ends_cleanly() {
    let aws = Aws::new(LocalAws::shared()).await;
    let (guarded, in_flight) = group_with(&aws, "Baking").await;
    let alarm = unique("orders-5xx");
    let targets = json!({ alarm.clone(): [guarded] }).to_string();
    let run = alarm_rollback(
        &[("ROLLBACK_TARGETS", &targets)],
        vec![alarm_event(&alarm, "ALARM"), alarm_event(&alarm, "ALARM")],
    )
    .await;
    assert_eq!(outcome(&run, 0)["action"], "rollback");
    assert_eq!(outcome(&run, 1)["action"], "none", "nothing is left in flight");
    assert_eq!(stops_of(&in_flight).await.len(), 1);
}

#[tokio::test]
async fn the_alarms_tag_maps_it_to_groups() {
    let aws = Aws::new(LocalAws::shared()).await;
    let (first, first_id) = group_with(&aws, "InProgress").await;
    let (second, second_id) = group_with(&aws, "Ready").await;
    let alarm = unique("tagged");
    tagged_alarm(
        &aws,
        &alarm,
        &[
            ("shiftguard:deployment-group", &format!("{first} {second}")),
            ("team", "orders"),
        ],
    )
    .await;
    let run = alarm_rollback(&[], vec![alarm_event(&alarm, "ALARM")]).await;
    assert_eq!(outcome(&run, 0)["action"], "rollback");
    assert_eq!(stops_of(&first_id).await.len(), 1);
    assert_eq!(stops_of(&second_id).await.len(), 1);
}

/// A Lambda function at versions 1 and 2, alias `live` on 2, and a deployment 1 → 2 that
/// succeeded `completed_seconds_ago`; returns (function, group).
async fn baked_release(aws: &Aws, completed_seconds_ago: u64) -> (String, String) {
    let function = unique("baked");
    python_function(aws, &function, &[CODE, CODE], 10).await;
    aws.lambda
        .create_alias()
        .function_name(&function)
        .name("live")
        .function_version("2")
        .send()
        .await
        .expect("CreateAlias");
    let app = application(aws, ComputePlatform::Lambda).await;
    let id = deployment_in(aws, &app, &lambda_appspec(&function, "1", "2")).await;
    LocalAws::shared()
        .set_deployment(&id, json!({"status": "Succeeded", "created_seconds_ago": completed_seconds_ago + 300, "completed_seconds_ago": completed_seconds_ago}))
        .await;
    (function, format!("{app}/{app}-dg"))
}

async fn alias_version(aws: &Aws, function: &str) -> (String, Option<usize>) {
    let a = aws
        .lambda
        .get_alias()
        .function_name(function)
        .name("live")
        .send()
        .await
        .expect("GetAlias");
    let weights = a
        .routing_config
        .and_then(|r| r.additional_version_weights)
        .map(|w| w.len());
    (a.function_version.unwrap_or_default(), weights)
}

#[tokio::test]
async fn a_success_inside_the_bake_window_has_its_alias_pointed_back() {
    let aws = Aws::new(LocalAws::shared()).await;
    let (function, group) = baked_release(&aws, 60).await;
    let alarm = unique("after-release");
    let targets = json!({ alarm.clone(): [group] }).to_string();
    let run = alarm_rollback(
        &[("ROLLBACK_TARGETS", &targets), ("BAKE_MINUTES", "10")],
        vec![alarm_event(&alarm, "ALARM")],
    )
    .await;
    let out = outcome(&run, 0);
    assert_eq!(out["groups"][0]["alias_rolled_back"]["to_version"], "1", "{out}");
    let (version, weights) = alias_version(&aws, &function).await;
    assert_eq!(version, "1");
    assert!(weights.unwrap_or(0) == 0, "routing cleared");
}

#[tokio::test]
async fn a_success_outside_the_bake_window_is_left_alone() {
    let aws = Aws::new(LocalAws::shared()).await;
    let (function, group) = baked_release(&aws, 7200).await;
    let alarm = unique("long-after");
    let targets = json!({ alarm.clone(): [group] }).to_string();
    let run = alarm_rollback(
        &[("ROLLBACK_TARGETS", &targets), ("BAKE_MINUTES", "10")],
        vec![alarm_event(&alarm, "ALARM")],
    )
    .await;
    assert_eq!(outcome(&run, 0)["action"], "none");
    assert_eq!(alias_version(&aws, &function).await.0, "2");
}

#[tokio::test]
async fn a_storm_of_200_alarm_events_makes_one_effective_stop_and_no_errors() {
    let aws = Aws::new(LocalAws::shared()).await;
    let (guarded, in_flight) = group_with(&aws, "InProgress").await;
    let alarm = unique("storm");
    let targets = json!({ alarm.clone(): [guarded] }).to_string();
    // Four warm sandboxes at once, fifty events each, as Lambda scales out under a burst.
    let runs = futures_util::future::join_all((0..4).map(|_| {
        let events = (0..50).map(|_| alarm_event(&alarm, "ALARM")).collect();
        let targets = targets.clone();
        async move { alarm_rollback(&[("ROLLBACK_TARGETS", &targets)], events).await }
    }))
    .await;
    let mut actions = std::collections::BTreeMap::<String, usize>::new();
    for run in &runs {
        for i in 0..50 {
            *actions
                .entry(outcome(run, i)["action"].as_str().unwrap_or("?").to_string())
                .or_default() += 1;
        }
    }
    let stops = stops_of(&in_flight).await;
    assert_eq!(stops.len(), 1, "one effective stop");
    assert_eq!(
        actions.values().sum::<usize>(),
        200,
        "every event answered without an error: {actions:?}"
    );
    assert!(actions.get("rollback").copied().unwrap_or(0) >= 1, "{actions:?}");
}
