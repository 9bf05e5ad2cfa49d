//! Setting up deployments in the local stand-in through the real AWS APIs.

use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};

use aws_sdk_codedeploy::operation::create_deployment_group::builders::CreateDeploymentGroupFluentBuilder;
use aws_sdk_codedeploy::types::{
    AppSpecContent, ComputePlatform, DeploymentOption, DeploymentStyle, DeploymentType, RevisionLocation,
    RevisionLocationType,
};
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{FunctionCode, Runtime};
use serde_json::{Value, json};
use shiftguard::target::guard::{GUARD_TAG, GUARD_VALUE};

use crate::binaries::workspace_root;
use crate::local_aws::LocalAws;

/// The role the launcher creates for test functions.
pub const FUNCTION_ROLE: &str = "arn:aws:iam::123456789012:role/shiftguard-e2e";

pub struct Aws {
    pub lambda: aws_sdk_lambda::Client,
    pub codedeploy: aws_sdk_codedeploy::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub elb: aws_sdk_elasticloadbalancingv2::Client,
    /// Path-style addressing: moto serves every bucket under the one endpoint.
    pub s3: aws_sdk_s3::Client,
    /// Parameter Store, for settings documents.
    pub ssm: aws_sdk_ssm::Client,
}

impl Aws {
    pub async fn new(local: &LocalAws) -> Aws {
        let config = local.sdk_config().await;
        Aws {
            lambda: aws_sdk_lambda::Client::new(&config),
            codedeploy: aws_sdk_codedeploy::Client::new(&config),
            cloudwatch: aws_sdk_cloudwatch::Client::new(&config),
            elb: aws_sdk_elasticloadbalancingv2::Client::new(&config),
            ssm: aws_sdk_ssm::Client::new(&config),
            s3: aws_sdk_s3::Client::from_conf(
                aws_sdk_s3::config::Builder::from(&config)
                    .force_path_style(true)
                    .build(),
            ),
        }
    }

    /// GetDeployment's `deploymentInfo` of `id`.
    pub async fn deployment_info(&self, id: &str) -> aws_sdk_codedeploy::types::DeploymentInfo {
        self.codedeploy
            .get_deployment()
            .deployment_id(id)
            .send()
            .await
            .expect("GetDeployment")
            .deployment_info
            .unwrap_or_else(|| panic!("GetDeployment of {id} without deploymentInfo"))
    }
}

/// A name no other test in this run uses.
pub fn unique(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    )
}

/// A zip holding `index.py`.
pub fn python_zip(source: &str) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        zip.start_file("index.py", opts).expect("a zip entry");
        zip.write_all(source.as_bytes()).expect("zip content");
        zip.finish().expect("a finished zip");
    }
    buf.into_inner()
}

/// Creates a Python function tagged `shiftguard:guarded = true`, as a guarded application's is,
/// and publishes one version per source; returns the version numbers.
pub async fn python_function(aws: &Aws, name: &str, versions: &[&str], timeout_s: i32) -> Vec<String> {
    python_function_tagged(aws, name, versions, timeout_s, &[(GUARD_TAG, GUARD_VALUE)]).await
}

/// [`python_function`] with these tags instead of shiftguard's guard tag.
pub async fn python_function_tagged(
    aws: &Aws,
    name: &str,
    versions: &[&str],
    timeout_s: i32,
    tags: &[(&str, &str)],
) -> Vec<String> {
    let mut published = Vec::new();
    for (i, source) in versions.iter().enumerate() {
        if i == 0 {
            aws.lambda
                .create_function()
                .function_name(name)
                .runtime(Runtime::Python312)
                .role(FUNCTION_ROLE)
                .handler("index.handler")
                .timeout(timeout_s)
                .set_tags(Some(tags.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()))
                .code(FunctionCode::builder().zip_file(Blob::new(python_zip(source))).build())
                .send()
                .await
                .expect("CreateFunction");
        } else {
            aws.lambda
                .update_function_code()
                .function_name(name)
                .zip_file(Blob::new(python_zip(source)))
                .send()
                .await
                .expect("UpdateFunctionCode");
        }
        let v = aws
            .lambda
            .publish_version()
            .function_name(name)
            .send()
            .await
            .expect("PublishVersion");
        published.push(v.version.expect("a version number"));
    }
    published
}

