//! `shiftguard validate`: pre-traffic's smoke probes run on an EC2 or on-premises instance, from
//! an AppSpec hook (ValidateService), within a deadline, with the hooks' decision record.

mod deadline;
mod record;

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::json;
use shiftguard::adapters::http_probe::ReqwestSender;
use shiftguard::adapters::{LambdaAdapter, lambda_client, load_sdk_config};
use shiftguard::hook::check::CheckOutcome;
use shiftguard::hook::runner::OUT_OF_TIME;
use shiftguard::hook::verdict::Status;
use shiftguard::ports::{AwsError, FunctionInvoker, Invocation};
use shiftguard::smoke::probes::{Probe, ProbeAction, parse_smoke_tests};
use shiftguard::smoke::runner::run_smoke_tests;
use tokio::time::Instant;

use crate::exit;
use record::{AgentEnvironment, VALIDATE_SERVICE, decision_record, summary};

const ABOUT: &str = "Run smoke probes on an EC2 or on-premises instance (an AppSpec ValidateService hook)";

const LONG_ABOUT: &str = "\
Runs smoke probes, in the format of pre-traffic's SMOKE_TESTS, from an EC2 or on-premises
instance, typically in the AppSpec's ValidateService hook. It exits 0 only when every probe
passed, within a deadline, and leaves the reasons in the deployment's scripts.log, where the
CodeDeploy agent keeps a hook script's output.

