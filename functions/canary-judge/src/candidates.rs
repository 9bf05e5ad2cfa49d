//! Which in-flight deployments the canary judge judges, and what it reads for each: the summary
//! (platform, creator), the group's opt-out tag, then for Lambda the deployment (its AppSpec names
//! the function, the alias and both versions) and the versions' timeout (when a minute is
//! complete), for ECS the two target groups and their load balancer. Everything else is left
//! with a record saying why.

use std::time::{Duration, SystemTime};

use shiftguard::canary::per_minute::{MinuteMetrics, Minutes, settle_after};
use shiftguard::deployment::ComputePlatform;
use shiftguard::gate::metric_plan::alias_versions;
use shiftguard::ports::{DeploymentReader, DeploymentSummary, FunctionConfigReader, GroupTagReader, TargetGroupReader};
use shiftguard::target::deployment_target::DeploymentTarget;
use shiftguard::target::overrides::TargetOverride;
use shiftguard::target::resolution::target_of;

use crate::record::{Decision, JudgedTarget, Record};

/// A deployment group tagged `shiftguard:canary-judge = off` is never judged minute by minute.
pub const OPT_OUT_TAG: &str = "shiftguard:canary-judge";

/// A deployment the judge reads the metrics of this tick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub deployment_id: String,
    pub application: String,
    pub deployment_group: String,
    /// `deploymentConfigName`, for the blind-canary warning (Lambda only).
    pub deployment_config: Option<String>,
    pub target: JudgedTarget,
    pub metrics: MinuteMetrics,
    pub minutes: Minutes,
    /// Where the group's tag said something other than `on` or `off`.
    pub warnings: Vec<String>,
}

/// The ports `find` reads through.
pub struct Readers<'a, D, T, L, G> {
    pub deployments: &'a D,
    pub tags: &'a T,
    pub lambda: &'a L,
    pub target_groups: &'a G,
}

/// The ARN of a deployment group in the account, region and partition of `function_arn` (the
/// judge's own, `arn:aws:lambda:us-east-1:123456789012:function:canary-judge`):
/// `arn:${Partition}:codedeploy:${Region}:${Account}:deploymentgroup:${ApplicationName}/${DeploymentGroupName}`
/// (Service Authorization Reference, "Actions, resources, and condition keys for AWS CodeDeploy",
/// <https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscodedeploy.html>).
pub fn group_arn(function_arn: &str, application: &str, group: &str) -> Option<String> {
    let parts: Vec<&str> = function_arn.split(':').collect();
    match parts.as_slice() {
        ["arn", partition, "lambda", region, account, ..] if !region.is_empty() && !account.is_empty() => Some(
            format!("arn:{partition}:codedeploy:{region}:{account}:deploymentgroup:{application}/{group}"),
        ),
        _ => None,
    }
}

/// What `BatchGetDeployments` already tells: a rollback or an EC2/on-premises deployment is left
/// alone (the record says why) before anything else is read (an EC2 revision may be a bundle
/// shiftguard does not read).
pub fn screen(summary: &DeploymentSummary) -> Option<Record> {
    let left = |reason: String| {
        Some(
            Record::left(&summary.deployment_id, Decision::Skipped, reason)
                .in_group(&summary.application, &summary.deployment_group),
        )
    };
    if summary.is_rollback() {
        return left(format!(
            "a rollback (creator {}) is never judged: it restores the version that served before",
            summary.creator.as_str()
        ));
    }
    if !matches!(summary.compute_platform, ComputePlatform::Lambda | ComputePlatform::Ecs) {
        return left(format!(
            "a {} deployment: the canary judge watches Lambda and ECS deployments",
            summary.compute_platform.as_str()
        ));
    }
    None
}

/// What is judged of one deployment, and how long after a minute ends it is complete.
struct Judged {
    target: JudgedTarget,
    metrics: MinuteMetrics,
    wait: Duration,
    deployment_config: Option<String>,
}

