//! The outcome of one check, as it goes into the decision record.

use serde::Serialize;
use serde_json::Value;

/// One check: what it measured, what it expected, and why it failed (empty when it passed).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckOutcome {
    pub name: String,
    pub kind: String,
    pub passed: bool,
    pub measured: Value,
    pub expected: Value,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    /// Too little data to judge; `passed` then says how `ON_INSUFFICIENT_DATA` resolved it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub inconclusive: bool,
    /// What a passing check wants said anyway (why it was inconclusive, why it was skipped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl CheckOutcome {
    /// A check that could not run at all (no target, bad configuration, out of time).
    pub fn not_run(name: &str, kind: &str, reason: impl Into<String>) -> Self {
        CheckOutcome {
            name: name.to_string(),
            kind: kind.to_string(),
            passed: false,
            measured: Value::Null,
            expected: Value::Null,
            reasons: vec![reason.into()],
            inconclusive: false,
            note: None,
        }
    }
}
