//! Which deployment groups an alarm guards: `ROLLBACK_TARGETS` and the alarm's
//! `shiftguard:deployment-group` tag, both naming groups as `application/deployment-group`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Serialize;
use thiserror::Error;

/// The alarm tag whose value names the groups it guards, separated by spaces.
pub const GROUP_TAG: &str = "shiftguard:deployment-group";

/// A tag value or mapping longer than this is refused unread.
pub const MAX_GROUPS_TEXT: usize = 64 * 1024;

/// A CodeDeploy deployment group, by application and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct GroupRef {
    pub application: String,
    pub group: String,
}

impl fmt::Display for GroupRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.application, self.group)
    }
}

impl GroupRef {
    /// Reads `application/deployment-group` (split at the first `/`).
    pub fn parse(text: &str) -> Result<GroupRef, String> {
        let t = text.trim();
        match t.split_once('/') {
            Some((a, g)) if !a.is_empty() && !g.is_empty() && !t.chars().any(char::is_whitespace) => Ok(GroupRef {
                application: a.to_string(),
                group: g.to_string(),
            }),
            _ => Err(format!("`{t}` is not `application/deployment-group`")),
        }
    }
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum RollbackTargetsError {
    #[error("not a JSON object from alarm name to a list of \"application/deployment-group\": {0}")]
    Syntax(String),
    #[error("longer than {MAX_GROUPS_TEXT} bytes")]
    TooLong,
    #[error("alarm `{alarm}`: {problem}")]
    Invalid { alarm: String, problem: String },
}

impl From<RollbackTargetsError> for crate::config::env::ConfigError {
    fn from(e: RollbackTargetsError) -> Self {
        crate::config::env::ConfigError::Unusable {
            variable: "ROLLBACK_TARGETS",
            problem: e.to_string(),
        }
    }
}

/// `ROLLBACK_TARGETS`: alarm name → the groups it rolls back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RollbackTargets(BTreeMap<String, Vec<GroupRef>>);

impl RollbackTargets {
    pub fn parse(json: &str) -> Result<Self, RollbackTargetsError> {
        if json.len() > MAX_GROUPS_TEXT {
            return Err(RollbackTargetsError::TooLong);
        }
        let raw: BTreeMap<String, Vec<String>> =
            serde_json::from_str(json).map_err(|e| RollbackTargetsError::Syntax(e.to_string()))?;
        let mut map = BTreeMap::new();
        for (alarm, groups) in raw {
            let parsed: Result<Vec<GroupRef>, String> = groups.iter().map(|g| GroupRef::parse(g)).collect();
            let parsed = parsed.map_err(|problem| RollbackTargetsError::Invalid {
                alarm: alarm.clone(),
                problem,
            })?;
            map.insert(alarm, parsed);
        }
        Ok(RollbackTargets(map))
    }

    pub fn groups_of(&self, alarm: &str) -> &[GroupRef] {
        self.0.get(alarm).map(Vec::as_slice).unwrap_or_default()
    }
}

/// The groups named by a `shiftguard:deployment-group` tag value. Entries that are not
/// `application/deployment-group` are returned as problems, not silently dropped.
pub fn parse_group_tag(value: &str) -> (Vec<GroupRef>, Vec<String>) {
    if value.len() > MAX_GROUPS_TEXT {
        return (
            Vec::new(),
            vec![format!("the {GROUP_TAG} tag is longer than {MAX_GROUPS_TEXT} bytes")],
        );
    }
    let (mut groups, mut problems) = (Vec::new(), Vec::new());
    for word in value.split_whitespace() {
        match GroupRef::parse(word) {
            Ok(g) => groups.push(g),
            Err(e) => problems.push(format!("{GROUP_TAG} tag: {e}")),
        }
    }
    (groups, problems)
}

/// The union of several lists of groups, each group once, in a stable order.
pub fn union(lists: &[&[GroupRef]]) -> Vec<GroupRef> {
    lists
        .iter()
        .flat_map(|l| l.iter().cloned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn g(a: &str, b: &str) -> GroupRef {
        GroupRef {
            application: a.into(),
            group: b.into(),
        }
    }

    #[test]
    fn reads_the_mapping() {
        let t =
            RollbackTargets::parse(r#"{"orders-5xx": ["orders/orders-live", "billing/billing-dg"], "x": []}"#).unwrap();
        assert_eq!(
            t.groups_of("orders-5xx"),
            &[g("orders", "orders-live"), g("billing", "billing-dg")]
        );
        assert!(t.groups_of("x").is_empty());
        assert!(t.groups_of("unmapped").is_empty());
    }

    #[test]
    fn bad_mappings_name_the_alarm() {
        let e = RollbackTargets::parse(r#"{"a": ["no-slash"]}"#).unwrap_err();
        assert_eq!(
            crate::config::env::ConfigError::from(e.clone()).to_string(),
            "ROLLBACK_TARGETS is not valid: alarm `a`: `no-slash` is not `application/deployment-group`"
        );
        assert_eq!(
            e.to_string(),
            "alarm `a`: `no-slash` is not `application/deployment-group`"
        );
        assert!(matches!(
            RollbackTargets::parse(r#"["a"]"#),
            Err(RollbackTargetsError::Syntax(_))
        ));
        assert!(matches!(
            RollbackTargets::parse(r#"{"a": "orders/dg"}"#),
            Err(RollbackTargetsError::Syntax(_))
        ));
    }

    #[test]
    fn tag_values_hold_several_groups() {
        let (groups, problems) = parse_group_tag("orders/live  billing/dg\tbad");
        assert_eq!(groups, vec![g("orders", "live"), g("billing", "dg")]);
        assert_eq!(
            problems,
            vec!["shiftguard:deployment-group tag: `bad` is not `application/deployment-group`"]
        );
    }

    #[test]
    fn the_union_has_each_group_once() {
        assert_eq!(
            union(&[&[g("a", "b"), g("c", "d")], &[g("a", "b")]]),
            vec![g("a", "b"), g("c", "d")]
        );
    }

    #[test]
    fn a_group_may_contain_a_slash_after_the_first() {
        assert_eq!(GroupRef::parse("app/group/x").unwrap(), g("app", "group/x"));
        assert!(GroupRef::parse("/g").is_err());
        assert!(GroupRef::parse("a/").is_err());
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,200}") {
            let _ = RollbackTargets::parse(&s);
            let (groups, _) = parse_group_tag(&s);
            for g in groups {
                prop_assert!(!g.application.is_empty() && !g.group.is_empty());
            }
        }
    }
}
