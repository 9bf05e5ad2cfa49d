//! Which in-flight deployments the canary judge judges, and what it reads for each: the summary
//! (platform, creator), the deployment (its AppSpec names the function, the alias and both
//! versions), the group's opt-out tag, the versions' timeout (when a minute is complete), and its
//! complete minutes. Everything else is left with a record saying why.

use std::time::{Duration, SystemTime};

use shiftguard::canary::per_minute::{AliasVersions, Minutes, settle_after};
use shiftguard::deployment::ComputePlatform;
use shiftguard::ports::{DeploymentReader, DeploymentSummary, FunctionConfigReader, GroupTagReader};
use shiftguard::target::deployment_target::DeploymentTarget;
use shiftguard::target::overrides::TargetOverride;
use shiftguard::target::resolution::target_of;

use crate::record::{Decision, Record};

/// A deployment group tagged `shiftguard:canary-judge = off` is never judged minute by minute.
pub const OPT_OUT_TAG: &str = "shiftguard:canary-judge";

/// A deployment the judge reads the metrics of this tick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub deployment_id: String,
    pub application: String,
    pub deployment_group: String,
    pub deployment_config: String,
    pub versions: AliasVersions,
    pub minutes: Minutes,
    /// Where the group's tag said something other than `on` or `off`.
    pub warnings: Vec<String>,
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

/// What `BatchGetDeployments` already tells: a rollback or another platform is left alone (the
/// record says why) before its AppSpec is read (an EC2 revision may be a bundle shiftguard does
/// not read).
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
    if summary.compute_platform != ComputePlatform::Lambda {
        return left(format!(
            "a {} deployment: the canary judge watches Lambda deployments",
            summary.compute_platform.as_str()
        ));
    }
    None
}

/// A Lambda deployment that passed [`screen`], judged or left with the reason.
pub async fn find<D, T, L>(
    ports: (&D, &T, &L),
    summary: DeploymentSummary,
    function_arn: &str,
    now: SystemTime,
    settle: Duration,
) -> Result<Candidate, Record>
where
    D: DeploymentReader,
    T: GroupTagReader,
    L: FunctionConfigReader,
{
    let (deployments, tags, lambda) = ports;
    let deployment_id = summary.deployment_id;
    let left = |decision, reason: String| {
        Record::left(&deployment_id, decision, reason).in_group(&summary.application, &summary.deployment_group)
    };
    let info = deployments
        .deployment(&deployment_id)
        .await
        .map_err(|e| left(Decision::Problem, format!("could not read the deployment: {e}")))?;
    let target = target_of(&deployment_id, &info, &TargetOverride::default())
        .map_err(|e| left(Decision::Problem, e.to_string()))?;
    let DeploymentTarget::Lambda(lambda_target) = target else {
        return Err(left(
            Decision::Problem,
            "the AppSpec of a Lambda deployment names no Lambda function".into(),
        ));
    };
    let (Some(alias), Some(old)) = (lambda_target.alias.clone(), lambda_target.current_version.clone()) else {
        return Err(left(
            Decision::Skipped,
            "the AppSpec names no alias or no CurrentVersion: there is no old version serving beside the new one"
                .into(),
        ));
    };
    if old == lambda_target.target_version {
        return Err(left(
            Decision::Skipped,
            format!("CurrentVersion and TargetVersion are both {old}: nothing to compare"),
        ));
    }
    let versions = AliasVersions {
        function: lambda_target.function_name,
        alias,
        new: lambda_target.target_version,
        old,
    };
    let left = |decision, reason: String| left(decision, reason).with_versions(&versions);
    let Some(created_at) = info.created_at else {
        return Err(left(
            Decision::Problem,
            "the deployment has no createTime to count minutes from".into(),
        ));
    };
    let Some(arn) = group_arn(function_arn, &info.application, &info.deployment_group) else {
        return Err(left(
            Decision::Problem,
            format!("the judge's own ARN {function_arn:?} names no account and region to find the group's tags in"),
        ));
    };
    let group_tags = tags.group_tags(&arn).await.map_err(|e| {
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
    // A minute is complete once its slowest invocation has been reported: the longer timeout of
    // the two versions, then SETTLE_SECONDS.
    let (new_timeout, old_timeout) = futures_util::join!(
        lambda.timeout(&versions.function, &versions.new),
        lambda.timeout(&versions.function, &versions.old)
    );
    let timeout = match (new_timeout, old_timeout) {
        (Ok(a), Ok(b)) => a.max(b),
        (Err(e), _) | (_, Err(e)) => {
            return Err(left(
                Decision::Problem,
                format!("could not read the versions' timeout, which says when a minute is complete: {e}"),
            ));
        }
    };
    let wait = settle_after(settle, timeout);
    let Some(minutes) = Minutes::complete(created_at, now, wait) else {
        return Err(left(
            Decision::Waiting,
            format!(
                "no complete minute yet (a minute counts {} s after it ends)",
                wait.as_secs()
            ),
        ));
    };
    Ok(Candidate {
        deployment_id,
        application: info.application,
        deployment_group: info.deployment_group,
        deployment_config: info.deployment_config,
        versions,
        minutes,
        warnings,
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