/// A new application with one blue/green deployment group `<app>-dg`; returns the application.
pub async fn application(aws: &Aws, platform: ComputePlatform) -> String {
    application_with(aws, platform, |group| group).await
}

/// A new application with one blue/green deployment group `<app>-dg`, which `group` may add to;
/// returns the application.
async fn application_with(
    aws: &Aws,
    platform: ComputePlatform,
    group: impl FnOnce(CreateDeploymentGroupFluentBuilder) -> CreateDeploymentGroupFluentBuilder,
) -> String {
    let app = unique("app");
    aws.codedeploy
        .create_application()
        .application_name(&app)
        .compute_platform(platform)
        .send()
        .await
        .expect("CreateApplication");
    let blue_green = aws
        .codedeploy
        .create_deployment_group()
        .application_name(&app)
        .deployment_group_name(format!("{app}-dg"))
        .service_role_arn("arn:aws:iam::123456789012:role/codedeploy")
        .deployment_style(
            DeploymentStyle::builder()
                .deployment_type(DeploymentType::BlueGreen)
                .deployment_option(DeploymentOption::WithTrafficControl)
                .build(),
        );
    group(blue_green).send().await.expect("CreateDeploymentGroup");
    app
}

/// Creates a deployment whose revision is `appspec`; returns its id.
pub async fn deployment(aws: &Aws, platform: ComputePlatform, appspec: &str) -> String {
    let app = application(aws, platform).await;
    deployment_in(aws, &app, appspec).await
}

/// Writes a settings document (a String parameter, replacing any earlier one).
pub async fn settings_document(aws: &Aws, name: &str, text: &str) {
    aws.ssm
        .put_parameter()
        .name(name)
        .value(text)
        .r#type(aws_sdk_ssm::types::ParameterType::String)
        .overwrite(true)
        .send()
        .await
        .expect("PutParameter");
}

/// The application a deployment belongs to (its group is `<application>-dg`).
pub async fn application_of(aws: &Aws, deployment_id: &str) -> String {
    aws.deployment_info(deployment_id)
        .await
        .application_name
        .expect("an application name")
}

/// Creates a deployment in the group `<app>-dg` of an existing application.
pub async fn deployment_in(aws: &Aws, app: &str, appspec: &str) -> String {
    let revision = RevisionLocation::builder()
        .revision_type(RevisionLocationType::AppSpecContent)
        .app_spec_content(AppSpecContent::builder().content(appspec).build())
        .build();
    deployment_of_revision(aws, app, revision).await
}

/// Creates a deployment of `revision` in the group `<app>-dg` of an existing application.
pub async fn deployment_of_revision(aws: &Aws, app: &str, revision: RevisionLocation) -> String {
    aws.codedeploy
        .create_deployment()
        .application_name(app)
        .deployment_group_name(format!("{app}-dg"))
        .revision(revision)
        .send()
        .await
        .expect("CreateDeployment")
        .deployment_id
        .expect("a deployment id")
}

/// An object written to S3: where it is, and what S3 said of it.
#[derive(Debug, Clone)]
pub struct S3Object {
    pub bucket: String,
    pub key: String,
    /// The version id, where the bucket is versioned.
    pub version: Option<String>,
    /// The ETag without its quotes, as CodeDeploy's `S3Location.eTag` holds it.
    pub etag: String,
}

/// A new bucket (versioned if asked) for AppSpec objects.
pub async fn bucket(aws: &Aws, versioned: bool) -> String {
    use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
    let name = unique("appspecs");
    aws.s3.create_bucket().bucket(&name).send().await.expect("CreateBucket");
    if versioned {
        aws.s3
            .put_bucket_versioning()
            .bucket(&name)
            .versioning_configuration(
                VersioningConfiguration::builder()
                    .status(BucketVersioningStatus::Enabled)
                    .build(),
            )
            .send()
            .await
            .expect("PutBucketVersioning");
    }
    name
}

/// Writes `content` to `bucket`/`key`.
pub async fn put_object(aws: &Aws, bucket: &str, key: &str, content: &str) -> S3Object {
    let out = aws
        .s3
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(aws_sdk_s3::primitives::ByteStream::from(content.as_bytes().to_vec()))
        .send()
        .await
        .expect("PutObject");
    S3Object {
        bucket: bucket.to_string(),
        key: key.to_string(),
        version: out.version_id,
        etag: out.e_tag.unwrap_or_default().trim_matches('"').to_string(),
    }
}

