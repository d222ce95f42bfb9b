//! Runs the AI Identity passport vectors (`spec/vectors/passport.json`)
//! against any implementation speaking the subprocess protocol of
//! `spec/passport.md`: one JSON request on stdin, one JSON result line on
//! stdout, one process per vector.
//!
//! Usage: `passport-conformance [--vectors FILE] [--verbose] -- PROGRAM [ARGS…]`
//! e.g. `passport-conformance -- aiid passport engine`.
//! Exit status: 0 all vectors pass, 1 some fail, 2 usage or I/O error.
#![forbid(unsafe_code)]

extern crate aiid_conformance as conformance;
use std::process::ExitCode;

const DEFAULT_VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/vectors/passport.json");

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut vectors = DEFAULT_VECTORS.to_owned();
    let mut verbose = false;
    let mut i = 0;
    let command = loop {
        match args.get(i).map(String::as_str) {
            Some("--vectors") => {
                let Some(v) = args.get(i + 1) else {
                    return usage("--vectors needs a file");
                };
                vectors = v.clone();
                i += 2;
            }
            Some("--verbose") => {
                verbose = true;
                i += 1;
            }
            Some("--") => break args[i + 1..].to_vec(),
            Some("-h" | "--help") => return usage(""),
            Some(other) => return usage(&format!("unexpected argument {other:?}")),
            None => return usage("missing -- PROGRAM"),
        }
    };
    if command.is_empty() {
        return usage("missing PROGRAM after --");
    }
    let file = match std::fs::read_to_string(&vectors)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
    {
        Ok(v) => v,
        Err(e) => {
            eprintln!("passport-conformance: {vectors}: {e}");
            return ExitCode::from(2);
        }
    };
    let outcomes = match passport::conformance::run_vectors(&file, &command) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("passport-conformance: {e}");
            return ExitCode::from(2);
        }
    };
    let mut failed = 0;
    for o in &outcomes {
        match &o.failure {
            None if verbose => println!("ok   {}", o.id),
            None => {}
            Some(why) => {
                failed += 1;
                println!("FAIL {}: {why}", o.id);
            }
        }
    }
    println!("{} passed, {} failed", outcomes.len() - failed, failed);
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn usage(msg: &str) -> ExitCode {
    if !msg.is_empty() {
        eprintln!("passport-conformance: {msg}");
    }
    eprintln!("usage: passport-conformance [--vectors FILE] [--verbose] -- PROGRAM [ARGS...]");
    ExitCode::from(2)
}
