//! The BeforeAllowTraffic hook, run for real: the `pre-traffic` binary under the Runtime API
//! stand-in, against the local AWS stand-in.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use shiftguard_e2e::decision::{decision_record, reasons};
use shiftguard_e2e::http_server::fixed_endpoint;
use shiftguard_e2e::local_aws::LocalAws;
use shiftguard_e2e::runtime_api::{FunctionRun, Invoke};
use shiftguard_e2e::scenario::{Aws, ecs_deployment, hook_event, lambda_deployment, python_function, unique};

const HEALTHY: &str = "def handler(event, context):\n    return {'statusCode': 200, 'body': '{\"status\": \"UP\"}'}\n";
const THROWS: &str = "def handler(event, context):\n    raise KeyError('orderId')\n";
const STATUS_500: &str = "def handler(event, context):\n    return {'statusCode': 500, 'body': 'db down'}\n";
const HANGS: &str = "import time\ndef handler(event, context):\n    time.sleep(120)\n";

const TIMEOUT: Duration = Duration::from_secs(30);

async fn pre_traffic(env: &[(&str, &str)], events: Vec<Invoke>) -> FunctionRun {
    LocalAws::shared().run("pre-traffic", env, events).await
}

fn once(event: Value) -> Vec<Invoke> {
    Invoke::once(event, TIMEOUT)
}

/// A Lambda deployment from a healthy version 1 to a version 2 running `new_code`.
async fn deployment_to(new_code: &str, timeout_s: i32) -> (String, String) {
    let aws = Aws::new(LocalAws::shared()).await;
    let function = unique("orders");
    let versions = python_function(&aws, &function, &[HEALTHY, new_code], timeout_s).await;
    let deployment = lambda_deployment(&aws, &function, &versions[0], &versions[1]).await;
    (function, deployment)
}

async fn statuses(deployment_id: &str) -> Vec<String> {
    LocalAws::shared().statuses(deployment_id).await
}

/// Runs pre-traffic once for `deployment` with `env`, and asserts it reported `Failed` for a
/// reason that contains `reason`.
async fn assert_fails_because(deployment: &str, env: &[(&str, &str)], reason: &str) {
    let run = pre_traffic(env, once(hook_event(deployment))).await;
    assert_eq!(statuses(deployment).await, vec!["Failed"]);
    let record = decision_record(&run);
    assert!(reasons(&record).contains(reason), "{record}");
}

#[tokio::test]
async fn a_healthy_new_version_is_reported_succeeded() {
    let (function, deployment) = deployment_to(HEALTHY, 10).await;
    let run = pre_traffic(&[], once(hook_event(&deployment))).await;

    assert_eq!(
        run.only().outcome.as_ref().map(|o| o["reported"].clone()),
        Ok(json!("Succeeded"))
    );
    assert_eq!(statuses(&deployment).await, vec!["Succeeded"]);
    // The new version itself was invoked, by number, never through the alias.
    let invocations = LocalAws::shared().invocations(&function).await;
    assert_eq!(invocations.len(), 1);
    assert_eq!(invocations[0]["qualifier"], "2");
    // The default probe's payload carries the marker a service can run its own checks on.
    assert_eq!(
        invocations[0]["payload"],
        json!({"headers": {"user-agent": format!("shiftguard/{} (BeforeAllowTraffic)", env!("CARGO_PKG_VERSION"))}})
    );
    let record = decision_record(&run);
    assert_eq!(record["deployment_id"], deployment.as_str());
    assert_eq!(record["lifecycle_event"], "BeforeAllowTraffic");
    assert_eq!(record["target"]["function_name"], function.as_str());
    assert_eq!(record["target"]["target_version"], "2");
    assert_eq!(record["checks"][0]["measured"]["status"], 200);
    assert_eq!(record["checks"][0]["expected"]["status"], "2xx");
    assert_eq!(record["verdict"], "Succeeded");
    // Of the calls on this deployment, one read and one report.
    assert_eq!(
        LocalAws::shared().operations_on(&deployment).await,
        ["GetDeployment", "PutLifecycleEventHookExecutionStatus"]
    );
}

