//! What the canary judge is told (`CONFIDENCE` and `MAX_ERROR_RATE`, the variables the gate reads)
//! and how it spends α = 1 − `CONFIDENCE` between its two tests and their looks.
//!
//! The split, chosen on `make bench-judge` (docs/canary-judge.md shows the numbers):
//! - the relative test (new against old) gets [`Spending::relative_share`] of α, the ceiling
//!   (`MAX_ERROR_RATE`) the rest; a healthy release is rolled back by either with probability at
//!   most α, by the union bound;
//! - within each test, the minute-by-minute looks stop when the e-process reaches
//!   1 / ([`Spending::looks_share`] × that test's α), and the final look spends, exactly, whatever
//!   the looks did not use of the test's α (see `final_look`).

use crate::canary::error::CanaryError;
use crate::config::env::{ConfigError, FromEnv};
use crate::gate::settings::{confidence, max_error_rate_pct};

/// How α is divided. The defaults are the judge's; other values serve the bench's comparisons.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spending {
    /// The relative test's share of α; the ceiling has the rest.
    pub relative_share: f64,
    /// The share of a test's α at which its minute-by-minute looks stop the deployment (Ville's
    /// inequality). The final look uses what they left, computed exactly.
    pub looks_share: f64,
}

impl Default for Spending {
    fn default() -> Self {
        Spending {
            relative_share: 0.8,
            looks_share: 1.0,
        }
    }
}

