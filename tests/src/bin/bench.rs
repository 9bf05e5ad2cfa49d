//! `make bench`: cold start to reported status, warm per-event time, peak RSS and AWS calls per
//! verdict of each function, against the floor (an empty `lambda_runtime` function built with the
//! same profile and runtime flavour), all under the Runtime API stand-in with AWS served locally.
//! AWS round trips are timed twice: at a proxy in front of the stand-in, and by the function
//! itself (the `aws` timing of its answer), which adds the loopback hops between the processes.
//! Prints a Markdown table. Run from a release build:
//! `cargo run --release -p shiftguard-e2e --bin bench`.

use std::time::Duration;

use serde_json::{Value, json};
use shiftguard_e2e::binaries::binary;
use shiftguard_e2e::local_aws::LocalAws;
use shiftguard_e2e::round_trip_proxy::RoundTripProxy;
use shiftguard_e2e::runtime_api::{FunctionRun, InvocationResult, Invoke, run_function};
use shiftguard_e2e::scenario::{
    Aws, alarm_event, application, deployment_event, deployment_in, hook_event, lambda_appspec, lambda_deployment,
    put_version_traffic, python_function, unique,
};

const COLD_RUNS: usize = 15;
const WARM_EVENTS: usize = 100;
const HEALTHY: &str = "def handler(event, context):\n    return {'statusCode': 200}\n";

struct Subject {
    /// The binary.
    name: &'static str,
    /// The row of the table.
    label: &'static str,
    env: Vec<(String, String)>,
    /// A fresh event for each invocation.
    event: Box<dyn Fn() -> Value>,
}

