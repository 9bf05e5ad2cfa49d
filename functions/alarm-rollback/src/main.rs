//! EventBridge target for `CloudWatch Alarm State Change`: any alarm stops and rolls back the
//! deployment groups it guards, and keeps guarding for `BAKE_MINUTES` after success.

mod config;
mod handler;
mod rollback;

use lambda_runtime::{Error, run, service_fn};
use shiftguard::adapters::{
    CloudWatchAdapter, CodeDeployAdapter, DeploymentLookup, LambdaAdapter, cloudwatch_client, codedeploy_client,
    lambda_client, load_sdk_config, s3_client,
};
use shiftguard::config::env::FromEnv;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = config::AlarmRollbackConfig::from_env();
    let sdk = load_sdk_config().await;
    let codedeploy = codedeploy_client(&sdk);
    let deps = handler::Deps {
        control: CodeDeployAdapter::new(codedeploy.clone()),
        deployments: DeploymentLookup::new(codedeploy, s3_client(&sdk)),
        tags: CloudWatchAdapter::new(cloudwatch_client(&sdk)),
        aliases: LambdaAdapter::new(lambda_client(&sdk)),
        config,
    };
    run(service_fn(|event| handler::function_handler(&deps, event))).await
}
