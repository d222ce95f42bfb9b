//! Load generator for a fleet: several replicas of one registry (or one
//! registry) already running on loopback. Starts nothing itself. (The
//! single-server generator with distinct passports is `registry-load`.)
//!
//! `registry-fleet-load --url http://127.0.0.1:PORT [--url …] (--token-file F | --api-key K --identity ID)
//!  [--mode verify|issue|revoke] [--connections 32] [--duration 10] [--warmup 1]`
//!
//! `verify` (default) issues one passport (when given an API key), then
//! drives `POST /api/v1/verify` with it; `issue` drives `POST /api/v1/issue`
//! and `revoke` drives `POST /api/v1/revoke` of fresh passport ids (both need
//! the API key). N concurrent keep-alive HTTP/1.1 connections, spread
//! round-robin over the given URLs (a minimal client with the request bytes
//! prepared up front, so the generator takes little CPU from the servers it
//! measures), run for a bounded time; it prints requests/s, p50/p99/max
//! latency over all connections and the error count. Only loopback targets
//! are accepted; at most 256 connections and 120 s.

#[path = "loadgen/mod.rs"]
mod loadgen;

use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Verify,
    Issue,
    Revoke,
}

struct Args {
    urls: Vec<String>,
    mode: Mode,
    common: loadgen::Common,
}

fn parse_args() -> Result<Args, String> {
    let (mut urls, mut mode) = (Vec::new(), Mode::Verify);
    let common = loadgen::parse_common(|flag, v| {
        match flag {
            "--url" => urls.push(v),
            "--mode" => {
                mode = match v.as_str() {
                    "verify" => Mode::Verify,
                    "issue" => Mode::Issue,
                    "revoke" => Mode::Revoke,
                    _ => return Err("--mode: verify, issue or revoke".into()),
                }
            }
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    if urls.is_empty() {
        return Err("give at least one --url".into());
    }
    for url in &urls {
        loadgen::check_loopback(url)?;
    }
    if mode != Mode::Verify && (common.api_key.is_none() || common.identity.is_none()) {
        return Err("--mode issue and revoke need --api-key and --identity".into());
    }
    Ok(Args { urls, mode, common })
}

/// One target: its address and the request bytes for `mode` (for `revoke`
/// the head and body around the passport id, which changes per request).
struct Target {
    addr: std::net::SocketAddr,
    head: String,
    body: Vec<u8>,
}

async fn target(url: &str, a: &Args, token: &str) -> Result<Target, String> {
    let loadgen::Endpoint {
        addr,
        host,
        port,
        base,
    } = loadgen::resolve(url).await?;
    let (path, body) = match a.mode {
        Mode::Verify => (
            "verify",
            serde_json::to_vec(&serde_json::json!({ "passport": token })),
        ),
        Mode::Issue => (
            "issue",
            serde_json::to_vec(
                &serde_json::json!({ "identity": a.common.identity, "ttl_days": 1 }),
            ),
        ),
        Mode::Revoke => ("revoke", Ok(Vec::new())),
    };
    let body = body.map_err(|e| e.to_string())?;
    let auth = match (&a.common.api_key, a.mode) {
        (Some(k), Mode::Issue | Mode::Revoke) => format!("Authorization: Bearer {k}\r\n"),
        _ => String::new(),
    };
    Ok(Target {
        addr,
        head: format!(
            "POST {base}/api/v1/{path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n{auth}"
        ),
        body,
    })
}

impl Target {
    /// The full request; `revoke` gets a passport id unique to this run.
    fn request(&self, mode: Mode, run: &str, conn: usize, n: u64) -> Vec<u8> {
        let body = match mode {
            Mode::Revoke => {
                format!("{{\"passport\":\"p_load_{run}_{conn}_{n}\",\"reason\":\"load test\"}}")
                    .into_bytes()
            }
            _ => self.body.clone(),
        };
        let mut r = format!("{}Content-Length: {}\r\n\r\n", self.head, body.len()).into_bytes();
        r.extend_from_slice(&body);
        r
    }
}

/// One connection's requests: the same bytes every time, except for
/// `revoke`, which revokes a fresh passport id with every request.
struct Fleet {
    target: Arc<Target>,
    mode: Mode,
    run_id: String,
    conn: usize,
    n: u64,
    fixed: Vec<u8>,
    fresh: Vec<u8>,
}

impl loadgen::Requests for Fleet {
    fn next_request(&mut self) -> &[u8] {
        self.n += 1;
        match self.mode {
            Mode::Revoke => {
                self.fresh = self
                    .target
                    .request(self.mode, &self.run_id, self.conn, self.n);
                &self.fresh
            }
            _ => &self.fixed,
        }
    }
}

async fn run(a: Args) -> Result<(), String> {
    let c = &a.common;
    let token = match (c.token.clone(), &c.api_key, &c.identity) {
        (_, _, _) if a.mode != Mode::Verify => String::new(),
        (Some(t), _, _) => t,
        (None, Some(k), Some(id)) => loadgen::issue_passport(&a.urls[0], k, id).await?,
        _ => return Err("give --token-file, or --api-key and --identity".into()),
    };
    let mut targets = Vec::new();
    for url in &a.urls {
        targets.push(Arc::new(target(url, &a, &token).await?));
    }
    let run_id = format!(
        "{}{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or_default()
    );
    let mode = a.mode;
    let connections = (0..c.connections)
        .map(|conn| {
            let target = targets[conn % targets.len()].clone();
            let fixed = target.request(mode, &run_id, conn, 0);
            let requests = Fleet {
                mode,
                run_id: run_id.clone(),
                conn,
                n: 0,
                fixed,
                fresh: Vec::new(),
                target,
            };
            (requests.target.addr, requests)
        })
        .collect();
    let stats = loadgen::drive(connections, c.warmup, c.duration, mode == Mode::Verify).await?;
    let mode = match mode {
        Mode::Verify => "verify",
        Mode::Issue => "issue",
        Mode::Revoke => "revoke",
    };
    stats.report(
        &format!("mode={mode} targets={}", targets.len()),
        c.connections,
        c.duration,
    )
}

fn main() -> ExitCode {
    loadgen::main("registry-fleet-load", parse_args, run)
}
