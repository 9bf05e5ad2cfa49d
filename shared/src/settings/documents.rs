//! Where an application's settings documents live, and reading them: the deployment group's at
//! `/shiftguard/<application>/<deployment-group>`, the application's at `/shiftguard/<application>`,
//! both in one `GetParameters` call. A missing document is normal; one that cannot be read is not.

use std::collections::BTreeMap;

use serde::Serialize;
use thiserror::Error;

use crate::config::env::ConfigError;
use crate::config::layers::{DocumentError, parse_document};
use crate::ports::{AwsError, SettingsStore};

/// Every settings document is under this path, the only one the functions may read.
pub const PREFIX: &str = "/shiftguard";

/// A Parameter Store name is at most this long, the path included.
const MAX_NAME: usize = 1011;

/// The names of a deployment group's document and its application's, group first; or why no
/// document can exist for them (a name with characters Parameter Store does not allow:
/// "a-zA-Z0-9_.-", and "/" only between levels, per
/// <https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-su-create.html>).
pub fn document_names(application: &str, group: &str) -> Result<[String; 2], String> {
    for (what, name) in [("application", application), ("deployment group", group)] {
        let allowed = |c: char| c.is_ascii_alphanumeric() || "_.-".contains(c);
        if name.is_empty() || !name.chars().all(allowed) {
            return Err(format!(
                "the {what} name {name:?} has characters a Parameter Store name cannot hold (a-zA-Z0-9_.-), so it has no settings documents"
            ));
        }
    }
    let group_name = format!("{PREFIX}/{application}/{group}");
    if group_name.len() > MAX_NAME {
        return Err(format!(
            "{group_name} is longer than the {MAX_NAME} characters of a Parameter Store name"
        ));
    }
    Ok([group_name, format!("{PREFIX}/{application}")])
}

/// What was looked up, for the decision record: each document `read` or `absent`, or why there
/// could be none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Lookup {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub documents: BTreeMap<String, &'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<String>,
}

/// A document's parameter name and its settings.
pub type Document = (String, BTreeMap<String, String>);

/// The documents of one deployment group, parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Documents {
    pub group: Option<Document>,
    pub application: Option<Document>,
    pub lookup: Lookup,
}

impl Documents {
    /// The group's documents among `found` (documents by name, as [`SettingsStore::documents`]
    /// returns them), parsed.
    pub fn from_found(application: &str, group: &str, found: &BTreeMap<String, String>) -> Result<Self, DocumentError> {
        let [group_name, application_name] = match document_names(application, group) {
            Ok(names) => names,
            Err(why) => {
                return Ok(Documents {
                    lookup: Lookup {
                        unavailable: Some(why),
                        ..Lookup::default()
                    },
                    ..Documents::default()
                });
            }
        };
        let mut lookup = Lookup::default();
        let mut parse = |name: String| -> Result<Option<Document>, DocumentError> {
            let text = found.get(&name);
            lookup
                .documents
                .insert(name.clone(), if text.is_some() { "read" } else { "absent" });
            text.map(|text| parse_document(&name, text).map(|values| (name, values)))
                .transpose()
        };
        let group = parse(group_name)?;
        let application = parse(application_name)?;
        Ok(Documents {
            group,
            application,
            lookup,
        })
    }
}

#[derive(Debug, Error, Clone, PartialEq)]
pub enum SettingsError {
    #[error(
        "could not read the settings documents {names}: {error}; the hook does not fall back to the defaults when an application's settings cannot be read"
    )]
    Read { names: String, error: AwsError },
    #[error(transparent)]
    Document(#[from] DocumentError),
    /// A value, from the document or the environment named, that its variable's parser refused.
    #[error("{error} (set in {set_in})")]
    Invalid { error: ConfigError, set_in: String },
}

/// Reads and parses the documents of one deployment group: one call to the store.
pub async fn read_documents(
    store: &impl SettingsStore,
    application: &str,
    group: &str,
) -> Result<Documents, SettingsError> {
    let names = match document_names(application, group) {
        Ok(names) => names,
        Err(_) => return Ok(Documents::from_found(application, group, &BTreeMap::new())?),
    };
    let found = store.documents(&names).await.map_err(|error| SettingsError::Read {
        names: names.join(" and "),
        error,
    })?;
    Ok(Documents::from_found(application, group, &found)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::StoredDocuments;

    #[test]
    fn the_group_document_is_below_the_application_document() {
        assert_eq!(
            document_names("orders", "live").unwrap(),
            ["/shiftguard/orders/live".to_string(), "/shiftguard/orders".to_string()]
        );
        let e = document_names("orders api", "live").unwrap_err();
        assert!(e.contains("application name \"orders api\""), "{e}");
        assert!(
            document_names("orders", "a/b").is_err(),
            "a slash would change the level"
        );
    }

    #[tokio::test]
    async fn both_documents_in_one_call_and_absence_is_normal() {
        let store = StoredDocuments::new(&[("/shiftguard/orders", "MAX_ERROR_RATE: 2")]);
        let docs = read_documents(&store, "orders", "live").await.unwrap();
        assert_eq!(store.calls(), 1);
        assert_eq!(docs.group, None);
        assert_eq!(docs.application.unwrap().1["MAX_ERROR_RATE"], "2");
        assert_eq!(docs.lookup.documents["/shiftguard/orders/live"], "absent");
        assert_eq!(docs.lookup.documents["/shiftguard/orders"], "read");
    }

    #[tokio::test]
    async fn an_unreadable_store_and_a_broken_document_are_errors_naming_it() {
        let store = StoredDocuments::failing("AccessDeniedException: not authorized to perform ssm:GetParameters");
        let e = read_documents(&store, "orders", "live").await.unwrap_err().to_string();
        assert!(
            e.starts_with("could not read the settings documents /shiftguard/orders/live and /shiftguard/orders: "),
            "{e}"
        );
        assert!(e.contains("AccessDenied"), "{e}");
        let store = StoredDocuments::new(&[("/shiftguard/orders/live", "{\"CONFIDENCE\": ")]);
        let e = read_documents(&store, "orders", "live").await.unwrap_err().to_string();
        assert!(
            e.starts_with("settings document /shiftguard/orders/live is neither"),
            "{e}"
        );
    }

    #[tokio::test]
    async fn a_name_parameter_store_cannot_hold_makes_no_call_and_says_so() {
        let store = StoredDocuments::new(&[]);
        let docs = read_documents(&store, "orders", "blue green").await.unwrap();
        assert_eq!(store.calls(), 0);
        assert!(docs.lookup.unavailable.unwrap().contains("deployment group name"));
    }
}
