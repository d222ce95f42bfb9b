#![forbid(unsafe_code)]
//! `scl-conformance`: runs the SCL:V1 vectors against any engine.

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

use clap::{Parser, Subcommand};
use conformance::{
    coverage, run_all, run_engine, Outcome, Selection, Strictness, Totals, VectorFile,
};

#[derive(Debug, Parser)]
#[command(
    name = "scl-conformance",
    version,
    about = "Run the SCL:V1 conformance vectors against an engine",
    long_about = "Runs each vector through ENGINE (a shell command): the document bytes on stdin, one JSON \
object on stdout: {\"valid\":true,\"canonical\":…,\"sha256\":…} or {\"valid\":false,\"code\":…,\"offset\":…}.\n\
Prints one line per failing vector, a per-rule coverage table, and `N passed, N failed`.",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Sub>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// Engine command, run with `sh -c` once per vector (e.g. 'aiid engine').
    #[arg(long, value_name = "CMD")]
    engine: Option<String>,
    /// Vector file (default: the SCL:V1 vectors built into this binary).
    #[arg(long, value_name = "FILE")]
    vectors: Option<PathBuf>,
    /// Only vectors whose id contains TEXT.
    #[arg(long, value_name = "TEXT")]
    filter: Option<String>,
    /// Only vectors citing this rule (e.g. §3) or carrying this flag (e.g. resolution-8).
    #[arg(long, value_name = "RULE")]
    rule: Option<String>,
    /// Do not compare offsets (partial conformance, for engines without offsets).
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
    /// Write every vector as `DIR/<id>.scl` plus `DIR/<id>.expected.json`.
    Export {
        /// Output directory (created if missing).
        dir: PathBuf,
        /// Vector file (default: built-in SCL:V1 vectors).
        #[arg(long, value_name = "FILE")]
        vectors: Option<PathBuf>,
    },
}

fn load(path: Option<&PathBuf>) -> Result<VectorFile, String> {
    match path {
        None => VectorFile::scl_v1().map_err(|e| e.to_string()),
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| format!("cannot read {}: {e}", p.display()))?;
            VectorFile::from_json(&text).map_err(|e| format!("{}: {e}", p.display()))
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Sub::Export { dir, vectors }) => match load(vectors.as_ref()).and_then(|f| {
            conformance::export(&f, &dir).map_err(|e| format!("{}: {e}", dir.display()))
        }) {
            Ok(n) => {
                say!("wrote {n} vectors to {}", dir.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("scl-conformance: error: {e}");
                ExitCode::from(2)
            }
        },
        None => run(cli.run),
    }
}

fn run(args: RunArgs) -> ExitCode {
    let Some(engine) = args.engine else {
        eprintln!("scl-conformance: error: --engine CMD is required (e.g. --engine 'aiid engine')");
        return ExitCode::from(2);
    };
    let file = match load(args.vectors.as_ref()) {
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
    let timeout = Duration::from_millis(args.timeout_ms);
    let outcomes = run_all(&file, &selection, strictness, jobs, |input| {
        run_engine(&engine, input, timeout)
    });
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
        if let Err(e) = write_report(path, &engine, strictness, &outcomes, totals) {
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
    say!("{:<12} {:>7} {:>7}", "rule", "passed", "failed");
    for (rule, (passed, failed)) in coverage(outcomes) {
        say!("{rule:<12} {passed:>7} {failed:>7}");
    }
}

fn write_report(
    path: &PathBuf,
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
            "engine": engine,
            "partial_conformance": partial,
            "totals": totals,
            "coverage": cov,
            "failures": outcomes.iter().filter(|o| o.failure.is_some()).collect::<Vec<_>>(),
        });
        format!("{report:#}\n")
    } else {
        let mut md = format!(
            "# SCL:V1 conformance report\n\nEngine: `{engine}`{}\n\n**{totals}**\n\n| rule | passed | failed |\n|---|---:|---:|\n",
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
