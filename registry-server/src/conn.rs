//! The accept loop and per-connection handling: a cap on concurrent
//! connections with a per-client-address share, HTTP/1.1 through hyper with
//! a header-read timeout and a header size limit, a keep-alive idle
//! timeout, JSON error bodies for the answers hyper writes by itself (400,
//! 414, 431), and graceful shutdown with a deadline.

use crate::ratelimit::{client_key, IpNet};
use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper::Request;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tower::ServiceExt as _;

/// Connection limits and timeouts (see `spec/registry.md` §6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnLimits {
    /// Time allowed for a complete request head (request line and
    /// headers), counted from the connection's start or the end of the
    /// previous response. Default 10 s.
    pub header_read_timeout: Duration,
    /// Time allowed for a complete request body once the handler starts
    /// reading it; 408 and the connection is closed. Default 10 s.
    pub body_read_timeout: Duration,
    /// A connection with no request in progress and no bytes moving for this
    /// long is closed. Default 5 s.
    pub idle_timeout: Duration,
    /// Concurrent connections at most (kept below the open-file limit).
    /// Default 4096.
    pub max_connections: usize,
    /// Concurrent connections per client address (IPv4 address or IPv6
    /// /64); trusted proxies are exempt. Default 64.
    pub max_connections_per_ip: usize,
    /// Request head size limit in bytes (at least 8192); 431 above it.
    /// Default 16 384.
    pub max_header_bytes: usize,
    /// Proxies whose `X-Forwarded-For` is believed (off when empty, the
    /// default).
    pub trusted_proxies: Vec<IpNet>,
}

impl Default for ConnLimits {
    fn default() -> Self {
        ConnLimits {
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(5),
            max_connections: 4096,
            max_connections_per_ip: 64,
            max_header_bytes: 16 * 1024,
            trusted_proxies: Vec::new(),
        }
    }
}

/// Counts open connections, in total and per client address.
#[derive(Debug, Default)]
struct Tracker {
    inner: Mutex<(usize, HashMap<IpAddr, usize>)>,
}

/// One admitted connection; released when dropped.
#[derive(Debug)]
struct Slot {
    tracker: Arc<Tracker>,
    key: Option<IpAddr>,
}

impl Tracker {
    fn admit(
        self: &Arc<Self>,
        key: Option<IpAddr>,
        max: usize,
        per_ip: usize,
    ) -> Result<Slot, &'static str> {
        let mut g = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if g.0 >= max {
            return Err("the server has too many open connections");
        }
        if let Some(k) = key {
            let n = g.1.entry(k).or_insert(0);
            if *n >= per_ip {
                return Err("too many open connections from this address");
            }
            *n += 1;
        }
        g.0 += 1;
        Ok(Slot {
            tracker: self.clone(),
            key,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut g = self
            .tracker
            .inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        g.0 = g.0.saturating_sub(1);
        if let Some(k) = self.key {
            if let Some(n) = g.1.get_mut(&k) {
                *n -= 1;
                if *n == 0 {
                    g.1.remove(&k);
                }
            }
        }
    }
}

/// Activity of one connection: the last time bytes moved and the number of
/// requests being handled.
#[derive(Debug)]
struct Activity {
    epoch: Instant,
    last_ms: AtomicU64,
    in_flight: AtomicUsize,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            epoch: Instant::now(),
            last_ms: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
        }
    }
    fn touch(&self) {
        let ms = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }
    /// Resolves once the connection has been idle for `idle`.
    async fn idle_for(&self, idle: Duration) {
        loop {
            let last = self.epoch + Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
            let due = last + idle;
            if Instant::now() >= due && self.in_flight.load(Ordering::Relaxed) == 0 {
                return;
            }
            let wake = due.max(Instant::now() + Duration::from_millis(50));
            tokio::time::sleep_until(wake.into()).await;
        }
    }
}

struct InFlight(Arc<Activity>);

