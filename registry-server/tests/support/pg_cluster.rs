//! A throwaway PostgreSQL cluster for a test binary: started once (on first
//! use) by `registry-server/scripts/pg-throwaway.sh` on a free loopback port,
//! stopped and removed by that script when the test binary exits (its stdin,
//! a pipe held here, closes; also on a panic or a kill).
//!
//! `cluster()` is `None`, after printing why, only when initdb/pg_ctl are not
//! installed; any other failure to start fails the test. Setting
//! `AIID_TEST_POSTGRES_URL` to a superuser URL of an existing server uses
//! that server instead.
#![allow(dead_code)]

use std::io::{BufRead as _, BufReader, Read as _};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

const SCRIPT: &str = "registry-server/scripts/pg-throwaway.sh";

/// A running cluster.
pub(crate) struct Cluster {
    /// `postgres://postgres@127.0.0.1:PORT/postgres`.
    pub url: String,
    child: Mutex<Option<(Child, ChildStdin)>>,
}

static CLUSTER: OnceLock<Option<Cluster>> = OnceLock::new();
static NEXT_DB: AtomicUsize = AtomicUsize::new(0);

/// The cluster of this test binary, started on first use.
pub(crate) fn cluster() -> Option<&'static Cluster> {
    CLUSTER.get_or_init(start).as_ref()
}

/// The workspace root (the directory holding the script).
pub(crate) fn workspace_root() -> PathBuf {
    let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    loop {
        if dir.join(SCRIPT).is_file() {
            return dir;
        }
        assert!(dir.pop(), "{SCRIPT} not found above the package");
    }
}

fn start() -> Option<Cluster> {
    if let Ok(url) = std::env::var("AIID_TEST_POSTGRES_URL") {
        return Some(Cluster {
            url,
            child: Mutex::new(None),
        });
    }
    let mut child = Command::new("bash")
        .arg(workspace_root().join(SCRIPT))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting bash for the PostgreSQL cluster");
    let stdin = child.stdin.take().expect("piped stdin");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped stdout"))
        .read_line(&mut line)
        .expect("reading the cluster script's output");
    if let Some(url) = line.trim().strip_prefix("ready ") {
        return Some(Cluster {
            url: url.to_owned(),
            child: Mutex::new(Some((child, stdin))),
        });
    }
    let status = child.wait().expect("waiting for the cluster script");
    let mut err = String::new();
    let _ = child
        .stderr
        .take()
        .expect("piped stderr")
        .read_to_string(&mut err);
    if status.code() == Some(3) {
        eprintln!(
            "SKIPPING PostgreSQL tests: {} (.ci/run installs PostgreSQL with apt-get)",
            err.trim()
        );
        return None;
    }
    panic!("the throwaway PostgreSQL cluster did not start ({status}): {err}");
}

fn find_psql() -> PathBuf {
    if let Some(p) = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|d| d.join("psql"))
            .find(|p| p.is_file())
    }) {
        return p;
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|r| r.flatten().map(|e| e.path().join("bin/psql")).collect())
        .unwrap_or_default();
    dirs.sort();
    dirs.pop().filter(|p| p.is_file()).expect("psql not found")
}

/// Runs SQL on the cluster's `postgres` database as the superuser.
pub(crate) fn psql(url: &str, sql: &str) -> String {
    let out = Command::new(find_psql())
        .args([
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            url,
            "-c",
            sql,
        ])
        .output()
        .expect("running psql");
    assert!(
        out.status.success(),
        "psql {sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

impl Cluster {
    /// Creates a fresh database and returns its URL.
    pub(crate) fn database(&self, hint: &str) -> String {
        assert!(hint.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
        let name = format!(
            "{hint}_{}_{}",
            std::process::id(),
            NEXT_DB.fetch_add(1, Ordering::Relaxed)
        );
        psql(&self.url, &format!("CREATE DATABASE {name}"));
        let base = self
            .url
            .rsplit_once('/')
            .map_or(self.url.as_str(), |(b, _)| b);
        format!("{base}/{name}")
    }
}