/// A revision of type S3 (`revisionType: S3`, `s3Location`), as `aws deploy create-deployment
/// --s3-location` makes it; `bundle_type` YAML or JSON for an AppSpec, and the object's version
/// and ETag where `pinned`.
pub fn s3_revision(
    object: &S3Object,
    bundle_type: aws_sdk_codedeploy::types::BundleType,
    pinned: bool,
) -> RevisionLocation {
    let mut location = aws_sdk_codedeploy::types::S3Location::builder()
        .bucket(&object.bucket)
        .key(&object.key)
        .bundle_type(bundle_type);
    if pinned {
        location = location.set_version(object.version.clone()).e_tag(&object.etag);
    }
    RevisionLocation::builder()
        .revision_type(RevisionLocationType::S3)
        .s3_location(location.build())
        .build()
}

/// The AppSpec SAM writes for a Lambda deployment of `function` from `current` to `target`.
pub fn lambda_appspec(function: &str, current: &str, target: &str) -> String {
    format!(
        "version: 0.0\nResources:\n  - fn:\n      Type: AWS::Lambda::Function\n      Properties:\n        Name: {function}\n        Alias: live\n        CurrentVersion: \"{current}\"\n        TargetVersion: \"{target}\"\n"
    )
}

/// The same AppSpec with the keys spelled as in AWS's own template for Lambda ("AppSpec
/// 'resources' section for AWS Lambda deployments",
/// https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-resources.html):
/// `resources`, `type`, `properties`, `name`, `alias`, `currentversion`, `targetversion`.
pub fn lambda_appspec_lowercase(function: &str, current: &str, target: &str) -> String {
    format!(
        "version: 0.0\nresources:\n  - fn:\n      type: \"AWS::Lambda::Function\"\n      properties:\n        name: {function}\n        alias: live\n        currentversion: \"{current}\"\n        targetversion: \"{target}\"\n"
    )
}

/// A Lambda deployment of `function` from `current` to `target` through alias `live`.
pub async fn lambda_deployment(aws: &Aws, function: &str, current: &str, target: &str) -> String {
    deployment(aws, ComputePlatform::Lambda, &lambda_appspec(function, current, target)).await
}

/// An ECS deployment (the AppSpec in JSON, as the ECS console writes it).
pub async fn ecs_deployment(aws: &Aws) -> String {
    deployment(aws, ComputePlatform::Ecs, &ecs_appspec()).await
}

/// Creates an Application Load Balancer target group for an ECS service's tasks (target type
/// `ip`, as `awsvpc` tasks register) in `vpc`; returns its ARN.
pub async fn target_group(aws: &Aws, name: &str, vpc: &str) -> String {
    use aws_sdk_elasticloadbalancingv2::types::{ProtocolEnum, TargetTypeEnum};
    aws.elb
        .create_target_group()
        .name(name)
        .protocol(ProtocolEnum::Http)
        .port(8080)
        .vpc_id(vpc)
        .target_type(TargetTypeEnum::Ip)
        .send()
        .await
        .expect("CreateTargetGroup")
        .target_groups()
        .first()
        .and_then(|g| g.target_group_arn())
        .expect("a target group ARN")
        .to_string()
}

/// CloudWatch's `TargetGroup` dimension for a target group: the last part of its ARN,
/// `targetgroup/NAME/ID`.
pub fn target_group_dimension(arn: &str) -> String {
    arn.split_once(":targetgroup/")
        .map(|(_, rest)| format!("targetgroup/{rest}"))
        .unwrap_or_else(|| panic!("{arn} is not a target group ARN"))
}

