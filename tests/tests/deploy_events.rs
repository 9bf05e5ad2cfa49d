//! deploy-events, run for real: CodeDeploy state-change events in, CloudWatch embedded metric
//! format lines out, each parsed as JSON and validated against the EMF rules; after a success, the
//! deployed function's old versions pruned in the stand-in's Lambda.

use std::time::Duration;

use aws_sdk_codedeploy::types::ComputePlatform;
use serde_json::{Value, json};
use shiftguard::delivery::emf::validate_emf;
use shiftguard_e2e::local_aws::LocalAws;
use shiftguard_e2e::runtime_api::Invoke;
use shiftguard_e2e::scenario::{
    Aws, application, deployment_event, deployment_in, lambda_appspec, python_function, unique,
};

/// Runs deploy-events on one event; returns its EMF document, validated.
async fn emf_for(event: Value) -> Value {
    let run = LocalAws::shared()
        .run("deploy-events", &[], Invoke::once(event, Duration::from_secs(30)))
        .await;
    assert!(run.only().outcome.is_ok(), "{:?}", run.only().outcome);
    let docs: Vec<Value> = run
        .json_lines()
        .into_iter()
        .filter(|l| l.get("_aws").is_some())
        .collect();
    assert_eq!(
        docs.len(),
        1,
        "one EMF line per event; stdout:\n{}",
        run.stdout.join("\n")
    );
    validate_emf(&docs[0]).unwrap_or_else(|e| panic!("not valid EMF ({e}): {}", docs[0]));
    docs[0].clone()
}

fn metric_names(doc: &Value) -> Vec<String> {
    doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["Name"].as_str().unwrap().to_string())
        .collect()
}

fn near(value: &Value, expected_ms: f64) -> bool {
    value.as_f64().is_some_and(|v| (v - expected_ms).abs() <= 2_000.0)
}

async fn group() -> (Aws, String) {
    let aws = Aws::new(LocalAws::shared()).await;
    let app = application(&aws, ComputePlatform::Lambda).await;
    (aws, app)
}

async fn finished(aws: &Aws, app: &str, status: &str, created_ago: u64, completed_ago: u64) -> String {
    let id = deployment_in(aws, app, &lambda_appspec("fn", "1", "2")).await;
    LocalAws::shared()
        .set_deployment(
            &id,
            json!({"status": status, "created_seconds_ago": created_ago, "completed_seconds_ago": completed_ago}),
        )
        .await;
    id
}

#[tokio::test]
async fn a_success_is_counted_with_its_duration() {
    let (aws, app) = group().await;
    let id = finished(&aws, &app, "Succeeded", 300, 0).await;
    let doc = emf_for(deployment_event(&app, &format!("{app}-dg"), &id, "SUCCESS")).await;
    assert_eq!(
        doc["_aws"]["CloudWatchMetrics"][0]["Namespace"],
        "Shiftguard/Deployments"
    );
    assert_eq!(
        doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
        json!([["Application", "DeploymentGroup"]])
    );
    assert_eq!(
        (doc["Application"].as_str(), doc["DeploymentGroup"].as_str()),
        (Some(app.as_str()), Some(format!("{app}-dg").as_str()))
    );
    assert_eq!(metric_names(&doc), vec!["DeploymentSuccess", "DeploymentDuration"]);
    assert_eq!(doc["DeploymentSuccess"], 1.0);
    assert!(near(&doc["DeploymentDuration"], 300_000.0), "{doc}");
    assert_eq!(doc["DeploymentId"], id.as_str());
}

#[tokio::test]
async fn a_failure_is_counted_with_its_duration() {
    let (aws, app) = group().await;
    let id = finished(&aws, &app, "Failed", 120, 0).await;
    let doc = emf_for(deployment_event(&app, &format!("{app}-dg"), &id, "FAILURE")).await;
    assert_eq!(metric_names(&doc), vec!["DeploymentFailure", "DeploymentDuration"]);
    assert!(near(&doc["DeploymentDuration"], 120_000.0), "{doc}");
}

#[tokio::test]
async fn a_success_after_a_failure_has_its_time_to_restore() {
    let (aws, app) = group().await;
    let failed = finished(&aws, &app, "Failed", 1200, 900).await;
    finished(&aws, &app, "Stopped", 800, 700).await;
    let restored = finished(&aws, &app, "Succeeded", 600, 0).await;
    let doc = emf_for(deployment_event(&app, &format!("{app}-dg"), &restored, "SUCCESS")).await;
    assert_eq!(
        metric_names(&doc),
        vec!["DeploymentSuccess", "DeploymentDuration", "TimeToRestore"]
    );
    assert!(
        near(&doc["TimeToRestore"], 900_000.0),
        "from the first failure of the run: {doc}"
    );
    assert_eq!(doc["RestoredFrom"], failed.as_str());
}

