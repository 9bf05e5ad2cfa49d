//! Delivery performance from CodeDeploy's own history: how long a deployment took, and how long
//! a group took to recover from a failed or stopped deployment (time to restore).

use std::time::{Duration, SystemTime};

use crate::deployment::DeploymentStatus;
use crate::ports::DeploymentSummary;

/// From creation to completion (or to `now`, where CodeDeploy has not stamped it yet).
pub fn deployment_duration(
    created: Option<SystemTime>,
    completed: Option<SystemTime>,
    now: SystemTime,
) -> Option<Duration> {
    created.and_then(|c| completed.unwrap_or(now).duration_since(c).ok())
}

/// After a success completed at `restored_at`: the time since the first of the unbroken run of
/// failed or stopped deployments just before it, and that deployment's id. `None` when the
/// deployment before it succeeded (nothing was broken) or there is no history.
pub fn time_to_restore(
    this_id: &str,
    restored_at: SystemTime,
    history: &[DeploymentSummary],
) -> Option<(Duration, String)> {
    let mut earlier: Vec<&DeploymentSummary> = history
        .iter()
        .filter(|d| d.deployment_id != this_id)
        .filter(|d| d.completed_at.is_some_and(|t| t <= restored_at))
        .filter(|d| d.status.is_unsuccessful() || d.status == DeploymentStatus::Succeeded)
        .collect();
    earlier.sort_by_key(|d| std::cmp::Reverse(d.completed_at));
    let first_failure = earlier.iter().take_while(|d| d.status.is_unsuccessful()).last()?;
    let since = first_failure.completed_at?;
    Some((
        restored_at.duration_since(since).unwrap_or(Duration::ZERO),
        first_failure.deployment_id.clone(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::summary;
    use proptest::prelude::*;

    fn t(s: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + s)
    }

    #[test]
    fn duration_is_creation_to_completion() {
        assert_eq!(
            deployment_duration(Some(t(0)), Some(t(90)), t(500)),
            Some(Duration::from_secs(90))
        );
        assert_eq!(
            deployment_duration(Some(t(0)), None, t(30)),
            Some(Duration::from_secs(30))
        );
        assert_eq!(deployment_duration(None, Some(t(90)), t(500)), None);
    }

    #[test]
    fn restore_counts_from_the_first_failure_of_the_run() {
        let history = [
            summary("ok", DeploymentStatus::Succeeded, None, Some(t(0))),
            summary("f1", DeploymentStatus::Failed, None, Some(t(100))),
            summary("f2", DeploymentStatus::Stopped, None, Some(t(200))),
            summary("now", DeploymentStatus::Succeeded, None, Some(t(500))),
        ];
        assert_eq!(
            time_to_restore("now", t(500), &history),
            Some((Duration::from_secs(400), "f1".into()))
        );
    }

    #[test]
    fn nothing_to_restore_after_a_success_or_without_history() {
        let history = [
            summary("f1", DeploymentStatus::Failed, None, Some(t(100))),
            summary("ok", DeploymentStatus::Succeeded, None, Some(t(200))),
        ];
        assert_eq!(time_to_restore("now", t(500), &history), None);
        assert_eq!(time_to_restore("now", t(500), &[]), None);
    }

    #[test]
    fn running_and_later_deployments_are_ignored() {
        let history = [
            summary("f1", DeploymentStatus::Failed, None, Some(t(100))),
            summary("running", DeploymentStatus::InProgress, None, None),
            summary("later", DeploymentStatus::Failed, None, Some(t(900))),
        ];
        assert_eq!(
            time_to_restore("now", t(500), &history),
            Some((Duration::from_secs(400), "f1".into()))
        );
    }

    proptest! {
        #[test]
        fn restore_is_never_longer_than_the_history(entries in proptest::collection::vec((0u64..1000, prop_oneof![Just(DeploymentStatus::Failed), Just(DeploymentStatus::Stopped), Just(DeploymentStatus::Succeeded), Just(DeploymentStatus::InProgress)]), 0..20)) {
            let history: Vec<_> = entries.iter().enumerate().map(|(i, (at, s))| summary(&i.to_string(), s.clone(), None, Some(t(*at)))).collect();
            if let Some((ttr, _)) = time_to_restore("now", t(1000), &history) {
                prop_assert!(ttr <= Duration::from_secs(1000));
            }
        }
    }
}
