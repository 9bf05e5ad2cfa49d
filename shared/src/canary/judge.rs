//! The canary judge: both tests minute by minute (stop the deployment the first minute either
//! e-process reaches its threshold), and the final look after the shift (the looks' stop, or the
//! exact test of each on what its looks left of its α). Stateless: every call recomputes from
//! the minutes given, so a tick that sees one more minute judges the same earlier minutes the
//! same way, and post-traffic's final look agrees with every look the canary judge made.

use serde::Serialize;

use crate::canary::ceiling::{self, Ceiling};
use crate::canary::e_process::{EProcess, Grid};
use crate::canary::error::CanaryError;
use crate::canary::final_look::{FinalTest, Look, final_test};
use crate::canary::minute::{self, Minute};
use crate::canary::relative_risk::{self, RateRatio};
use crate::canary::settings::JudgeSettings;

/// Which test showed the regression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Test {
    /// The new version fails more often than the old one.
    Relative,
    /// The new version fails more often than `MAX_ERROR_RATE`.
    Ceiling,
}

/// e-values are shown capped here (e^690): beyond, the evidence is overwhelming anyway.
const SHOWN_E_CAP: f64 = 1e300;

fn shown(log_e: f64) -> f64 {
    log_e.exp().min(SHOWN_E_CAP)
}

/// The evidence after one minute, every minute so far counted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    /// 1-based.
    pub minute: usize,
    /// The relative test's e-value: 1 before any evidence, the deployment stops at
    /// [`Watch::relative_threshold`].
    pub relative: f64,
    /// The ceiling's e-value, stopping at [`Watch::ceiling_threshold`].
    pub ceiling: f64,
    /// The new version's error rate over the old one's on the minutes both served (Mantel–Haenszel),
    /// once the old version has had an error.
    pub rate_ratio: Option<f64>,
    /// The new version's error rate so far, once it has had calls.
    pub new_error_rate: Option<f64>,
}

/// Where and why the looks stopped the deployment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stop {
    /// 1-based.
    pub minute: usize,
    pub test: Test,
    pub reason: String,
}

/// The minute-by-minute looks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Watch {
    pub evidence: Vec<Evidence>,
    /// The first minute either test's evidence reached its threshold.
    pub stop: Option<Stop>,
    pub relative_threshold: f64,
    pub ceiling_threshold: f64,
}

/// The final look, after the last minute of the shift.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub watch: Watch,
    pub relative: FinalTest,
    /// `None` when `MAX_ERROR_RATE` is 100 %.
    pub ceiling: Option<FinalTest>,
    /// Rolled back: stopped by a look, or failed at the final look.
    pub failed: bool,
    pub reasons: Vec<String>,
}

pub struct Judge {
    settings: JudgeSettings,
    relative_grid: Grid,
    ceiling_grid: Grid,
}

/// One pass over the minutes.
struct Run {
    watch: Watch,
    relative: EProcess,
    relative_looks: Vec<Look>,
    ceiling_looks: Vec<Look>,
    ratio: RateRatio,
    new_calls: u64,
    new_errors: u64,
}

/// An e-value for a reason: whole numbers when large, "below 0.01" when tiny.
fn e_text(e: f64) -> String {
    if e >= 100.0 {
        format!("{e:.0}")
    } else if e >= 0.01 {
        format!("{e:.2}")
    } else {
        "below 0.01".to_string()
    }
}

fn pct(rate: f64) -> String {
    let p = rate * 100.0;
    if p >= 1.0 || p == 0.0 {
        format!("{p:.1} %")
    } else {
        format!("{p:.2} %")
    }
}

impl Judge {
    pub fn new(settings: JudgeSettings) -> Judge {
        Judge::with_grids(settings, relative_risk::grid(), ceiling::grid())
    }

    /// Other mixtures, for the bench's comparisons.
    pub fn with_grids(settings: JudgeSettings, relative_grid: Grid, ceiling_grid: Grid) -> Judge {
        Judge {
            settings,
            relative_grid,
            ceiling_grid,
        }
    }

