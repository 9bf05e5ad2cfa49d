//! EventBridge target for `CloudWatch Alarm State Change`: any alarm stops and rolls back the
//! deployment groups it guards, and keeps guarding for `BAKE_MINUTES` after success.

mod config;
mod handler;
mod rollback;

use lambda_runtime::{Error, run, service_fn};
use shiftguard::aws::{CloudWatchAdapter, CodeDeployAdapter, LambdaAdapter, load_sdk_config};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = config::AlarmRollbackConfig::from_env();
    let sdk = load_sdk_config().await;
    let codedeploy = CodeDeployAdapter::new(aws_sdk_codedeploy::Client::new(&sdk));
    let deps = handler::Deps {
        control: codedeploy.clone(),
        deployments: codedeploy,
        tags: CloudWatchAdapter::new(aws_sdk_cloudwatch::Client::new(&sdk)),
        aliases: LambdaAdapter::new(aws_sdk_lambda::Client::new(&sdk)),
        config,
    };
    run(service_fn(|event| handler::function_handler(&deps, event))).await
}
