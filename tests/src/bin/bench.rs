//! `make bench`: each function's cold start to its answer, warm time per event, peak RSS and AWS
//! calls per event, beside the floor (an empty `lambda_runtime` function built the same way) and
//! the seed's two Python hooks (`tests/bench/seed_hooks.py` under AWS's runtime interface
//! client), all under the Runtime API stand-in with AWS served locally. Prints a Markdown table.
//! Run from a release build: `cargo run --release -p shiftguard-e2e --bin bench`.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};
use shiftguard_e2e::binaries::{binary, workspace_root};
use shiftguard_e2e::local_aws::LocalAws;
use shiftguard_e2e::runtime_api::{FunctionRun, Invoke, run_function};
use shiftguard_e2e::scenario::{
    Aws, alarm_event, application, deployment_event, deployment_in, hook_event, lambda_appspec, lambda_deployment,
    put_version_traffic, python_function, unique,
};

const COLD_RUNS: usize = 15;
const WARM_EVENTS: usize = 100;
const HEALTHY: &str = "def handler(event, context):\n    return {'statusCode': 200}\n";

struct Subject {
    label: &'static str,
    program: PathBuf,
    env: Vec<(String, String)>,
    /// A fresh event for each invocation.
    event: Box<dyn Fn() -> Value>,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() { f64::NAN } else { v[v.len() / 2] }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn run(subject: &Subject, events: usize) -> FunctionRun {
    let invokes = (0..events)
        .map(|_| Invoke {
            event: (subject.event)(),
            timeout: Duration::from_secs(60),
        })
        .collect();
    run_function(&subject.program, &subject.env, invokes, Duration::from_secs(300)).await
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .next()
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|k| k.parse::<u64>().ok())
        })
        .map(|k| format!("{:.0} GiB", k as f64 / 1024.0 / 1024.0))
        .unwrap_or_default();
    format!("{} {}, {cores} cores, {mem}", std::env::consts::ARCH, cpu)
}

