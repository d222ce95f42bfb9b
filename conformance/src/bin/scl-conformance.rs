//! `scl-conformance`: runs the SCL:V1 vectors (or, with `--suite passport`,
//! the AI Identity passport vectors) against any engine.
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

extern crate aiid_conformance as conformance;
/// `println!` that ignores a closed stdout (e.g. piped into `head`).
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use conformance::{
    coverage, Outcome, PassportVectorFile, Selection, Strictness, Subprocess, Totals, VectorFile,
};

#[derive(Debug, Parser)]
#[command(
    name = "scl-conformance",
    version,
    about = "Run the SCL:V1 (or passport) conformance vectors against an engine",
    long_about = "Runs each vector through ENGINE (a shell command, one process per vector).\n\
SCL suite (default): the document bytes on stdin, one JSON object on stdout, exit 0: \
{\"valid\":true,\"canonical\":…,\"sha256\":…} or {\"valid\":false,\"code\":…,\"offset\":…}.\n\
Passport suite (--suite passport): one JSON request line on stdin, one JSON result line on stdout \
(exit status ignored); see spec/passport.md §11.\n\
Prints one line per failing vector, a per-rule coverage table, and `N passed, N failed`.",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Sub>,
    /// Vector suite.
    #[arg(long, value_enum, default_value_t = Suite::Scl, global = true)]
    suite: Suite,
    #[command(flatten)]
    run: RunArgs,
}

/// Which vector suite to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Suite {
    /// SCL:V1 documents (`spec/vectors/scl-v1.json`).
    Scl,
    /// AI Identity passports (`spec/vectors/passport.json`).
    Passport,
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// Engine command, run with `sh -c` once per vector (e.g. 'aiid engine',
    /// 'aiid passport engine').
    #[arg(long, value_name = "CMD")]
    engine: Option<String>,
    /// Vector file (default: the suite's vectors built into this binary).
    #[arg(long, value_name = "FILE")]
    vectors: Option<PathBuf>,
    /// Only vectors whose id contains TEXT.
    #[arg(long, value_name = "TEXT")]
    filter: Option<String>,
    /// Only vectors citing this rule (e.g. §3) or carrying this flag (e.g. resolution-8);
    /// passport suite: the rule text, the layer or the expected error code (e.g. expired).
    #[arg(long, value_name = "RULE")]
    rule: Option<String>,
    /// Do not compare offsets (partial conformance, for engines without offsets; SCL suite only).
    #[arg(long)]
    codes_only: bool,
    /// Per-vector time limit in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    timeout_ms: u64,
    /// Engines run in parallel (default: number of cores).
    #[arg(long, short = 'j', value_name = "N")]
    jobs: Option<usize>,
    /// Write a report: `.json` for JSON, anything else for Markdown.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Sub {
    /// Write every vector as `DIR/<id>.scl` (passport suite: `DIR/<id>.request.json`) plus
    /// `DIR/<id>.expected.json`.
    Export {
        /// Output directory (created if missing).
        dir: PathBuf,
        /// Vector file (default: the suite's built-in vectors).
        #[arg(long, value_name = "FILE")]
        vectors: Option<PathBuf>,
    },
}

/// A loaded vector file of either suite.
enum Loaded {
    Scl(VectorFile),
    Passport(Box<PassportVectorFile>),
}

fn load(suite: Suite, path: Option<&PathBuf>) -> Result<Loaded, String> {
    let text = match path {
        None => None,
        Some(p) => Some(
            std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?,
        ),
    };
    let at = |e: conformance::VectorError| {
        // A file of the other suite gets a hint instead of a field list.
        let other = match (suite, text.as_deref()) {
            (Suite::Scl, Some(t)) if PassportVectorFile::from_json(t).is_ok() => {
                " (this is a passport vector file: add --suite passport)"
            }
            (Suite::Passport, Some(t)) if VectorFile::from_json(t).is_ok() => {
                " (this is an SCL vector file: drop --suite passport)"
            }
            _ => "",
        };
        match path {
            Some(p) => format!("{}: {e}{other}", p.display()),
            None => format!("built-in {suite:?} vectors: {e}"),
        }
    };
    Ok(match suite {
        Suite::Scl => Loaded::Scl(
            match &text {
                Some(t) => VectorFile::from_json(t),
                None => VectorFile::scl_v1(),
            }
            .map_err(at)?,
        ),
        Suite::Passport => Loaded::Passport(Box::new(
            match &text {
                Some(t) => PassportVectorFile::from_json(t),
                None => PassportVectorFile::shipped(),
            }
            .map_err(at)?,
        )),
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Sub::Export { dir, vectors }) => {
            match load(cli.suite, vectors.as_ref()).and_then(|f| {
                match &f {
                    Loaded::Scl(f) => conformance::export(f, &dir),
                    Loaded::Passport(f) => f.export(&dir),
                }
                .map_err(|e| format!("{}: {e}", dir.display()))
            }) {
                Ok(n) => {
                    say!("wrote {n} vectors to {}", dir.display());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("scl-conformance: error: {e}");
                    ExitCode::from(2)
                }
            }
        }
        None => run(cli.suite, cli.run),
    }
}

