//! The effective settings of one deployment group: every variable a document may set, parsed from
//! the layers by the parser that reads it from the environment. Every function checks all of
//! them, not only those it applies, so a document's mistake fails the first hook of a release
//! (pre-traffic), not the last.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::canary::per_minute::settle;
use crate::canary::settings::JudgeSettings;
use crate::config::env::{ConfigError, FromEnv, HookSettings, non_empty};
use crate::config::layers::{Layers, Source};
use crate::gate::metric_checks::{MetricCheck, parse_metric_checks};
use crate::gate::settings::GateSettings;
use crate::ports::SettingsStore;
use crate::settings::documents::{Documents, Lookup, SettingsError, read_documents};
use crate::smoke::probes::{Probe, parse_smoke_tests};

/// Every setting a document may hold, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct EffectiveSettings {
    /// `DRY_RUN` (with `REPORT_RESERVE_MS`, which only the environment sets).
    pub hook: HookSettings,
    /// `SMOKE_TESTS`; `None` when unset.
    pub probes: Option<Vec<Probe>>,
    pub gate: GateSettings,
    pub judge: JudgeSettings,
    /// `SETTLE_SECONDS`.
    pub settle: Duration,
    /// `METRIC_CHECKS`; empty when unset.
    pub metric_checks: Vec<MetricCheck>,
}

impl FromEnv for EffectiveSettings {
    fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Ok(EffectiveSettings {
            hook: HookSettings::from_lookup(get)?,
            probes: non_empty(get, "SMOKE_TESTS")
                .map(|json| parse_smoke_tests(&json))
                .transpose()?,
            gate: GateSettings::from_lookup(get)?,
            judge: JudgeSettings::from_lookup(get)?,
            settle: settle(get)?,
            metric_checks: non_empty(get, "METRIC_CHECKS")
                .map(|json| parse_metric_checks(&json))
                .transpose()?
                .unwrap_or_default(),
        })
    }
}

impl EffectiveSettings {
    /// Each setting's effective value by its variable, as `shiftguard settings` prints them:
    /// `SMOKE_TESTS` and `METRIC_CHECKS` as their entries' names (`null`: unset, a Lambda
    /// deployment gets the default probe), `WINDOW_MINUTES` in minutes, `null` where unset.
    pub fn values(&self) -> BTreeMap<&'static str, serde_json::Value> {
        use serde_json::json;
        let names = |names: Vec<&String>| json!(names);
        BTreeMap::from([
            ("DRY_RUN", json!(self.hook.dry_run)),
            (
                "SMOKE_TESTS",
                json!(
                    self.probes
                        .as_ref()
                        .map(|p| p.iter().map(|p| &p.name).collect::<Vec<_>>())
                ),
            ),
            ("MAX_ERROR_RATE", json!(self.gate.max_error_rate_pct)),
            ("CONFIDENCE", json!(self.gate.confidence)),
            ("MIN_INVOCATIONS", json!(self.gate.min_invocations)),
            ("ON_INSUFFICIENT_DATA", json!(self.gate.on_insufficient_data)),
            ("MAX_P99_MS", json!(self.gate.max_p99_ms)),
            ("MAX_THROTTLES", json!(self.gate.max_throttles)),
            ("WINDOW_MINUTES", json!(self.gate.window.map(|w| w.as_secs() / 60))),
            ("SETTLE_SECONDS", json!(self.settle.as_secs())),
            (
                "METRIC_CHECKS",
                names(self.metric_checks.iter().map(|c| &c.name).collect()),
            ),
        ])
    }
}

/// What the decision record says of the settings: the documents looked up and where each value
/// set anywhere came from (a variable not listed has its default).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SettingsRecord {
    #[serde(flatten)]
    pub lookup: Lookup,
    pub sources: BTreeMap<&'static str, Source>,
}

/// A function's own configuration `C` and the effective settings, from the same layers.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied<C> {
    pub config: C,
    pub effective: EffectiveSettings,
    pub record: SettingsRecord,
}