#[tokio::test]
async fn a_start_is_only_counted_and_a_custom_namespace_is_used() {
    let (_, app) = group().await;
    let event = deployment_event(&app, &format!("{app}-dg"), "d-any", "START");
    let run = LocalAws::shared()
        .run(
            "deploy-events",
            &[("METRICS_NAMESPACE", "Team/Releases")],
            Invoke::once(event, Duration::from_secs(30)),
        )
        .await;
    let doc = run
        .json_lines()
        .into_iter()
        .find(|l| l.get("_aws").is_some())
        .expect("an EMF line");
    validate_emf(&doc).unwrap();
    assert_eq!(doc["_aws"]["CloudWatchMetrics"][0]["Namespace"], "Team/Releases");
    assert_eq!(metric_names(&doc), vec!["DeploymentStart"]);
}

/// The versions the stand-in's Lambda lists for `function`.
async fn versions_of(aws: &Aws, function: &str) -> Vec<String> {
    aws.lambda
        .list_versions_by_function()
        .function_name(function)
        .send()
        .await
        .expect("ListVersionsByFunction")
        .versions
        .unwrap_or_default()
        .into_iter()
        .filter_map(|v| v.version)
        .collect()
}

/// Runs deploy-events on one event with `env`; returns its pruning record.
async fn pruning_record(event: Value, env: &[(&str, &str)]) -> Value {
    let run = LocalAws::shared()
        .run("deploy-events", env, Invoke::once(event, Duration::from_secs(30)))
        .await;
    assert!(run.only().outcome.is_ok(), "{:?}", run.only().outcome);
    run.json_lines()
        .into_iter()
        .find(|l| l["record"] == "shiftguard.pruning")
        .unwrap_or_else(|| panic!("a pruning record; stdout:\n{}", run.stdout.join("\n")))
}

#[tokio::test]
async fn a_success_prunes_the_old_versions_no_alias_or_deployment_in_flight_needs() {
    let (aws, app) = group().await;
    let function = unique("pruned");
    let sources: Vec<String> = (1..=6)
        .map(|i| format!("def handler(event, context):\n    return {i}\n"))
        .collect();
    let sources: Vec<&str> = sources.iter().map(String::as_str).collect();
    let published = python_function(&aws, &function, &sources, 3).await;
    assert_eq!(published, ["1", "2", "3", "4", "5", "6"]);
    aws.lambda
        .create_alias()
        .function_name(&function)
        .name("live")
        .function_version("6")
        .send()
        .await
        .expect("CreateAlias");
    let succeeded = deployment_in(&aws, &app, &lambda_appspec(&function, "5", "6")).await;
    LocalAws::shared()
        .set_deployment(
            &succeeded,
            json!({"status": "Succeeded", "created_seconds_ago": 300, "completed_seconds_ago": 0}),
        )
        .await;
    // Another deployment of the group, in flight, back to version 2.
    let in_flight = deployment_in(&aws, &app, &lambda_appspec(&function, "6", "2")).await;
    LocalAws::shared()
        .set_deployment(&in_flight, json!({"status": "InProgress", "created_seconds_ago": 10}))
        .await;
    let event = deployment_event(&app, &format!("{app}-dg"), &succeeded, "SUCCESS");
    let record = pruning_record(event.clone(), &[("VERSIONS_TO_KEEP", "2")]).await;
    assert_eq!(record["deleted"], json!(["1", "3", "4"]), "{record}");
    assert_eq!(record["errors"], json!([]), "{record}");
    assert_eq!(record["deployment_id"], succeeded.as_str());
    let kept: Vec<&str> = record["kept"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["version"].as_str().unwrap())
        .collect();
    assert_eq!(kept, ["$LATEST", "6", "5", "2"]);
    assert_eq!(versions_of(&aws, &function).await, ["$LATEST", "2", "5", "6"]);
    // The event again (EventBridge delivers at least once): nothing more to delete.
    let again = pruning_record(event, &[("VERSIONS_TO_KEEP", "2")]).await;
    assert_eq!(again["deleted"], json!([]), "{again}");
    assert_eq!(versions_of(&aws, &function).await, ["$LATEST", "2", "5", "6"]);
}