impl InFlight {
    fn new(a: &Arc<Activity>) -> InFlight {
        a.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(a.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.0.touch();
    }
}

/// The socket as hyper sees it: records activity, and replaces the
/// body-less error answers hyper writes on its own (unparsable request 400,
/// URI too long 414, head too large 431) with the JSON error shape.
struct GuardedIo {
    inner: TcpStream,
    activity: Arc<Activity>,
    pending: Vec<u8>,
    max_header_bytes: usize,
}

impl GuardedIo {
    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.pending.is_empty() {
            match Pin::new(&mut self.inner).poll_write(cx, &self.pending) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => {
                    self.pending.drain(..n);
                    self.activity.touch();
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }
}

/// A JSON replacement for an automatic hyper error answer at the start of
/// `buf`, or `None` when `buf` is not one.
fn rewrite_auto_error(buf: &[u8], max_header_bytes: usize) -> Option<Vec<u8>> {
    let head_end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = std::str::from_utf8(&buf[..head_end]).ok()?;
    let rest = head
        .strip_prefix("HTTP/1.1 ")
        .or_else(|| head.strip_prefix("HTTP/1.0 "))?;
    let status = rest.get(..3)?;
    let lower = head.to_ascii_lowercase();
    if !lower.contains("\r\ncontent-length: 0\r\n") || lower.contains("\r\ncontent-type:") {
        return None;
    }
    let (reason, code, message) = match status {
        "400" => (
            "Bad Request",
            "bad_request",
            "the request is not valid HTTP/1.1".to_owned(),
        ),
        "414" => (
            "URI Too Long",
            "uri_too_long",
            format!("the request head is limited to {max_header_bytes} bytes"),
        ),
        "431" => (
            "Request Header Fields Too Large",
            "header_too_large",
            format!(
                "the request head is limited to {max_header_bytes} bytes and 100 header fields"
            ),
        ),
        _ => return None,
    };
    let body = serde_json::json!({"error": code, "message": message}).to_string();
    let mut out = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(&buf[head_end..]);
    Some(out)
}

impl AsyncRead for GuardedIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        r
    }
}

impl AsyncWrite for GuardedIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        match this.drain(cx) {
            Poll::Ready(Ok(())) => {}
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Pending => return Poll::Pending,
        }
        if let Some(replacement) = rewrite_auto_error(buf, this.max_header_bytes) {
            this.pending = replacement;
            if let Poll::Ready(Err(e)) = this.drain(cx) {
                return Poll::Ready(Err(e));
            }
            return Poll::Ready(Ok(buf.len()));
        }
        let r = Pin::new(&mut this.inner).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            this.activity.touch();
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.drain(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut self.inner).poll_flush(cx),
            other => other,
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.drain(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut self.inner).poll_shutdown(cx),
            other => other,
        }
    }
}

/// The client-address key a TCP peer is counted under for the per-address
/// connection share; `None` (exempt) for a trusted proxy.
fn share_key(peer: IpAddr, limits: &ConnLimits) -> Option<IpAddr> {
    if limits.trusted_proxies.iter().any(|n| n.contains(peer)) {
        None
    } else {
        Some(client_key(peer))
    }
}

/// Refuses a connection over the cap with a short 503 (best effort, never
/// waits for the peer).
fn refuse(stream: &TcpStream, why: &str) {
    let body = serde_json::json!({"error": "too_many_connections", "message": why}).to_string();
    let msg = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.try_write(msg.as_bytes());
}

