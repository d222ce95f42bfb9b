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

/// A worker's read buffer, reused from one file to the next so that a run
/// over many small files allocates nothing per file.
struct Scratch {
    /// Initialised bytes; `len` of them hold the input read so far.
    buf: Vec<u8>,
}

impl Scratch {
    /// Room for a typical declaration in one `read`.
    const START: usize = 64 * 1024;

    fn new() -> Self {
        Scratch {
            buf: vec![0; Self::START],
        }
    }

    /// Reads `reader` to its end, or until more than `limit` bytes have been
    /// read. Returns how many bytes of `buf` hold input. Small files cost two
    /// `read` calls and no `stat`.
    fn fill(&mut self, reader: &mut impl Read, limit: usize) -> io::Result<usize> {
        let mut len = 0;
        loop {
            if len == self.buf.len() {
                if len > limit {
                    return Ok(len);
                }
                let grown = (len * 2).min(limit + 1).max(len + 1);
                self.buf.resize(grown, 0);
            }
            match reader.read(&mut self.buf[len..]) {
                Ok(0) => return Ok(len),
                Ok(n) => len += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Gives back memory grown for one large input.
    fn shrink(&mut self) {
        if self.buf.len() > Self::START {
            self.buf.truncate(Self::START);
            self.buf.shrink_to_fit();
        }
    }
}

/// `aiid hash`: the streaming identity engine (`scl_hash::stream`).
fn examine_streaming(path: &Path, scratch: &mut Scratch) -> Outcome {
    let unreadable = |e: io::Error| {
        if e.kind() == io::ErrorKind::IsADirectory {
            return Outcome::Unreadable(format!("{}: is a directory, not a file", path.display()));
        }
        let what = if path == Path::new("-") {
            "standard input".to_string()
        } else {
            path.display().to_string()
        };
        Outcome::Unreadable(format!("cannot read {what}: {e}"))
    };
    // No `stat`: a directory opens, and its first `read` says what it is.
    let mut reader: Box<dyn Read> = if path == Path::new("-") {
        Box::new(io::stdin().lock())
    } else {
        match std::fs::File::open(path) {
            Ok(file) => Box::new(file),
            Err(e) => return unreadable(e),
        }
    };
    let limit = usize::try_from(WHOLE_INPUT_LIMIT).unwrap_or(usize::MAX);
    let len = match scratch.fill(&mut reader, limit) {
        Ok(len) => len,
        Err(e) => return unreadable(e),
    };
    if len <= limit {
        let head = &scratch.buf[..len];
        let outcome = match aiid::scl_hash::stream::identity_streamed(head) {
            Ok(hash) => Outcome::Valid(hash),
            Err(error) => {
                let at = error.line_column(head);
                Outcome::Invalid {
                    error,
                    line: at.line,
                    column: at.column,
                    rendered: error.render(&display_name(path), head),
                }
            }
        };
        scratch.shrink();
        return outcome;
    }
    // A large input: hand what was read to the pipeline, keep a fresh buffer.
    let mut head = std::mem::replace(&mut scratch.buf, vec![0; Scratch::START]);
    head.truncate(len);
    use aiid::scl_hash::stream_io::{identity_of_reader_two_threads, StreamError};
    let name = display_name(path);
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

/// Runs `work(state, i)` for `i in 0..n` on up to `jobs` threads (each with
/// its own `state` from `init`) and hands the results to `emit` in index
/// order, as soon as each is next in line.
///
/// Workers take the indices in runs, so that a run over many small files
/// costs one channel message per run, not one per file (a message per file
/// cost more in futex calls than the hashing).
fn run_ordered<S, T: Send>(
    n: usize,
    jobs: usize,
    init: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, usize) -> T + Sync,
    mut emit: impl FnMut(usize, T),
) {
    if jobs <= 1 || n <= 1 {
        let mut state = init();
        (0..n).for_each(|i| emit(i, work(&mut state, i)));
        return;
    }
    // Small enough that every worker gets several runs, at most 256 long.
    let run = (n / (jobs * 8)).clamp(1, 256);
    let runs = n.div_ceil(run);
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::sync_channel::<(usize, Vec<T>)>(64);
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(runs) {
            let tx = tx.clone();
            let (next, work, init) = (&next, &work, &init);
            scope.spawn(move || {
                let mut state = init();
                loop {
                    let r = next.fetch_add(1, Ordering::Relaxed);
                    if r >= runs {
                        break;
                    }
                    let results = (r * run..((r + 1) * run).min(n))
                        .map(|i| work(&mut state, i))
                        .collect();
                    if tx.send((r, results)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut pending = BTreeMap::new();
        let mut wanted = 0;
        for (r, results) in rx {
            pending.insert(r, results);
            while let Some(results) = pending.remove(&wanted) {
                for (k, result) in results.into_iter().enumerate() {
                    emit(wanted * run + k, result);
                }
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
        Scratch::new,
        |scratch, i| {
            if with_hash {
                examine_streaming(&files[i], scratch)
            } else {
                examine(&files[i])
            }
        },
        |i, outcome| {
            // Borrowed when the name is UTF-8 (the same text as `display`).
            let name = files[i].to_string_lossy();
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
