//! `make demo`'s rehearsal, run as a test: the good release succeeds, the bad one (errors only
//! under traffic) is stopped by the canary judge during the canary, and the live alias ends
//! where it should.

use std::sync::Mutex;

use shiftguard_e2e::local_aws::LocalAws;
use shiftguard_e2e::rehearsal::{Options, Rehearsal, Release};
use shiftguard_e2e::scenario::unique;

#[tokio::test]
async fn the_good_release_succeeds_and_the_bad_one_is_rolled_back() {
    let lines = Mutex::new(Vec::<String>::new());
    let log = |l: &str| lines.lock().unwrap().push(l.to_string());
    let opts = Options {
        speed: 600.0,
        requests_per_minute: 100,
        ..Options::default()
    };
    let rehearsal = Rehearsal::set_up(LocalAws::shared(), &unique("demo-api"), opts, &log).await;
    let good = rehearsal
        .release(&Release {
            name: "good".into(),
            fault_every: None,
        })
        .await;
    let bad = rehearsal
        .release(&Release {
            name: "bad".into(),
            fault_every: Some(6),
        })
        .await;
    let transcript = lines.lock().unwrap().join("\n");

    assert_eq!(
        (
            good.pre_traffic.as_str(),
            good.post_traffic.as_str(),
            good.result.as_str()
        ),
        ("Succeeded", "Succeeded", "Succeeded"),
        "{transcript}"
    );
    assert_eq!(good.live, good.to_version);
    assert_eq!(
        bad.pre_traffic, "Succeeded",
        "the bad release passes its health check: {transcript}"
    );
    assert_eq!(bad.result, "RolledBack", "{transcript}");
    assert_eq!(bad.decided_by, "canary judge", "{transcript}");
    assert!(
        transcript.contains("CodeDeploy rolls back at 10% of the traffic"),
        "stopped in the canary phase, before the full shift: {transcript}"
    );
    assert!(
        transcript.contains("│ judge: watching (relative evidence"),
        "the evidence is shown minute by minute: {transcript}"
    );
    assert_eq!(bad.live, good.to_version, "live is back on the good version");
    assert!(
        transcript.contains("traffic  90%"),
        "the canary step is logged: {transcript}"
    );
}

#[tokio::test]
async fn a_linear_release_that_is_clean_shifts_in_ten_steps() {
    let lines = Mutex::new(Vec::<String>::new());
    let log = |l: &str| lines.lock().unwrap().push(l.to_string());
    let opts = Options {
        speed: 6000.0,
        requests_per_minute: 40,
        deployment_type: "Linear10PercentEvery1Minute".into(),
        ..Options::default()
    };
    let rehearsal = Rehearsal::set_up(LocalAws::shared(), &unique("demo-api"), opts, &log).await;
    let out = rehearsal
        .release(&Release {
            name: "linear".into(),
            fault_every: None,
        })
        .await;
    let transcript = lines.lock().unwrap().join("\n");
    assert_eq!(out.result, "Succeeded", "{transcript}");
    assert_eq!(transcript.matches("  traffic ").count(), 10, "{transcript}");
}
