//! The async client: one implementation of every call (the blocking client
//! drives these same futures).

use crate::error::{ClientError, Endpoint, TransportKind};
use crate::types::{
    IdentityRecord, IssueRequest, IssueResponse, RevocationsDocument, RevokeRequest,
    RevokeResponse, VerifyRequest, VerifyResponse,
};
use passport::WellKnownIdentity;
use passport::{check_binding, McpError, McpPolicy, RegistryRecord, TrustedServer};
use passport::{IdentityId, Jwks, RevocationList};
use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use std::time::Duration;

/// The public registry named by the draft.
pub const DEFAULT_BASE_URL: &str = "https://aiidentity.org";

/// Client settings. [`ClientConfig::default`] targets [`DEFAULT_BASE_URL`].
#[derive(Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// Registry base URL (`http` or `https`, no query, no user info). Every
    /// request goes to this origin; nothing in a token or a response changes it.
    pub base_url: String,
    /// Connect timeout (default 5 s).
    pub connect_timeout: Duration,
    /// Total timeout of one attempt, body included (default 15 s).
    pub timeout: Duration,
    /// Response body cap in bytes (default 1 MiB).
    pub max_response_bytes: usize,
    /// Retries of idempotent GETs on 429 and 5xx (default 2, so 3 attempts).
    pub max_retries: u32,
    /// First backoff delay, doubled each retry (default 200 ms).
    pub retry_base_delay: Duration,
    /// Longest wait between attempts; a `Retry-After` above it is not
    /// waited for and the call fails with [`ClientError::RateLimited`] (default 5 s).
    pub retry_max_delay: Duration,
    /// API key (`aii_live_…`) sent as `Authorization: Bearer` when set.
    pub api_key: Option<String>,
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("base_url", &self.base_url)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("max_retries", &self.max_retries)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            base_url: DEFAULT_BASE_URL.to_owned(),
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(15),
            max_response_bytes: 1024 * 1024,
            max_retries: 2,
            retry_base_delay: Duration::from_millis(200),
            retry_max_delay: Duration::from_secs(5),
            api_key: None,
        }
    }
}

impl ClientConfig {
    /// The default settings for another base URL.
    pub fn new(base_url: impl Into<String>) -> ClientConfig {
        ClientConfig {
            base_url: base_url.into(),
            ..ClientConfig::default()
        }
    }

    /// Sets the API key.
    pub fn with_api_key(mut self, key: impl Into<String>) -> ClientConfig {
        self.api_key = Some(key.into());
        self
    }

    /// Sets the total timeout of one attempt.
    pub fn with_timeout(mut self, timeout: Duration) -> ClientConfig {
        self.timeout = timeout;
        self
    }

    /// The longest a whole call can take, retries and waits included.
    pub fn worst_case_duration(&self) -> Duration {
        let attempts = self.max_retries.saturating_add(1);
        (self.timeout + self.retry_max_delay).saturating_mul(attempts)
    }
}

/// Checks and normalizes a base URL (no trailing slash).
fn parse_base(url: &str) -> Result<reqwest::Url, ClientError> {
    let bad = |reason| ClientError::InvalidBaseUrl {
        url: url.to_owned(),
        reason,
    };
    let mut u = reqwest::Url::parse(url).map_err(|_| bad("not an absolute URL"))?;
    if u.scheme() != "https" && u.scheme() != "http" {
        return Err(bad("scheme must be http or https"));
    }
    if u.host_str().is_none_or(str::is_empty) {
        return Err(bad("a host is required"));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(bad("user information is not allowed"));
    }
    if u.query().is_some() || u.fragment().is_some() {
        return Err(bad("query and fragment are not allowed"));
    }
    let path = u.path().trim_end_matches('/').to_owned();
    u.set_path(&path);
    Ok(u)
}

/// The host (with `:port` when not the scheme's default) of a URL, as the
/// MCP surface-binding rule compares it.
pub fn host_for_binding(url: &reqwest::Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_owned(),
    }
}

/// A raw answer: status, content type and body (already capped).
struct Answer {
    status: StatusCode,
    content_type: String,
    body: Vec<u8>,
}

