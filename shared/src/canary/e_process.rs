//! The e-process both tests share: a mixture of likelihood ratios over odds ratios, in log space.
//!
//! Each minute gives a [`Trial`]: `hits` out of `trials` which, if the new version is no worse,
//! are Binomial(trials, q) with q ≤ `null_share` (the relative test: the new version's errors out
//! of the minute's errors, q₀ its share of the calls; the ceiling: its errors out of its calls,
//! q₀ = `MAX_ERROR_RATE`). For an alternative odds ratio r > 1, q = r·q₀ / (1 − q₀ + r·q₀) and
//! the minute's likelihood ratio against q₀ is
//!
//! ```text
//! (q/q₀)^hits · ((1−q)/(1−q₀))^(trials−hits) = exp(hits·ln r − trials·ln(1 + q₀(r−1)))
//! ```
//!
//! Its mean under any q ≤ q₀ is at most 1, so the product over minutes is a nonnegative
//! supermartingale for each r, and so is a mixture of them with weights summing to 1: by Ville's
//! inequality it ever reaches 1/α with probability at most α, however often it is looked at.
//! The log of the mixture depends on the data only through the running count of hits, and grows
//! with it: that is what lets `final_look` compute, exactly, how often the looks can stop a
//! healthy release.

/// One minute's comparison, as a binomial count against its share under the null.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trial {
    pub hits: u64,
    pub trials: u64,
    /// q₀, strictly inside (0, 1).
    pub null_share: f64,
}

/// The alternatives mixed: odds ratios above 1, each with a weight; weights sum to 1.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    ratios: Vec<f64>,
    log_ratios: Vec<f64>,
    log_weights: Vec<f64>,
}

impl Grid {
    /// `points` are (odds ratio, weight): ratios above 1, weights positive (normalised here).
    /// Panics otherwise: grids are constants of the code, not input.
    pub fn new(points: &[(f64, f64)]) -> Grid {
        assert!(!points.is_empty(), "a mixture needs at least one alternative");
        assert!(
            points
                .iter()
                .all(|&(r, w)| r > 1.0 && r.is_finite() && w > 0.0 && w.is_finite()),
            "odds ratios must be above 1 and weights positive: {points:?}"
        );
        let total: f64 = points.iter().map(|p| p.1).sum();
        Grid {
            ratios: points.iter().map(|p| p.0).collect(),
            log_ratios: points.iter().map(|p| p.0.ln()).collect(),
            log_weights: points.iter().map(|p| (p.1 / total).ln()).collect(),
        }
    }

    /// `points` odds ratios spaced evenly in log from `from` to `to`, equal weights.
    pub fn log_spaced(from: f64, to: f64, points: usize) -> Grid {
        let step = if points > 1 {
            (to / from).ln() / (points - 1) as f64
        } else {
            0.0
        };
        let pts: Vec<(f64, f64)> = (0..points).map(|i| (from * (step * i as f64).exp(), 1.0)).collect();
        Grid::new(&pts)
    }

    /// The odds ratios and their (normalised) weights.
    pub fn points(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        self.ratios.iter().zip(&self.log_weights).map(|(&r, &lw)| (r, lw.exp()))
    }
}

/// log Σ exp(xᵢ), without overflow.
fn log_sum_exp(xs: impl Iterator<Item = f64> + Clone) -> f64 {
    let max = xs.clone().fold(f64::NEG_INFINITY, f64::max);
    if max.is_infinite() {
        return max;
    }
    max + xs.map(|x| (x - max).exp()).sum::<f64>().ln()
}

/// The running mixture: the hits so far and, per alternative, Σ trials·ln(1 + q₀(r−1)).
#[derive(Debug, Clone, PartialEq)]
pub struct EProcess {
    grid: Grid,
    hits: u64,
    offsets: Vec<f64>,
}

impl EProcess {
    /// Before any minute: every likelihood ratio is 1, the e-value 1.
    pub fn new(grid: &Grid) -> EProcess {
        EProcess {
            grid: grid.clone(),
            hits: 0,
            offsets: vec![0.0; grid.ratios.len()],
        }
    }

    pub fn observe(&mut self, trial: &Trial) {
        debug_assert!(trial.hits <= trial.trials && trial.null_share > 0.0 && trial.null_share < 1.0);
        self.hits += trial.hits;
        let n = trial.trials as f64;
        for (offset, r) in self.offsets.iter_mut().zip(&self.grid.ratios) {
            *offset += n * (trial.null_share * (r - 1.0)).ln_1p();
        }
    }

