//! Each deployment group's own `CONFIDENCE`, `MAX_ERROR_RATE`, `SETTLE_SECONDS` and `DRY_RUN`:
//! its settings documents over the judge's environment, as post-traffic applies them (its final
//! look must be made with the settings of the judge's looks, docs/settings.md). Every group's
//! documents are read together, ten names a `GetParameters` call.

use std::collections::BTreeMap;
use std::time::Duration;

use shiftguard::canary::per_minute::settle;
use shiftguard::canary::settings::JudgeSettings;
use shiftguard::config::env::{ConfigError, FromEnv};
use shiftguard::ports::SettingsStore;
use shiftguard::settings::documents::{Documents, document_names};
use shiftguard::settings::effective::{SettingsRecord, layered};

/// What the judge applies to one deployment group.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupSettings {
    pub judge: JudgeSettings,
    pub settle: Duration,
    /// A regression is recorded, not stopped.
    pub dry_run: bool,
    pub record: SettingsRecord,
}

struct JudgeLayer {
    judge: JudgeSettings,
    settle: Duration,
}

impl FromEnv for JudgeLayer {
    fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Ok(JudgeLayer {
            judge: JudgeSettings::from_lookup(get)?,
            settle: settle(get)?,
        })
    }
}

/// An application and one of its deployment groups.
pub type Group = (String, String);

/// The settings of each of `groups`, or why a group's cannot be applied (a broken document);
/// `Err` when the documents could not be read at all.
pub async fn group_settings(
    store: &impl SettingsStore,
    environment: &(dyn Fn(&str) -> Option<String> + Sync),
    groups: &[Group],
) -> Result<BTreeMap<Group, Result<GroupSettings, String>>, String> {
    let mut names: Vec<String> = groups
        .iter()
        .filter_map(|(app, group)| document_names(app, group).ok())
        .flatten()
        .collect();
    names.sort_unstable();
    names.dedup();
    let found = if names.is_empty() {
        BTreeMap::new()
    } else {
        store
            .documents(&names)
            .await
            .map_err(|e| format!("could not read the settings documents: {e}"))?
    };
    Ok(groups
        .iter()
        .map(|(app, group)| {
            let applied = Documents::from_found(app, group, &found)
                .map_err(|e| e.to_string())
                .and_then(|documents| layered::<JudgeLayer>(documents, environment).map_err(|e| e.to_string()))
                .map(|applied| GroupSettings {
                    judge: applied.config.judge,
                    settle: applied.config.settle,
                    dry_run: applied.effective.hook.dry_run,
                    record: applied.record,
                });
            ((app.clone(), group.clone()), applied)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use shiftguard::fakes::{StoredDocuments, env};

    fn group(app: &str, group: &str) -> Group {
        (app.to_string(), group.to_string())
    }

    #[tokio::test]
    async fn each_group_gets_its_own_documents_over_the_environment() {
        let store = StoredDocuments::new(&[
            ("/shiftguard/orders/live", "CONFIDENCE: 0.99\nDRY_RUN: true"),
            ("/shiftguard/billing", "SETTLE_SECONDS: 30"),
            ("/shiftguard/broken", "CONFIDENCE: 2"),
        ]);
        let groups = [
            group("orders", "live"),
            group("billing", "live"),
            group("broken", "live"),
        ];
        let settings = group_settings(&store, &env(&[("MAX_ERROR_RATE", "2")]), &groups)
            .await
            .unwrap();
        assert_eq!(store.calls(), 1, "six names, one GetParameters");
        let orders = settings[&groups[0]].as_ref().unwrap();
        assert_eq!(
            (orders.judge.confidence, orders.judge.max_error_rate_pct, orders.dry_run),
            (0.99, 2.0, true)
        );
        let billing = settings[&groups[1]].as_ref().unwrap();
        assert_eq!(
            (billing.judge.confidence, billing.settle, billing.dry_run),
            (0.95, Duration::from_secs(30), false)
        );
        let broken = settings[&groups[2]].as_ref().unwrap_err();
        assert!(broken.contains("(set in /shiftguard/broken)"), "{broken}");
    }

    #[tokio::test]
    async fn a_store_that_cannot_be_read_is_an_error_for_all() {
        let store = StoredDocuments::failing("AccessDeniedException");
        let e = group_settings(&store, &env(&[]), &[group("orders", "live")])
            .await
            .unwrap_err();
        assert!(e.starts_with("could not read the settings documents"), "{e}");
    }
}
