//! Settings in layers (issue 15): a deployment group's settings document, then its application's,
//! then the function's environment, then the defaults. Each document is a JSON or YAML object of
//! the variables the functions read, kept in Parameter Store; this module parses one and merges
//! them, keeping where each value came from. Pure: the parameter's text in, a lookup out, which
//! every `FromEnv` parser takes as it takes the environment, so a document's value is checked by
//! the same parser with the same error as the variable.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use thiserror::Error;

/// A settings document is at most this long: Parameter Store's advanced tier holds 8 KB
/// (<https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html>).
pub const MAX_DOCUMENT_BYTES: usize = 8 * 1024;

/// Every variable a settings document may set: what an application decides about its own
/// releases, read by the hooks and the canary judge.
pub const KNOWN: [&str; 11] = [
    "SMOKE_TESTS",
    "DRY_RUN",
    "MAX_ERROR_RATE",
    "CONFIDENCE",
    "MIN_INVOCATIONS",
    "ON_INSUFFICIENT_DATA",
    "SETTLE_SECONDS",
    "MAX_P99_MS",
    "MAX_THROTTLES",
    "WINDOW_MINUTES",
    "METRIC_CHECKS",
];

/// Variables the functions read that only their own environment may set, and why: a document
/// that sets one fails, naming the reason, instead of being ignored.
pub const ENVIRONMENT_ONLY: [(&str, &str); 7] = [
    (
        "TARGET_FUNCTION",
        "it pins a hook to one function, which a hook serving many applications cannot be",
    ),
    ("TARGET_VERSION", "it pins a hook to one version"),
    (
        "REPORT_RESERVE_MS",
        "it is the hook's own time to report, set before any document is read",
    ),
    (
        "ROLLBACK_TARGETS",
        "alarm-rollback acts on the deployment groups an alarm names, which an application's document cannot widen",
    ),
    (
        "BAKE_MINUTES",
        "alarm-rollback reads it once for every deployment group its alarms name",
    ),
    (
        "METRICS_NAMESPACE",
        "one namespace serves the whole account's dashboards",
    ),
    (
        "VERSIONS_TO_KEEP",
        "deploy-events prunes with one policy for the account",
    ),
];

/// Where an effective value came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "from", content = "parameter", rename_all = "snake_case")]
pub enum Source {
    /// The deployment group's document, by parameter name.
    DeploymentGroup(String),
    /// The application's document, by parameter name.
    Application(String),
    Environment,
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DocumentError {
    #[error("settings document {parameter} is {size} bytes, more than the {max} shiftguard reads", max = MAX_DOCUMENT_BYTES)]
    TooLarge { parameter: String, size: usize },
    #[error("settings document {parameter} is neither a JSON nor a YAML object: {problem}")]
    NotAnObject { parameter: String, problem: String },
    #[error(
        "settings document {parameter} sets {key}, which no shiftguard function reads (a typo?); a document may set {}",
        KNOWN.join(", ")
    )]
    UnknownKey { parameter: String, key: String },
    #[error("settings document {parameter} sets {key}, which only a function's environment may set: {why}")]
    EnvironmentOnly {
        parameter: String,
        key: String,
        why: &'static str,
    },
    #[error("settings document {parameter} sets {key} to null; leave the key out to use the next layer")]
    Null { parameter: String, key: String },
}

/// One document's settings as the environment would hold them: scalars as their text, arrays and
/// objects (`SMOKE_TESTS`, `METRIC_CHECKS`, `ROLLBACK_TARGETS`) as JSON.
pub fn parse_document(parameter: &str, text: &str) -> Result<BTreeMap<String, String>, DocumentError> {
    if text.len() > MAX_DOCUMENT_BYTES {
        return Err(DocumentError::TooLarge {
            parameter: parameter.to_string(),
            size: text.len(),
        });
    }
    let not_object = |problem: String| DocumentError::NotAnObject {
        parameter: parameter.to_string(),
        problem,
    };
    // JSON is YAML, but its errors are clearer for a document that was meant as JSON.
    let value: Value = if text.trim_start().starts_with('{') {
        serde_json::from_str(text).map_err(|e| not_object(e.to_string()))?
    } else {
        serde_norway::from_str(text).map_err(|e| not_object(e.to_string()))?
    };
    let Value::Object(map) = value else {
        return Err(not_object("the top level must be an object of settings".into()));
    };
    map.into_iter()
        .map(|(key, value)| {
            if let Some((_, why)) = ENVIRONMENT_ONLY.iter().find(|(k, _)| *k == key) {
                return Err(DocumentError::EnvironmentOnly {
                    parameter: parameter.to_string(),
                    key,
                    why,
                });
            }
            if !KNOWN.contains(&key.as_str()) {
                return Err(DocumentError::UnknownKey {
                    parameter: parameter.to_string(),
                    key,
                });
            }
            let text = match value {
                Value::Null => {
                    return Err(DocumentError::Null {
                        parameter: parameter.to_string(),
                        key,
                    });
                }
                Value::String(s) => s,
                Value::Bool(b) => b.to_string(),
                Value::Number(n) => n.to_string(),
                other => other.to_string(),
            };
            Ok((key, text))
        })
        .collect()
}

/// The layers, first match wins: the group's document, the application's, the environment.
pub struct Layers<E> {
    pub group: Option<(String, BTreeMap<String, String>)>,
    pub application: Option<(String, BTreeMap<String, String>)>,
    pub environment: E,
}

