//! The [`Engine`] abstraction: something that answers the requests of one
//! conformance [`Protocol`], either in this process ([`InProcess`]) or as a
//! child process per request ([`Subprocess`]).

use std::io::{Read, Write};
use std::marker::PhantomData;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

/// A conformance protocol: what an engine is asked and what it answers, and
/// how both travel through a child process's standard streams.
///
/// Implemented by [`Scl`](crate::Scl) (document bytes in, one
/// `{"valid":…}` line out) and [`Passport`](crate::Passport) (one JSON
/// request line in, one JSON result line out).
pub trait Protocol {
    /// What the engine is given for one vector.
    type Request: ?Sized + Sync;
    /// What the engine answers.
    type Answer;
    /// Short name of the suite (`scl`, `passport`), used in messages.
    const NAME: &'static str;
    /// The bytes a subprocess engine reads on its standard input.
    fn encode(request: &Self::Request) -> Vec<u8>;
    /// Reads the answer from what a subprocess engine wrote and how it exited.
    fn decode(output: &ProcessOutput) -> Result<Self::Answer, RunError>;
}

/// Answers the requests of protocol `P`.
///
/// `Sync` because the runner asks from several threads at once.
pub trait Engine<P: Protocol + ?Sized>: Sync {
    /// The engine's answer to one request, or why there is none.
    fn answer(&self, request: &P::Request) -> Result<P::Answer, RunError>;
}

impl<P: Protocol + ?Sized, E: Engine<P> + ?Sized> Engine<P> for &E {
    fn answer(&self, request: &P::Request) -> Result<P::Answer, RunError> {
        (**self).answer(request)
    }
}

/// An engine in this process: a function from request to answer.
///
/// ```
/// use aiid_conformance::{Answer, Engine, InProcess, Scl};
/// let engine = InProcess::scl(|input: &[u8]| Ok(Answer::invalid("E101", 0)));
/// let answer = Engine::<Scl>::answer(&engine, b"not SCL").unwrap();
/// assert_eq!(answer.code.as_deref(), Some("E101"));
/// ```
pub struct InProcess<P: ?Sized, F> {
    function: F,
    protocol: PhantomData<fn() -> PhantomData<P>>,
}

impl<P: Protocol + ?Sized, F> InProcess<P, F>
where
    F: Fn(&P::Request) -> Result<P::Answer, RunError> + Sync,
{
    /// Wraps `function` as an engine of protocol `P`.
    pub fn new(function: F) -> Self {
        InProcess {
            function,
            protocol: PhantomData,
        }
    }
}

impl<F> InProcess<crate::Scl, F>
where
    F: Fn(&[u8]) -> Result<crate::Answer, RunError> + Sync,
{
    /// An SCL:V1 engine: document bytes to answer.
    pub fn scl(function: F) -> Self {
        Self::new(function)
    }
}

impl<F> InProcess<crate::Passport, F>
where
    F: Fn(&crate::PassportRequest) -> Result<crate::PassportAnswer, RunError> + Sync,
{
    /// A passport engine: request to result.
    pub fn passport(function: F) -> Self {
        Self::new(function)
    }
}

impl<P: Protocol + ?Sized, F> Engine<P> for InProcess<P, F>
where
    F: Fn(&P::Request) -> Result<P::Answer, RunError> + Sync,
{
    fn answer(&self, request: &P::Request) -> Result<P::Answer, RunError> {
        (self.function)(request)
    }
}

impl<P: ?Sized, F> std::fmt::Debug for InProcess<P, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InProcess(..)")
    }
}

/// Why an engine gave no usable answer.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The command could not be started.
    #[error("cannot start engine `{command}`: {source}")]
    Spawn {
        /// The command.
        command: String,
        /// The operating system's reason.
        #[source]
        source: Arc<std::io::Error>,
    },
    /// No answer within the time limit (the engine's process group was
    /// killed).
    #[error("no answer within {0:?} (killed)")]
    Timeout(Duration),
    /// The engine's output is not one protocol JSON object.
    #[error("engine output is not a protocol JSON object: {message}; stdout was {stdout:?}")]
    BadOutput {
        /// What is wrong.
        message: String,
        /// The engine's standard output (truncated).
        stdout: String,
    },
    /// The engine exited with a failure status (protocols that require
    /// success, such as SCL).
    #[error("engine exited with {status}; stderr: {stderr}")]
    Failed {
        /// Exit status as text.
        status: String,
        /// The engine's standard error (truncated).
        stderr: String,
    },
}

