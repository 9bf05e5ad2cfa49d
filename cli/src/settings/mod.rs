//! `shiftguard settings`: a settings document checked by the functions' own code (`check FILE`),
//! and what the hooks would apply to a deployment group, read from Parameter Store (`show`).

use std::io::Write;

use serde_json::{Value, json};
use shiftguard::adapters::{SsmAdapter, load_sdk_config, ssm_client};
use shiftguard::config::layers::{Source, parse_document};
use shiftguard::settings::documents::{Documents, Lookup, SettingsError};
use shiftguard::settings::effective::{Applied, EffectiveSettings, apply, layered};

use crate::exit;

const ABOUT: &str = "Check a settings document, or show a deployment group's effective settings";

const LONG_ABOUT: &str = "\
Per-application settings (docs/settings.md): a JSON or YAML object of the variables the
functions read (SMOKE_TESTS, MAX_ERROR_RATE, CONFIDENCE, ...), kept in Parameter Store at
/shiftguard/<application>/<deployment-group> (first) and /shiftguard/<application> (then), over
the function's environment, over the defaults.

`check FILE` validates a document with the functions' own parsers and messages, and prints the
effective settings it gives (over the defaults: this machine's environment is not read).
`show` reads both documents of a deployment group as the hooks do (one GetParameters, through
the normal AWS credential chain: AWS_PROFILE, AWS_REGION, ...) and prints the same, with each
value's source. The functions' own environment is not known here: a value a document does not set
shows its default, which the function's environment may still change.";

const AFTER_LONG_HELP: &str = "\
OUTPUT (stdout): one JSON object: `settings`, each variable's effective `value` and where it came
from (`from`: deployment_group, application or default, with the `parameter`), and `documents`,
each document looked up and whether it was read or absent.

EXIT CODES:
  0  the settings are valid (printed)
  1  a document is not valid: the functions' message, naming the parameter and the key, on stderr
  2  bad usage
  3  reading FILE or writing stdout failed
  4  Parameter Store could not be read (credentials, permissions, region)

EXAMPLE:
  $ shiftguard settings check orders.yaml
  $ shiftguard settings show --application orders --deployment-group orders-live";

#[derive(Debug, clap::Args)]
#[command(about = ABOUT, long_about = LONG_ABOUT, after_long_help = AFTER_LONG_HELP)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Validate a settings document (JSON or YAML) and print the settings it gives.
    Check {
        /// The document, as it would be stored in Parameter Store.
        file: std::path::PathBuf,
    },
    /// Read a deployment group's settings documents from Parameter Store and print the effective
    /// settings with their sources.
    Show {
        #[arg(long)]
        application: String,
        #[arg(long)]
        deployment_group: String,
    },
}

/// No environment: the CLI shows what the documents and the defaults give.
fn no_environment(_: &str) -> Option<String> {
    None
}

pub fn run(args: &Args, out: &mut impl Write, err: &mut impl Write) -> u8 {
    let applied = match &args.command {
        Command::Check { file } => check(file),
        Command::Show {
            application,
            deployment_group,
        } => show(application, deployment_group),
    };
    match applied {
        Ok(applied) => {
            let text = serde_json::to_string_pretty(&report(&applied)).expect("a report serialises") + "\n";
            match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
                Ok(()) => exit::OK,
                Err(e) => {
                    let _ = writeln!(err, "shiftguard settings: writing stdout: {e}");
                    exit::IO
                }
            }
        }
        Err((code, message)) => {
            let _ = writeln!(err, "shiftguard settings: {message}");
            code
        }
    }
}

pub(crate) type Outcome = Result<Applied<EffectiveSettings>, (u8, String)>;

/// A settings document from a file, over the defaults (also `shiftguard replay --settings`).
pub(crate) fn check(file: &std::path::Path) -> Outcome {
    let name = file.display().to_string();
    let text = std::fs::read_to_string(file).map_err(|e| (exit::IO, format!("reading {name}: {e}")))?;
    let values = parse_document(&name, &text).map_err(|e| (exit::BAD_INPUT, e.to_string()))?;
    let documents = Documents {
        group: None,
        application: Some((name.clone(), values)),
        lookup: Lookup {
            documents: [(name, "read")].into(),
            unavailable: None,
        },
    };
    layered(documents, &no_environment).map_err(|e| (exit::BAD_INPUT, e.to_string()))
}

fn show(application: &str, group: &str) -> Outcome {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| (exit::IO, format!("starting the runtime: {e}")))?;
    runtime.block_on(async {
        let store = SsmAdapter::new(ssm_client(&load_sdk_config().await));
        apply(&store, application, group, &no_environment)
            .await
            .map_err(|e| match e {
                SettingsError::Read { .. } => (exit::AWS, e.to_string()),
                other => (exit::BAD_INPUT, other.to_string()),
            })
    })
}

/// Each variable's value and source, and the documents looked up.
fn report(applied: &Applied<EffectiveSettings>) -> Value {
    let settings: serde_json::Map<String, Value> = applied
        .effective
        .values()
        .into_iter()
        .map(|(variable, value)| {
            let from = match applied.record.sources.get(variable) {
                Some(Source::Environment) | None => json!({"from": "default"}),
                Some(source) => json!(source),
            };
            let mut entry = json!({"value": value});
            entry.as_object_mut().unwrap().extend(from.as_object().unwrap().clone());
            (variable.to_string(), entry)
        })
        .collect();
    json!({"settings": settings, "documents": applied.record.lookup})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_check(text: &str) -> (u8, String, String) {
        let dir = std::env::temp_dir().join(format!("shiftguard-settings-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join(format!("doc-{}.yaml", text.len()));
        std::fs::write(&file, text).unwrap();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let args = Args {
            command: Command::Check { file: file.clone() },
        };
        let code = run(&args, &mut out, &mut err);
        let _ = std::fs::remove_file(&file);
        (code, String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap())
    }

    #[test]
    fn a_valid_document_prints_every_setting_with_its_source() {
        let (code, out, err) =
            run_check("MAX_ERROR_RATE: 2.5\nSMOKE_TESTS: '[{\"name\": \"health\", \"lambda\": {}}]'\n");
        assert_eq!(code, exit::OK, "{err}");
        let report: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(report["settings"]["MAX_ERROR_RATE"]["value"], 2.5);
        assert_eq!(report["settings"]["MAX_ERROR_RATE"]["from"], "application");
        assert_eq!(report["settings"]["SMOKE_TESTS"]["value"], json!(["health"]));
        assert_eq!(
            report["settings"]["CONFIDENCE"],
            json!({"value": 0.95, "from": "default"})
        );
    }

    #[test]
    fn a_bad_document_exits_1_with_the_functions_message() {
        let (code, out, err) = run_check("CONFIDENCE: 1.5\n");
        assert_eq!(code, exit::BAD_INPUT);
        assert!(out.is_empty());
        assert!(err.starts_with("shiftguard settings: CONFIDENCE"), "{err}");
        assert!(err.contains("(set in "), "{err}");
        let (code, _, err) = run_check("TARGET_FUNCTION: other\n");
        assert_eq!(code, exit::BAD_INPUT);
        assert!(
            err.contains("sets TARGET_FUNCTION, which only a function's environment may set"),
            "{err}"
        );
    }

    #[test]
    fn a_missing_file_exits_3_naming_it() {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let args = Args {
            command: Command::Check {
                file: "/nonexistent/orders.yaml".into(),
            },
        };
        assert_eq!(run(&args, &mut out, &mut err), exit::IO);
        assert!(
            String::from_utf8(err)
                .unwrap()
                .contains("reading /nonexistent/orders.yaml")
        );
    }
}
