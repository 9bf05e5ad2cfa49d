//! A plan as a person reads it: what was simulated, the smallest regressions caught, the median
//! minutes, the table behind them, and the warnings last, where they are seen.

use std::fmt::Write as _;

use shiftguard::canary::plan::{Plan, Power, count};

fn pct(share: f64) -> String {
    format!("{:.1} %", 100.0 * share)
}

fn rho(r: Option<f64>) -> String {
    r.map_or("above 10x".to_string(), |r| format!("{r}x"))
}

fn minute(m: Option<usize>) -> String {
    m.map_or("—".to_string(), |m| m.to_string())
}

fn median(name: &str, p: &Plan, m: Option<usize>) -> String {
    m.map_or(format!("{name}: fewer than half caught"), |m| {
        if m == p.shift_minutes {
            format!("{name}: at the final look")
        } else {
            format!("{name}: minute {m}")
        }
    })
}

fn row(out: &mut String, label: &str, p: &Power) {
    let _ = writeln!(
        out,
        "  {label:>6}   {:>24}   {:>18}   {:>13}",
        pct(p.stopped_during_shift),
        pct(p.caught),
        minute(p.median_minute)
    );
}

pub fn text(p: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "shiftguard plan: {}", p.deployment_config);
    let _ = writeln!(
        out,
        "  shift      {} ({} minutes both versions serve)",
        p.shift, p.shift_minutes
    );
    let _ = writeln!(
        out,
        "  service    {} calls a minute, {} % of them errors: over the shift the new version serves about \
         {:.0} calls and {} errors at that rate",
        p.calls_per_minute,
        p.error_rate_pct,
        p.new_version_calls,
        count(p.new_version_errors)
    );
    let _ = writeln!(
        out,
        "  judge      CONFIDENCE {}, MAX_ERROR_RATE {} %",
        p.confidence, p.max_error_rate_pct
    );
    let _ = writeln!(
        out,
        "  simulated  {} deployments per regression size, seed {}",
        p.runs, p.seed
    );
    let _ = writeln!(
        out,
        "\nSmallest regression caught (ρ: the new version's error rate over the old one's):"
    );
    let header: Vec<String> = p
        .smallest
        .iter()
        .map(|s| format!("in {:.0} %", 100.0 * s.probability))
        .collect();
    let _ = writeln!(out, "  {:<46} {:>10} {:>10}", "", header[0], header[1]);
    let during: Vec<String> = p.smallest.iter().map(|s| rho(s.stopped_during_shift)).collect();
    let final_: Vec<String> = p.smallest.iter().map(|s| rho(s.by_final_look)).collect();
    let _ = writeln!(
        out,
        "  {:<46} {:>10} {:>10}",
        "stopped before the shift completes", during[0], during[1]
    );
    let _ = writeln!(
        out,
        "  {:<46} {:>10} {:>10}",
        "rolled back, by the final look at the latest", final_[0], final_[1]
    );
    let _ = writeln!(
        out,
        "\nMedian minute of the rollback: {}; {} (the final look comes after minute {}).",
        median("2x", p, p.median_minute_2x),
        median("3x", p, p.median_minute_3x),
        p.shift_minutes
    );
    let _ = writeln!(
        out,
        "Healthy releases rolled back (ρ = 1): {} (promised: at most {}).",
        pct(p.healthy.caught),
        pct(1.0 - p.confidence)
    );
    let _ = writeln!(
        out,
        "\n  {:>6}   {:>24}   {:>18}   {:>13}",
        "ρ", "stopped during the shift", "rolled back at all", "median minute"
    );
    row(&mut out, "1x", &p.healthy);
    for r in &p.regressions {
        row(&mut out, &format!("{}x", r.rho), r);
    }
    for w in &p.warnings {
        let _ = writeln!(out, "\nWARNING: {w}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use shiftguard::canary::plan::{PlanRequest, plan};
    use shiftguard::canary::settings::JudgeSettings;
    use shiftguard::canary::shift::LambdaDeploymentConfig;

    fn planned(calls: f64, rate: f64) -> Plan {
        plan(&PlanRequest {
            calls_per_minute: calls,
            error_rate_pct: rate,
            config: LambdaDeploymentConfig::Canary10Percent10Minutes,
            settings: JudgeSettings::default(),
            seed: 1,
            runs: 30,
        })
        .unwrap()
    }

    #[test]
    fn the_text_names_what_was_simulated_and_every_row() {
        let t = text(&planned(2000.0, 1.0));
        assert!(
            t.starts_with("shiftguard plan: CodeDeployDefault.LambdaCanary10Percent10Minutes\n"),
            "{t}"
        );
        assert!(t.contains("2000 calls a minute, 1 % of them errors"), "{t}");
        assert!(t.contains("about 2000 calls and 20.0 errors at that rate"), "{t}");
        assert!(t.contains("stopped before the shift completes"), "{t}");
        assert!(t.contains("Median minute of the rollback: 2x: "), "{t}");
        for r in ["1x", "1.1x", "1.25x", "2x", "10x"] {
            assert!(
                t.lines().any(|l| l.trim_start().starts_with(&format!("{r} "))),
                "{r}: {t}"
            );
        }
        assert!(!t.contains("WARNING"), "{t}");
    }

    #[test]
    fn warnings_come_last() {
        let t = text(&planned(20.0, 0.1));
        let last = t.trim_end().lines().last().unwrap();
        assert!(
            last.starts_with("WARNING: this canary is too small to see anything useful"),
            "{t}"
        );
        assert!(t.contains("above 10x"), "{t}");
    }
}