/// A deployment that passed [`screen`], judged or left with the reason.
pub async fn find<D, T, L, G>(
    readers: &Readers<'_, D, T, L, G>,
    summary: DeploymentSummary,
    function_arn: &str,
    now: SystemTime,
    settle: Duration,
) -> Result<Candidate, Record>
where
    D: DeploymentReader,
    T: GroupTagReader,
    L: FunctionConfigReader,
    G: TargetGroupReader,
{
    let id = summary.deployment_id.clone();
    let left = |decision, reason: String| {
        Record::left(&id, decision, reason).in_group(&summary.application, &summary.deployment_group)
    };
    let Some(arn) = group_arn(function_arn, &summary.application, &summary.deployment_group) else {
        return Err(left(
            Decision::Problem,
            format!("the judge's own ARN {function_arn:?} names no account and region to find the group's tags in"),
        ));
    };
    let group_tags = readers.tags.group_tags(&arn).await.map_err(|e| {
        left(
            Decision::Problem,
            format!("could not read the group's tags to honour {OPT_OUT_TAG}: {e}"),
        )
    })?;
    let mut warnings = Vec::new();
    match group_tags.get(OPT_OUT_TAG).map(|v| v.trim().to_ascii_lowercase()) {
        Some(v) if v == "off" => {
            return Err(left(
                Decision::Skipped,
                format!("the deployment group is tagged {OPT_OUT_TAG} = off"),
            ));
        }
        Some(v) if v != "on" => warnings.push(format!(
            "the group's tag {OPT_OUT_TAG} is {v:?}; only \"off\" turns the judge off, so it judges"
        )),
        _ => {}
    }
    let judged = match summary.compute_platform {
        ComputePlatform::Ecs => ecs(readers.target_groups, &id, settle).await,
        _ => lambda(readers.deployments, readers.lambda, &id, settle).await,
    }
    .map_err(|(decision, reason, target)| {
        let record = left(decision, reason);
        match target {
            Some(t) => record.with_target(t),
            None => record,
        }
    })?;
    let left = |decision, reason: String| left(decision, reason).with_target(judged.target.clone());
    let Some(created_at) = summary.created_at else {
        return Err(left(
            Decision::Problem,
            "the deployment has no createTime to count minutes from".into(),
        ));
    };
    let Some(minutes) = Minutes::complete(created_at, now, judged.wait) else {
        return Err(left(
            Decision::Waiting,
            format!(
                "no complete minute yet (a minute counts {} s after it ends)",
                judged.wait.as_secs()
            ),
        ));
    };
    Ok(Candidate {
        deployment_id: id,
        application: summary.application,
        deployment_group: summary.deployment_group,
        deployment_config: judged.deployment_config,
        target: judged.target,
        metrics: judged.metrics,
        minutes,
        warnings,
    })
}

/// Why a deployment is left: the decision, the reason, and the target where it is known.
type Left = (Decision, String, Option<JudgedTarget>);

