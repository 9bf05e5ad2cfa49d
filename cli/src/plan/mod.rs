//! `shiftguard plan`: what the canary judge can see of a deployment before it starts, for a
//! service's traffic and error rate and a CodeDeploy deployment configuration, by simulation
//! (`shiftguard::canary::plan`); printed as text, or as JSON.

mod report;

use std::io::Write;

use shiftguard::canary::plan::{DEFAULT_RUNS, DEFAULT_SEED, PlanRequest, plan};
use shiftguard::canary::settings::JudgeSettings;
use shiftguard::canary::shift::LambdaDeploymentConfig;
use shiftguard::config::env::FromEnv;

use crate::exit;

const ABOUT: &str = "What the canary judge can see of a deployment before it starts (a simulation)";

const LONG_ABOUT: &str = "\
What the canary judge can see of a deployment before it starts.

For a service's calls a minute and error rate, and a CodeDeploy deployment configuration: the
smallest regression the judge catches in 80 % and in 90 % of deployments, stopped before the
shift completes (its minute-by-minute looks) and rolled back at all (its final look after the
shift); the median minute of the rollback for a 2x and a 3x regression; the healthy releases it
rolls back; and a warning when the canary is too small to see anything useful.

By simulation: each minute, Poisson traffic split as the configuration shifts it, and Binomial
errors, the old version at --error-rate and the new one at ρ times it, for ρ from 1.1 to 10,
judged by the functions' own code. A fixed seed: the same options print the same plan.";

const AFTER_LONG_HELP: &str = "\
DEPLOYMENT CONFIGURATIONS: CodeDeploy's predefined ones for Lambda, with or without the
CodeDeployDefault. and Lambda prefixes, in any case
(https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-configurations.html):
  LambdaCanary10Percent5Minutes, ...10Minutes, ...15Minutes, ...30Minutes
      10 % of the calls for 5, 10, 15 or 30 minutes, then all of them
  LambdaLinear10PercentEvery1Minute, ...2Minutes, ...3Minutes, ...10Minutes
      10 % more of the calls every 1, 2, 3 or 10 minutes until all of them (9 steps)
  LambdaAllAtOnce
      every call at once: no minute in which both versions serve, nothing to compare

OUTPUT (stdout): the plan as text; with --json, one JSON object (smallest, median_minute_2x,
median_minute_3x, healthy, regressions, warnings, and what was simulated). A warning is part of
the plan: it does not change the exit code.

