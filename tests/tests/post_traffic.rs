//! The AfterAllowTraffic hook, run for real: the `post-traffic` binary under the Runtime API
//! stand-in, against the local AWS stand-in with metrics written into its CloudWatch.

use std::time::{Duration, SystemTime};

use serde_json::{Value, json};
use shiftguard_e2e::decision::{decision_record, reasons};
use shiftguard_e2e::local_aws::LocalAws;
use shiftguard_e2e::runtime_api::{FunctionRun, Invoke};
use shiftguard_e2e::scenario::{
    Aws, ecs_deployment, hook_event, lambda_deployment, put_metrics, put_metrics_at, unique,
};

/// How long before the hook runs a Lambda deployment was created: its judged minutes run from
/// its creation minute to the hook's, about ten.
const CREATED_SECONDS_AGO: u64 = 600;

/// The start of the minute `minutes_ago` whole minutes before the current one, plus 5 s: a
/// datapoint there is in a complete minute of a deployment created [`CREATED_SECONDS_AGO`].
fn minute_ago(minutes_ago: u64) -> SystemTime {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    SystemTime::UNIX_EPOCH + Duration::from_secs(now - now % 60 - 60 * minutes_ago + 5)
}

/// A Lambda deployment of a fresh function from version 1 to version 2 through alias `live`,
/// created [`CREATED_SECONDS_AGO`] on `local`. (The gate only reads CloudWatch, so the function
/// itself need not exist.)
async fn deployment_on(local: &LocalAws) -> (Aws, String, String) {
    let aws = Aws::new(local).await;
    let function = unique("gated");
    let deployment = lambda_deployment(&aws, &function, "1", "2").await;
    local
        .set_deployment(&deployment, json!({"created_seconds_ago": CREATED_SECONDS_AGO}))
        .await;
    (aws, function, deployment)
}

async fn deployment() -> (Aws, String, String) {
    deployment_on(LocalAws::shared()).await
}

/// One version's traffic through `live`, one minute at a time: `minutes[i]` (invocations,
/// errors) in the minute `minutes.len() - i` minutes before the current one.
async fn put_minutes(aws: &Aws, function: &str, version: &str, minutes: &[(f64, f64)]) {
    let resource = format!("{function}:live");
    let dims = [
        ("FunctionName", function),
        ("Resource", resource.as_str()),
        ("ExecutedVersion", version),
    ];
    for (i, (n, k)) in minutes.iter().enumerate() {
        let at = minute_ago((minutes.len() - i) as u64);
        put_metrics_at(aws, "AWS/Lambda", &dims, &[("Invocations", *n), ("Errors", *k)], at).await;
    }
}

/// Runs post-traffic once for `deployment` against `local`, with `env` on top of its own and of
/// `SETTLE_SECONDS=0` (the tests' datapoints are in past whole minutes: nothing to wait for).
async fn post_traffic(local: &LocalAws, env: &[(&str, &str)], deployment: &str) -> FunctionRun {
    let events = Invoke::once(hook_event(deployment), Duration::from_secs(30));
    let mut env = env.to_vec();
    if !env.iter().any(|(k, _)| *k == "SETTLE_SECONDS") {
        env.insert(0, ("SETTLE_SECONDS", "0"));
    }
    local.run("post-traffic", &env, events).await
}

/// Runs the gate on per-minute traffic of the new (2) and old (1) version, in the minutes just
/// before the hook's; returns the status and the record.
async fn gate_minutes(new: &[(f64, f64)], old: &[(f64, f64)], env: &[(&str, &str)]) -> (String, Value) {
    let (aws, function, deployment) = deployment().await;
    put_minutes(&aws, &function, "2", new).await;
    put_minutes(&aws, &function, "1", old).await;
    let run = post_traffic(LocalAws::shared(), env, &deployment).await;
    let statuses = LocalAws::shared().statuses(&deployment).await;
    assert_eq!(
        statuses.len(),
        1,
        "exactly one status; stdout:\n{}",
        run.stdout.join("\n")
    );
    (statuses[0].clone(), decision_record(&run))
}

/// The gate on one minute of traffic of each version (the old one's only where given).
async fn gate(new: (f64, f64), old: Option<(f64, f64)>, env: &[(&str, &str)]) -> (String, Value) {
    let old: Vec<(f64, f64)> = old.into_iter().collect();
    gate_minutes(&[new], &old, env).await
}