fn run(suite: Suite, args: RunArgs) -> ExitCode {
    let Some(command) = args.engine else {
        eprintln!(
            "scl-conformance: error: --engine CMD is required (e.g. --engine 'aiid engine', \
             or --suite passport --engine 'aiid passport engine')"
        );
        return ExitCode::from(2);
    };
    if args.codes_only && suite == Suite::Passport {
        eprintln!("scl-conformance: error: --codes-only applies to the SCL suite only");
        return ExitCode::from(2);
    }
    let file = match load(suite, args.vectors.as_ref()) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("scl-conformance: error: {e}");
            return ExitCode::from(2);
        }
    };
    let selection = Selection {
        id_contains: args.filter,
        rule_or_flag: args.rule,
    };
    let strictness = if args.codes_only {
        Strictness::CodesOnly
    } else {
        Strictness::Full
    };
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let engine = Subprocess::new(command.clone()).timeout(Duration::from_millis(args.timeout_ms));
    let outcomes = match &file {
        Loaded::Scl(f) => f.run(&selection, strictness, jobs, &engine),
        Loaded::Passport(f) => f.run(&selection, jobs, &engine),
    };
    if outcomes.is_empty() {
        eprintln!("scl-conformance: error: no vector matches the selection");
        return ExitCode::from(2);
    }
    for o in &outcomes {
        if let Some(f) = &o.failure {
            say!("FAIL {}: {}", o.id, f.replace('\n', "\n     "));
        }
    }
    print_coverage(&outcomes);
    let totals = Totals::of(&outcomes);
    if let Some(path) = &args.report {
        if let Err(e) = write_report(path, suite, &command, strictness, &outcomes, totals) {
            eprintln!(
                "scl-conformance: error: cannot write {}: {e}",
                path.display()
            );
            return ExitCode::from(2);
        }
    }
    if strictness == Strictness::CodesOnly {
        say!("note: offsets were not compared (--codes-only): this is partial conformance");
    }
    say!("{totals}");
    if totals.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn print_coverage(outcomes: &[Outcome]) {
    let rows = coverage(outcomes);
    let width = rows
        .iter()
        .map(|(rule, _)| rule.chars().count())
        .max()
        .unwrap_or(0)
        .max(12);
    say!("{:<width$} {:>7} {:>7}", "rule", "passed", "failed");
    for (rule, (passed, failed)) in rows {
        say!("{rule:<width$} {passed:>7} {failed:>7}");
    }
}

fn write_report(
    path: &PathBuf,
    suite: Suite,
    engine: &str,
    strictness: Strictness,
    outcomes: &[Outcome],
    totals: Totals,
) -> std::io::Result<()> {
    let partial = strictness == Strictness::CodesOnly;
    let text = if path.extension().is_some_and(|e| e == "json") {
        let cov: serde_json::Map<String, serde_json::Value> = coverage(outcomes)
            .into_iter()
            .map(|(r, (p, f))| (r, serde_json::json!({"passed": p, "failed": f})))
            .collect();
        let report = serde_json::json!({
            "suite": suite.to_possible_value().map(|v| v.get_name().to_owned()),
            "engine": engine,
            "partial_conformance": partial,
            "totals": totals,
            "coverage": cov,
            "failures": outcomes.iter().filter(|o| o.failure.is_some()).collect::<Vec<_>>(),
        });
        format!("{report:#}\n")
    } else {
        let title = match suite {
            Suite::Scl => "SCL:V1",
            Suite::Passport => "AI Identity passport",
        };
        let mut md = format!(
            "# {title} conformance report\n\nEngine: `{engine}`{}\n\n**{totals}**\n\n| rule | passed | failed |\n|---|---:|---:|\n",
            if partial { " (codes only: partial conformance)" } else { "" }
        );
        for (rule, (p, f)) in coverage(outcomes) {
            md.push_str(&format!("| {rule} | {p} | {f} |\n"));
        }
        md.push_str("\n## Failures\n\n");
        for o in outcomes {
            if let Some(f) = &o.failure {
                md.push_str(&format!("- `{}`: {}\n", o.id, f.replace('\n', " ")));
            }
        }
        md
    };
    std::fs::write(path, text)
}