    pub fn settings(&self) -> &JudgeSettings {
        &self.settings
    }

    /// The relative test's e-value at which the looks stop: 1 / (its α × the looks' share).
    pub fn relative_threshold(&self) -> f64 {
        1.0 / (self.settings.relative_alpha() * self.settings.spending.looks_share)
    }

    /// The ceiling's e-value at which the looks stop.
    pub fn ceiling_threshold(&self) -> f64 {
        1.0 / (self.settings.ceiling_alpha() * self.settings.spending.looks_share)
    }

    /// The minute-by-minute looks over `minutes` (complete minutes, oldest first).
    pub fn watch(&self, minutes: &[Minute]) -> Result<Watch, CanaryError> {
        Ok(self.run(minutes, false)?.watch)
    }

    /// The final look after `minutes`, the whole shift: the release fails if a look stopped it
    /// or if either test's exact final test rejects.
    pub fn final_look(&self, minutes: &[Minute]) -> Result<Verdict, CanaryError> {
        let run = self.run(minutes, true)?;
        let s = &self.settings;
        let relative = final_test(&run.relative_looks, run.relative.hits(), s.relative_alpha());
        let ceiling_kind = Ceiling::new(s.ceiling());
        let ceiling = match ceiling_kind {
            Ceiling::Off => None,
            Ceiling::NoErrors => Some(FinalTest {
                count: run.new_errors,
                alpha: s.ceiling_alpha(),
                spent_by_looks: 0.0,
                critical: Some(1),
                p_value: if run.new_errors > 0 { 0.0 } else { 1.0 },
                rejects: run.new_errors > 0,
                false_rollback_rate: 0.0,
            }),
            Ceiling::Rate(_) => Some(final_test(&run.ceiling_looks, run.new_errors, s.ceiling_alpha())),
        };
        let mut reasons = Vec::new();
        if let Some(stop) = &run.watch.stop {
            reasons.push(stop.reason.clone());
        }
        let r = &run.ratio;
        if relative.rejects && run.watch.stop.is_none() {
            reasons.push(format!(
                "final look: {} of the {} errors of the minutes both versions served fell on the new \
                 version, which served {} of their {} calls (rate ratio {}): P = {:.4} ≤ {:.4}, the \
                 relative test's α ({:.4} of it spent by the minute-by-minute looks)",
                r.new_errors,
                r.errors,
                pct(r.new_calls as f64 / r.calls.max(1) as f64),
                r.calls,
                r.value().map_or("unbounded".to_string(), |v| format!("{v:.2}")),
                relative.p_value,
                relative.alpha,
                relative.spent_by_looks,
            ));
        }
        if let Some(c) = ceiling.as_ref().filter(|c| c.rejects && run.watch.stop.is_none()) {
            reasons.push(format!(
                "final look: the new version's {} errors in {} calls ({}) are above MAX_ERROR_RATE {} %: \
                 P = {:.4} ≤ {:.4}, the ceiling's α ({:.4} of it spent by the minute-by-minute looks)",
                run.new_errors,
                run.new_calls,
                pct(run.new_errors as f64 / run.new_calls.max(1) as f64),
                s.max_error_rate_pct,
                c.p_value,
                c.alpha,
                c.spent_by_looks,
            ));
        }
        let failed = run.watch.stop.is_some() || relative.rejects || ceiling.as_ref().is_some_and(|c| c.rejects);
        if !failed {
            reasons.push(format!(
                "no regression shown: relative evidence {} now, below {:.0} at every minute; final P = {:.3} \
                 above {:.4}{}",
                e_text(run.watch.evidence.last().map_or(1.0, |e| e.relative)),
                run.watch.relative_threshold,
                relative.p_value,
                relative.alpha,
                ceiling.as_ref().map_or(String::new(), |c| format!(
                    "; ceiling evidence {} now, below {:.0} at every minute; final P = {:.3} above {:.4}",
                    e_text(run.watch.evidence.last().map_or(1.0, |e| e.ceiling)),
                    run.watch.ceiling_threshold,
                    c.p_value,
                    c.alpha
                )),
            ));
        }
        Ok(Verdict {
            watch: run.watch,
            relative,
            ceiling,
            failed,
            reasons,
        })
    }

