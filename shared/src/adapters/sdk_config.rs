//! One SDK configuration for every client: standard retries (throttling, 5xx and transient
//! errors, with exponential backoff and jitter) and the endpoint overrides of
//! `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>`, which aws-config reads itself, over the
//! SDK's default HTTPS client and trust roots.

use std::time::Duration;

use aws_config::environment::EnvironmentVariableCredentialsProvider;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

use crate::config::env::non_empty;

/// Attempts per AWS call, the first one included. The hooks bound every call by their own
/// deadline as well, so retries never outlive the invocation.
pub const MAX_ATTEMPTS: u32 = 6;

/// What the environment already settles, so aws-config need not build its default chains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FromEnvironment {
    /// `AWS_REGION`, when set (Lambda always sets it).
    pub region: Option<String>,
    /// `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` are both set (Lambda always sets them,
    /// from the execution role, with `AWS_SESSION_TOKEN`).
    pub credentials: bool,
}

impl FromEnvironment {
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let set = |name: &str| non_empty(&lookup, name);
        FromEnvironment {
            region: set("AWS_REGION"),
            credentials: set("AWS_ACCESS_KEY_ID").is_some() && set("AWS_SECRET_ACCESS_KEY").is_some(),
        }
    }
}

/// The SDK configuration. On Lambda the region and the execution role's keys are in the
/// environment; they are read from there directly, because aws-config's default region and
/// credentials chains build an STS and an IMDS client (endpoint rules, partition tables, HTTP
/// clients) on every cold start only to find what the environment holds. Elsewhere (a laptop
/// with profiles, a container with web identity) the default chains run as usual.
pub async fn load_sdk_config() -> SdkConfig {
    let known = FromEnvironment::from_lookup(|name| std::env::var(name).ok());
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(region) = known.region {
        loader = loader.region(Region::new(region));
    }
    if known.credentials {
        loader = loader.credentials_provider(EnvironmentVariableCredentialsProvider::new());
    }
    loader
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(MAX_ATTEMPTS)
                .with_initial_backoff(Duration::from_millis(100))
                .with_max_backoff(Duration::from_millis(1500)),
        )
        .timeout_config(TimeoutConfig::builder().connect_timeout(Duration::from_secs(3)).build())
        .load()
        .await
}

/// CodeDeploy and CloudWatch answer in well under a second: an attempt that hangs is cut after
/// this and retried, instead of eating the hook's reserve or budget.
pub const CONTROL_PLANE_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(3);

fn control_plane_timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3))
        .operation_attempt_timeout(CONTROL_PLANE_ATTEMPT_TIMEOUT)
        .build()
}

/// A CodeDeploy client with the control-plane attempt timeout.
pub fn codedeploy_client(sdk: &SdkConfig) -> aws_sdk_codedeploy::Client {
    aws_sdk_codedeploy::Client::from_conf(
        aws_sdk_codedeploy::config::Builder::from(sdk)
            .timeout_config(control_plane_timeouts())
            .build(),
    )
}

/// A CloudWatch client with the control-plane attempt timeout.
pub fn cloudwatch_client(sdk: &SdkConfig) -> aws_sdk_cloudwatch::Client {
    aws_sdk_cloudwatch::Client::from_conf(
        aws_sdk_cloudwatch::config::Builder::from(sdk)
            .timeout_config(control_plane_timeouts())
            .build(),
    )
}

/// An S3 client, for AppSpecs a revision keeps in S3. Path-style addressing where an endpoint
/// is configured (`AWS_ENDPOINT_URL`, a local stand-in has no per-bucket host names); virtual-host
/// style on AWS, as the SDK's default.
pub fn s3_client(sdk: &SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(sdk)
            .timeout_config(control_plane_timeouts())
            .force_path_style(sdk.endpoint_url().is_some())
            .build(),
    )
}

/// An Elastic Load Balancing (v2) client, for an ECS deployment's target groups.
pub fn elb_client(sdk: &SdkConfig) -> aws_sdk_elasticloadbalancingv2::Client {
    aws_sdk_elasticloadbalancingv2::Client::from_conf(
        aws_sdk_elasticloadbalancingv2::config::Builder::from(sdk)
            .timeout_config(control_plane_timeouts())
            .build(),
    )
}

/// A Systems Manager client with the control-plane attempt timeout, for settings documents.
pub fn ssm_client(sdk: &SdkConfig) -> aws_sdk_ssm::Client {
    aws_sdk_ssm::Client::from_conf(
        aws_sdk_ssm::config::Builder::from(sdk)
            .timeout_config(control_plane_timeouts())
            .build(),
    )
}