/// A Lambda deployment: the AppSpec's function, alias and versions; a minute is complete once
/// the longer timeout of the two versions and `settle` have passed.
async fn lambda<D: DeploymentReader, L: FunctionConfigReader>(
    deployments: &D,
    functions: &L,
    id: &str,
    settle: Duration,
) -> Result<Judged, Left> {
    let info = deployments
        .deployment(id)
        .await
        .map_err(|e| (Decision::Problem, format!("could not read the deployment: {e}"), None))?;
    let target =
        target_of(id, &info, &TargetOverride::default()).map_err(|e| (Decision::Problem, e.to_string(), None))?;
    if !matches!(target, DeploymentTarget::Lambda(_)) {
        return Err((
            Decision::Problem,
            "the AppSpec of a Lambda deployment names no Lambda function".into(),
            None,
        ));
    }
    // The two versions as post-traffic's final look reads them.
    let Some(versions) = alias_versions(&target) else {
        return Err((
            Decision::Skipped,
            "the AppSpec names no alias, no CurrentVersion, or a CurrentVersion equal to the TargetVersion: there \
             is no old version serving beside the new one"
                .into(),
            None,
        ));
    };
    let target = JudgedTarget::lambda(&versions);
    // Lambda stamps a metric with the invocation's start and emits it when it ends.
    let (new_timeout, old_timeout) = futures_util::join!(
        functions.timeout(&versions.function, &versions.new),
        functions.timeout(&versions.function, &versions.old)
    );
    let timeout = match (new_timeout, old_timeout) {
        (Ok(a), Ok(b)) => a.max(b),
        (Err(e), _) | (_, Err(e)) => {
            return Err((
                Decision::Problem,
                format!("could not read the versions' timeout, which says when a minute is complete: {e}"),
                Some(target),
            ));
        }
    };
    Ok(Judged {
        metrics: MinuteMetrics::lambda(&versions),
        target,
        wait: settle_after(settle, timeout),
        deployment_config: Some(info.deployment_config),
    })
}

/// An ECS blue/green deployment: the replacement and original task sets' target groups behind
/// their load balancer. "Elastic Load Balancing measures and sends its metrics in 60-second
/// intervals" (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html>);
/// `settle` covers the publication.
async fn ecs<G: TargetGroupReader>(groups: &G, id: &str, settle: Duration) -> Result<Judged, Left> {
    let found = groups.target_groups(id).await.map_err(|e| {
        (
            Decision::Problem,
            format!("could not find the deployment's target groups: {e}"),
            None,
        )
    })?;
    let Some(original) = found.original.clone() else {
        return Err((
            Decision::Skipped,
            format!(
                "no original task set beside the replacement's {}: nothing to compare",
                found.replacement
            ),
            None,
        ));
    };
    let Some(load_balancer) = found.load_balancer.clone() else {
        return Err((
            Decision::Problem,
            format!(
                "the replacement target group {} is behind no load balancer (DescribeTargetGroups' LoadBalancerArns), \
                 whose metrics would say how its requests fared",
                found.replacement
            ),
            None,
        ));
    };
    // "app/…" is an Application Load Balancer (the LoadBalancer dimension is
    // "app/load-balancer-name/1234567890123456", same page); a Network Load Balancer ("net/…")
    // reports in AWS/NetworkELB, whose metrics have no HTTP 5XX count of its targets
    // (<https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-cloudwatch-metrics.html>).
    if !load_balancer.starts_with("app/") {
        return Err((
            Decision::Skipped,
            format!(
                "the target groups are behind {load_balancer}, not an Application Load Balancer: there is no \
                 HTTPCode_Target_5XX_Count to judge"
            ),
            None,
        ));
    }
    Ok(Judged {
        metrics: MinuteMetrics::target_groups(&load_balancer, &found.replacement, &original),
        target: JudgedTarget::Ecs {
            load_balancer,
            replacement_target_group: found.replacement,
            original_target_group: original,
        },
        wait: settle,
        deployment_config: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_group_arn_is_in_the_judges_account_region_and_partition() {
        assert_eq!(
            group_arn(
                "arn:aws:lambda:eu-west-1:123456789012:function:canary-judge",
                "orders",
                "live"
            )
            .as_deref(),
            Some("arn:aws:codedeploy:eu-west-1:123456789012:deploymentgroup:orders/live")
        );
        assert_eq!(
            group_arn("arn:aws-cn:lambda:cn-north-1:123456789012:function:j:live", "a", "g").as_deref(),
            Some("arn:aws-cn:codedeploy:cn-north-1:123456789012:deploymentgroup:a/g")
        );
        assert_eq!(group_arn("", "a", "g"), None);
        assert_eq!(group_arn("arn:aws:lambda:::function:x", "a", "g"), None);
    }
}
