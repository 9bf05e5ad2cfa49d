//! The final look (AfterAllowTraffic): an exact conditional test on the whole shift that spends,
//! to the last bit, what the minute-by-minute looks left of a test's α.
//!
//! Given the minutes' totals (each minute's calls and errors for the relative test, the new
//! version's calls for the ceiling), a healthy release's counts are independent across minutes
//! with known distributions (`null_distribution`), and the e-process stops exactly when the
//! running count reaches that minute's boundary (`e_process`). So the chance that the looks stop a
//! healthy release can be computed, not just bounded: a walk over the running count, minute by
//! minute, removing the paths that cross. What is left of α goes to the count at the end, the
//! statistic of the most powerful single test (it is sufficient for every odds ratio); the
//! critical count is the smallest whose tail, among the paths the looks let through, fits.
//!
//! The looks and the final look together then roll a healthy release back with probability at
//! most α given the totals, hence overall. A release better than the old version (or below the
//! ceiling) has counts that are stochastically smaller minute by minute, and the set of paths
//! that fail is closed upwards, so it fails even less often. Probability below 1e-18 that the
//! walk leaves out is counted as spent.

use crate::canary::null_distribution::Pmf;

/// One minute that carried information: its count's distribution under the null and the
/// smallest running count at which the looks stop.
#[derive(Debug, Clone, PartialEq)]
pub struct Look {
    pub null: Pmf,
    pub boundary: u64,
}

/// The exact test at the end of the shift.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FinalTest {
    /// The running count at the end.
    pub count: u64,
    /// The test's α.
    pub alpha: f64,
    /// The chance that the looks stop a healthy release, given the totals (plus the probability
    /// left out of the walk).
    pub spent_by_looks: f64,
    /// The smallest final count that fails the release, if any count the looks leave can.
    pub critical: Option<u64>,
    /// The chance, for a healthy release, of a stop by the looks or a final count at least this
    /// one: the release fails at the final look when it is at most `alpha`.
    pub p_value: f64,
    /// The final count is at least the critical one.
    pub rejects: bool,
    /// The chance that a healthy release with these minutes' totals fails this test, the looks
    /// and the final look together: at most `alpha`, and as close to it as the counts allow.
    pub false_rollback_rate: f64,
}

/// Probabilities below this are dropped from the walk (and counted as spent).
const NEGLIGIBLE: f64 = 1e-20;

/// The distribution of the running count among the paths the looks let through.
struct Walk {
    start: u64,
    probs: Vec<f64>,
    crossed: f64,
}

impl Walk {
    fn new() -> Walk {
        Walk {
            start: 0,
            probs: vec![1.0],
            crossed: 0.0,
        }
    }

    fn step(&mut self, look: &Look) {
        let pmf = &look.null;
        let start = self.start + pmf.start;
        let mut next = vec![0.0; self.probs.len() + pmf.probs.len() - 1];
        for (i, &a) in self.probs.iter().enumerate() {
            if a == 0.0 {
                continue;
            }
            for (j, &b) in pmf.probs.iter().enumerate() {
                next[i + j] += a * b;
            }
        }
        // Paths at or past the boundary are stopped by this minute's look.
        if look.boundary < start + next.len() as u64 {
            let keep = look.boundary.saturating_sub(start) as usize;
            self.crossed += next[keep..].iter().sum::<f64>();
            next.truncate(keep);
        }
        // Trim what cannot matter from both ends.
        let first = next.iter().position(|&p| p >= NEGLIGIBLE).unwrap_or(next.len());
        let last = next.iter().rposition(|&p| p >= NEGLIGIBLE).map_or(first, |i| i + 1);
        self.start = start + first as u64;
        self.probs = next[first..last.max(first)].to_vec();
    }
}

/// The final look for a test with `alpha`, given the looks of the minutes that carried
/// information and the running count `count` at the end.
pub fn final_test(looks: &[Look], count: u64, alpha: f64) -> FinalTest {
    let mut walk = Walk::new();
    for look in looks {
        walk.step(look);
    }
    let surviving: f64 = walk.probs.iter().sum();
    let left_out = (1.0 - walk.crossed - surviving).max(0.0);
    let spent = walk.crossed + left_out;
    // tails[i] = P(not stopped, final count ≥ start + i)
    let mut tails = vec![0.0; walk.probs.len() + 1];
    for i in (0..walk.probs.len()).rev() {
        tails[i] = tails[i + 1] + walk.probs[i];
    }
    let first_critical = (0..walk.probs.len()).find(|&i| spent + tails[i] <= alpha);
    let critical = first_critical.map(|i| walk.start + i as u64);
    let tail_at_count = if count <= walk.start {
        surviving
    } else {
        tails[((count - walk.start) as usize).min(walk.probs.len())]
    };
    FinalTest {
        count,
        alpha,
        spent_by_looks: spent,
        critical,
        p_value: (spent + tail_at_count).min(1.0),
        rejects: critical.is_some_and(|c| count >= c),
        false_rollback_rate: (spent + first_critical.map_or(0.0, |i| tails[i])).min(1.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binomial_tail(n: u64, p: f64, k: u64) -> f64 {
        use statrs::distribution::{Binomial, DiscreteCDF};
        if k == 0 {
            1.0
        } else {
            Binomial::new(p, n).unwrap().sf(k - 1)
        }
    }

    #[test]
    fn without_looks_it_is_the_exact_binomial_test() {
        // Ten minutes of 20 shared errors on a 10 % share, no boundary ever reached.
        let looks: Vec<Look> = (0..10)
            .map(|_| Look {
                null: Pmf::binomial(20, 0.1),
                boundary: u64::MAX,
            })
            .collect();
        let t = final_test(&looks, 30, 0.05);
        assert!(t.spent_by_looks < 1e-12);
        let c = t.critical.unwrap();
        assert!(
            binomial_tail(200, 0.1, c) <= 0.05 && binomial_tail(200, 0.1, c - 1) > 0.05,
            "{c}"
        );
        assert!((t.p_value - binomial_tail(200, 0.1, 30)).abs() < 1e-9);
        assert!(t.rejects);
        assert!((t.false_rollback_rate - binomial_tail(200, 0.1, c)).abs() < 1e-9);
        assert!(!final_test(&looks, 25, 0.05).rejects);
    }

    #[test]
    fn the_looks_spend_what_they_stop() {
        // One minute, boundary 3: the looks stop P(X ≥ 3) of healthy releases.
        let null = Pmf::binomial(10, 0.1);
        let t = final_test(&[Look { null, boundary: 3 }], 0, 0.5);
        assert!((t.spent_by_looks - binomial_tail(10, 0.1, 3)).abs() < 1e-12);
        assert_eq!(t.critical, Some(2));
        assert!((t.false_rollback_rate - binomial_tail(10, 0.1, 2)).abs() < 1e-12);
    }

    #[test]
    fn nothing_is_left_when_the_looks_spent_it_all() {
        let null = Pmf::binomial(10, 0.5);
        let t = final_test(&[Look { null, boundary: 5 }], 4, 0.05);
        assert!(t.spent_by_looks > 0.05);
        assert_eq!(t.critical, None);
        assert!(!t.rejects);
    }

    #[test]
    fn no_minutes_no_verdict() {
        let t = final_test(&[], 0, 0.05);
        assert_eq!((t.critical, t.rejects, t.p_value), (None, false, 1.0));
    }
}
