//! Judging one probe response against its expectations. Pure: no I/O, no clock.

use std::time::Duration;

use serde_json::{Value, json};

use crate::smoke::probes::Expect;

/// Probe responses are read up to this many bytes; the rest is dropped unread.
pub const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// What one probe attempt got back, reduced to what the expectations look at.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeResponse {
    /// HTTP status, or the `statusCode` a Lambda returned (where it returned one).
    pub status: Option<u16>,
    /// The body expectations look at: the HTTP body, or the Lambda's `body` field
    /// when it answers in the API Gateway/ALB shape, else its whole payload.
    pub body: String,
    pub latency: Duration,
    /// `X-Amz-Function-Error` with the errorType/errorMessage of the payload.
    pub function_error: Option<String>,
    /// A `statusCode` that is present but not a number an HTTP status can be.
    pub malformed_status: Option<String>,
}

impl ProbeResponse {
    /// Reads a Lambda invocation result. `function_error` is the `X-Amz-Function-Error` header.
    pub fn from_lambda(payload: &[u8], function_error: Option<&str>, latency: Duration) -> Self {
        let text = String::from_utf8_lossy(&payload[..payload.len().min(MAX_RESPONSE_BYTES)]).into_owned();
        let parsed: Option<Value> = serde_json::from_str(&text).ok();
        let function_error = function_error.map(|kind| {
            let field = |k: &str| {
                parsed
                    .as_ref()
                    .and_then(|p| p.get(k))
                    .and_then(Value::as_str)
                    .unwrap_or("")
            };
            let (error_type, message) = (field("errorType"), field("errorMessage"));
            match (error_type.is_empty(), message.is_empty()) {
                (true, true) => format!("function error ({kind})"),
                _ => format!("function error ({kind}): {error_type}: {message}"),
            }
        });
        let (mut status, mut malformed_status) = (None, None);
        if let Some(code) = parsed.as_ref().and_then(|p| p.get("statusCode")) {
            match code.as_u64().or_else(|| code.as_str().and_then(|s| s.parse().ok())) {
                Some(n) if (100..=599).contains(&n) => status = Some(n as u16),
                _ => malformed_status = Some(code.to_string()),
            }
        }
        let body = match parsed.as_ref().and_then(|p| p.get("body")) {
            Some(Value::String(b)) if status.is_some() => b.clone(),
            _ => text,
        };
        ProbeResponse {
            status,
            body,
            latency,
            function_error,
            malformed_status,
        }
    }
}

/// One attempt's judgement.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptResult {
    pub passed: bool,
    pub measured: Value,
    pub reasons: Vec<String>,
}

/// What a probe expects, written out for the decision record (defaults made explicit).
pub fn expected_of(expect: &Expect) -> Value {
    let mut e = json!({
        "status": expect.status.map(Value::from).unwrap_or_else(|| Value::from("2xx")),
        "function_error": false,
    });
    if let Some(s) = &expect.body_contains {
        e["body_contains"] = Value::from(s.clone());
    }
    if !expect.json.is_empty() {
        e["json"] = serde_json::to_value(&expect.json).unwrap_or(Value::Null);
    }
    if let Some(ms) = expect.max_latency_ms {
        e["max_latency_ms"] = Value::from(ms);
    }
    e
}

/// Judges one response. Every unmet expectation adds a reason; none means it passed.
pub fn evaluate(expect: &Expect, response: &ProbeResponse) -> AttemptResult {
    let mut reasons = Vec::new();
    if let Some(err) = &response.function_error {
        reasons.push(err.clone());
    }
    if let Some(raw) = &response.malformed_status {
        reasons.push(format!("statusCode {raw} is not an HTTP status"));
    }
    match (expect.status, response.status) {
        (Some(want), Some(got)) if want != got => reasons.push(format!("status {got}, expected {want}")),
        (Some(want), None) if response.function_error.is_none() => {
            reasons.push(format!("no status in the response, expected {want}"))
        }
        (None, Some(got)) if !(200..300).contains(&got) => reasons.push(format!("status {got}, expected 2xx")),
        _ => {}
    }
    if let Some(needle) = &expect.body_contains
        && !response.body.contains(needle.as_str())
    {
        reasons.push(format!("body does not contain {needle:?}"));
    }
    if !expect.json.is_empty() {
        match serde_json::from_str::<Value>(&response.body) {
            Err(e) => reasons.push(format!("body is not JSON ({e}), expected {}", pointers(expect))),
            Ok(doc) => {
                for (pointer, want) in &expect.json {
                    match doc.pointer(pointer) {
                        Some(got) if got == want => {}
                        Some(got) => reasons.push(format!("{pointer} is {got}, expected {want}")),
                        None => reasons.push(format!("{pointer} is missing, expected {want}")),
                    }
                }
            }
        }
    }
    let latency_ms = response.latency.as_millis() as u64;
    if let Some(max) = expect.max_latency_ms
        && latency_ms > max
    {
        reasons.push(format!("latency {latency_ms} ms, expected at most {max} ms"));
    }
    let mut measured = json!({
        "status": response.status,
        "latency_ms": latency_ms,
        "body_bytes": response.body.len(),
    });
    if let Some(err) = &response.function_error {
        measured["function_error"] = Value::from(err.clone());
    }
    AttemptResult {
        passed: reasons.is_empty(),
        measured,
        reasons,
    }
}

