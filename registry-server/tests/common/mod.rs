//! Test helpers: a registry on loopback port 0 in its own runtime, and a raw
//! HTTP/1.1 caller for requests the typed client would never send.
#![allow(dead_code)]

use registry_server::store::Store;
use registry_server::{admin, RateLimits, RunningServer, ServerConfig};
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

pub(crate) struct TestServer {
    pub rt: tokio::runtime::Runtime,
    pub server: Option<RunningServer>,
    pub url: String,
    pub addr: SocketAddr,
}

impl TestServer {
    pub(crate) fn start(dir: &Path, limits: RateLimits) -> TestServer {
        let mut cfg = ServerConfig::new(dir);
        cfg.rate_limits = limits;
        TestServer::start_with(cfg)
    }

    /// Starts with a full configuration (the revocation poll is 100 ms).
    pub(crate) fn start_with(mut cfg: ServerConfig) -> TestServer {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        cfg.revocation_poll = Duration::from_millis(100);
        let server = rt.block_on(async {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            registry_server::start(l, cfg).await.unwrap()
        });
        TestServer {
            url: server.url(),
            addr: server.addr(),
            server: Some(server),
            rt,
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(s) = self.server.take() {
            let _ = self.rt.block_on(s.shutdown());
        }
    }
}

pub(crate) struct Fixture {
    pub store: Arc<registry_server::store::SqliteStore>,
    pub id: passport::IdentityId,
    pub key: String,
}

/// Creates the data dir, one identity and an API key with both scopes.
pub(crate) fn fixture(dir: &Path, surfaces: &[&str]) -> Fixture {
    let store = registry_server::open_data_dir(dir).unwrap();
    let surfaces: Vec<passport::Surface> = surfaces.iter().map(|s| s.parse().unwrap()).collect();
    let rec = admin::create_identity(
        store.as_ref() as &dyn Store,
        &"Acme Corp Ltd.".parse().unwrap(),
        passport::Tier::CreatorVerified,
        &surfaces,
        &["customer-support".parse().unwrap()],
    )
    .unwrap();
    let key = admin::create_api_key(
        store.as_ref(),
        "acme",
        &["passport:issue".into(), "identity:revoke".into()],
    )
    .unwrap();
    Fixture {
        store,
        id: rec.id,
        key,
    }
}

pub(crate) struct RawResponse {
    pub status: u16,
    pub headers: String,
    pub body: String,
}

impl RawResponse {
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
    pub(crate) fn header(&self, name: &str) -> Option<String> {
        self.headers.lines().find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    }
}

/// One HTTP/1.1 request with `Connection: close`; reads the whole answer.
pub(crate) fn raw(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> RawResponse {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (n, v) in headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let _ = s.write_all(body);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    RawResponse {
        status,
        headers: head.to_owned(),
        body: body.to_owned(),
    }
}
