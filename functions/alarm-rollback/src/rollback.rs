//! What happens to one deployment group when an alarm it is guarded by goes to ALARM: every
//! deployment in flight is stopped with rollback; with nothing in flight, a Lambda deployment
//! that succeeded within `BAKE_MINUTES` has its alias pointed back at the old version.

use std::time::{Duration, SystemTime};

use serde::Serialize;
use shiftguard::deployment::{ComputePlatform, DeploymentStatus};
use shiftguard::deployment_group::GroupRef;
use shiftguard::env_config::TargetOverride;
use shiftguard::ports::{AliasUpdater, DeploymentControl, DeploymentReader, DeploymentSummary, StopOutcome};
use shiftguard::target::DeploymentTarget;
use shiftguard::target_resolution::target_of;

/// How far back, beyond the bake window, successful deployments are looked for by creation time
/// (a deployment completes after it is created; a week covers the slowest linear configuration).
const CREATION_LOOKBACK: Duration = Duration::from_secs(7 * 24 * 3600);

/// What was done to one group.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GroupOutcome {
    pub group: String,
    pub stopped: Vec<String>,
    /// Found in flight, but completed before the stop landed.
    pub already_completed: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias_rolled_back: Option<AliasRollback>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AliasRollback {
    pub deployment_id: String,
    pub function: String,
    pub alias: String,
    pub from_version: String,
    pub to_version: String,
}

/// What to do about the newest success of a group within the bake window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BakeCandidate<'a> {
    /// A release that succeeded at or after `since`: its alias goes back.
    Release(&'a DeploymentSummary),
    /// The newest success is a rollback (CodeDeploy's or CloudFormation's): the group is already
    /// back on a previous version, and a rollback is never itself undone.
    RolledBack(&'a DeploymentSummary),
    None,
}

/// The newest deployment that succeeded at or after `since`, and whether it is a release.
/// Rollbacks (`DeploymentSummary::is_rollback`) are never candidates, and a release older than
/// a rollback is not either: that rollback already undid it.
pub fn bake_candidate(history: &[DeploymentSummary], since: SystemTime) -> BakeCandidate<'_> {
    let newest = history
        .iter()
        .filter(|d| d.status == DeploymentStatus::Succeeded && d.completed_at.is_some_and(|t| t >= since))
        .max_by_key(|d| d.completed_at);
    match newest {
        Some(d) if d.is_rollback() => BakeCandidate::RolledBack(d),
        Some(d) => BakeCandidate::Release(d),
        None => BakeCandidate::None,
    }
}

