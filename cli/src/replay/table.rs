//! The human form of a replay: a block per deployment, then the totals.

use std::fmt::Write;

use shiftguard::replay::outcome::{MinuteRow, Replayed, Thresholds, Would};
use shiftguard::target::deployment_target::DeploymentTarget;

/// An e-value as the judge's reasons write it: whole numbers when large, "<0.01" when tiny.
fn e(value: f64) -> String {
    if value >= 1e6 {
        format!("{value:.1e}")
    } else if value >= 100.0 {
        format!("{value:.0}")
    } else if value >= 0.01 {
        format!("{value:.2}")
    } else {
        "<0.01".to_string()
    }
}

/// Seconds since the epoch as RFC 3339 (UTC).
fn when(epoch_s: u64) -> String {
    aws_smithy_types::DateTime::from_secs(epoch_s as i64)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_else(|_| epoch_s.to_string())
}

fn target(t: &DeploymentTarget) -> String {
    match t {
        DeploymentTarget::Lambda(l) => format!(
            "{}:{} {} -> {}",
            l.function_name,
            l.alias.as_deref().unwrap_or("?"),
            l.current_version.as_deref().unwrap_or("?"),
            l.target_version
        ),
        DeploymentTarget::Ecs(_) => t.label(),
    }
}

fn codedeploy(r: &Replayed) -> String {
    let c = &r.codedeploy;
    let mut s = c.status.clone();
    if let (Some(start), Some(end)) = (c.created_at, c.completed_at) {
        let _ = write!(s, " after {} min", end.saturating_sub(start).div_ceil(60));
    }
    s
}

fn shiftguard(r: &Replayed) -> String {
    let verdict = match &r.shiftguard {
        Would::Stop { minute, reason, .. } => format!("would stop it at minute {minute} (canary judge): {reason}"),
        Would::FailAfterShift { reasons } => {
            format!(
                "would roll it back after the shift (post-traffic): {}",
                reasons.join("; ")
            )
        }
        Would::Pass => "would let it through".to_string(),
        Would::Skipped { reason } => format!("not judged: {reason}"),
        Would::Problem { reason } => format!("could not judge: {reason}"),
    };
    match r.agrees {
        Some(true) => format!("{verdict}  [agrees]"),
        Some(false) => format!("{verdict}  [DIFFERS]"),
        None => verdict,
    }
}

fn minutes(out: &mut String, rows: &[MinuteRow], thresholds: Thresholds, stop: Option<usize>) {
    let _ = writeln!(
        out,
        "  {:>6} {:>10} {:>7} {:>10} {:>7} {:>10} {:>10}",
        "minute", "new calls", "errors", "old calls", "errors", "relative", "ceiling"
    );
    for row in rows {
        let mark = if Some(row.minute) == stop { "  <- stop" } else { "" };
        let _ = writeln!(
            out,
            "  {:>6} {:>10} {:>7} {:>10} {:>7} {:>10} {:>10}{mark}",
            row.minute,
            row.new_calls,
            row.new_errors,
            row.old_calls,
            row.old_errors,
            e(row.relative),
            e(row.ceiling)
        );
    }
    let _ = writeln!(
        out,
        "  (e-values; the judge stops at {} relative, {} ceiling)",
        e(thresholds.relative),
        e(thresholds.ceiling)
    );
}

