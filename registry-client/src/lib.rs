#![doc = include_str!("../README.md")]
// Errors are values here: no unwrap, expect, panic!, unreachable!, todo! or
// unimplemented! outside tests.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]

pub mod blocking;
pub mod cache;
pub mod client;
pub mod error;
pub mod types;

pub use blocking::BlockingClient;
pub use cache::{JwksCache, JwksCacheConfig, RevocationCache, RevocationCacheConfig};
pub use client::{host_for_binding, ClientConfig, McpCheckError, RegistryClient, DEFAULT_BASE_URL};
pub use error::{ClientError, Endpoint, TransportKind};
pub use types::{
    did_of, identity_of_did, rfc3339, trust_score, ErrorBody, IdentityRecord, IdentityStatus,
    IssueRequest, IssueResponse, RevocationEntry, RevocationKind, RevocationsDocument,
    RevokeRequest, RevokeResponse, SurfaceEntry, VerifyRequest, VerifyResponse,
};
