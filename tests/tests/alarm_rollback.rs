//! alarm-rollback, run for real: the binary under the Runtime API stand-in, EventBridge alarm
//! events in, CodeDeploy and Lambda of the local AWS stand-in changed.

use std::time::Duration;

use aws_sdk_codedeploy::types::ComputePlatform;
use serde_json::{Value, json};
use shiftguard_e2e::local_aws::LocalAws;
use shiftguard_e2e::runtime_api::{FunctionRun, Invoke};
use shiftguard_e2e::scenario::{
    Aws, alarm_event, application, deployment_in, lambda_appspec, python_function, tagged_alarm, unique,
};

const CODE: &str = "def handler(event, context):\n    return {'statusCode': 200}\n";

async fn alarm_rollback(env: &[(&str, &str)], events: Vec<Value>) -> FunctionRun {
    let events = Invoke::each(events, Duration::from_secs(30));
    LocalAws::shared().run("alarm-rollback", env, events).await
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
    let status = aws.deployment_info(id).await.status;
    status.map(|s| s.as_str().to_string()).unwrap_or_default()
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
    // The first stop started CodeDeploy's rollback deployment; the second event leaves it alone.
    assert_eq!(
        outcome(&run, 1)["action"],
        "none",
        "nothing is left to stop: {}",
        outcome(&run, 1)
    );
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
    let (function, app) = function_and_application(aws, 2, "2").await;
    let succeeded = json!({"status": "Succeeded", "created_seconds_ago": completed_seconds_ago + 300, "completed_seconds_ago": completed_seconds_ago});
    deployment_as(aws, &app, &function, ("1", "2"), succeeded).await;
    (function, format!("{app}/{app}-dg"))
}

/// The answer to one ALARM of a fresh alarm that guards `group` (`app/group`), with a
/// ten-minute bake window.
async fn alarm_with_bake_window(group: &str) -> Value {
    let alarm = unique("after-release");
    let targets = json!({ alarm.clone(): [group] }).to_string();
    let run = alarm_rollback(
        &[("ROLLBACK_TARGETS", &targets), ("BAKE_MINUTES", "10")],
        vec![alarm_event(&alarm, "ALARM")],
    )
    .await;
    outcome(&run, 0)
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
    let out = alarm_with_bake_window(&group).await;
    assert_eq!(out["groups"][0]["alias_rolled_back"]["to_version"], "1", "{out}");
    let (version, weights) = alias_version(&aws, &function).await;
    assert_eq!(version, "1");
    assert!(weights.unwrap_or(0) == 0, "routing cleared");
}

#[tokio::test]
async fn a_success_outside_the_bake_window_is_left_alone() {
    let aws = Aws::new(LocalAws::shared()).await;
    let (function, group) = baked_release(&aws, 7200).await;
    assert_eq!(alarm_with_bake_window(&group).await["action"], "none");
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

/// The notes of the one group an alarm guarded, joined.
fn notes(out: &Value) -> String {
    out["groups"][0]["notes"]
        .as_array()
        .map(|n| n.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" | "))
        .unwrap_or_default()
}

/// Stops `id` with automatic rollback, as CodeDeploy's own alarm or a person would; returns the
/// rollback deployment CodeDeploy started (`rollbackInfo.rollbackDeploymentId`).
async fn stop_with_rollback(aws: &Aws, id: &str) -> String {
    use aws_sdk_codedeploy::types::DeploymentCreator;
    aws.codedeploy
        .stop_deployment()
        .deployment_id(id)
        .auto_rollback_enabled(true)
        .send()
        .await
        .expect("StopDeployment");
    let rollback = aws
        .deployment_info(id)
        .await
        .rollback_info
        .and_then(|r| r.rollback_deployment_id)
        .expect("the stopped deployment names its rollback");
    // What AWS's model says a rollback deployment looks like, as the stand-in answers it.
    let info = aws.deployment_info(&rollback).await;
    assert_eq!(info.creator, Some(DeploymentCreator::CodeDeployRollback));
    assert_eq!(
        info.rollback_info
            .and_then(|r| r.rollback_triggering_deployment_id)
            .as_deref(),
        Some(id)
    );
    rollback
}

/// An alarm on `guarded` while `rollback`, of `creator`, is in flight: it is not stopped, and the
/// outcome's notes say it was left to finish.
async fn assert_rollback_left_alone(aws: &Aws, guarded: &str, rollback: &str, creator: &str) {
    let alarm = unique("orders-5xx");
    let targets = json!({ alarm.clone(): [guarded] }).to_string();
    let run = alarm_rollback(&[("ROLLBACK_TARGETS", &targets)], vec![alarm_event(&alarm, "ALARM")]).await;

    let out = outcome(&run, 0);
    assert!(
        stops_of(rollback).await.is_empty(),
        "the rollback deployment (creator {creator}) was stopped: {out}"
    );
    assert_eq!(status_of(aws, rollback).await, "InProgress");
    let notes = notes(&out);
    assert!(
        notes.contains(rollback) && notes.to_lowercase().contains("rollback"),
        "the notes say the rollback is left to finish: {out}"
    );
}

