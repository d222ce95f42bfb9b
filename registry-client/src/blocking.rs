//! The blocking client: a thin wrapper that drives the async client's
//! futures on a private current-thread runtime in a worker thread. One
//! implementation; callable from plain code and (blocking that thread) from
//! inside an async runtime alike, without nesting runtimes.

use crate::client::{ClientConfig, McpCheckError, RegistryClient};
use crate::error::ClientError;
use crate::types::{
    IdentityRecord, IssueRequest, IssueResponse, RevocationsDocument, RevokeRequest,
    RevokeResponse, VerifyRequest, VerifyResponse,
};
use passport::{IdentityId, Jwks, RevocationList};
use passport::{McpPolicy, TrustedServer, WellKnownIdentity};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

type Job = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A thread running a current-thread tokio runtime that executes submitted
/// futures. It stops when the last handle is dropped.
#[derive(Debug)]
pub(crate) struct Worker {
    tx: tokio::sync::mpsc::UnboundedSender<Job>,
}

impl Worker {
    pub(crate) fn start() -> Result<Worker, ClientError> {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Job>();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| ClientError::Worker(format!("cannot build runtime: {e}")))?;
        std::thread::Builder::new()
            .name("aiid-registry-client".into())
            .spawn(move || {
                rt.block_on(async move {
                    while let Some(job) = rx.recv().await {
                        tokio::spawn(job);
                    }
                });
            })
            .map_err(|e| ClientError::Worker(format!("cannot start thread: {e}")))?;
        Ok(Worker { tx })
    }

    fn submit(&self, job: Job) -> Result<(), ClientError> {
        self.tx
            .send(job)
            .map_err(|_| ClientError::Worker("the worker thread has stopped".into()))
    }

    /// Runs `fut` on the worker and blocks this thread for its result (at
    /// most `wait`).
    pub(crate) fn block_on<T, F>(&self, fut: F, wait: Duration) -> Result<T, ClientError>
    where
        T: Send + 'static,
        F: Future<Output = T> + Send + 'static,
    {
        let (rtx, rrx) = std::sync::mpsc::sync_channel(1);
        self.submit(Box::pin(async move {
            let _ = rtx.send(fut.await);
        }))?;
        rrx.recv_timeout(wait)
            .map_err(|e| ClientError::Worker(format!("no answer from the worker: {e}")))
    }

    /// Runs `fut` on the worker and awaits its result from any runtime.
    pub(crate) async fn run<T, F>(&self, fut: F) -> Result<T, ClientError>
    where
        T: Send + 'static,
        F: Future<Output = T> + Send + 'static,
    {
        let (otx, orx) = tokio::sync::oneshot::channel();
        self.submit(Box::pin(async move {
            let _ = otx.send(fut.await);
        }))?;
        orx.await
            .map_err(|_| ClientError::Worker("the worker dropped the call".into()))
    }
}

/// The blocking registry client (used by the `aiid` CLI and the caches).
/// Cheap to clone; clones share the worker thread and connection pool.
#[derive(Debug, Clone)]
pub struct BlockingClient {
    worker: Arc<Worker>,
    client: RegistryClient,
    wait: Duration,
}

impl BlockingClient {
    /// A blocking client with its own worker thread.
    pub fn new(cfg: ClientConfig) -> Result<BlockingClient, ClientError> {
        let client = RegistryClient::new(cfg)?;
        let wait = client.config().worst_case_duration() + Duration::from_secs(1);
        Ok(BlockingClient {
            worker: Arc::new(Worker::start()?),
            client,
            wait,
        })
    }

    /// The async client this one drives.
    pub fn client(&self) -> &RegistryClient {
        &self.client
    }

    fn go<T, F, Fut>(&self, f: F) -> Result<T, ClientError>
    where
        T: Send + 'static,
        F: FnOnce(RegistryClient) -> Fut,
        Fut: Future<Output = Result<T, ClientError>> + Send + 'static,
    {
        self.worker.block_on(f(self.client.clone()), self.wait)?
    }

    /// Runs a call on the worker from async code (the caches use this so
    /// that one code path serves both worlds).
    pub(crate) async fn go_async<T, F, Fut>(&self, f: F) -> Result<T, ClientError>
    where
        T: Send + 'static,
        F: FnOnce(RegistryClient) -> Fut,
        Fut: Future<Output = Result<T, ClientError>> + Send + 'static,
    {
        self.worker.run(f(self.client.clone())).await?
    }

    /// See [`RegistryClient::verify_passport`].
    pub fn verify_passport(&self, token: &str) -> Result<VerifyResponse, ClientError> {
        let t = token.to_owned();
        self.go(|c| async move { c.verify_passport(&t).await })
    }

    /// See [`RegistryClient::verify_id`].
    pub fn verify_id(&self, id: &IdentityId) -> Result<VerifyResponse, ClientError> {
        let id = id.clone();
        self.go(|c| async move { c.verify_id(&id).await })
    }

    /// See [`RegistryClient::verify`].
    pub fn verify(&self, req: &VerifyRequest) -> Result<VerifyResponse, ClientError> {
        let r = req.clone();
        self.go(|c| async move { c.verify(&r).await })
    }

    /// See [`RegistryClient::whois`].
    pub fn whois(&self, id: &IdentityId) -> Result<IdentityRecord, ClientError> {
        let id = id.clone();
        self.go(|c| async move { c.whois(&id).await })
    }

    /// See [`RegistryClient::identity`].
    pub fn identity(&self, id: &IdentityId) -> Result<IdentityRecord, ClientError> {
        let id = id.clone();
        self.go(|c| async move { c.identity(&id).await })
    }

    /// See [`RegistryClient::revocations`].
    pub fn revocations(&self) -> Result<(RevocationList, RevocationsDocument), ClientError> {
        self.go(|c| async move { c.revocations().await })
    }

    /// See [`RegistryClient::issue`].
    pub fn issue(&self, req: &IssueRequest) -> Result<IssueResponse, ClientError> {
        let r = req.clone();
        self.go(|c| async move { c.issue(&r).await })
    }

    /// See [`RegistryClient::revoke`].
    pub fn revoke(&self, req: &RevokeRequest) -> Result<RevokeResponse, ClientError> {
        let r = req.clone();
        self.go(|c| async move { c.revoke(&r).await })
    }

    /// See [`RegistryClient::jwks`].
    pub fn jwks(&self) -> Result<Jwks, ClientError> {
        self.go(|c| async move { c.jwks().await })
    }

    /// See [`RegistryClient::did_document`].
    pub fn did_document(&self, did: &str) -> Result<serde_json::Value, ClientError> {
        let d = did.to_owned();
        self.go(|c| async move { c.did_document(&d).await })
    }

    /// See [`RegistryClient::fetch_well_known`].
    pub fn fetch_well_known(&self, server_url: &str) -> Result<WellKnownIdentity, ClientError> {
        let u = server_url.to_owned();
        self.go(|c| async move { c.fetch_well_known(&u).await })
    }

    /// See [`RegistryClient::check_mcp_server`].
    pub fn check_mcp_server(
        &self,
        server_url: &str,
        policy: &McpPolicy,
    ) -> Result<TrustedServer, McpCheckError> {
        let (u, p) = (server_url.to_owned(), policy.clone());
        let c = self.client.clone();
        self.worker.block_on(
            async move { c.check_mcp_server(&u, &p).await },
            self.wait * 2,
        )?
    }
}