impl RunError {
    /// Every code [`RunError::code`] returns.
    pub const CODES: [&'static str; 4] = ["spawn", "timeout", "bad_output", "failed"];

    /// A stable machine-readable code for the kind of error.
    pub fn code(&self) -> &'static str {
        match self {
            RunError::Spawn { .. } => "spawn",
            RunError::Timeout(_) => "timeout",
            RunError::BadOutput { .. } => "bad_output",
            RunError::Failed { .. } => "failed",
        }
    }

    /// A [`RunError::BadOutput`] for `stdout`, truncated for display.
    pub fn bad_output(message: impl Into<String>, stdout: &[u8]) -> RunError {
        RunError::BadOutput {
            message: message.into(),
            stdout: truncate(&String::from_utf8_lossy(stdout), 2000),
        }
    }
}

/// What a finished subprocess engine left behind.
#[derive(Debug, Clone)]
pub struct ProcessOutput {
    /// How it exited.
    pub status: ExitStatus,
    /// Its standard output (at most [`Subprocess::MAX_OUTPUT`] bytes).
    pub stdout: Vec<u8>,
    /// The start of its standard error (at most 64 KiB).
    pub stderr: Vec<u8>,
}

impl ProcessOutput {
    /// The standard error as text, truncated for messages.
    pub fn stderr_text(&self) -> String {
        truncate(&String::from_utf8_lossy(&self.stderr), 2000)
    }
}

/// An engine run as a shell command (`sh -c CMD`), one process per request:
/// the request on its standard input, the answer on its standard output.
///
/// Each process runs in its own process group; when it has not finished
/// within the time limit (or leaves a child holding its output open), the
/// whole group is killed and the answer is [`RunError::Timeout`].
#[derive(Debug, Clone)]
pub struct Subprocess {
    command: String,
    timeout: Duration,
}

impl Subprocess {
    /// Standard output kept per request; more is an error.
    pub const MAX_OUTPUT: usize = 256 << 20;
    /// The time limit unless [`Subprocess::timeout`] sets another.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

    /// An engine running `command` through `sh -c`.
    pub fn new(command: impl Into<String>) -> Self {
        Subprocess {
            command: command.into(),
            timeout: Self::DEFAULT_TIMEOUT,
        }
    }

    /// Sets the per-request time limit.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The command.
    pub fn command(&self) -> &str {
        &self.command
    }

    /// Runs the command once with `input` on its standard input.
    pub fn run(&self, input: &[u8]) -> Result<ProcessOutput, RunError> {
        run_process(&self.command, input, self.timeout)
    }
}

impl<P: Protocol + ?Sized> Engine<P> for Subprocess {
    fn answer(&self, request: &P::Request) -> Result<P::Answer, RunError> {
        let output = self.run(&P::encode(request))?;
        P::decode(&output)
    }
}