/// A new ECS application with a blue/green deployment group `<app>-dg` for the service
/// `web` in the cluster `web-cluster`, behind the pair of target groups `target_groups` (by
/// name, as `loadBalancerInfo.targetGroupPairInfoList` takes them); returns the application.
pub async fn ecs_application(aws: &Aws, target_groups: [&str; 2]) -> String {
    use aws_sdk_codedeploy::types::{EcsService, LoadBalancerInfo, TargetGroupInfo, TargetGroupPairInfo, TrafficRoute};
    let pair = TargetGroupPairInfo::builder()
        .set_target_groups(Some(
            target_groups
                .iter()
                .map(|name| TargetGroupInfo::builder().name(*name).build())
                .collect(),
        ))
        .prod_traffic_route(
            TrafficRoute::builder()
                .listener_arns(
                    "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/0123456789abcdef/0123456789abcdef",
                )
                .build(),
        )
        .build();
    application_with(aws, ComputePlatform::Ecs, |group| {
        group
            .ecs_services(
                EcsService::builder()
                    .cluster_name("web-cluster")
                    .service_name("web")
                    .build(),
            )
            .load_balancer_info(LoadBalancerInfo::builder().target_group_pair_info_list(pair).build())
    })
    .await
}

/// The AppSpec of an ECS deployment (in JSON, as the ECS console writes it).
pub fn ecs_appspec() -> String {
    json!({"version": 0.0, "Resources": [{"TargetService": {"Type": "AWS::ECS::Service", "Properties": {
        "TaskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3",
        "LoadBalancerInfo": {"ContainerName": "web", "ContainerPort": 8080}}}}]})
    .to_string()
}

