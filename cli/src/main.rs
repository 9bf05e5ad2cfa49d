//! `shiftguard`: the canary judge of the functions, run on counts from stdin (`judge`), and what
//! it can see of a deployment before it starts (`plan`).

mod cli;
mod exit;
mod judge;
mod plan;

use std::io::{stderr, stdin, stdout};
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let code = match cli::Cli::parse().command {
        cli::Command::Judge(_) => judge::run(stdin().lock(), &mut stdout().lock(), &mut stderr().lock()),
        cli::Command::Plan(args) => plan::run(&args, &mut stdout().lock(), &mut stderr().lock()),
    };
    ExitCode::from(code)
}
