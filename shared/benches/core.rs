//! The handler's own CPU time, network excluded: the pure core on realistic inputs.
//! `make bench` runs these; figures in docs/performance.md.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, SystemTime};

use criterion::{Criterion, criterion_group, criterion_main};
use shiftguard::canary::judge::Judge;
use shiftguard::canary::per_minute::Minutes;
use shiftguard::canary::settings::JudgeSettings;
use shiftguard::gate::judgement::{VersionMetrics, judge_lambda};
use shiftguard::gate::metric_checks::parse_metric_checks;
use shiftguard::gate::metric_plan::{MetricPlan, Span};
use shiftguard::gate::settings::GateSettings;
use shiftguard::gate::statistics::{two_proportion_z, wilson_lower_bound, z_one_sided};
use shiftguard::hook::verdict::Verdict;
use shiftguard::smoke::evaluation::{ProbeResponse, evaluate};
use shiftguard::smoke::probes::parse_smoke_tests;
use shiftguard::target::appspec::parse_appspec;

const APPSPEC_YAML: &str = include_str!("../tests/fixtures/appspec-lambda.yaml");
const APPSPEC_JSON: &str = include_str!("../tests/fixtures/appspec-lambda.json");
const SMOKE_TESTS: &str = include_str!("../tests/fixtures/smoke-tests.json");
const METRIC_CHECKS: &str = include_str!("../tests/fixtures/metric-checks.json");

fn appspec(c: &mut Criterion) {
    c.bench_function("appspec/yaml", |b| b.iter(|| parse_appspec(black_box(APPSPEC_YAML))));
    c.bench_function("appspec/json", |b| b.iter(|| parse_appspec(black_box(APPSPEC_JSON))));
}

fn probes(c: &mut Criterion) {
    let probes = parse_smoke_tests(SMOKE_TESTS).unwrap();
    let payload = br#"{"statusCode":200,"headers":{"content-type":"application/json"},"body":"{\"status\":\"UP\",\"version\":\"7\"}"}"#;
    c.bench_function("smoke_tests/parse", |b| {
        b.iter(|| parse_smoke_tests(black_box(SMOKE_TESTS)))
    });
    c.bench_function("probe/evaluate_lambda_answer", |b| {
        b.iter(|| {
            let r = ProbeResponse::from_lambda(black_box(payload), None, Duration::from_millis(12));
            evaluate(&probes[0].expect, &r)
        })
    });
}

fn statistics(c: &mut Criterion) {
    let z = z_one_sided(0.95);
    c.bench_function("stats/z_one_sided", |b| b.iter(|| z_one_sided(black_box(0.95))));
    c.bench_function("stats/wilson_lower_bound", |b| {
        b.iter(|| wilson_lower_bound(black_box(45.0), black_box(5000.0), z))
    });
    c.bench_function("stats/two_proportion_z", |b| {
        b.iter(|| two_proportion_z(black_box(45.0), 5000.0, 5.0, 5000.0))
    });
}

fn gate(c: &mut Criterion) {
    let s = GateSettings {
        max_p99_ms: Some(500.0),
        max_throttles: Some(0.0),
        ..GateSettings::default()
    };
    let new = VersionMetrics {
        version: "7".into(),
        invocations: Some(5000.0),
        errors: Some(5.0),
        throttles: Some(0.0),
        p99_ms: Some(120.0),
    };
    c.bench_function("gate/judge_lambda_all_steps", |b| {
        b.iter(|| Verdict::of_checks(&judge_lambda(black_box(&new), &s)))
    });
    let target = parse_appspec(APPSPEC_YAML).unwrap();
    let checks = parse_metric_checks(METRIC_CHECKS).unwrap();
    // Ten complete minutes of both versions: the canary judge's final look, then the rest.
    let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let span = Span::Minutes(Minutes {
        start,
        end: start + Duration::from_secs(600),
    });
    let judge = Judge::new(JudgeSettings::default());
    let plan = MetricPlan::new(&target, &s, &checks, span).unwrap();
    let stamps: Vec<SystemTime> = (0..10).map(|i| start + Duration::from_secs(60 * i)).collect();
    let values: BTreeMap<String, Vec<f64>> = plan.queries.iter().map(|q| (q.id.clone(), vec![10.0; 10])).collect();
    let timestamps: BTreeMap<String, Vec<SystemTime>> =
        plan.queries.iter().map(|q| (q.id.clone(), stamps.clone())).collect();
    c.bench_function("gate/plan_and_judge_ten_minutes_with_metric_checks", |b| {
        b.iter(|| {
            let plan = MetricPlan::new(black_box(&target), &s, &checks, span).unwrap();
            Verdict::of_checks(&plan.judge(&values, &timestamps, &s, &judge))
        })
    });
}

criterion_group!(benches, appspec, probes, statistics, gate);
criterion_main!(benches);
