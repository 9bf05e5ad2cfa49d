//! One input line of `shiftguard judge`: a deployment's settings and minutes in, its verdict out
//! as one JSON line, or an error naming the field. Pure: text in, text out.

use std::collections::BTreeMap;

use serde::Deserialize;
use shiftguard::canary::error::CanaryError;
use shiftguard::canary::judge::Judge;
use shiftguard::canary::minute::Minute;
use shiftguard::canary::settings::JudgeSettings;
use shiftguard::config::env::{ConfigError, FromEnv};
use thiserror::Error;

use crate::judge::output::Judged;

/// The settings a line may give, as the functions read them from their environment.
pub const SETTINGS: [&str; 2] = ["CONFIDENCE", "MAX_ERROR_RATE"];

/// The most calls (or errors) one version may have in a minute: far above any Lambda function's
/// traffic, and far enough below `u64::MAX` that the judge's sums cannot overflow.
pub const MAX_COUNT: u64 = 1_000_000_000;

/// One deployment, as a line gives it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Deployment {
    /// Each value a string, as in the environment; every key optional.
    #[serde(default)]
    settings: BTreeMap<String, String>,
    /// Complete minutes, oldest first.
    minutes: Vec<Minute>,
}

/// Why a line could not be judged; shown after "line N: ".
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LineError {
    #[error("not UTF-8 text: each line must be one JSON object")]
    NotUtf8,
    #[error("not valid JSON: {message} (column {column}); each line must be one JSON object")]
    Syntax { message: String, column: usize },
    #[error("{message}")]
    Shape { message: String },
    #[error("{path}: {message}")]
    Field { path: String, message: String },
}

fn field(path: impl Into<String>, message: impl Into<String>) -> LineError {
    LineError::Field {
        path: path.into(),
        message: message.into(),
    }
}

/// serde_json's message without its " at line 1 column N": the line is ours to number.
fn without_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

fn parse(text: &str) -> Result<Deployment, LineError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let deployment: Deployment =
        serde_path_to_error::deserialize(&mut de).map_err(|e| json_error(&e.path().to_string(), e.inner()))?;
    de.end().map_err(|e| json_error(".", &e))?;
    Ok(deployment)
}

/// A syntax error says where on the line; any other names the field (`.` is the line's object).
fn json_error(path: &str, e: &serde_json::Error) -> LineError {
    if e.is_syntax() || e.is_eof() {
        LineError::Syntax {
            message: without_position(e),
            column: e.column(),
        }
    } else if path == "." {
        LineError::Shape {
            message: without_position(e),
        }
    } else {
        field(path, without_position(e))
    }
}

/// The judge's settings from the line's `settings`, read as the functions read their environment.
fn settings(given: &BTreeMap<String, String>) -> Result<JudgeSettings, LineError> {
    if let Some(unknown) = given.keys().find(|k| !SETTINGS.contains(&k.as_str())) {
        return Err(field(
            format!("settings.{unknown}"),
            format!(
                "unknown setting; the canary judge reads {} (each a string, as in the environment)",
                SETTINGS.join(" and ")
            ),
        ));
    }
    JudgeSettings::from_lookup(&|k| given.get(k).cloned()).map_err(|e| {
        let variable = match &e {
            ConfigError::Invalid { variable, .. }
            | ConfigError::Unusable { variable, .. }
            | ConfigError::NoLongerRead { variable, .. } => *variable,
            ConfigError::Entries(_) => "",
        };
        field(format!("settings.{variable}"), e.to_string())
    })
}

