//! `shiftguard replay`, the real binary against the stand-in: a group with three past releases.
//! The bad one CodeDeploy's alarm stopped at minute 7, the good one went through, and one is
//! older than CloudWatch's 15 days of one-minute data. Their deployments and per-minute metrics
//! are written into the stand-in as CodeDeploy and Lambda would have left them.

use std::time::{Duration, SystemTime};

use aws_sdk_codedeploy::types::ComputePlatform;
use serde_json::{Value, json};
use shiftguard_e2e::local_aws::LocalAws;
use shiftguard_e2e::scenario::{
    Aws, application, deployment_in, lambda_appspec, minute_start, put_canary_minutes, unique,
};

/// The bad release, minute by minute: `[new calls, new errors, old calls, old errors]`, a 10 %
/// canary whose new version fails on 9 % of its calls against the old one's 1 %.
const BAD: [[u64; 4]; 7] = [
    [95, 8, 905, 9],
    [102, 10, 898, 8],
    [99, 9, 901, 10],
    [101, 9, 899, 9],
    [97, 8, 903, 9],
    [104, 10, 896, 8],
    [98, 9, 902, 9],
];

/// The good release: the new version fails as often as the old one, 1 %.
const GOOD: [[u64; 4]; 10] = [
    [96, 1, 904, 9],
    [103, 1, 897, 8],
    [99, 0, 901, 10],
    [101, 1, 899, 9],
    [98, 2, 902, 9],
    [100, 1, 900, 8],
    [102, 1, 898, 9],
    [97, 0, 903, 10],
    [99, 1, 901, 9],
    [101, 1, 899, 8],
];

const MINUTE: Duration = Duration::from_secs(60);

fn secs_before(now: SystemTime, t: SystemTime) -> u64 {
    now.duration_since(t).unwrap().as_secs()
}

/// A deployment of `function` from `old` to `new` in `app`'s group, `status` from 20 s into the
/// first of `minutes` to 15 s into the minute after the last, with those minutes' traffic.
async fn past_release(
    aws: &Aws,
    app: &str,
    function: &str,
    [new, old]: [&str; 2],
    status: &str,
    until: SystemTime,
    minutes: &[[u64; 4]],
) -> String {
    let id = deployment_in(aws, app, &lambda_appspec(function, old, new)).await;
    put_canary_minutes(aws, function, [new, old], until, minutes).await;
    let now = SystemTime::now();
    let created = until - MINUTE * minutes.len() as u32 + Duration::from_secs(20);
    let completed = until + Duration::from_secs(15);
    LocalAws::shared()
        .set_deployment(
            &id,
            json!({"status": status, "created_seconds_ago": secs_before(now, created),
                   "completed_seconds_ago": secs_before(now, completed)}),
        )
        .await;
    id
}

