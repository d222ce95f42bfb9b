#![forbid(unsafe_code)]
//! The `aiid` command-line tool.
use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[path = "cli/mod.rs"]
mod cli;

#[derive(Debug, Parser)]
#[command(name = "aiid", version, about = "Deterministic identity for AI runs and agents")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// AI Identity passports: keygen, issue, verify, inspect.
    #[command(subcommand)]
    Passport(cli::passport::PassportCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Passport(cmd) => cli::passport::run(cmd),
    }
}
