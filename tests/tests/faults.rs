//! Faults between the hooks and AWS: throttling and 5xx on every call, answers slower than the
//! hook's budget, connections cut mid-answer. Each test has its own local AWS stand-in, since
//! the faults it injects apply to every call. In each case the hook reports exactly once, in
//! time, with the right status, or returns an error where reporting itself was impossible.

use std::time::{Duration, UNIX_EPOCH};

use serde_json::{Value, json};
use shiftguard_e2e::decision::{decision_record, reasons};
use shiftguard_e2e::fault_proxy::CuttingProxy;
use shiftguard_e2e::local_aws::LocalAws;
use shiftguard_e2e::runtime_api::{FunctionRun, Invoke};
use shiftguard_e2e::scenario::{Aws, hook_event, lambda_deployment, python_function, unique};

const HEALTHY: &str = "def handler(event, context):\n    return {'statusCode': 200}\n";
const OPERATIONS: [&str; 4] = [
    "GetDeployment",
    "GetApplicationRevision",
    "Invoke",
    "PutLifecycleEventHookExecutionStatus",
];

async fn healthy_deployment(local: &LocalAws) -> String {
    let aws = Aws::new(local).await;
    let function = unique("faulty");
    python_function(&aws, &function, &[HEALTHY, HEALTHY], 10).await;
    lambda_deployment(&aws, &function, "1", "2").await
}

async fn pre_traffic(
    local: &LocalAws,
    endpoint: Option<String>,
    env: &[(&str, &str)],
    event: Value,
    timeout: Duration,
) -> FunctionRun {
    let mut all = env.to_vec();
    if let Some(e) = &endpoint {
        all.push(("AWS_ENDPOINT_URL", e));
    }
    local.run("pre-traffic", &all, Invoke::once(event, timeout)).await
}

/// How many times each operation the hook uses was called.
async fn calls_per_operation(local: &LocalAws) -> Vec<(String, usize)> {
    let calls = local.calls().await;
    OPERATIONS
        .iter()
        .map(|op| (op.to_string(), calls.iter().filter(|c| c["operation"] == *op).count()))
        .collect()
}

/// Each operation the hook uses fails `times` times with `status`/`error`.
async fn fail_every_operation(local: &LocalAws, status: u16, error: &str, times: u32) {
    for op in OPERATIONS {
        local
            .inject_fault(json!({"operation": op, "status": status, "error": error, "times": times}))
            .await;
    }
}

#[tokio::test]
async fn throttling_on_every_call_is_retried_and_the_verdict_reported_once() {
    let local = LocalAws::start();
    let deployment = healthy_deployment(&local).await;
    fail_every_operation(&local, 400, "ThrottlingException", 2).await;
    // Lambda's own throttling answer is a 429.
    local
        .inject_fault(json!({"operation": "Invoke", "status": 429, "error": "TooManyRequestsException", "times": 1}))
        .await;
    let run = pre_traffic(&local, None, &[], hook_event(&deployment), Duration::from_secs(30)).await;
    assert!(run.only().outcome.is_ok(), "{:?}", run.only().outcome);
    assert_eq!(local.statuses(&deployment).await, vec!["Succeeded"]);
    let calls = calls_per_operation(&local).await;
    assert!(
        calls.iter().all(|(_, n)| *n >= 3),
        "two throttled attempts, then the one that worked: {calls:?}"
    );
}

#[tokio::test]
async fn server_errors_on_every_call_are_retried_and_the_verdict_reported_once() {
    let local = LocalAws::start();
    let deployment = healthy_deployment(&local).await;
    fail_every_operation(&local, 500, "InternalFailure", 2).await;
    let run = pre_traffic(&local, None, &[], hook_event(&deployment), Duration::from_secs(30)).await;
    assert!(run.only().outcome.is_ok(), "{:?}", run.only().outcome);
    assert_eq!(local.statuses(&deployment).await, vec!["Succeeded"]);
    let calls = calls_per_operation(&local).await;
    assert!(
        calls.iter().all(|(_, n)| *n == 3),
        "two 500s, then the answer: {calls:?}"
    );
}

