//! The command line: one subcommand a file (`judge`, `plan`, `settings`, `replay`, `validate`), each with its own manual in --help.

use clap::{Parser, Subcommand};

use crate::{judge, plan, replay, settings, validate};

/// shiftguard: judge a canary deployment's per-minute counts as the canary judge does, plan
/// what it can see before a deployment starts, replay past deployments, and validate an instance.
#[derive(Debug, Parser)]
#[command(name = "shiftguard", version, propagate_version = true)]
#[command(
    after_help = "Run `shiftguard <COMMAND> --help` for a command's manual: what it reads, writes, \
its exit codes and an example."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Judge(judge::Args),
    Plan(plan::Args),
    Settings(settings::Args),
    Replay(replay::Args),
    Validate(validate::Args),
}
