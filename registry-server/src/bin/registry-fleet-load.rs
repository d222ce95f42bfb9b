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

use registry_client::{ClientConfig, IssueRequest, RegistryClient};
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Verify,
    Issue,
    Revoke,
}

struct Args {
    urls: Vec<String>,
    mode: Mode,
    token: Option<String>,
    api_key: Option<String>,
    identity: Option<String>,
    connections: usize,
    duration: Duration,
    warmup: Duration,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        urls: Vec::new(),
        mode: Mode::Verify,
        token: None,
        api_key: None,
        identity: None,
        connections: 32,
        duration: Duration::from_secs(10),
        warmup: Duration::from_secs(1),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let secs = |v: &str| {
            v.parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && *s >= 0.0 && *s <= 120.0)
                .map(Duration::from_secs_f64)
                .ok_or_else(|| format!("{flag}: seconds from 0 to 120"))
        };
        match flag.as_str() {
            "--url" => a.urls.push(v),
            "--mode" => {
                a.mode = match v.as_str() {
                    "verify" => Mode::Verify,
                    "issue" => Mode::Issue,
                    "revoke" => Mode::Revoke,
                    _ => return Err("--mode: verify, issue or revoke".into()),
                }
            }
            "--token-file" => {
                a.token = Some(
                    std::fs::read_to_string(&v)
                        .map_err(|e| format!("{v}: {e}"))?
                        .trim()
                        .to_owned(),
                )
            }
            "--api-key" => a.api_key = Some(v),
            "--identity" => a.identity = Some(v),
            "--connections" => {
                a.connections = v
                    .parse()
                    .ok()
                    .filter(|n| (1..=256).contains(n))
                    .ok_or("--connections: 1 to 256")?
            }
            "--duration" => a.duration = secs(&v)?,
            "--warmup" => a.warmup = secs(&v)?,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if a.urls.is_empty() {
        return Err("give at least one --url".into());
    }
    for url in &a.urls {
        let u = reqwest::Url::parse(url).map_err(|e| format!("--url: {e}"))?;
        let host = u.host_str().unwrap_or_default();
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let loopback = host == "localhost"
            || bare
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if !loopback {
            return Err("--url must be a loopback address (127.0.0.0/8, ::1, localhost)".into());
        }
    }
    if a.mode != Mode::Verify && (a.api_key.is_none() || a.identity.is_none()) {
        return Err("--mode issue and revoke need --api-key and --identity".into());
    }
    Ok(a)
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p / 100.0 * (sorted.len() - 1) as f64).round() as usize;
    f64::from(sorted[rank.min(sorted.len() - 1)]) / 1000.0
}

/// One target: its address and the request bytes for `mode` (for `revoke`
/// the head and body around the passport id, which changes per request).
struct Target {
    addr: std::net::SocketAddr,
    head: String,
    body: Vec<u8>,
}

