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
pub(crate) mod passport;
pub(crate) mod registry;
pub(crate) mod scl;