async fn shiftguard(args: &[&str]) -> (i32, String, String) {
    let output = tokio::process::Command::new(shiftguard_e2e::binaries::binary("shiftguard"))
        .arg("replay")
        .args(args)
        .env_clear()
        .envs(LocalAws::shared().env())
        .output()
        .await
        .expect("shiftguard runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[tokio::test]
async fn a_groups_last_releases_are_judged_as_shiftguard_would_have() {
    let aws = Aws::new(LocalAws::shared()).await;
    let app = application(&aws, ComputePlatform::Lambda).await;
    let group = format!("{app}-dg");
    let function = unique("orders");
    // The bad release ended half an hour ago, the good one five minutes ago (its last minute has
    // settled: SETTLE_SECONDS is 120 by default).
    let this_minute = minute_start(SystemTime::now());
    let bad = past_release(
        &aws,
        &app,
        &function,
        ["2", "1"],
        "Stopped",
        this_minute - MINUTE * 30,
        &BAD,
    )
    .await;
    let good = past_release(
        &aws,
        &app,
        &function,
        ["3", "1"],
        "Succeeded",
        this_minute - MINUTE * 5,
        &GOOD,
    )
    .await;
    let old = deployment_in(&aws, &app, &lambda_appspec(&function, "1", "4")).await;
    LocalAws::shared()
        .set_deployment(
            &old,
            json!({"status": "Succeeded", "created_seconds_ago": 16 * 86_400, "completed_seconds_ago": 16 * 86_400 - 600}),
        )
        .await;

    let (code, out, err) = shiftguard(&[
        "--application",
        &app,
        "--deployment-group",
        &group,
        "--last",
        "3",
        "--json",
    ])
    .await;
    assert_eq!(code, 0, "{err}");
    let replayed: Vec<Value> = serde_json::from_str(&out).unwrap();
    let ids: Vec<&str> = replayed.iter().map(|r| r["deployment_id"].as_str().unwrap()).collect();
    assert_eq!(ids, [good.as_str(), bad.as_str(), old.as_str()], "newest first");

    let (good_r, bad_r, old_r) = (&replayed[0], &replayed[1], &replayed[2]);
    assert_eq!(good_r["shiftguard"], json!({"decision": "pass"}), "{good_r:#}");
    assert_eq!(good_r["agrees"], true);
    assert_eq!(good_r["minutes"].as_array().unwrap().len(), GOOD.len());
    assert_eq!(good_r["minutes"][0]["new_calls"], GOOD[0][0]);
    assert_eq!(good_r["minutes"][9]["old_errors"], GOOD[9][3]);
    assert!(
        good_r["checks"].as_array().unwrap().iter().all(|c| c["passed"] == true),
        "{good_r:#}"
    );

    assert_eq!(bad_r["shiftguard"]["decision"], "stop", "{bad_r:#}");
    let minute = bad_r["shiftguard"]["minute"].as_u64().unwrap();
    assert!(
        minute < 7,
        "shiftguard stops the bad release before CodeDeploy's alarm: minute {minute}"
    );
    assert_eq!(bad_r["agrees"], true, "both roll it back");
    assert_eq!(bad_r["codedeploy"]["status"], "Stopped");
    let evidence = bad_r["minutes"][minute as usize - 1]["relative"].as_f64().unwrap();
    assert!(evidence >= bad_r["thresholds"]["relative"].as_f64().unwrap());

    assert_eq!(old_r["shiftguard"]["decision"], "skipped");
    assert!(
        old_r["shiftguard"]["reason"]
            .as_str()
            .unwrap()
            .contains("CloudWatch keeps one-minute datapoints for 15 days"),
        "{old_r:#}"
    );

    // The table says the same to a person.
    let (code, table, err) = shiftguard(&["--deployment", &bad, "--deployment", &good]).await;
    assert_eq!(code, 0, "{err}");
    assert!(
        table.contains(&format!("  CodeDeploy:   Stopped after {} min", BAD.len())),
        "{table}"
    );
    assert!(
        table.contains(&format!(
            "  shiftguard:   would stop it at minute {minute} (canary judge)"
        )),
        "{table}"
    );
    assert!(
        table.contains("  shiftguard:   would let it through  [agrees]"),
        "{table}"
    );
    assert!(
        table.ends_with(
            "2 deployments: 2 judged, shiftguard agrees with CodeDeploy on 2 and differs on 0; 0 not judged.\n"
        ),
        "{table}"
    );
}

#[tokio::test]
async fn a_stricter_settings_file_and_an_unknown_deployment() {
    let aws = Aws::new(LocalAws::shared()).await;
    let app = application(&aws, ComputePlatform::Lambda).await;
    let function = unique("orders");
    let until = minute_start(SystemTime::now()) - MINUTE * 5;
    let good = past_release(&aws, &app, &function, ["3", "1"], "Succeeded", until, &GOOD).await;
    let dir = std::env::temp_dir().join(unique("replay-settings"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("strict.yaml");
    // A ceiling of 0.2 % that the good release's 1 % goes over.
    std::fs::write(&file, "MAX_ERROR_RATE: 0.2\n").unwrap();
    let (code, out, err) = shiftguard(&["--deployment", &good, "--settings", file.to_str().unwrap(), "--json"]).await;
    assert_eq!(code, 0, "{err}");
    let replayed: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(replayed[0]["shiftguard"]["decision"], "stop", "{:#}", replayed[0]);
    assert_eq!(replayed[0]["shiftguard"]["test"], "ceiling");
    assert_eq!(replayed[0]["agrees"], false);

    std::fs::write(&file, "MAX_ERROR_RATES: 0.2\n").unwrap();
    let (code, out, err) = shiftguard(&["--deployment", &good, "--settings", file.to_str().unwrap()]).await;
    assert_eq!((code, out.as_str()), (1, ""));
    assert!(
        err.contains("MAX_ERROR_RATES, which no shiftguard function reads"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();

    let (code, out, _) = shiftguard(&["--deployment", "d-NOWHERE12"]).await;
    assert_eq!(code, 1, "a deployment that cannot be judged: {out}");
    assert!(
        out.contains("could not judge: deployment d-NOWHERE12 does not exist"),
        "{out}"
    );
}
