//! One minute of a deployment as CloudWatch counts it: the invocations and errors of the new and
//! the old version over the same minute, on the traffic the alias split between them.

use serde::{Deserialize, Serialize};

use crate::canary::error::{CanaryError, Version};

/// One version's sums over one minute.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub invocations: u64,
    pub errors: u64,
}

impl Counts {
    pub fn new(invocations: u64, errors: u64) -> Self {
        Counts { invocations, errors }
    }
}

/// Both versions over one complete minute.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Minute {
    pub new: Counts,
    pub old: Counts,
}

impl Minute {
    pub fn new(new: Counts, old: Counts) -> Self {
        Minute { new, old }
    }

    /// Both versions' invocations.
    pub fn invocations(&self) -> u64 {
        self.new.invocations + self.old.invocations
    }

    /// Both versions' errors.
    pub fn errors(&self) -> u64 {
        self.new.errors + self.old.errors
    }

    /// The new version's share of the minute's calls, when both versions served: the share of the
    /// minute's errors it would have if it were no worse than the old one.
    pub fn new_share(&self) -> Option<f64> {
        (self.new.invocations > 0 && self.old.invocations > 0)
            .then(|| self.new.invocations as f64 / self.invocations() as f64)
    }

    /// `minute` is this minute's 1-based place, for the error.
    pub fn validate(&self, minute: usize) -> Result<(), CanaryError> {
        for (version, c) in [(Version::New, self.new), (Version::Old, self.old)] {
            if c.errors > c.invocations {
                return Err(CanaryError::MoreErrorsThanInvocations {
                    minute,
                    version,
                    errors: c.errors,
                    invocations: c.invocations,
                });
            }
        }
        Ok(())
    }
}

/// Every minute checked, the first bad one named (1-based).
pub fn validate(minutes: &[Minute]) -> Result<(), CanaryError> {
    minutes.iter().enumerate().try_for_each(|(i, m)| m.validate(i + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_new_share_needs_both_versions() {
        let m = Minute::new(Counts::new(200, 3), Counts::new(1800, 17));
        assert_eq!(m.new_share(), Some(0.1));
        assert_eq!((m.invocations(), m.errors()), (2000, 20));
        assert_eq!(Minute::new(Counts::new(200, 3), Counts::default()).new_share(), None);
        assert_eq!(Minute::new(Counts::default(), Counts::new(5, 0)).new_share(), None);
    }

    #[test]
    fn more_errors_than_calls_names_the_minute_and_the_field() {
        let good = Minute::new(Counts::new(10, 1), Counts::new(90, 2));
        let bad = Minute::new(Counts::new(10, 1), Counts::new(90, 91));
        let err = validate(&[good, good, bad]).unwrap_err();
        assert_eq!(
            err,
            CanaryError::MoreErrorsThanInvocations {
                minute: 3,
                version: Version::Old,
                errors: 91,
                invocations: 90
            }
        );
        let text = err.to_string();
        assert!(
            text.starts_with("minute 3: old.errors is 91 but old.invocations is 90"),
            "{text}"
        );
        assert!(text.contains("only complete minutes"), "{text}");
        assert!(validate(&[good, good]).is_ok());
    }

    #[test]
    fn a_minute_reads_as_the_cli_writes_it() {
        let m: Minute = serde_json::from_str(
            r#"{"new": {"invocations": 200, "errors": 3}, "old": {"invocations": 1800, "errors": 17}}"#,
        )
        .unwrap();
        assert_eq!(m, Minute::new(Counts::new(200, 3), Counts::new(1800, 17)));
    }
}
