//! The `aiid` command-line tool.
// Errors are values here: no unwrap, expect, panic!, unreachable!, todo! or
// unimplemented! outside tests.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]
use clap::{Parser, Subcommand};
use std::io;
use std::path::PathBuf;
use std::process::ExitCode;

#[path = "cli/mod.rs"]
mod cli;

#[derive(Debug, Parser)]
#[command(
    name = "aiid",
    version,
    about = "Deterministic identity for AI: SCL:V1 run declarations and AI Identity passports",
    after_help = "Exit status: 0 all valid, 1 some input invalid, 2 usage or I/O error."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
// Parsed once per process; boxing the large variants buys nothing.
#[allow(clippy::large_enum_variant)]
enum Command {
    /// Validate SCL:V1 documents (`-` reads standard input).
    Parse {
        /// One JSON object per file, one per line.
        #[arg(long)]
        json: bool,
        /// Files to validate.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Write the canonical JSON of one SCL:V1 document, then a newline.
    Canon {
        /// The document (`-` reads standard input).
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Print the identity (SHA-256 of the canonical JSON) of each document,
    /// as `<64 hex>  <FILE>` like sha256sum.
    Hash {
        /// One JSON object per file, one per line.
        #[arg(long)]
        json: bool,
        /// Files to hash (`-` reads standard input).
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Conformance protocol: read one document on stdin, print one JSON object.
    Engine,
    /// AI Identity passports: keygen, issue, verify, inspect.
    #[command(subcommand)]
    Passport(cli::passport::PassportCommand),
    /// AI Identity registry: client calls, a self-hostable server, admin.
    #[command(subcommand)]
    Registry(cli::registry::RegistryCommand),
    /// Write a run declaration (SCL:V1) from its parts (spec/run-declaration.md).
    Declare(cli::declare::DeclareArgs),
    /// Run attestations: keygen, sign, verify, engine (spec/attestation.md).
    #[command(subcommand)]
    Attest(cli::attest::AttestCommand),
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        // The reader went away (`aiid hash … | head -1`): what it wanted, it
        // got. Like `cat` or `sha256sum` under a default SIGPIPE, end quietly.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("aiid: error: cannot write output: {e}");
            ExitCode::from(cli::scl::EXIT_USAGE)
        }
    }
}

/// Parses the command line and runs one command. Only a failed write to
/// standard output comes back as an error; every other failure has been
/// reported on standard error and is in the exit code.
fn run() -> io::Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Parse { json, files } => cli::scl::check_files(&files, json, false),
        Command::Canon { file } => cli::scl::canon(&file),
        Command::Hash { json, files } => cli::scl::check_files(&files, json, true),
        Command::Engine => cli::scl::engine(),
        Command::Passport(cmd) => Ok(cli::passport::run(cmd)),
        Command::Registry(cmd) => Ok(cli::registry::run(cmd)),
        Command::Declare(args) => Ok(cli::declare::run(args)),
        Command::Attest(cmd) => Ok(cli::attest::run(cmd)),
    }
}
