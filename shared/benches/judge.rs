//! The canary judge against what teams use today, on simulated deployments (`make bench-judge`):
//! a fixed seed, release build, a few minutes on two cores; Markdown tables on stdout
//! (docs/canary-judge.md shows them).
//!
//! Each deployment draws, minute by minute, Poisson traffic through the alias, each call routed
//! to the new version with the minute's share (a canary's 10 %, or a linear ramp), and Binomial
//! errors: the old version at the base rate p, the new one at ρ·p (`shiftguard::canary::simulation`,
//! the simulator `shiftguard plan` runs too). Every row judges the same
//! draws; ρ = 1 is a healthy release, so its column is the false-rollback rate. A rollback "at
//! minute m" uses the complete minutes 1..m; the last minute's look is the final one
//! (AfterAllowTraffic), so "during the shift" means a stop after minutes 1..T−1.

use std::fmt::Write as _;
use std::time::Instant;

use shiftguard::canary::e_process::Grid;
use shiftguard::canary::final_look::{Look, final_test};
use shiftguard::canary::judge::Judge;
use shiftguard::canary::minute::{Counts, Minute};
use shiftguard::canary::relative_risk;
use shiftguard::canary::settings::{JudgeSettings, Spending};
use shiftguard::canary::shift::Shift;
use shiftguard::canary::simulation::{Base, Scenario, Seeds, Tally};
use shiftguard::gate::statistics::{two_proportion_z, wilson_lower_bound, z_one_sided};

const SEED: u64 = 20_261_202;
const RHOS: [f64; 5] = [1.0, 1.5, 2.0, 3.0, 5.0];
const CONFIDENCE: f64 = 0.95;
/// The judge's ceiling in the bench, the same as the rate alarm's: above every healthy base rate
/// drawn, so that ρ = 1 is a healthy release for every row.
const MAX_ERROR_RATE_PCT: f64 = 5.0;

/// A scenario of the tables: its deployments and how many of them.
struct Case {
    name: &'static str,
    scenario: Scenario,
    runs: usize,
}

fn scenarios() -> Vec<Case> {
    let canary10 = Shift::Canary {
        percent: 10,
        minutes: 10,
    };
    let case = |name, calls_per_minute, shift, base, runs| Case {
        name,
        scenario: Scenario {
            calls_per_minute,
            shift,
            base,
        },
        runs,
    };
    vec![
        case(
            "2000 calls/min, 10 % canary for 10 min, 1 % base error",
            2000.0,
            canary10,
            Base::Constant(0.01),
            10_000,
        ),
        case(
            "2000 calls/min, 10 % canary for 10 min, 0.1 % base error",
            2000.0,
            canary10,
            Base::Constant(0.001),
            10_000,
        ),
        case(
            "200 calls/min, 10 % canary for 10 min, 1 % base error",
            200.0,
            canary10,
            Base::Constant(0.01),
            10_000,
        ),
        case(
            "200 calls/min, 10 % canary for 10 min, 0.1 % base error",
            200.0,
            canary10,
            Base::Constant(0.001),
            10_000,
        ),
        case(
            "2000 calls/min, linear 10 % a minute, 1 % base error",
            2000.0,
            Shift::Linear { percent: 10, every: 1 },
            Base::Constant(0.01),
            10_000,
        ),
        case(
            "2000 calls/min, linear 10 % a minute, base error rising 0.5 → 2 % with bad minutes",
            2000.0,
            Shift::Linear { percent: 10, every: 1 },
            Base::Varying { from: 0.005, to: 0.02 },
            10_000,
        ),
        case(
            "2000 calls/min, 10 % canary for 10 min, base error rising 0.5 → 2 % with bad minutes",
            2000.0,
            canary10,
            Base::Varying { from: 0.005, to: 0.02 },
            10_000,
        ),
        case(
            "200 calls/min, 10 % canary watched for 4 hours (240 looks), 1 % base error",
            200.0,
            Shift::Canary {
                percent: 10,
                minutes: 240,
            },
            Base::Constant(0.01),
            4000,
        ),
    ]
}

