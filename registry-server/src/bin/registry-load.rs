//! Load generator for `POST /api/v1/verify` against a registry already
//! running on loopback. Starts nothing itself.
//!
//! `registry-load --url http://127.0.0.1:PORT (--token-file F | --api-key K --identity ID
//!  | --mint N --data DIR --issuer URL --identity ID) [--connections 32] [--duration 10] [--warmup 1]`
//!
//! Single-passport mode issues one passport (when given an API key) and
//! verifies it over and over. Distinct mode (`--mint N`, up to 100 000)
//! signs N distinct passports for the identity with the registry's current
//! key, read from its data directory (before the measurement), and draws
//! one uniformly at random for every request, so no cache of any kind can
//! help. Then it drives verifications
//! from N concurrent keep-alive HTTP/1.1 connections (a minimal client with
//! the request bytes prepared once, so the generator takes little CPU from
//! the server it measures) for a bounded time and prints
//! requests/s, p50/p99/max latency and the error count. Only loopback
//! targets are accepted; at most 256 connections and 120 s.

extern crate aiid_registry_server as registry_server;

use registry_client::{ClientConfig, IssueRequest, RegistryClient};
use std::process::ExitCode;
use std::time::{Duration, Instant};

struct Args {
    url: String,
    mint: usize,
    data: Option<String>,
    issuer: Option<String>,
    token: Option<String>,
    api_key: Option<String>,
    identity: Option<String>,
    connections: usize,
    duration: Duration,
    warmup: Duration,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        url: String::new(),
        mint: 0,
        data: None,
        issuer: None,
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
            "--url" => a.url = v,
            "--token-file" => {
                a.token = Some(
                    std::fs::read_to_string(&v)
                        .map_err(|e| format!("{v}: {e}"))?
                        .trim()
                        .to_owned(),
                )
            }
            "--api-key" => a.api_key = Some(v),
            "--mint" => {
                a.mint = v
                    .parse()
                    .ok()
                    .filter(|n| (1..=100_000).contains(n))
                    .ok_or("--mint: 1 to 100000")?
            }
            "--data" => a.data = Some(v),
            "--issuer" => a.issuer = Some(v),
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
    let u = reqwest::Url::parse(&a.url).map_err(|e| format!("--url: {e}"))?;
    let host = u.host_str().unwrap_or_default();
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = host == "localhost"
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if !loopback {
        return Err("--url must be a loopback address (127.0.0.0/8, ::1, localhost)".into());
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

/// Signs `n` distinct passports for `identity` with the current key of the
/// registry's data directory, exactly as `POST /api/v1/issue` would.
fn mint(data: &str, issuer_url: &str, identity: &str, n: usize) -> Result<Vec<String>, String> {
    use passport::{Audience, Claims, Issuer, NumericDate, Operator, Url};
    use registry_server::store::Store as _;
    let store = registry_server::open_data_dir(std::path::Path::new(data))
        .map_err(|e| format!("--data: {e}"))?;
    let key = store
        .signing_keys()
        .map_err(|e| e.to_string())?
        .into_iter()
        .find(|k| k.private_pem.is_some())
        .ok_or("the data directory has no signing key")?;
    let sk = passport::signing_key_from_pem(key.private_pem.as_deref().unwrap_or_default())
        .map_err(|e| e.to_string())?;
    let issuer_url = issuer_url.trim_end_matches('/');
    let iss = Url::new(issuer_url.to_owned()).map_err(|e| format!("--issuer: {e}"))?;
    let issuer = Issuer::new(&sk, key.kid.clone(), iss.clone()).map_err(|e| e.to_string())?;
    let id: passport::IdentityId = identity.parse().map_err(|e| format!("--identity: {e}"))?;
    let rec = store
        .identity(&id)
        .map_err(|e| e.to_string())?
        .ok_or("--identity: no such identity in the data directory")?;
    let now = passport::Clock::now(&passport::SystemClock);
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let claims = Claims::builder()
            .iss(iss.clone())
            .sub(id.clone())
            .aud(Audience::One("verifier".into()))
            .iat(NumericDate::new(now).map_err(|e| e.to_string())?)
            .exp(NumericDate::new(now + 86_400).map_err(|e| e.to_string())?)
            .jti(registry_server::ids::new_jti().map_err(|e| e.to_string())?)
            .tier(rec.tier)
            .operator(Operator::new(rec.operator.clone()).map_err(|e| e.to_string())?)
            .capabilities(rec.capabilities.clone())
            .key_id(key.kid.clone())
            .registry_url(
                Url::new(format!("{issuer_url}/api/v1/whois/{id}")).map_err(|e| e.to_string())?,
            )
            .build()
            .map_err(|e| e.to_string())?;
        out.push(issuer.issue(&claims).map_err(|e| e.to_string())?);
    }
    Ok(out)
}

async fn run(a: Args) -> Result<(), String> {
    let tokens = match (a.mint, a.token.clone(), &a.api_key, &a.identity) {
        (n, _, _, Some(id)) if n > 0 => {
            let data = a.data.as_deref().ok_or("--mint needs --data")?;
            let issuer = a.issuer.as_deref().ok_or("--mint needs --issuer")?;
            mint(data, issuer, id, n)?
        }
        (0, Some(t), _, _) => vec![t],
        (0, None, Some(k), Some(id)) => {
            let c = RegistryClient::new(ClientConfig::new(&a.url).with_api_key(k))
                .map_err(|e| e.to_string())?;
            let id = id.parse().map_err(|e| format!("--identity: {e}"))?;
            vec![
                c.issue(&IssueRequest {
                    identity: id,
                    ttl_days: Some(1),
                    audience: None,
                })
                .await
                .map_err(|e| e.to_string())?
                .passport,
            ]
        }
        _ => {
            return Err(
                "give --token-file, or --api-key and --identity, or --mint N --data DIR --issuer URL --identity ID"
                    .into(),
            )
        }
    };
    let u = reqwest::Url::parse(&a.url).map_err(|e| e.to_string())?;
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
    let path = format!("{}/api/v1/verify", u.path().trim_end_matches('/'));
    let mut requests: Vec<Vec<u8>> = Vec::with_capacity(tokens.len());
    for token in &tokens {
        let body = serde_json::to_vec(&serde_json::json!({ "passport": token }))
            .map_err(|e| e.to_string())?;
        let mut request = format!(
            "POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        request.extend_from_slice(&body);
        requests.push(request);
    }
    let distinct = requests.len();
    let requests: std::sync::Arc<Vec<Vec<u8>>> = std::sync::Arc::new(requests);
    let start = Instant::now();
    let measure_from = start + a.warmup;
    let end = measure_from + a.duration;
    let mut tasks = Vec::new();
    for c in 0..a.connections {
        let requests = requests.clone();
        tasks.push(tokio::spawn(async move {
            // xorshift64*, seeded per connection: uniform draws, no locking.
            let mut rng: u64 = 0x9E37_79B9_7F4A_7C15 ^ (((c as u64) + 1) << 32 | 0xD1B5);
            let mut lat: Vec<u32> = Vec::with_capacity(1 << 16);
            let mut errors = 0u64;
            let mut conn: Option<tokio::net::TcpStream> = None;
            let mut buf = Vec::with_capacity(4096);
            loop {
                let t0 = Instant::now();
                if t0 >= end {
                    break;
                }
                rng ^= rng >> 12;
                rng ^= rng << 25;
                rng ^= rng >> 27;
                let pick =
                    (rng.wrapping_mul(0x2545_F491_4F6C_DD1D) % requests.len() as u64) as usize;
                let r = tokio::time::timeout(
                    Duration::from_secs(10),
                    exchange(&mut conn, addr, &requests[pick], &mut buf),
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
        "passports={distinct} connections={} duration={:.1}s requests={} req/s={:.0} p50={:.2}ms p99={:.2}ms max={:.2}ms errors={}",
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
/// demand). `Ok(true)` for a 200 whose body says `"valid":true`.
async fn exchange(
    conn: &mut Option<tokio::net::TcpStream>,
    addr: std::net::SocketAddr,
    request: &[u8],
    buf: &mut Vec<u8>,
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
    Ok(head.starts_with("http/1.1 200") && find(body, b"\"valid\":true").is_some())
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("registry-load: {e}");
            return ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("registry-load: {e}");
            return ExitCode::from(2);
        }
    };
    match rt.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("registry-load: {e}");
            ExitCode::from(1)
        }
    }
}
