//! One SDK configuration for every client: standard retries (throttling, 5xx and transient
//! errors, with exponential backoff and jitter) and the endpoint overrides of
//! `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>`, which aws-config reads itself.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};

/// Attempts per AWS call, the first one included. The hooks bound every call by their own
/// deadline as well, so retries never outlive the invocation.
pub const MAX_ATTEMPTS: u32 = 6;

pub async fn load_sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
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
