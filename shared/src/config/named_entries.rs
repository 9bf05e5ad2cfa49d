//! The shape `SMOKE_TESTS` and `METRIC_CHECKS` share: a JSON array of at most so many entries,
//! each with a unique, non-empty `name`. Errors name the variable, the entry's position and its
//! name, so a user can find the entry to fix.

use serde::de::DeserializeOwned;
use thiserror::Error;

/// One list setting: its variable, what an entry is called, and how many entries it may have.
#[derive(Debug, Clone, Copy)]
pub struct NamedEntries {
    pub variable: &'static str,
    /// `probe`, `check`.
    pub entry: &'static str,
    pub max: usize,
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum EntriesError {
    #[error("{variable} is not a JSON array of {entry}s: {reason}")]
    Syntax {
        variable: &'static str,
        entry: &'static str,
        reason: String,
    },
    #[error("{variable} lists {count} {entry}s; at most {max} are allowed")]
    TooMany {
        variable: &'static str,
        entry: &'static str,
        count: usize,
        max: usize,
    },
    #[error("{variable} {entry} {index} ({name}): {problem}")]
    Invalid {
        variable: &'static str,
        entry: &'static str,
        /// From 1.
        index: usize,
        /// `` `name` ``, or `unnamed`.
        name: String,
        problem: String,
    },
}

impl EntriesError {
    /// The variable the error is about.
    pub fn variable(&self) -> &'static str {
        match self {
            EntriesError::Syntax { variable, .. }
            | EntriesError::TooMany { variable, .. }
            | EntriesError::Invalid { variable, .. } => variable,
        }
    }
}

/// The entry being checked, for errors that name it.
#[derive(Debug, Clone)]
pub struct Entry {
    list: NamedEntries,
    index: usize,
    name: String,
}

impl Entry {
    /// The entry's name, present and unique.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// An error about this entry.
    pub fn invalid(&self, problem: impl Into<String>) -> EntriesError {
        EntriesError::Invalid {
            variable: self.list.variable,
            entry: self.list.entry,
            index: self.index,
            name: if self.name.trim().is_empty() {
                "unnamed".into()
            } else {
                format!("`{}`", self.name)
            },
            problem: problem.into(),
        }
    }
}

impl NamedEntries {
    /// Parses `json` as an array of `R`, checks the count and the names (`name_of`), then turns
    /// each entry into a `T` with `build`, in order.
    pub fn parse<R, T>(
        &self,
        json: &str,
        name_of: impl Fn(&R) -> Option<&str>,
        mut build: impl FnMut(R, &Entry) -> Result<T, EntriesError>,
    ) -> Result<Vec<T>, EntriesError>
    where
        R: DeserializeOwned,
    {
        let raw: Vec<R> = serde_json::from_str(json).map_err(|e| EntriesError::Syntax {
            variable: self.variable,
            entry: self.entry,
            reason: e.to_string(),
        })?;
        if raw.len() > self.max {
            return Err(EntriesError::TooMany {
                variable: self.variable,
                entry: self.entry,
                count: raw.len(),
                max: self.max,
            });
        }
        let mut names: Vec<String> = Vec::with_capacity(raw.len());
        let mut built = Vec::with_capacity(raw.len());
        for (i, r) in raw.into_iter().enumerate() {
            let entry = Entry {
                list: *self,
                index: i + 1,
                name: name_of(&r).unwrap_or_default().to_string(),
            };
            if entry.name.trim().is_empty() {
                return Err(entry.invalid("`name` is required"));
            }
            if names.contains(&entry.name) {
                return Err(entry.invalid(format!("another {} has the same name", self.entry)));
            }
            names.push(entry.name.clone());
            built.push(build(r, &entry)?);
        }
        Ok(built)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Raw {
        name: Option<String>,
        n: Option<i64>,
    }

    const LIST: NamedEntries = NamedEntries {
        variable: "THINGS",
        entry: "thing",
        max: 2,
    };

    fn parse(json: &str) -> Result<Vec<(String, i64)>, EntriesError> {
        LIST.parse(
            json,
            |r: &Raw| r.name.as_deref(),
            |r, entry| match r.n {
                Some(n) if n >= 0 => Ok((entry.name().to_string(), n)),
                Some(n) => Err(entry.invalid(format!("`n` must not be negative, not {n}"))),
                None => Ok((entry.name().to_string(), 0)),
            },
        )
    }

    #[test]
    fn entries_are_built_in_order() {
        assert_eq!(
            parse(r#"[{"name":"a","n":1},{"name":"b"}]"#),
            Ok(vec![("a".into(), 1), ("b".into(), 0)])
        );
        assert_eq!(parse("[]"), Ok(vec![]));
    }

    #[test]
    fn every_error_names_the_variable_and_the_entry() {
        let message = |json: &str| parse(json).unwrap_err().to_string();
        assert_eq!(
            message("{}").split(':').next(),
            Some("THINGS is not a JSON array of things")
        );
        assert_eq!(
            message(r#"[{"name":"a"},{"name":"b"},{"name":"c"}]"#),
            "THINGS lists 3 things; at most 2 are allowed"
        );
        assert_eq!(message(r#"[{"n":1}]"#), "THINGS thing 1 (unnamed): `name` is required");
        assert_eq!(
            message(r#"[{"name":"  "}]"#),
            "THINGS thing 1 (unnamed): `name` is required"
        );
        assert_eq!(
            message(r#"[{"name":"a"},{"name":"a"}]"#),
            "THINGS thing 2 (`a`): another thing has the same name"
        );
        assert_eq!(
            message(r#"[{"name":"a"},{"name":"b","n":-1}]"#),
            "THINGS thing 2 (`b`): `n` must not be negative, not -1"
        );
        assert!(message(r#"[{"name":"a","m":1}]"#).contains("unknown field `m`"));
    }
}
