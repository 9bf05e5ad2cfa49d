//! The exact distribution of one minute's count when the new version is no worse (at the edge of
//! the null, where the final look needs it): hypergeometric for the relative test (the minute's
//! errors fall on its calls at random, whichever version served them), binomial for the ceiling
//! (each of the new version's calls fails with probability `MAX_ERROR_RATE`).
//!
//! Kept as a run of probabilities from the mode outwards until they fall below 1e-18, scaled to
//! sum to 1 − 1e-15: the log-gamma arithmetic behind large counts is off by about 1e-10, and the
//! 1e-15 (more than the tails left out) is counted against the final look's α as probability the
//! walk never saw (see `final_look`), never ignored.

use statrs::distribution::{Binomial, Discrete, Hypergeometric};

/// Probabilities of the counts `start`, `start + 1`, ….
#[derive(Debug, Clone, PartialEq)]
pub struct Pmf {
    pub start: u64,
    pub probs: Vec<f64>,
}

/// Below this a count's probability is left out.
const NEGLIGIBLE: f64 = 1e-18;

/// What a distribution's kept probabilities sum to: 1 less more than its tails left out.
const KEPT: f64 = 1.0 - 1e-15;

impl Pmf {
    /// The count that is always `x`.
    pub fn certain(x: u64) -> Pmf {
        Pmf {
            start: x,
            probs: vec![1.0],
        }
    }

    /// The counts in [`lo`, `hi`] with probability above [`NEGLIGIBLE`], walking out from `mode`.
    fn around_mode(lo: u64, hi: u64, mode: u64, ln_pmf: impl Fn(u64) -> f64) -> Pmf {
        let p = |x| ln_pmf(x).exp();
        let mode = mode.clamp(lo, hi);
        let mut below = Vec::new();
        let mut start = mode;
        while start > lo {
            let q = p(start - 1);
            if q < NEGLIGIBLE {
                break;
            }
            below.push(q);
            start -= 1;
        }
        let mut probs: Vec<f64> = below.into_iter().rev().collect();
        probs.push(p(mode));
        let mut x = mode;
        while x < hi {
            let q = p(x + 1);
            if q < NEGLIGIBLE {
                break;
            }
            probs.push(q);
            x += 1;
        }
        let total: f64 = probs.iter().sum();
        probs.iter_mut().for_each(|q| *q *= KEPT / total);
        Pmf { start, probs }
    }

    /// The new version's errors among `errors` when its `new_calls` calls and the old version's
    /// `old_calls` fail alike: `errors` drawn without replacement from all the calls.
    pub fn hypergeometric(new_calls: u64, old_calls: u64, errors: u64) -> Pmf {
        let population = new_calls + old_calls;
        let errors = errors.min(population);
        let lo = errors.saturating_sub(old_calls);
        let hi = errors.min(new_calls);
        if lo == hi {
            return Pmf::certain(lo);
        }
        let d = Hypergeometric::new(population, new_calls, errors).expect("counts are within the population");
        let mode = ((errors as f64 + 1.0) * (new_calls as f64 + 1.0) / (population as f64 + 2.0)).floor() as u64;
        Pmf::around_mode(lo, hi, mode, |x| d.ln_pmf(x))
    }

    /// The errors among `calls` calls that each fail with probability `rate`.
    pub fn binomial(calls: u64, rate: f64) -> Pmf {
        if rate <= 0.0 || calls == 0 {
            return Pmf::certain(0);
        }
        if rate >= 1.0 {
            return Pmf::certain(calls);
        }
        let d = Binomial::new(rate, calls).expect("a rate inside (0, 1)");
        let mode = ((calls as f64 + 1.0) * rate).floor() as u64;
        Pmf::around_mode(0, calls, mode, |x| d.ln_pmf(x))
    }

    pub fn total(&self) -> f64 {
        self.probs.iter().sum()
    }

    /// The mean count.
    pub fn mean(&self) -> f64 {
        self.probs
            .iter()
            .enumerate()
            .map(|(i, p)| (self.start + i as u64) as f64 * p)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hypergeometric_is_centred_on_the_share_of_calls() {
        let p = Pmf::hypergeometric(200, 1800, 20);
        assert!((p.total() - 1.0).abs() < 1e-12);
        assert!((p.mean() - 2.0).abs() < 1e-9, "{}", p.mean());
        // P(all 20 errors on the new version's 200 of 2000 calls) is about 1e-21: left out.
        assert!(p.start + (p.probs.len() as u64) < 20);
    }

    #[test]
    fn the_binomial_matches_its_moments() {
        let p = Pmf::binomial(200, 0.05);
        assert!((p.total() - 1.0).abs() < 1e-12);
        assert!((p.mean() - 10.0).abs() < 1e-9);
        assert_eq!(p.start, 0);
    }

    #[test]
    fn degenerate_minutes_are_certain() {
        assert_eq!(Pmf::hypergeometric(0, 100, 5), Pmf::certain(0));
        assert_eq!(Pmf::hypergeometric(100, 0, 5), Pmf::certain(5));
        assert_eq!(Pmf::hypergeometric(10, 10, 0), Pmf::certain(0));
        // Every call failed: every one of the new version's calls is among the errors.
        assert_eq!(Pmf::hypergeometric(10, 10, 20), Pmf::certain(10));
        assert_eq!(Pmf::binomial(100, 0.0), Pmf::certain(0));
        assert_eq!(Pmf::binomial(0, 0.3), Pmf::certain(0));
    }

    #[test]
    fn a_minute_of_many_errors_keeps_only_the_likely_counts() {
        let p = Pmf::hypergeometric(100_000, 900_000, 50_000);
        assert!((p.total() - 1.0).abs() < 1e-12);
        assert!(p.probs.len() < 2_000, "{}", p.probs.len());
    }
}