/// Accepts connections until `stop` turns true, then stops accepting, lets
/// open connections finish their in-flight requests (idle ones are closed)
/// for at most `deadline`, and closes whatever is left.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Arc<ConnLimits>,
    mut stop: watch::Receiver<bool>,
    deadline: Duration,
) -> io::Result<()> {
    let tracker = Arc::new(Tracker::default());
    let (grace_tx, grace_rx) = watch::channel(false);
    let mut conns = JoinSet::new();
    let mut last_accept_error: Option<Instant> = None;
    loop {
        tokio::select! {
            biased;
            () = async { let _ = stop.wait_for(|s| *s).await; } => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            r = listener.accept() => match r {
                Ok((stream, peer)) => {
                    let key = share_key(peer.ip(), &limits);
                    let slot = match tracker.admit(key, limits.max_connections, limits.max_connections_per_ip) {
                        Ok(s) => s,
                        Err(why) => {
                            refuse(&stream, why);
                            continue;
                        }
                    };
                    let _ = stream.set_nodelay(true);
                    conns.spawn(connection(stream, peer, router.clone(), limits.clone(), grace_rx.clone(), slot));
                }
                Err(e) => {
                    // Out of file descriptors or a transient error: log at
                    // most once a second and back off instead of spinning.
                    if last_accept_error.is_none_or(|t| t.elapsed() >= Duration::from_secs(1)) {
                        eprintln!("aiid registry: accept failed: {e}");
                        last_accept_error = Some(Instant::now());
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }
    }
    drop(listener);
    let _ = grace_tx.send(true);
    let drain = async { while conns.join_next().await.is_some() {} };
    if tokio::time::timeout(deadline, drain).await.is_err() {
        eprintln!(
            "aiid registry: shutdown deadline of {} s passed; closing {} connection(s)",
            deadline.as_secs_f64(),
            conns.len()
        );
        conns.abort_all();
        while conns.join_next().await.is_some() {}
    }
    Ok(())
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    limits: Arc<ConnLimits>,
    mut grace: watch::Receiver<bool>,
    _slot: Slot,
) {
    let activity = Arc::new(Activity::new());
    activity.touch();
    let io = GuardedIo {
        inner: stream,
        activity: activity.clone(),
        pending: Vec::new(),
        max_header_bytes: limits.max_header_bytes,
    };
    let act = activity.clone();
    let svc = hyper::service::service_fn(move |mut req: Request<Incoming>| {
        let guard = InFlight::new(&act);
        req.extensions_mut().insert(ConnectInfo(peer));
        let router = router.clone();
        async move {
            let r = router.oneshot(req).await;
            drop(guard);
            r
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(limits.max_header_bytes.max(8192))
        .keep_alive(true);
    let conn = builder.serve_connection(TokioIo::new(io), svc);
    let mut conn: Pin<Box<dyn ConnFuture>> = Box::pin(conn);
    let mut graceful = false;
    let idle = activity.idle_for(limits.idle_timeout);
    tokio::pin!(idle);
    loop {
        tokio::select! {
            _ = conn.as_mut() => break,
            () = async { let _ = grace.wait_for(|g| *g).await; }, if !graceful => {
                graceful = true;
                conn.as_mut().shutdown_gracefully();
            }
            () = &mut idle => break,
        }
    }
}

/// A hyper connection future that can be told to shut down gracefully.
trait ConnFuture: Future<Output = Result<(), hyper::Error>> + Send {
    fn shutdown_gracefully(self: Pin<&mut Self>);
}

impl<S> ConnFuture for hyper::server::conn::http1::Connection<TokioIo<GuardedIo>, S>
where
    S: hyper::service::HttpService<Incoming, ResBody = axum::body::Body> + Send,
    S::Future: Send,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    fn shutdown_gracefully(self: Pin<&mut Self>) {
        self.graceful_shutdown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hyper_error_answers_become_json() {
        let auto =
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        let out = String::from_utf8(rewrite_auto_error(auto, 16384).unwrap()).unwrap();
        assert!(out.starts_with("HTTP/1.1 431 "), "{out}");
        assert!(out.contains("content-type: application/json"));
        assert!(out.ends_with(r#""error":"header_too_large","message":"the request head is limited to 16384 bytes and 100 header fields"}"#) || out.contains("header_too_large"));
        // Our own answers (with a content type) pass through untouched.
        let ours = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 0\r\n\r\n";
        assert!(rewrite_auto_error(ours, 16384).is_none());
        assert!(rewrite_auto_error(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n", 1).is_none());
        assert!(rewrite_auto_error(b"HTTP/1.1 431 partial", 1).is_none());
    }

    #[test]
    fn connection_share_per_address_and_total() {
        let t = Arc::new(Tracker::default());
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let s1 = t.admit(Some(a), 3, 2).unwrap();
        let _s2 = t.admit(Some(a), 3, 2).unwrap();
        assert!(t.admit(Some(a), 3, 2).is_err());
        let _s3 = t.admit(Some(b), 3, 2).unwrap();
        assert!(t.admit(None, 3, 2).is_err());
        drop(s1);
        let _s4 = t.admit(Some(a), 3, 2).unwrap();
    }
}
