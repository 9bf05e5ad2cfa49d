//! The pruning plan: every version of a function, kept (with each reason) or to be deleted.
//!
//! Published versions are compared as numbers: Lambda creates a new version each time the
//! function is published (<https://docs.aws.amazon.com/lambda/latest/dg/configuration-versions.html>),
//! numbered 1, 2, 3, … in that order, so `10` is newer than `9`. `$LATEST` is always kept, and so
//! is anything that is not a version number in its plain form: a plan never guesses.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Serialize, Serializer};

/// The unpublished version, which `ListVersionsByFunction` lists with the published ones.
pub const LATEST: &str = "$LATEST";

/// Why a version is kept.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum KeepReason {
    /// `$LATEST`: it is the function itself, never a version to prune.
    Latest,
    /// One of the newest `keep` published versions.
    Newest { keep: usize },
    /// An alias sends traffic to it: its `FunctionVersion`, or a key of its
    /// `RoutingConfig.AdditionalVersionWeights`. Lambda refuses to delete it anyway.
    Aliased { alias: String },
    /// A deployment still in flight names it as its `CurrentVersion` or `TargetVersion`: it
    /// may shift traffic to it, or roll back to it.
    InFlight { deployment_id: String },
    /// Not a version number in its plain form: kept rather than guessed at.
    NotANumber,
}

impl fmt::Display for KeepReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeepReason::Latest => write!(f, "{LATEST}"),
            KeepReason::Newest { keep } => write!(f, "newest {keep}"),
            KeepReason::Aliased { alias } => write!(f, "aliased by {alias}"),
            KeepReason::InFlight { deployment_id } => write!(f, "in flight in deployment {deployment_id}"),
            KeepReason::NotANumber => write!(f, "not a version number"),
        }
    }
}

/// Written as its sentence, e.g. `"aliased by live"`.
impl Serialize for KeepReason {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A version the plan keeps, and every reason it does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeptVersion {
    pub version: String,
    pub reasons: Vec<KeepReason>,
}

/// What to do with every version of one function.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PrunePlan {
    /// `$LATEST` first, then the published versions newest first, then anything else.
    pub kept: Vec<KeptVersion>,
    /// Oldest first, so that a run that may delete only some of them removes the oldest, and the
    /// next run continues where it stopped.
    pub delete: Vec<String>,
}

/// What a plan is made from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inventory {
    /// Every version `ListVersionsByFunction` lists, `$LATEST` included.
    pub versions: Vec<String>,
    /// Each alias and the versions it sends traffic to.
    pub aliases: BTreeMap<String, Vec<String>>,
    /// Each in-flight deployment of the function and the versions its AppSpec names.
    pub in_flight: BTreeMap<String, Vec<String>>,
}

/// The number of a published version, only in its plain form (`7`, not `07` or `+7`).
fn number(version: &str) -> Option<u64> {
    version.parse::<u64>().ok().filter(|n| n.to_string() == version)
}