/// The async registry client. Cheap to clone (shares the connection pool).
#[derive(Clone)]
pub struct RegistryClient {
    http: reqwest::Client,
    base: reqwest::Url,
    cfg: ClientConfig,
}

impl std::fmt::Debug for RegistryClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryClient")
            .field("base", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

impl RegistryClient {
    /// A client for `cfg.base_url`. TLS is rustls with the webpki roots;
    /// redirects are never followed; no proxy from the environment.
    pub fn new(cfg: ClientConfig) -> Result<RegistryClient, ClientError> {
        let base = parse_base(&cfg.base_url)?;
        let http = reqwest::Client::builder()
            .use_rustls_tls()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(cfg.connect_timeout)
            .timeout(cfg.timeout)
            .user_agent(concat!("aiid-registry-client/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::Worker(format!("cannot build HTTP client: {e}")))?;
        Ok(RegistryClient { http, base, cfg })
    }

    /// The configured settings.
    pub fn config(&self) -> &ClientConfig {
        &self.cfg
    }

    /// The normalized base URL (no trailing slash).
    pub fn base_url(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    fn url(&self, endpoint: Endpoint, path: &str) -> Result<reqwest::Url, ClientError> {
        url_at(&self.base, endpoint, path)
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt).unwrap_or(u32::MAX);
        self.cfg
            .retry_base_delay
            .saturating_mul(factor)
            .min(self.cfg.retry_max_delay)
    }

    /// Sends one request, with retries for idempotent GETs on 429 and 5xx.
    async fn send(
        &self,
        endpoint: Endpoint,
        method: Method,
        url: reqwest::Url,
        body: Option<Vec<u8>>,
        auth: bool,
    ) -> Result<Answer, ClientError> {
        let retries = if endpoint.is_idempotent_get() {
            self.cfg.max_retries
        } else {
            0
        };
        let mut attempt = 0u32;
        loop {
            let mut req = self.http.request(method.clone(), url.clone());
            req = req.header("accept", "application/json");
            if let Some(b) = &body {
                req = req.header(CONTENT_TYPE, "application/json").body(b.clone());
            }
            if auth {
                let key = self
                    .cfg
                    .api_key
                    .as_deref()
                    .ok_or(ClientError::MissingApiKey { endpoint })?;
                let value = HeaderValue::from_str(&format!("Bearer {key}")).map_err(|_| {
                    ClientError::InvalidArgument {
                        endpoint,
                        reason: "the API key is not a valid header value".into(),
                    }
                })?;
                req = req.header(AUTHORIZATION, value);
            }
            let resp = req.send().await.map_err(|e| transport(endpoint, &e))?;
            let status = resp.status();
            if status.is_redirection() {
                return Err(ClientError::Redirect {
                    endpoint,
                    status: status.as_u16(),
                });
            }
            let retry_after = resp
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            if status == StatusCode::TOO_MANY_REQUESTS {
                let wait = retry_after.unwrap_or_else(|| self.backoff(attempt));
                if attempt >= retries || wait > self.cfg.retry_max_delay {
                    return Err(ClientError::RateLimited {
                        endpoint,
                        retry_after,
                    });
                }
                tokio::time::sleep(wait).await;
                attempt += 1;
                continue;
            }
            if status.is_server_error() && attempt < retries {
                let wait = retry_after
                    .filter(|d| *d <= self.cfg.retry_max_delay)
                    .unwrap_or_else(|| self.backoff(attempt));
                tokio::time::sleep(wait).await;
                attempt += 1;
                continue;
            }
            let content_type = resp
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let body = read_capped(endpoint, resp, self.cfg.max_response_bytes).await?;
            return Ok(Answer {
                status,
                content_type,
                body,
            });
        }
    }

    async fn call<T: DeserializeOwned>(
        &self,
        endpoint: Endpoint,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        auth: bool,
    ) -> Result<T, ClientError> {
        let text = self.call_text(endpoint, method, path, body, auth).await?;
        serde_json::from_str(&text).map_err(|e| ClientError::Decode {
            endpoint,
            status: 200,
            reason: e.to_string(),
        })
    }

    /// A successful JSON answer as text (status 2xx, JSON content type,
    /// UTF-8), or the typed error.
    async fn call_text(
        &self,
        endpoint: Endpoint,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        auth: bool,
    ) -> Result<String, ClientError> {
        let url = self.url(endpoint, path)?;
        let a = self.send(endpoint, method, url, body, auth).await?;
        json_text(endpoint, a)
    }

    /// `POST /api/v1/verify` with a passport.
    pub async fn verify_passport(&self, token: &str) -> Result<VerifyResponse, ClientError> {
        self.verify(&VerifyRequest {
            passport: Some(token.to_owned()),
            ..VerifyRequest::default()
        })
        .await
    }

    /// `POST /api/v1/verify` with a bare identity id.
    pub async fn verify_id(&self, id: &IdentityId) -> Result<VerifyResponse, ClientError> {
        self.verify(&VerifyRequest {
            id: Some(id.clone()),
            ..VerifyRequest::default()
        })
        .await
    }

    /// `POST /api/v1/verify` with any request body.
    pub async fn verify(&self, req: &VerifyRequest) -> Result<VerifyResponse, ClientError> {
        let body = to_body(Endpoint::Verify, req)?;
        let auth = self.cfg.api_key.is_some();
        self.call(
            Endpoint::Verify,
            Method::POST,
            "/api/v1/verify",
            Some(body),
            auth,
        )
        .await
    }

    /// `GET /api/v1/whois/{id}`; a 404 is [`ClientError::Status`] with
    /// status 404 (see [`ClientError::is_not_found`]).
    pub async fn whois(&self, id: &IdentityId) -> Result<IdentityRecord, ClientError> {
        self.record(Endpoint::Whois, id).await
    }

    /// `GET /api/v1/identities/{id}`: the canonical record.
    pub async fn identity(&self, id: &IdentityId) -> Result<IdentityRecord, ClientError> {
        self.record(Endpoint::Identities, id).await
    }

    async fn record(&self, ep: Endpoint, id: &IdentityId) -> Result<IdentityRecord, ClientError> {
        let text = self.record_text(ep, id).await?;
        serde_json::from_str(&text).map_err(|e| ClientError::Decode {
            endpoint: ep,
            status: 200,
            reason: e.to_string(),
        })
    }

    async fn record_text(&self, ep: Endpoint, id: &IdentityId) -> Result<String, ClientError> {
        // IdentityId admits only `aii_` and ASCII alphanumerics: safe in a path.
        let path = match ep {
            Endpoint::Whois => format!("/api/v1/whois/{id}"),
            _ => format!("/api/v1/identities/{id}"),
        };
        let auth = self.cfg.api_key.is_some();
        self.call_text(ep, Method::GET, &path, None, auth).await
    }

    /// `GET /api/v1/revocations`, parsed both as the passport crate's
    /// [`RevocationList`] (strict: duplicate members rejected) and as the
    /// detailed document.
    pub async fn revocations(&self) -> Result<(RevocationList, RevocationsDocument), ClientError> {
        let ep = Endpoint::Revocations;
        let auth = self.cfg.api_key.is_some();
        let text = self
            .call_text(ep, Method::GET, "/api/v1/revocations", None, auth)
            .await?;
        let list = RevocationList::from_json(&text).map_err(|reason| ClientError::Decode {
            endpoint: ep,
            status: 200,
            reason,
        })?;
        let doc: RevocationsDocument =
            serde_json::from_str(&text).map_err(|e| ClientError::Decode {
                endpoint: ep,
                status: 200,
                reason: e.to_string(),
            })?;
        Ok((list, doc))
    }

    /// `POST /api/v1/issue` (needs an API key with scope `passport:issue`).
    pub async fn issue(&self, req: &IssueRequest) -> Result<IssueResponse, ClientError> {
        let body = to_body(Endpoint::Issue, req)?;
        self.call(
            Endpoint::Issue,
            Method::POST,
            "/api/v1/issue",
            Some(body),
            true,
        )
        .await
    }

    /// `POST /api/v1/revoke` (needs scope `identity:revoke`). The server
    /// answers only once the revocation is durable.
    pub async fn revoke(&self, req: &RevokeRequest) -> Result<RevokeResponse, ClientError> {
        let body = to_body(Endpoint::Revoke, req)?;
        self.call(
            Endpoint::Revoke,
            Method::POST,
            "/api/v1/revoke",
            Some(body),
            true,
        )
        .await
    }

    /// `GET /.well-known/jwks.json`, parsed strictly by the passport crate.
    pub async fn jwks(&self) -> Result<Jwks, ClientError> {
        let ep = Endpoint::Jwks;
        let text = self
            .call_text(ep, Method::GET, "/.well-known/jwks.json", None, false)
            .await?;
        Jwks::from_json(&text).map_err(|e| ClientError::Decode {
            endpoint: ep,
            status: 200,
            reason: e.to_string(),
        })
    }

    /// `GET /api/v1/did/{did}`: the DID document as JSON. Only
    /// `did:aiidentity:<letters and digits>` is accepted as an argument.
    pub async fn did_document(&self, did: &str) -> Result<serde_json::Value, ClientError> {
        let ep = Endpoint::Did;
        if crate::types::identity_of_did(did).is_none() {
            return Err(ClientError::InvalidArgument {
                endpoint: ep,
                reason: format!("{did:?} is not a did:aiidentity DID"),
            });
        }
        let auth = self.cfg.api_key.is_some();
        self.call(ep, Method::GET, &format!("/api/v1/did/{did}"), None, auth)
            .await
    }

    /// Fetches `GET <server>/.well-known/ai-identity.json` from an MCP server
    /// the caller chose to connect to (not from this registry). Same
    /// timeouts, size cap and redirect refusal as registry calls.
    pub async fn fetch_well_known(
        &self,
        server_url: &str,
    ) -> Result<WellKnownIdentity, ClientError> {
        let ep = Endpoint::WellKnownIdentity;
        let base = parse_base(server_url)?;
        let url = url_at(&base, ep, "/.well-known/ai-identity.json")?;
        let a = self.send(ep, Method::GET, url, None, false).await?;
        let text = json_text(ep, a)?;
        WellKnownIdentity::from_json(&text).map_err(|e| ClientError::Decode {
            endpoint: ep,
            status: 200,
            reason: e.to_string(),
        })
    }

    /// MCP identity check: fetch the server's document, look its identity up
    /// in **this** registry (never in the registry the document names), and
    /// apply the passport crate's surface-binding rule with the server's
    /// `host[:port]`. The document must name this registry's base URL (or
    /// one in `policy.trusted_registries`).
    pub async fn check_mcp_server(
        &self,
        server_url: &str,
        policy: &McpPolicy,
    ) -> Result<TrustedServer, McpCheckError> {
        let server = parse_base(server_url)?;
        let doc = self.fetch_well_known(server_url).await?;
        let mut policy = policy.clone();
        if policy.trusted_registries.is_empty() {
            policy.trusted_registries.push(self.base_url().to_owned());
        }
        let trim = |s: &str| s.trim_end_matches('/').to_owned();
        if !policy
            .trusted_registries
            .iter()
            .any(|r| trim(r) == trim(&doc.registry))
        {
            return Err(McpCheckError::Binding(McpError::UntrustedRegistry(
                doc.registry.clone(),
            )));
        }
        let text = self.record_text(Endpoint::Whois, &doc.identity_id).await?;
        let record = RegistryRecord::from_json(&text)?;
        Ok(check_binding(
            &doc,
            &host_for_binding(&server),
            &record,
            &policy,
        )?)
    }
}

/// Why an MCP server's identity was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum McpCheckError {
    /// Fetching the document or the record failed.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The document or the binding rule rejected the server.
    #[error("MCP identity rejected: {0}")]
    Binding(#[from] McpError),
}

fn url_at(
    base: &reqwest::Url,
    endpoint: Endpoint,
    path: &str,
) -> Result<reqwest::Url, ClientError> {
    let s = format!("{}{}", base.as_str().trim_end_matches('/'), path);
    let u = reqwest::Url::parse(&s).map_err(|_| ClientError::InvalidArgument {
        endpoint,
        reason: format!("cannot form a URL from {path:?}"),
    })?;
    if u.origin() != base.origin() {
        return Err(ClientError::InvalidArgument {
            endpoint,
            reason: "the request would leave the configured origin".into(),
        });
    }
    Ok(u)
}

fn to_body<T: serde::Serialize>(endpoint: Endpoint, v: &T) -> Result<Vec<u8>, ClientError> {
    serde_json::to_vec(v).map_err(|e| ClientError::InvalidArgument {
        endpoint,
        reason: e.to_string(),
    })
}

fn transport(endpoint: Endpoint, e: &reqwest::Error) -> ClientError {
    let kind = if e.is_timeout() {
        TransportKind::Timeout
    } else if e.is_connect() {
        TransportKind::Connect
    } else {
        TransportKind::Other
    };
    let mut message = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        message.push_str(": ");
        message.push_str(&s.to_string());
        src = s.source();
    }
    ClientError::Transport {
        endpoint,
        kind,
        message,
    }
}

async fn read_capped(
    endpoint: Endpoint,
    mut resp: reqwest::Response,
    cap: usize,
) -> Result<Vec<u8>, ClientError> {
    if resp
        .content_length()
        .is_some_and(|n| n > u64::try_from(cap).unwrap_or(u64::MAX))
    {
        return Err(ClientError::TooLarge {
            endpoint,
            limit: cap,
        });
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| transport(endpoint, &e))? {
        if body.len() + chunk.len() > cap {
            return Err(ClientError::TooLarge {
                endpoint,
                limit: cap,
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn is_json(content_type: &str) -> bool {
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// Turns an answer into JSON text on 2xx, or into the typed error.
fn json_text(endpoint: Endpoint, a: Answer) -> Result<String, ClientError> {
    let status = a.status.as_u16();
    if !a.status.is_success() {
        let parsed = if is_json(&a.content_type) {
            serde_json::from_slice::<crate::types::ErrorBody>(&a.body).ok()
        } else {
            None
        };
        let (code, message) = match parsed {
            Some(b) => (b.error, b.message),
            None => (
                format!("http_{status}"),
                "the error body is not the registry's JSON error shape".to_owned(),
            ),
        };
        return Err(ClientError::Status {
            endpoint,
            status,
            code,
            message,
        });
    }
    if !is_json(&a.content_type) {
        return Err(ClientError::ContentType {
            endpoint,
            status,
            content_type: a.content_type,
        });
    }
    String::from_utf8(a.body).map_err(|_| ClientError::Decode {
        endpoint,
        status,
        reason: "body is not UTF-8".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        assert_eq!(
            parse_base("https://aiidentity.org/").unwrap().as_str(),
            "https://aiidentity.org/"
        );
        assert_eq!(
            parse_base("http://127.0.0.1:8080/reg/").unwrap().as_str(),
            "http://127.0.0.1:8080/reg"
        );
        for bad in [
            "ftp://x",
            "aiidentity.org",
            "https://u:p@x",
            "https://x/?q=1",
            "https://x/#f",
        ] {
            assert!(parse_base(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn urls_stay_on_origin() {
        let base = parse_base("http://127.0.0.1:9/reg").unwrap();
        let u = url_at(&base, Endpoint::Whois, "/api/v1/whois/aii_x").unwrap();
        assert_eq!(u.as_str(), "http://127.0.0.1:9/reg/api/v1/whois/aii_x");
        let bare = parse_base("http://127.0.0.1:9").unwrap();
        assert!(url_at(&bare, Endpoint::Whois, "@evil.example/x").is_err());
    }

    #[test]
    fn content_types() {
        assert!(is_json("application/json"));
        assert!(is_json("application/json; charset=utf-8"));
        assert!(is_json("application/jwk-set+json"));
        assert!(!is_json("text/html"));
        assert!(!is_json(""));
    }

    #[test]
    fn backoff_is_bounded() {
        let c = RegistryClient::new(ClientConfig::new("http://127.0.0.1:9")).unwrap();
        assert_eq!(c.backoff(0), Duration::from_millis(200));
        assert_eq!(c.backoff(1), Duration::from_millis(400));
        assert_eq!(c.backoff(40), Duration::from_secs(5));
    }

    #[test]
    fn binding_host() {
        let u = reqwest::Url::parse("https://tools.example.com/").unwrap();
        assert_eq!(host_for_binding(&u), "tools.example.com");
        let u = reqwest::Url::parse("http://127.0.0.1:8080/").unwrap();
        assert_eq!(host_for_binding(&u), "127.0.0.1:8080");
    }
}