const ROWS: &str = "Rows:
- **shiftguard**: the canary judge, looking after every minute; its final look after the last.
- single-look limit: the exact conditional test of the new version's share of the errors, once at \
the end at α = 0.05, knowing the window in advance: the best one look can do.
- z-test re-run each minute: the pooled two-proportion z-test of the new version's error rate \
against the old one's on the counts so far, one-sided at 1.645, after every minute.
- `Errors > 0` alarm: AWS's sample alarm, the new version's `Errors` above 0 in any one minute.
- 5 % rate alarm: the new version's error rate above 5 % in any one minute.
- five failed 1 % checks (Flagger): a check a minute that the new version's success rate is at \
least 99 % (Flagger's `request-success-rate`, `interval: 1m`); the fifth failed check, consecutive \
or not (`threshold: 5`), rolls back.
- the seed's 1 % threshold: the new version's error rate over the whole shift above 1 %, once at \
the end (the seed's post-traffic hook).
";

/// A way of deciding: the minute of the rollback (the last minute = the final look), or `None`.
type Rule<'a> = Box<dyn Fn(&[Minute]) -> Option<usize> + Sync + 'a>;

fn first_minute(minutes: &[Minute], mut bad: impl FnMut(usize) -> bool) -> Option<usize> {
    (0..minutes.len()).find(|&t| bad(t)).map(|t| t + 1)
}

fn rate(c: Counts) -> f64 {
    if c.invocations == 0 {
        0.0
    } else {
        c.errors as f64 / c.invocations as f64
    }
}

fn rules(judge: &Judge) -> Vec<(&'static str, Rule<'_>)> {
    let z = z_one_sided(CONFIDENCE);
    vec![
        (
            "**shiftguard**",
            Box::new(move |m: &[Minute]| {
                let v = judge.final_look(m).unwrap();
                v.watch.stop.map(|s| s.minute).or(v.failed.then_some(m.len()))
            }),
        ),
        (
            "single-look limit (exact conditional test at the end)",
            Box::new(|m: &[Minute]| {
                let looks: Vec<Look> = m
                    .iter()
                    .filter(|x| relative_risk::trial(x).is_some())
                    .map(|x| Look {
                        null: relative_risk::null(x),
                        boundary: u64::MAX,
                    })
                    .collect();
                let count = m
                    .iter()
                    .filter(|x| relative_risk::trial(x).is_some())
                    .map(|x| x.new.errors)
                    .sum();
                final_test(&looks, count, 1.0 - CONFIDENCE).rejects.then_some(m.len())
            }),
        ),
        (
            "z-test re-run each minute",
            Box::new(move |m: &[Minute]| {
                let (mut new, mut old) = (Counts::default(), Counts::default());
                first_minute(m, |t| {
                    new.invocations += m[t].new.invocations;
                    new.errors += m[t].new.errors;
                    old.invocations += m[t].old.invocations;
                    old.errors += m[t].old.errors;
                    two_proportion_z(
                        new.errors as f64,
                        new.invocations as f64,
                        old.errors as f64,
                        old.invocations as f64,
                    ) > z
                })
            }),
        ),
        (
            "`Errors > 0` alarm",
            Box::new(|m: &[Minute]| first_minute(m, |t| m[t].new.errors > 0)),
        ),
        (
            "5 % rate alarm",
            Box::new(|m: &[Minute]| first_minute(m, |t| rate(m[t].new) > 0.05)),
        ),
        (
            "five failed 1 % checks (Flagger)",
            Box::new(|m: &[Minute]| {
                let mut failed = 0;
                first_minute(m, |t| {
                    failed += usize::from(rate(m[t].new) > 0.01);
                    failed >= 5
                })
            }),
        ),
        (
            "the seed's 1 % threshold (one look at the end)",
            Box::new(|m: &[Minute]| {
                let (k, n) = m
                    .iter()
                    .fold((0, 0), |(k, n), x| (k + x.new.errors, n + x.new.invocations));
                (n > 0 && k as f64 / n as f64 > 0.01).then_some(m.len())
            }),
        ),
    ]
}

/// The choices behind the judge, each against the judge itself on the same draws.
fn variants<'a>(judges: &'a [(&'static str, Judge, bool)]) -> Vec<(&'static str, Rule<'a>)> {
    judges
        .iter()
        .map(|(name, judge, final_look)| {
            let final_look = *final_look;
            let rule: Rule<'a> = Box::new(move |m: &[Minute]| {
                let v = judge.final_look(m).unwrap();
                let stop = v.watch.stop.map(|s| s.minute);
                if final_look {
                    stop.or(v.failed.then_some(m.len()))
                } else {
                    stop
                }
            });
            (*name, rule)
        })
        .collect()
}

