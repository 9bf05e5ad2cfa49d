//! What happens to one deployment group when an alarm it is guarded by goes to ALARM: every
//! deployment in flight is stopped with rollback; with nothing in flight, a Lambda deployment
//! that succeeded within `BAKE_MINUTES` has its alias pointed back at the old version.

use std::time::{Duration, SystemTime};

use serde::Serialize;
use shiftguard::deployment::{ComputePlatform, DeploymentStatus};
use shiftguard::ports::{
    AliasMove, AliasUpdater, DeploymentHistory, DeploymentReader, DeploymentStopper, DeploymentSummary, StopOutcome,
};
use shiftguard::rollback::deployment_group::GroupRef;
use shiftguard::target::deployment_target::DeploymentTarget;
use shiftguard::target::overrides::TargetOverride;
use shiftguard::target::resolution::target_of;

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

/// The newest deployment that succeeded within `window` (completed at or after its start and
/// at or before its end), and whether it is a release. Rollbacks (`DeploymentSummary::is_rollback`)
/// are never candidates, and a release older than a rollback is not either: that rollback
/// already undid it, or redeployed it as the last good version.
pub fn bake_candidate(history: &[DeploymentSummary], window: (SystemTime, SystemTime)) -> BakeCandidate<'_> {
    let newest = history
        .iter()
        .filter(|d| {
            d.status == DeploymentStatus::Succeeded && d.completed_at.is_some_and(|t| t >= window.0 && t <= window.1)
        })
        .max_by_key(|d| d.completed_at);
    match newest {
        Some(d) if d.is_rollback() => BakeCandidate::RolledBack(d),
        Some(d) => BakeCandidate::Release(d),
        None => BakeCandidate::None,
    }
}

/// The group's deployments in any of `statuses` (see [`DeploymentHistory::deployments`]), with
/// the error as the outcome's text.
async fn deployments_of(
    control: &impl DeploymentHistory,
    group: &GroupRef,
    statuses: &[DeploymentStatus],
    created_after: Option<SystemTime>,
) -> Result<Vec<DeploymentSummary>, String> {
    control
        .deployments(group, statuses, created_after)
        .await
        .map_err(|e| e.to_string())
}

fn rollback_note(d: &DeploymentSummary) -> String {
    format!(
        "{} is a rollback (creator {}{}); left to finish",
        d.deployment_id,
        d.creator,
        d.rollback_of
            .as_deref()
            .map(|of| format!(", rolling back {of}"))
            .unwrap_or_default()
    )
}

/// Stops what is in flight in `group`; with nothing in flight and `bake` set, moves the alias of a
/// Lambda release that succeeded within `bake` before `alarm_at` back to its previous version.
pub async fn roll_back_group<C, D, A>(
    control: &C,
    deployments: &D,
    aliases: &A,
    group: &GroupRef,
    bake: Duration,
    alarm_at: SystemTime,
) -> GroupOutcome
where
    C: DeploymentHistory + DeploymentStopper,
    D: DeploymentReader,
    A: AliasUpdater,
{
    let mut out = GroupOutcome {
        group: group.to_string(),
        ..GroupOutcome::default()
    };
    let listed = match deployments_of(control, group, &DeploymentStatus::IN_FLIGHT, None).await {
        Ok(deployments) => deployments,
        Err(e) => {
            out.errors.push(e);
            return out;
        }
    };
    for d in &listed {
        if d.is_rollback() {
            out.notes.push(rollback_note(d));
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
    if !out.stopped.is_empty() || !out.errors.is_empty() || listed.iter().any(DeploymentSummary::is_rollback) {
        return out;
    }
    if bake.is_zero() {
        out.notes.push("nothing in flight".into());
        return out;
    }
    // A deployment that completed between the listing and its stop may have failed and started
    // CodeDeploy's rollback, which the first listing could not show: look again.
    if !out.already_completed.is_empty() {
        match deployments_of(control, group, &DeploymentStatus::IN_FLIGHT, None).await {
            Ok(now) if now.is_empty() => {}
            Ok(now) => {
                out.notes
                    .extend(now.iter().filter(|d| d.is_rollback()).map(rollback_note));
                out.notes.push(format!(
                    "{} deployment(s) started in flight since the alarm; the bake window is not looked at",
                    now.len()
                ));
                return out;
            }
            Err(e) => {
                out.errors.push(e);
                return out;
            }
        }
    }
    // The window ends when the alarm fired, not when this event is handled: a retried or late
    // event never takes a release that succeeded after the alarm for the one it is about.
    let since = alarm_at - bake;
    let history = match deployments_of(
        control,
        group,
        &[DeploymentStatus::Succeeded],
        Some(since - CREATION_LOOKBACK),
    )
    .await
    {
        Ok(history) => history,
        Err(e) => {
            out.errors.push(e);
            return out;
        }
    };
    let candidate = match bake_candidate(&history, (since, alarm_at)) {
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
                "nothing in flight, and no deployment succeeded in the {} minutes before the alarm",
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
            (Some(alias), Some(previous)) => {
                match aliases
                    .move_alias(&t.function_name, &alias, &t.target_version, &previous)
                    .await
                {
                    Ok(AliasMove::Moved) => {
                        out.alias_rolled_back = Some(AliasRollback {
                            deployment_id: candidate.deployment_id.clone(),
                            function: t.function_name,
                            alias,
                            from_version: t.target_version,
                            to_version: previous,
                        })
                    }
                    Ok(AliasMove::LeftAlone(now)) => out.notes.push(format!(
                        "deployment {} moved {}:{alias} to version {}, but the alias is now on {now}; left alone",
                        candidate.deployment_id, t.function_name, t.target_version
                    )),
                    Err(e) => out.errors.push(e.to_string()),
                }
            }
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
        let window = (SystemTime::now() - Duration::from_secs(600), SystemTime::now());
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
            assert_eq!(id(bake_candidate(&history, window)), Some(("rb", false)), "{creator}");
        }
    }

    #[test]
    fn a_release_after_a_rollback_is_the_candidate() {
        let window = (SystemTime::now() - Duration::from_secs(600), SystemTime::now());
        let mut rollback = summary("rb", Succeeded, None, secs_ago(120));
        rollback.creator = Creator::CodeDeployRollback;
        let history = [rollback, summary("fix", Succeeded, None, secs_ago(60))];
        assert_eq!(id(bake_candidate(&history, window)), Some(("fix", true)));
    }

    #[test]
    fn a_release_that_succeeded_after_the_alarm_is_never_the_candidate() {
        let alarm_at = SystemTime::now() - Duration::from_secs(300);
        let window = (alarm_at - Duration::from_secs(600), alarm_at);
        let history = [
            summary("bad", Succeeded, None, secs_ago(400)),
            summary("fix", Succeeded, None, secs_ago(60)),
        ];
        assert_eq!(id(bake_candidate(&history, window)), Some(("bad", true)));
    }

    #[test]
    fn the_newest_success_inside_the_window_is_the_candidate() {
        let history = [
            summary("old", Succeeded, None, secs_ago(7200)),
            summary("new", Succeeded, None, secs_ago(60)),
            summary("newer", Succeeded, None, secs_ago(30)),
            summary("f", Failed, None, secs_ago(10)),
        ];
        let window = (SystemTime::now() - Duration::from_secs(600), SystemTime::now());
        assert_eq!(id(bake_candidate(&history, window)), Some(("newer", true)));
        assert_eq!(bake_candidate(&history[..1], window), BakeCandidate::None);
    }
}
