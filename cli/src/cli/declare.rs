//! `aiid declare`: write a run declaration (`spec/run-declaration.md`).
//!
//! Exit status: 0 written, 2 bad input (nothing written, no partial `-o` file).

use attest::RunDeclaration;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `aiid declare`.
#[derive(Debug, clap::Args)]
pub(crate) struct DeclareArgs {
    /// The model: PROVIDER:NAME or PROVIDER:NAME:SNAPSHOT, e.g. anthropic:claude-sonnet-4:2025-05-14.
    #[arg(long, value_name = "PROVIDER:NAME[:SNAPSHOT]")]
    model: Option<String>,
    /// A parameter KEY=VALUE; repeatable.
    #[arg(long = "param", value_name = "K=V")]
    params: Vec<String>,
    /// A context file (hashed, not embedded) or sha256:<64 hex>; repeatable.
    #[arg(long = "context", value_name = "FILE")]
    context: Vec<String>,
    /// A constraint, e.g. network:deny; repeatable.
    #[arg(long = "constraint", value_name = "C")]
    constraints: Vec<String>,
    /// A tool the run may use; repeatable.
    #[arg(long = "tool", value_name = "T")]
    tools: Vec<String>,
    /// The declaring agent's AI Identity id (aii_…).
    #[arg(long, value_name = "aii_…")]
    agent: Option<String>,
    /// The prompt, read from a UTF-8 file.
    #[arg(long, value_name = "FILE", conflicts_with = "prompt")]
    prompt_file: Option<PathBuf>,
    /// The prompt text.
    #[arg(long, value_name = "TEXT")]
    prompt: Option<String>,
    /// Read every field from a JSON object instead (same field names; see spec/run-declaration.md).
    #[arg(long, value_name = "FILE.json", conflicts_with_all = ["model", "params", "context", "constraints", "tools", "agent", "prompt_file", "prompt"])]
    from: Option<PathBuf>,
    /// Write the declaration to OUT instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    output: Option<PathBuf>,
}

fn build(a: &DeclareArgs) -> Result<Vec<u8>, String> {
    let decl = if let Some(from) = &a.from {
        let text = std::fs::read(from).map_err(|e| format!("{}: {e}", from.display()))?;
        let base = from.parent().unwrap_or(Path::new(""));
        RunDeclaration::from_json(&text, base).map_err(|e| format!("{}: {e}", from.display()))?
    } else {
        let model = a
            .model
            .as_deref()
            .ok_or("--model is required (or --from FILE.json)")?;
        let mut d = RunDeclaration::new(model).map_err(|e| e.to_string())?;
        for p in &a.params {
            d = d.param(p).map_err(|e| e.to_string())?;
        }
        for c in &a.context {
            d = d.context_arg(c, Path::new("")).map_err(|e| e.to_string())?;
        }
        for c in &a.constraints {
            d = d.constraint(c).map_err(|e| e.to_string())?;
        }
        for t in &a.tools {
            d = d.tool(t).map_err(|e| e.to_string())?;
        }
        if let Some(agent) = &a.agent {
            d = d.agent(agent).map_err(|e| e.to_string())?;
        }
        d = match (&a.prompt, &a.prompt_file) {
            (Some(p), None) => d.prompt(p),
            (None, Some(f)) => d.prompt_file(f),
            _ => return Err("give the prompt with --prompt TEXT or --prompt-file FILE".into()),
        }
        .map_err(|e| e.to_string())?;
        d
    };
    decl.to_scl().map_err(|e| e.to_string())
}

/// Writes `bytes` to `path` through a temporary file in the same directory
/// and a rename, so that `path` is never left half-written.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| format!("{}: not a file name", path.display()))?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(format!("{}: {e}", path.display()));
    }
    Ok(())
}

/// Runs `aiid declare`.
pub(crate) fn run(a: DeclareArgs) -> ExitCode {
    let bytes = match build(&a) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("aiid declare: {e}");
            return ExitCode::from(2);
        }
    };
    let written = match &a.output {
        Some(path) => write_atomically(path, &bytes),
        None => {
            let mut out = std::io::stdout().lock();
            if let Err(e) = out.write_all(&bytes).and_then(|()| out.flush()) {
                super::exit_on_write_error(&e);
            }
            Ok(())
        }
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("aiid declare: {e}");
            ExitCode::from(2)
        }
    }
}