impl<E: Fn(&str) -> Option<String>> Layers<E> {
    /// The effective value of `variable` and where it came from; `None`: the default applies.
    pub fn get(&self, variable: &str) -> Option<(String, Source)> {
        let document = |layer: &Option<(String, BTreeMap<String, String>)>| {
            layer
                .as_ref()
                .and_then(|(name, values)| values.get(variable).map(|v| (name.clone(), v.clone())))
        };
        if let Some((name, v)) = document(&self.group) {
            return Some((v, Source::DeploymentGroup(name)));
        }
        if let Some((name, v)) = document(&self.application) {
            return Some((v, Source::Application(name)));
        }
        (self.environment)(variable).map(|v| (v, Source::Environment))
    }

    /// The lookup the `FromEnv` parsers take.
    pub fn lookup(&self) -> impl Fn(&str) -> Option<String> + '_ {
        |variable| self.get(variable).map(|(v, _)| v)
    }

    /// Where each known variable set in any layer came from, for the decision record.
    pub fn sources(&self) -> BTreeMap<&'static str, Source> {
        KNOWN
            .iter()
            .filter_map(|k| self.get(k).map(|(_, source)| (*k, source)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::settings::GateSettings;

    #[test]
    fn json_and_yaml_documents_read_as_the_environment_would() {
        let json = parse_document(
            "/shiftguard/orders",
            r#"{"MAX_ERROR_RATE": 2.5, "DRY_RUN": true, "METRIC_CHECKS": [{"name": "x"}]}"#,
        )
        .unwrap();
        assert_eq!(json["MAX_ERROR_RATE"], "2.5");
        assert_eq!(json["DRY_RUN"], "true");
        assert_eq!(json["METRIC_CHECKS"], r#"[{"name":"x"}]"#);
        let yaml = parse_document(
            "/shiftguard/orders/live",
            "CONFIDENCE: 0.99\nON_INSUFFICIENT_DATA: fail\n",
        )
        .unwrap();
        assert_eq!(yaml["CONFIDENCE"], "0.99");
        assert_eq!(yaml["ON_INSUFFICIENT_DATA"], "fail");
    }

    #[test]
    fn bad_documents_name_the_parameter_and_the_key() {
        let e = parse_document("/shiftguard/orders", r#"{"MAX_ERROR_RATES": 2}"#).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("settings document /shiftguard/orders sets MAX_ERROR_RATES"),
            "{e}"
        );
        let e = parse_document("/shiftguard/orders", "TARGET_FUNCTION: other").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("settings document /shiftguard/orders sets TARGET_FUNCTION, which only a function's environment may set: it pins"),
            "{e}"
        );
        let e = parse_document("/shiftguard/orders", "[1, 2]").unwrap_err();
        assert!(matches!(e, DocumentError::NotAnObject { .. }), "{e}");
        let e = parse_document("/shiftguard/orders", r#"{"DRY_RUN": null}"#).unwrap_err();
        assert!(matches!(e, DocumentError::Null { .. }), "{e}");
        let e = parse_document("/p", &format!("{{\"SMOKE_TESTS\": \"{}\"}}", "x".repeat(9000))).unwrap_err();
        assert!(matches!(e, DocumentError::TooLarge { .. }), "{e}");
        let e = parse_document("/p", "{not json").unwrap_err();
        assert!(e.to_string().contains("/p is neither a JSON nor a YAML object"), "{e}");
    }

    #[test]
    fn the_group_beats_the_application_beats_the_environment_and_parsers_see_one_lookup() {
        let layers = Layers {
            group: Some((
                "/shiftguard/orders/live".into(),
                parse_document("/shiftguard/orders/live", "MAX_ERROR_RATE: 5").unwrap(),
            )),
            application: Some((
                "/shiftguard/orders".into(),
                parse_document("/shiftguard/orders", "MAX_ERROR_RATE: 2\nCONFIDENCE: 0.99").unwrap(),
            )),
            environment: |k: &str| (k == "MIN_INVOCATIONS" || k == "CONFIDENCE").then(|| "50".to_string()),
        };
        let sources = layers.sources();
        assert_eq!(
            sources["MAX_ERROR_RATE"],
            Source::DeploymentGroup("/shiftguard/orders/live".into())
        );
        assert_eq!(sources["CONFIDENCE"], Source::Application("/shiftguard/orders".into()));
        assert_eq!(sources["MIN_INVOCATIONS"], Source::Environment);
        assert!(!sources.contains_key("MAX_P99_MS"), "unset everywhere: the default");
        let gate = GateSettings::from_lookup(&layers.lookup()).unwrap();
        assert_eq!(
            (gate.max_error_rate_pct, gate.confidence, gate.min_invocations),
            (5.0, 0.99, 50)
        );
    }

    #[test]
    fn a_documents_bad_value_fails_with_the_parser_of_the_variable() {
        let layers = Layers {
            group: None,
            application: Some((
                "/shiftguard/orders".into(),
                parse_document("/shiftguard/orders", "CONFIDENCE: 1.5").unwrap(),
            )),
            environment: |_: &str| None,
        };
        let e = GateSettings::from_lookup(&layers.lookup()).unwrap_err().to_string();
        assert!(e.starts_with("CONFIDENCE"), "{e}");
    }
}