/// The record's per-minute evidence: one row a judged minute.
fn evidence_rows(record: &Value) -> Vec<Vec<f64>> {
    assert_eq!(
        record["checks"][0]["measured"]["evidence"]["columns"],
        json!([
            "new_invocations",
            "new_errors",
            "old_invocations",
            "old_errors",
            "relative_e",
            "ceiling_e"
        ]),
        "{record}"
    );
    record["checks"][0]["measured"]["evidence"]["rows"]
        .as_array()
        .expect("evidence rows")
        .iter()
        .map(|r| r.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect())
        .collect()
}

/// The judged minutes are the deployment's from its creation minute: about ten.
fn assert_judged_minutes(record: &Value) {
    let judged = record["inputs"]["judged_minutes"].as_u64().expect("judged_minutes");
    assert!((10..=12).contains(&judged), "{judged} minutes: {record}");
    assert_eq!(evidence_rows(record).len() as u64, judged, "{record}");
    assert_eq!(record["inputs"]["window"]["period_s"], 60, "{record}");
}

#[tokio::test]
async fn a_canary_failing_3x_as_often_as_the_old_version_is_failed_by_the_judge() {
    // Five minutes of a 10 % canary at 2000 calls a minute: 3 % against the old version's 1 %.
    let (status, record) = gate_minutes(&[(200.0, 6.0); 5], &[(1800.0, 18.0); 5], &[]).await;
    assert_eq!(status, "Failed", "{record}");
    assert_eq!(record["checks"][0]["kind"], "canary-judge");
    assert!(
        reasons(&record).contains("the new version fails 3.00x as often as the old one"),
        "{record}"
    );
    assert_judged_minutes(&record);
    // The looks would have stopped it in the second minute of traffic.
    let rows = evidence_rows(&record);
    let first = rows.iter().position(|r| r[0] > 0.0).expect("a minute with traffic");
    assert_eq!(rows[first][..4], [200.0, 6.0, 1800.0, 18.0]);
    assert_eq!(record["checks"][0]["measured"]["stop"]["minute"], first + 2, "{record}");
    assert_eq!(record["checks"][0]["measured"]["new_errors"], 30);
}

#[tokio::test]
async fn a_healthy_canary_over_several_minutes_succeeds() {
    let (status, record) = gate_minutes(&[(200.0, 2.0); 5], &[(1800.0, 18.0); 5], &[]).await;
    assert_eq!(status, "Succeeded", "{record}");
    assert!(reasons(&record).contains("error-rate: no regression shown"), "{record}");
    assert_judged_minutes(&record);
    let rows = evidence_rows(&record);
    assert_eq!(rows.iter().map(|r| r[0]).sum::<f64>(), 1000.0);
    assert_eq!(rows.iter().filter(|r| r[0] > 0.0).count(), 5);
    assert!(
        rows.iter().all(|r| r[4] < 20.0),
        "no evidence near the threshold: {record}"
    );
}

#[tokio::test]
async fn two_errors_in_a_thousand_pass() {
    let (status, record) = gate((1000.0, 2.0), Some((1000.0, 2.0)), &[]).await;
    assert_eq!(status, "Succeeded", "{record}");
    assert_eq!(record["checks"][0]["measured"]["new_invocations"], 1000);
    assert_eq!(record["checks"][0]["measured"]["new_errors"], 2);
    assert_eq!(record["checks"][0]["measured"]["old_invocations"], 1000);
    assert_eq!(record["lifecycle_event"], "AfterAllowTraffic");
}

#[tokio::test]
async fn fifty_errors_in_a_thousand_fail() {
    let (status, record) = gate((1000.0, 50.0), Some((1000.0, 2.0)), &[]).await;
    assert_eq!(status, "Failed");
    assert!(
        reasons(&record).contains("the new version fails 25.00x as often as the old one"),
        "{record}"
    );
}

#[tokio::test]
async fn no_traffic_passes_by_default_as_inconclusive() {
    let (status, record) = gate((0.0, 0.0), None, &[]).await;
    assert_eq!(status, "Succeeded");
    assert_eq!(record["checks"][0]["inconclusive"], true);
    assert!(
        reasons(&record).contains("inconclusive: 0 invocations of the new version (2) in"),
        "{record}"
    );
    assert!(reasons(&record).contains("fewer than MIN_INVOCATIONS (20)"), "{record}");
}