async fn target(url: &str, a: &Args, token: &str) -> Result<Target, String> {
    let u = reqwest::Url::parse(url).map_err(|e| e.to_string())?;
    let host = u.host_str().unwrap_or_default().to_owned();
    let port = u.port_or_known_default().unwrap_or(80);
    let lookup = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let addr = tokio::net::lookup_host((lookup.as_str(), port))
        .await
        .map_err(|e| format!("resolving {host}: {e}"))?
        .find(|s| s.ip().is_loopback())
        .ok_or("the URL does not resolve to a loopback address")?;
    let base = u.path().trim_end_matches('/');
    let (path, body) = match a.mode {
        Mode::Verify => (
            "verify",
            serde_json::to_vec(&serde_json::json!({ "passport": token })),
        ),
        Mode::Issue => (
            "issue",
            serde_json::to_vec(&serde_json::json!({ "identity": a.identity, "ttl_days": 1 })),
        ),
        Mode::Revoke => ("revoke", Ok(Vec::new())),
    };
    let body = body.map_err(|e| e.to_string())?;
    let auth = match (&a.api_key, a.mode) {
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

async fn run(a: Args) -> Result<(), String> {
    let token = match (a.token.clone(), &a.api_key, &a.identity) {
        (_, _, _) if a.mode != Mode::Verify => String::new(),
        (Some(t), _, _) => t,
        (None, Some(k), Some(id)) => {
            let c = RegistryClient::new(ClientConfig::new(&a.urls[0]).with_api_key(k))
                .map_err(|e| e.to_string())?;
            let id = id.parse().map_err(|e| format!("--identity: {e}"))?;
            c.issue(&IssueRequest {
                identity: id,
                ttl_days: Some(1),
                audience: None,
            })
            .await
            .map_err(|e| e.to_string())?
            .passport
        }
        _ => return Err("give --token-file, or --api-key and --identity".into()),
    };
    let mut targets = Vec::new();
    for url in &a.urls {
        targets.push(std::sync::Arc::new(target(url, &a, &token).await?));
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
    let start = Instant::now();
    let measure_from = start + a.warmup;
    let end = measure_from + a.duration;
    let mut tasks = Vec::new();
    for c in 0..a.connections {
        let t = targets[c % targets.len()].clone();
        let addr = t.addr;
        let run_id = run_id.clone();
        let fixed: std::sync::Arc<[u8]> = t.request(mode, &run_id, c, 0).into();
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            let mut lat: Vec<u32> = Vec::with_capacity(1 << 16);
            let mut errors = 0u64;
            let mut conn: Option<tokio::net::TcpStream> = None;
            let mut buf = Vec::with_capacity(4096);
            loop {
                let t0 = Instant::now();
                if t0 >= end {
                    break;
                }
                n += 1;
                let fresh;
                let request: &[u8] = match mode {
                    Mode::Revoke => {
                        fresh = t.request(mode, &run_id, c, n);
                        &fresh
                    }
                    _ => &fixed,
                };
                let r = tokio::time::timeout(
                    Duration::from_secs(10),
                    exchange(&mut conn, addr, request, &mut buf, mode == Mode::Verify),
                )
                .await;
                let ok = matches!(r, Ok(Ok(true)));
                if !matches!(r, Ok(Ok(_))) {
                    conn = None;
                }
                let t1 = Instant::now();
                if t0 >= measure_from {
                    lat.push(u32::try_from(t1.duration_since(t0).as_micros()).unwrap_or(u32::MAX));
                    if !ok {
                        errors += 1;
                    }
                }
            }
            (lat, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (lat, e) = t.await.map_err(|e| e.to_string())?;
        all.extend(lat);
        errors += e;
    }
    all.sort_unstable();
    let secs = a.duration.as_secs_f64();
    println!(
        "mode={} targets={} connections={} duration={:.1}s requests={} req/s={:.0} p50={:.2}ms p99={:.2}ms max={:.2}ms errors={}",
        match mode {
            Mode::Verify => "verify",
            Mode::Issue => "issue",
            Mode::Revoke => "revoke",
        },
        targets.len(),
        a.connections,
        secs,
        all.len(),
        all.len() as f64 / secs,
        percentile(&all, 50.0),
        percentile(&all, 99.0),
        percentile(&all, 100.0),
        errors
    );
    if errors > 0 {
        return Err(format!("{errors} error responses"));
    }
    Ok(())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// One request/response on a keep-alive HTTP/1.1 connection (opened on
/// demand). `Ok(true)` for a 200 (whose body says `"valid":true` when
/// `need_valid`).
async fn exchange(
    conn: &mut Option<tokio::net::TcpStream>,
    addr: std::net::SocketAddr,
    request: &[u8],
    buf: &mut Vec<u8>,
    need_valid: bool,
) -> std::io::Result<bool> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_owned());
    let stream = match conn {
        Some(s) => s,
        None => {
            let s = tokio::net::TcpStream::connect(addr).await?;
            s.set_nodelay(true)?;
            conn.insert(s)
        }
    };
    stream.write_all(request).await?;
    buf.clear();
    let head_end = loop {
        if let Some(p) = find(buf, b"\r\n\r\n") {
            break p + 4;
        }
        if buf.len() > 64 * 1024 || stream.read_buf(buf).await? == 0 {
            return Err(bad("connection closed or header too long"));
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| bad("no content-length"))?;
    if len > 1024 * 1024 {
        return Err(bad("body too large"));
    }
    while buf.len() < head_end + len {
        if stream.read_buf(buf).await? == 0 {
            return Err(bad("connection closed in the body"));
        }
    }
    if head.contains("\r\nconnection: close") {
        *conn = None;
    }
    let body = &buf[head_end..head_end + len];
    Ok(
        head.starts_with("http/1.1 200")
            && (!need_valid || find(body, b"\"valid\":true").is_some()),
    )
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("registry-fleet-load: {e}");
            return ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("registry-fleet-load: {e}");
            return ExitCode::from(2);
        }
    };
    match rt.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("registry-fleet-load: {e}");
            ExitCode::from(1)
        }
    }
}
