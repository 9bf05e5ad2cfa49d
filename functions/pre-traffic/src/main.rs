//! BeforeAllowTraffic hook: smoke-tests the new version before users reach it.

mod config;
mod handler;

use lambda_runtime::{Error, run, service_fn};
use shiftguard::adapters::http_probe::ReqwestSender;
use shiftguard::adapters::{
    CodeDeployAdapter, DeploymentLookup, LambdaAdapter, SsmAdapter, codedeploy_client, lambda_client, load_sdk_config,
    s3_client, ssm_client,
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
            deployments: DeploymentLookup::new(codedeploy, s3_client(&sdk)),
            store: SsmAdapter::new(ssm_client(&sdk)),
            environment: Box::new(|name| std::env::var(name).ok()),
        },
        invoker: LambdaAdapter::new(lambda_client(&sdk)),
        http: ReqwestSender::new(),
    };
    run(service_fn(|event| handler::function_handler(&deps, event))).await
}
