//! `shiftguard`: the canary judge of the functions, run on counts from stdin (`judge`), what it
//! can see of a deployment before it starts (`plan`), what it would have decided on past
//! deployments (`replay`), per-application settings (`settings`), and smoke probes on an instance
//! (`validate`).

mod cli;
mod exit;
mod judge;
mod plan;
mod replay;
mod settings;
mod validate;

use std::io::{stderr, stdin, stdout};
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let code = match cli::Cli::parse().command {
        cli::Command::Judge(_) => judge::run(stdin().lock(), &mut stdout().lock(), &mut stderr().lock()),
        cli::Command::Plan(args) => plan::run(&args, &mut stdout().lock(), &mut stderr().lock()),
        cli::Command::Settings(args) => settings::run(&args, &mut stdout().lock(), &mut stderr().lock()),
        cli::Command::Replay(args) => replay::run(&args, &mut stdout().lock(), &mut stderr().lock()),
        cli::Command::Validate(args) => validate::run(&args, &mut stdout().lock(), &mut stderr().lock()),
    };
    ExitCode::from(code)
}
