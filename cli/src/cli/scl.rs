//! `aiid parse`, `aiid canon`, `aiid hash`, `aiid engine`.

use std::collections::BTreeMap;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use aiid::{DocHash, ParseError};
use serde::Serialize;

/// Exit status: every document valid.
pub(crate) const EXIT_VALID: u8 = 0;
/// Exit status: some document invalid.
pub(crate) const EXIT_INVALID: u8 = 1;
/// Exit status: usage or I/O error.
pub(crate) const EXIT_USAGE: u8 = 2;

/// The outcome for one input file.
enum Outcome {
    Valid(DocHash),
    Invalid {
        error: ParseError,
        line: usize,
        column: usize,
        rendered: String,
    },
    Unreadable(String),
}

/// Reads a file argument; `-` is standard input.
pub(crate) fn read_input(path: &Path) -> Result<Vec<u8>, String> {
    if path == Path::new("-") {
        let mut buf = Vec::new();
        io::stdin()
            .lock()
            .read_to_end(&mut buf)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        return Ok(buf);
    }
    if path.is_dir() {
        return Err(format!("{}: is a directory, not a file", path.display()));
    }
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn display_name(path: &Path) -> String {
    path.display().to_string()
}

/// Inputs up to this size are read whole (so that an error can be shown in
/// its context) and hashed by the streaming engine in one call; larger ones
/// are streamed, with SHA-256 on a second thread, in constant memory.
const WHOLE_INPUT_LIMIT: u64 = 1 << 20;

/// `aiid hash`: the streaming identity engine (`scl_hash::stream`).
fn examine_streaming(path: &Path) -> Outcome {
    let name = display_name(path);
    let unreadable = |e: io::Error| {
        let what = if path == Path::new("-") {
            "standard input".to_string()
        } else {
            path.display().to_string()
        };
        Outcome::Unreadable(format!("cannot read {what}: {e}"))
    };
    // For a file, its size (one fstat) sizes the buffer, so that a small
    // file is read in one call.
    let (mut reader, size): (Box<dyn Read>, u64) = if path == Path::new("-") {
        (Box::new(io::stdin().lock()), 0)
    } else {
        let file = match std::fs::File::open(path) {
            Ok(file) => file,
            Err(e) => return unreadable(e),
        };
        match file.metadata() {
            Ok(meta) if meta.is_dir() => {
                return Outcome::Unreadable(format!(
                    "{}: is a directory, not a file",
                    path.display()
                ))
            }
            Ok(meta) => (Box::new(file), meta.len()),
            Err(e) => return unreadable(e),
        }
    };
    let capacity = usize::try_from(size.min(WHOLE_INPUT_LIMIT) + 1).unwrap_or(0);
    let mut head = Vec::with_capacity(capacity);
    if let Err(e) = (&mut reader)
        .take(WHOLE_INPUT_LIMIT + 1)
        .read_to_end(&mut head)
    {
        return unreadable(e);
    }
    if head.len() as u64 <= WHOLE_INPUT_LIMIT {
        return match aiid::scl_hash::stream::identity_streamed(&head) {
            Ok(hash) => Outcome::Valid(hash),
            Err(error) => {
                let at = error.line_column(&head);
                Outcome::Invalid {
                    error,
                    line: at.line,
                    column: at.column,
                    rendered: error.render(&name, &head),
                }
            }
        };
    }
    use aiid::scl_hash::stream_io::{identity_of_reader_two_threads, StreamError};
    match identity_of_reader_two_threads(io::Cursor::new(head).chain(reader)) {
        Ok(hash) => Outcome::Valid(hash),
        Err(StreamError::Invalid { error, at }) => {
            // The input is not kept: the diagnostic names the place only.
            let mut rendered = format!(
                "{name}:{}:{}: error[{}]: {}\n",
                at.line,
                at.column,
                error.code(),
                error.reason()
            );
            if let Some(hint) = error.hint() {
                rendered.push_str(&format!("  = hint: {hint}\n"));
            }
            Outcome::Invalid {
                error,
                line: at.line,
                column: at.column,
                rendered,
            }
        }
        Err(StreamError::Io(e)) => unreadable(e),
        Err(other) => Outcome::Unreadable(format!("{name}: {other}")),
    }
}

fn examine(path: &Path) -> Outcome {
    let input = match read_input(path) {
        Ok(bytes) => bytes,
        Err(message) => return Outcome::Unreadable(message),
    };
    match aiid::identity(&input) {
        Ok(hash) => Outcome::Valid(hash),
        Err(error) => {
            let at = error.line_column(&input);
            Outcome::Invalid {
                error,
                line: at.line,
                column: at.column,
                rendered: error.render(&display_name(path), &input),
            }
        }
    }
}

/// Runs `work(i)` for `i in 0..n` on up to `jobs` threads and hands the
/// results to `emit` in index order, as soon as each is next in line.
fn run_ordered<T: Send>(
    n: usize,
    jobs: usize,
    work: impl Fn(usize) -> T + Sync,
    mut emit: impl FnMut(usize, T),
) {
    if jobs <= 1 || n <= 1 {
        (0..n).for_each(|i| emit(i, work(i)));
        return;
    }
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::sync_channel::<(usize, T)>(1024);
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(n) {
            let tx = tx.clone();
            let (next, work) = (&next, &work);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n || tx.send((i, work(i))).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        let mut pending = BTreeMap::new();
        let mut wanted = 0;
        for (i, result) in rx {
            pending.insert(i, result);
            while let Some(result) = pending.remove(&wanted) {
                emit(wanted, result);
                wanted += 1;
            }
        }
    });
}

