//! `shiftguard validate`, the real binary as the CodeDeploy agent runs it in a ValidateService
//! hook, against local HTTP services: up, down, slow, flaky, hanging past the deadline, and bad
//! probes.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use shiftguard_e2e::http_server::{Server, fixed_endpoint, reply, serve};

struct Run {
    code: i32,
    record: Option<Value>,
    stderr: String,
    took: Duration,
}

/// Runs `shiftguard validate` with `args`, the probes in a file when given, the agent's variables
/// and `env`.
async fn validate(probes: Option<&Value>, args: &[&str], env: &[(&str, &str)]) -> Run {
    let dir = std::env::temp_dir().join(format!("shiftguard-validate-{}-{}", std::process::id(), rand_suffix()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("probes.json");
    let mut command = tokio::process::Command::new(shiftguard_e2e::binaries::binary("shiftguard"));
    command.arg("validate").args(args).env_clear().envs(env.iter().copied());
    if let Some(probes) = probes {
        std::fs::write(&file, probes.to_string()).unwrap();
        command.arg("--probes").arg(&file);
    }
    let started = Instant::now();
    let output = command.output().await.expect("shiftguard runs");
    let took = started.elapsed();
    std::fs::remove_dir_all(&dir).unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.lines().count() <= 1, "one record line at most: {stdout}");
    Run {
        code: output.status.code().unwrap_or(-1),
        record: (!stdout.is_empty()).then(|| serde_json::from_str(&stdout).expect("the record is JSON")),
        stderr: String::from_utf8(output.stderr).unwrap(),
        took,
    }
}

fn rand_suffix() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    NEXT.fetch_add(1, Ordering::SeqCst)
}

fn http_probe(name: &str, server: &Server, extra: Value) -> Value {
    let mut probe = json!({"name": name, "http": {"url": format!("http://{}/health", server.addr)}});
    probe
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    probe
}

