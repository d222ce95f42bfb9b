//! Code shared by the load generators `registry-load` and
//! `registry-fleet-load`: argument helpers, the loopback-only URL check, a
//! minimal keep-alive HTTP/1.1 client, the connection loop and the latency
//! report. Each binary includes it with `#[path = "loadgen/mod.rs"] mod loadgen;`.

use registry_client::{ClientConfig, IssueRequest, RegistryClient};
use std::future::Future;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// The flags both generators accept.
pub(crate) struct Common {
    /// `--token-file`: the passport read from that file, trimmed.
    pub(crate) token: Option<String>,
    /// `--api-key`.
    pub(crate) api_key: Option<String>,
    /// `--identity`.
    pub(crate) identity: Option<String>,
    /// `--connections`, 1 to 256 (default 32).
    pub(crate) connections: usize,
    /// `--duration` of the measurement, 0 to 120 s (default 10).
    pub(crate) duration: Duration,
    /// `--warmup` before the measurement, 0 to 120 s (default 1).
    pub(crate) warmup: Duration,
}

/// Parses the command line as `--flag value` pairs: the flags of [`Common`]
/// here, every other one through `extra`, which answers whether it knew it.
pub(crate) fn parse_common(
    mut extra: impl FnMut(&str, String) -> Result<bool, String>,
) -> Result<Common, String> {
    let mut a = Common {
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
            other => {
                if !extra(other, v)? {
                    return Err(format!("unknown argument {other}"));
                }
            }
        }
    }
    Ok(a)
}

/// Accepts `url` only when its host is a loopback address or `localhost`.
pub(crate) fn check_loopback(url: &str) -> Result<(), String> {
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
    Ok(())
}

/// Issues one passport for `identity` over HTTP with the API key `key`.
pub(crate) async fn issue_passport(url: &str, key: &str, identity: &str) -> Result<String, String> {
    let c =
        RegistryClient::new(ClientConfig::new(url).with_api_key(key)).map_err(|e| e.to_string())?;
    let id = identity.parse().map_err(|e| format!("--identity: {e}"))?;
    Ok(c.issue(&IssueRequest {
        identity: id,
        ttl_days: Some(1),
        audience: None,
    })
    .await
    .map_err(|e| e.to_string())?
    .passport)
}

/// Where a registry URL points: its loopback socket address and the parts
/// the request head needs.
pub(crate) struct Endpoint {
    /// The resolved loopback address.
    pub(crate) addr: SocketAddr,
    /// The host as written in the URL (brackets kept for IPv6).
    pub(crate) host: String,
    /// The port (the scheme's default when the URL gives none).
    pub(crate) port: u16,
    /// The URL's path without its trailing `/`, prefixed to `/api/v1/…`.
    pub(crate) base: String,
}

/// Resolves `url` to a loopback [`Endpoint`].
pub(crate) async fn resolve(url: &str) -> Result<Endpoint, String> {
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
    Ok(Endpoint {
        addr,
        base: u.path().trim_end_matches('/').to_owned(),
        host,
        port,
    })
}

/// The requests one connection sends, one after the other.
pub(crate) trait Requests: Send + 'static {
    /// The bytes of the next request (head and body).
    fn next_request(&mut self) -> &[u8];
}

/// Latencies (µs, sorted) and error count of a whole run.
pub(crate) struct Stats {
    /// Latency of every measured request in microseconds, ascending.
    pub(crate) latencies: Vec<u32>,
    /// Measured requests that failed or were not answered as expected.
    pub(crate) errors: u64,
}

/// Drives every connection (its target address and its requests) for
/// `warmup` then `duration`, each request bounded by 10 s; only requests
/// started after the warm-up are measured. A request succeeds on a 200
/// whose body says `"valid":true` when `need_valid`.
pub(crate) async fn drive<R: Requests>(
    connections: Vec<(SocketAddr, R)>,
    warmup: Duration,
    duration: Duration,
    need_valid: bool,
) -> Result<Stats, String> {
    let start = Instant::now();
    let measure_from = start + warmup;
    let end = measure_from + duration;
    let mut tasks = Vec::new();
    for (addr, mut requests) in connections {
        tasks.push(tokio::spawn(async move {
            let mut lat: Vec<u32> = Vec::with_capacity(1 << 16);
            let mut errors = 0u64;
            let mut conn: Option<tokio::net::TcpStream> = None;
            let mut buf = Vec::with_capacity(4096);
            loop {
                let t0 = Instant::now();
                if t0 >= end {
                    break;
                }
                let request = requests.next_request();
                let r = tokio::time::timeout(
                    Duration::from_secs(10),
                    exchange(&mut conn, addr, request, &mut buf, need_valid),
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
    Ok(Stats {
        latencies: all,
        errors,
    })
}

impl Stats {
    /// Prints `PREFIX connections=… duration=…s requests=… req/s=… p50=…ms
    /// p99=…ms max=…ms errors=…` on one line; an error when any request failed.
    pub(crate) fn report(
        &self,
        prefix: &str,
        connections: usize,
        duration: Duration,
    ) -> Result<(), String> {
        let all = &self.latencies;
        let secs = duration.as_secs_f64();
        println!(
            "{prefix} connections={} duration={:.1}s requests={} req/s={:.0} p50={:.2}ms p99={:.2}ms max={:.2}ms errors={}",
            connections,
            secs,
            all.len(),
            all.len() as f64 / secs,
            percentile(all, 50.0),
            percentile(all, 99.0),
            percentile(all, 100.0),
            self.errors
        );
        if self.errors > 0 {
            return Err(format!("{} error responses", self.errors));
        }
        Ok(())
    }
}

/// The `p`th percentile of ascending microseconds, in milliseconds.
fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p / 100.0 * (sorted.len() - 1) as f64).round() as usize;
    f64::from(sorted[rank.min(sorted.len() - 1)]) / 1000.0
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// One request/response on a keep-alive HTTP/1.1 connection (opened on
/// demand). `Ok(true)` for a 200 (whose body says `"valid":true` when
/// `need_valid`).
async fn exchange(
    conn: &mut Option<tokio::net::TcpStream>,
    addr: SocketAddr,
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

/// The `main` of a generator named `name`: parse (exit 2 on a usage
/// error), run on a current-thread runtime (exit 1 on failure, the message
/// on stderr prefixed with `name`).
pub(crate) fn main<A, F>(
    name: &str,
    parse: impl FnOnce() -> Result<A, String>,
    run: impl FnOnce(A) -> F,
) -> ExitCode
where
    F: Future<Output = Result<(), String>>,
{
    let args = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{name}: {e}");
            return ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{name}: {e}");
            return ExitCode::from(2);
        }
    };
    match rt.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name}: {e}");
            ExitCode::from(1)
        }
    }
}
