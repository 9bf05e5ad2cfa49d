//! Deployments drawn at random, for `make bench-judge` and `shiftguard plan`.
//!
//! Each deployment draws, minute by minute, Poisson traffic through the alias, each call routed
//! to the new version with the minute's share (the [`Shift`]'s), and Binomial errors: the old
//! version at the base rate p, the new one at ρ·p (at most 1). A run's traffic and base rate come
//! from one generator, its errors from another, both seeded from (the root seed, the scenario's
//! key, the run): the same traffic for every ρ, and the same draws whatever the number of cores.

use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use rand_distr::{Binomial, Distribution, Normal, Poisson, Uniform};

use crate::canary::minute::{Counts, Minute};
use crate::canary::shift::Shift;

/// The old version's error rate over the shift, the same for both versions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Base {
    Constant(f64),
    /// Rising from `from` to `to` over the shift (a morning's traffic), times a lognormal
    /// minute-to-minute wobble (σ = 0.3), and one minute in ten a dependency's bad minute (×4).
    Varying {
        from: f64,
        to: f64,
    },
}

/// A kind of deployment: traffic, shift and base rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scenario {
    /// The mean of each minute's Poisson traffic through the alias; above 0.
    pub calls_per_minute: f64,
    pub shift: Shift,
    pub base: Base,
}

/// Where a scenario's runs take their random numbers from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seeds {
    pub root: u64,
    /// Tells scenarios sharing a root apart.
    pub scenario: u64,
}

impl Seeds {
    /// SplitMix64's finaliser over (scenario, run, stream), from the root: one well-mixed seed each.
    pub fn seed(&self, run: u64, stream: u64) -> u64 {
        [self.scenario, run, stream].iter().fold(self.root, |h, &p| {
            let mut z = (h ^ p).wrapping_add(0x9E37_79B9_7F4A_7C15);
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        })
    }
}

impl Scenario {
    /// One deployment's minutes at ρ = `rho`: the traffic and the base rate from `traffic`, the
    /// errors from `errors`.
    pub fn draw(&self, rho: f64, traffic: &mut Xoshiro256PlusPlus, errors: &mut Xoshiro256PlusPlus) -> Vec<Minute> {
        let shares = self.shift.shares();
        let t_last = shares.len().saturating_sub(1).max(1) as f64;
        let calls = Poisson::new(self.calls_per_minute).expect("calls_per_minute above 0");
        let wobble = Normal::new(0.0, 0.3).expect("a valid normal");
        let unit = Uniform::new(0.0, 1.0).expect("a valid range");
        shares
            .iter()
            .enumerate()
            .map(|(t, &share)| {
                let n = calls.sample(traffic) as u64;
                let n_new = binomial(n, share).sample(traffic);
                let p = match self.base {
                    Base::Constant(p) => p,
                    Base::Varying { from, to } => {
                        let trend = from * (to / from).powf(t as f64 / t_last);
                        let bad = if unit.sample(traffic) < 0.1 { 4.0 } else { 1.0 };
                        (trend * f64::exp(wobble.sample(traffic)) * bad).min(0.2)
                    }
                };
                let e_new = binomial(n_new, (rho * p).min(1.0)).sample(errors);
                let e_old = binomial(n - n_new, p).sample(errors);
                Minute::new(Counts::new(n_new, e_new), Counts::new(n - n_new, e_old))
            })
            .collect()
    }

    /// `f` of each of `runs` deployments at ρ = `rho`, in run order, on every core. Run r's traffic
    /// comes from stream 0 of its seeds, its errors from stream 1 + `errors_stream` (one per ρ).
    pub fn simulate<T: Send>(
        &self,
        seeds: Seeds,
        runs: usize,
        rho: f64,
        errors_stream: u64,
        f: &(dyn Fn(&[Minute]) -> T + Sync),
    ) -> Vec<T> {
        let workers = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(runs.max(1));
        let parts: Vec<Vec<(usize, T)>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers)
                .map(|w| {
                    scope.spawn(move || {
                        (w..runs)
                            .step_by(workers)
                            .map(|run| {
                                let seed = |stream| seeds.seed(run as u64, stream);
                                let mut traffic = Xoshiro256PlusPlus::seed_from_u64(seed(0));
                                let mut errors = Xoshiro256PlusPlus::seed_from_u64(seed(1 + errors_stream));
                                (run, f(&self.draw(rho, &mut traffic, &mut errors)))
                            })
                            .collect()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a simulation thread panicked"))
                .collect()
        });
        let mut all: Vec<(usize, T)> = parts.into_iter().flatten().collect();
        all.sort_by_key(|(run, _)| *run);
        all.into_iter().map(|(_, t)| t).collect()
    }
}

fn binomial(n: u64, p: f64) -> Binomial {
    Binomial::new(n, p).expect("a probability within [0, 1]")
}

/// What a rule did over many deployments: caught (a look's stop or a failed final look), stopped
/// during the shift (a look after minutes 1..T−1; the last minute's look comes with the full
/// shift), and the median minute of the rollback over all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub caught: usize,
    pub during: usize,
    /// `None` when fewer than half are caught.
    pub median: Option<usize>,
    pub runs: usize,
}