#[tokio::test]
async fn no_traffic_fails_with_on_insufficient_data_fail() {
    let (aws, _, deployment) = deployment().await;
    drop(aws);
    let run = post_traffic(LocalAws::shared(), &[("ON_INSUFFICIENT_DATA", "fail")], &deployment).await;
    assert_eq!(LocalAws::shared().statuses(&deployment).await, vec!["Failed"]);
    assert!(reasons(&decision_record(&run)).contains("ON_INSUFFICIENT_DATA=fail"));
}

#[tokio::test]
async fn a_deployment_created_this_minute_has_nothing_complete_to_read() {
    let aws = Aws::new(LocalAws::shared()).await;
    let function = unique("gated");
    let deployment = lambda_deployment(&aws, &function, "1", "2").await;
    let run = post_traffic(LocalAws::shared(), &[("ON_INSUFFICIENT_DATA", "fail")], &deployment).await;
    let record = decision_record(&run);
    // Created a moment ago: in this minute, or in the one before when the minute just turned.
    let judged = record["inputs"]["judged_minutes"].as_u64().unwrap();
    assert!(judged <= 1, "{record}");
    assert_eq!(LocalAws::shared().statuses(&deployment).await, vec!["Failed"]);
    assert!(reasons(&record).contains("ON_INSUFFICIENT_DATA=fail"), "{record}");
}

#[tokio::test]
async fn six_errors_in_eight_calls_fail_despite_the_small_sample() {
    let (status, record) = gate((8.0, 6.0), None, &[]).await;
    assert_eq!(status, "Failed");
    // The ceiling's test, by a look or the final one: 75 % against MAX_ERROR_RATE.
    let why = reasons(&record);
    assert!(
        why.contains("6 errors in 8 calls") && why.contains("MAX_ERROR_RATE 1 %"),
        "{record}"
    );
}

#[tokio::test]
async fn a_new_version_worse_than_the_old_one_fails_under_the_threshold() {
    // 0.9 % against 0.1 %: under MAX_ERROR_RATE (1 %), and nine times the old version's rate.
    let (status, record) = gate((5000.0, 45.0), Some((5000.0, 5.0)), &[]).await;
    assert_eq!(status, "Failed");
    assert!(
        reasons(&record).contains("the new version fails 9.00x as often as the old one"),
        "{record}"
    );
    let measured = &record["checks"][0]["measured"];
    assert_eq!(
        (measured["old_invocations"].as_u64(), measured["old_errors"].as_u64()),
        (Some(5000), Some(5))
    );
}

#[tokio::test]
async fn equal_rates_pass() {
    let (status, record) = gate((5000.0, 5.0), Some((5000.0, 5.0)), &[]).await;
    assert_eq!(status, "Succeeded", "{record}");
    assert_eq!(record["checks"][0]["measured"]["relative"]["rejects"], false);
}

#[tokio::test]
async fn min_effect_still_set_fails_the_hook_naming_it() {
    let (_, _, deployment) = deployment().await;
    let run = post_traffic(LocalAws::shared(), &[("MIN_EFFECT", "0.5")], &deployment).await;
    assert_eq!(LocalAws::shared().statuses(&deployment).await, vec!["Failed"]);
    assert!(reasons(&decision_record(&run)).contains("MIN_EFFECT is no longer read"));
}

#[tokio::test]
async fn p99_duration_over_the_limit_fails() {
    use aws_sdk_cloudwatch::types::{Dimension, MetricDatum};
    let (aws, function, deployment) = deployment().await;
    put_minutes(&aws, &function, "2", &[(100.0, 0.0)]).await;
    put_minutes(&aws, &function, "1", &[(900.0, 0.0)]).await;
    let resource = format!("{function}:live");
    let dims: Vec<Dimension> = [
        ("FunctionName", function.as_str()),
        ("Resource", resource.as_str()),
        ("ExecutedVersion", "2"),
    ]
    .iter()
    .map(|(n, v)| Dimension::builder().name(*n).value(*v).build())
    .collect();
    // Duration samples (ms) as Values/Counts, in two past minutes: one p99 over both.
    for (minutes_ago, samples) in [(2, [(40.0, 95.0), (900.0, 5.0)]), (1, [(40.0, 99.0), (60.0, 1.0)])] {
        let datum = MetricDatum::builder()
            .metric_name("Duration")
            .set_dimensions(Some(dims.clone()))
            .set_values(Some(samples.iter().map(|(v, _)| *v).collect()))
            .set_counts(Some(samples.iter().map(|(_, c)| *c).collect()))
            .timestamp(aws_sdk_cloudwatch::primitives::DateTime::from(minute_ago(minutes_ago)))
            .build();
        aws.cloudwatch
            .put_metric_data()
            .namespace("AWS/Lambda")
            .metric_data(datum)
            .send()
            .await
            .expect("PutMetricData");
    }
    let run = post_traffic(LocalAws::shared(), &[("MAX_P99_MS", "500")], &deployment).await;
    let record = decision_record(&run);
    assert_eq!(
        LocalAws::shared().statuses(&deployment).await,
        vec!["Failed"],
        "{record}"
    );
    assert!(
        reasons(&record).contains("Duration p99 (ms) 900 is above MAX_P99_MS (500)"),
        "{record}"
    );
}

