//! Command-line front end of `aiid`.

/// `println!` that never panics (`println!` does on a closed pipe): when
/// standard output is a closed pipe the program ends at once with status 0
/// (the reader has what it wanted, as with `cat` under a default SIGPIPE);
/// any other write failure ends it with status 2. For the short answers of
/// the passport and registry commands; the streaming commands (`hash`,
/// `parse`, `canon`, `engine`) return the error to `main` instead.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut stdout = std::io::stdout().lock();
        if let Err(e) = writeln!(stdout, $($arg)*).and_then(|()| stdout.flush()) {
            $crate::cli::exit_on_write_error(&e);
        }
    }};
}

/// Ends the program after a failed write to standard output: status 0 for a
/// closed pipe, 2 otherwise (with a message).
pub(crate) fn exit_on_write_error(e: &std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    eprintln!("aiid: error: cannot write output: {e}");
    std::process::exit(2)
}

pub(crate) mod attest;
pub(crate) mod declare;
/// The `--json` answer of a failed check (`passport verify`, `attest verify`)
/// and of an engine's unreadable request. Fields in alphabetical order: the
/// order these answers have always had.
#[derive(serde::Serialize)]
pub(crate) struct InvalidAnswer<'a> {
    /// The claim at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) claim: Option<&'a str>,
    /// The stable error code.
    pub(crate) error: &'a str,
    /// The error for humans.
    pub(crate) message: String,
    /// Why the enclosed passport failed, when that is the reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) passport_error: Option<&'a str>,
    /// Always false.
    pub(crate) valid: bool,
}

impl<'a> InvalidAnswer<'a> {
    /// An answer with only a code and a message.
    pub(crate) fn new(error: &'a str, message: impl std::fmt::Display) -> Self {
        InvalidAnswer {
            claim: None,
            error,
            message: message.to_string(),
            passport_error: None,
            valid: false,
        }
    }

    /// The answer as one line of JSON.
    pub(crate) fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

pub(crate) mod passport;
pub(crate) mod registry;
pub(crate) mod scl;