/// Every deployment's block, then the totals.
pub fn render(replayed: &[Replayed]) -> String {
    let mut out = String::new();
    if replayed.is_empty() {
        out.push_str("No completed deployment to replay.\n");
        return out;
    }
    for r in replayed {
        let mut head = r.deployment_id.clone();
        if !r.application.is_empty() {
            let _ = write!(head, "  {} / {}", r.application, r.deployment_group);
        }
        if let Some(t) = &r.target {
            let _ = write!(head, "  {}", target(t));
        }
        if let Some(start) = r.codedeploy.created_at {
            let _ = write!(head, "  started {}", when(start));
        }
        let _ = writeln!(out, "{head}");
        if !r.codedeploy.status.is_empty() {
            let _ = writeln!(out, "  CodeDeploy:   {}", codedeploy(r));
        }
        let _ = writeln!(out, "  shiftguard:   {}", shiftguard(r));
        if !r.checks.is_empty() {
            let failed: Vec<&str> = r.checks.iter().filter(|c| !c.passed).map(|c| c.name.as_str()).collect();
            let verdict = match failed.is_empty() {
                true if r.checks.len() == 1 => "passed (1 check)".to_string(),
                true => format!("passed ({} checks)", r.checks.len()),
                false => format!("failed: {}", failed.join(", ")),
            };
            let _ = writeln!(out, "  post-traffic: {verdict}");
        }
        for note in &r.notes {
            let _ = writeln!(out, "  note: {note}");
        }
        if let Some(thresholds) = r.thresholds {
            let stop = match r.shiftguard {
                Would::Stop { minute, .. } => Some(minute),
                _ => None,
            };
            minutes(&mut out, &r.minutes, thresholds, stop);
        }
        out.push('\n');
    }
    let judged = replayed.iter().filter(|r| r.agrees.is_some()).count();
    let agree = replayed.iter().filter(|r| r.agrees == Some(true)).count();
    let _ = writeln!(
        out,
        "{} deployments: {judged} judged, shiftguard agrees with CodeDeploy on {agree} and differs on {}; {} not judged.",
        replayed.len(),
        judged - agree,
        replayed.len() - judged
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use shiftguard::canary::judge::Test;
    use shiftguard::replay::outcome::CodeDeployOutcome;
    use shiftguard::target::deployment_target::LambdaTarget;

    fn replayed(id: &str, status: &str, would: Would) -> Replayed {
        Replayed {
            deployment_id: id.into(),
            application: "orders".into(),
            deployment_group: "orders-live".into(),
            compute_platform: "Lambda".into(),
            codedeploy: CodeDeployOutcome {
                status: status.into(),
                created_at: Some(1_796_000_000),
                completed_at: Some(1_796_000_700),
            },
            target: Some(DeploymentTarget::Lambda(LambdaTarget {
                function_name: "orders".into(),
                alias: Some("live".into()),
                current_version: Some("1".into()),
                target_version: "3".into(),
            })),
            shiftguard: Would::Pass,
            agrees: None,
            minutes: vec![MinuteRow {
                minute: 1,
                new_calls: 100,
                new_errors: 10,
                old_calls: 900,
                old_errors: 9,
                relative: 52.4,
                ceiling: 0.5,
            }],
            thresholds: Some(Thresholds {
                relative: 40.0,
                ceiling: 40.0,
            }),
            checks: vec![],
            settings: None,
            notes: vec![],
        }
        .decided(would)
    }

    #[test]
    fn a_block_says_what_each_did_and_marks_the_stop_and_the_totals_count() {
        let stop = Would::Stop {
            minute: 1,
            test: Test::Relative,
            reason: "the new version fails more often".into(),
        };
        let text = render(&[
            replayed("d-BAD", "Succeeded", stop),
            replayed(
                "d-OLD",
                "Succeeded",
                Would::Skipped {
                    reason: "it started 20 days ago".into(),
                },
            ),
        ]);
        assert!(
            text.starts_with("d-BAD  orders / orders-live  orders:live 1 -> 3  started 2026-11-30T00:53:20Z\n"),
            "{text}"
        );
        assert!(text.contains("  CodeDeploy:   Succeeded after 12 min\n"), "{text}");
        assert!(
            text.contains("would stop it at minute 1 (canary judge): the new version fails more often  [DIFFERS]"),
            "{text}"
        );
        assert!(text.contains("52.40       0.50  <- stop"), "{text}");
        assert!(text.contains("not judged: it started 20 days ago\n"), "{text}");
        assert!(
            text.ends_with(
                "2 deployments: 1 judged, shiftguard agrees with CodeDeploy on 0 and differs on 1; 1 not judged.\n"
            ),
            "{text}"
        );
        assert_eq!(render(&[]), "No completed deployment to replay.\n");
    }
}