/// Answers 200 `{"status": "UP"}` to shiftguard's ValidateService probes only.
async fn healthy_service() -> Server {
    serve(Arc::new(|parts, _| {
        Box::pin(async move {
            let agent = parts
                .headers
                .get("user-agent")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if agent.starts_with("shiftguard/") && agent.ends_with("(ValidateService)") {
                reply(200, r#"{"status": "UP"}"#)
            } else {
                reply(403, "who are you?")
            }
        })
    }))
    .await
}

#[tokio::test]
async fn a_healthy_service_passes_and_the_record_names_the_agents_deployment() {
    let service = healthy_service().await;
    let probes = json!([http_probe(
        "health",
        &service,
        json!({"expect": {"json": {"/status": "UP"}}})
    )]);
    let agent = [
        ("LIFECYCLE_EVENT", "ValidateService"),
        ("DEPLOYMENT_ID", "d-ABCDEF123"),
        ("APPLICATION_NAME", "orders"),
        ("DEPLOYMENT_GROUP_NAME", "orders-fleet"),
        ("DEPLOYMENT_GROUP_ID", "0b7c6d54-0000-0000-0000-000000000000"),
    ];
    let run = validate(Some(&probes), &["--hook-timeout", "60"], &agent).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let record = run.record.unwrap();
    assert_eq!(record["record"], "shiftguard.decision");
    assert_eq!(record["hook"], "shiftguard validate");
    assert_eq!(
        (
            &record["lifecycle_event"],
            &record["deployment_id"],
            &record["deployment_group"]
        ),
        (&json!("ValidateService"), &json!("d-ABCDEF123"), &json!("orders-fleet"))
    );
    assert_eq!(record["verdict"], "Succeeded");
    assert_eq!(record["checks"][0]["passed"], true);
    assert_eq!(record["inputs"]["deadline_ms"], 54_000, "60 s less a tenth");
    assert!(
        run.stderr
            .starts_with("shiftguard validate: health passed (1 attempt, "),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("shiftguard validate: Succeeded in "),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn a_service_that_is_down_fails_with_the_reason() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let probes = json!([{"name": "health", "http": {"url": format!("http://{closed}/health")}, "attempts": 2, "interval_ms": 100}]);
    let run = validate(Some(&probes), &["--deadline", "20"], &[]).await;
    assert_eq!(run.code, 5, "{}", run.stderr);
    let record = run.record.unwrap();
    assert_eq!(record["verdict"], "Failed");
    assert!(record.get("deployment_id").is_none(), "run by hand: no deployment");
    let reasons = record["checks"][0]["reasons"].to_string();
    assert!(
        reasons.contains("failed all 2 attempts") && reasons.contains("GET http://127.0.0.1"),
        "{reasons}"
    );
    assert!(
        run.stderr.contains("shiftguard validate: health FAILED (2 attempts"),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn a_slow_answer_fails_its_latency_and_a_flaky_one_passes_on_retry() {
    let slow = serve(Arc::new(|_, _| {
        Box::pin(async move {
            tokio::time::sleep(Duration::from_millis(600)).await;
            reply(200, "UP")
        })
    }))
    .await;
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let flaky = serve(Arc::new(move |_, _| {
        let n = seen.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move { reply(if n == 0 { 503 } else { 200 }, "UP") })
    }))
    .await;
    let probes = json!([
        http_probe("slow", &slow, json!({"expect": {"max_latency_ms": 200}})),
        http_probe("flaky", &flaky, json!({"attempts": 3, "interval_ms": 100})),
    ]);
    let run = validate(Some(&probes), &["--deadline", "20"], &[]).await;
    assert_eq!(run.code, 5, "{}", run.stderr);
    let record = run.record.unwrap();
    let (slow_check, flaky_check) = (&record["checks"][0], &record["checks"][1]);
    assert_eq!(slow_check["passed"], false);
    assert!(slow_check["reasons"].to_string().contains("latency"), "{slow_check}");
    assert_eq!(flaky_check["passed"], true, "{flaky_check}");
    assert_eq!(flaky_check["measured"]["attempts"], 2);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(
        record["reasons"].as_array().unwrap().len(),
        1,
        "only the slow probe fails"
    );
}

#[tokio::test]
async fn a_service_that_never_answers_fails_at_the_deadline() {
    let hanging = serve(Arc::new(|_, _| {
        Box::pin(async move {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            reply(200, "too late")
        })
    }))
    .await;
    let probes = json!([http_probe("hangs", &hanging, json!({"timeout_ms": 60000}))]);
    let run = validate(Some(&probes), &["--deadline", "2"], &[]).await;
    assert_eq!(run.code, 5, "{}", run.stderr);
    assert!(
        run.took < Duration::from_secs(10),
        "it ended at its deadline, not the probe's timeout: {:?}",
        run.took
    );
    let reasons = run.record.unwrap()["checks"][0]["reasons"].to_string();
    assert!(reasons.contains("checks did not finish in time"), "{reasons}");
}

#[tokio::test]
async fn bad_probes_are_refused_before_anything_runs_naming_the_probe_and_field() {
    let service = fixed_endpoint(200, "UP").await;
    let bad = json!([http_probe("health", &service, json!({"expect": {"stauts": 200}}))]);
    let run = validate(Some(&bad), &[], &[]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.record.is_none(), "nothing ran, nothing recorded");
    assert!(run.stderr.contains("probes.json: "), "{}", run.stderr);
    assert!(run.stderr.contains("unknown field `stauts`"), "{}", run.stderr);
    let bad = json!([http_probe("health", &service, json!({"attempts": 0}))]);
    let run = validate(Some(&bad), &[], &[]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("health") && run.stderr.contains("attempts"),
        "{}",
        run.stderr
    );

    let run = validate(None, &[], &[("SMOKE_TESTS", r#"[{"name":"fn","lambda":{}}]"#)]).await;
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("SMOKE_TESTS: probe `fn` is a lambda probe without `lambda.function`"),
        "{}",
        run.stderr
    );

    let run = validate(None, &[], &[]).await;
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("give --probes FILE or set SMOKE_TESTS"),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn the_probes_may_come_from_smoke_tests() {
    let service = healthy_service().await;
    let probes = json!([http_probe("health", &service, json!({}))]).to_string();
    let run = validate(None, &["--deadline", "20"], &[("SMOKE_TESTS", &probes)]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.record.unwrap()["checks"][0]["name"], "health");
}
