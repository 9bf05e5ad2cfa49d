//! EventBridge schedule target (every minute): judges every in-flight Lambda canary of the account
//! and region on its complete minutes, and stops a deployment the minute the evidence of a
//! regression is strong enough (docs/canary-judge.md).

mod candidates;
mod config;
mod handler;
mod record;
mod settings;

use lambda_runtime::{Error, run, service_fn};
use shiftguard::adapters::{
    CloudWatchAdapter, CodeDeployAdapter, DeploymentLookup, EcsTargetGroups, LambdaAdapter, SsmAdapter,
    cloudwatch_client, codedeploy_client, elb_client, lambda_client, load_sdk_config, s3_client, ssm_client,
};
use shiftguard::config::env::FromEnv;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = config::CanaryJudgeConfig::from_env();
    let sdk = load_sdk_config().await;
    let codedeploy = codedeploy_client(&sdk);
    let deps = handler::Deps {
        codedeploy: CodeDeployAdapter::new(codedeploy.clone()),
        deployments: DeploymentLookup::new(codedeploy.clone(), s3_client(&sdk)),
        target_groups: EcsTargetGroups::new(codedeploy, elb_client(&sdk)),
        metrics: CloudWatchAdapter::new(cloudwatch_client(&sdk)),
        lambda: LambdaAdapter::new(lambda_client(&sdk)),
        store: SsmAdapter::new(ssm_client(&sdk)),
        environment: Box::new(|name| std::env::var(name).ok()),
        config,
    };
    run(service_fn(|event| handler::function_handler(&deps, event))).await
}
