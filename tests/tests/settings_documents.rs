//! Per-application settings documents, run for real: one `pre-traffic` and one `post-traffic`
//! process each serving two applications, whose documents in Parameter Store (moto's) differ.

use std::time::Duration;

use serde_json::{Value, json};
use shiftguard_e2e::decision::{decision_records, reasons};
use shiftguard_e2e::local_aws::LocalAws;
use shiftguard_e2e::runtime_api::Invoke;
use shiftguard_e2e::scenario::{
    Aws, application_of, hook_event, lambda_deployment, python_function, settings_document, unique,
};

const HEALTHY: &str = "def handler(event, context):\n    return {'statusCode': 200, 'body': '{\"status\": \"UP\"}'}\n";

/// A Lambda deployment of a healthy version 2; its application.
async fn healthy_deployment(aws: &Aws) -> (String, String) {
    let function = unique("orders");
    let versions = python_function(aws, &function, &[HEALTHY, HEALTHY], 10).await;
    let deployment = lambda_deployment(aws, &function, &versions[0], &versions[1]).await;
    let application = application_of(aws, &deployment).await;
    (deployment, application)
}

/// The decision record of `deployment` among a run's.
fn record_of(records: &[Value], deployment: &str) -> Value {
    records
        .iter()
        .find(|r| r["deployment_id"] == deployment)
        .cloned()
        .unwrap_or_else(|| panic!("no decision record for {deployment} in {records:?}"))
}

/// The names asked for by each `GetParameters` call that named a document of `application`.
async fn document_reads(application: &str) -> Vec<Value> {
    let prefix = format!("/shiftguard/{application}");
    LocalAws::shared()
        .calls()
        .await
        .into_iter()
        .filter(|c| c["operation"] == "GetParameters" && c["names"].to_string().contains(&prefix))
        .map(|c| c["names"].clone())
        .collect()
}

#[tokio::test]
async fn one_pre_traffic_process_applies_each_applications_own_smoke_tests() {
    let aws = Aws::new(LocalAws::shared()).await;
    let (strict, strict_app) = healthy_deployment(&aws).await;
    let (plain, plain_app) = healthy_deployment(&aws).await;
    // The strict application's deployment group expects a 204 its version does not answer; the
    // plain application expects the 200 it does. The environment sets neither.
    let group_document = format!("/shiftguard/{strict_app}/{strict_app}-dg");
    settings_document(
        &aws,
        &group_document,
        r#"{"SMOKE_TESTS": [{"name": "health", "lambda": {"payload": {}}, "expect": {"status": 204}}]}"#,
    )
    .await;
    let plain_document = format!("/shiftguard/{plain_app}");
    settings_document(
        &aws,
        &plain_document,
        "SMOKE_TESTS: '[{\"name\": \"health\", \"lambda\": {\"payload\": {}}, \"expect\": {\"status\": 200}}]'\n",
    )
    .await;

    let events = Invoke::each([hook_event(&strict), hook_event(&plain)], Duration::from_secs(30));
    let run = LocalAws::shared().run("pre-traffic", &[], events).await;

    assert_eq!(LocalAws::shared().statuses(&strict).await, vec!["Failed"]);
    assert_eq!(LocalAws::shared().statuses(&plain).await, vec!["Succeeded"]);
    let records = decision_records(&run);
    let strict_record = record_of(&records, &strict);
    assert!(
        reasons(&strict_record).contains("status 200, expected 204"),
        "{strict_record}"
    );
    assert_eq!(
        strict_record["settings"]["sources"]["SMOKE_TESTS"],
        json!({"from": "deployment_group", "parameter": group_document})
    );
    assert_eq!(strict_record["settings"]["documents"][&group_document], "read");
    assert_eq!(
        strict_record["settings"]["documents"][format!("/shiftguard/{strict_app}")],
        "absent"
    );
    let plain_record = record_of(&records, &plain);
    assert_eq!(
        plain_record["settings"]["sources"]["SMOKE_TESTS"],
        json!({"from": "application", "parameter": plain_document})
    );
    // One GetParameters per invocation, for both documents of its group.
    assert_eq!(
        document_reads(&strict_app).await,
        [json!([group_document, format!("/shiftguard/{strict_app}")])]
    );
    assert_eq!(
        document_reads(&plain_app).await,
        [json!([
            format!("/shiftguard/{plain_app}/{plain_app}-dg"),
            plain_document
        ])]
    );
}