#[tokio::test]
async fn a_metric_checks_ratio_fails_above_its_threshold() {
    let aws = Aws::new(LocalAws::shared()).await;
    // The window starts at the deployment's creation: deploy first, then the traffic.
    let failing = ecs_deployment(&aws).await;
    let passing = ecs_deployment(&aws).await;
    let target_group = unique("targetgroup/green");
    let dims = [
        ("TargetGroup", target_group.as_str()),
        ("LoadBalancer", "app/web/0123456789abcdef"),
    ];
    put_metrics(
        &aws,
        "AWS/ApplicationELB",
        &dims,
        &[("HTTPCode_Target_5XX_Count", 40.0), ("RequestCount", 1000.0)],
    )
    .await;
    let checks = json!([{"name": "green-5xx", "namespace": "AWS/ApplicationELB",
        "numerator": {"metric": "HTTPCode_Target_5XX_Count", "dimensions": {"TargetGroup": target_group, "LoadBalancer": "app/web/0123456789abcdef"}},
        "denominator": {"metric": "RequestCount", "dimensions": {"TargetGroup": target_group, "LoadBalancer": "app/web/0123456789abcdef"}},
        "max_rate": 1.0}])
    .to_string();
    let run = post_traffic(LocalAws::shared(), &[("METRIC_CHECKS", &checks)], &failing).await;
    assert_eq!(
        LocalAws::shared().statuses(&failing).await,
        vec!["Failed"],
        "{}",
        decision_record(&run)
    );
    assert!(reasons(&decision_record(&run)).contains("green-5xx: 40 HTTPCode_Target_5XX_Count in 1000 RequestCount"));

    let lenient = checks.replace("\"max_rate\":1.0", "\"max_rate\":10.0");
    post_traffic(LocalAws::shared(), &[("METRIC_CHECKS", &lenient)], &passing).await;
    assert_eq!(LocalAws::shared().statuses(&passing).await, vec!["Succeeded"]);
}

