//! An ECS deployment's target groups: which one the replacement (green) task set is behind, as
//! CloudWatch's `TargetGroup` dimension names it.
//!
//! CodeDeploy lists an ECS deployment's target (`cluster:service`) with its task sets, each
//! labelled `Blue` (original) or `Green` (replacement) with the name of its target group
//! (`ListDeploymentTargets`, `BatchGetDeploymentTargets`; `ECSTaskSet.taskSetLabel`: "the
//! original target (BLUE) or a replacement target (GREEN)", botocore
//! `codedeploy/2014-10-06/service-2.json`). Elastic Load Balancing turns the names into ARNs
//! (`DescribeTargetGroups`), whose last part is the dimension value: "targetgroup/
//! target-group-name/1234567890123456 (the final portion of the target group ARN)"
//! (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html>).

use aws_sdk_codedeploy::types::TargetLabel;

use super::error::aws_error;
use crate::gate::metric_checks::TargetGroups;
use crate::ports::{TargetGroupError, TargetGroupReader};

/// `BatchGetDeploymentTargets` takes at most this many target ids per call.
const BATCH: usize = 25;

#[derive(Debug, Clone)]
pub struct EcsTargetGroups {
    codedeploy: aws_sdk_codedeploy::Client,
    elb: aws_sdk_elasticloadbalancingv2::Client,
}

impl EcsTargetGroups {
    pub fn new(codedeploy: aws_sdk_codedeploy::Client, elb: aws_sdk_elasticloadbalancingv2::Client) -> Self {
        EcsTargetGroups { codedeploy, elb }
    }

    /// The names of the target groups of the Green and the Blue task sets.
    async fn names(&self, deployment_id: &str) -> Result<(String, Option<String>), TargetGroupError> {
        let mut ids = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .codedeploy
                .list_deployment_targets()
                .deployment_id(deployment_id)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| aws_error(format!("ListDeploymentTargets {deployment_id}"), &e))?;
            ids.extend(page.target_ids.unwrap_or_default());
            match page.next_token.filter(|t| !t.is_empty()) {
                Some(t) => token = Some(t),
                None => break,
            }
        }
        let (mut green, mut blue) = (None, None);
        for chunk in ids.chunks(BATCH) {
            let out = self
                .codedeploy
                .batch_get_deployment_targets()
                .deployment_id(deployment_id)
                .set_target_ids(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(|e| aws_error(format!("BatchGetDeploymentTargets {deployment_id}"), &e))?;
            let task_sets = out
                .deployment_targets()
                .iter()
                .filter_map(|t| t.ecs_target())
                .flat_map(|t| t.task_sets_info());
            for set in task_sets {
                let name = set.target_group().and_then(|g| g.name()).map(str::to_string);
                match set.task_set_label() {
                    Some(TargetLabel::Green) => green = green.or(name),
                    Some(TargetLabel::Blue) => blue = blue.or(name),
                    _ => {}
                }
            }
        }
        let green = green.ok_or_else(|| TargetGroupError::NoReplacement(deployment_id.to_string()))?;
        Ok((green, blue))
    }
}

/// `arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID` → `targetgroup/NAME/ID`.
fn dimension_of(arn: &str) -> Option<&str> {
    arn.splitn(6, ':').nth(5).filter(|r| r.starts_with("targetgroup/"))
}

/// `arn:aws:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/app/NAME/ID` → `app/NAME/ID`: "The
/// value is app/load-balancer-name/1234567890123456 (the final portion of the load balancer ARN)"
/// (`LoadBalancer` in <https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html>).
fn load_balancer_dimension_of(arn: &str) -> Option<&str> {
    arn.splitn(6, ':').nth(5).and_then(|r| r.strip_prefix("loadbalancer/"))
}

