//! The statistics of the metric gate: the Wilson score interval and the two-proportion z-test.
//! Counts come from CloudWatch sums, so they are `f64`; every function is total: no panic and no
//! NaN for zero samples, more errors than calls (metric lag), negative or non-finite input.

use statrs::distribution::{ContinuousCDF, Normal};

/// The one-sided critical value for a confidence level: Φ⁻¹(confidence), e.g. 1.645 at 0.95.
/// `confidence` is clamped to [0.5, 0.999999].
pub fn z_one_sided(confidence: f64) -> f64 {
    let c = if confidence.is_finite() {
        confidence.clamp(0.5, 0.999_999)
    } else {
        0.95
    };
    Normal::standard().inverse_cdf(c)
}

/// A count made usable: negative, NaN and infinite become 0.
fn count(x: f64) -> f64 {
    if x.is_finite() && x > 0.0 { x } else { 0.0 }
}

/// `k` errors out of `n` calls as the pair used for rates: `n` sanitized, `k` clamped to [0, n].
pub fn sanitize(k: f64, n: f64) -> (f64, f64) {
    let n = count(n);
    (count(k).min(n), n)
}

/// The observed rate k/n, 0 without samples.
pub fn rate(k: f64, n: f64) -> f64 {
    let (k, n) = sanitize(k, n);
    if n == 0.0 { 0.0 } else { k / n }
}

/// The lower bound of the Wilson score interval for k/n, one-sided with critical value `z`.
/// Always within [0, k/n]; 0 without samples.
pub fn wilson_lower_bound(k: f64, n: f64, z: f64) -> f64 {
    let (k, n) = sanitize(k, n);
    if n == 0.0 {
        return 0.0;
    }
    let p = k / n;
    let z2 = z * z;
    let centre = p + z2 / (2.0 * n);
    let margin = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    let lower = (centre - margin) / (1.0 + z2 / n);
    if lower.is_finite() { lower.clamp(0.0, p) } else { 0.0 }
}

/// The one-sided two-proportion z statistic of "the new rate k1/n1 is higher than the old k2/n2",
/// with the pooled standard error. Positive when the new rate is higher; 0 when either side has
/// no samples or the pooled rate is 0 or 1 (no difference can be shown).
pub fn two_proportion_z(k1: f64, n1: f64, k2: f64, n2: f64) -> f64 {
    let (k1, n1) = sanitize(k1, n1);
    let (k2, n2) = sanitize(k2, n2);
    if n1 == 0.0 || n2 == 0.0 {
        return 0.0;
    }
    let pooled = (k1 + k2) / (n1 + n2);
    let se = (pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)).sqrt();
    if !(se.is_finite() && se > 0.0) {
        return 0.0;
    }
    let z = (k1 / n1 - k2 / n2) / se;
    if z.is_finite() { z } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn critical_values_match_the_tables() {
        assert!(close(z_one_sided(0.95), 1.644_854, 1e-5));
        assert!(close(z_one_sided(0.99), 2.326_348, 1e-5));
        assert!(close(z_one_sided(0.5), 0.0, 1e-9));
    }

    #[test]
    fn wilson_bounds_match_worked_examples() {
        let z = z_one_sided(0.95);
        // 6 errors in 8 calls: the rate is surely above 1 %.
        assert!(
            close(wilson_lower_bound(6.0, 8.0, z), 0.4605, 1e-3),
            "{}",
            wilson_lower_bound(6.0, 8.0, z)
        );
        // 50 in 1000: surely above 1 %.
        assert!(close(wilson_lower_bound(50.0, 1000.0, z), 0.0398, 1e-3));
        // 2 in 1000: not.
        assert!(wilson_lower_bound(2.0, 1000.0, z) < 0.01);
        assert_eq!(wilson_lower_bound(0.0, 1000.0, z), 0.0);
    }

    #[test]
    fn the_z_test_tells_0_9_from_0_1_percent() {
        let z = two_proportion_z(45.0, 5000.0, 5.0, 5000.0);
        assert!(close(z, 5.67, 0.01), "{z}");
        assert_eq!(two_proportion_z(5.0, 5000.0, 5.0, 5000.0), 0.0);
        assert!(two_proportion_z(5.0, 5000.0, 45.0, 5000.0) < 0.0);
    }

    #[test]
    fn degenerate_inputs_are_zero_not_nan() {
        let z = z_one_sided(0.95);
        assert_eq!(wilson_lower_bound(0.0, 0.0, z), 0.0);
        assert_eq!(wilson_lower_bound(f64::NAN, f64::INFINITY, z), 0.0);
        assert_eq!(two_proportion_z(0.0, 0.0, 1.0, 10.0), 0.0);
        assert_eq!(two_proportion_z(10.0, 10.0, 10.0, 10.0), 0.0);
        assert_eq!(rate(5.0, 0.0), 0.0);
        assert_eq!(rate(15.0, 10.0), 1.0);
        assert!(z_one_sided(f64::NAN).is_finite());
    }

    fn counts() -> impl Strategy<Value = f64> {
        prop_oneof![
            (0u64..2_000).prop_map(|n| n as f64),
            (0u64..u64::MAX).prop_map(|n| n as f64),
            Just(0.0),
            Just(-3.0),
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(1e300)
        ]
    }

    proptest! {
        #[test]
        fn the_wilson_bound_stays_inside_zero_and_the_rate(k in counts(), n in counts(), c in 0.5f64..0.9999) {
            let lower = wilson_lower_bound(k, n, z_one_sided(c));
            prop_assert!(lower.is_finite());
            prop_assert!(lower >= 0.0);
            prop_assert!(lower <= rate(k, n) + 1e-12, "{} > {}", lower, rate(k, n));
        }

        #[test]
        fn the_wilson_bound_grows_with_errors(k in 0u32..1000, n in 1u32..1000) {
            let z = z_one_sided(0.95);
            let (k, n) = (k.min(n) as f64, n as f64);
            if k < n {
                prop_assert!(wilson_lower_bound(k + 1.0, n, z) >= wilson_lower_bound(k, n, z));
            }
        }

        #[test]
        fn the_z_test_is_monotone_in_new_errors(k1 in 0u32..5000, n1 in 1u32..5000, k2 in 0u32..5000, n2 in 1u32..5000) {
            let (k1, n1, k2, n2) = (k1.min(n1) as f64, n1 as f64, k2.min(n2) as f64, n2 as f64);
            if k1 < n1 {
                let a = two_proportion_z(k1, n1, k2, n2);
                let b = two_proportion_z(k1 + 1.0, n1, k2, n2);
                prop_assert!(b >= a - 1e-9, "z({}) = {} > z({}) = {}", k1, a, k1 + 1.0, b);
            }
        }

        #[test]
        fn the_z_test_never_panics_or_returns_nan(k1 in counts(), n1 in counts(), k2 in counts(), n2 in counts()) {
            prop_assert!(two_proportion_z(k1, n1, k2, n2).is_finite());
        }
    }
}
