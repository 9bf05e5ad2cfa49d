//! The decision record: one structured JSON log line per verdict, with everything that went into it.

use serde::Serialize;

use crate::hook::check::CheckOutcome;
use crate::hook::verdict::Status;
use crate::settings::effective::SettingsRecord;
use crate::target::deployment_target::DeploymentTarget;

/// Marks the line so Logs Insights can find every verdict: `filter record = "shiftguard.decision"`.
pub const RECORD_KIND: &str = "shiftguard.decision";

#[derive(Debug, Clone, Serialize)]
pub struct DecisionRecord {
    pub record: &'static str,
    pub hook: &'static str,
    pub lifecycle_event: String,
    /// Absent only where no deployment is known (`shiftguard validate` run by hand).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_id: Option<String>,
    /// The Lambda hooks' `LifecycleEventHookExecutionId`; absent for an instance's script.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hook_execution_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_group: Option<String>,
    pub target: Option<DeploymentTarget>,
    pub checks: Vec<CheckOutcome>,
    #[serde(skip_serializing_if = "serde_json::Value::is_null")]
    pub inputs: serde_json::Value,
    /// The real judgement.
    pub verdict: Status,
    pub reasons: Vec<String>,
    /// The settings documents read and where each setting came from (absent where the
    /// deployment could not be read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settings: Option<SettingsRecord>,
    pub dry_run: bool,
    /// What is reported to CodeDeploy: the verdict, or `Succeeded` in a dry run.
    pub reported: Status,
    pub elapsed_ms: u64,
}

impl DecisionRecord {
    /// Writes the record as one line on stdout, where Lambda sends it to CloudWatch Logs.
    pub fn emit(&self) {
        emit_line(self)
    }
}

/// Writes any record as one JSON line on stdout (one `println!`, so lines never interleave).
pub fn emit_line(record: &impl Serialize) {
    match serde_json::to_string(record) {
        Ok(line) => println!("{line}"),
        Err(e) => tracing::error!(error = %e, "could not serialize a record"),
    }
}
