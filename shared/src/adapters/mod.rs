//! The ports implemented for the outside world: CodeDeploy, S3 (AppSpecs), Lambda, CloudWatch,
//! Systems Manager Parameter Store (settings documents),
//! Elastic Load Balancing (ECS target groups) through the AWS SDK, HTTP probes through reqwest,
//! and the SDK's configuration. Thin: no judgement happens here. Each is tested with
//! aws-smithy-mocks on AWS's published wire shapes.
//!
//! May use: `ports` and the plain types they carry, `deployment`.

mod cloudwatch;
mod codedeploy;
mod error;
mod function_versions;
pub mod http_probe;
mod lambda;
mod sdk_config;
mod ssm;
mod target_groups;

pub use cloudwatch::CloudWatchAdapter;
pub use codedeploy::{CodeDeployAdapter, DeploymentLookup};
pub use error::aws_error;
pub use lambda::LambdaAdapter;
pub use sdk_config::{
    cloudwatch_client, codedeploy_client, elb_client, lambda_client, load_sdk_config, s3_client, ssm_client,
};
pub use ssm::SsmAdapter;
pub use target_groups::EcsTargetGroups;