fn variant_judges() -> Vec<(&'static str, Judge, bool)> {
    let chosen = JudgeSettings::new(CONFIDENCE, MAX_ERROR_RATE_PCT).unwrap();
    let with = |f: &dyn Fn(&mut Spending)| {
        let mut s = chosen;
        f(&mut s.spending);
        s
    };
    let flat = Grid::log_spaced(1.25, 20.0, 12);
    vec![
        ("**shiftguard** (as chosen)", Judge::new(chosen), true),
        ("the looks alone (no exact final test)", Judge::new(chosen), false),
        (
            "looks stop at ½ of each test's α",
            Judge::new(with(&|s| s.looks_share = 0.5)),
            true,
        ),
        (
            "no ceiling: all of α to the relative test",
            Judge::new(with(&|s| s.relative_share = 1.0)),
            true,
        ),
        (
            "a flat mixture: 12 odds ratios 1.25x–20x, equal weights",
            Judge::with_grids(chosen, flat.clone(), flat),
            true,
        ),
    ]
}

/// `f` of every run of scenario `si` at ρ = `RHOS[rho_index]`, in run order, on every core. A run's
/// traffic and base rate depend on the run alone, its errors on the run and ρ.
fn simulate<T: Send>(c: &Case, si: usize, rho_index: usize, f: &(dyn Fn(&[Minute]) -> T + Sync)) -> Vec<T> {
    let seeds = Seeds {
        root: SEED,
        scenario: si as u64,
    };
    c.scenario.simulate(seeds, c.runs, RHOS[rho_index], rho_index as u64, f)
}