impl Tally {
    /// `results`: each deployment's rollback minute (the last minute for the final look), or
    /// `None`; `last_minute`: T.
    pub fn new(results: &[Option<usize>], last_minute: usize) -> Tally {
        let mut minutes: Vec<usize> = results.iter().map(|r| r.unwrap_or(usize::MAX)).collect();
        minutes.sort_unstable();
        let half = minutes
            .get(minutes.len().div_ceil(2).saturating_sub(1))
            .copied()
            .unwrap_or(usize::MAX);
        Tally {
            caught: results.iter().filter(|r| r.is_some()).count(),
            during: results.iter().filter(|r| r.is_some_and(|m| m < last_minute)).count(),
            median: (half != usize::MAX).then_some(half),
            runs: results.len(),
        }
    }

    /// `k` of the runs, as a share.
    pub fn share(&self, k: usize) -> f64 {
        if self.runs == 0 {
            0.0
        } else {
            k as f64 / self.runs as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canary(calls: f64, p: f64) -> Scenario {
        Scenario {
            calls_per_minute: calls,
            shift: Shift::Canary {
                percent: 10,
                minutes: 10,
            },
            base: Base::Constant(p),
        }
    }

    #[test]
    fn the_same_seeds_draw_the_same_deployments() {
        let seeds = Seeds { root: 7, scenario: 1 };
        let s = canary(2000.0, 0.01);
        let a = s.simulate(seeds, 20, 2.0, 3, &|m: &[Minute]| m.to_vec());
        let b = s.simulate(seeds, 20, 2.0, 3, &|m: &[Minute]| m.to_vec());
        assert_eq!(a, b);
        let other = s.simulate(Seeds { root: 8, scenario: 1 }, 20, 2.0, 3, &|m: &[Minute]| m.to_vec());
        assert_ne!(a, other);
    }

    #[test]
    fn every_rho_sees_the_same_traffic() {
        let seeds = Seeds { root: 7, scenario: 1 };
        let s = canary(2000.0, 0.01);
        let calls = |rho, stream| {
            s.simulate(seeds, 10, rho, stream, &|m: &[Minute]| {
                m.iter()
                    .map(|x| (x.new.invocations, x.old.invocations))
                    .collect::<Vec<_>>()
            })
        };
        assert_eq!(calls(1.0, 0), calls(5.0, 4));
    }

    #[test]
    fn draws_follow_the_shift_and_the_rates() {
        let s = canary(2000.0, 0.01);
        let minutes = s.simulate(Seeds { root: 1, scenario: 0 }, 200, 3.0, 0, &|m: &[Minute]| m.to_vec());
        let all: Vec<&Minute> = minutes.iter().flatten().collect();
        assert_eq!(all.len(), 2000);
        let sum = |f: &dyn Fn(&Minute) -> u64| all.iter().map(|m| f(m)).sum::<u64>() as f64;
        let (n_new, n_old) = (sum(&|m| m.new.invocations), sum(&|m| m.old.invocations));
        assert!((n_new / (n_new + n_old) - 0.1).abs() < 0.005);
        assert!(((n_new + n_old) / 2000.0 - 2000.0).abs() < 5.0);
        let (e_new, e_old) = (sum(&|m| m.new.errors), sum(&|m| m.old.errors));
        assert!((e_old / n_old - 0.01).abs() < 0.0005, "{}", e_old / n_old);
        assert!((e_new / n_new - 0.03).abs() < 0.002, "{}", e_new / n_new);
    }

    #[test]
    fn all_at_once_draws_no_minute() {
        let s = Scenario {
            shift: Shift::AllAtOnce,
            ..canary(100.0, 0.01)
        };
        let drawn = s.simulate(Seeds { root: 1, scenario: 0 }, 3, 2.0, 0, &|m: &[Minute]| m.len());
        assert_eq!(drawn, vec![0, 0, 0]);
    }

    #[test]
    fn a_tally_counts_the_caught_the_early_and_the_median() {
        let t = Tally::new(&[Some(2), Some(10), None, Some(3)], 10);
        assert_eq!((t.caught, t.during, t.median, t.runs), (3, 2, Some(3), 4));
        assert_eq!(t.share(t.caught), 0.75);
        assert_eq!(Tally::new(&[None, None, Some(1)], 10).median, None);
        assert_eq!(Tally::new(&[], 10).median, None);
    }
}