/// Every count within [`MAX_COUNT`], the first one beyond named.
fn within_bounds(minutes: &[Minute]) -> Result<(), LineError> {
    for (i, m) in minutes.iter().enumerate() {
        for (version, c) in [("new", m.new), ("old", m.old)] {
            for (name, value) in [("invocations", c.invocations), ("errors", c.errors)] {
                if value > MAX_COUNT {
                    return Err(field(
                        format!("minutes[{i}].{version}.{name}"),
                        format!(
                            "{value} in one minute is more than the judge takes: at most {MAX_COUNT} a minute for each version"
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// The judge's complaint about a minute, named by its place in `minutes`.
fn minute_error(e: CanaryError) -> LineError {
    match e {
        CanaryError::MoreErrorsThanInvocations {
            minute,
            version,
            errors,
            invocations,
        } => field(
            format!("minutes[{}].{version}.errors", minute - 1),
            format!(
                "{errors} errors in {invocations} invocations; a minute cannot have more errors than \
                 invocations (pass only complete minutes, not one CloudWatch is still filling)"
            ),
        ),
        other => LineError::Shape {
            message: other.to_string(),
        },
    }
}

/// The JSON line for input line `number`, or `None` for a blank line.
pub fn judge_line(number: usize, text: &str) -> Result<Option<String>, LineError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    let deployment = parse(text.trim_end_matches(['\n', '\r']))?;
    within_bounds(&deployment.minutes)?;
    let judge = Judge::new(settings(&deployment.settings)?);
    let verdict = judge.final_look(&deployment.minutes).map_err(minute_error)?;
    let judged = Judged::new(number, &judge, verdict);
    Ok(Some(serde_json::to_string(&judged).expect("a verdict serialises")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    const GOOD_MINUTE: &str =
        r#"{"new": {"invocations": 200, "errors": 2}, "old": {"invocations": 1800, "errors": 18}}"#;
    const BAD_MINUTE: &str =
        r#"{"new": {"invocations": 200, "errors": 6}, "old": {"invocations": 1800, "errors": 18}}"#;

    fn line(settings: &str, minute: &str, n: usize) -> String {
        let minutes = vec![minute; n].join(", ");
        format!(r#"{{{settings}"minutes": [{minutes}]}}"#)
    }

    fn judged(text: &str) -> Value {
        serde_json::from_str(&judge_line(7, text).unwrap().unwrap()).unwrap()
    }

    fn error(text: &str) -> String {
        judge_line(7, text).unwrap_err().to_string()
    }

    #[test]
    fn a_healthy_canary_runs_to_the_end() {
        let v = judged(&line("", GOOD_MINUTE, 10));
        assert_eq!(v["line"], 7);
        assert_eq!(v["rollback_at"], Value::Null);
        assert_eq!(v["final"], "Succeeded");
        assert_eq!(v["stopped_by"], Value::Null);
        assert_eq!(v["evidence"].as_array().unwrap().len(), 10);
        assert!(v["reasons"][0].as_str().unwrap().starts_with("no regression shown"));
        assert_eq!(v["settings"]["CONFIDENCE"], 0.95);
        assert_eq!(v["settings"]["MAX_ERROR_RATE"], 1.0);
    }

    #[test]
    fn a_3x_canary_is_stopped_at_its_second_minute() {
        let v = judged(&line(
            r#""settings": {"CONFIDENCE": "0.95", "MAX_ERROR_RATE": "5.0"}, "#,
            BAD_MINUTE,
            10,
        ));
        assert_eq!(v["rollback_at"], 2);
        assert_eq!(v["final"], "Failed");
        assert_eq!(v["stopped_by"], "relative");
        assert!(
            v["reasons"][0]
                .as_str()
                .unwrap()
                .starts_with("minute 2: the new version fails 3.00x")
        );
        assert_eq!(v["thresholds"]["relative"], 25.0);
        assert_eq!(v["thresholds"]["ceiling"], 100.0);
        assert_eq!(v["alpha"], 0.05);
        assert!(v["evidence"][1]["relative"].as_f64().unwrap() >= 25.0);
        assert!(v["final_look"]["relative"]["p_value"].is_number());
        assert!(v["final_look"]["ceiling"]["critical"].is_number());
    }

    #[test]
    fn the_output_is_one_line() {
        let out = judge_line(1, &line("", BAD_MINUTE, 3)).unwrap().unwrap();
        assert!(!out.contains('\n'));
    }

    #[test]
    fn blank_lines_are_skipped() {
        assert_eq!(judge_line(1, ""), Ok(None));
        assert_eq!(judge_line(1, "  \t\r\n"), Ok(None));
    }

    #[test]
    fn no_minutes_yet_is_no_rollback() {
        let v = judged(r#"{"minutes": []}"#);
        assert_eq!(
            (v["rollback_at"].clone(), v["final"].clone()),
            (Value::Null, "Succeeded".into())
        );
    }

    #[test]
    fn more_errors_than_invocations_names_the_minute_and_field() {
        let bad = r#"{"new": {"invocations": 3, "errors": 5}, "old": {"invocations": 10, "errors": 0}}"#;
        let text = format!(r#"{{"minutes": [{GOOD_MINUTE}, {GOOD_MINUTE}, {bad}]}}"#);
        let e = error(&text);
        assert!(e.starts_with("minutes[2].new.errors: 5 errors in 3 invocations"), "{e}");
    }

    #[test]
    fn counts_beyond_any_real_traffic_are_refused_not_overflowed() {
        let huge = r#"{"new": {"invocations": 18446744073709551615, "errors": 1}, "old": {"invocations": 18446744073709551615, "errors": 1}}"#;
        let e = error(&format!(r#"{{"minutes": [{GOOD_MINUTE}, {huge}]}}"#));
        assert_eq!(
            e,
            "minutes[1].new.invocations: 18446744073709551615 in one minute is more than the judge takes: at most \
             1000000000 a minute for each version"
        );
        let at_the_limit =
            r#"{"new": {"invocations": 1000000000, "errors": 0}, "old": {"invocations": 1000000000, "errors": 0}}"#;
        assert_eq!(
            judged(&format!(r#"{{"minutes": [{at_the_limit}]}}"#))["final"],
            "Succeeded"
        );
    }

    #[test]
    fn malformed_json_says_where() {
        let e = error(r#"{"minutes": [}"#);
        assert!(e.starts_with("not valid JSON: expected value (column 14)"), "{e}");
        let e = error("{\"minutes\": [\r\n");
        assert!(
            e.starts_with("not valid JSON: EOF while parsing a list (column 13)"),
            "{e}"
        );
        let e = error(r#"{"minutes": []} trailing"#);
        assert!(e.starts_with("not valid JSON: trailing characters"), "{e}");
        assert_eq!(parse_error(&[0xff, b'{']), LineError::NotUtf8);
    }

    fn parse_error(bytes: &[u8]) -> LineError {
        std::str::from_utf8(bytes)
            .map_err(|_| LineError::NotUtf8)
            .and_then(|t| judge_line(1, t))
            .unwrap_err()
    }

    #[test]
    fn wrong_types_and_missing_fields_name_the_field() {
        let e = error(
            r#"{"minutes": [{"new": {"invocations": "200", "errors": 2}, "old": {"invocations": 1, "errors": 0}}]}"#,
        );
        assert!(
            e.starts_with("minutes[0].new.invocations: invalid type: string \"200\""),
            "{e}"
        );
        let e = error(
            r#"{"minutes": [{"new": {"invocations": 2, "errors": -1}, "old": {"invocations": 1, "errors": 0}}]}"#,
        );
        assert!(
            e.starts_with("minutes[0].new.errors: invalid value: integer `-1`"),
            "{e}"
        );
        let e = error(r#"{"minutes": [{"new": {"invocations": 2}, "old": {"invocations": 1, "errors": 0}}]}"#);
        assert_eq!(e, "minutes[0].new: missing field `errors`");
        assert_eq!(error(r#"{"settings": {}}"#), "missing field `minutes`");
        let e = error(r#"{"minute": [], "minutes": []}"#);
        assert_eq!(e, "minute: unknown field `minute`, expected `settings` or `minutes`");
        let e = error(r#"{"settings": {"CONFIDENCE": 0.95}, "minutes": []}"#);
        assert!(
            e.starts_with("settings.CONFIDENCE: invalid type: floating point `0.95`, expected a string"),
            "{e}"
        );
    }

    #[test]
    fn settings_are_read_as_the_functions_read_them() {
        let e = error(r#"{"settings": {"CONFIDENCE": "95"}, "minutes": []}"#);
        assert_eq!(
            e,
            r#"settings.CONFIDENCE: CONFIDENCE is not valid: "95" is not a number from 0.5 to 0.9999"#
        );
        let e = error(r#"{"settings": {"MAX_ERROR_RATE": "5%"}, "minutes": []}"#);
        assert!(
            e.starts_with("settings.MAX_ERROR_RATE: MAX_ERROR_RATE is not valid"),
            "{e}"
        );
        let e = error(r#"{"settings": {"CONFIDENCE": "0.9", "MIN_INVOCATIONS": "20"}, "minutes": []}"#);
        assert!(
            e.starts_with(
                "settings.MIN_INVOCATIONS: unknown setting; the canary judge reads CONFIDENCE and MAX_ERROR_RATE"
            ),
            "{e}"
        );
        let v = judged(r#"{"settings": {"CONFIDENCE": "0.99", "MAX_ERROR_RATE": ""}, "minutes": []}"#);
        assert_eq!(
            (v["settings"]["CONFIDENCE"].clone(), v["alpha"].clone()),
            (0.99.into(), 0.01.into())
        );
        assert_eq!(
            v["settings"]["MAX_ERROR_RATE"], 1.0,
            "blank is unset, as in the environment"
        );
    }
}
