//! What the `aiid` subprocess tests share: running the binary and a
//! scratch directory removed on drop. Each test file uses only part of it.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

/// The `aiid` binary of this build.
pub(crate) const AIID: &str = env!("CARGO_BIN_EXE_aiid");

/// Runs `aiid` with `args` and no stdin.
pub(crate) fn aiid(args: &[&str]) -> Output {
    Command::new(AIID)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run aiid")
}

/// Standard output as text.
pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Standard error as text.
pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A scratch directory under the system temp directory, unique to this
/// process and `tag`, removed when dropped.
pub(crate) struct Dir(pub(crate) PathBuf);

impl Dir {
    /// Creates (or empties) the directory for `tag`.
    pub(crate) fn new(tag: &str) -> Dir {
        let d = std::env::temp_dir().join(format!("aiid-cli-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Dir(d)
    }

    /// The path of `name` in the directory, as a string argument.
    pub(crate) fn p(&self, name: &str) -> String {
        self.0.join(name).to_string_lossy().into_owned()
    }

    /// Writes `bytes` to `name` and returns its path.
    pub(crate) fn write(&self, name: &str, bytes: &[u8]) -> String {
        std::fs::write(self.0.join(name), bytes).unwrap();
        self.p(name)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