#[tokio::test]
async fn the_appspec_is_read_with_get_application_revision_when_get_deployment_hides_it() {
    let (_, deployment) = deployment_to(HEALTHY, 10).await;
    let aws = Aws::new(LocalAws::shared()).await;
    let info = aws.deployment_info(&deployment).await;
    let hidden = info
        .revision
        .as_ref()
        .and_then(|r| r.app_spec_content())
        .and_then(|c| c.content());
    assert_eq!(hidden, None, "the stand-in, like AWS, returns only the sha256 here");
    let app = info.application_name.unwrap();
    pre_traffic(&[], once(hook_event(&deployment))).await;
    let revision_reads = LocalAws::shared()
        .calls()
        .await
        .iter()
        .filter(|c| c["operation"] == "GetApplicationRevision" && c["applicationName"] == app.as_str())
        .count();
    assert_eq!(
        revision_reads, 1,
        "the hook read this deployment's AppSpec with GetApplicationRevision"
    );
    assert_eq!(statuses(&deployment).await, vec!["Succeeded"]);
}

#[tokio::test]
async fn a_function_error_is_reported_failed_with_its_type_and_message() {
    let (_, deployment) = deployment_to(THROWS, 10).await;
    assert_fails_because(&deployment, &[], "function error (Unhandled): KeyError: 'orderId'").await;
}

#[tokio::test]
async fn a_non_2xx_status_code_is_reported_failed() {
    let (_, deployment) = deployment_to(STATUS_500, 10).await;
    assert_fails_because(&deployment, &[], "status 500, expected 2xx").await;
}

#[tokio::test]
async fn smoke_test_expectations_are_applied_to_the_new_version() {
    let (_, deployment) = deployment_to(HEALTHY, 10).await;
    let probes = r#"[{"name":"health","lambda":{"payload":{"rawPath":"/health"}},"expect":{"status":200,"json":{"/status":"UP"}}},
                     {"name":"version","lambda":{},"expect":{"json":{"/version":"2"}}}]"#;
    let run = pre_traffic(&[("SMOKE_TESTS", probes)], once(hook_event(&deployment))).await;
    assert_eq!(statuses(&deployment).await, vec!["Failed"]);
    let record = decision_record(&run);
    assert_eq!(record["checks"][0]["passed"], true);
    assert_eq!(record["checks"][1]["passed"], false);
    assert!(
        reasons(&record).contains(r#"version: /version is missing, expected "2""#),
        "{record}"
    );
}

#[tokio::test]
async fn a_hanging_target_is_reported_failed_before_the_deadline() {
    let (_, deployment) = deployment_to(HANGS, 300).await;
    let event = hook_event(&deployment);
    let run = pre_traffic(
        &[("REPORT_RESERVE_MS", "2000")],
        Invoke::once(event, Duration::from_secs(8)),
    )
    .await;

    let result = run.only();
    assert!(
        result.finished < result.deadline,
        "the invocation must end before Lambda's deadline"
    );
    let reports = LocalAws::shared().reports(&deployment).await;
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0]["status"], "Failed");
    let reported_at = UNIX_EPOCH + Duration::from_secs_f64(reports[0]["at"].as_f64().unwrap());
    assert!(reported_at < result.deadline, "reported before the deadline");
    // It waited for the budget (deadline minus the reserve), not for the probe's 10 s timeout.
    let waited = reported_at.duration_since(result.started).unwrap();
    assert!(
        waited >= Duration::from_secs(5) && waited < Duration::from_secs(8),
        "{waited:?}"
    );
    assert!(reasons(&decision_record(&run)).contains("did not finish in time"));
}

