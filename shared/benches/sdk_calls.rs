//! The SDK's own time per AWS call, network excluded: each client built by the hooks' own
//! functions (`sdk_config.rs`: timeouts, the call timer) from a configuration like the one
//! `load_sdk_config` gives on Lambda (region and keys set; the SDK's standard retries), over an
//! in-memory endpoint that answers at once with a canned body. What is left is the SDK's
//! request pipeline: endpoint resolution, serializing, signing, the interceptors, parsing the
//! answer. `make bench` runs these; figures in the README.

use std::hint::black_box;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_codedeploy::config::{Credentials, SharedCredentialsProvider};
use aws_sdk_codedeploy::types::LifecycleEventStatus;
use aws_smithy_http_client::test_util::infallible_client_fn;
use criterion::{Criterion, criterion_group, criterion_main};
use shiftguard::adapters::{cloudwatch_client, codedeploy_client, lambda_client};

/// Region and keys set, as on Lambda, over an endpoint that answers every request at once with
/// `body` and `headers`.
fn sdk_answering(body: &'static [u8], headers: &'static [(&'static str, &'static str)]) -> SdkConfig {
    let endpoint = infallible_client_fn(move |_| {
        let mut answer = http::Response::builder().status(200);
        for (name, value) in headers {
            answer = answer.header(*name, *value);
        }
        answer.body(body).expect("a canned answer")
    });
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "AKIDEXAMPLE",
            "secret",
            Some("session-token".into()),
            None,
            "bench",
        )))
        .http_client(endpoint)
        .build()
}

const AWS_JSON: &[(&str, &str)] = &[("content-type", "application/x-amz-json-1.1")];
const REST_JSON: &[(&str, &str)] = &[("content-type", "application/json")];
/// CloudWatch's smithy-rpc-v2-cbor answers carry the protocol's header.
const CBOR: &[(&str, &str)] = &[("content-type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor")];

const DEPLOYMENT: &[u8] = br#"{"deploymentInfo":{"applicationName":"app","deploymentGroupName":"app-dg","deploymentId":"d-BENCH0001","status":"InProgress","computePlatform":"Lambda","createTime":1.7645e9,"revision":{"revisionType":"AppSpecContent","appSpecContent":{"sha256":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}}}}"#;

fn calls(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    let codedeploy = codedeploy_client(&sdk_answering(DEPLOYMENT, AWS_JSON));
    c.bench_function("sdk/codedeploy_get_deployment", |b| {
        b.iter(|| {
            rt.block_on(
                codedeploy
                    .get_deployment()
                    .deployment_id(black_box("d-BENCH0001"))
                    .send(),
            )
            .unwrap()
        })
    });
    let reporter = codedeploy_client(&sdk_answering(
        br#"{"lifecycleEventHookExecutionId":"exec-1"}"#,
        AWS_JSON,
    ));
    c.bench_function("sdk/codedeploy_put_hook_status", |b| {
        b.iter(|| {
            rt.block_on(
                reporter
                    .put_lifecycle_event_hook_execution_status()
                    .deployment_id(black_box("d-BENCH0001"))
                    .lifecycle_event_hook_execution_id("exec-1")
                    .status(LifecycleEventStatus::Succeeded)
                    .send(),
            )
            .unwrap()
        })
    });

    let lambda = lambda_client(&sdk_answering(
        br#"{"statusCode":200,"body":"{\"status\":\"UP\"}"}"#,
        REST_JSON,
    ));
    c.bench_function("sdk/lambda_invoke", |b| {
        b.iter(|| {
            rt.block_on(
                lambda
                    .invoke()
                    .function_name(black_box("my-function"))
                    .qualifier("2")
                    .payload(aws_smithy_types::Blob::new(br#"{"path":"/health"}"#.to_vec()))
                    .send(),
            )
            .unwrap()
        })
    });

    // An empty CBOR map: a GetMetricData answer with no results.
    let cloudwatch = cloudwatch_client(&sdk_answering(&[0xa0], CBOR));
    c.bench_function("sdk/cloudwatch_get_metric_data", |b| {
        b.iter(|| {
            use aws_sdk_cloudwatch::primitives::DateTime;
            use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
            let query = MetricDataQuery::builder()
                .id("errors_new")
                .metric_stat(
                    MetricStat::builder()
                        .metric(
                            Metric::builder()
                                .namespace("AWS/Lambda")
                                .metric_name("Errors")
                                .dimensions(Dimension::builder().name("FunctionName").value("f").build())
                                .build(),
                        )
                        .period(60)
                        .stat("Sum")
                        .build(),
                )
                .build();
            rt.block_on(
                cloudwatch
                    .get_metric_data()
                    .metric_data_queries(query)
                    .start_time(DateTime::from_secs(1_764_500_000))
                    .end_time(DateTime::from_secs(1_764_500_600))
                    .send(),
            )
            .unwrap()
        })
    });
}

criterion_group!(benches, calls);
criterion_main!(benches);