#[tokio::test]
async fn an_alarm_leaves_codedeploys_own_rollback_in_flight_to_finish() {
    let aws = Aws::new(LocalAws::shared()).await;
    let (guarded, release) = group_with(&aws, "InProgress").await;
    // CodeDeploy's own alarm (or a first alarm event) already stopped the release with rollback.
    let rollback = stop_with_rollback(&aws, &release).await;
    assert_eq!(status_of(&aws, &rollback).await, "InProgress");
    assert_rollback_left_alone(&aws, &guarded, &rollback, "codeDeployRollback").await;
}

#[tokio::test]
async fn an_alarm_leaves_cloudformations_rollback_in_flight_to_finish() {
    let aws = Aws::new(LocalAws::shared()).await;
    let (guarded, rollback) = group_with(&aws, "InProgress").await;
    // A CloudFormation stack rolling back redeploys the previous version with this creator.
    LocalAws::shared()
        .set_deployment(&rollback, json!({"creator": "CloudFormationRollback"}))
        .await;
    assert_rollback_left_alone(&aws, &guarded, &rollback, "CloudFormationRollback").await;
}

/// A function at versions 1..=`versions` with alias `live` on `live`, and an application.
async fn function_and_application(aws: &Aws, versions: usize, live: &str) -> (String, String) {
    let function = unique("baked");
    python_function(aws, &function, &vec![CODE; versions], 10).await;
    aws.lambda
        .create_alias()
        .function_name(&function)
        .name("live")
        .function_version(live)
        .send()
        .await
        .expect("CreateAlias");
    (function, application(aws, ComputePlatform::Lambda).await)
}

/// A deployment of `function` from version `versions.0` to `versions.1` in `app`'s group, moved
/// to `state` (status, creator, times) as CodeDeploy would have it.
async fn deployment_as(aws: &Aws, app: &str, function: &str, versions: (&str, &str), state: Value) -> String {
    let id = deployment_in(aws, app, &lambda_appspec(function, versions.0, versions.1)).await;
    LocalAws::shared().set_deployment(&id, state).await;
    id
}

#[tokio::test]
async fn a_cloudformation_rollback_that_succeeded_is_never_itself_undone() {
    let aws = Aws::new(LocalAws::shared()).await;
    // Release 1 → 2 succeeded two minutes ago; CloudFormation rolled the stack back a minute
    // ago, which redeployed 2 → 1: the alias is on 1 again.
    let (function, app) = function_and_application(&aws, 2, "1").await;
    deployment_as(
        &aws,
        &app,
        &function,
        ("1", "2"),
        json!({"status": "Succeeded", "created_seconds_ago": 400, "completed_seconds_ago": 120}),
    )
    .await;
    let rollback = deployment_as(&aws, &app, &function, ("2", "1"), json!({"creator": "CloudFormationRollback", "status": "Succeeded", "created_seconds_ago": 90, "completed_seconds_ago": 60})).await;
    let out = alarm_with_bake_window(&format!("{app}/{app}-dg")).await;
    assert!(
        out["groups"][0]["alias_rolled_back"].is_null(),
        "a release older than the rollback was undone, or the rollback itself: {out}"
    );
    assert_eq!(
        alias_version(&aws, &function).await.0,
        "1",
        "the alias was moved off the version the rollback restored: {out}"
    );
    assert!(notes(&out).contains(&format!("{rollback}, is a rollback")), "{out}");
}

#[tokio::test]
async fn a_codedeploy_rollback_that_succeeded_is_never_undone() {
    let aws = Aws::new(LocalAws::shared()).await;
    // Release 1 → 2 succeeded two hours ago (outside the bake window); release 2 → 3 was stopped
    // with rollback and CodeDeploy's rollback deployment (which redeploys the last good
    // revision, 1 → 2) succeeded a minute ago: the alias is on 2.
    let (function, app) = function_and_application(&aws, 3, "2").await;
    deployment_as(
        &aws,
        &app,
        &function,
        ("1", "2"),
        json!({"status": "Succeeded", "created_seconds_ago": 7500, "completed_seconds_ago": 7200}),
    )
    .await;
    let bad = deployment_as(
        &aws,
        &app,
        &function,
        ("2", "3"),
        json!({"status": "InProgress", "created_seconds_ago": 300}),
    )
    .await;
    let rollback = stop_with_rollback(&aws, &bad).await;
    LocalAws::shared()
        .set_deployment(&rollback, json!({"status": "Succeeded", "completed_seconds_ago": 60}))
        .await;
    let out = alarm_with_bake_window(&format!("{app}/{app}-dg")).await;
    assert!(
        out["groups"][0]["alias_rolled_back"].is_null(),
        "the only success in the window is CodeDeploy's rollback, and it was undone: {out}"
    );
    assert_eq!(alias_version(&aws, &function).await.0, "2", "{out}");
    assert_eq!(out["action"], "none", "{out}");
    assert!(
        notes(&out).to_lowercase().contains("rollback"),
        "a note says why: {out}"
    );
}