EXIT CODES:
  0  the plan was printed, with or without warnings
  2  bad usage: an unknown deployment configuration, a bad number, a bad CONFIDENCE or
     MAX_ERROR_RATE (the functions' own checks and messages)
  3  writing stdout failed

EXAMPLE:
  $ shiftguard plan --calls-per-minute 2000 --error-rate 1 --deployment-config Canary10Percent10Minutes
  $ shiftguard plan --calls-per-minute 20 --error-rate 0.1 \\
      --deployment-config CodeDeployDefault.LambdaLinear10PercentEvery1Minute --json";

#[derive(Debug, clap::Args)]
#[command(about = ABOUT, long_about = LONG_ABOUT, after_long_help = AFTER_LONG_HELP)]
pub struct Args {
    /// Calls a minute through the alias, both versions together (e.g. 2000).
    #[arg(long, value_name = "N")]
    pub calls_per_minute: f64,
    /// The service's error rate today, in percent like MAX_ERROR_RATE (1 for 1 %).
    #[arg(long, value_name = "P")]
    pub error_rate: f64,
    /// CodeDeploy's deployment configuration, e.g. Canary10Percent5Minutes (listed below).
    #[arg(long, value_name = "NAME")]
    pub deployment_config: LambdaDeploymentConfig,
    /// CONFIDENCE as the functions read it [default: 0.95]: false rollbacks at most 1 − CONFIDENCE.
    #[arg(long, value_name = "C")]
    pub confidence: Option<String>,
    /// MAX_ERROR_RATE as the functions read it, percent [default: 1]: the new version's ceiling.
    #[arg(long, value_name = "P")]
    pub max_error_rate: Option<String>,
    /// The simulation's seed: the same seed, the same plan.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    pub seed: u64,
    /// Simulated deployments per regression size (more: steadier numbers, slower).
    #[arg(long, default_value_t = DEFAULT_RUNS)]
    pub runs: usize,
    /// Print the plan as one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

impl Args {
    /// `--confidence` and `--max-error-rate` through the functions' parsers, as if from the
    /// environment.
    fn settings(&self) -> Result<JudgeSettings, String> {
        let given = |k: &str| match k {
            "CONFIDENCE" => self.confidence.clone(),
            "MAX_ERROR_RATE" => self.max_error_rate.clone(),
            _ => None,
        };
        JudgeSettings::from_lookup(&given).map_err(|e| e.to_string())
    }
}

/// Prints the plan for `args` on `out`, or the problem on `err`; the exit code.
pub fn run(args: &Args, out: &mut impl Write, err: &mut impl Write) -> u8 {
    let planned = args.settings().and_then(|settings| {
        let request = PlanRequest {
            calls_per_minute: args.calls_per_minute,
            error_rate_pct: args.error_rate,
            config: args.deployment_config,
            settings,
            seed: args.seed,
            runs: args.runs,
        };
        plan(&request).map_err(|e| e.to_string())
    });
    let plan = match planned {
        Ok(plan) => plan,
        Err(e) => {
            let _ = writeln!(err, "shiftguard plan: {e}");
            return exit::USAGE;
        }
    };
    let text = if args.json {
        serde_json::to_string_pretty(&plan).expect("a plan serialises") + "\n"
    } else {
        report::text(&plan)
    };
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => exit::OK,
        Err(e) => {
            let _ = writeln!(err, "shiftguard plan: writing the plan: {e}");
            exit::IO
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Test {
        #[command(flatten)]
        args: Args,
    }

    fn args(line: &[&str]) -> Result<Args, clap::Error> {
        Test::try_parse_from(std::iter::once("plan").chain(line.iter().copied())).map(|t| t.args)
    }

    const BASE: [&str; 6] = [
        "--calls-per-minute",
        "2000",
        "--error-rate",
        "1",
        "--deployment-config",
        "CodeDeployDefault.LambdaCanary10Percent5Minutes",
    ];

    fn run_with(extra: &[&str]) -> (u8, String, String) {
        let a = args(&[&BASE[..], extra].concat()).unwrap();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run(&a, &mut out, &mut err);
        (code, String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap())
    }

    #[test]
    fn options_read_with_their_defaults() {
        let a = args(&BASE).unwrap();
        assert_eq!(a.deployment_config, LambdaDeploymentConfig::Canary10Percent5Minutes);
        assert_eq!((a.seed, a.runs, a.json), (DEFAULT_SEED, DEFAULT_RUNS, false));
        assert_eq!(a.settings().unwrap(), JudgeSettings::default());
    }

    #[test]
    fn an_unknown_configuration_lists_the_known_ones() {
        let e = args(&[
            "--calls-per-minute",
            "1",
            "--error-rate",
            "1",
            "--deployment-config",
            "Blue",
        ])
        .unwrap_err()
        .to_string();
        assert!(e.contains(r#"unknown deployment configuration "Blue""#), "{e}");
        assert!(
            e.contains("LambdaLinear10PercentEvery10Minutes, LambdaAllAtOnce"),
            "{e}"
        );
    }

    #[test]
    fn settings_fail_as_the_functions_fail() {
        let (code, out, err) = run_with(&["--confidence", "95", "--runs", "5"]);
        assert_eq!((code, out.as_str()), (exit::USAGE, ""));
        assert_eq!(
            err,
            "shiftguard plan: CONFIDENCE is not valid: \"95\" is not a number from 0.5 to 0.9999\n"
        );
        let (code, _, err) = run_with(&["--max-error-rate", "5%", "--runs", "5"]);
        assert_eq!(code, exit::USAGE);
        assert!(err.starts_with("shiftguard plan: MAX_ERROR_RATE is not valid"), "{err}");
    }

    #[test]
    fn bad_numbers_say_what_to_give() {
        let a = args(&[
            "--calls-per-minute",
            "0",
            "--error-rate",
            "1",
            "--deployment-config",
            "Canary10Percent5Minutes",
        ])
        .unwrap();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        assert_eq!(run(&a, &mut out, &mut err), exit::USAGE);
        assert!(
            String::from_utf8(err)
                .unwrap()
                .starts_with("shiftguard plan: the calls per minute are 0")
        );
        let (code, _, err) = run_with(&["--runs", "0"]);
        assert_eq!(code, exit::USAGE);
        assert!(err.contains("0 simulated deployments: give from 1 to 100000"), "{err}");
    }

    #[test]
    fn json_is_the_plan_whole() {
        let (code, out, _) = run_with(&["--runs", "20", "--json", "--max-error-rate", "5"]);
        assert_eq!(code, exit::OK);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            v["deployment_config"],
            "CodeDeployDefault.LambdaCanary10Percent5Minutes"
        );
        assert_eq!((v["shift_minutes"].clone(), v["runs"].clone()), (5.into(), 20.into()));
        assert_eq!(v["max_error_rate_pct"], 5.0);
        assert_eq!(v["smallest"].as_array().unwrap().len(), 2);
        assert!(v["warnings"].as_array().unwrap().is_empty());
    }
}