#[tokio::test]
async fn a_broken_document_fails_only_its_application_naming_the_parameter_and_the_key() {
    let aws = Aws::new(LocalAws::shared()).await;
    let (broken, broken_app) = healthy_deployment(&aws).await;
    let (fine, _) = healthy_deployment(&aws).await;
    let document = format!("/shiftguard/{broken_app}");
    settings_document(&aws, &document, "MAX_ERROR_RATES: 2\n").await;

    let events = Invoke::each([hook_event(&broken), hook_event(&fine)], Duration::from_secs(30));
    let run = LocalAws::shared().run("pre-traffic", &[], events).await;

    assert_eq!(LocalAws::shared().statuses(&broken).await, vec!["Failed"]);
    assert_eq!(LocalAws::shared().statuses(&fine).await, vec!["Succeeded"]);
    let record = record_of(&decision_records(&run), &broken);
    assert!(
        reasons(&record).contains(&format!(
            "settings document {document} sets MAX_ERROR_RATES, which no shiftguard function reads"
        )),
        "{record}"
    );
}

#[tokio::test]
async fn one_post_traffic_process_applies_each_applications_own_thresholds() {
    let aws = Aws::new(LocalAws::shared()).await;
    // Two deployments created this minute: no complete minute of traffic for either.
    let (strict, strict_app) = healthy_deployment(&aws).await;
    let (lenient, _) = healthy_deployment(&aws).await;
    settings_document(
        &aws,
        &format!("/shiftguard/{strict_app}/{strict_app}-dg"),
        "ON_INSUFFICIENT_DATA: fail\n",
    )
    .await;

    let events = Invoke::each([hook_event(&strict), hook_event(&lenient)], Duration::from_secs(30));
    let run = LocalAws::shared()
        .run("post-traffic", &[("SETTLE_SECONDS", "0")], events)
        .await;

    assert_eq!(LocalAws::shared().statuses(&strict).await, vec!["Failed"]);
    assert_eq!(LocalAws::shared().statuses(&lenient).await, vec!["Succeeded"]);
    let records = decision_records(&run);
    let strict_record = record_of(&records, &strict);
    assert!(
        reasons(&strict_record).contains("ON_INSUFFICIENT_DATA=fail"),
        "{strict_record}"
    );
    assert_eq!(
        strict_record["settings"]["sources"]["SETTLE_SECONDS"],
        json!({"from": "environment"})
    );
    assert_eq!(
        strict_record["settings"]["sources"]["ON_INSUFFICIENT_DATA"]["from"],
        "deployment_group"
    );
}

#[tokio::test]
async fn shiftguard_settings_show_prints_what_the_hooks_would_apply() {
    let aws = Aws::new(LocalAws::shared()).await;
    let application = unique("orders");
    settings_document(&aws, &format!("/shiftguard/{application}/live"), "MAX_ERROR_RATE: 5\n").await;
    settings_document(
        &aws,
        &format!("/shiftguard/{application}"),
        "{\"MAX_ERROR_RATE\": 2, \"CONFIDENCE\": 0.99}",
    )
    .await;
    let cli = shiftguard_e2e::binaries::binary("shiftguard");
    let mut command = tokio::process::Command::new(&cli);
    command
        .args([
            "settings",
            "show",
            "--application",
            &application,
            "--deployment-group",
            "live",
        ])
        .env_clear()
        .envs(LocalAws::shared().env());
    let output = command.output().await.expect("shiftguard runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        report["settings"]["MAX_ERROR_RATE"],
        json!({"value": 5.0, "from": "deployment_group", "parameter": format!("/shiftguard/{application}/live")})
    );
    assert_eq!(report["settings"]["CONFIDENCE"]["from"], "application");
    assert_eq!(
        report["settings"]["MIN_INVOCATIONS"],
        json!({"value": 20, "from": "default"})
    );

    // A broken document: exit 1 and the functions' message.
    settings_document(
        &aws,
        &format!("/shiftguard/{application}/live"),
        "MAX_ERROR_RATE: lots\n",
    )
    .await;
    let output = command.output().await.expect("shiftguard runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("MAX_ERROR_RATE"), "{stderr}");
    assert!(
        stderr.contains(&format!("(set in /shiftguard/{application}/live)")),
        "{stderr}"
    );
}
