//! The canary judge against what teams use today, on simulated deployments (`make bench-judge`):
//! a fixed seed, release build, a few minutes on two cores; Markdown tables on stdout
//! (docs/canary-judge.md shows them).
//!
//! Each deployment draws, minute by minute, Poisson traffic through the alias, each call routed
//! to the new version with the minute's share (a canary's 10 %, or a linear ramp), and Binomial
//! errors: the old version at the base rate p, the new one at ρ·p. Every row judges the same
//! draws; ρ = 1 is a healthy release, so its column is the false-rollback rate. A rollback "at
//! minute m" uses the complete minutes 1..m; the last minute's look is the final one
//! (AfterAllowTraffic), so "during the shift" means a stop after minutes 1..T−1.

use std::fmt::Write as _;
use std::time::Instant;

use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use rand_distr::{Binomial, Distribution, Normal, Poisson, Uniform};
use shiftguard::canary::e_process::Grid;
use shiftguard::canary::final_look::{Look, final_test};
use shiftguard::canary::judge::Judge;
use shiftguard::canary::minute::{Counts, Minute};
use shiftguard::canary::relative_risk;
use shiftguard::canary::settings::{JudgeSettings, Spending};
use shiftguard::gate::statistics::{two_proportion_z, wilson_lower_bound, z_one_sided};

const SEED: u64 = 20_261_202;
const RHOS: [f64; 5] = [1.0, 1.5, 2.0, 3.0, 5.0];
const CONFIDENCE: f64 = 0.95;
/// The judge's ceiling in the bench, the same as the rate alarm's: above every healthy base rate
/// drawn, so that ρ = 1 is a healthy release for every row.
const MAX_ERROR_RATE_PCT: f64 = 5.0;

#[derive(Clone, Copy)]
enum Shift {
    /// `share` of the calls for `minutes` minutes, then all of them.
    Canary { share: f64, minutes: usize },
    /// 10 %, 20 %, … 90 %, a minute each, then all of them.
    Linear,
}

impl Shift {
    fn shares(self) -> Vec<f64> {
        match self {
            Shift::Canary { share, minutes } => vec![share; minutes],
            Shift::Linear => (1..10).map(|i| i as f64 / 10.0).collect(),
        }
    }
}

#[derive(Clone, Copy)]
enum Base {
    Constant(f64),
    /// Rising from `from` to `to` over the shift (a morning's traffic), times a lognormal
    /// minute-to-minute wobble (σ = 0.3), and one minute in ten a dependency's bad minute (×4):
    /// the same for both versions.
    Varying {
        from: f64,
        to: f64,
    },
}

struct Scenario {
    name: &'static str,
    calls_per_minute: f64,
    shift: Shift,
    base: Base,
    runs: usize,
}

fn scenarios() -> Vec<Scenario> {
    let canary10 = Shift::Canary {
        share: 0.1,
        minutes: 10,
    };
    vec![
        Scenario {
            name: "2000 calls/min, 10 % canary for 10 min, 1 % base error",
            calls_per_minute: 2000.0,
            shift: canary10,
            base: Base::Constant(0.01),
            runs: 10_000,
        },
        Scenario {
            name: "2000 calls/min, 10 % canary for 10 min, 0.1 % base error",
            calls_per_minute: 2000.0,
            shift: canary10,
            base: Base::Constant(0.001),
            runs: 10_000,
        },
        Scenario {
            name: "200 calls/min, 10 % canary for 10 min, 1 % base error",
            calls_per_minute: 200.0,
            shift: canary10,
            base: Base::Constant(0.01),
            runs: 10_000,
        },
        Scenario {
            name: "200 calls/min, 10 % canary for 10 min, 0.1 % base error",
            calls_per_minute: 200.0,
            shift: canary10,
            base: Base::Constant(0.001),
            runs: 10_000,
        },
        Scenario {
            name: "2000 calls/min, linear 10 % a minute, 1 % base error",
            calls_per_minute: 2000.0,
            shift: Shift::Linear,
            base: Base::Constant(0.01),
            runs: 10_000,
        },
        Scenario {
            name: "2000 calls/min, linear 10 % a minute, base error rising 0.5 → 2 % with bad minutes",
            calls_per_minute: 2000.0,
            shift: Shift::Linear,
            base: Base::Varying { from: 0.005, to: 0.02 },
            runs: 10_000,
        },
        Scenario {
            name: "2000 calls/min, 10 % canary for 10 min, base error rising 0.5 → 2 % with bad minutes",
            calls_per_minute: 2000.0,
            shift: canary10,
            base: Base::Varying { from: 0.005, to: 0.02 },
            runs: 10_000,
        },
        Scenario {
            name: "200 calls/min, 10 % canary watched for 4 hours (240 looks), 1 % base error",
            calls_per_minute: 200.0,
            shift: Shift::Canary {
                share: 0.1,
                minutes: 240,
            },
            base: Base::Constant(0.01),
            runs: 4000,
        },
    ]
}

