//! EventBridge target for `CodeDeploy Deployment State-change Notification`: delivery metrics
//! (counts, durations, time to restore) as CloudWatch embedded-metric-format log lines.

mod config;
mod handler;

use lambda_runtime::{Error, run, service_fn};
use shiftguard::adapters::{CodeDeployAdapter, codedeploy_client, load_sdk_config};
use shiftguard::config::env::FromEnv;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = config::DeployEventsConfig::from_env();
    let sdk = load_sdk_config().await;
    let deps = handler::Deps {
        history: CodeDeployAdapter::new(codedeploy_client(&sdk)),
        config,
    };
    run(service_fn(|event| handler::function_handler(&deps, event))).await
}