#[tokio::test]
async fn http_probes_pass_when_up_and_fail_when_down() {
    let up = fixed_endpoint(200, r#"{"status":"UP"}"#).await;
    let down = fixed_endpoint(503, "maintenance").await;
    let aws = Aws::new(LocalAws::shared()).await;
    for (server, expected) in [(&up, "Succeeded"), (&down, "Failed")] {
        let deployment = ecs_deployment(&aws).await;
        let probes = json!([{"name": "test-listener", "http": {"url": format!("http://{}/health", server.addr),
            "headers": {"Authorization": "Bearer s3cret"}}, "expect": {"json": {"/status": "UP"}}}]);
        let run = pre_traffic(&[("SMOKE_TESTS", &probes.to_string())], once(hook_event(&deployment))).await;
        assert_eq!(statuses(&deployment).await, vec![expected]);
        let record = decision_record(&run);
        assert_eq!(record["target"]["platform"], "ecs");
        assert_eq!(record["target"]["container_port"], 8080);
        assert!(
            !run.stdout.join("\n").contains("s3cret"),
            "probe headers are never logged"
        );
    }
}

#[tokio::test]
async fn an_ecs_deployment_without_probes_fails_with_a_clear_reason() {
    let aws = Aws::new(LocalAws::shared()).await;
    let deployment = ecs_deployment(&aws).await;
    assert_fails_because(&deployment, &[], "set SMOKE_TESTS").await;
}

#[tokio::test]
async fn a_duplicate_delivery_ends_cleanly_with_one_status() {
    let (_, deployment) = deployment_to(HEALTHY, 10).await;
    let event = hook_event(&deployment);
    let run = pre_traffic(&[], Invoke::each([event.clone(), event], TIMEOUT)).await;

    let first = run.results[0].as_ref().expect("first answered");
    let second = run.results[1].as_ref().expect("second answered");
    assert_eq!(first.outcome.as_ref().map(|o| o["duplicate"].clone()), Ok(json!(false)));
    assert_eq!(second.outcome.as_ref().map(|o| o["duplicate"].clone()), Ok(json!(true)));
    assert_eq!(statuses(&deployment).await, vec!["Succeeded"]);
}

#[tokio::test]
async fn an_event_without_ids_is_an_error_naming_the_field() {
    let run = pre_traffic(&[], once(json!({"DeploymentId": "d-123"}))).await;
    let error = run.only().outcome.clone().expect_err("an invocation error");
    assert_eq!(error["errorType"], "Shiftguard.InvalidEvent");
    assert!(
        error["errorMessage"]
            .as_str()
            .unwrap()
            .contains("LifecycleEventHookExecutionId"),
        "{error}"
    );
    assert_eq!(LocalAws::shared().reports("d-123").await.len(), 0);

    let run = pre_traffic(
        &[],
        once(json!({"DeploymentId": "", "LifecycleEventHookExecutionId": "h"})),
    )
    .await;
    let error = run.only().outcome.clone().expect_err("an invocation error");
    assert!(
        error["errorMessage"].as_str().unwrap().contains("empty DeploymentId"),
        "{error}"
    );
}

#[tokio::test]
async fn an_unknown_deployment_ends_without_hanging() {
    let started = SystemTime::now();
    let run = pre_traffic(&[], once(hook_event("d-DOESNOTEXIST"))).await;
    let result = run.only();
    // The verdict is Failed; CodeDeploy refuses a status for a deployment that does not exist.
    // Nobody waits on it and a retry would be refused again, so the invocation ends with the
    // refusal in its answer (and an ERROR log line), not an error Lambda would retry twice.
    let answer = result.outcome.clone().expect("no invocation error");
    assert_eq!(answer["verdict"], "Failed");
    assert!(
        answer["rejected"]
            .as_str()
            .unwrap_or_default()
            .contains("DeploymentDoesNotExist"),
        "{answer}"
    );
    assert!(reasons(&decision_record(&run)).contains("d-DOESNOTEXIST does not exist"));
    assert!(result.finished.duration_since(started).unwrap() < Duration::from_secs(15));
}

#[tokio::test]
async fn bad_smoke_tests_are_reported_failed_with_the_parse_error() {
    let (_, deployment) = deployment_to(HEALTHY, 10).await;
    let unterminated = r#"[{"name": "health", "lambda": {}"#;
    assert_fails_because(
        &deployment,
        &[("SMOKE_TESTS", unterminated)],
        "SMOKE_TESTS is not a JSON array of probes: EOF while parsing",
    )
    .await;
}

#[tokio::test]
async fn a_throttled_report_is_retried_and_lands_once() {
    let (_, deployment) = deployment_to(HEALTHY, 10).await;
    let local = LocalAws::shared();
    local
        .inject_fault(
            json!({"operation": "PutLifecycleEventHookExecutionStatus", "deploymentId": deployment,
            "status": 400, "error": "ThrottlingException", "times": 2}),
        )
        .await;
    let run = pre_traffic(&[], once(hook_event(&deployment))).await;
    assert!(run.only().outcome.is_ok(), "{:?}", run.only().outcome);
    assert_eq!(statuses(&deployment).await, vec!["Succeeded"]);
    let puts = local
        .calls()
        .await
        .iter()
        .filter(|c| {
            c["operation"] == "PutLifecycleEventHookExecutionStatus" && c["deploymentId"] == deployment.as_str()
        })
        .count();
    assert_eq!(puts, 3, "two throttled attempts and one that landed");
}

#[tokio::test]
async fn a_report_that_keeps_failing_is_an_invocation_error_so_lambda_retries() {
    let (_, deployment) = deployment_to(HEALTHY, 10).await;
    LocalAws::shared()
        .inject_fault(
            json!({"operation": "PutLifecycleEventHookExecutionStatus", "deploymentId": deployment,
            "status": 503, "error": "ServiceUnavailable", "times": 100}),
        )
        .await;
    let run = pre_traffic(&[], once(hook_event(&deployment))).await;
    let error = run.only().outcome.clone().expect_err("an invocation error");
    assert_eq!(error["errorType"], "Shiftguard.ReportFailed");
    assert!(statuses(&deployment).await.is_empty());
}

#[tokio::test]
async fn dry_run_reports_succeeded_and_logs_the_real_verdict() {
    let (_, deployment) = deployment_to(THROWS, 10).await;
    let run = pre_traffic(&[("DRY_RUN", "true")], once(hook_event(&deployment))).await;
    assert_eq!(statuses(&deployment).await, vec!["Succeeded"]);
    let record = decision_record(&run);
    assert_eq!(
        (
            record["verdict"].as_str(),
            record["reported"].as_str(),
            record["dry_run"].as_bool()
        ),
        (Some("Failed"), Some("Succeeded"), Some(true))
    );
}

#[tokio::test]
async fn target_function_and_version_replace_discovery() {
    let aws = Aws::new(LocalAws::shared()).await;
    let function = unique("override");
    python_function(&aws, &function, &[THROWS, HEALTHY], 10).await;
    // The deployment's AppSpec points at a function that does not exist; the override wins.
    let deployment = lambda_deployment(&aws, "not-this-one", "1", "2").await;
    let arn = format!("arn:aws:lambda:us-east-1:123456789012:function:{function}:2");
    pre_traffic(
        &[("TARGET_FUNCTION", &function), ("TARGET_VERSION", &arn)],
        once(hook_event(&deployment)),
    )
    .await;
    assert_eq!(statuses(&deployment).await, vec!["Succeeded"]);
    assert_eq!(LocalAws::shared().invocations(&function).await[0]["qualifier"], "2");
}

#[tokio::test]
async fn an_appspec_kept_in_s3_is_read_from_the_version_the_revision_names() {
    use aws_sdk_codedeploy::types::{BundleType, ComputePlatform, RevisionLocationType};
    use shiftguard_e2e::scenario::{
        application, bucket, deployment_of_revision, lambda_appspec, put_object, s3_revision,
    };
    let aws = Aws::new(LocalAws::shared()).await;
    let function = unique("orders");
    python_function(&aws, &function, &[HEALTHY, HEALTHY], 10).await;
    // A versioned bucket: the revision pins the first version (and its ETag); a later write of
    // the same key names a function that does not exist.
    let bucket = bucket(&aws, true).await;
    let object = put_object(
        &aws,
        &bucket,
        "release/appspec.yaml",
        &lambda_appspec(&function, "1", "2"),
    )
    .await;
    assert!(object.version.is_some(), "the bucket is versioned");
    put_object(
        &aws,
        &bucket,
        "release/appspec.yaml",
        &lambda_appspec("not-this-one", "1", "2"),
    )
    .await;
    let app = application(&aws, ComputePlatform::Lambda).await;
    let deployment = deployment_of_revision(&aws, &app, s3_revision(&object, BundleType::Yaml, true)).await;

    // GetDeployment gives the revision back as it was given, as AWS does.
    let revision = aws.deployment_info(&deployment).await.revision.expect("a revision");
    assert_eq!(revision.revision_type, Some(RevisionLocationType::S3));
    let location = revision.s3_location.expect("its s3Location");
    assert_eq!(
        (
            location.bucket.as_deref(),
            location.key.as_deref(),
            location.bundle_type
        ),
        (
            Some(bucket.as_str()),
            Some("release/appspec.yaml"),
            Some(BundleType::Yaml)
        )
    );
    assert_eq!(
        (location.version, location.e_tag.as_deref()),
        (object.version.clone(), Some(object.etag.as_str()))
    );

    let run = pre_traffic(&[], once(hook_event(&deployment))).await;
    let record = decision_record(&run);
    assert_eq!(statuses(&deployment).await, vec!["Succeeded"], "{record}");
    let invocations = LocalAws::shared().invocations(&function).await;
    assert_eq!(invocations.len(), 1, "{record}");
    assert_eq!(invocations[0]["qualifier"], "2");
    assert_eq!(record["target"]["function_name"], function.as_str(), "{record}");
}

#[tokio::test]
async fn a_json_appspec_kept_in_s3_is_read_from_there() {
    use aws_sdk_codedeploy::types::{BundleType, ComputePlatform};
    use shiftguard_e2e::scenario::{application, bucket, deployment_of_revision, put_object, s3_revision};
    let aws = Aws::new(LocalAws::shared()).await;
    let function = unique("orders");
    python_function(&aws, &function, &[HEALTHY, HEALTHY], 10).await;
    let appspec = json!({"version": 0.0, "Resources": [{"fn": {"Type": "AWS::Lambda::Function", "Properties": {
        "Name": function, "Alias": "live", "CurrentVersion": "1", "TargetVersion": "2"}}}]});
    let bucket = bucket(&aws, false).await;
    let object = put_object(&aws, &bucket, "appspec.json", &appspec.to_string()).await;
    let app = application(&aws, ComputePlatform::Lambda).await;
    let deployment = deployment_of_revision(&aws, &app, s3_revision(&object, BundleType::Json, false)).await;
    let run = pre_traffic(&[], once(hook_event(&deployment))).await;
    assert_eq!(
        statuses(&deployment).await,
        vec!["Succeeded"],
        "{}",
        decision_record(&run)
    );
    assert_eq!(LocalAws::shared().invocations(&function).await[0]["qualifier"], "2");
}

#[tokio::test]
async fn an_appspec_with_the_user_guides_lowercase_keys_is_read() {
    use aws_sdk_codedeploy::types::ComputePlatform;
    use shiftguard_e2e::scenario::{deployment, lambda_appspec_lowercase};
    let aws = Aws::new(LocalAws::shared()).await;
    let function = unique("orders");
    python_function(&aws, &function, &[HEALTHY, HEALTHY], 10).await;
    let deployment = deployment(
        &aws,
        ComputePlatform::Lambda,
        &lambda_appspec_lowercase(&function, "1", "2"),
    )
    .await;
    let run = pre_traffic(&[], once(hook_event(&deployment))).await;
    let record = decision_record(&run);
    assert_eq!(statuses(&deployment).await, vec!["Succeeded"], "{record}");
    assert_eq!(record["target"]["function_name"], function.as_str(), "{record}");
    assert_eq!(record["target"]["target_version"], "2", "{record}");
    let invocations = LocalAws::shared().invocations(&function).await;
    assert_eq!(invocations.len(), 1, "{record}");
    assert_eq!(invocations[0]["qualifier"], "2");
}

#[tokio::test]
async fn an_untagged_function_is_refused_naming_the_tag_and_never_invoked() {
    use shiftguard_e2e::scenario::python_function_tagged;
    let aws = Aws::new(LocalAws::shared()).await;
    let function = unique("untagged");
    let versions = python_function_tagged(&aws, &function, &[HEALTHY, HEALTHY], 10, &[("team", "orders")]).await;
    let deployment = lambda_deployment(&aws, &function, &versions[0], &versions[1]).await;
    assert_fails_because(
        &deployment,
        &[],
        &format!("function {function} does not carry the tag shiftguard:guarded = true"),
    )
    .await;
    assert!(LocalAws::shared().invocations(&function).await.is_empty());
}

#[tokio::test]
async fn an_http_probe_says_it_is_shiftguards_in_its_user_agent() {
    use shiftguard_e2e::http_server::{reply, serve};
    use std::sync::Arc;
    // The service answers 200 only to shiftguard's probe, as one running its own dependency
    // checks for it would.
    let service = serve(Arc::new(|parts, _| {
        let agent = parts
            .headers
            .get("user-agent")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        Box::pin(async move {
            if agent == format!("shiftguard/{} (BeforeAllowTraffic)", env!("CARGO_PKG_VERSION")) {
                reply(200, "checked")
            } else {
                reply(418, agent)
            }
        })
    }))
    .await;
    let aws = Aws::new(LocalAws::shared()).await;
    let deployment = ecs_deployment(&aws).await;
    let probes = json!([{"name": "own-checks", "http": {"url": format!("http://{}/health", service.addr)}}]);
    let run = pre_traffic(&[("SMOKE_TESTS", &probes.to_string())], once(hook_event(&deployment))).await;
    assert_eq!(
        statuses(&deployment).await,
        vec!["Succeeded"],
        "{}",
        run.stdout.join("\n")
    );
}
