//! Which minutes of a past deployment can still be judged: every whole minute from the one it was
//! created in to the one it completed in (that one excluded, as post-traffic excludes the minute
//! it is invoked in), once CloudWatch has all of them and while it still keeps them a minute apart.

use std::time::{Duration, SystemTime};

use thiserror::Error;

use crate::canary::per_minute::{Minutes, minute_start};
use crate::deployment::DeploymentStatus;

/// "Data points with a period of 60 seconds (1-minute) are available for 15 days", and a request
/// whose `StartTime` is "between 15 and 63 days ago" must "use a multiple of 300 seconds
/// (5 minutes)" or "no data points in that time range is returned" (GetMetricData and MetricStat,
/// <https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html>,
/// <https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricStat.html>).
pub const ONE_MINUTE_RETENTION: Duration = Duration::from_secs(15 * 24 * 3600);

/// Kept clear of the retention's edge, so that a read made a little later still falls inside it.
pub const RETENTION_MARGIN: Duration = Duration::from_secs(3600);

/// Why a deployment's minutes cannot be judged.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NotJudgeable {
    #[error("it is still {0}: replay judges deployments that have completed")]
    InProgress(String),
    #[error("CodeDeploy gives it no {0}")]
    NoTime(&'static str),
    #[error(
        "its metrics start {} days {} hours ago: CloudWatch keeps one-minute datapoints for 15 days, and the judge is not run on coarser ones", .hours / 24, .hours % 24
    )]
    TooOld { hours: u64 },
    #[error("it completed in the minute it started in: there is no whole minute to judge")]
    NoWholeMinute,
    #[error(
        "it completed {ago} s ago, and its last minute is complete in CloudWatch {settle} s after it ends (SETTLE_SECONDS): replay it in a minute or two"
    )]
    Settling { ago: u64, settle: u64 },
}

/// The minutes a replay judges of a deployment in `status`, created and completed at the times
/// given, at `now`, with `settle` (`SETTLE_SECONDS`) for the last minute's metrics to arrive.
pub fn judged_minutes(
    status: &DeploymentStatus,
    created_at: Option<SystemTime>,
    completed_at: Option<SystemTime>,
    settle: Duration,
    now: SystemTime,
) -> Result<Minutes, NotJudgeable> {
    if !DeploymentStatus::FINAL.contains(status) {
        return Err(NotJudgeable::InProgress(status.as_str().to_string()));
    }
    let created = created_at.ok_or(NotJudgeable::NoTime("createTime"))?;
    let completed = completed_at.ok_or(NotJudgeable::NoTime("completeTime"))?;
    let start = minute_start(created);
    within_retention(start, now)?;
    let end = minute_start(completed);
    if end <= start {
        return Err(NotJudgeable::NoWholeMinute);
    }
    let ago = now.duration_since(end).unwrap_or_default();
    if ago < settle {
        return Err(NotJudgeable::Settling {
            ago: now.duration_since(completed).unwrap_or_default().as_secs(),
            settle: settle.as_secs(),
        });
    }
    Ok(Minutes { start, end })
}

/// Whether a read of one-minute datapoints from `start` still finds them at `now`.
pub fn within_retention(start: SystemTime, now: SystemTime) -> Result<(), NotJudgeable> {
    let age = now.duration_since(start).unwrap_or_default();
    if age + RETENTION_MARGIN >= ONE_MINUTE_RETENTION {
        return Err(NotJudgeable::TooOld {
            hours: age.as_secs() / 3600,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: u64 = 86_400;
    const SETTLE: Duration = Duration::from_secs(120);

    fn t(s: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + s)
    }

    fn minutes(created: u64, completed: u64, now: u64) -> Result<Minutes, NotJudgeable> {
        judged_minutes(
            &DeploymentStatus::Succeeded,
            Some(t(created)),
            Some(t(completed)),
            SETTLE,
            t(now),
        )
    }

    #[test]
    fn the_whole_minutes_from_creation_to_completion_that_one_excluded() {
        // Created 30 s into minute 0, completed 20 s into minute 12.
        let m = minutes(30, 740, 3600).unwrap();
        assert_eq!((m.start, m.end, m.count()), (t(0), t(720), 12));
    }

    #[test]
    fn only_a_completed_deployment_is_judged() {
        for status in DeploymentStatus::IN_FLIGHT {
            let e = judged_minutes(&status, Some(t(0)), None, SETTLE, t(600)).unwrap_err();
            assert_eq!(e, NotJudgeable::InProgress(status.as_str().into()));
        }
        let e = judged_minutes(&DeploymentStatus::Failed, Some(t(0)), None, SETTLE, t(600)).unwrap_err();
        assert_eq!(e.to_string(), "CodeDeploy gives it no completeTime");
    }

    #[test]
    fn one_minute_data_older_than_fifteen_days_is_not_judged() {
        let e = minutes(0, 600, 15 * DAY).unwrap_err();
        assert_eq!(e, NotJudgeable::TooOld { hours: 360 });
        assert!(
            e.to_string().starts_with("its metrics start 15 days 0 hours ago"),
            "{e}"
        );
        let e = minutes(0, 600, 15 * DAY - 1800).unwrap_err();
        assert!(
            e.to_string().starts_with("its metrics start 14 days 23 hours ago"),
            "{e}"
        );
        // An hour inside the edge is still too close to it; two hours inside is judged.
        assert!(minutes(0, 600, 15 * DAY - 3600).is_err());
        assert!(minutes(0, 600, 15 * DAY - 7200).is_ok());
    }

    #[test]
    fn the_last_minute_must_have_settled_and_there_must_be_one() {
        assert_eq!(minutes(10, 50, 3600).unwrap_err(), NotJudgeable::NoWholeMinute);
        // Completed 20 s into minute 5: minutes 0-4 are judged once minute 5 began SETTLE ago.
        let e = minutes(0, 320, 400).unwrap_err();
        assert_eq!(e, NotJudgeable::Settling { ago: 80, settle: 120 });
        assert_eq!(minutes(0, 320, 420).unwrap().count(), 5);
    }
}