/// One deployment's minutes: the traffic and the base rate from `traffic`, the same for every ρ,
/// the errors from `errors`.
fn draw(s: &Scenario, rho: f64, traffic: &mut Xoshiro256PlusPlus, errors: &mut Xoshiro256PlusPlus) -> Vec<Minute> {
    let shares = s.shift.shares();
    let t_last = (shares.len() - 1).max(1) as f64;
    let calls = Poisson::new(s.calls_per_minute).unwrap();
    let wobble = Normal::new(0.0, 0.3).unwrap();
    let unit = Uniform::new(0.0, 1.0).unwrap();
    shares
        .iter()
        .enumerate()
        .map(|(t, &share)| {
            let n = calls.sample(traffic) as u64;
            let n_new = Binomial::new(n, share).unwrap().sample(traffic);
            let p = match s.base {
                Base::Constant(p) => p,
                Base::Varying { from, to } => {
                    let trend = from * (to / from).powf(t as f64 / t_last);
                    let bad = if unit.sample(traffic) < 0.1 { 4.0 } else { 1.0 };
                    (trend * f64::exp(wobble.sample(traffic)) * bad).min(0.2)
                }
            };
            let e_new = Binomial::new(n_new, (rho * p).min(1.0)).unwrap().sample(errors);
            let e_old = Binomial::new(n - n_new, p).unwrap().sample(errors);
            Minute::new(Counts::new(n_new, e_new), Counts::new(n - n_new, e_old))
        })
        .collect()
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

/// SplitMix64's finaliser: one well-mixed seed per (scenario, run, stream).
fn seed(parts: [u64; 3]) -> u64 {
    parts.iter().fold(SEED, |h, &p| {
        let mut z = (h ^ p).wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    })
}

/// `f` of every run of scenario `s` at ρ = `RHOS[rho_index]`, in run order, on every core. A run's
/// traffic and base rate depend on the run alone, its errors on the run and ρ.
fn simulate<T: Send>(s: &Scenario, si: usize, rho_index: usize, f: &(dyn Fn(&[Minute]) -> T + Sync)) -> Vec<T> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let parts: Vec<Vec<(usize, T)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                scope.spawn(move || {
                    (w..s.runs)
                        .step_by(workers)
                        .map(|run| {
                            let mut traffic = Xoshiro256PlusPlus::seed_from_u64(seed([si as u64, run as u64, 0]));
                            let stream = 1 + rho_index as u64;
                            let mut errors = Xoshiro256PlusPlus::seed_from_u64(seed([si as u64, run as u64, stream]));
                            (run, f(&draw(s, RHOS[rho_index], &mut traffic, &mut errors)))
                        })
                        .collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut all: Vec<(usize, T)> = parts.into_iter().flatten().collect();
    all.sort_by_key(|(run, _)| *run);
    all.into_iter().map(|(_, t)| t).collect()
}

/// The rollback minute of every row for every run of one ρ: `[row][run]`.
fn rollbacks(s: &Scenario, si: usize, rho_index: usize, rules: &[(&str, Rule<'_>)]) -> Vec<Vec<Option<usize>>> {
    let by_run = simulate(s, si, rho_index, &|m: &[Minute]| {
        rules.iter().map(|(_, rule)| rule(m)).collect::<Vec<_>>()
    });
    (0..rules.len())
        .map(|row| by_run.iter().map(|results| results[row]).collect())
        .collect()
}

/// The mean, over the healthy draws of `s`, of the relative test's α spent by its looks.
fn looks_spending(s: &Scenario, si: usize, judge: &Judge) -> f64 {
    let spent = simulate(s, si, 0, &|m: &[Minute]| {
        judge.final_look(m).unwrap().relative.spent_by_looks
    });
    spent.iter().sum::<f64>() / s.runs as f64
}

/// One scenario's table, written to `out`; the cells `[rho][row]`.
fn table(out: &mut String, s: &Scenario, si: usize, rules: &[(&str, Rule<'_>)]) -> Vec<Vec<Cell>> {
    let last_minute = s.shift.shares().len();
    let cells: Vec<Vec<Cell>> = (0..RHOS.len())
        .map(|ri| {
            rollbacks(s, si, ri, rules)
                .iter()
                .map(|results| Cell::new(results, last_minute))
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

/// Caught (by the final look), stopped during the shift, and the median minute of the rollback
/// over all runs (`None` when fewer than half are caught).
struct Cell {
    caught: usize,
    during: usize,
    median: Option<usize>,
    runs: usize,
}

impl Cell {
    fn new(results: &[Option<usize>], last_minute: usize) -> Cell {
        let mut minutes: Vec<usize> = results.iter().map(|r| r.unwrap_or(usize::MAX)).collect();
        minutes.sort_unstable();
        let half = minutes[minutes.len().div_ceil(2) - 1];
        Cell {
            caught: results.iter().filter(|r| r.is_some()).count(),
            during: results.iter().filter(|r| r.is_some_and(|m| m < last_minute)).count(),
            median: (half != usize::MAX).then_some(half),
            runs: results.len(),
        }
    }

    fn share(&self, k: usize) -> f64 {
        k as f64 / self.runs as f64
    }

    /// The one-sided 95 % upper bound of the caught share (Wilson).
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