#[tokio::test]
async fn the_query_is_one_get_metric_data_call_with_the_exact_dimension_set() {
    let (aws, function, deployment) = deployment().await;
    put_minutes(&aws, &function, "2", &[(1000.0, 1.0)]).await;
    // Errors under the dimension set the hand-written hooks use ({FunctionName, Resource=name:version})
    // are invisible to a query for the alias's per-version metrics: CloudWatch matches sets exactly.
    let by_version = format!("{function}:2");
    put_metrics_at(
        &aws,
        "AWS/Lambda",
        &[("FunctionName", function.as_str()), ("Resource", by_version.as_str())],
        &[("Errors", 900.0)],
        minute_ago(1),
    )
    .await;
    let checks = json!([{"name": "extra", "namespace": "AWS/Lambda", "metric": "ConcurrentExecutions",
                         "dimensions": {"FunctionName": function}, "stat": "Maximum", "max": 100}])
    .to_string();
    let run = post_traffic(LocalAws::shared(), &[("METRIC_CHECKS", &checks)], &deployment).await;
    assert_eq!(
        LocalAws::shared().statuses(&deployment).await,
        vec!["Succeeded"],
        "{}",
        run.stdout.join("\n")
    );

    let requests: Vec<Value> = reqwest::get(format!(
        "{}/_shiftguard/metric-data-requests",
        LocalAws::shared().endpoint
    ))
    .await
    .unwrap()
    .json::<Vec<Value>>()
    .await
    .unwrap()
    .into_iter()
    .filter(|r| r.to_string().contains(&function))
    .collect();
    assert_eq!(
        requests.len(),
        1,
        "one GetMetricData call for every metric of the verdict"
    );
    let queries = requests[0]["MetricDataQueries"].as_array().unwrap();
    let check = queries
        .iter()
        .find(|q| q["Id"] == "check0")
        .expect("METRIC_CHECKS ride in the same call");
    let new_invocations = queries
        .iter()
        .find(|q| q["Id"] == "minute_new_calls")
        .expect("the new version's invocations");
    // The per-minute series a minute at a time, the check once over all the judged minutes.
    assert_eq!(new_invocations["MetricStat"]["Period"], 60);
    let judged = decision_record(&run)["inputs"]["judged_minutes"].as_u64().unwrap();
    assert_eq!(check["MetricStat"]["Period"].as_u64(), Some(60 * judged));
    let metric = &new_invocations["MetricStat"]["Metric"];
    assert_eq!(metric["Namespace"], "AWS/Lambda");
    assert_eq!(metric["MetricName"], "Invocations");
    let mut dims: Vec<(String, String)> = metric["Dimensions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["Name"].as_str().unwrap().to_string(),
                d["Value"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    dims.sort();
    assert_eq!(
        dims,
        vec![
            ("ExecutedVersion".to_string(), "2".to_string()),
            ("FunctionName".to_string(), function.clone()),
            ("Resource".to_string(), format!("{function}:live")),
        ]
    );
    let record = decision_record(&run);
    assert_eq!(record["inputs"]["get_metric_data_requests"], 1);
    // Of the calls on this deployment, one read and one report.
    assert_eq!(
        LocalAws::shared().operations_on(&deployment).await,
        ["GetDeployment", "PutLifecycleEventHookExecutionStatus"]
    );
}

#[tokio::test]
async fn a_bad_threshold_fails_the_hook_naming_the_variable() {
    let (_, _, deployment) = deployment().await;
    let run = post_traffic(LocalAws::shared(), &[("MAX_ERROR_RATE", "1%")], &deployment).await;
    assert_eq!(LocalAws::shared().statuses(&deployment).await, vec!["Failed"]);
    assert!(reasons(&decision_record(&run)).contains("MAX_ERROR_RATE is not valid: \"1%\" is not a number"));
}

/// The gate on its own stand-in (a GetMetricData fault applies to every caller), on traffic of
/// the new (2) and old (1) version, with `fault` injected; returns the status, the record and
/// the GetMetricData requests made.
async fn gate_with_fault(new: (f64, f64), old: (f64, f64), fault: Value) -> (String, Value, usize) {
    let local = LocalAws::start();
    let (aws, function, deployment) = deployment_on(&local).await;
    put_minutes(&aws, &function, "2", &[new]).await;
    put_minutes(&aws, &function, "1", &[old]).await;
    local.inject_fault(fault).await;
    let run = post_traffic(&local, &[("REPORT_RESERVE_MS", "3000")], &deployment).await;
    let statuses = &local.statuses(&deployment).await;
    assert_eq!(
        statuses.len(),
        1,
        "exactly one status; stdout:\n{}",
        run.stdout.join("\n")
    );
    let requests = local
        .metric_data_requests()
        .await
        .into_iter()
        .filter(|r| r.to_string().contains(&function))
        .count();
    (statuses[0].clone(), decision_record(&run), requests)
}

#[tokio::test]
async fn metric_data_that_is_forbidden_or_an_internal_error_fails_naming_the_status() {
    for status in ["Forbidden", "InternalError"] {
        // Healthy traffic: only the missing data can fail the gate.
        let (verdict, record, _) = gate_with_fault(
            (1000.0, 2.0),
            (1000.0, 2.0),
            json!({"operation": "GetMetricData", "metric_status": status, "times": 100}),
        )
        .await;
        assert_eq!(
            verdict, "Failed",
            "a {status} MetricDataResult is not \"no datapoints\": {record}"
        );
        assert!(reasons(&record).contains(status), "the reason names {status}: {record}");
    }
}

#[tokio::test]
async fn partial_data_is_followed_to_the_next_page_and_judged_whole() {
    // The first page holds none of the datapoints (StatusCode PartialData, a NextToken): the
    // verdict on it alone would be "no traffic, inconclusive, Succeeded".
    let (verdict, record, requests) = gate_with_fault(
        (1000.0, 50.0),
        (1000.0, 2.0),
        json!({"operation": "GetMetricData", "metric_status": "PartialData", "times": 1}),
    )
    .await;
    assert_eq!(verdict, "Failed", "{record}");
    assert!(
        reasons(&record).contains("the new version fails 25.00x as often as the old one"),
        "{record}"
    );
    assert_eq!(requests, 2, "the NextToken was followed once: {record}");
    assert_eq!(record["inputs"]["get_metric_data_requests"], 2, "{record}");
}

#[tokio::test]
async fn an_appspec_kept_in_s3_names_the_target_of_the_gate() {
    use aws_sdk_codedeploy::types::{BundleType, ComputePlatform};
    use shiftguard_e2e::scenario::{
        application, bucket, deployment_of_revision, lambda_appspec, put_object, s3_revision,
    };
    let aws = Aws::new(LocalAws::shared()).await;
    let function = unique("gated");
    // Versioned and pinned: the deployment is backdated, so an unpinned AppSpec would look
    // modified after it was created.
    let bucket = bucket(&aws, true).await;
    let object = put_object(&aws, &bucket, "appspec.yaml", &lambda_appspec(&function, "1", "2")).await;
    let app = application(&aws, ComputePlatform::Lambda).await;
    let deployment = deployment_of_revision(&aws, &app, s3_revision(&object, BundleType::Yaml, true)).await;
    LocalAws::shared()
        .set_deployment(&deployment, json!({"created_seconds_ago": CREATED_SECONDS_AGO}))
        .await;
    put_minutes(&aws, &function, "2", &[(1000.0, 50.0)]).await;
    put_minutes(&aws, &function, "1", &[(1000.0, 2.0)]).await;
    let run = post_traffic(LocalAws::shared(), &[], &deployment).await;
    let record = decision_record(&run);
    assert_eq!(
        LocalAws::shared().statuses(&deployment).await,
        vec!["Failed"],
        "{record}"
    );
    assert_eq!(record["target"]["function_name"], function.as_str(), "{record}");
    assert!(
        reasons(&record).contains("the new version fails 25.00x as often as the old one"),
        "{record}"
    );
}

/// The ECS traffic one target group served a minute ago: `HTTPCode_Target_5XX_Count` and
/// `RequestCount` under `{TargetGroup, LoadBalancer}`, as the Application Load Balancer reports
/// them. (In the past, not now: moto cuts GetMetricData's EndTime to the whole second and leaves
/// out datapoints from that second on, so traffic stamped in the second the hook asks is not seen.)
async fn put_target_group_traffic(aws: &Aws, target_group: &str, load_balancer: &str, errors: f64, requests: f64) {
    put_metrics_at(
        aws,
        "AWS/ApplicationELB",
        &[("TargetGroup", target_group), ("LoadBalancer", load_balancer)],
        &[("HTTPCode_Target_5XX_Count", errors), ("RequestCount", requests)],
        std::time::SystemTime::now() - Duration::from_secs(60),
    )
    .await;
}

/// The `TargetGroup` values of every query the request made for METRIC_CHECKS' first check.
fn target_groups_queried(request: &Value) -> Vec<String> {
    request["MetricDataQueries"]
        .as_array()
        .expect("MetricDataQueries")
        .iter()
        .filter(|q| q["Id"].as_str().is_some_and(|id| id.starts_with("check0")))
        .flat_map(|q| {
            q["MetricStat"]["Metric"]["Dimensions"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter(|d| d["Name"] == "TargetGroup")
        .map(|d| d["Value"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// CodeDeploy swaps an ECS deployment group's two target groups on every deployment: the
/// replacement task set of the first deployment is behind the second target group of the pair
/// (web-tg-2), that of the next one behind the first (web-tg-1). A check written with
/// `{replacement_target_group}` follows it, through ListDeploymentTargets,
/// BatchGetDeploymentTargets (the Green task set's target group) and DescribeTargetGroups (its ARN).
///
/// web-tg-2 is healthy (0.2 % 5xx) and web-tg-1 is not (4 %), so the two verdicts differ only by
/// which target group was read. Were the check's TargetGroup a fixed value instead of the
/// placeholder, both deployments would read the same group: fixed to web-tg-2, the second
/// deployment would pass on the old task set's good numbers (Succeeded, not Failed); fixed to
/// web-tg-1, the first would fail on the old task set's bad ones (Failed, not Succeeded). Either
/// way one verdict below and the dimension asserted for one of the two requests break. The same
/// holds if the Blue task set's group were read instead of the Green one's.
#[tokio::test]
async fn an_ecs_check_reads_the_replacement_target_group_which_alternates_between_deployments() {
    use shiftguard_e2e::scenario::{deployment_in, ecs_application, ecs_appspec, target_group, target_group_dimension};
    // Its own stand-in: the target group names are fixed, and CreateTargetGroup refuses a name
    // taken with other settings.
    let local = LocalAws::start();
    let aws = Aws::new(&local).await;
    let vpc = local.default_vpc().await;
    let tg1 = target_group_dimension(&target_group(&aws, "web-tg-1", &vpc).await);
    let tg2 = target_group_dimension(&target_group(&aws, "web-tg-2", &vpc).await);
    let app = ecs_application(&aws, ["web-tg-1", "web-tg-2"]).await;

    // The README's example check, as shared/tests/fixtures/metric-checks.json has it: the
    // replacement task set's 5xx over its requests, TargetGroup by placeholder.
    let fixture: Value =
        serde_json::from_str(include_str!("../../shared/tests/fixtures/metric-checks.json")).expect("the fixture");
    let check = fixture[0].clone();
    assert_eq!(check["name"], "green-5xx");
    assert_eq!(
        check["numerator"]["dimensions"]["TargetGroup"],
        "{replacement_target_group}"
    );
    let load_balancer = check["numerator"]["dimensions"]["LoadBalancer"]
        .as_str()
        .expect("a fixed LoadBalancer")
        .to_string();
    let checks = json!([check]).to_string();
    put_target_group_traffic(&aws, &tg2, &load_balancer, 2.0, 1000.0).await;
    put_target_group_traffic(&aws, &tg1, &load_balancer, 40.0, 1000.0).await;

    // The window covers the traffic above whichever deployment reads it (by default it would
    // start at each deployment's createTime).
    let env = [("METRIC_CHECKS", checks.as_str()), ("WINDOW_MINUTES", "10")];
    let gate = |deployment: String| {
        let local = &local;
        async move {
            // AfterAllowTraffic runs while the deployment is in progress (before it starts,
            // ListDeploymentTargets answers DeploymentNotStartedException).
            local.set_deployment(&deployment, json!({"status": "InProgress"})).await;
            let run = post_traffic(local, &env, &deployment).await;
            (local.statuses(&deployment).await, decision_record(&run))
        }
    };

    let first = deployment_in(&aws, &app, &ecs_appspec()).await;
    let (statuses, record) = gate(first.clone()).await;
    assert_eq!(statuses, vec!["Succeeded"], "judged on web-tg-2 (0.2 %): {record}");
    assert_eq!(
        record["inputs"]["target_groups"],
        json!({"replacement": tg2, "original": tg1}),
        "{record}"
    );
    local.set_deployment(&first, json!({"status": "Succeeded"})).await;

    let second = deployment_in(&aws, &app, &ecs_appspec()).await;
    let (statuses, record) = gate(second.clone()).await;
    assert_eq!(statuses, vec!["Failed"], "judged on web-tg-1 (4 %): {record}");
    assert_eq!(
        record["inputs"]["target_groups"],
        json!({"replacement": tg1, "original": tg2}),
        "{record}"
    );
    assert!(
        reasons(&record).contains("green-5xx: 40 HTTPCode_Target_5XX_Count in 1000 RequestCount"),
        "{record}"
    );

    // What CloudWatch was asked: both sides of the ratio under the replacement's TargetGroup.
    let requests = local.metric_data_requests().await;
    assert_eq!(requests.len(), 2, "one GetMetricData call per verdict");
    assert_eq!(target_groups_queried(&requests[0]), vec![tg2.clone(); 2]);
    assert_eq!(target_groups_queried(&requests[1]), vec![tg1.clone(); 2]);
    assert!(tg2.starts_with("targetgroup/web-tg-2/") && tg1.starts_with("targetgroup/web-tg-1/"));

    // Each verdict found its target groups through the deployment's targets.
    let calls = local.calls().await;
    for deployment in [&first, &second] {
        for operation in ["ListDeploymentTargets", "BatchGetDeploymentTargets"] {
            assert_eq!(
                calls
                    .iter()
                    .filter(|c| c["operation"] == operation && c["deploymentId"] == deployment.as_str())
                    .count(),
                1,
                "{operation} for {deployment}"
            );
        }
    }
    assert_eq!(
        calls
            .iter()
            .filter(|c| c["operation"] == "DescribeTargetGroups")
            .count(),
        2
    );
}