fn pointers(expect: &Expect) -> String {
    expect.json.keys().cloned().collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    const MS: Duration = Duration::from_millis(12);

    fn http(status: u16, body: &str) -> ProbeResponse {
        ProbeResponse {
            status: Some(status),
            body: body.into(),
            latency: MS,
            function_error: None,
            malformed_status: None,
        }
    }

    fn expect_json(pairs: &[(&str, Value)]) -> Expect {
        Expect {
            json: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect::<BTreeMap<_, _>>(),
            ..Expect::default()
        }
    }

    #[test]
    fn a_plain_lambda_answer_without_status_passes_by_default() {
        let r = ProbeResponse::from_lambda(br#"{"ok":true}"#, None, MS);
        assert_eq!(r.status, None);
        assert!(evaluate(&Expect::default(), &r).passed);
    }

    #[test]
    fn a_function_error_fails_with_its_type_and_message() {
        let r = ProbeResponse::from_lambda(
            br#"{"errorType":"KeyError","errorMessage":"'orderId'"}"#,
            Some("Unhandled"),
            MS,
        );
        let a = evaluate(&Expect::default(), &r);
        assert!(!a.passed);
        assert_eq!(a.reasons, vec!["function error (Unhandled): KeyError: 'orderId'"]);
        assert_eq!(
            a.measured["function_error"],
            "function error (Unhandled): KeyError: 'orderId'"
        );
    }

    #[test]
    fn a_non_2xx_status_code_fails_without_an_expected_status() {
        let r = ProbeResponse::from_lambda(br#"{"statusCode":503,"body":"down"}"#, None, MS);
        assert_eq!(
            evaluate(&Expect::default(), &r).reasons,
            vec!["status 503, expected 2xx"]
        );
    }

    #[test]
    fn the_expected_status_is_exact() {
        let r = ProbeResponse::from_lambda(br#"{"statusCode":201,"body":""}"#, None, MS);
        let e = Expect {
            status: Some(200),
            ..Expect::default()
        };
        assert_eq!(evaluate(&e, &r).reasons, vec!["status 201, expected 200"]);
        let e = Expect {
            status: Some(201),
            ..Expect::default()
        };
        assert!(evaluate(&e, &r).passed);
    }

    #[test]
    fn string_status_codes_are_read_and_garbage_is_named() {
        let r = ProbeResponse::from_lambda(br#"{"statusCode":"200"}"#, None, MS);
        assert_eq!(r.status, Some(200));
        let r = ProbeResponse::from_lambda(br#"{"statusCode":"teapot"}"#, None, MS);
        assert_eq!(
            evaluate(&Expect::default(), &r).reasons,
            vec![r#"statusCode "teapot" is not an HTTP status"#]
        );
    }

    #[test]
    fn api_gateway_bodies_are_what_body_and_json_expectations_see() {
        let r = ProbeResponse::from_lambda(
            br#"{"statusCode":200,"body":"{\"status\":\"UP\",\"db\":{\"ok\":true}}"}"#,
            None,
            MS,
        );
        let e = Expect {
            body_contains: Some("UP".into()),
            ..expect_json(&[("/status", Value::from("UP")), ("/db/ok", Value::from(true))])
        };
        assert!(evaluate(&e, &r).passed, "{:?}", evaluate(&e, &r));
    }

    #[test]
    fn unmet_json_expectations_say_what_was_there() {
        let e = expect_json(&[("/status", Value::from("UP")), ("/version", Value::from("7"))]);
        let a = evaluate(&e, &http(200, r#"{"status":"DOWN"}"#));
        assert_eq!(
            a.reasons,
            vec![
                r#"/status is "DOWN", expected "UP""#,
                r#"/version is missing, expected "7""#
            ]
        );
        let a = evaluate(&e, &http(200, "<html>"));
        assert!(a.reasons[0].starts_with("body is not JSON"), "{:?}", a.reasons);
    }

    #[test]
    fn http_defaults_to_any_2xx() {
        assert!(evaluate(&Expect::default(), &http(204, "")).passed);
        assert_eq!(
            evaluate(&Expect::default(), &http(302, "")).reasons,
            vec!["status 302, expected 2xx"]
        );
    }

    #[test]
    fn latency_over_the_limit_fails() {
        let mut r = http(200, "");
        r.latency = Duration::from_millis(3001);
        let e = Expect {
            max_latency_ms: Some(3000),
            ..Expect::default()
        };
        assert_eq!(
            evaluate(&e, &r).reasons,
            vec!["latency 3001 ms, expected at most 3000 ms"]
        );
    }

    #[test]
    fn body_contains_is_checked() {
        let e = Expect {
            body_contains: Some("UP".into()),
            ..Expect::default()
        };
        assert!(!evaluate(&e, &http(200, "DOWN")).passed);
        assert!(evaluate(&e, &http(200, "all UP")).passed);
    }

    #[test]
    fn expected_spells_out_the_defaults() {
        assert_eq!(
            expected_of(&Expect::default()),
            json!({"status": "2xx", "function_error": false})
        );
    }

    proptest! {
        #[test]
        fn lambda_payloads_never_panic(payload in proptest::collection::vec(any::<u8>(), 0..300), err in proptest::option::of("[A-Za-z]{0,10}")) {
            let r = ProbeResponse::from_lambda(&payload, err.as_deref(), MS);
            let a = evaluate(&Expect::default(), &r);
            prop_assert_eq!(a.passed, a.reasons.is_empty());
            if err.is_some() { prop_assert!(!a.passed); }
        }

        #[test]
        fn status_codes_pass_exactly_when_2xx(code in 100u16..600) {
            let r = ProbeResponse::from_lambda(format!(r#"{{"statusCode":{code}}}"#).as_bytes(), None, MS);
            prop_assert_eq!(evaluate(&Expect::default(), &r).passed, (200..300).contains(&code));
        }
    }
}