fn round12(x: f64) -> f64 {
    (x * 1e12).round() / 1e12
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JudgeSettings {
    /// `CONFIDENCE`: false rollbacks over every look together, the final one included, are at
    /// most 1 − confidence.
    pub confidence: f64,
    /// `MAX_ERROR_RATE`, percent: the ceiling on the new version's own error rate.
    pub max_error_rate_pct: f64,
    pub spending: Spending,
}

impl Default for JudgeSettings {
    /// The gate's defaults: `CONFIDENCE` 0.95 and `MAX_ERROR_RATE` 1 %.
    fn default() -> Self {
        JudgeSettings {
            confidence: 0.95,
            max_error_rate_pct: 1.0,
            spending: Spending::default(),
        }
    }
}

impl JudgeSettings {
    /// `confidence` strictly inside (0, 1); `max_error_rate_pct` within [0, 100].
    pub fn new(confidence: f64, max_error_rate_pct: f64) -> Result<Self, CanaryError> {
        if !(confidence > 0.0 && confidence < 1.0) {
            return Err(CanaryError::Confidence { value: confidence });
        }
        if !(0.0..=100.0).contains(&max_error_rate_pct) {
            return Err(CanaryError::MaxErrorRate {
                value: max_error_rate_pct,
            });
        }
        Ok(JudgeSettings {
            confidence,
            max_error_rate_pct,
            spending: Spending::default(),
        })
    }

    /// α = 1 − `CONFIDENCE`: the bound on false rollbacks, every look together. Rounded to 12
    /// decimals, so that 0.95 gives 0.05 and not 0.050000000000000044 in the records.
    pub fn alpha(&self) -> f64 {
        round12(1.0 - self.confidence)
    }

    /// The relative test's part of α.
    pub fn relative_alpha(&self) -> f64 {
        round12(self.alpha() * self.spending.relative_share)
    }

    /// The ceiling's part of α.
    pub fn ceiling_alpha(&self) -> f64 {
        round12(self.alpha() - self.relative_alpha())
    }

    /// `MAX_ERROR_RATE` as a rate in [0, 1].
    pub fn ceiling(&self) -> f64 {
        self.max_error_rate_pct / 100.0
    }
}

impl FromEnv for JudgeSettings {
    /// `CONFIDENCE` and `MAX_ERROR_RATE` through the post-traffic gate's own parsers: the same
    /// ranges, the same errors naming the variable; unset, the gate's defaults. The gate's ranges
    /// lie within what [`JudgeSettings::new`] accepts, so nothing is checked twice.
    fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let d = JudgeSettings::default();
        Ok(JudgeSettings {
            confidence: confidence(get)?.unwrap_or(d.confidence),
            max_error_rate_pct: max_error_rate_pct(get)?.unwrap_or(d.max_error_rate_pct),
            spending: d.spending,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::env;
    use crate::gate::settings::GateSettings;

    #[test]
    fn alpha_is_split_and_adds_up() {
        let s = JudgeSettings::new(0.95, 5.0).unwrap();
        assert_eq!((s.alpha(), s.relative_alpha(), s.ceiling_alpha()), (0.05, 0.04, 0.01));
        assert!((s.relative_alpha() + s.ceiling_alpha() - s.alpha()).abs() < 1e-15);
        assert!(s.relative_alpha() > s.ceiling_alpha());
        assert_eq!(s.ceiling(), 0.05);
    }

    #[test]
    fn bad_settings_say_what_is_expected() {
        for c in [0.0, 1.0, 95.0, -0.1, f64::NAN] {
            let e = JudgeSettings::new(c, 1.0).unwrap_err().to_string();
            assert!(
                e.starts_with("CONFIDENCE is") && e.contains("strictly between 0 and 1"),
                "{e}"
            );
        }
        for m in [-1.0, 100.5, f64::NAN] {
            let e = JudgeSettings::new(0.95, m).unwrap_err().to_string();
            assert!(e.starts_with("MAX_ERROR_RATE is") && e.contains("percentage"), "{e}");
        }
        assert!(JudgeSettings::new(0.99, 0.0).is_ok());
        assert!(JudgeSettings::new(0.5, 100.0).is_ok());
    }

    #[test]
    fn unset_variables_give_the_gates_defaults() {
        let s = JudgeSettings::from_lookup(&env(&[])).unwrap();
        assert_eq!(s, JudgeSettings::default());
        let gate = GateSettings::default();
        assert_eq!(
            (s.confidence, s.max_error_rate_pct),
            (gate.confidence, gate.max_error_rate_pct)
        );
    }

    #[test]
    fn reads_confidence_and_max_error_rate_as_the_gate_does() {
        let get = env(&[
            ("CONFIDENCE", " 0.99 "),
            ("MAX_ERROR_RATE", "5.0"),
            ("MIN_INVOCATIONS", "x"),
        ]);
        let s = JudgeSettings::from_lookup(&get).unwrap();
        assert_eq!((s.confidence, s.max_error_rate_pct), (0.99, 5.0));
        assert_eq!(s.spending, Spending::default());
        assert_eq!(s.alpha(), 0.01);
        let blank = JudgeSettings::from_lookup(&env(&[("CONFIDENCE", ""), ("MAX_ERROR_RATE", "  ")])).unwrap();
        assert_eq!(blank, JudgeSettings::default());
    }

    #[test]
    fn a_bad_value_is_the_gates_error_word_for_word() {
        for (var, value) in [
            ("CONFIDENCE", "95"),
            ("CONFIDENCE", "1"),
            ("CONFIDENCE", "0.4"),
            ("CONFIDENCE", "high"),
            ("MAX_ERROR_RATE", "1%"),
            ("MAX_ERROR_RATE", "-1"),
            ("MAX_ERROR_RATE", "101"),
            ("MAX_ERROR_RATE", "NaN"),
        ] {
            let judge = JudgeSettings::from_lookup(&env(&[(var, value)])).unwrap_err();
            let gate = GateSettings::from_lookup(&env(&[(var, value)])).unwrap_err();
            assert_eq!(judge, gate, "{var}={value}");
            assert!(judge.to_string().starts_with(&format!("{var} is not valid")), "{judge}");
        }
        let e = JudgeSettings::from_lookup(&env(&[("CONFIDENCE", "95")])).unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"CONFIDENCE is not valid: "95" is not a number from 0.5 to 0.9999"#
        );
    }

    #[test]
    fn the_gates_ranges_lie_within_what_the_judge_accepts() {
        for (c, m) in [(0.5, 0.0), (0.9999, 100.0), (0.5, 100.0), (0.9999, 0.0)] {
            let get = env(&[("CONFIDENCE", &c.to_string()), ("MAX_ERROR_RATE", &m.to_string())]);
            let read = JudgeSettings::from_lookup(&get).unwrap();
            assert_eq!(read, JudgeSettings::new(c, m).unwrap());
        }
    }
}