/// `documents` over `environment`: every setting checked, then the function's own `C`. A value
/// its parser refuses fails, naming where it was set.
pub fn layered<C: FromEnv>(
    documents: Documents,
    environment: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<Applied<C>, SettingsError> {
    let layers = Layers {
        group: documents.group,
        application: documents.application,
        environment,
    };
    let invalid = |error: ConfigError| {
        let set_in = match layers.get(error.variable()) {
            Some((_, Source::DeploymentGroup(p) | Source::Application(p))) => p,
            Some((_, Source::Environment)) | None => "the function's environment".to_string(),
        };
        SettingsError::Invalid { error, set_in }
    };
    let effective = EffectiveSettings::from_lookup(&layers.lookup()).map_err(invalid)?;
    let config = C::from_lookup(&layers.lookup()).map_err(invalid)?;
    Ok(Applied {
        config,
        effective,
        record: SettingsRecord {
            lookup: documents.lookup,
            sources: layers.sources(),
        },
    })
}

/// Reads a deployment group's documents (one call) and applies them over `environment`.
pub async fn apply<C: FromEnv>(
    store: &impl SettingsStore,
    application: &str,
    group: &str,
    environment: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<Applied<C>, SettingsError> {
    layered(read_documents(store, application, group).await?, environment)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::{StoredDocuments, env};

    #[tokio::test]
    async fn the_group_document_wins_and_the_record_says_where_each_value_came_from() {
        let store = StoredDocuments::new(&[
            ("/shiftguard/orders/live", r#"{"MAX_ERROR_RATE": 5, "DRY_RUN": true}"#),
            ("/shiftguard/orders", "MAX_ERROR_RATE: 2\nMIN_INVOCATIONS: 100\n"),
        ]);
        let environment = env(&[("MAX_ERROR_RATE", "1"), ("CONFIDENCE", "0.99")]);
        let applied: Applied<JudgeSettings> = apply(&store, "orders", "live", &environment).await.unwrap();
        assert_eq!(
            (applied.config.max_error_rate_pct, applied.config.confidence),
            (5.0, 0.99)
        );
        let gate = &applied.effective.gate;
        assert_eq!((gate.max_error_rate_pct, gate.min_invocations), (5.0, 100));
        assert!(applied.effective.hook.dry_run);
        let record = serde_json::to_value(&applied.record).unwrap();
        assert_eq!(
            record["sources"]["MAX_ERROR_RATE"],
            serde_json::json!({"from": "deployment_group", "parameter": "/shiftguard/orders/live"})
        );
        assert_eq!(record["sources"]["MIN_INVOCATIONS"]["from"], "application");
        assert_eq!(
            record["sources"]["CONFIDENCE"],
            serde_json::json!({"from": "environment"})
        );
        assert_eq!(record["documents"]["/shiftguard/orders"], "read");
        assert!(record["sources"].get("SETTLE_SECONDS").is_none(), "the default");
    }

    #[tokio::test]
    async fn a_setting_this_function_does_not_apply_is_still_checked_and_named_with_its_document() {
        // JudgeSettings does not read METRIC_CHECKS; the effective settings do.
        let store = StoredDocuments::new(&[("/shiftguard/orders", r#"{"METRIC_CHECKS": "not a list"}"#)]);
        let e = apply::<JudgeSettings>(&store, "orders", "live", &env(&[]))
            .await
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("METRIC_CHECKS is not a JSON array"), "{e}");
        assert!(e.ends_with("(set in /shiftguard/orders)"), "{e}");
        let e = apply::<JudgeSettings>(
            &StoredDocuments::new(&[]),
            "orders",
            "live",
            &env(&[("CONFIDENCE", "2")]),
        )
        .await
        .unwrap_err()
        .to_string();
        assert!(e.ends_with("(set in the function's environment)"), "{e}");
    }

    #[test]
    fn every_variable_a_document_may_set_has_an_effective_value() {
        let values = EffectiveSettings::from_lookup(&env(&[("WINDOW_MINUTES", "15")]))
            .unwrap()
            .values();
        let keys: Vec<&str> = values.keys().copied().collect();
        let mut known = crate::config::layers::KNOWN.to_vec();
        known.sort_unstable();
        assert_eq!(keys, known);
        assert_eq!(values["WINDOW_MINUTES"], 15);
        assert_eq!(values["SMOKE_TESTS"], serde_json::Value::Null);
    }

    #[tokio::test]
    async fn without_documents_the_environment_and_the_defaults_apply() {
        let applied: Applied<JudgeSettings> = apply(&StoredDocuments::new(&[]), "orders", "live", &env(&[]))
            .await
            .unwrap();
        assert_eq!(applied.config, JudgeSettings::default());
        assert_eq!(applied.effective.gate, GateSettings::default());
        assert!(applied.record.sources.is_empty());
        assert!(applied.record.lookup.documents.values().all(|v| *v == "absent"));
    }
}
