//! How a probe says it is shiftguard's, so that the service can tell it from a user's request and
//! run its own dependency checks: `User-Agent: shiftguard/<version> (<lifecycle event>)` on an
//! HTTP probe, and the same value as the `user-agent` header in a Lambda probe's payload (the
//! lower-case `headers` map API Gateway and function URLs send, docs/settings.md). A probe that
//! sets its own user agent keeps it.

use std::collections::BTreeMap;

use serde_json::Value;

/// The header, in the lower case of a Lambda payload's `headers`; HTTP compares names case-blind.
pub const HEADER: &str = "user-agent";

/// `shiftguard/<version> (<lifecycle event>)`.
pub fn user_agent(lifecycle_event: &str) -> String {
    format!("shiftguard/{} ({lifecycle_event})", env!("CARGO_PKG_VERSION"))
}

/// An HTTP probe's headers with the marker, unless it names a user agent itself.
pub fn mark_headers(headers: &BTreeMap<String, String>, lifecycle_event: &str) -> BTreeMap<String, String> {
    let mut marked = headers.clone();
    if !headers.keys().any(|k| k.eq_ignore_ascii_case(HEADER)) {
        marked.insert("User-Agent".to_string(), user_agent(lifecycle_event));
    }
    marked
}

/// A Lambda probe's payload with the marker in its `headers` (added where missing). A payload
/// that is not an object, or whose `headers` is not one, is left as it is.
pub fn mark_payload(payload: &Value, lifecycle_event: &str) -> Value {
    let mut marked = payload.clone();
    if let Value::Object(fields) = &mut marked {
        let headers = fields
            .entry("headers")
            .or_insert_with(|| Value::Object(Default::default()));
        if let Value::Object(headers) = headers
            && !headers.keys().any(|k| k.eq_ignore_ascii_case(HEADER))
        {
            headers.insert(HEADER.to_string(), Value::from(user_agent(lifecycle_event)));
        }
    }
    marked
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn http_probes_carry_the_user_agent_unless_they_set_one() {
        let marked = mark_headers(&BTreeMap::new(), "BeforeAllowTraffic");
        let expected = format!("shiftguard/{} (BeforeAllowTraffic)", env!("CARGO_PKG_VERSION"));
        assert_eq!(marked["User-Agent"], expected);
        let own = BTreeMap::from([("user-agent".to_string(), "mine".to_string())]);
        assert_eq!(mark_headers(&own, "BeforeAllowTraffic"), own);
    }

    #[test]
    fn lambda_payloads_carry_it_in_their_headers() {
        let agent = user_agent("BeforeAllowTraffic");
        assert_eq!(
            mark_payload(&json!({}), "BeforeAllowTraffic"),
            json!({"headers": {"user-agent": agent}})
        );
        assert_eq!(
            mark_payload(
                &json!({"rawPath": "/health", "headers": {"x-a": "1"}}),
                "BeforeAllowTraffic"
            ),
            json!({"rawPath": "/health", "headers": {"x-a": "1", "user-agent": agent}})
        );
        let own = json!({"headers": {"User-Agent": "mine"}});
        assert_eq!(mark_payload(&own, "BeforeAllowTraffic"), own);
        for untouched in [json!([1]), json!("ping"), json!({"headers": "x"})] {
            assert_eq!(mark_payload(&untouched, "BeforeAllowTraffic"), untouched);
        }
    }
}