#[tokio::test]
async fn when_aws_never_answers_well_the_invocation_errors_in_time_without_a_report() {
    let local = LocalAws::start();
    let deployment = healthy_deployment(&local).await;
    fail_every_operation(&local, 503, "ServiceUnavailable", 1000).await;
    let run = pre_traffic(&local, None, &[], hook_event(&deployment), Duration::from_secs(30)).await;
    let result = run.only();
    let error = result
        .outcome
        .clone()
        .expect_err("reporting was impossible, so the invocation fails for Lambda to retry");
    assert_eq!(error["errorType"], "Shiftguard.ReportFailed");
    assert!(result.finished < result.deadline);
    assert!(local.statuses(&deployment).await.is_empty());
    assert_eq!(
        decision_record(&run)["verdict"],
        "Failed",
        "the record still says what was decided"
    );
}

#[tokio::test]
async fn answers_slower_than_the_budget_end_in_a_failed_report_in_time() {
    let local = LocalAws::start();
    let deployment = healthy_deployment(&local).await;
    local
        .inject_fault(json!({"operation": "GetDeployment", "delay_ms": 20000, "status": 0, "times": 100}))
        .await;
    let run = pre_traffic(
        &local,
        None,
        &[("REPORT_RESERVE_MS", "3000")],
        hook_event(&deployment),
        Duration::from_secs(12),
    )
    .await;
    let result = run.only();
    assert!(result.outcome.is_ok(), "{:?}", result.outcome);
    let reports = local.reports(&deployment).await;
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0]["status"], "Failed");
    let reported_at = UNIX_EPOCH + Duration::from_secs_f64(reports[0]["at"].as_f64().unwrap());
    assert!(reported_at < result.deadline, "reported before the deadline");
    assert!(
        reasons(&decision_record(&run)).contains("did not finish in time"),
        "{}",
        decision_record(&run)
    );
}

#[tokio::test]
async fn when_the_budget_runs_out_the_record_still_names_the_target_and_the_window() {
    let local = LocalAws::start();
    let aws = Aws::new(&local).await;
    let function = unique("slow-metrics");
    let deployment = lambda_deployment(&aws, &function, "1", "2").await;
    // Ten complete minutes to judge, nothing to wait for: the read itself outlives the budget.
    local
        .set_deployment(&deployment, json!({"created_seconds_ago": 600}))
        .await;
    local
        .inject_fault(json!({"operation": "GetMetricData", "delay_ms": 20000, "status": 0, "times": 100}))
        .await;
    let event = Invoke::once(hook_event(&deployment), Duration::from_secs(12));
    let env = [("REPORT_RESERVE_MS", "3000"), ("SETTLE_SECONDS", "0")];
    let run = local.run("post-traffic", &env, event).await;
    assert!(run.only().outcome.is_ok(), "{:?}", run.only().outcome);
    assert_eq!(local.statuses(&deployment).await, vec!["Failed"]);
    let record = decision_record(&run);
    assert!(reasons(&record).contains("did not finish in time"), "{record}");
    assert_eq!(record["target"]["function_name"], function.as_str(), "{record}");
    assert_eq!(record["target"]["target_version"], "2", "{record}");
    assert!(record["inputs"]["window"]["start"].as_u64().is_some(), "{record}");
    assert!(record["application"].is_string(), "{record}");
}

#[tokio::test]
async fn connections_cut_mid_answer_are_retried() {
    let local = LocalAws::start();
    let deployment = healthy_deployment(&local).await;
    let upstream = local.endpoint.trim_start_matches("http://").parse().expect("host:port");
    let proxy = CuttingProxy::start(upstream, 3).await;
    let run = pre_traffic(
        &local,
        Some(format!("http://{}", proxy.addr)),
        &[],
        hook_event(&deployment),
        Duration::from_secs(30),
    )
    .await;
    assert!(run.only().outcome.is_ok(), "{:?}", run.only().outcome);
    assert_eq!(
        proxy.cut.load(std::sync::atomic::Ordering::SeqCst),
        3,
        "three answers were cut"
    );
    assert_eq!(local.statuses(&deployment).await, vec!["Succeeded"]);
}
