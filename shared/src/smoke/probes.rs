//! `SMOKE_TESTS`: the probes the BeforeAllowTraffic hook runs, parsed and validated.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::named_entries::{EntriesError, NamedEntries};

/// Upper bounds that keep one probe from eating the hook's whole hour.
pub const MAX_ATTEMPTS: u32 = 100;
pub const MAX_PROBES: usize = 50;

/// One smoke probe, validated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Probe {
    pub name: String,
    pub action: ProbeAction,
    pub expect: Expect,
    pub attempts: u32,
    #[serde(serialize_with = "as_millis")]
    pub interval: Duration,
    #[serde(serialize_with = "as_millis")]
    pub timeout: Duration,
}

/// What a probe does.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProbeAction {
    /// Invoke the new version (or `function`, where given) with `payload`.
    Lambda { payload: Value, function: Option<String> },
    /// Send an HTTP request, e.g. to an ECS test listener.
    Http {
        url: String,
        method: String,
        headers: BTreeMap<String, String>,
        body: Option<String>,
    },
}

impl ProbeAction {
    /// A Lambda probe without `function` invokes the deployment's target version, so it needs
    /// the AppSpec; every other probe names what it calls.
    pub fn needs_target(&self) -> bool {
        matches!(self, ProbeAction::Lambda { function: None, .. })
    }

    pub fn kind(&self) -> &'static str {
        match self {
            ProbeAction::Lambda { .. } => "lambda",
            ProbeAction::Http { .. } => "http",
        }
    }
}

/// What a probe's response must show. Empty means: no function error and a 2xx status where there is one.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_contains: Option<String>,
    /// JSON pointer (`/status`) to the value expected there.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub json: BTreeMap<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_latency_ms: Option<u64>,
}

/// A bad `SMOKE_TESTS`, naming the probe and the field.
pub type SmokeTestsError = EntriesError;