fn worker_count() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `aiid parse` (`with_hash` = false) and `aiid hash` (`with_hash` = true).
///
/// A failed write to standard output (a closed pipe included) stops the
/// output and comes back as the error.
pub(crate) fn check_files(files: &[PathBuf], json: bool, with_hash: bool) -> io::Result<ExitCode> {
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut status = EXIT_VALID;
    let mut write_failed = None;
    run_ordered(
        files.len(),
        worker_count(),
        |i| {
            if with_hash {
                examine_streaming(&files[i])
            } else {
                examine(&files[i])
            }
        },
        |i, outcome| {
            let name = display_name(&files[i]);
            if write_failed.is_some() {
                return;
            }
            let result = report(&mut out, &name, &outcome, json, with_hash);
            status = status.max(match outcome {
                Outcome::Valid(_) => EXIT_VALID,
                Outcome::Invalid { .. } => EXIT_INVALID,
                Outcome::Unreadable(_) => EXIT_USAGE,
            });
            if let Err(e) = result {
                write_failed = Some(e);
            }
        },
    );
    if let Some(e) = write_failed {
        return Err(e);
    }
    out.flush()?;
    Ok(ExitCode::from(status))
}

/// One `--json` line of `aiid parse` / `aiid hash` for a valid document.
#[derive(Serialize)]
struct ValidLine<'a> {
    file: &'a str,
    valid: bool,
    sha256: String,
}

/// One `--json` line for an invalid document.
#[derive(Serialize)]
struct InvalidLine<'a> {
    file: &'a str,
    valid: bool,
    code: &'static str,
    offset: usize,
    line: usize,
    column: usize,
    message: String,
}

/// One `--json` line for an input that could not be read (`valid` is null).
#[derive(Serialize)]
struct UnreadableLine<'a> {
    file: &'a str,
    valid: Option<bool>,
    error: &'static str,
    message: &'a str,
}

/// Writes `line` as one line of JSON.
fn write_json_line(out: &mut impl Write, line: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer(&mut *out, line)?;
    out.write_all(b"\n")
}

fn report(
    out: &mut impl Write,
    name: &str,
    outcome: &Outcome,
    json: bool,
    with_hash: bool,
) -> io::Result<()> {
    match (outcome, json) {
        (Outcome::Valid(hash), true) => write_json_line(
            out,
            &ValidLine {
                file: name,
                valid: true,
                sha256: hash.to_string(),
            },
        ),
        (Outcome::Valid(hash), false) if with_hash => writeln!(out, "{hash}  {name}"),
        (Outcome::Valid(_), false) => writeln!(out, "{name}: valid SCL:V1"),
        (
            Outcome::Invalid {
                error,
                line,
                column,
                ..
            },
            true,
        ) => write_json_line(
            out,
            &InvalidLine {
                file: name,
                valid: false,
                code: error.code().as_str(),
                offset: error.offset().get(),
                line: *line,
                column: *column,
                message: error.message(),
            },
        ),
        (Outcome::Invalid { rendered, .. }, false) => {
            // Keep stdout and stderr in order for a reader of both.
            out.flush()?;
            eprint!("{rendered}");
            Ok(())
        }
        (Outcome::Unreadable(message), true) => write_json_line(
            out,
            &UnreadableLine {
                file: name,
                valid: None,
                error: "io",
                message,
            },
        ),
        (Outcome::Unreadable(message), false) => {
            out.flush()?;
            eprintln!("aiid: error: {message}");
            Ok(())
        }
    }
}

/// `aiid canon FILE`: the canonical JSON and one LF, or nothing and an error.
/// A failed write to standard output comes back as the error.
pub(crate) fn canon(file: &Path) -> io::Result<ExitCode> {
    let input = match read_input(file) {
        Ok(bytes) => bytes,
        Err(message) => {
            eprintln!("aiid: error: {message}");
            return Ok(ExitCode::from(EXIT_USAGE));
        }
    };
    let doc = match aiid::parse(&input) {
        Ok(doc) => doc,
        Err(error) => {
            eprint!("{}", error.render(&display_name(file), &input));
            return Ok(ExitCode::from(EXIT_INVALID));
        }
    };
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(64 * 1024, stdout.lock());
    aiid::scl_canon::write_canonical(&doc, &mut out)?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(ExitCode::from(EXIT_VALID))
}

/// `aiid engine`: one document on stdin, one protocol JSON line on stdout.
/// The input is streamed through the engine (`scl_hash::stream`); only the
/// canonical JSON, which the answer contains, is held in memory.
pub(crate) fn engine() -> io::Result<ExitCode> {
    let mut engine = aiid::scl_hash::stream::CanonicalStream::new(Vec::new());
    let mut stdin = io::stdin().lock();
    let mut buf = vec![0u8; 256 * 1024];
    let mut failed = None;
    loop {
        let n = match stdin.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                eprintln!("aiid: error: cannot read standard input: {e}");
                return Ok(ExitCode::from(EXIT_USAGE));
            }
        };
        // After an error the rest is read and dropped, so that the writer
        // of a long input does not see a broken pipe.
        if failed.is_none() {
            failed = engine.feed(&buf[..n]).err();
        }
    }
    let result = match failed {
        Some(error) => Err(error),
        None => engine.finish(),
    };
    let answer = aiid::engine::answer(result.as_deref());
    let mut out = io::stdout().lock();
    writeln!(out, "{answer}")?;
    out.flush()?;
    Ok(ExitCode::from(EXIT_VALID))
}
