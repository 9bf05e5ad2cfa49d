//! One SDK configuration for every client: standard retries (throttling, 5xx and transient
//! errors, with exponential backoff and jitter) and the endpoint overrides of
//! `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>`, which aws-config reads itself, over the
//! SDK's HTTPS client trusting the roots of [`TrustRoots::from_process_env`].

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};

use super::trust_roots::{TrustRoots, https_client};

/// Attempts per AWS call, the first one included. The hooks bound every call by their own
/// deadline as well, so retries never outlive the invocation.
pub const MAX_ATTEMPTS: u32 = 6;

pub async fn load_sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(https_client(TrustRoots::from_process_env()))
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

/// A Lambda client; invocations are bounded by each probe's `timeout_ms` and the hook's budget.
pub fn lambda_client(sdk: &SdkConfig) -> aws_sdk_lambda::Client {
    aws_sdk_lambda::Client::new(sdk)
}
