//! `shiftguard plan`, the built binary: plausible numbers for a busy service, a warning for a tiny
//! one, and an unknown deployment configuration named with the known ones.

mod common;

use common::shiftguard;
use serde_json::Value;

fn plan(calls: &str, rate: &str, config: &str, extra: &[&str]) -> common::Ran {
    let args = [
        &[
            "plan",
            "--calls-per-minute",
            calls,
            "--error-rate",
            rate,
            "--deployment-config",
            config,
        ][..],
        extra,
    ]
    .concat();
    shiftguard(&args, b"")
}

#[test]
fn a_busy_service_on_a_ten_minute_canary_sees_3x_in_its_first_minutes() {
    let ran = plan("2000", "1", "Canary10Percent10Minutes", &["--runs", "300", "--json"]);
    assert_eq!((ran.code, ran.stderr.as_str()), (0, ""));
    let p: Value = serde_json::from_str(&ran.stdout).unwrap();
    assert_eq!(
        p["deployment_config"],
        "CodeDeployDefault.LambdaCanary10Percent10Minutes"
    );
    assert_eq!(p["shift_minutes"], 10);
    let m3 = p["median_minute_3x"].as_u64().expect("3x caught in most deployments");
    assert!(m3 <= 3, "3x stopped by minute {m3}");
    let m2 = p["median_minute_2x"].as_u64().expect("2x caught in most deployments");
    assert!((m3..=10).contains(&m2), "2x at minute {m2}");
    let at_80 = &p["smallest"][0];
    assert_eq!(at_80["probability"], 0.8);
    let during = at_80["stopped_during_shift"].as_f64().unwrap();
    let by_final = at_80["by_final_look"].as_f64().unwrap();
    assert!((1.5..=3.0).contains(&during), "{during}");
    assert!((1.25..=during).contains(&by_final), "{by_final}");
    assert!(p["healthy"]["caught"].as_f64().unwrap() <= 0.08);
    assert_eq!(p["warnings"], Value::Array(vec![]));
}

#[test]
fn the_text_is_reproducible_from_its_seed() {
    let a = plan("2000", "1", "LambdaLinear10PercentEvery1Minute", &["--runs", "100"]);
    let b = plan(
        "2000",
        "1",
        "CodeDeployDefault.LambdaLinear10PercentEvery1Minute",
        &["--runs", "100"],
    );
    assert_eq!(a.code, 0);
    assert_eq!(a.stdout, b.stdout);
    assert!(a.stdout.contains("Smallest regression caught"), "{}", a.stdout);
    assert!(a.stdout.contains("(9 minutes both versions serve)"), "{}", a.stdout);
}

#[test]
fn a_tiny_service_is_told_its_canary_is_blind() {
    let ran = plan("20", "0.1", "Canary10Percent10Minutes", &["--runs", "200"]);
    assert_eq!(ran.code, 0, "a warning is part of the plan: {}", ran.stderr);
    assert!(
        ran.stdout
            .contains("WARNING: this canary is too small to see anything useful"),
        "{}",
        ran.stdout
    );
    assert!(ran.stdout.contains("above 10x"), "{}", ran.stdout);
}

#[test]
fn an_unknown_configuration_names_the_allowed_ones() {
    let ran = plan("2000", "1", "Canary10Percent20Minutes", &[]);
    assert_eq!(ran.code, 2);
    assert_eq!(ran.stdout, "");
    assert!(
        ran.stderr
            .contains(r#"unknown deployment configuration "Canary10Percent20Minutes""#),
        "{}",
        ran.stderr
    );
    for known in [
        "LambdaCanary10Percent5Minutes",
        "LambdaCanary10Percent30Minutes",
        "LambdaLinear10PercentEvery1Minute",
        "LambdaLinear10PercentEvery10Minutes",
        "LambdaAllAtOnce",
    ] {
        assert!(ran.stderr.contains(known), "{known}: {}", ran.stderr);
    }
}

#[test]
fn a_bad_confidence_is_the_functions_message() {
    let ran = plan("2000", "1", "Canary10Percent5Minutes", &["--confidence", "1.5"]);
    assert_eq!(ran.code, 2);
    assert_eq!(
        ran.stderr,
        "shiftguard plan: CONFIDENCE is not valid: \"1.5\" is not a number from 0.5 to 0.9999\n"
    );
}

#[test]
fn help_is_a_manual() {
    let ran = shiftguard(&["plan", "--help"], b"");
    assert_eq!(ran.code, 0);
    for part in [
        "--calls-per-minute",
        "DEPLOYMENT CONFIGURATIONS",
        "deployment-configurations.html",
        "EXIT CODES",
        "EXAMPLE",
    ] {
        assert!(ran.stdout.contains(part), "{part}: {}", ran.stdout);
    }
}
