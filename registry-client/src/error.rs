//! Typed client errors: each names the endpoint and, for HTTP failures, the status.

use std::fmt;
use std::time::Duration;

/// A registry endpoint (for error messages and retry policy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `POST /api/v1/verify`
    Verify,
    /// `GET /api/v1/whois/{id}`
    Whois,
    /// `GET /api/v1/identities/{id}`
    Identities,
    /// `GET /api/v1/revocations`
    Revocations,
    /// `POST /api/v1/issue`
    Issue,
    /// `POST /api/v1/revoke`
    Revoke,
    /// `GET /.well-known/jwks.json`
    Jwks,
    /// `GET /api/v1/did/{did}`
    Did,
    /// `GET /.well-known/ai-identity.json` on an MCP server
    WellKnownIdentity,
}

impl Endpoint {
    /// Method and path template, e.g. `GET /api/v1/whois/{id}`.
    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::Verify => "POST /api/v1/verify",
            Endpoint::Whois => "GET /api/v1/whois/{id}",
            Endpoint::Identities => "GET /api/v1/identities/{id}",
            Endpoint::Revocations => "GET /api/v1/revocations",
            Endpoint::Issue => "POST /api/v1/issue",
            Endpoint::Revoke => "POST /api/v1/revoke",
            Endpoint::Jwks => "GET /.well-known/jwks.json",
            Endpoint::Did => "GET /api/v1/did/{did}",
            Endpoint::WellKnownIdentity => "GET /.well-known/ai-identity.json",
        }
    }

    /// Whether the call is an idempotent GET (retried on 429 and 5xx).
    pub fn is_idempotent_get(self) -> bool {
        !matches!(self, Endpoint::Verify | Endpoint::Issue | Endpoint::Revoke)
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What went wrong at the transport level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    /// Could not connect (refused, unreachable, TLS handshake).
    Connect,
    /// The connect or total timeout elapsed.
    Timeout,
    /// Anything else (reset connection, protocol error).
    Other,
}

/// Errors of registry calls.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The configured base URL is unusable.
    #[error("invalid registry base URL {url:?}: {reason}")]
    InvalidBaseUrl {
        /// The URL given.
        url: String,
        /// Why.
        reason: &'static str,
    },
    /// An argument of the call is invalid (nothing was sent).
    #[error("{endpoint}: invalid argument: {reason}")]
    InvalidArgument {
        /// The endpoint.
        endpoint: Endpoint,
        /// Why.
        reason: String,
    },
    /// The call needs an API key and none is configured.
    #[error("{endpoint}: an API key is required")]
    MissingApiKey {
        /// The endpoint.
        endpoint: Endpoint,
    },
    /// Connecting, sending or receiving failed.
    #[error("{endpoint}: {kind:?} error: {message}")]
    Transport {
        /// The endpoint.
        endpoint: Endpoint,
        /// What kind of failure.
        kind: TransportKind,
        /// Details.
        message: String,
    },
    /// The server answered with a non-success status.
    #[error("{endpoint}: HTTP {status}: {code}: {message}")]
    Status {
        /// The endpoint.
        endpoint: Endpoint,
        /// The HTTP status.
        status: u16,
        /// The `error` member of the JSON body (or `http_<status>`).
        code: String,
        /// The `message` member (or a note that the body was not JSON).
        message: String,
    },
    /// HTTP 429 that was not (or no longer) retried.
    #[error("{endpoint}: HTTP 429 rate limited (retry after {retry_after:?})")]
    RateLimited {
        /// The endpoint.
        endpoint: Endpoint,
        /// The server's `Retry-After`, when given.
        retry_after: Option<Duration>,
    },
    /// The server answered with a redirect; redirects are never followed.
    #[error("{endpoint}: HTTP {status} redirect refused (redirects are not followed)")]
    Redirect {
        /// The endpoint.
        endpoint: Endpoint,
        /// The HTTP status.
        status: u16,
    },
    /// The response body is larger than the configured cap.
    #[error("{endpoint}: response body exceeds the {limit}-byte cap")]
    TooLarge {
        /// The endpoint.
        endpoint: Endpoint,
        /// The cap in bytes.
        limit: usize,
    },
    /// The response is not `application/json`.
    #[error("{endpoint}: HTTP {status}: unexpected content type {content_type:?}")]
    ContentType {
        /// The endpoint.
        endpoint: Endpoint,
        /// The HTTP status.
        status: u16,
        /// The `Content-Type` received (empty when absent).
        content_type: String,
    },
    /// The response body is not the expected JSON.
    #[error("{endpoint}: HTTP {status}: malformed response: {reason}")]
    Decode {
        /// The endpoint.
        endpoint: Endpoint,
        /// The HTTP status.
        status: u16,
        /// Why it could not be read.
        reason: String,
    },
    /// The blocking client's worker thread is gone or could not start.
    #[error("client worker unavailable: {0}")]
    Worker(String),
}

impl ClientError {
    /// The endpoint the error is about, when there is one.
    pub fn endpoint(&self) -> Option<Endpoint> {
        match self {
            ClientError::InvalidBaseUrl { .. } | ClientError::Worker(_) => None,
            ClientError::InvalidArgument { endpoint, .. }
            | ClientError::MissingApiKey { endpoint }
            | ClientError::Transport { endpoint, .. }
            | ClientError::Status { endpoint, .. }
            | ClientError::RateLimited { endpoint, .. }
            | ClientError::Redirect { endpoint, .. }
            | ClientError::TooLarge { endpoint, .. }
            | ClientError::ContentType { endpoint, .. }
            | ClientError::Decode { endpoint, .. } => Some(*endpoint),
        }
    }

    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Status { status, .. }
            | ClientError::Redirect { status, .. }
            | ClientError::ContentType { status, .. }
            | ClientError::Decode { status, .. } => Some(*status),
            ClientError::RateLimited { .. } => Some(429),
            _ => None,
        }
    }

    /// Whether the server said the thing asked about does not exist (404).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// Whether the registry could not be reached or gave no usable answer
    /// (as opposed to a definite answer such as 404 or 403).
    pub fn is_unavailable(&self) -> bool {
        match self {
            ClientError::Transport { .. }
            | ClientError::RateLimited { .. }
            | ClientError::TooLarge { .. }
            | ClientError::ContentType { .. }
            | ClientError::Decode { .. }
            | ClientError::Redirect { .. }
            | ClientError::Worker(_) => true,
            ClientError::Status { status, .. } => *status >= 500,
            _ => false,
        }
    }
}
