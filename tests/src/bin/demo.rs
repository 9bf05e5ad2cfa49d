//! `make demo`: a rehearsal of CodeDeploy's Lambda deployment on this machine, with the real
//! hooks, for a good release and a bad one whose errors appear only under traffic.
//!
//! Options: `--speed N` (default 60: a minute passes in a second), `--type CONFIG` (default
//! Canary10Percent5Minutes), `--requests N` a minute. Your own `SMOKE_TESTS`, thresholds
//! (`MAX_ERROR_RATE`, `MIN_INVOCATIONS`, …) and `DRY_RUN` go into the demo application's settings
//! document in Parameter Store, which the hooks read; `REPORT_RESERVE_MS` into their environment.

use std::process::ExitCode;

use shiftguard::config::layers::KNOWN;
use shiftguard_e2e::local_aws::LocalAws;
use shiftguard_e2e::rehearsal::{Options, Rehearsal, Release, summary_table};

/// What a settings document may hold, and the hooks' own reserve (into their environment).
fn passed_to_hooks() -> impl Iterator<Item = &'static str> {
    KNOWN.into_iter().chain(["REPORT_RESERVE_MS"])
}

fn options() -> Result<Options, String> {
    let mut opts = Options::default();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--speed" => {
                opts.speed = value("--speed")?
                    .parse()
                    .map_err(|_| "--speed takes a number".to_string())?
            }
            "--type" => opts.deployment_type = value("--type")?,
            "--requests" => {
                opts.requests_per_minute = value("--requests")?
                    .parse()
                    .map_err(|_| "--requests takes a number".to_string())?
            }
            other => return Err(format!("unknown option {other}; see the top of tests/src/bin/demo.rs")),
        }
    }
    shiftguard_e2e::traffic_shift::steps(&opts.deployment_type)?;
    opts.hook_env = passed_to_hooks()
        .filter_map(|k| std::env::var(k).ok().map(|v| (k.to_string(), v)))
        .collect();
    Ok(opts)
}

#[tokio::main]
async fn main() -> ExitCode {
    let opts = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("demo: {e}");
            return ExitCode::from(2);
        }
    };
    println!("shiftguard rehearsal: CodeDeploy's part played locally, the hooks and demo-api run for real");
    for (k, _) in &opts.hook_env {
        println!("  using your {k}");
    }
    let local = LocalAws::shared();
    println!("  local AWS stand-in {}", local.endpoint);
    let print = |line: &str| println!("{line}");
    let rehearsal = Rehearsal::set_up(local, "demo-api", opts, &print).await;
    let releases = [
        Release {
            name: "good release".into(),
            fault_every: None,
        },
        Release {
            name: "bad release".into(),
            fault_every: Some(6),
        },
    ];
    let mut outcomes = Vec::new();
    for r in &releases {
        outcomes.push(rehearsal.release(r).await);
    }
    println!("\n{}", summary_table(&outcomes));
    let expected = outcomes[0].result == "Succeeded" && outcomes[1].result == "RolledBack";
    if expected || std::env::var("DRY_RUN").is_ok() {
        ExitCode::SUCCESS
    } else {
        println!("not the expected outcome: the good release should succeed and the bad one be rolled back");
        ExitCode::FAILURE
    }
}