/// The rollback minute of every row for every run of one ρ: `[row][run]`.
fn rollbacks(s: &Case, si: usize, rho_index: usize, rules: &[(&str, Rule<'_>)]) -> Vec<Vec<Option<usize>>> {
    let by_run = simulate(s, si, rho_index, &|m: &[Minute]| {
        rules.iter().map(|(_, rule)| rule(m)).collect::<Vec<_>>()
    });
    (0..rules.len())
        .map(|row| by_run.iter().map(|results| results[row]).collect())
        .collect()
}

/// The mean, over the healthy draws of `s`, of the relative test's α spent by its looks.
fn looks_spending(s: &Case, si: usize, judge: &Judge) -> f64 {
    let spent = simulate(s, si, 0, &|m: &[Minute]| {
        judge.final_look(m).unwrap().relative.spent_by_looks
    });
    spent.iter().sum::<f64>() / s.runs as f64
}

/// One scenario's table, written to `out`; the cells `[rho][row]`.
fn table(out: &mut String, s: &Case, si: usize, rules: &[(&str, Rule<'_>)]) -> Vec<Vec<Tally>> {
    let last_minute = s.scenario.shift.minutes();
    let cells: Vec<Vec<Tally>> = (0..RHOS.len())
        .map(|ri| {
            rollbacks(s, si, ri, rules)
                .iter()
                .map(|results| Tally::new(results, last_minute))
                .collect()
        })
        .collect();
    let _ = writeln!(out, "| | ρ = 1 (false rollbacks) | ρ = 1.5 | ρ = 2 | ρ = 3 | ρ = 5 |");
    let _ = writeln!(out, "|---|---|---|---|---|---|");
    for (row, (name, _)) in rules.iter().enumerate() {
        let shown: Vec<String> = cells.iter().map(|c| c[row].show()).collect();
        let _ = writeln!(out, "| {name} | {} |", shown.join(" | "));
    }
    let _ = writeln!(out);
    cells
}

/// A cell of the tables: caught (by the final look), stopped during the shift, and the median
/// minute of the rollback over all runs, as the library's simulation counts them.
trait Cell {
    /// The one-sided 95 % upper bound of the caught share (Wilson).
    fn caught_upper(&self) -> f64;
    fn show(&self) -> String;
}

impl Cell for Tally {
    fn caught_upper(&self) -> f64 {
        let (k, n) = (self.caught as f64, self.runs as f64);
        1.0 - wilson_lower_bound(n - k, n, z_one_sided(0.95))
    }

    fn show(&self) -> String {
        format!(
            "{:.1} % · {:.1} % · {}",
            100.0 * self.share(self.caught),
            100.0 * self.share(self.during),
            self.median.map_or("—".to_string(), |m| m.to_string())
        )
    }
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(String::new(), |kib| format!(", {:.0} GiB", kib / 1024.0 / 1024.0));
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    format!("{} {cpu}, {cores} cores{memory}", std::env::consts::ARCH)
}

fn main() {
    let started = Instant::now();
    let settings = JudgeSettings::new(CONFIDENCE, MAX_ERROR_RATE_PCT).unwrap();
    let judge = Judge::new(settings);
    let rules = rules(&judge);
    let mut out = String::new();
    let _ = writeln!(out, "# The canary judge on simulated deployments\n");
    let _ = writeln!(out, "Machine: {}. Seed: {SEED}.", machine());
    let _ = writeln!(
        out,
        "Judge: CONFIDENCE {CONFIDENCE}, MAX_ERROR_RATE {MAX_ERROR_RATE_PCT} %; relative test α = {:.3} \
         (looks stop at e-value {:.0}), ceiling α = {:.3} (looks stop at {:.0}); each final look spends \
         what its looks left.\n",
        settings.relative_alpha(),
        judge.relative_threshold(),
        settings.ceiling_alpha(),
        judge.ceiling_threshold(),
    );
    let _ = writeln!(
        out,
        "Each cell: caught (a stop or a failed final look) · stopped during the shift · the median \
         minute of the rollback over all deployments (— when fewer than half are caught). ρ is the \
         new version's error rate over the old one's; ρ = 1 is a healthy release, its \"caught\" the \
         false-rollback rate.\n"
    );
    let _ = writeln!(out, "{ROWS}");
    let mut targets = Vec::new();
    let all = scenarios();
    for (si, s) in all.iter().enumerate() {
        let _ = writeln!(out, "## {} ({} deployments a column)\n", s.name, s.runs);
        let cells = table(&mut out, s, si, &rules);
        let spent = looks_spending(s, si, &judge);
        let _ = writeln!(
            out,
            "On the healthy releases (ρ = 1), the relative test's looks spent {:.4} of its α = {:.3} on \
             average, given each deployment's totals; its final look had the rest.\n",
            spent,
            settings.relative_alpha()
        );
        let healthy = &cells[0][0];
        targets.push(format!(
            "- {}: false rollbacks {:.2} % (95 % upper bound {:.2} %) ≤ 5 %: {}",
            s.name,
            100.0 * healthy.share(healthy.caught),
            100.0 * healthy.caught_upper(),
            if healthy.share(healthy.caught) <= 0.05 {
                "holds"
            } else {
                "MISSED"
            }
        ));
        if si == 0 {
            let (two, three) = (&cells[2][0], &cells[3][0]);
            targets.push(format!(
                "- {}: 3x stopped by minute {} (median) ≤ 2: {}",
                s.name,
                three.median.map_or("—".to_string(), |m| m.to_string()),
                if three.median.is_some_and(|m| m <= 2) {
                    "holds"
                } else {
                    "MISSED"
                }
            ));
            targets.push(format!(
                "- {}: 2x caught {:.1} % ≥ 90 % (the single-look limit: {:.1} %): {}",
                s.name,
                100.0 * two.share(two.caught),
                100.0 * cells[2][1].share(cells[2][1].caught),
                if two.share(two.caught) >= 0.9 {
                    "holds"
                } else {
                    "MISSED"
                }
            ));
        }
        eprintln!("{} done at {:.0?}", s.name, started.elapsed());
    }
    let judges = variant_judges();
    let variants = variants(&judges);
    let _ = writeln!(
        out,
        "## The choices, each against the judge on the same draws\n\nThe split of α and the mixture \
         were chosen on these; the rows differ from the judge in one thing each.\n"
    );
    for si in [0, 2, 5] {
        let s = &all[si];
        let _ = writeln!(out, "### {} ({} deployments a column)\n", s.name, s.runs);
        table(&mut out, s, si, &variants);
        eprintln!("the choices on {} done at {:.0?}", s.name, started.elapsed());
    }
    let _ = writeln!(out, "## Targets\n");
    let _ = writeln!(out, "{}\n", targets.join("\n"));
    let _ = writeln!(out, "Ran in {:.0?}.", started.elapsed());
    print!("{out}");
}
