//! From check outcomes to the one status a hook reports.

use serde::Serialize;

use crate::hook::check::CheckOutcome;

/// The status reported to CodeDeploy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Status {
    Succeeded,
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Succeeded => "Succeeded",
            Status::Failed => "Failed",
        }
    }
}

/// The hook's judgement: `Succeeded` only when at least one check ran and every check passed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub status: Status,
    pub reasons: Vec<String>,
}

impl Verdict {
    pub fn failed(reason: impl Into<String>) -> Self {
        Verdict {
            status: Status::Failed,
            reasons: vec![reason.into()],
        }
    }

    /// Judges a set of outcomes. No outcome at all is a failure: nothing was shown to work.
    pub fn of_checks(checks: &[CheckOutcome]) -> Self {
        if checks.is_empty() {
            return Verdict::failed("no check ran");
        }
        let reasons: Vec<String> = checks
            .iter()
            .filter(|c| !c.passed)
            .map(|c| {
                let why = if c.reasons.is_empty() {
                    "failed".to_string()
                } else {
                    c.reasons.join("; ")
                };
                format!("{}: {why}", c.name)
            })
            .collect();
        if reasons.is_empty() {
            let mut reasons = vec![format!("all {} checks passed", checks.len())];
            reasons.extend(
                checks
                    .iter()
                    .filter_map(|c| c.note.as_ref().map(|n| format!("{}: {n}", c.name))),
            );
            Verdict {
                status: Status::Succeeded,
                reasons,
            }
        } else {
            Verdict {
                status: Status::Failed,
                reasons,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn outcome(name: &str, passed: bool, reasons: &[&str]) -> CheckOutcome {
        CheckOutcome {
            name: name.into(),
            kind: "lambda".into(),
            passed,
            measured: Value::Null,
            expected: Value::Null,
            reasons: reasons.iter().map(|r| r.to_string()).collect(),
            inconclusive: false,
            note: None,
        }
    }

    #[test]
    fn notes_of_passing_checks_are_kept_in_the_reasons() {
        let mut c = outcome("error-rate", true, &[]);
        c.inconclusive = true;
        c.note = Some("inconclusive: 3 invocations".into());
        let v = Verdict::of_checks(&[c]);
        assert_eq!(
            v.reasons,
            vec!["all 1 checks passed", "error-rate: inconclusive: 3 invocations"]
        );
    }

    #[test]
    fn all_passed_is_succeeded() {
        let v = Verdict::of_checks(&[outcome("a", true, &[]), outcome("b", true, &[])]);
        assert_eq!(v.status, Status::Succeeded);
        assert_eq!(v.reasons, vec!["all 2 checks passed"]);
    }

    #[test]
    fn one_failure_fails_and_names_the_check() {
        let v = Verdict::of_checks(&[
            outcome("a", true, &[]),
            outcome("b", false, &["status 500, expected 2xx"]),
        ]);
        assert_eq!(v.status, Status::Failed);
        assert_eq!(v.reasons, vec!["b: status 500, expected 2xx"]);
    }

    #[test]
    fn no_checks_is_never_a_pass() {
        assert_eq!(Verdict::of_checks(&[]).status, Status::Failed);
    }
}
