//! The demo API's handler.

use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::{Value, json};

pub struct Settings {
    pub version: String,
    /// About one in this many non-health requests fails; `None`: none does.
    pub fault_every: Option<u64>,
}

impl Settings {
    pub fn from_env() -> Result<Self, String> {
        let fault_every = match std::env::var("FAULT_EVERY").ok().filter(|v| !v.trim().is_empty()) {
            None => None,
            Some(v) => Some(
                v.trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or(format!("FAULT_EVERY={v:?} is not a positive whole number"))?,
            ),
        };
        Ok(Settings {
            version: std::env::var("AWS_LAMBDA_FUNCTION_VERSION").unwrap_or_else(|_| "$LATEST".into()),
            fault_every,
        })
    }
}

/// FNV-1a: a stable spread of request ids, so the same requests fail on every run.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn response(status: u16, body: Value) -> Value {
    json!({"statusCode": status, "headers": {"content-type": "application/json"}, "body": body.to_string()})
}

pub async fn function_handler(settings: &Settings, event: LambdaEvent<Value>) -> Result<Value, Diagnostic> {
    let e = &event.payload;
    let path = e["rawPath"].as_str().or_else(|| e["path"].as_str()).unwrap_or("/");
    if path == "/health" {
        return Ok(response(200, json!({"status": "UP", "version": settings.version})));
    }
    let request_id = e["requestContext"]["requestId"]
        .as_str()
        .unwrap_or(&event.context.request_id);
    if let Some(n) = settings.fault_every
        && fnv1a(request_id).is_multiple_of(n)
    {
        return Err(Diagnostic {
            error_type: "OrderStoreUnavailable".into(),
            error_message: format!("request {request_id}: the order store did not answer"),
        });
    }
    Ok(response(200, json!({"orders": [], "version": settings.version})))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_runtime::Context;

    fn request(path: &str, id: &str) -> LambdaEvent<Value> {
        LambdaEvent::new(
            json!({"rawPath": path, "requestContext": {"requestId": id}}),
            Context::default(),
        )
    }

    fn settings(fault_every: Option<u64>) -> Settings {
        Settings {
            version: "7".into(),
            fault_every,
        }
    }

    #[tokio::test]
    async fn health_is_up_even_when_faulty() {
        let out = function_handler(&settings(Some(1)), request("/health", "r-1"))
            .await
            .unwrap();
        assert_eq!(out["statusCode"], 200);
        assert_eq!(
            serde_json::from_str::<Value>(out["body"].as_str().unwrap()).unwrap(),
            json!({"status": "UP", "version": "7"})
        );
    }

    #[tokio::test]
    async fn faults_hit_about_one_in_n_requests() {
        let s = settings(Some(5));
        let mut errors = 0;
        for i in 0..1000 {
            if function_handler(&s, request("/orders", &format!("r-{i}")))
                .await
                .is_err()
            {
                errors += 1;
            }
        }
        assert!((150..=250).contains(&errors), "{errors}");
    }

    #[tokio::test]
    async fn a_healthy_release_never_fails() {
        for i in 0..100 {
            assert!(
                function_handler(&settings(None), request("/orders", &format!("r-{i}")))
                    .await
                    .is_ok()
            );
        }
    }
}
