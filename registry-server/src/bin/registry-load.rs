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

#[path = "loadgen/mod.rs"]
mod loadgen;

use std::process::ExitCode;
use std::sync::Arc;

struct Args {
    url: String,
    mint: usize,
    data: Option<String>,
    issuer: Option<String>,
    common: loadgen::Common,
}

fn parse_args() -> Result<Args, String> {
    let (mut url, mut mint, mut data, mut issuer) = (String::new(), 0, None, None);
    let common = loadgen::parse_common(|flag, v| {
        match flag {
            "--url" => url = v,
            "--mint" => {
                mint = v
                    .parse()
                    .ok()
                    .filter(|n| (1..=100_000).contains(n))
                    .ok_or("--mint: 1 to 100000")?
            }
            "--data" => data = Some(v),
            "--issuer" => issuer = Some(v),
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    loadgen::check_loopback(&url)?;
    Ok(Args {
        url,
        mint,
        data,
        issuer,
        common,
    })
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

/// One connection's requests: a verification of a passport drawn uniformly
/// at random from the prepared ones for every request.
struct Random {
    requests: Arc<Vec<Vec<u8>>>,
    /// xorshift64* state, seeded per connection: uniform draws, no locking.
    rng: u64,
}

impl loadgen::Requests for Random {
    fn next_request(&mut self) -> &[u8] {
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        let pick =
            (self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D) % self.requests.len() as u64) as usize;
        &self.requests[pick]
    }
}

async fn run(a: Args) -> Result<(), String> {
    let c = &a.common;
    let tokens = match (a.mint, c.token.clone(), &c.api_key, &c.identity) {
        (n, _, _, Some(id)) if n > 0 => {
            let data = a.data.as_deref().ok_or("--mint needs --data")?;
            let issuer = a.issuer.as_deref().ok_or("--mint needs --issuer")?;
            mint(data, issuer, id, n)?
        }
        (0, Some(t), _, _) => vec![t],
        (0, None, Some(k), Some(id)) => vec![loadgen::issue_passport(&a.url, k, id).await?],
        _ => {
            return Err(
                "give --token-file, or --api-key and --identity, or --mint N --data DIR --issuer URL --identity ID"
                    .into(),
            )
        }
    };
    let loadgen::Endpoint {
        addr,
        host,
        port,
        base,
    } = loadgen::resolve(&a.url).await?;
    let path = format!("{base}/api/v1/verify");
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
    let requests = Arc::new(requests);
    let connections = (0..c.connections)
        .map(|i| {
            let rng = 0x9E37_79B9_7F4A_7C15 ^ (((i as u64) + 1) << 32 | 0xD1B5);
            let requests = requests.clone();
            (addr, Random { requests, rng })
        })
        .collect();
    let stats = loadgen::drive(connections, c.warmup, c.duration, true).await?;
    stats.report(&format!("passports={distinct}"), c.connections, c.duration)
}

fn main() -> ExitCode {
    loadgen::main("registry-load", parse_args, run)
}
