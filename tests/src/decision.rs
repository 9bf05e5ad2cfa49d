//! Finding the decision records in a hook's log lines.

use serde_json::Value;

use crate::runtime_api::FunctionRun;

/// Every decision record the run wrote.
pub fn decision_records(run: &FunctionRun) -> Vec<Value> {
    run.json_lines()
        .into_iter()
        .filter(|l| l["record"] == "shiftguard.decision")
        .collect()
}

/// The one decision record of a single-event run.
pub fn decision_record(run: &FunctionRun) -> Value {
    let records = decision_records(run);
    assert_eq!(
        records.len(),
        1,
        "one decision record per verdict; stdout:\n{}",
        run.stdout.join("\n")
    );
    records.into_iter().next().unwrap()
}

/// All reasons of a record, joined, for `contains` checks.
pub fn reasons(record: &Value) -> String {
    record["reasons"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" | "))
        .unwrap_or_default()
}
