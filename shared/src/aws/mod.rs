//! Thin adapters from the ports to the AWS SDK clients. No judgement happens here.

mod call_timer;
mod cloudwatch;
mod codedeploy;
mod error;
mod lambda;
mod sdk_config;
mod target_groups;
mod trust_roots;

pub use call_timer::CallTimer;
pub use cloudwatch::CloudWatchAdapter;
pub use codedeploy::{CodeDeployAdapter, DeploymentLookup};
pub use error::aws_error;
pub use lambda::LambdaAdapter;
pub use sdk_config::{cloudwatch_client, codedeploy_client, elb_client, lambda_client, load_sdk_config, s3_client};
pub use target_groups::EcsTargetGroups;
pub use trust_roots::{AMAZON_TRUST_ROOTS_PEM, TrustRoots, https_client};