pub async fn roll_back_group<C, D, A>(
    control: &C,
    deployments: &D,
    aliases: &A,
    group: &GroupRef,
    bake: Duration,
) -> GroupOutcome
where
    C: DeploymentControl,
    D: DeploymentReader,
    A: AliasUpdater,
{
    let mut out = GroupOutcome {
        group: group.to_string(),
        ..GroupOutcome::default()
    };
    let listed = match control.list(group, &DeploymentStatus::IN_FLIGHT, None).await {
        Ok(ids) if ids.is_empty() => Ok(Vec::new()),
        Ok(ids) => control.summaries(&ids).await,
        Err(e) => Err(e),
    };
    let in_flight = match listed {
        Ok(deployments) => deployments,
        Err(e) => {
            out.errors.push(e.to_string());
            return out;
        }
    };
    for d in &in_flight {
        if d.is_rollback() {
            out.notes.push(format!(
                "{} is a rollback (creator {}{}); left to finish",
                d.deployment_id,
                d.creator,
                d.rollback_of
                    .as_deref()
                    .map(|of| format!(", rolling back {of}"))
                    .unwrap_or_default()
            ));
            continue;
        }
        match control.stop_with_rollback(&d.deployment_id).await {
            Ok(StopOutcome::Stopped) => out.stopped.push(d.deployment_id.clone()),
            Ok(StopOutcome::AlreadyCompleted) => out.already_completed.push(d.deployment_id.clone()),
            Err(e) => out.errors.push(e.to_string()),
        }
    }
    // Something was stopped (or is rolling back): done. If everything in flight completed
    // meanwhile, a release may have just succeeded, so the bake window is still looked at.
    if !out.stopped.is_empty() || !out.errors.is_empty() || in_flight.iter().any(DeploymentSummary::is_rollback) {
        return out;
    }
    if bake.is_zero() {
        out.notes.push("nothing in flight".into());
        return out;
    }
    let now = SystemTime::now();
    let since = now - bake;
    let history = match control
        .list(group, &[DeploymentStatus::Succeeded], Some(since - CREATION_LOOKBACK))
        .await
    {
        Ok(ids) if ids.is_empty() => Vec::new(),
        Ok(ids) => match control.summaries(&ids).await {
            Ok(s) => s,
            Err(e) => {
                out.errors.push(e.to_string());
                return out;
            }
        },
        Err(e) => {
            out.errors.push(e.to_string());
            return out;
        }
    };
    let candidate = match bake_candidate(&history, since) {
        BakeCandidate::Release(d) => d,
        BakeCandidate::RolledBack(d) => {
            out.notes.push(format!(
                "the newest success within BAKE_MINUTES, {}, is a rollback (creator {}); a rollback is never undone",
                d.deployment_id, d.creator
            ));
            return out;
        }
        BakeCandidate::None => {
            out.notes.push(format!(
                "nothing in flight, and no deployment succeeded in the last {} minutes",
                bake.as_secs() / 60
            ));
            return out;
        }
    };
    if candidate.compute_platform != ComputePlatform::Lambda {
        out.notes.push(format!(
            "deployment {} succeeded within BAKE_MINUTES, but post-success rollback is not supported for the {} platform",
            candidate.deployment_id, candidate.compute_platform
        ));
        return out;
    }
    let target = match deployments.deployment(&candidate.deployment_id).await {
        Ok(info) => target_of(&candidate.deployment_id, &info, &TargetOverride::default()).map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    match target {
        Ok(DeploymentTarget::Lambda(t)) => match (t.alias, t.current_version) {
            (Some(alias), Some(previous)) => match aliases.point_alias(&t.function_name, &alias, &previous).await {
                Ok(()) => {
                    out.alias_rolled_back = Some(AliasRollback {
                        deployment_id: candidate.deployment_id.clone(),
                        function: t.function_name,
                        alias,
                        from_version: t.target_version,
                        to_version: previous,
                    })
                }
                Err(e) => out.errors.push(e.to_string()),
            },
            _ => out.notes.push(format!(
                "deployment {} names no Alias and CurrentVersion to go back to",
                candidate.deployment_id
            )),
        },
        Ok(_) => out
            .notes
            .push("post-success rollback is supported for Lambda deployments only".into()),
        Err(e) => out
            .errors
            .push(format!("reading deployment {}: {e}", candidate.deployment_id)),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use shiftguard::fakes::{secs_ago, summary};

    use shiftguard::deployment::Creator;
    use shiftguard::deployment::DeploymentStatus::{Failed, Succeeded};

    fn id(c: BakeCandidate<'_>) -> Option<(&str, bool)> {
        match c {
            BakeCandidate::Release(d) => Some((d.deployment_id.as_str(), true)),
            BakeCandidate::RolledBack(d) => Some((d.deployment_id.as_str(), false)),
            BakeCandidate::None => None,
        }
    }

    #[test]
    fn a_rollback_is_never_a_candidate_nor_is_the_release_it_undid() {
        let since = SystemTime::now() - Duration::from_secs(600);
        for (creator, rollback_of) in [
            (Creator::CodeDeployRollback, Some("release")),
            (Creator::CodeDeployRollback, None),
            (Creator::CloudFormationRollback, None),
            (Creator::User, Some("release")),
        ] {
            let mut rollback = summary("rb", Succeeded, None, secs_ago(30));
            rollback.creator = creator.clone();
            rollback.rollback_of = rollback_of.map(str::to_string);
            let history = [summary("release", Succeeded, None, secs_ago(60)), rollback];
            assert_eq!(id(bake_candidate(&history, since)), Some(("rb", false)), "{creator}");
        }
    }

    #[test]
    fn a_release_after_a_rollback_is_the_candidate() {
        let since = SystemTime::now() - Duration::from_secs(600);
        let mut rollback = summary("rb", Succeeded, None, secs_ago(120));
        rollback.creator = Creator::CodeDeployRollback;
        let history = [rollback, summary("fix", Succeeded, None, secs_ago(60))];
        assert_eq!(id(bake_candidate(&history, since)), Some(("fix", true)));
    }

    #[test]
    fn the_newest_success_inside_the_window_is_the_candidate() {
        let history = [
            summary("old", Succeeded, None, secs_ago(7200)),
            summary("new", Succeeded, None, secs_ago(60)),
            summary("newer", Succeeded, None, secs_ago(30)),
            summary("f", Failed, None, secs_ago(10)),
        ];
        let since = SystemTime::now() - Duration::from_secs(600);
        assert_eq!(id(bake_candidate(&history, since)), Some(("newer", true)));
        assert_eq!(bake_candidate(&history[..1], since), BakeCandidate::None);
    }
}