Probes: --probes FILE, a JSON array of probes (docs/settings.md, \"SMOKE_TESTS\"), or else the
SMOKE_TESTS environment variable. Same parser, same messages as pre-traffic.
  http probes     are sent from this machine, each with User-Agent
                  shiftguard/<version> (ValidateService).
  lambda probes   must name `lambda.function` (an instance deployment has no Lambda target), and
                  are invoked through the normal AWS credential chain (the instance profile,
                  AWS_REGION, ...). They need lambda:InvokeFunction on that function.
Every probe runs at once. Each keeps its own attempts, interval_ms and timeout_ms.

Deadline: all probes end by --deadline SECONDS. Without it, the deadline is the hook's timeout
(--hook-timeout SECONDS, the `timeout` of this script in the AppSpec; the agent's default is
3600, which also bounds the sum of one event's script timeouts) less a tenth, and at least 5 s.
That way the verdict is written before the agent kills the script. A probe still waiting then
fails as out of time.

Under the CodeDeploy agent, the record names the deployment from the environment the agent
gives the script (DEPLOYMENT_ID, APPLICATION_NAME, DEPLOYMENT_GROUP_NAME, LIFECYCLE_EVENT).";

const AFTER_LONG_HELP: &str = "\
OUTPUT:
  stdout  the decision record, one JSON line, as the Lambda hooks write it (record
          \"shiftguard.decision\": each probe's outcome, the verdict, the reasons)
  stderr  one line per probe (passed or FAILED, attempts, why), then the verdict

EXIT CODES:
  0  every probe passed
  1  the probes are not valid (the message names the probe and the field); nothing was run
  2  bad usage (no probes given, a bad option)
  3  reading FILE or writing stdout failed
  5  a probe failed, or the deadline ran out

APPSPEC (EC2/on-premises; a hook's `location` is a script in the revision):
  hooks:
    ValidateService:
      - location: scripts/validate.sh
        timeout: 300
  # scripts/validate.sh
  #!/bin/sh
  exec /usr/local/bin/shiftguard validate --probes /opt/app/probes.json --hook-timeout 300

EXAMPLE:
  $ shiftguard validate --probes probes.json --deadline 60
  $ SMOKE_TESTS='[{\"name\":\"health\",\"http\":{\"url\":\"http://localhost:8080/health\"}}]' shiftguard validate";

#[derive(Debug, clap::Args)]
#[command(about = ABOUT, long_about = LONG_ABOUT, after_long_help = AFTER_LONG_HELP)]
pub struct Args {
    /// The probes, a JSON array as in SMOKE_TESTS (default: the SMOKE_TESTS environment variable).
    #[arg(long, value_name = "FILE")]
    pub probes: Option<PathBuf>,
    /// Seconds all probes must end within.
    #[arg(long, value_name = "SECONDS", conflicts_with = "hook_timeout",
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub deadline: Option<u64>,
    /// The AppSpec hook's `timeout` (seconds); the deadline is a little less.
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub hook_timeout: Option<u64>,
}

/// Why nothing was run.
#[derive(Debug, thiserror::Error)]
enum ProbesError {
    #[error("no probes: give --probes FILE or set SMOKE_TESTS")]
    Missing,
    #[error("reading {file}: {error}")]
    Read { file: String, error: std::io::Error },
    #[error("{source_name}: {error}")]
    Invalid { source_name: String, error: String },
}

impl ProbesError {
    fn exit_code(&self) -> u8 {
        match self {
            ProbesError::Missing => exit::USAGE,
            ProbesError::Read { .. } => exit::IO,
            ProbesError::Invalid { .. } => exit::BAD_INPUT,
        }
    }
}

/// The probes from `--probes FILE` or `SMOKE_TESTS`, each able to run on an instance.
fn probes(file: Option<&PathBuf>, environment: &impl Fn(&str) -> Option<String>) -> Result<Vec<Probe>, ProbesError> {
    let (source_name, text) = match file {
        Some(f) => {
            let file = f.display().to_string();
            let text = std::fs::read_to_string(f).map_err(|error| ProbesError::Read {
                file: file.clone(),
                error,
            })?;
            (file, text)
        }
        None => match environment("SMOKE_TESTS").filter(|t| !t.trim().is_empty()) {
            Some(text) => ("SMOKE_TESTS".to_string(), text),
            None => return Err(ProbesError::Missing),
        },
    };
    let invalid = |error: String| ProbesError::Invalid {
        source_name: source_name.clone(),
        error,
    };
    let probes = parse_smoke_tests(&text).map_err(|e| invalid(e.to_string()))?;
    if let Some(p) = probes.iter().find(|p| p.action.needs_target()) {
        return Err(invalid(format!(
            "probe `{}` is a lambda probe without `lambda.function`: on an instance there is no deployment target to invoke; name the function",
            p.name
        )));
    }
    Ok(probes)
}

/// Lambda, built only when a probe invokes a function.
enum Invoker {
    None,
    Lambda(LambdaAdapter),
}

impl FunctionInvoker for Invoker {
    async fn invoke(&self, function: &str, qualifier: Option<&str>, payload: Vec<u8>) -> Result<Invocation, AwsError> {
        match self {
            Invoker::Lambda(lambda) => lambda.invoke(function, qualifier, payload).await,
            Invoker::None => Err(AwsError {
                operation: format!("Invoke {function}"),
                message: "no Lambda client was built: no probe named a function".into(),
                retryable: false,
            }),
        }
    }
}

/// Every probe's outcome by `deadline` from now; a probe still running then fails as out of time.
async fn run_probes(probes: &[Probe], deadline: Duration) -> Vec<CheckOutcome> {
    let end = Instant::now() + deadline;
    let work = async {
        let invoker = if probes.iter().any(|p| matches!(p.action, ProbeAction::Lambda { .. })) {
            Invoker::Lambda(LambdaAdapter::new(lambda_client(&load_sdk_config().await)))
        } else {
            Invoker::None
        };
        run_smoke_tests(&invoker, &ReqwestSender::new(), None, probes, end, VALIDATE_SERVICE).await
    };
    // The runner keeps to `end`; this bounds what comes before it (the AWS configuration).
    match tokio::time::timeout_at(end + Duration::from_secs(1), work).await {
        Ok(outcomes) => outcomes,
        Err(_) => probes
            .iter()
            .map(|p| {
                CheckOutcome::not_run(
                    &p.name,
                    p.action.kind(),
                    format!("{OUT_OF_TIME}: the deadline was {} s", deadline.as_secs()),
                )
            })
            .collect(),
    }
}

pub fn run(args: &Args, out: &mut impl Write, err: &mut impl Write) -> u8 {
    let environment = |name: &str| std::env::var(name).ok();
    let probes = match probes(args.probes.as_ref(), &environment) {
        Ok(p) => p,
        Err(e) => {
            let _ = writeln!(err, "shiftguard validate: {e}");
            return e.exit_code();
        }
    };
    let deadline = deadline::deadline(args.deadline, args.hook_timeout);
    let started = std::time::Instant::now();
    let outcomes = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime.block_on(run_probes(&probes, deadline)),
        Err(e) => {
            let _ = writeln!(err, "shiftguard validate: starting the runtime: {e}");
            return exit::IO;
        }
    };
    let inputs = json!({"deadline_ms": deadline.as_millis() as u64, "probes": probes.len()});
    let record = decision_record(
        AgentEnvironment::from_lookup(environment),
        outcomes,
        inputs,
        started.elapsed().as_millis() as u64,
    );
    let _ = err.write_all(summary(&record).as_bytes());
    let line = serde_json::to_string(&record).expect("a decision record serialises") + "\n";
    if let Err(e) = out.write_all(line.as_bytes()).and_then(|()| out.flush()) {
        let _ = writeln!(err, "shiftguard validate: writing stdout: {e}");
        return exit::IO;
    }
    match record.verdict {
        Status::Succeeded => exit::OK,
        Status::Failed => exit::FAILED,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(smoke_tests: Option<&str>) -> impl Fn(&str) -> Option<String> {
        let value = smoke_tests.map(str::to_string);
        move |name| (name == "SMOKE_TESTS").then(|| value.clone()).flatten()
    }

    #[test]
    fn probes_come_from_the_file_else_smoke_tests_else_it_is_a_usage_error() {
        let e = probes(None, &env(None)).unwrap_err();
        assert_eq!(
            (e.exit_code(), e.to_string().as_str()),
            (exit::USAGE, "no probes: give --probes FILE or set SMOKE_TESTS")
        );
        let p = probes(
            None,
            &env(Some(r#"[{"name":"up","http":{"url":"http://127.0.0.1:9/health"}}]"#)),
        )
        .unwrap();
        assert_eq!(p[0].name, "up");
        let e = probes(Some(&"/nonexistent/probes.json".into()), &env(None)).unwrap_err();
        assert_eq!(e.exit_code(), exit::IO);
        assert!(e.to_string().starts_with("reading /nonexistent/probes.json: "), "{e}");
    }

    #[test]
    fn a_lambda_probe_must_name_its_function_on_an_instance() {
        let e = probes(None, &env(Some(r#"[{"name":"fn","lambda":{}}]"#))).unwrap_err();
        assert_eq!(e.exit_code(), exit::BAD_INPUT);
        assert!(
            e.to_string()
                .starts_with("SMOKE_TESTS: probe `fn` is a lambda probe without `lambda.function`"),
            "{e}"
        );
        let named = probes(
            None,
            &env(Some(r#"[{"name":"fn","lambda":{"function":"orders-itest"}}]"#)),
        );
        assert!(named.is_ok());
    }
}
