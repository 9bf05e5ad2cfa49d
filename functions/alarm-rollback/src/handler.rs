//! The alarm-rollback handler: an alarm went to ALARM; stop and roll back what it guards.

use std::collections::BTreeMap;
use std::time::SystemTime;

use lambda_runtime::{Diagnostic, LambdaEvent};
use serde::Serialize;
use serde_json::Value;
use shiftguard::eventbridge::{Incoming, InvocationError};
use shiftguard::hook::decision_record::{RECORD_KIND, emit_line};
use shiftguard::ports::{AlarmTagReader, AliasUpdater, DeploymentHistory, DeploymentReader, DeploymentStopper};
use shiftguard::rollback::alarm_event::{AlarmState, parse_alarm_event};
use shiftguard::rollback::deployment_group::{GROUP_TAG, parse_group_tag, union};
use tokio::time::Instant;

use crate::config::AlarmRollbackConfig;
use crate::rollback::{GroupOutcome, roll_back_group};
use shiftguard::config::env::ConfigError;

pub struct Deps<C, D, T, A> {
    pub control: C,
    pub deployments: D,
    pub tags: T,
    pub aliases: A,
    pub config: Result<AlarmRollbackConfig, ConfigError>,
}

/// What the invocation did; also the decision record.
#[derive(Debug, Clone, Serialize)]
pub struct RollbackSummary {
    pub record: &'static str,
    pub hook: &'static str,
    pub alarm: String,
    pub state: String,
    /// `rollback` when at least one group was acted on, else `none`.
    pub action: &'static str,
    pub reason: String,
    pub groups: Vec<GroupOutcome>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
    pub elapsed_ms: u64,
}

fn no_op(reason: String) -> Value {
    tracing::info!(reason, "nothing to do");
    serde_json::json!({"action": "none", "reason": reason})
}