const SMOKE_TESTS: NamedEntries = NamedEntries {
    variable: "SMOKE_TESTS",
    entry: "probe",
    max: MAX_PROBES,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProbe {
    name: Option<String>,
    lambda: Option<RawLambda>,
    http: Option<RawHttp>,
    #[serde(default)]
    expect: Expect,
    attempts: Option<u32>,
    interval_ms: Option<u64>,
    timeout_ms: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLambda {
    #[serde(default = "empty_object")]
    payload: Value,
    function: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHttp {
    url: String,
    method: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    body: Option<String>,
}

fn empty_object() -> Value {
    Value::Object(Default::default())
}

/// The probe a Lambda deployment gets when `SMOKE_TESTS` is unset: invoke the new version with `{}`.
pub fn default_lambda_probe() -> Probe {
    Probe {
        name: "invoke".to_string(),
        action: ProbeAction::Lambda {
            payload: empty_object(),
            function: None,
        },
        expect: Expect::default(),
        attempts: 1,
        interval: Duration::from_millis(1000),
        timeout: Duration::from_millis(10_000),
    }
}

/// Parses the `SMOKE_TESTS` JSON array.
pub fn parse_smoke_tests(json: &str) -> Result<Vec<Probe>, SmokeTestsError> {
    SMOKE_TESTS.parse(
        json,
        |r: &RawProbe| r.name.as_deref(),
        |r, entry| {
            let invalid = |problem: String| entry.invalid(problem);
            let name = entry.name().to_string();
            let action = match (r.lambda, r.http) {
                (Some(l), None) => ProbeAction::Lambda {
                    payload: l.payload,
                    function: l.function,
                },
                (None, Some(h)) => {
                    let url = h.url.trim().to_string();
                    if !(url.starts_with("http://") || url.starts_with("https://")) {
                        return Err(invalid(format!(
                            "`http.url` `{url}` must start with http:// or https://"
                        )));
                    }
                    let method = h.method.unwrap_or_else(|| "GET".into()).to_ascii_uppercase();
                    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
                        return Err(invalid(format!("`http.method` `{method}` is not an HTTP method")));
                    }
                    ProbeAction::Http {
                        url,
                        method,
                        headers: h.headers,
                        body: h.body,
                    }
                }
                (Some(_), Some(_)) => return Err(invalid("give either `lambda` or `http`, not both".into())),
                (None, None) => return Err(invalid("needs a `lambda` or an `http` action".into())),
            };
            if let Some(bad) = r.expect.json.keys().find(|k| !k.is_empty() && !k.starts_with('/')) {
                return Err(invalid(format!(
                    "`expect.json` key `{bad}` is not a JSON pointer (it must start with `/`)"
                )));
            }
            if let Some(s) = r.expect.status.filter(|s| !(100..=599).contains(s)) {
                return Err(invalid(format!("`expect.status` {s} is not an HTTP status")));
            }
            let attempts = r.attempts.unwrap_or(1);
            if !(1..=MAX_ATTEMPTS).contains(&attempts) {
                return Err(invalid(format!(
                    "`attempts` must be between 1 and {MAX_ATTEMPTS}, not {attempts}"
                )));
            }
            let timeout_ms = r.timeout_ms.unwrap_or(10_000);
            if timeout_ms == 0 || timeout_ms > 3_600_000 {
                return Err(invalid(format!(
                    "`timeout_ms` must be between 1 and 3600000, not {timeout_ms}"
                )));
            }
            let interval_ms = r.interval_ms.unwrap_or(1000);
            if interval_ms > 600_000 {
                return Err(invalid(format!(
                    "`interval_ms` must be at most 600000, not {interval_ms}"
                )));
            }
            Ok(Probe {
                name,
                action,
                expect: r.expect,
                attempts,
                interval: Duration::from_millis(interval_ms),
                timeout: Duration::from_millis(timeout_ms),
            })
        },
    )
}

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_the_documented_probe() {
        let probes = parse_smoke_tests(include_str!("../../tests/fixtures/smoke-tests.json")).unwrap();
        assert_eq!(probes.len(), 2);
        let health = &probes[0];
        assert_eq!(health.name, "health");
        assert_eq!(health.attempts, 3);
        assert_eq!(health.interval, Duration::from_millis(500));
        assert_eq!(health.timeout, Duration::from_millis(2000));
        assert_eq!(health.expect.status, Some(200));
        assert_eq!(health.expect.json.get("/status"), Some(&Value::from("UP")));
        assert!(matches!(&health.action, ProbeAction::Lambda { function: None, .. }));
        match &probes[1].action {
            ProbeAction::Http { method, headers, .. } => {
                assert_eq!(method, "GET");
                assert_eq!(
                    headers.get("Authorization").map(String::as_str),
                    Some("Bearer secret-token")
                );
            }
            other => panic!("expected an http probe, got {other:?}"),
        }
    }

    #[test]
    fn defaults_are_one_attempt_one_second_apart_ten_seconds_each() {
        let p = &parse_smoke_tests(r#"[{"name":"a","lambda":{}}]"#).unwrap()[0];
        assert_eq!(
            (p.attempts, p.interval, p.timeout),
            (1, Duration::from_secs(1), Duration::from_secs(10))
        );
        assert_eq!(
            p.action,
            ProbeAction::Lambda {
                payload: serde_json::json!({}),
                function: None
            }
        );
    }

    #[test]
    fn errors_name_the_probe_and_the_field() {
        let cases = [
            (r#"[{"lambda":{}}]"#, "probe 1 (unnamed): `name` is required"),
            (
                r#"[{"name":"a"}]"#,
                "probe 1 (`a`): needs a `lambda` or an `http` action",
            ),
            (r#"[{"name":"a","lambda":{},"http":{"url":"http://x"}}]"#, "not both"),
            (r#"[{"name":"a","http":{"url":"ftp://x"}}]"#, "`http.url` `ftp://x`"),
            (
                r#"[{"name":"a","lambda":{},"attempts":0}]"#,
                "`attempts` must be between 1",
            ),
            (r#"[{"name":"a","lambda":{},"timeout_ms":0}]"#, "`timeout_ms`"),
            (
                r#"[{"name":"a","lambda":{},"expect":{"json":{"status":"UP"}}}]"#,
                "not a JSON pointer",
            ),
            (
                r#"[{"name":"a","lambda":{},"expect":{"status":42}}]"#,
                "`expect.status` 42",
            ),
            (
                r#"[{"name":"a","lambda":{}},{"name":"a","lambda":{}}]"#,
                "probe 2 (`a`): another probe has the same name",
            ),
        ];
        for (json, expected) in cases {
            let err = parse_smoke_tests(json).unwrap_err().to_string();
            assert!(err.contains(expected), "{json}: `{err}` lacks `{expected}`");
        }
    }

    #[test]
    fn typos_are_rejected_not_ignored() {
        let err = parse_smoke_tests(r#"[{"name":"a","lambda":{},"expext":{"status":200}}]"#).unwrap_err();
        assert!(
            matches!(err, SmokeTestsError::Syntax { ref reason, .. } if reason.contains("expext")),
            "{err}"
        );
    }

    #[test]
    fn not_an_array_is_a_syntax_error() {
        assert!(matches!(
            parse_smoke_tests("{\"name\":\"a\"}"),
            Err(SmokeTestsError::Syntax { .. })
        ));
        assert!(matches!(parse_smoke_tests("[{"), Err(SmokeTestsError::Syntax { .. })));
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,300}") {
            let _ = parse_smoke_tests(&s);
        }

        #[test]
        fn valid_probes_round_trip_their_bounds(attempts in 0u32..200, timeout in 0u64..4_000_000, interval in 0u64..700_000) {
            let json = format!(r#"[{{"name":"p","lambda":{{}},"attempts":{attempts},"timeout_ms":{timeout},"interval_ms":{interval}}}]"#);
            match parse_smoke_tests(&json) {
                Ok(p) => {
                    prop_assert!((1..=MAX_ATTEMPTS).contains(&p[0].attempts));
                    prop_assert!(p[0].timeout > Duration::ZERO);
                }
                Err(e) => prop_assert!(e.to_string().starts_with("SMOKE_TESTS probe 1")),
            }
        }
    }
}