fn run_process(command: &str, input: &[u8], timeout: Duration) -> Result<ProcessOutput, RunError> {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(command)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Its own process group, so that a timeout kills the whole engine
    // (including anything the shell started), not just the shell.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let spawn_error = |e| RunError::Spawn {
        command: command.to_owned(),
        source: Arc::new(e),
    };
    let mut child = cmd.spawn().map_err(spawn_error)?;
    let started = Instant::now();
    // The pipes are served by detached threads that report through
    // channels: a process that escapes the group and keeps a pipe open can
    // then cost a blocked thread, never a hung runner.
    if let Some(mut stdin) = child.stdin.take() {
        let input = input.to_vec();
        std::thread::spawn(move || {
            // An engine that stops reading early is judged by its answer.
            let _ = stdin.write_all(&input);
        });
    }
    let (out_tx, out_rx) = mpsc::channel();
    if let Some(mut stdout) = child.stdout.take() {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = stdout
                .by_ref()
                .take(Subprocess::MAX_OUTPUT as u64)
                .read_to_end(&mut buf);
            // Keep draining so the engine is not blocked on a full pipe; the
            // excess is an error, not an answer.
            let overflow = std::io::copy(&mut stdout, &mut std::io::sink()).unwrap_or(0) > 0;
            let _ = out_tx.send((buf, overflow));
        });
    }
    let (err_tx, err_rx) = mpsc::channel();
    if let Some(mut stderr) = child.stderr.take() {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = stderr.by_ref().take(64 * 1024).read_to_end(&mut buf);
            let _ = std::io::copy(&mut stderr, &mut std::io::sink());
            let _ = err_tx.send(buf);
        });
    }
    let remaining = || timeout.saturating_sub(started.elapsed());
    let give_up = |child: &mut std::process::Child| {
        kill_process_group(child.id());
        let _ = child.kill();
        let _ = child.wait();
        RunError::Timeout(timeout)
    };
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if remaining().is_zero() => return Err(give_up(&mut child)),
            Ok(None) => std::thread::sleep(Duration::from_millis(1)),
            Err(e) => {
                give_up(&mut child);
                return Err(spawn_error(e));
            }
        }
    };
    // The engine has exited, but a background child of it may still hold
    // the pipes open: wait for them within the same time limit.
    let (stdout, overflow) = match out_rx.recv_timeout(remaining()) {
        Ok(out) => out,
        Err(mpsc::RecvTimeoutError::Disconnected) => (Vec::new(), false),
        Err(mpsc::RecvTimeoutError::Timeout) => return Err(give_up(&mut child)),
    };
    let stderr = match err_rx.recv_timeout(remaining()) {
        Ok(err) => err,
        Err(mpsc::RecvTimeoutError::Disconnected) => Vec::new(),
        Err(mpsc::RecvTimeoutError::Timeout) => return Err(give_up(&mut child)),
    };
    if overflow {
        return Err(RunError::bad_output(
            format!("more than {} bytes of output", Subprocess::MAX_OUTPUT),
            &stdout[..2000.min(stdout.len())],
        ));
    }
    Ok(ProcessOutput {
        status,
        stdout,
        stderr,
    })
}

/// Kills the process group led by `pid` (best effort).
fn kill_process_group(pid: u32) {
    #[cfg(unix)]
    {
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--"])
            .arg(format!("-{pid}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    #[cfg(not(unix))]
    let _ = pid;
}

/// At most `max` bytes of `s` (on a character boundary), `…` when cut.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn process_output_status_and_streams() {
        let out = Subprocess::new("cat; echo oops >&2; exit 4")
            .run(b"hello")
            .unwrap();
        assert_eq!(out.stdout, b"hello");
        assert_eq!(out.stderr_text(), "oops\n");
        assert_eq!(out.status.code(), Some(4));
    }

    #[test]
    fn timeout_kills_the_whole_group() {
        let started = Instant::now();
        let e = Subprocess::new("sleep 30 & sleep 30")
            .timeout(Duration::from_millis(200))
            .run(b"")
            .unwrap_err();
        assert!(matches!(e, RunError::Timeout(_)), "{e}");
        assert_eq!(e.code(), "timeout");
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn background_child_holding_stdout_is_killed_at_the_limit() {
        // The shell exits at once but its child keeps the pipe open.
        let started = Instant::now();
        let e = Subprocess::new("echo partial; sleep 30 &")
            .timeout(Duration::from_millis(300))
            .run(b"")
            .unwrap_err();
        assert!(matches!(e, RunError::Timeout(_)), "{e}");
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn child_escaping_the_group_cannot_hang_the_runner() {
        if Command::new("setsid").arg("true").status().is_err() {
            println!("skipped: setsid not found");
            return;
        }
        // The escaped child is out of reach of the group kill and holds
        // stdout open for 3 s; the runner gives up at its limit anyway.
        let started = Instant::now();
        let e = Subprocess::new("setsid sleep 3 & echo partial")
            .timeout(Duration::from_millis(300))
            .run(b"")
            .unwrap_err();
        assert!(matches!(e, RunError::Timeout(_)), "{e}");
        assert!(started.elapsed() < Duration::from_millis(2500));
    }

    #[test]
    fn missing_shell_program_is_a_failed_status() {
        let out = Subprocess::new("/nonexistent/engine-xyz").run(b"").unwrap();
        assert!(!out.status.success());
        assert!(out.stderr_text().contains("nonexistent"));
    }

    #[test]
    fn codes_are_listed() {
        let e = RunError::bad_output("x", b"y");
        assert!(RunError::CODES.contains(&e.code()));
        assert_eq!(RunError::Timeout(Duration::ZERO).code(), "timeout");
    }
}