pub async fn function_handler<C, D, T, A>(
    deps: &Deps<C, D, T, A>,
    event: LambdaEvent<Value>,
) -> Result<Value, Diagnostic>
where
    C: DeploymentHistory + DeploymentStopper,
    D: DeploymentReader,
    T: AlarmTagReader,
    A: AliasUpdater,
{
    let started = Instant::now();
    let change = match parse_alarm_event(event.payload).map_err(InvocationError::from)? {
        Incoming::Handled(c) => c,
        Incoming::Other(what) => return Ok(no_op(format!("{what} is not an alarm state change"))),
    };
    if change.state != AlarmState::Alarm {
        return Ok(no_op(format!(
            "alarm {} went to {}, not ALARM",
            change.alarm_name, change.state
        )));
    }
    let config = deps.config.as_ref().map_err(|error| InvocationError::Misconfigured {
        function: "alarm-rollback",
        error: error.clone(),
    })?;

    let (mut problems, mut errors) = (Vec::new(), Vec::new());
    let mut tag_groups = Vec::new();
    if let Some(arn) = &change.alarm_arn {
        match deps.tags.tags(arn).await {
            Ok(tags) => {
                let (groups, bad) = parse_group_tag(tags.get(GROUP_TAG).map(String::as_str).unwrap_or(""));
                tag_groups = groups;
                problems.extend(bad);
            }
            // The groups the tag names are unknown: act on the rest, then fail so Lambda retries.
            Err(e) => errors.push(format!("could not read the alarm's tags: {e}")),
        }
    }
    let groups = union(&[config.targets.groups_of(&change.alarm_name), &tag_groups]);

    // As of when the alarm fired (never later than now): a retried event judges the same past.
    let now = SystemTime::now();
    let alarm_at = change.at.map_or(now, |at| at.min(now));
    let mut outcomes = Vec::with_capacity(groups.len());
    for group in &groups {
        outcomes.push(
            roll_back_group(
                &deps.control,
                &deps.deployments,
                &deps.aliases,
                group,
                config.bake,
                alarm_at,
            )
            .await,
        );
    }
    let acted = outcomes
        .iter()
        .any(|o| !o.stopped.is_empty() || o.alias_rolled_back.is_some());
    let reason = if groups.is_empty() {
        format!(
            "alarm {} guards no deployment group (neither ROLLBACK_TARGETS nor its {GROUP_TAG} tag names one)",
            change.alarm_name
        )
    } else {
        let counts: BTreeMap<&str, usize> = BTreeMap::from([
            ("stopped", outcomes.iter().map(|o| o.stopped.len()).sum()),
            (
                "alias rolled back",
                outcomes.iter().filter(|o| o.alias_rolled_back.is_some()).count(),
            ),
        ]);
        format!(
            "alarm {} is in ALARM ({}); {} group(s): {} stopped, {} alias(es) rolled back",
            change.alarm_name,
            change.reason.as_deref().unwrap_or("no reason given"),
            groups.len(),
            counts["stopped"],
            counts["alias rolled back"]
        )
    };
    errors.extend(outcomes.iter().flat_map(|o| o.errors.iter().cloned()));
    problems.extend(errors.iter().cloned());
    let summary = RollbackSummary {
        record: RECORD_KIND,
        hook: "alarm-rollback",
        alarm: change.alarm_name,
        state: change.state.to_string(),
        action: if acted { "rollback" } else { "none" },
        reason,
        groups: outcomes,
        problems,
        elapsed_ms: started.elapsed().as_millis() as u64,
    };
    emit_line(&summary);
    if !errors.is_empty() {
        // Lambda retries the event; stops that landed answer "already completed" next time.
        return Err(InvocationError::RollbackIncomplete(errors.join("; ")).into());
    }
    Ok(serde_json::to_value(&summary).unwrap_or(Value::Null))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_runtime::Context;
    use serde_json::json;
    use shiftguard::deployment::{Creator, DeploymentStatus};
    use shiftguard::fakes::{self, CodeDeployGroups};
    use shiftguard::ports::{AliasMove, AwsError};
    use shiftguard::rollback::deployment_group::{GroupRef, RollbackTargets};
    use std::sync::Mutex;
    use std::time::Duration;

    struct Tags(Option<&'static str>);

    impl AlarmTagReader for Tags {
        async fn tags(&self, _arn: &str) -> Result<BTreeMap<String, String>, AwsError> {
            match self.0 {
                Some("unreadable") => Err(AwsError {
                    operation: "ListTagsForResource".into(),
                    message: "AccessDenied".into(),
                    retryable: false,
                }),
                tag => Ok(tag
                    .map(|v| BTreeMap::from([(GROUP_TAG.to_string(), v.to_string())]))
                    .unwrap_or_default()),
            }
        }
    }

    #[derive(Default)]
    struct Aliases(Mutex<Vec<(String, String, String)>>);

    impl AliasUpdater for Aliases {
        async fn move_alias(&self, f: &str, a: &str, _from: &str, to: &str) -> Result<AliasMove, AwsError> {
            self.0.lock().unwrap().push((f.into(), a.into(), to.into()));
            Ok(AliasMove::Moved)
        }
    }

    fn group(app: &str, g: &str) -> GroupRef {
        GroupRef {
            application: app.into(),
            group: g.into(),
        }
    }

    fn deps(
        tag: Option<&'static str>,
        targets: &str,
        bake_min: u64,
    ) -> Deps<CodeDeployGroups, fakes::FixedDeployment, Tags, Aliases> {
        let cd = CodeDeployGroups::default();
        cd.deployments.lock().unwrap().extend([
            (
                group("orders", "live"),
                fakes::summary("d-running", DeploymentStatus::InProgress, None, None),
            ),
            (
                group("billing", "live"),
                fakes::summary("d-other", DeploymentStatus::InProgress, None, None),
            ),
            (
                group("catalog", "live"),
                fakes::summary("d-baked", DeploymentStatus::Succeeded, None, fakes::secs_ago(120)),
            ),
        ]);
        Deps {
            control: cd,
            deployments: fakes::FixedDeployment::new(include_str!(
                "../../../shared/tests/fixtures/appspec-lambda.yaml"
            )),
            tags: Tags(tag),
            aliases: Aliases::default(),
            config: Ok(AlarmRollbackConfig {
                targets: RollbackTargets::parse(targets).unwrap(),
                bake: Duration::from_secs(bake_min * 60),
            }),
        }
    }

    fn alarm(state: &str) -> LambdaEvent<Value> {
        let mut e: Value =
            serde_json::from_str(include_str!("../../../shared/tests/fixtures/alarm-state-change.json")).unwrap();
        e["detail"]["state"]["value"] = json!(state);
        e["time"] = json!(
            aws_smithy_types::DateTime::from(SystemTime::now())
                .fmt(aws_smithy_types::date_time::Format::DateTime)
                .unwrap()
        );
        LambdaEvent::new(e, Context::default())
    }

    #[tokio::test]
    async fn when_a_mapped_alarm_fires_should_stop_its_groups_deployments_only() {
        let d = deps(None, r#"{"orders-error-rate": ["orders/live"]}"#, 0);
        let out = function_handler(&d, alarm("ALARM")).await.unwrap();
        assert_eq!(out["action"], "rollback");
        assert_eq!(d.control.stops.lock().unwrap().as_slice(), ["d-running"]);
    }

    #[tokio::test]
    async fn when_the_alarm_is_ok_should_do_nothing() {
        let d = deps(None, r#"{"orders-error-rate": ["orders/live"]}"#, 0);
        for state in ["OK", "INSUFFICIENT_DATA"] {
            assert_eq!(function_handler(&d, alarm(state)).await.unwrap()["action"], "none");
        }
        assert!(d.control.stops.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn when_the_alarm_is_tagged_should_stop_the_tagged_groups() {
        let d = deps(Some("billing/live"), "{}", 0);
        function_handler(&d, alarm("ALARM")).await.unwrap();
        assert_eq!(d.control.stops.lock().unwrap().as_slice(), ["d-other"]);
    }

    #[tokio::test]
    async fn when_the_tags_cannot_be_read_should_act_on_the_mapping_and_fail_for_a_retry() {
        let d = deps(Some("unreadable"), r#"{"orders-error-rate": ["orders/live"]}"#, 0);
        let err = function_handler(&d, alarm("ALARM")).await.unwrap_err();
        assert_eq!(err.error_type, "Shiftguard.RollbackIncomplete");
        assert!(err.error_message.contains("AccessDenied"), "{}", err.error_message);
        assert_eq!(d.control.stops.lock().unwrap().as_slice(), ["d-running"]);
    }

    #[tokio::test]
    async fn codedeploys_and_cloudformations_own_rollbacks_are_never_stopped() {
        for creator in [Creator::CodeDeployRollback, Creator::CloudFormationRollback] {
            let d = deps(None, r#"{"orders-error-rate": ["orders/live"]}"#, 0);
            d.control.deployments.lock().unwrap()[0].1.creator = creator.clone();
            let out = function_handler(&d, alarm("ALARM")).await.unwrap();
            assert!(d.control.stops.lock().unwrap().is_empty(), "{creator}");
            let note = out["groups"][0]["notes"][0].as_str().unwrap();
            assert!(note.contains(&format!("is a rollback (creator {creator})")), "{note}");
        }
    }

    #[tokio::test]
    async fn when_fired_twice_the_second_time_should_leave_the_rollback_it_started_alone() {
        let d = deps(None, r#"{"orders-error-rate": ["orders/live"]}"#, 0);
        function_handler(&d, alarm("ALARM")).await.unwrap();
        let second = function_handler(&d, alarm("ALARM")).await.unwrap();
        assert_eq!(second["action"], "none");
        assert_eq!(d.control.stops.lock().unwrap().as_slice(), ["d-running"]);
        let note = second["groups"][0]["notes"][0].as_str().unwrap();
        assert!(note.contains("d-running-rollback is a rollback"), "{note}");
        assert!(note.contains("rolling back d-running"), "{note}");
    }

    #[tokio::test]
    async fn a_release_that_failed_as_it_was_stopped_leaves_its_rollback_alone_and_the_bake_window_unread() {
        let mut d = deps(None, r#"{"orders-error-rate": ["catalog/live"]}"#, 10);
        d.control.fails_before_stop = Some("d-late");
        d.control.deployments.lock().unwrap().push((
            group("catalog", "live"),
            fakes::summary("d-late", DeploymentStatus::InProgress, None, None),
        ));
        let out = function_handler(&d, alarm("ALARM")).await.unwrap();
        assert!(
            d.aliases.0.lock().unwrap().is_empty(),
            "the baked release is not undone under a rollback"
        );
        assert_eq!(out["groups"][0]["already_completed"], json!(["d-late"]));
        let notes = out["groups"][0]["notes"].to_string();
        assert!(notes.contains("d-late-rollback is a rollback"), "{notes}");
    }

    #[tokio::test]
    async fn a_rollback_that_succeeded_within_the_bake_window_is_never_undone() {
        let d = deps(None, r#"{"orders-error-rate": ["catalog/live"]}"#, 10);
        d.control.deployments.lock().unwrap()[2].1.creator = Creator::CodeDeployRollback;
        let out = function_handler(&d, alarm("ALARM")).await.unwrap();
        assert!(d.aliases.0.lock().unwrap().is_empty());
        assert_eq!(out["action"], "none");
        let note = out["groups"][0]["notes"][0].as_str().unwrap();
        assert!(note.contains("is a rollback"), "{note}");
    }

    #[tokio::test]
    async fn when_unmapped_should_do_nothing_without_failing() {
        let d = deps(None, "{}", 0);
        let out = function_handler(&d, alarm("ALARM")).await.unwrap();
        assert_eq!(out["action"], "none");
        assert!(out["reason"].as_str().unwrap().contains("guards no deployment group"));
    }

    #[tokio::test]
    async fn when_a_success_is_inside_the_bake_window_should_point_the_alias_back() {
        let d = deps(None, r#"{"orders-error-rate": ["catalog/live"]}"#, 10);
        let out = function_handler(&d, alarm("ALARM")).await.unwrap();
        assert_eq!(
            d.aliases.0.lock().unwrap().as_slice(),
            [("orders-api".to_string(), "live".to_string(), "6".to_string())]
        );
        assert_eq!(out["groups"][0]["alias_rolled_back"]["from_version"], "7");
    }

    #[tokio::test]
    async fn when_the_success_is_older_than_the_bake_window_should_leave_the_alias() {
        let d = deps(None, r#"{"orders-error-rate": ["catalog/live"]}"#, 1);
        function_handler(&d, alarm("ALARM")).await.unwrap();
        assert!(d.aliases.0.lock().unwrap().is_empty());
    }
}