#[tokio::main]
async fn main() {
    let local = LocalAws::shared();
    let aws = Aws::new(local).await;
    let base = local.env();
    let with = |extra: &[(&str, &str)]| {
        let mut env = base.clone();
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        env
    };
    let root = workspace_root();
    let seed = |handler: &str, extra: &[(&str, &str)]| {
        let python = root.join(".venv/bin/python");
        let mut env = with(extra);
        env.push(("SEED_PYTHON".into(), python.display().to_string()));
        env.push(("SEED_HANDLER".into(), handler.into()));
        // Lambda sets AWS_DEFAULT_REGION beside AWS_REGION, and boto3 reads only the former
        // (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime).
        env.push(("AWS_DEFAULT_REGION".into(), shiftguard_e2e::local_aws::REGION.into()));
        env
    };

    // pre-traffic: a healthy new version to smoke-test.
    let function = unique("bench");
    python_function(&aws, &function, &[HEALTHY, HEALTHY], 10).await;
    let pre = lambda_deployment(&aws, &function, "1", "2").await;
    let target_arn = format!("arn:aws:lambda:us-east-1:123456789012:function:{function}:2");
    // post-traffic: a deployment whose versions served traffic.
    let gated = unique("bench-gated");
    let post = lambda_deployment(&aws, &gated, "1", "2").await;
    put_version_traffic(&aws, &gated, "live", "2", 1000.0, 2.0).await;
    put_version_traffic(&aws, &gated, "live", "1", 1000.0, 2.0).await;
    // alarm-rollback: a mapped group with nothing in flight.
    let app = application(&aws, aws_sdk_codedeploy::types::ComputePlatform::Lambda).await;
    let alarm = unique("bench-alarm");
    let targets = json!({ alarm.clone(): [format!("{app}/{app}-dg")] }).to_string();
    // deploy-events: a success after a failure (duration and time to restore).
    let failed = deployment_in(&aws, &app, &lambda_appspec("fn", "1", "2")).await;
    local
        .set_deployment(
            &failed,
            json!({"status": "Failed", "created_seconds_ago": 900, "completed_seconds_ago": 600}),
        )
        .await;
    let restored = deployment_in(&aws, &app, &lambda_appspec("fn", "1", "2")).await;
    local
        .set_deployment(
            &restored,
            json!({"status": "Succeeded", "created_seconds_ago": 300, "completed_seconds_ago": 0}),
        )
        .await;
    let group = format!("{app}-dg");

    let hook = |deployment: &str| {
        let deployment = deployment.to_string();
        Box::new(move || hook_event(&deployment)) as Box<dyn Fn() -> Value>
    };
    let subjects = vec![
        Subject {
            label: "floor (empty lambda_runtime function)",
            program: binary("floor"),
            env: base.clone(),
            event: Box::new(|| json!({"hello": "world"})),
        },
        Subject {
            label: "pre-traffic",
            program: binary("pre-traffic"),
            env: base.clone(),
            event: hook(&pre),
        },
        Subject {
            label: "the seed's pre-traffic (Python 3.11, boto3)",
            program: root.join("tests/bench/bootstrap"),
            env: seed("seed_hooks.pre_traffic", &[("TARGET_FUNCTION_ARN", &target_arn)]),
            event: hook(&pre),
        },
        Subject {
            label: "post-traffic",
            program: binary("post-traffic"),
            env: base.clone(),
            event: hook(&post),
        },
        Subject {
            label: "the seed's post-traffic (Python 3.11, boto3)",
            program: root.join("tests/bench/bootstrap"),
            env: seed(
                "seed_hooks.post_traffic",
                &[("FUNCTION_NAME", &gated), ("NEW_VERSION", "2")],
            ),
            event: hook(&post),
        },
        Subject {
            label: "alarm-rollback",
            program: binary("alarm-rollback"),
            env: with(&[("ROLLBACK_TARGETS", &targets)]),
            event: Box::new(move || alarm_event(&alarm, "ALARM")),
        },
        Subject {
            label: "deploy-events (SUCCESS)",
            program: binary("deploy-events"),
            env: base.clone(),
            event: Box::new(move || deployment_event(&app, &group, &restored, "SUCCESS")),
        },
    ];

    println!("Machine: {}\n", machine());
    println!(
        "| function | cold start to answer, median of {COLD_RUNS} (ms) | × floor | warm, per event (ms) | peak RSS cold / after {WARM_EVENTS} events (MiB) | AWS calls per event |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    let mut floor = f64::NAN;
    for subject in &subjects {
        let (mut cold, mut rss, mut calls) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..COLD_RUNS {
            let before = local.calls().await.len();
            let r = run(subject, 1).await;
            let result = r.only();
            assert!(
                result.outcome.is_ok(),
                "{}: {:?}\n{}",
                subject.label,
                result.outcome,
                r.stderr.join("\n")
            );
            cold.push(ms(result.finished.duration_since(r.spawned).unwrap_or_default()));
            rss.extend(r.peak_rss_kib.map(|k| k as f64 / 1024.0));
            calls.push((local.calls().await.len() - before) as f64);
        }
        let warm_run = run(subject, WARM_EVENTS).await;
        // The first event of the warm run is its cold start.
        let warm: Vec<f64> = warm_run
            .results
            .iter()
            .skip(1)
            .flatten()
            .map(|r| ms(r.finished.duration_since(r.started).unwrap_or_default()))
            .collect();
        assert_eq!(
            warm.len(),
            WARM_EVENTS - 1,
            "{}: every warm event answered",
            subject.label
        );
        let cold = median(cold);
        if floor.is_nan() {
            floor = cold;
        }
        println!(
            "| {} | {:.1} | {:.1} | {:.2} | {:.1} / {:.1} | {} |",
            subject.label,
            cold,
            cold / floor,
            warm.iter().sum::<f64>() / warm.len() as f64,
            median(rss),
            warm_run.peak_rss_kib.unwrap_or(0) as f64 / 1024.0,
            median(calls),
        );
    }
}
