//! EventBridge target for `CodeDeploy Deployment State-change Notification`: delivery metrics
//! (counts, durations, time to restore) as CloudWatch embedded-metric-format log lines, and the
//! pruning of a Lambda function's old versions after its deployment succeeds.

mod config;
mod handler;
mod pruning;

use lambda_runtime::{Error, run, service_fn};
use shiftguard::adapters::{
    CodeDeployAdapter, DeploymentLookup, LambdaAdapter, codedeploy_client, lambda_client, load_sdk_config, s3_client,
};
use shiftguard::config::env::FromEnv;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = config::DeployEventsConfig::from_env();
    let sdk = load_sdk_config().await;
    let codedeploy = codedeploy_client(&sdk);
    let deps = handler::Deps {
        history: CodeDeployAdapter::new(codedeploy.clone()),
        deployments: DeploymentLookup::new(codedeploy, s3_client(&sdk)),
        versions: LambdaAdapter::new(lambda_client(&sdk)),
        config,
    };
    run(service_fn(|event| handler::function_handler(&deps, event))).await
}