/// Keeps `$LATEST`, the newest `keep` published versions, every aliased version and every
/// version an in-flight deployment names; deletes the rest. A version listed twice counts once.
pub fn plan(inventory: &Inventory, keep: usize) -> PrunePlan {
    let mut numbered: BTreeMap<u64, &str> = BTreeMap::new();
    let mut reasons: BTreeMap<&str, Vec<KeepReason>> = BTreeMap::new();
    for v in &inventory.versions {
        match number(v) {
            Some(n) => {
                numbered.insert(n, v);
            }
            None if v == LATEST => reasons.entry(v).or_default().push(KeepReason::Latest),
            None => reasons.entry(v).or_default().push(KeepReason::NotANumber),
        }
    }
    for v in numbered.values().rev().take(keep) {
        reasons.entry(v).or_default().push(KeepReason::Newest { keep });
    }
    let aliased = inventory.aliases.iter().flat_map(|(alias, versions)| {
        versions
            .iter()
            .map(move |v| (v, KeepReason::Aliased { alias: alias.clone() }))
    });
    let in_flight = inventory.in_flight.iter().flat_map(|(deployment_id, versions)| {
        versions.iter().map(move |v| {
            let why = KeepReason::InFlight {
                deployment_id: deployment_id.clone(),
            };
            (v, why)
        })
    });
    for (v, why) in aliased.chain(in_flight) {
        if let Some(listed) = number(v).and_then(|n| numbered.get(&n)) {
            reasons.entry(*listed).or_default().push(why);
        }
    }
    let mut kept_of = |v: &str| {
        reasons.remove(v).map(|mut why| {
            why.sort();
            why.dedup();
            KeptVersion {
                version: v.to_string(),
                reasons: why,
            }
        })
    };
    let mut kept: Vec<KeptVersion> = kept_of(LATEST).into_iter().collect();
    let mut delete = Vec::new();
    for v in numbered.values().rev() {
        match kept_of(v) {
            Some(k) => kept.push(k),
            None => delete.push(v.to_string()),
        }
    }
    delete.reverse();
    kept.extend(reasons.into_iter().map(|(v, mut why)| {
        why.sort();
        why.dedup();
        KeptVersion {
            version: v.to_string(),
            reasons: why,
        }
    }));
    PrunePlan { kept, delete }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    /// Versions 1..=8 and `$LATEST`, `live` on 8 shifting to 7, a deployment in flight naming 2.
    fn orders() -> Inventory {
        let mut versions = strings(&["$LATEST"]);
        versions.extend((1..=8).map(|n| n.to_string()));
        Inventory {
            versions,
            aliases: BTreeMap::from([("live".to_string(), strings(&["8", "7"]))]),
            in_flight: BTreeMap::from([("d-2".to_string(), strings(&["2"]))]),
        }
    }

    #[test]
    fn keeps_the_newest_the_aliased_the_in_flight_and_latest() {
        let p = plan(&orders(), 3);
        assert_eq!(p.delete, strings(&["1", "3", "4", "5"]));
        let kept: Vec<(&str, Vec<String>)> = p
            .kept
            .iter()
            .map(|k| (k.version.as_str(), k.reasons.iter().map(|r| r.to_string()).collect()))
            .collect();
        assert_eq!(
            kept,
            vec![
                ("$LATEST", strings(&["$LATEST"])),
                ("8", strings(&["newest 3", "aliased by live"])),
                ("7", strings(&["newest 3", "aliased by live"])),
                ("6", strings(&["newest 3"])),
                ("2", strings(&["in flight in deployment d-2"])),
            ]
        );
    }

    #[test]
    fn versions_are_ordered_as_numbers() {
        let inventory = Inventory {
            versions: strings(&["9", "10", "11", "2"]),
            ..Inventory::default()
        };
        assert_eq!(plan(&inventory, 2).delete, strings(&["2", "9"]));
    }

    #[test]
    fn anything_but_a_plain_number_is_kept() {
        let inventory = Inventory {
            versions: strings(&["1", "07", "live", "2"]),
            ..Inventory::default()
        };
        let p = plan(&inventory, 1);
        assert_eq!(p.delete, strings(&["1"]));
        let odd: Vec<&str> = p
            .kept
            .iter()
            .filter(|k| k.reasons == [KeepReason::NotANumber])
            .map(|k| k.version.as_str())
            .collect();
        assert_eq!(odd, vec!["07", "live"]);
    }

    #[test]
    fn a_plan_serializes_its_reasons_as_sentences() {
        let json = serde_json::to_value(plan(&orders(), 3)).unwrap();
        assert_eq!(
            json["kept"][1]["reasons"],
            serde_json::json!(["newest 3", "aliased by live"])
        );
        assert_eq!(json["delete"], serde_json::json!(["1", "3", "4", "5"]));
    }

    fn inventory() -> impl Strategy<Value = (Inventory, usize)> {
        // Versions 1 to 39; aliases and deployments name versions 1 to 59, listed or gone.
        let versions = proptest::collection::btree_set(1u64..40, 0..25);
        let named = proptest::collection::vec((1u64..60).prop_map(|n| n.to_string()), 0..3);
        let aliases = proptest::collection::btree_map("[a-z]{1,6}", named.clone(), 0..3);
        let in_flight = proptest::collection::btree_map("d-[A-Z0-9]{4}", named, 0..3);
        (versions, aliases, in_flight, 0usize..6, any::<bool>()).prop_map(|(set, aliases, in_flight, keep, latest)| {
            let mut versions: Vec<String> = set.iter().map(|n| n.to_string()).collect();
            if latest {
                versions.push(LATEST.into());
            }
            (
                Inventory {
                    versions,
                    aliases,
                    in_flight,
                },
                keep,
            )
        })
    }

    /// What must never be deleted: `$LATEST`, the newest `keep`, aliased and in-flight versions.
    fn protected(inventory: &Inventory, keep: usize) -> BTreeSet<String> {
        let mut numbers: Vec<u64> = inventory.versions.iter().filter_map(|v| v.parse().ok()).collect();
        numbers.sort_unstable();
        let mut p: BTreeSet<String> = numbers.iter().rev().take(keep).map(|n| n.to_string()).collect();
        p.insert(LATEST.into());
        p.extend(inventory.aliases.values().flatten().cloned());
        p.extend(inventory.in_flight.values().flatten().cloned());
        p
    }

    proptest! {
        #[test]
        fn never_deletes_a_protected_version_and_deletes_all_the_rest((inventory, keep) in inventory()) {
            let p = plan(&inventory, keep);
            let protected = protected(&inventory, keep);
            let deleted: BTreeSet<String> = p.delete.iter().cloned().collect();
            let listed: BTreeSet<String> = inventory.versions.iter().cloned().collect();
            prop_assert!(deleted.is_disjoint(&protected));
            let rest: BTreeSet<String> = listed.difference(&protected).cloned().collect();
            prop_assert_eq!(&deleted, &rest);
            // Every listed version appears once, kept or deleted; every kept one says why.
            let kept: Vec<&String> = p.kept.iter().map(|k| &k.version).collect();
            prop_assert_eq!(kept.len() + p.delete.len(), listed.len());
            prop_assert!(p.kept.iter().all(|k| !k.reasons.is_empty() && !deleted.contains(&k.version)));
            // Oldest first.
            let order: Vec<u64> = p.delete.iter().map(|v| v.parse().unwrap()).collect();
            prop_assert!(order.windows(2).all(|w| w[0] < w[1]));
        }

        #[test]
        fn planning_again_on_what_remains_deletes_nothing((inventory, keep) in inventory()) {
            let first = plan(&inventory, keep);
            let remaining = Inventory {
                versions: first.kept.iter().map(|k| k.version.clone()).collect(),
                ..inventory.clone()
            };
            let second = plan(&remaining, keep);
            prop_assert!(second.delete.is_empty(), "{:?}", second.delete);
            prop_assert_eq!(second.kept.len(), first.kept.len());
        }
    }
}
