//! `aiid passport …` subcommands (owned by the passport work).

use std::process::ExitCode;

/// Subcommands of `aiid passport`.
#[derive(Debug, clap::Subcommand)]
pub enum PassportCommand {
    /// Placeholder until the passport commands land.
    #[command(hide = true)]
    Todo,
}

/// Runs one `aiid passport` subcommand and returns the process exit code.
pub fn run(cmd: PassportCommand) -> ExitCode {
    match cmd {
        PassportCommand::Todo => ExitCode::from(2),
    }
}