/// NaN when any value is missing (NaN).
fn median(mut v: Vec<f64>) -> f64 {
    if v.iter().any(|x| x.is_nan()) {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() { f64::NAN } else { v[v.len() / 2] }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The SDK's own time per AWS call in a run, from the `aws` timing of its decision records
/// (skipping the first `skip`): each call's time less its round trips on the wire.
fn sdk_ms_per_call(run: &FunctionRun, skip: usize) -> Option<f64> {
    let (calls, sdk) = run
        .json_lines()
        .iter()
        .filter(|l| l["record"] == "shiftguard.decision")
        .skip(skip)
        .filter_map(|l| {
            let aws = &l["aws"];
            Some((
                aws["calls"].as_f64()?,
                aws["ms"].as_f64()? - aws["round_trip_ms"].as_f64()?,
            ))
        })
        .fold((0.0, 0.0), |(c, t), (calls, sdk)| (c + calls, t + sdk));
    (calls > 0.0).then(|| sdk / calls)
}

/// The invocation's round trips on the wire as the function itself timed them (the `aws` of its
/// answer): from each request's hand-off to the HTTP client to its answer's head. Unlike the
/// proxy's figure, this includes the loopback hops between the processes. A sum over calls: the
/// bench's events make one call at a time. None for the floor, which makes no call; NaN (shown
/// as "–") where the answer lacks them.
fn in_function(subject: &Subject, result: &InvocationResult) -> f64 {
    result
        .outcome
        .as_ref()
        .ok()
        .and_then(|answer| answer["aws"]["round_trip_ms"].as_f64())
        .or((subject.name == "floor").then_some(0.0))
        .unwrap_or(f64::NAN)
}

/// A figure, or "–" where it is missing (NaN).
fn num(v: f64, digits: usize) -> String {
    if v.is_nan() {
        "–".into()
    } else {
        format!("{v:.digits$}")
    }
}

async fn run(subject: &Subject, events: usize) -> FunctionRun {
    let invokes = (0..events)
        .map(|_| Invoke {
            event: (subject.event)(),
            timeout: Duration::from_secs(60),
        })
        .collect();
    run_function(&binary(subject.name), &subject.env, invokes, Duration::from_secs(300)).await
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
    // Every AWS call of the functions goes through this proxy, which times each round trip from
    // the function's side.
    let upstream = local.endpoint.trim_start_matches("http://").parse().expect("host:port");
    let proxy = RoundTripProxy::start(upstream).await;
    let mut base = local.env();
    for (k, v) in base.iter_mut() {
        if k == "AWS_ENDPOINT_URL" {
            *v = proxy.endpoint();
        }
    }

    // pre-traffic: a healthy new version to smoke-test.
    let function = unique("bench");
    python_function(&aws, &function, &[HEALTHY, HEALTHY], 10).await;
    let pre_deployment = lambda_deployment(&aws, &function, "1", "2").await;
    // post-traffic: a deployment whose versions served traffic.
    let gated = unique("bench-gated");
    let post_deployment = lambda_deployment(&aws, &gated, "1", "2").await;
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

    let with = |extra: &[(&str, &str)]| {
        let mut env = base.clone();
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        env
    };
    let (pre, post, group) = (pre_deployment.clone(), post_deployment.clone(), format!("{app}-dg"));
    let subjects = vec![
        Subject {
            name: "floor",
            label: "floor (empty lambda_runtime function)",
            env: base.clone(),
            event: Box::new(|| json!({"hello": "world"})),
        },
        Subject {
            name: "pre-traffic",
            label: "pre-traffic",
            env: base.clone(),
            event: Box::new(move || hook_event(&pre)),
        },
        Subject {
            name: "post-traffic",
            label: "post-traffic",
            env: base.clone(),
            event: Box::new(move || hook_event(&post)),
        },
        Subject {
            name: "alarm-rollback",
            label: "alarm-rollback",
            env: with(&[("ROLLBACK_TARGETS", &targets)]),
            event: Box::new(move || alarm_event(&alarm, "ALARM")),
        },
        Subject {
            name: "deploy-events",
            label: "deploy-events (SUCCESS)",
            env: base.clone(),
            event: Box::new({
                let (app, group) = (app.clone(), group.clone());
                move || deployment_event(&app, &group, &restored, "SUCCESS")
            }),
        },
        // No AWS call at all: what the SDK, config and runtime cost at cold start by themselves.
        Subject {
            name: "deploy-events",
            label: "deploy-events (START: no AWS call)",
            env: base.clone(),
            event: Box::new(move || deployment_event(&app, &group, "d-any", "START")),
        },
    ];

    println!("Machine: {}\n", machine());
    println!(
        "| function | cold start to answer, median of {COLD_RUNS} (ms) | of which AWS round trips, timed at the proxy / in the function (ms) | the rest, the function's own: proxy / function (ms) | × floor: proxy / function | CPU time to answer (ms) / × floor | warm, per event (ms) | warm, the function's own per event: proxy / function (ms) | warm, CPU time per event (ms) | peak RSS cold / after {WARM_EVENTS} events (MiB) | AWS calls per event | the SDK's own time per AWS call, cold / warm (ms) |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    let mut floor = f64::NAN;
    let mut floor_cpu = f64::NAN;
    for subject in &subjects {
        // Per cold run: total, round trips at the proxy, round trips in the function.
        let mut cold: Vec<(f64, f64, f64)> = Vec::new();
        let mut rss = Vec::new();
        let mut calls = Vec::new();
        let mut sdk = Vec::new();
        let mut cpu = Vec::new();
        for _ in 0..COLD_RUNS {
            let before = local.calls().await.len();
            let r = run(subject, 1).await;
            let result = r.only();
            assert!(result.outcome.is_ok(), "{}: {:?}", subject.name, result.outcome);
            let total = ms(result.finished.duration_since(r.spawned).unwrap_or_default());
            let made = local.calls().await.split_off(before);
            cold.push((
                total,
                ms(proxy.busy_between(r.spawned, result.finished)),
                in_function(subject, result),
            ));
            rss.extend(r.peak_rss_kib);
            calls.push(made.len());
            sdk.extend(sdk_ms_per_call(&r, 0));
            cpu.push(result.cpu.map_or(f64::NAN, ms));
        }
        let warm_run = run(subject, WARM_EVENTS).await;
        let warm: Vec<(f64, f64, f64)> = warm_run
            .results
            .iter()
            .skip(1)
            .flatten()
            .map(|r| {
                let total = ms(r.finished.duration_since(r.started).unwrap_or_default());
                (
                    total,
                    total - ms(proxy.busy_between(r.started, r.finished)),
                    total - in_function(subject, r),
                )
            })
            .collect();
        // CPU time per warm event: what the process used between one answer and the next.
        let warm_cpu: Vec<f64> = warm_run
            .results
            .iter()
            .map(|r| r.as_ref().and_then(|r| r.cpu).map_or(f64::NAN, ms))
            .collect::<Vec<_>>()
            .windows(2)
            .map(|w| w[1] - w[0])
            .collect();
        let warm_cpu = warm_cpu.iter().sum::<f64>() / warm_cpu.len().max(1) as f64;
        let mean = |f: fn(&(f64, f64, f64)) -> f64| warm.iter().map(f).sum::<f64>() / warm.len().max(1) as f64;
        let median_of = |f: fn(&(f64, f64, f64)) -> f64| median(cold.iter().map(f).collect());
        let own_proxy = median_of(|c| c.0 - c.1);
        let own_function = median_of(|c| c.0 - c.2);
        let cpu = median(cpu);
        if subject.name == "floor" {
            floor = own_proxy;
            floor_cpu = cpu;
        }
        println!(
            "| {} | {:.1} | {:.1} / {} | {:.1} / {} | {:.2} / {} | {} / {} | {:.2} | {:.2} / {} | {} | {:.1} / {:.1} | {} | {} / {} |",
            subject.label,
            median_of(|c| c.0),
            median_of(|c| c.1),
            num(median_of(|c| c.2), 1),
            own_proxy,
            num(own_function, 1),
            own_proxy / floor,
            num(own_function / floor, 2),
            num(cpu, 2),
            num(cpu / floor_cpu, 2),
            mean(|e| e.0),
            mean(|e| e.1),
            num(mean(|e| e.2), 2),
            num(warm_cpu, 3),
            median(rss.iter().map(|k| *k as f64 / 1024.0).collect()),
            warm_run.peak_rss_kib.unwrap_or(0) as f64 / 1024.0,
            median(calls.iter().map(|c| *c as f64).collect()),
            num(median(sdk), 2),
            num(sdk_ms_per_call(&warm_run, 1).unwrap_or(f64::NAN), 2),
        );
    }
}