impl TargetGroupReader for EcsTargetGroups {
    async fn target_groups(&self, deployment_id: &str) -> Result<TargetGroups, TargetGroupError> {
        let (green, blue) = self.names(deployment_id).await?;
        let out = self
            .elb
            .describe_target_groups()
            .set_names(Some(std::iter::once(green.clone()).chain(blue.clone()).collect()))
            .send()
            .await
            .map_err(|e| aws_error(format!("DescribeTargetGroups {green}"), &e))?;
        let dimension = |name: &str| {
            out.target_groups()
                .iter()
                .find(|g| g.target_group_name() == Some(name))
                .and_then(|g| g.target_group_arn())
                .and_then(dimension_of)
                .map(str::to_string)
                .ok_or_else(|| TargetGroupError::Unknown(name.to_string()))
        };
        let load_balancer = out
            .target_groups()
            .iter()
            .find(|g| g.target_group_name() == Some(green.as_str()))
            .and_then(|g| g.load_balancer_arns().first())
            .and_then(|arn| load_balancer_dimension_of(arn))
            .map(str::to_string);
        Ok(TargetGroups {
            replacement: dimension(&green)?,
            original: blue.as_deref().map(dimension).transpose()?,
            load_balancer,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};

    fn answer(body: &'static str) -> aws_smithy_runtime_api::http::Response {
        aws_smithy_runtime_api::http::Response::new(
            aws_smithy_runtime_api::http::StatusCode::try_from(200).unwrap(),
            aws_smithy_types::body::SdkBody::from(body),
        )
    }

    /// ListDeploymentTargets and BatchGetDeploymentTargets for an ECS deployment, shaped as the
    /// API reference's ECSTarget and ECSTaskSet
    /// (<https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_ECSTaskSet.html>).
    const TARGETS: &str = r#"{"targetIds":["web-cluster:web"]}"#;
    const ECS_TARGET: &str = r#"{"deploymentTargets":[{"deploymentTargetType":"ECSTarget","ecsTarget":{
        "deploymentId":"d-ECS000001","targetId":"web-cluster:web","status":"InProgress",
        "taskSetsInfo":[
          {"identifer":"ecs-svc/1111","desiredCount":2,"pendingCount":0,"runningCount":2,"status":"PRIMARY",
           "trafficWeight":100.0,"targetGroup":{"name":"web-tg-2"},"taskSetLabel":"Blue"},
          {"identifer":"ecs-svc/2222","desiredCount":2,"pendingCount":0,"runningCount":2,"status":"ACTIVE",
           "trafficWeight":0.0,"targetGroup":{"name":"web-tg-1"},"taskSetLabel":"Green"}]}}]}"#;

    /// DescribeTargetGroups answers in XML (awsQuery), as in its API reference example
    /// (<https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeTargetGroups.html>).
    const GROUPS: &str = r#"<DescribeTargetGroupsResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/">
      <DescribeTargetGroupsResult><TargetGroups>
        <member><TargetGroupArn>arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/web-tg-1/73e2d6bc24d8a067</TargetGroupArn><TargetGroupName>web-tg-1</TargetGroupName>
          <LoadBalancerArns><member>arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/app/my-load-balancer/50dc6c495c0c9188</member></LoadBalancerArns></member>
        <member><TargetGroupArn>arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/web-tg-2/2453ed029918f21f</TargetGroupArn><TargetGroupName>web-tg-2</TargetGroupName></member>
      </TargetGroups></DescribeTargetGroupsResult>
      <ResponseMetadata><RequestId>70092c0e-f3a9-11e5-ae48-cff02092876b</RequestId></ResponseMetadata>
    </DescribeTargetGroupsResponse>"#;

    fn reader(cd: &[&Rule], elb: &[&Rule]) -> EcsTargetGroups {
        EcsTargetGroups::new(
            mock_client!(aws_sdk_codedeploy, RuleMode::MatchAny, cd),
            mock_client!(aws_sdk_elasticloadbalancingv2, RuleMode::MatchAny, elb),
        )
    }

    #[tokio::test]
    async fn the_green_task_sets_group_is_the_replacement() {
        let list = mock!(aws_sdk_codedeploy::Client::list_deployment_targets)
            .match_requests(|r| r.deployment_id() == Some("d-ECS000001"))
            .then_http_response(|| answer(TARGETS));
        let batch = mock!(aws_sdk_codedeploy::Client::batch_get_deployment_targets)
            .match_requests(|r| r.target_ids() == ["web-cluster:web"])
            .then_http_response(|| answer(ECS_TARGET));
        let groups = mock!(aws_sdk_elasticloadbalancingv2::Client::describe_target_groups)
            .match_requests(|r| r.names() == ["web-tg-1", "web-tg-2"])
            .then_http_response(|| answer(GROUPS));
        let found = reader(&[&list, &batch], &[&groups])
            .target_groups("d-ECS000001")
            .await
            .unwrap();
        assert_eq!(
            found,
            TargetGroups {
                replacement: "targetgroup/web-tg-1/73e2d6bc24d8a067".into(),
                original: Some("targetgroup/web-tg-2/2453ed029918f21f".into()),
                load_balancer: Some("app/my-load-balancer/50dc6c495c0c9188".into()),
            }
        );
    }

    #[tokio::test]
    async fn a_deployment_without_a_green_task_set_is_named() {
        let list = mock!(aws_sdk_codedeploy::Client::list_deployment_targets).then_http_response(|| answer(r#"{}"#));
        let err = reader(&[&list], &[]).target_groups("d-1").await.unwrap_err();
        assert_eq!(err, TargetGroupError::NoReplacement("d-1".into()));
    }

    #[test]
    fn the_dimension_is_the_last_part_of_the_arn() {
        assert_eq!(
            dimension_of("arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067"),
            Some("targetgroup/my-targets/73e2d6bc24d8a067")
        );
        assert_eq!(
            dimension_of("arn:aws:elasticloadbalancing:us-west-2:1:loadbalancer/app/x/1"),
            None
        );
        assert_eq!(
            load_balancer_dimension_of("arn:aws:elasticloadbalancing:us-west-2:1:loadbalancer/app/x/1"),
            Some("app/x/1")
        );
    }
}
