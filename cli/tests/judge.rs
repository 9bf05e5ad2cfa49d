//! `shiftguard judge`, the built binary on stdin: canaries judged as the functions judge them, and
//! bad lines named by line and field while the good ones are still answered whole.

mod common;

use common::{fixture, shiftguard};
use serde_json::Value;

fn answers(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("a whole JSON line: {e}: {l}")))
        .collect()
}

#[test]
fn a_good_canary_succeeds_and_a_bad_one_is_stopped_during_the_shift() {
    let ran = shiftguard(&["judge"], &fixture("canaries.jsonl"));
    assert_eq!((ran.code, ran.stderr.as_str()), (0, ""));
    let a = answers(&ran.stdout);
    assert_eq!(a.len(), 2);

    let (good, bad) = (&a[0], &a[1]);
    assert_eq!(good["line"], 1);
    assert_eq!(good["rollback_at"], Value::Null);
    assert_eq!(good["final"], "Succeeded");
    assert_eq!(good["evidence"].as_array().unwrap().len(), 10);
    assert!(good["reasons"][0].as_str().unwrap().starts_with("no regression shown"));

    assert_eq!(bad["line"], 2);
    let stop = bad["rollback_at"].as_u64().expect("stopped");
    assert!(stop < 10, "stopped during the 10-minute canary, at minute {stop}");
    assert_eq!(bad["final"], "Failed");
    assert_eq!(bad["stopped_by"], "relative");
    let reason = bad["reasons"][0].as_str().unwrap();
    assert!(
        reason.starts_with(&format!("minute {stop}: the new version fails")),
        "{reason}"
    );
    let evidence = &bad["evidence"][stop as usize - 1]["relative"];
    assert!(evidence.as_f64().unwrap() >= bad["thresholds"]["relative"].as_f64().unwrap());
    assert_eq!(bad["settings"]["MAX_ERROR_RATE"], 5.0);
}

#[test]
fn bad_lines_are_named_and_the_good_ones_still_answered_whole() {
    let ran = shiftguard(&["judge"], &fixture("bad_lines.jsonl"));
    assert_eq!(ran.code, 1, "{}", ran.stderr);

    let a = answers(&ran.stdout);
    let lines: Vec<&Value> = a.iter().map(|v| &v["line"]).collect();
    assert_eq!(lines, [1, 7], "the good lines, each whole, the blank line skipped");
    assert_eq!(
        (a[0]["final"].as_str(), a[1]["final"].as_str()),
        (Some("Succeeded"), Some("Failed"))
    );

    let err: Vec<&str> = ran.stderr.lines().collect();
    assert_eq!(err.len(), 5, "{}", ran.stderr);
    assert!(
        err[0].starts_with("line 2: not valid JSON: EOF while parsing a value (column 63)"),
        "{}",
        err[0]
    );
    assert!(
        err[1].starts_with("line 3: minutes[2].new.errors: 5 errors in 3 invocations"),
        "{}",
        err[1]
    );
    assert!(
        err[2].starts_with(
            "line 4: settings.MAX_ERRORS: unknown setting; the canary judge reads CONFIDENCE and MAX_ERROR_RATE"
        ),
        "{}",
        err[2]
    );
    assert_eq!(
        err[3],
        r#"line 5: settings.CONFIDENCE: CONFIDENCE is not valid: "95" is not a number from 0.5 to 0.9999"#
    );
    assert_eq!(
        err[4],
        "shiftguard judge: 4 of 6 deployments could not be judged (named above); the other 2 were written"
    );
}

#[test]
fn empty_input_is_no_answer_and_no_error() {
    let ran = shiftguard(&["judge"], b"");
    assert_eq!((ran.code, ran.stdout.as_str(), ran.stderr.as_str()), (0, "", ""));
}

#[test]
fn help_is_a_manual() {
    let ran = shiftguard(&["judge", "--help"], b"");
    assert_eq!(ran.code, 0);
    for part in [
        "INPUT (stdin)",
        "OUTPUT (stdout)",
        "rollback_at",
        "BAD INPUT",
        "EXIT CODES",
        "EXAMPLE",
    ] {
        assert!(ran.stdout.contains(part), "{part}: {}", ran.stdout);
    }
}
