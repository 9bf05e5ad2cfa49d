//! The ceiling: is the new version's own error rate above `MAX_ERROR_RATE`, whatever the old one
//! does? The answer for a release with no baseline to compare against (the old version's traffic
//! gone, or a new function), and a hard limit a team can state.
//!
//! Each minute, the new version's e_new errors in n_new calls are a [`Trial`] against the share
//! c = `MAX_ERROR_RATE`; the mixture over rates above c (odds ratios over c's odds) is the
//! e-process of `e_process`, a supermartingale for any rate at most c, minute by minute. A
//! ceiling of 0 % fails the release on its first error (no error is possible under the null,
//! so that costs no α); a ceiling of 100 % never fails it.

use crate::canary::e_process::{Grid, Trial};
use crate::canary::minute::Minute;
use crate::canary::null_distribution::Pmf;

/// The rates mixed, as odds ratios over the ceiling's odds: the relative test's grid, 1.5x to 10x
/// the ceiling (for a small ceiling, nearly the same as rate ratios), weighted towards 2x–4x.
pub fn grid() -> Grid {
    crate::canary::relative_risk::grid()
}

/// What the ceiling asks of a minute, for a ceiling `rate` in [0, 1].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Ceiling {
    /// 0 %: any error of the new version fails it.
    NoErrors,
    /// Strictly between 0 % and 100 %: the e-process.
    Rate(f64),
    /// 100 %: never.
    Off,
}

impl Ceiling {
    pub fn new(rate: f64) -> Ceiling {
        if rate <= 0.0 {
            Ceiling::NoErrors
        } else if rate >= 1.0 {
            Ceiling::Off
        } else {
            Ceiling::Rate(rate)
        }
    }

    /// The minute as the new version's errors among its calls, or `None` when it had no calls or
    /// the ceiling is not a rate.
    pub fn trial(&self, m: &Minute) -> Option<Trial> {
        match *self {
            Ceiling::Rate(c) if m.new.invocations > 0 => Some(Trial {
                hits: m.new.errors,
                trials: m.new.invocations,
                null_share: c,
            }),
            _ => None,
        }
    }

    /// The new version's errors in the minute if it failed at exactly the ceiling.
    pub fn null(&self, m: &Minute) -> Pmf {
        match *self {
            Ceiling::Rate(c) => Pmf::binomial(m.new.invocations, c),
            _ => Pmf::certain(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canary::e_process::EProcess;
    use crate::canary::minute::Counts;
    use proptest::prelude::*;

    fn new_only(calls: u64, errors: u64) -> Minute {
        Minute::new(Counts::new(calls, errors), Counts::default())
    }

    #[test]
    fn the_ceiling_reads_the_new_version_alone() {
        let c = Ceiling::new(0.05);
        assert_eq!(
            c.trial(&Minute::new(Counts::new(200, 11), Counts::new(1800, 900))),
            Some(Trial {
                hits: 11,
                trials: 200,
                null_share: 0.05
            })
        );
        assert_eq!(c.trial(&new_only(0, 0)), None);
        assert_eq!(Ceiling::new(0.0), Ceiling::NoErrors);
        assert_eq!(Ceiling::new(1.0), Ceiling::Off);
        assert_eq!(Ceiling::new(1.0).trial(&new_only(10, 10)), None);
    }

    #[test]
    fn twice_the_ceiling_for_long_enough_is_evidence() {
        let c = Ceiling::new(0.01);
        let mut e = EProcess::new(&grid());
        for _ in 0..10 {
            e.observe(&c.trial(&new_only(200, 4)).unwrap());
        }
        assert!(e.log_e() > 20f64.ln(), "{}", e.log_e());
        let mut e = EProcess::new(&grid());
        for _ in 0..10 {
            e.observe(&c.trial(&new_only(200, 2)).unwrap());
        }
        assert!(e.log_e() < 0.0);
    }

    proptest! {
        #[test]
        fn the_ceilings_evidence_never_grows_without_errors_and_grows_with_them(
            calls in 1u64..10_000, errors in 0u64..500, past in prop::collection::vec((1u64..5000, 0u64..100), 0..10),
        ) {
            let c = Ceiling::new(0.02);
            let mut e = EProcess::new(&grid());
            for (n, k) in past {
                e.observe(&c.trial(&new_only(n, k.min(n))).unwrap());
            }
            let errors = errors.min(calls - 1);
            let before = e.log_e();
            let mut none = e.clone();
            none.observe(&c.trial(&new_only(calls, 0)).unwrap());
            prop_assert!(none.log_e() <= before);
            let mut fewer = e.clone();
            fewer.observe(&c.trial(&new_only(calls, errors)).unwrap());
            let mut more = e.clone();
            more.observe(&c.trial(&new_only(calls, errors + 1)).unwrap());
            prop_assert!(more.log_e() > fewer.log_e());
        }
    }
}
