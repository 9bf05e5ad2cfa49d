//! Runs the smoke probes: concurrently, each attempt bounded by its `timeout_ms` and by the
//! overall budget, retried until it passes or runs out of attempts. pre-traffic runs them
//! against the new version (BeforeAllowTraffic), `shiftguard validate` on an instance
//! (ValidateService); each probe carries the marker of its lifecycle event.

use crate::hook::check::CheckOutcome;
use crate::hook::runner::OUT_OF_TIME;
use crate::ports::{FunctionInvoker, HttpRequest, HttpSender};
use crate::smoke::evaluation::{AttemptResult, ProbeResponse, evaluate, expected_of};
use crate::smoke::marker::{mark_headers, mark_payload};
use crate::smoke::probes::{Probe, ProbeAction};
use crate::target::deployment_target::DeploymentTarget;
use futures_util::future::join_all;
use serde_json::{Value, json};
use tokio::time::Instant;

/// Runs every probe at once; the result has one outcome per probe, in the given order. `target`
/// is `None` where there is no deployment target (no AppSpec read, or an instance) and no probe
/// needs it; `lifecycle_event` names the hook in each probe's marker.
pub async fn run_smoke_tests<I: FunctionInvoker, H: HttpSender>(
    invoker: &I,
    http: &H,
    target: Option<&DeploymentTarget>,
    probes: &[Probe],
    budget_end: Instant,
    lifecycle_event: &str,
) -> Vec<CheckOutcome> {
    join_all(
        probes
            .iter()
            .map(|p| run_probe(invoker, http, target, p, budget_end, lifecycle_event)),
    )
    .await
}

async fn run_probe<I: FunctionInvoker, H: HttpSender>(
    invoker: &I,
    http: &H,
    target: Option<&DeploymentTarget>,
    probe: &Probe,
    budget_end: Instant,
    lifecycle_event: &str,
) -> CheckOutcome {
    let outcome = |passed: bool, mut measured: Value, attempts: u32, reasons: Vec<String>| {
        if let Value::Object(m) = &mut measured {
            m.insert("attempts".into(), Value::from(attempts));
        }
        CheckOutcome {
            name: probe.name.clone(),
            kind: probe.action.kind().to_string(),
            passed,
            measured,
            expected: expected_of(&probe.expect),
            reasons,
            inconclusive: false,
            note: None,
        }
    };
    let mut last = AttemptResult {
        passed: false,
        measured: json!({}),
        reasons: vec![OUT_OF_TIME.to_string()],
    };
    let mut made = 0;
    for attempt in 1..=probe.attempts {
        let now = Instant::now();
        if now >= budget_end {
            last.reasons
                .push(format!("{OUT_OF_TIME}: no budget left for attempt {attempt}"));
            break;
        }
        made = attempt;
        let attempt_end = (now + probe.timeout).min(budget_end);
        last = match tokio::time::timeout_at(attempt_end, attempt_once(invoker, http, target, probe, lifecycle_event))
            .await
        {
            Ok(result) => result,
            Err(_) => {
                let waited = now.elapsed().as_millis();
                let why = if attempt_end == budget_end && now + probe.timeout > budget_end {
                    format!("{OUT_OF_TIME}: no answer after {waited} ms, when the hook's budget ran out")
                } else {
                    format!("no answer within timeout_ms ({} ms)", probe.timeout.as_millis())
                };
                AttemptResult {
                    passed: false,
                    measured: json!({"latency_ms": waited}),
                    reasons: vec![why],
                }
            }
        };
        if last.passed {
            return outcome(true, last.measured, attempt, Vec::new());
        }
        if attempt < probe.attempts {
            tokio::time::sleep_until((Instant::now() + probe.interval).min(budget_end)).await;
        }
    }
    let mut reasons = last.reasons;
    if made > 1
        && let Some(first) = reasons.first_mut()
    {
        *first = format!("failed all {made} attempts, the last with: {first}");
    }
    outcome(false, last.measured, made, reasons)
}