    fn run(&self, minutes: &[Minute], with_looks: bool) -> Result<Run, CanaryError> {
        minute::validate(minutes)?;
        let relative_threshold = self.relative_threshold();
        let ceiling_threshold = self.ceiling_threshold();
        let (rel_log, ceil_log) = (relative_threshold.ln(), ceiling_threshold.ln());
        let ceiling_kind = Ceiling::new(self.settings.ceiling());
        let boundary = |e: &EProcess, log_threshold: f64| {
            if log_threshold.is_finite() {
                e.boundary(log_threshold)
            } else {
                u64::MAX
            }
        };
        let mut run = Run {
            watch: Watch {
                evidence: Vec::with_capacity(minutes.len()),
                stop: None,
                relative_threshold,
                ceiling_threshold,
            },
            relative: EProcess::new(&self.relative_grid),
            relative_looks: Vec::new(),
            ceiling_looks: Vec::new(),
            ratio: RateRatio::default(),
            new_calls: 0,
            new_errors: 0,
        };
        let mut ceil = EProcess::new(&self.ceiling_grid);
        for (i, m) in minutes.iter().enumerate() {
            let minute = i + 1;
            run.ratio.add(m);
            run.new_calls += m.new.invocations;
            run.new_errors += m.new.errors;
            if let Some(t) = relative_risk::trial(m) {
                run.relative.observe(&t);
                if with_looks {
                    run.relative_looks.push(Look {
                        null: relative_risk::null(m),
                        boundary: boundary(&run.relative, rel_log),
                    });
                }
            }
            if let Some(t) = ceiling_kind.trial(m) {
                ceil.observe(&t);
                if with_looks {
                    run.ceiling_looks.push(Look {
                        null: ceiling_kind.null(m),
                        boundary: boundary(&ceil, ceil_log),
                    });
                }
            }
            let rel_e = run.relative.log_e();
            let ceil_e = match ceiling_kind {
                Ceiling::NoErrors if run.new_errors > 0 => f64::INFINITY,
                _ => ceil.log_e(),
            };
            let new_rate = (run.new_calls > 0).then(|| run.new_errors as f64 / run.new_calls as f64);
            run.watch.evidence.push(Evidence {
                minute,
                relative: shown(rel_e),
                ceiling: shown(ceil_e),
                rate_ratio: run.ratio.value(),
                new_error_rate: new_rate,
            });
            if run.watch.stop.is_some() {
                continue;
            }
            if rel_e >= rel_log {
                let r = &run.ratio;
                run.watch.stop = Some(Stop {
                    minute,
                    test: Test::Relative,
                    reason: format!(
                        "minute {minute}: the new version fails {} the old one on the minutes both served \
                         ({} of their {} errors, on {} of their {} calls); the evidence {} reached the \
                         threshold {:.0} (1 / the relative test's α)",
                        r.value()
                            .map_or("more often than".to_string(), |v| format!("{v:.2}x as often as")),
                        r.new_errors,
                        r.errors,
                        pct(r.new_calls as f64 / r.calls.max(1) as f64),
                        r.calls,
                        e_text(shown(rel_e)),
                        relative_threshold,
                    ),
                });
            } else if ceil_e >= ceil_log {
                run.watch.stop = Some(Stop {
                    minute,
                    test: Test::Ceiling,
                    reason: format!(
                        "minute {minute}: the new version's error rate {} ({} errors in {} calls) is above \
                         MAX_ERROR_RATE {} %; the evidence {} reached the threshold {:.0} (1 / the \
                         ceiling's α)",
                        pct(new_rate.unwrap_or(0.0)),
                        run.new_errors,
                        run.new_calls,
                        self.settings.max_error_rate_pct,
                        e_text(shown(ceil_e)),
                        ceiling_threshold,
                    ),
                });
            }
        }
        Ok(run)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canary::error::Version;
    use crate::canary::minute::Counts;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand::rngs::Xoshiro256PlusPlus;
    use rand_distr::{Binomial, Distribution, Hypergeometric, Normal, Poisson};

    fn minute(n_new: u64, e_new: u64, n_old: u64, e_old: u64) -> Minute {
        Minute::new(Counts::new(n_new, e_new), Counts::new(n_old, e_old))
    }

    fn judge(confidence: f64, max_error_rate_pct: f64) -> Judge {
        Judge::new(JudgeSettings::new(confidence, max_error_rate_pct).unwrap())
    }

    /// 2000 calls a minute, a 10 % canary, 1 % base error: each minute's expected counts with the
    /// new version at `rho` times the base rate.
    fn canary_minutes(rho: f64, minutes: usize) -> Vec<Minute> {
        let e_new = (200.0 * 0.01 * rho).round() as u64;
        vec![minute(200, e_new, 1800, 18); minutes]
    }

    #[test]
    fn a_3x_regression_is_stopped_in_its_second_minute() {
        let w = judge(0.95, 5.0).watch(&canary_minutes(3.0, 10)).unwrap();
        let stop = w.stop.expect("stopped");
        assert_eq!((stop.minute, stop.test), (2, Test::Relative));
        assert!(
            stop.reason
                .starts_with("minute 2: the new version fails 3.00x as often as the old one"),
            "{}",
            stop.reason
        );
        assert!(w.evidence[1].relative >= w.relative_threshold);
        assert!(w.evidence[0].relative < w.relative_threshold);
        assert_eq!(w.evidence.len(), 10, "the evidence of every minute is kept");
    }

    #[test]
    fn a_healthy_canary_runs_to_the_end_and_succeeds() {
        let v = judge(0.95, 5.0).final_look(&canary_minutes(1.0, 10)).unwrap();
        assert!(!v.failed);
        assert!(v.watch.stop.is_none());
        assert!(!v.relative.rejects && !v.ceiling.as_ref().unwrap().rejects);
        assert!(
            v.watch.evidence.iter().all(|e| e.relative < 1.0),
            "{:?}",
            v.watch.evidence
        );
        assert_eq!(v.reasons.len(), 1);
        assert!(v.reasons[0].starts_with("no regression shown"), "{}", v.reasons[0]);
    }

    #[test]
    fn the_final_look_catches_what_the_looks_could_not_yet() {
        // 1.5x for ten minutes: too little for the looks, enough for the exact test at the end.
        let minutes = vec![minute(200, 3, 1800, 18); 10];
        let v = judge(0.95, 5.0).final_look(&minutes).unwrap();
        assert!(v.watch.stop.is_none(), "{:?}", v.watch.stop);
        assert!(v.failed && v.relative.rejects);
        assert!(v.relative.p_value <= v.relative.alpha);
        assert!(v.relative.spent_by_looks > 0.0 && v.relative.spent_by_looks < v.relative.alpha);
        assert!(
            v.reasons[0].starts_with("final look: 30 of the 210 errors"),
            "{}",
            v.reasons[0]
        );
    }

    #[test]
    fn a_bad_minute_for_both_versions_is_not_blamed_on_the_release() {
        // A dependency fails a third of all calls for a minute, on both versions alike.
        let mut minutes = canary_minutes(1.0, 10);
        minutes[4] = minute(200, 66, 1800, 600);
        let v = judge(0.95, 5.0).final_look(&minutes).unwrap();
        assert!(!v.failed, "{:?}", v.reasons);
    }

    #[test]
    fn the_ceiling_judges_the_new_version_alone() {
        // All traffic shifted: no old version to compare with, 3 % against a 1 % ceiling.
        let minutes = vec![minute(2000, 60, 0, 0); 3];
        let w = judge(0.95, 1.0).watch(&minutes).unwrap();
        let stop = w.stop.expect("stopped");
        assert_eq!((stop.minute, stop.test), (1, Test::Ceiling));
        assert!(stop.reason.contains("above MAX_ERROR_RATE 1 %"), "{}", stop.reason);
        assert_eq!(
            w.evidence[0].relative, 1.0,
            "no evidence either way without the old version"
        );
    }

    #[test]
    fn a_zero_ceiling_fails_on_the_first_error_and_a_full_one_never() {
        let minutes = [
            minute(200, 0, 1800, 3),
            minute(200, 1, 1800, 3),
            minute(200, 0, 1800, 3),
        ];
        let w = judge(0.95, 0.0).watch(&minutes).unwrap();
        assert_eq!(w.stop.map(|s| (s.minute, s.test)), Some((2, Test::Ceiling)));
        let v = judge(0.95, 100.0).final_look(&[minute(100, 100, 0, 0)]).unwrap();
        assert_eq!(v.ceiling, None);
        assert!(!v.failed);
    }

    #[test]
    fn minutes_without_traffic_count_for_nothing() {
        let j = judge(0.95, 5.0);
        let mut minutes = canary_minutes(1.0, 4);
        let before = j.final_look(&minutes).unwrap();
        minutes.insert(2, minute(0, 0, 0, 0));
        let after = j.final_look(&minutes).unwrap();
        assert_eq!(after.relative, before.relative);
        assert_eq!(after.watch.evidence[2].relative, after.watch.evidence[1].relative);
    }

    #[test]
    fn bad_input_names_the_minute() {
        let minutes = [minute(200, 2, 1800, 18), minute(200, 201, 1800, 18)];
        let err = judge(0.95, 5.0).final_look(&minutes).unwrap_err();
        assert_eq!(
            err,
            CanaryError::MoreErrorsThanInvocations {
                minute: 2,
                version: Version::New,
                errors: 201,
                invocations: 200
            }
        );
    }

    #[test]
    fn no_minutes_no_rollback() {
        let v = judge(0.95, 5.0).final_look(&[]).unwrap();
        assert!(!v.failed && v.watch.evidence.is_empty());
    }

    #[test]
    fn the_evidence_serialises_for_the_decision_record() {
        let v = judge(0.95, 5.0).final_look(&canary_minutes(3.0, 3)).unwrap();
        let json = serde_json::to_value(&v).unwrap();
        assert_eq!(json["watch"]["stop"]["minute"], 2);
        assert_eq!(json["watch"]["stop"]["test"], "relative");
        assert_eq!(json["failed"], true);
        assert_eq!(json["watch"]["evidence"].as_array().unwrap().len(), 3);
    }

    fn any_minutes() -> impl Strategy<Value = Vec<Minute>> {
        prop::collection::vec(
            (0u64..2000, 0u64..2000, 0u64..40, 0u64..80)
                .prop_map(|(n_new, n_old, e_new, e_old)| minute(n_new, e_new.min(n_new), n_old, e_old.min(n_old))),
            0..15,
        )
    }

    proptest! {
        /// Stateless: a tick that sees more minutes judges the earlier ones as before.
        #[test]
        fn a_later_tick_judges_earlier_minutes_the_same(minutes in any_minutes(), cut in 0usize..15) {
            let j = judge(0.95, 2.0);
            let cut = cut.min(minutes.len());
            let early = j.watch(&minutes[..cut]).unwrap();
            let late = j.final_look(&minutes).unwrap();
            prop_assert_eq!(&early.evidence[..], &late.watch.evidence[..cut]);
            if let Some(stop) = &early.stop {
                prop_assert_eq!(Some(stop), late.watch.stop.as_ref());
                prop_assert!(late.failed);
            }
        }

        /// Whatever the counts: e-values are numbers a record can hold, and the final look never
        /// spends more than its α.
        #[test]
        fn every_e_value_is_finite_and_positive(minutes in any_minutes()) {
            let v = judge(0.9, 1.0).final_look(&minutes).unwrap();
            for e in &v.watch.evidence {
                prop_assert!(e.relative.is_finite() && e.relative >= 0.0);
                prop_assert!(e.ceiling.is_finite() && e.ceiling >= 0.0);
            }
            prop_assert!(v.relative.spent_by_looks <= v.relative.alpha + 1e-9);
            prop_assert!(v.relative.p_value >= 0.0 && v.relative.p_value <= 1.0);
        }
    }

    /// Under the null, given each minute's totals, the relative test fails a release (a look's
    /// stop or the final test) at exactly the rate its walk computes, which is at most its α.
    #[test]
    fn the_final_look_spends_exactly_what_it_computes() {
        let j = judge(0.9, 100.0); // no ceiling: α = 0.1, all of it the relative test's
        let calls = [
            (200u64, 1800u64, 20u64),
            (400, 1600, 25),
            (600, 1400, 15),
            (800, 1200, 30),
            (1000, 1000, 20),
        ];
        let totals: Vec<Minute> = calls.iter().map(|&(a, b, e)| minute(a, 0, b, e)).collect();
        let computed = j.final_look(&totals).unwrap().relative;
        assert!(computed.false_rollback_rate <= computed.alpha);
        assert!(computed.false_rollback_rate > 0.8 * computed.alpha, "{computed:?}");
        assert!(computed.spent_by_looks > 0.0);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(14);
        let runs = 10_000;
        let (mut failed, mut stopped) = (0, 0);
        for _ in 0..runs {
            let minutes: Vec<Minute> = calls
                .iter()
                .map(|&(a, b, e)| {
                    let k = Hypergeometric::new(a + b, a, e).unwrap().sample(&mut rng);
                    minute(a, k, b, e - k)
                })
                .collect();
            let v = j.final_look(&minutes).unwrap();
            failed += usize::from(v.failed);
            stopped += usize::from(v.watch.stop.is_some());
        }
        let within = |observed: usize, p: f64| {
            let se = (p * (1.0 - p) / runs as f64).sqrt();
            (observed as f64 / runs as f64 - p).abs() < 4.0 * se
        };
        assert!(
            within(failed, computed.false_rollback_rate),
            "{failed} of {runs}: {computed:?}"
        );
        assert!(
            within(stopped, computed.spent_by_looks),
            "{stopped} of {runs}: {computed:?}"
        );
    }

    /// The guarantee under drift: healthy releases on canaries and ramps, at a few traffic levels,
    /// with a base rate that wanders and has bad minutes (the same for both versions), are rolled
    /// back at most α of the time: the 95 % upper bound of the observed rate is below α.
    #[test]
    fn false_rollbacks_stay_below_alpha_under_a_drifting_base_rate() {
        let j = judge(0.95, 5.0);
        let alpha = j.settings().alpha();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(20_261_202);
        let wobble = Normal::new(0.0, 0.25).unwrap();
        let runs = 3000;
        let mut rolled_back = 0;
        for run in 0..runs {
            let calls = [300.0, 1000.0, 3000.0][run % 3];
            let shares: Vec<f64> = if run % 2 == 0 {
                vec![0.1; 10]
            } else {
                (1..10).map(|i| i as f64 / 10.0).collect()
            };
            let mut log_base = (0.01f64).ln();
            let minutes: Vec<Minute> = shares
                .iter()
                .map(|&share| {
                    log_base = (log_base + wobble.sample(&mut rng)).clamp(0.001f64.ln(), 0.04f64.ln());
                    let n = Poisson::new(calls).unwrap().sample(&mut rng) as u64;
                    let n_new = Binomial::new(n, share).unwrap().sample(&mut rng);
                    let p = log_base.exp();
                    let e_new = Binomial::new(n_new, p).unwrap().sample(&mut rng);
                    let e_old = Binomial::new(n - n_new, p).unwrap().sample(&mut rng);
                    minute(n_new, e_new, n - n_new, e_old)
                })
                .collect();
            rolled_back += usize::from(j.final_look(&minutes).unwrap().failed);
        }
        let (k, n) = (rolled_back as f64, runs as f64);
        let upper = 1.0 - crate::gate::statistics::wilson_lower_bound(n - k, n, 1.645);
        assert!(
            upper <= alpha,
            "{rolled_back} of {runs} healthy releases rolled back (upper bound {upper})"
        );
    }
}
