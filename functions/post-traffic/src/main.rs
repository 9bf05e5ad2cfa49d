//! AfterAllowTraffic hook: judges the new version on real traffic, against the old one with the
//! canary judge's final look on the whole shift's per-minute series, and against its thresholds.

mod config;
mod handler;

use lambda_runtime::{Error, run, service_fn};
use shiftguard::adapters::{
    CloudWatchAdapter, CodeDeployAdapter, DeploymentLookup, EcsTargetGroups, SsmAdapter, cloudwatch_client,
    codedeploy_client, elb_client, load_sdk_config, s3_client, ssm_client,
};
use shiftguard::hook::runner::HookDeps;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let sdk = load_sdk_config().await;
    let codedeploy = codedeploy_client(&sdk);
    let deps = handler::Deps {
        hook: HookDeps {
            reporter: CodeDeployAdapter::new(codedeploy.clone()),
            deployments: DeploymentLookup::new(codedeploy.clone(), s3_client(&sdk)),
            store: SsmAdapter::new(ssm_client(&sdk)),
            environment: Box::new(|name| std::env::var(name).ok()),
        },
        target_groups: EcsTargetGroups::new(codedeploy, elb_client(&sdk)),
        metrics: CloudWatchAdapter::new(cloudwatch_client(&sdk)),
        now: std::time::SystemTime::now,
    };
    run(service_fn(|event| handler::function_handler(&deps, event))).await
}
