//! The SDK's own time per AWS call, network excluded: each client built by the hooks' own
//! functions (`sdk_config.rs`: timeouts, the call timer) from a configuration like the one
//! `load_sdk_config` gives on Lambda (region and keys set; the SDK's standard retries), over an
//! in-memory endpoint that answers at once with a canned body. What is left is the SDK's request pipeline: endpoint resolution,
//! serializing, signing, the interceptors, parsing the answer. `make bench` runs these; figures
//! in the README.

use std::hint::black_box;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_codedeploy::config::{Credentials, SharedCredentialsProvider};
use aws_sdk_codedeploy::types::LifecycleEventStatus;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use criterion::{Criterion, criterion_group, criterion_main};
use shiftguard::aws::{cloudwatch_client, codedeploy_client, lambda_client};

/// Answers every request at once with `body`, `content-type` and, for smithy-rpc-v2-cbor
/// (CloudWatch), the protocol's header.
#[derive(Debug, Clone)]
struct CannedEndpoint {
    body: &'static [u8],
    content_type: &'static str,
    smithy_protocol: Option<&'static str>,
}

impl HttpConnector for CannedEndpoint {
    fn call(&self, _: HttpRequest) -> HttpConnectorFuture {
        let mut answer = HttpResponse::new(200.try_into().unwrap(), SdkBody::from(self.body));
        answer.headers_mut().insert("content-type", self.content_type);
        if let Some(protocol) = self.smithy_protocol {
            answer.headers_mut().insert("smithy-protocol", protocol);
        }
        HttpConnectorFuture::ready(Ok(answer))
    }
}

impl HttpClient for CannedEndpoint {
    fn http_connector(&self, _: &HttpConnectorSettings, _: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

/// Region and keys set, as on Lambda, over `endpoint`.
fn sdk_over(endpoint: CannedEndpoint) -> SdkConfig {
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
        .http_client(SharedHttpClient::new(endpoint))
        .build()
}

const DEPLOYMENT: &[u8] = br#"{"deploymentInfo":{"applicationName":"app","deploymentGroupName":"app-dg","deploymentId":"d-BENCH0001","status":"InProgress","computePlatform":"Lambda","createTime":1.7645e9,"revision":{"revisionType":"AppSpecContent","appSpecContent":{"sha256":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}}}}"#;

fn calls(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    let codedeploy = codedeploy_client(&sdk_over(CannedEndpoint {
        body: DEPLOYMENT,
        content_type: "application/x-amz-json-1.1",
        smithy_protocol: None,
    }));
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
    let reporter = codedeploy_client(&sdk_over(CannedEndpoint {
        body: br#"{"lifecycleEventHookExecutionId":"exec-1"}"#,
        content_type: "application/x-amz-json-1.1",
        smithy_protocol: None,
    }));
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

    let lambda = lambda_client(&sdk_over(CannedEndpoint {
        body: br#"{"statusCode":200,"body":"{\"status\":\"UP\"}"}"#,
        content_type: "application/json",
        smithy_protocol: None,
    }));
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
    let cloudwatch = cloudwatch_client(&sdk_over(CannedEndpoint {
        body: &[0xa0],
        content_type: "application/cbor",
        smithy_protocol: Some("rpc-v2-cbor"),
    }));
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
