//! `make demo`: the BeforeAllowTraffic hook, for real, against the local AWS stand-in, on a
//! healthy and a broken release. Your own `SMOKE_TESTS`, `REPORT_RESERVE_MS` and `DRY_RUN`
//! are passed through to the hook.

use std::process::ExitCode;
use std::time::Duration;

use serde_json::Value;
use shiftguard_e2e::binaries::binary;
use shiftguard_e2e::decision::decision_record;
use shiftguard_e2e::local_aws::LocalAws;
use shiftguard_e2e::runtime_api::{Invoke, run_function};
use shiftguard_e2e::scenario::{Aws, hook_event, lambda_deployment, python_function};

const HEALTHY: &str = "def handler(event, context):\n    return {'statusCode': 200, 'body': '{\"status\": \"UP\", \"version\": \"' + str(context.function_version) + '\"}'}\n";
const BROKEN: &str = "def handler(event, context):\n    raise KeyError('orderId')\n";

struct Release {
    name: &'static str,
    code: &'static str,
    expected: &'static str,
}

#[tokio::main]
async fn main() -> ExitCode {
    println!("shiftguard demo: the BeforeAllowTraffic hook, run as a real Lambda process\n");
    let local = LocalAws::shared();
    println!(
        "  local AWS stand-in  {} (moto + tests/aws/launcher.py)",
        local.endpoint
    );
    let aws = Aws::new(local).await;
    let mut env = local.env();
    for passed in ["SMOKE_TESTS", "REPORT_RESERVE_MS", "DRY_RUN"] {
        if let Ok(v) = std::env::var(passed) {
            println!("  using your {passed}");
            env.push((passed.to_string(), v));
        }
    }
    let releases = [
        Release {
            name: "healthy release",
            code: HEALTHY,
            expected: "Succeeded",
        },
        Release {
            name: "broken release",
            code: BROKEN,
            expected: "Failed",
        },
    ];
    let mut rows = Vec::new();
    for (i, release) in releases.iter().enumerate() {
        let function = format!("orders-api-{}", i + 1);
        let versions = python_function(&aws, &function, &[HEALTHY, release.code], 10).await;
        let deployment = lambda_deployment(&aws, &function, &versions[0], &versions[1]).await;
        println!("\n▶ {}: {function} v{} → v{}", release.name, versions[0], versions[1]);
        println!("  CodeDeploy created deployment {deployment} and invokes the BeforeAllowTraffic hook");
        let run = run_function(
            &binary("pre-traffic"),
            &env,
            vec![Invoke {
                event: hook_event(&deployment),
                timeout: Duration::from_secs(60),
            }],
            Duration::from_secs(90),
        )
        .await;
        let record = decision_record(&run);
        for check in record["checks"].as_array().into_iter().flatten() {
            let measured = &check["measured"];
            println!(
                "  probe {:<12} status {:<5} {:>5} ms  {}",
                check["name"].as_str().unwrap_or("?"),
                measured["status"]
                    .as_u64()
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "-".into()),
                measured["latency_ms"].as_u64().unwrap_or(0),
                if check["passed"] == true { "passed" } else { "FAILED" }
            );
        }
        let reported = local
            .reports(&deployment)
            .await
            .first()
            .map(|r| r["status"].clone())
            .unwrap_or(Value::Null);
        println!("  verdict   {}", record["verdict"].as_str().unwrap_or("?"));
        for reason in record["reasons"].as_array().into_iter().flatten() {
            println!("    · {}", reason.as_str().unwrap_or_default());
        }
        println!(
            "  reported  {} to CodeDeploy in {} ms",
            reported.as_str().unwrap_or("nothing"),
            record["elapsed_ms"]
        );
        rows.push((
            release.name,
            function,
            record["verdict"].clone(),
            reported,
            release.expected,
        ));
    }
    println!(
        "\n{:<18} {:<14} {:<10} {:<10} as expected",
        "release", "function", "verdict", "reported"
    );
    let mut all_as_expected = true;
    for (name, function, verdict, reported, expected) in &rows {
        let ok = reported.as_str() == Some(*expected) || std::env::var("DRY_RUN").is_ok();
        all_as_expected &= ok;
        println!(
            "{:<18} {:<14} {:<10} {:<10} {}",
            name,
            function,
            verdict.as_str().unwrap_or("?"),
            reported.as_str().unwrap_or("-"),
            if ok { "yes" } else { "NO" }
        );
    }
    if all_as_expected {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