/// A Lambda client; invocations are bounded by each probe's `timeout_ms` and the hook's budget.
pub fn lambda_client(sdk: &SdkConfig) -> aws_sdk_lambda::Client {
    aws_sdk_lambda::Client::from_conf(aws_sdk_lambda::config::Builder::from(sdk).build())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::env;
    use aws_config::Region;
    use aws_sdk_codedeploy::config::Credentials;
    use aws_smithy_runtime_api::client::http::{
        HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
    };
    use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
    use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
    use aws_smithy_types::body::SdkBody;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// An endpoint that answers each request after the next of `delays` (the last one repeats):
    /// 503 to the first `failures` requests, then `{}`.
    #[derive(Debug, Clone)]
    struct Endpoint {
        delays: Vec<Duration>,
        failures: usize,
        seen: Arc<AtomicUsize>,
    }

    impl Endpoint {
        fn new(delays: &[u64], failures: usize) -> Self {
            Endpoint {
                delays: delays.iter().map(|s| Duration::from_secs(*s)).collect(),
                failures,
                seen: Arc::default(),
            }
        }

        fn requests(&self) -> usize {
            self.seen.load(Ordering::SeqCst)
        }
    }

    impl HttpConnector for Endpoint {
        fn call(&self, _: HttpRequest) -> HttpConnectorFuture {
            let n = self.seen.fetch_add(1, Ordering::SeqCst);
            let status: u16 = if n < self.failures { 503 } else { 200 };
            let delay = self.delays[n.min(self.delays.len() - 1)];
            HttpConnectorFuture::new(async move {
                tokio::time::sleep(delay).await;
                Ok(HttpResponse::new(status.try_into().unwrap(), SdkBody::from("{}")))
            })
        }
    }

    impl HttpClient for Endpoint {
        fn http_connector(&self, _: &HttpConnectorSettings, _: &RuntimeComponents) -> SharedHttpConnector {
            SharedHttpConnector::new(self.clone())
        }
    }

    fn sdk_over(endpoint: &Endpoint) -> SdkConfig {
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("eu-west-1"))
            .credentials_provider(aws_sdk_codedeploy::config::SharedCredentialsProvider::new(
                Credentials::for_tests(),
            ))
            .http_client(SharedHttpClient::new(endpoint.clone()))
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(3)
                    .with_initial_backoff(Duration::from_millis(1)),
            )
            .build()
    }

    async fn get_deployment(client: aws_sdk_codedeploy::Client) -> bool {
        client.get_deployment().deployment_id("d-1").send().await.is_ok()
    }

    #[tokio::test(start_paused = true)]
    async fn a_control_plane_attempt_that_hangs_is_cut_and_retried() {
        let hangs_once = Endpoint::new(&[3600, 0], 0);
        let started = tokio::time::Instant::now();
        assert!(get_deployment(codedeploy_client(&sdk_over(&hangs_once))).await);
        assert_eq!(hangs_once.requests(), 2);
        let took = started.elapsed();
        assert!(
            took >= CONTROL_PLANE_ATTEMPT_TIMEOUT && took < CONTROL_PLANE_ATTEMPT_TIMEOUT + Duration::from_secs(1),
            "{took:?}"
        );

        // CloudWatch the same: `{}` is no valid answer to ListTagsForResource, but two requests
        // were made, the first cut at the attempt timeout.
        let hangs_once = Endpoint::new(&[3600, 0], 0);
        let _ = cloudwatch_client(&sdk_over(&hangs_once))
            .list_tags_for_resource()
            .resource_arn("arn")
            .send()
            .await;
        assert_eq!(hangs_once.requests(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn server_errors_are_retried_with_the_configured_attempts() {
        let flaky = Endpoint::new(&[0], 2);
        assert!(get_deployment(codedeploy_client(&sdk_over(&flaky))).await);
        assert_eq!(flaky.requests(), 3);

        let down = Endpoint::new(&[0], usize::MAX);
        assert!(!get_deployment(codedeploy_client(&sdk_over(&down))).await);
        assert_eq!(down.requests(), 3, "max attempts, the first one included");
    }

    #[tokio::test(start_paused = true)]
    async fn a_lambda_invocation_is_not_cut_by_the_control_plane_timeout() {
        // A probe's own `timeout_ms` and the hook's budget bound an invocation, not the client.
        let slow = Endpoint::new(&[10], 0);
        let started = tokio::time::Instant::now();
        let _ = lambda_client(&sdk_over(&slow))
            .get_alias()
            .function_name("f")
            .name("live")
            .send()
            .await;
        assert_eq!(slow.requests(), 1);
        assert!(started.elapsed() >= Duration::from_secs(10));
    }

    #[test]
    fn lambdas_environment_settles_the_region_and_the_credentials() {
        let lambda = env(&[
            ("AWS_REGION", "eu-west-1"),
            ("AWS_ACCESS_KEY_ID", "ASIA…"),
            ("AWS_SECRET_ACCESS_KEY", "…"),
            ("AWS_SESSION_TOKEN", "…"),
        ]);
        assert_eq!(
            FromEnvironment::from_lookup(lambda),
            FromEnvironment {
                region: Some("eu-west-1".into()),
                credentials: true
            }
        );
    }

    #[test]
    fn anything_missing_is_left_to_the_default_chains() {
        let profile_only = env(&[("AWS_PROFILE", "dev")]);
        assert_eq!(
            FromEnvironment::from_lookup(profile_only),
            FromEnvironment {
                region: None,
                credentials: false
            }
        );
        let half = env(&[("AWS_REGION", " "), ("AWS_ACCESS_KEY_ID", "AKIA…")]);
        assert_eq!(
            FromEnvironment::from_lookup(half),
            FromEnvironment {
                region: None,
                credentials: false
            }
        );
    }
}
