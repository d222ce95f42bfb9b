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

/// The open connections, in total and per client address. When a cap is
/// reached, the connection that has been quiet longest among those with no
/// request in progress (idle keep-alive, slow or silent clients) is closed
/// to make room, so a new client always gets in while any connection is
/// merely being held; only when every connection is busy is the newcomer
/// refused (503).
#[derive(Debug)]
struct Tracker {
    epoch: Instant,
    inner: Mutex<TrackerInner>,
}

#[derive(Debug, Default)]
struct TrackerInner {
    next_id: u64,
    conns: HashMap<u64, Entry>,
    per_ip: HashMap<IpAddr, usize>,
}

#[derive(Debug)]
struct Entry {
    key: Option<IpAddr>,
    activity: Arc<Activity>,
    evict: Arc<tokio::sync::Notify>,
}

/// One admitted connection; released when dropped.
#[derive(Debug)]
struct Slot {
    tracker: Arc<Tracker>,
    id: u64,
}

impl TrackerInner {
    fn remove(&mut self, id: u64) -> Option<Entry> {
        let e = self.conns.remove(&id)?;
        if let Some(k) = e.key {
            if let Some(n) = self.per_ip.get_mut(&k) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    self.per_ip.remove(&k);
                }
            }
        }
        Some(e)
    }

    /// Closes the quietest connection without a request in progress
    /// (restricted to one client address when `key` is given).
    fn evict_one(&mut self, key: Option<IpAddr>) -> bool {
        let victim = self
            .conns
            .iter()
            .filter(|(_, e)| key.is_none() || e.key == key)
            .filter(|(_, e)| e.activity.in_flight.load(Ordering::Relaxed) == 0)
            .min_by_key(|(_, e)| e.activity.last_ms.load(Ordering::Relaxed))
            .map(|(id, _)| *id);
        match victim.and_then(|id| self.remove(id)) {
            Some(e) => {
                e.evict.notify_one();
                true
            }
            None => false,
        }
    }
}

impl Tracker {
    fn new() -> Tracker {
        Tracker {
            epoch: Instant::now(),
            inner: Mutex::new(TrackerInner::default()),
        }
    }

    fn admit(
        self: &Arc<Self>,
        key: Option<IpAddr>,
        max: usize,
        per_ip: usize,
    ) -> Result<(Slot, Arc<Activity>, Arc<tokio::sync::Notify>), &'static str> {
        let mut g = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(k) = key {
            if g.per_ip.get(&k).copied().unwrap_or(0) >= per_ip && !g.evict_one(Some(k)) {
                return Err("too many busy connections from this address");
            }
        }
        if g.conns.len() >= max && !g.evict_one(None) {
            return Err("the server has too many busy connections");
        }
        let id = g.next_id;
        g.next_id += 1;
        let activity = Arc::new(Activity::new(self.epoch));
        let evict = Arc::new(tokio::sync::Notify::new());
        if let Some(k) = key {
            *g.per_ip.entry(k).or_insert(0) += 1;
        }
        g.conns.insert(
            id,
            Entry {
                key,
                activity: activity.clone(),
                evict: evict.clone(),
            },
        );
        Ok((
            Slot {
                tracker: self.clone(),
                id,
            },
            activity,
            evict,
        ))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.tracker
            .inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(self.id);
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
    fn new(epoch: Instant) -> Activity {
        let a = Activity {
            epoch,
            last_ms: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
        };
        a.touch();
        a
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
    // Cheap test first: every answer passes through here.
    if !buf.starts_with(b"HTTP/1.") || !matches!(buf.get(9..12), Some(b"400" | b"414" | b"431")) {
        return None;
    }
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
    let tracker = Arc::new(Tracker::new());
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
                    let admitted = match tracker.admit(key, limits.max_connections, limits.max_connections_per_ip) {
                        Ok(a) => a,
                        Err(why) => {
                            refuse(&stream, why);
                            continue;
                        }
                    };
                    let _ = stream.set_nodelay(true);
                    conns.spawn(connection(stream, peer, router.clone(), limits.clone(), grace_rx.clone(), admitted));
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
    (_slot, activity, evict): (Slot, Arc<Activity>, Arc<tokio::sync::Notify>),
) {
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
            () = evict.notified() => break,
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
        let t = Arc::new(Tracker::new());
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let busy = |x: &(Slot, Arc<Activity>, Arc<tokio::sync::Notify>)| {
            x.1.in_flight.fetch_add(1, Ordering::Relaxed);
        };
        let a1 = t.admit(Some(a), 3, 2).unwrap();
        let a2 = t.admit(Some(a), 3, 2).unwrap();
        busy(&a1);
        busy(&a2);
        // The address's share is full of busy connections: refused.
        assert!(t.admit(Some(a), 3, 2).is_err());
        let b1 = t.admit(Some(b), 3, 2).unwrap();
        busy(&b1);
        // Total cap full of busy connections: refused, also for exempt peers.
        assert!(t.admit(None, 3, 2).is_err());
        drop(a1);
        let a3 = t.admit(Some(a), 3, 2).unwrap();
        // a3 is idle: a newcomer from the same address evicts it.
        let a4 = t.admit(Some(a), 3, 2).unwrap();
        assert!(
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(async {
                    tokio::time::timeout(Duration::from_millis(100), a3.2.notified())
                        .await
                        .is_ok()
                }),
            "the idle connection was told to close"
        );
        assert_eq!(t.inner.lock().unwrap().conns.len(), 3);
        drop((a2, a3, a4, b1));
        assert!(t.inner.lock().unwrap().conns.is_empty());
        assert!(t.inner.lock().unwrap().per_ip.is_empty());
    }
}