/// One of the events in `shared/tests/fixtures`, as AWS documents them.
fn fixture(name: &str) -> Value {
    let path = workspace_root().join("shared/tests/fixtures").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The event CodeDeploy sends a hook, for this deployment and a fresh hook execution.
pub fn hook_event(deployment_id: &str) -> Value {
    let mut event = fixture("lifecycle-event.json");
    event["DeploymentId"] = deployment_id.into();
    event["LifecycleEventHookExecutionId"] = unique("hook-execution").into();
    event
}

/// Writes datapoints of `namespace` with exactly the dimension set `dimensions`, stamped now.
pub async fn put_metrics(aws: &Aws, namespace: &str, dimensions: &[(&str, &str)], values: &[(&str, f64)]) {
    put_metrics_at(aws, namespace, dimensions, values, std::time::SystemTime::now()).await;
}

/// Writes datapoints of `namespace` with exactly the dimension set `dimensions`, stamped `at`.
pub async fn put_metrics_at(
    aws: &Aws,
    namespace: &str,
    dimensions: &[(&str, &str)],
    values: &[(&str, f64)],
    at: std::time::SystemTime,
) {
    use aws_sdk_cloudwatch::types::{Dimension, MetricDatum};
    let dims: Vec<Dimension> = dimensions
        .iter()
        .map(|(n, v)| Dimension::builder().name(*n).value(*v).build())
        .collect();
    let now = aws_sdk_cloudwatch::primitives::DateTime::from(at);
    let data: Vec<MetricDatum> = values
        .iter()
        .map(|(metric, value)| {
            MetricDatum::builder()
                .metric_name(*metric)
                .set_dimensions(Some(dims.clone()))
                .value(*value)
                .timestamp(now)
                .build()
        })
        .collect();
    aws.cloudwatch
        .put_metric_data()
        .namespace(namespace)
        .set_metric_data(Some(data))
        .send()
        .await
        .expect("PutMetricData");
}

/// Writes Duration samples (ms) as Values/Counts.
pub async fn put_samples(
    aws: &Aws,
    namespace: &str,
    dimensions: &[(&str, &str)],
    metric: &str,
    samples: &[(f64, f64)],
) {
    use aws_sdk_cloudwatch::types::{Dimension, MetricDatum};
    let dims: Vec<Dimension> = dimensions
        .iter()
        .map(|(n, v)| Dimension::builder().name(*n).value(*v).build())
        .collect();
    let datum = MetricDatum::builder()
        .metric_name(metric)
        .set_dimensions(Some(dims))
        .set_values(Some(samples.iter().map(|(v, _)| *v).collect()))
        .set_counts(Some(samples.iter().map(|(_, c)| *c).collect()))
        .timestamp(aws_sdk_cloudwatch::primitives::DateTime::from(
            std::time::SystemTime::now(),
        ))
        .build();
    aws.cloudwatch
        .put_metric_data()
        .namespace(namespace)
        .metric_data(datum)
        .send()
        .await
        .expect("PutMetricData");
}

/// The traffic one version of a function served through `alias`, as Lambda reports it:
/// `Invocations` and `Errors` with `{FunctionName, Resource = name:alias, ExecutedVersion}`.
pub async fn put_version_traffic(aws: &Aws, function: &str, alias: &str, version: &str, invocations: f64, errors: f64) {
    put_version_traffic_at(
        aws,
        function,
        alias,
        version,
        invocations,
        errors,
        std::time::SystemTime::now(),
    )
    .await;
}

/// [`put_version_traffic`] stamped `at`.
pub async fn put_version_traffic_at(
    aws: &Aws,
    function: &str,
    alias: &str,
    version: &str,
    invocations: f64,
    errors: f64,
    at: std::time::SystemTime,
) {
    let resource = format!("{function}:{alias}");
    let dims = [
        ("FunctionName", function),
        ("Resource", resource.as_str()),
        ("ExecutedVersion", version),
    ];
    put_metrics_at(
        aws,
        "AWS/Lambda",
        &dims,
        &[("Invocations", invocations), ("Errors", errors)],
        at,
    )
    .await;
}

/// An EventBridge `CloudWatch Alarm State Change` event: `alarm` went to `state`, now.
pub fn alarm_event(alarm: &str, state: &str) -> Value {
    let mut event = fixture("alarm-state-change.json");
    event["id"] = unique("event").into();
    event["time"] = now_rfc3339().into();
    event["resources"] = json!([alarm_arn(alarm)]);
    event["detail"]["alarmName"] = alarm.into();
    event["detail"]["state"]["value"] = state.into();
    event
}

/// Now, as EventBridge writes an event's `time`: alarm-rollback judges the bake window as of it.
fn now_rfc3339() -> String {
    aws_sdk_codedeploy::primitives::DateTime::from(std::time::SystemTime::now())
        .fmt(aws_sdk_codedeploy::primitives::DateTimeFormat::DateTime)
        .unwrap_or_default()
}

pub fn alarm_arn(alarm: &str) -> String {
    format!("arn:aws:cloudwatch:us-east-1:123456789012:alarm:{alarm}")
}

/// An EventBridge `CodeDeploy Deployment State-change Notification` event.
pub fn deployment_event(app: &str, group: &str, deployment_id: &str, state: &str) -> Value {
    let mut event = fixture("deployment-state-change.json");
    event["id"] = unique("event").into();
    event["resources"] = json!([
        format!("arn:aws:codedeploy:us-east-1:123456789012:application:{app}"),
        format!("arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:{app}/{group}"),
    ]);
    let detail = &mut event["detail"];
    detail["deploymentId"] = deployment_id.into();
    detail["deploymentGroup"] = group.into();
    detail["application"] = app.into();
    detail["state"] = state.into();
    event
}

/// An EventBridge `Scheduled Event` (the canary judge's tick), as AWS's example shows it:
/// <https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html>.
pub fn scheduled_event() -> Value {
    let mut event = fixture("scheduled-event.json");
    event["id"] = unique("event").into();
    event["time"] = now_rfc3339().into();
    event
}

/// The start of the minute a time is in, as the canary judge counts minutes.
pub use shiftguard::canary::per_minute::minute_start;

/// Per-minute counts of a canary in the `minutes.len()` whole minutes that end at `until` (a
/// minute's start; oldest first): `[new calls, new errors, old calls, old errors]`, stamped 10 s
/// into each minute, written as `calls` and `errors` of `namespace` under each version's dimension
/// set (a zero is not written: CloudWatch has no datapoint where nothing happened).
async fn put_minutes(
    aws: &Aws,
    namespace: &str,
    (calls, errors): (&str, &str),
    [new, old]: [&[(&str, &str)]; 2],
    until: std::time::SystemTime,
    minutes: &[[u64; 4]],
) {
    let n = minutes.len();
    let stamps = (0..n).map(|i| until - std::time::Duration::from_secs(60 * (n - i) as u64 - 10));
    for (at, counts) in stamps.zip(minutes) {
        for (dims, c, e) in [(new, counts[0], counts[1]), (old, counts[2], counts[3])] {
            let values: Vec<(&str, f64)> = [(calls, c), (errors, e)]
                .into_iter()
                .filter(|(_, v)| *v > 0)
                .map(|(m, v)| (m, v as f64))
                .collect();
            if !values.is_empty() {
                put_metrics_at(aws, namespace, dims, &values, at).await;
            }
        }
    }
}

/// The traffic versions `[new, old]` of `function` served through alias `live`, per minute, as
/// Lambda reports it (see `put_minutes`).
pub async fn put_canary_minutes(
    aws: &Aws,
    function: &str,
    [new, old]: [&str; 2],
    until: std::time::SystemTime,
    minutes: &[[u64; 4]],
) {
    let resource = format!("{function}:live");
    let dims = |version| {
        [
            ("FunctionName", function),
            ("Resource", resource.as_str()),
            ("ExecutedVersion", version),
        ]
    };
    let (new_dims, old_dims) = (dims(new), dims(old));
    let names = ("Invocations", "Errors");
    put_minutes(aws, "AWS/Lambda", names, [&new_dims, &old_dims], until, minutes).await;
}

/// The requests an ECS deployment's replacement and original target groups (CloudWatch's
/// `TargetGroup` values) served behind `load_balancer`, per minute, as the Application Load
/// Balancer reports them: `RequestCount` and `HTTPCode_Target_5XX_Count` under
/// `{TargetGroup, LoadBalancer}` (see `put_minutes`).
pub async fn put_target_group_minutes(
    aws: &Aws,
    load_balancer: &str,
    [replacement, original]: [&str; 2],
    until: std::time::SystemTime,
    minutes: &[[u64; 4]],
) {
    let dims = |group| [("TargetGroup", group), ("LoadBalancer", load_balancer)];
    let (new_dims, old_dims) = (dims(replacement), dims(original));
    let names = ("RequestCount", "HTTPCode_Target_5XX_Count");
    put_minutes(aws, "AWS/ApplicationELB", names, [&new_dims, &old_dims], until, minutes).await;
}

/// An Application Load Balancer in `subnets` whose listener forwards to `target_groups` (ARNs);
/// returns its `LoadBalancer` dimension (`app/NAME/ID`, the last part of its ARN).
pub async fn load_balancer(aws: &Aws, name: &str, subnets: &[String], target_groups: &[String]) -> String {
    use aws_sdk_elasticloadbalancingv2::types::{
        Action, ActionTypeEnum, ForwardActionConfig, LoadBalancerTypeEnum, ProtocolEnum, TargetGroupTuple,
    };
    let lb = aws
        .elb
        .create_load_balancer()
        .name(name)
        .r#type(LoadBalancerTypeEnum::Application)
        .set_subnets(Some(subnets.to_vec()))
        .send()
        .await
        .expect("CreateLoadBalancer");
    let arn = lb.load_balancers()[0].load_balancer_arn().expect("an ARN").to_string();
    let forward = ForwardActionConfig::builder()
        .set_target_groups(Some(
            target_groups
                .iter()
                .map(|tg| TargetGroupTuple::builder().target_group_arn(tg).weight(1).build())
                .collect(),
        ))
        .build();
    aws.elb
        .create_listener()
        .load_balancer_arn(&arn)
        .protocol(ProtocolEnum::Http)
        .port(80)
        .default_actions(
            Action::builder()
                .r#type(ActionTypeEnum::Forward)
                .forward_config(forward)
                .build(),
        )
        .send()
        .await
        .expect("CreateListener");
    arn.split_once(":loadbalancer/")
        .map(|(_, rest)| rest.to_string())
        .expect("a load balancer ARN")
}

/// A metric alarm named `name`, tagged with `tags`.
pub async fn tagged_alarm(aws: &Aws, name: &str, tags: &[(&str, &str)]) {
    use aws_sdk_cloudwatch::types::{ComparisonOperator, Statistic, Tag};
    aws.cloudwatch
        .put_metric_alarm()
        .alarm_name(name)
        .namespace("AWS/Lambda")
        .metric_name("Errors")
        .statistic(Statistic::Sum)
        .period(60)
        .evaluation_periods(1)
        .threshold(1.0)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .send()
        .await
        .expect("PutMetricAlarm");
    aws.cloudwatch
        .tag_resource()
        .resource_arn(alarm_arn(name))
        .set_tags(Some(
            tags.iter()
                .map(|(k, v)| Tag::builder().key(*k).value(*v).build())
                .collect(),
        ))
        .send()
        .await
        .expect("TagResource");
}