async fn attempt_once<I: FunctionInvoker, H: HttpSender>(
    invoker: &I,
    http: &H,
    target: Option<&DeploymentTarget>,
    probe: &Probe,
    lifecycle_event: &str,
) -> AttemptResult {
    let failed = |reason: String| AttemptResult {
        passed: false,
        measured: json!({}),
        reasons: vec![reason],
    };
    let started = Instant::now();
    let response = match &probe.action {
        ProbeAction::Lambda { payload, function } => {
            // The new version itself, by number: an alias would still point at the old one.
            let (name, qualifier) = match (function, target) {
                (Some(f), _) => (f.as_str(), None),
                (None, Some(DeploymentTarget::Lambda(t))) => {
                    (t.function_name.as_str(), Some(t.target_version.as_str()))
                }
                (None, Some(DeploymentTarget::Ecs(_))) => {
                    return failed("a lambda probe needs `lambda.function` on an ECS deployment".into());
                }
                (None, None) => {
                    return failed("a lambda probe without `lambda.function` needs the deployment's AppSpec".into());
                }
            };
            let payload = mark_payload(payload, lifecycle_event);
            let bytes = serde_json::to_vec(&payload).unwrap_or_else(|_| b"{}".to_vec());
            match invoker.invoke(name, qualifier, bytes).await {
                Ok(inv) => ProbeResponse::from_lambda(&inv.payload, inv.function_error.as_deref(), started.elapsed()),
                Err(e) => return failed(e.to_string()),
            }
        }
        ProbeAction::Http {
            url,
            method,
            headers,
            body,
        } => {
            let request = HttpRequest {
                method: method.clone(),
                url: url.clone(),
                headers: mark_headers(headers, lifecycle_event),
                body: body.clone(),
            };
            match http.send(&request).await {
                Ok(reply) => ProbeResponse {
                    status: Some(reply.status),
                    body: reply.body,
                    latency: started.elapsed(),
                    function_error: None,
                    malformed_status: None,
                },
                Err(e) => return failed(e.to_string()),
            }
        }
    };
    evaluate(&probe.expect, &response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{AwsError, HttpReply, Invocation};
    use crate::smoke::probes::parse_smoke_tests;
    use crate::target::deployment_target::LambdaTarget;
    use std::sync::Mutex;
    use std::time::Duration;

    /// Answers invocations from a script, one answer per call; records what was invoked.
    #[derive(Default)]
    struct ScriptedInvoker {
        answers: Mutex<Vec<Result<Invocation, AwsError>>>,
        calls: Mutex<Vec<(String, Option<String>)>>,
        delay: Duration,
    }

    impl FunctionInvoker for ScriptedInvoker {
        async fn invoke(&self, f: &str, q: Option<&str>, _p: Vec<u8>) -> Result<Invocation, AwsError> {
            self.calls.lock().unwrap().push((f.into(), q.map(Into::into)));
            tokio::time::sleep(self.delay).await;
            let mut a = self.answers.lock().unwrap();
            if a.is_empty() {
                Ok(ok(r#"{"statusCode":200}"#))
            } else {
                a.remove(0)
            }
        }
    }

    struct FixedHttp(u16, &'static str);

    impl HttpSender for FixedHttp {
        async fn send(&self, _r: &HttpRequest) -> Result<HttpReply, String> {
            Ok(HttpReply {
                status: self.0,
                body: self.1.into(),
            })
        }
    }

    fn ok(payload: &str) -> Invocation {
        Invocation {
            function_error: None,
            payload: payload.as_bytes().to_vec(),
        }
    }

    fn target() -> DeploymentTarget {
        DeploymentTarget::Lambda(LambdaTarget {
            function_name: "orders".into(),
            alias: Some("live".into()),
            current_version: Some("6".into()),
            target_version: "7".into(),
        })
    }

    fn probes(json: &str) -> Vec<Probe> {
        parse_smoke_tests(json).unwrap()
    }

    const EVENT: &str = "BeforeAllowTraffic";

    fn far() -> Instant {
        Instant::now() + Duration::from_secs(60)
    }

    /// The default probe (the new version, an empty payload, 2xx) through `inv`.
    async fn default_probe_through(inv: &ScriptedInvoker) -> Vec<CheckOutcome> {
        let probes = [crate::smoke::probes::default_lambda_probe()];
        run_smoke_tests(inv, &FixedHttp(200, ""), Some(&target()), &probes, far(), EVENT).await
    }

    #[tokio::test]
    async fn invokes_the_target_version_never_the_alias() {
        let inv = ScriptedInvoker::default();
        let out = default_probe_through(&inv).await;
        assert!(out[0].passed, "{:?}", out[0]);
        assert_eq!(
            inv.calls.lock().unwrap().as_slice(),
            &[("orders".to_string(), Some("7".to_string()))]
        );
    }

    #[tokio::test]
    async fn a_function_override_is_invoked_as_named() {
        let inv = ScriptedInvoker::default();
        run_smoke_tests(
            &inv,
            &FixedHttp(200, ""),
            Some(&target()),
            &probes(r#"[{"name":"it","lambda":{"function":"itest-runner"}}]"#),
            far(),
            EVENT,
        )
        .await;
        assert_eq!(inv.calls.lock().unwrap()[0], ("itest-runner".to_string(), None));
    }

    #[tokio::test(start_paused = true)]
    async fn retries_until_warm() {
        let inv = ScriptedInvoker {
            answers: Mutex::new(vec![Ok(ok(r#"{"statusCode":503}"#)), Ok(ok(r#"{"statusCode":503}"#))]),
            ..Default::default()
        };
        let p = probes(r#"[{"name":"warm","lambda":{},"attempts":3,"interval_ms":1000}]"#);
        let out = run_smoke_tests(&inv, &FixedHttp(200, ""), Some(&target()), &p, far(), EVENT).await;
        assert!(out[0].passed);
        assert_eq!(out[0].measured["attempts"], 3);
    }

    #[tokio::test(start_paused = true)]
    async fn every_attempt_failing_keeps_the_last_reason() {
        let inv = ScriptedInvoker {
            answers: Mutex::new(vec![Ok(ok(r#"{"statusCode":503}"#)), Ok(ok(r#"{"statusCode":500}"#))]),
            ..Default::default()
        };
        let p = probes(r#"[{"name":"warm","lambda":{},"attempts":2,"interval_ms":10}]"#);
        let out = run_smoke_tests(&inv, &FixedHttp(200, ""), Some(&target()), &p, far(), EVENT).await;
        assert!(!out[0].passed);
        assert_eq!(
            out[0].reasons,
            vec!["failed all 2 attempts, the last with: status 500, expected 2xx"]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_attempt_is_cut_at_timeout_ms() {
        let inv = ScriptedInvoker {
            delay: Duration::from_secs(30),
            ..Default::default()
        };
        let p = probes(r#"[{"name":"slow","lambda":{},"timeout_ms":2000}]"#);
        let out = run_smoke_tests(&inv, &FixedHttp(200, ""), Some(&target()), &p, far(), EVENT).await;
        assert_eq!(out[0].reasons, vec!["no answer within timeout_ms (2000 ms)"]);
    }

    #[tokio::test(start_paused = true)]
    async fn the_hook_budget_cuts_an_attempt_short() {
        let inv = ScriptedInvoker {
            delay: Duration::from_secs(30),
            ..Default::default()
        };
        let p = probes(r#"[{"name":"slow","lambda":{},"timeout_ms":20000}]"#);
        let started = Instant::now();
        let out = run_smoke_tests(
            &inv,
            &FixedHttp(200, ""),
            Some(&target()),
            &p,
            Instant::now() + Duration::from_secs(5),
            EVENT,
        )
        .await;
        assert!(out[0].reasons[0].starts_with(OUT_OF_TIME), "{:?}", out[0].reasons);
        assert_eq!(started.elapsed(), Duration::from_secs(5));
    }

    #[tokio::test]
    async fn http_probes_are_judged_on_status_and_body() {
        let p = probes(r#"[{"name":"up","http":{"url":"http://127.0.0.1:1/health"},"expect":{"body_contains":"UP"}}]"#);
        let up = run_smoke_tests(
            &ScriptedInvoker::default(),
            &FixedHttp(200, "UP"),
            Some(&target()),
            &p,
            far(),
            EVENT,
        )
        .await;
        assert!(up[0].passed);
        let down = run_smoke_tests(
            &ScriptedInvoker::default(),
            &FixedHttp(503, "DOWN"),
            Some(&target()),
            &p,
            far(),
            EVENT,
        )
        .await;
        assert_eq!(
            down[0].reasons,
            vec!["status 503, expected 2xx", "body does not contain \"UP\""]
        );
    }

    #[tokio::test]
    async fn an_aws_error_fails_the_probe_with_its_message() {
        let inv = ScriptedInvoker {
            answers: Mutex::new(vec![Err(AwsError {
                operation: "invoking orders:7".into(),
                message: "AccessDenied".into(),
                retryable: false,
            })]),
            ..Default::default()
        };
        let out = default_probe_through(&inv).await;
        assert_eq!(out[0].reasons, vec!["invoking orders:7 failed: AccessDenied"]);
    }
}
