//! `aiid registry …` subcommands (owned by the registry work).

use std::process::ExitCode;

/// Subcommands of `aiid registry`.
#[derive(Debug, clap::Subcommand)]
pub enum RegistryCommand {
    /// Placeholder until the registry commands land.
    #[command(hide = true)]
    Todo,
}

/// Runs one `aiid registry` subcommand and returns the process exit code.
pub fn run(cmd: RegistryCommand) -> ExitCode {
    match cmd {
        RegistryCommand::Todo => ExitCode::from(2),
    }
}