    /// The hits so far.
    pub fn hits(&self) -> u64 {
        self.hits
    }

    /// ln of the e-value now.
    pub fn log_e(&self) -> f64 {
        self.log_e_at(self.hits)
    }

    /// ln of the e-value the same minutes would give with `hits` hits in all: increasing in `hits`.
    pub fn log_e_at(&self, hits: u64) -> f64 {
        let h = hits as f64;
        let g = &self.grid;
        log_sum_exp(
            g.log_weights
                .iter()
                .zip(&g.log_ratios)
                .zip(&self.offsets)
                .map(move |((lw, lr), off)| lw + lr * h - off),
        )
    }

    /// The fewest hits, over the minutes seen so far, at which the e-value reaches
    /// e^`log_threshold`: the looks stop exactly when [`EProcess::hits`] is at least this.
    pub fn boundary(&self, log_threshold: f64) -> u64 {
        if self.log_e_at(0) >= log_threshold {
            return 0;
        }
        // One alternative alone past the threshold puts the mixture past it: an upper bound.
        let g = &self.grid;
        let mut hi = g
            .log_weights
            .iter()
            .zip(&g.log_ratios)
            .zip(&self.offsets)
            .map(|((lw, lr), off)| ((log_threshold - lw + off) / lr).ceil())
            .fold(f64::INFINITY, f64::min)
            .clamp(1.0, u64::MAX as f64) as u64;
        let mut lo = 0u64; // below the boundary
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if self.log_e_at(mid) >= log_threshold {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        hi
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trial(hits: u64, trials: u64, null_share: f64) -> Trial {
        Trial {
            hits,
            trials,
            null_share,
        }
    }

    #[test]
    fn one_alternative_is_the_binomial_likelihood_ratio() {
        // 6 of 20 errors on a 10 % share, against the odds ratio 3 (q = 0.25).
        let mut e = EProcess::new(&Grid::new(&[(3.0, 1.0)]));
        e.observe(&trial(6, 20, 0.1));
        let q: f64 = 0.3 / (0.9 + 0.3);
        let expected = 6.0 * (q / 0.1).ln() + 14.0 * ((1.0 - q) / 0.9).ln();
        assert!((e.log_e() - expected).abs() < 1e-12, "{} vs {expected}", e.log_e());
    }

    #[test]
    fn the_mixture_is_the_weighted_mean_of_its_alternatives() {
        let grid = Grid::new(&[(2.0, 1.0), (4.0, 3.0)]);
        let mut e = EProcess::new(&grid);
        let mut a = EProcess::new(&Grid::new(&[(2.0, 1.0)]));
        let mut b = EProcess::new(&Grid::new(&[(4.0, 1.0)]));
        for t in [trial(3, 30, 0.1), trial(0, 12, 0.2), trial(5, 9, 0.5)] {
            e.observe(&t);
            a.observe(&t);
            b.observe(&t);
        }
        let mean = 0.25 * a.log_e().exp() + 0.75 * b.log_e().exp();
        assert!((e.log_e().exp() - mean).abs() < 1e-9 * mean);
        assert_eq!(e.hits(), 8);
        let weights: f64 = grid.points().map(|p| p.1).sum();
        assert!((weights - 1.0).abs() < 1e-12);
    }

    #[test]
    fn before_any_minute_the_e_value_is_one() {
        let e = EProcess::new(&Grid::log_spaced(1.25, 20.0, 9));
        assert!(e.log_e().abs() < 1e-12);
    }

    #[test]
    fn the_boundary_is_where_the_e_value_crosses() {
        let mut e = EProcess::new(&Grid::log_spaced(1.5, 10.0, 8));
        for _ in 0..4 {
            e.observe(&trial(2, 25, 0.1));
        }
        let threshold = 40f64.ln();
        let b = e.boundary(threshold);
        assert!(b > 0);
        assert!(e.log_e_at(b) >= threshold);
        assert!(e.log_e_at(b - 1) < threshold);
    }

    #[test]
    fn huge_counts_stay_finite() {
        let mut e = EProcess::new(&Grid::log_spaced(1.25, 20.0, 9));
        e.observe(&trial(1_000_000, 1_000_000, 0.5));
        assert!(e.log_e().is_finite() && e.log_e() > 1000.0);
        let mut e = EProcess::new(&Grid::log_spaced(1.25, 20.0, 9));
        e.observe(&trial(0, 10_000_000, 0.5));
        assert!(e.log_e().is_finite() && e.log_e() < -1000.0);
    }
}
