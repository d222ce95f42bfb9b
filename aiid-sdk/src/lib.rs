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
#![no_std]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod engine;

pub use scl_canon;
pub use scl_hash;
pub use scl_parse;

#[cfg(feature = "passport")]
pub use passport;
#[cfg(feature = "registry-client")]
pub use registry_client;

pub use scl_hash::{hash_raw_input, verify, DocHash, RawInputHash, VerifyError};
pub use scl_parse::{
    ByteOffset, Content, Document, DocumentBuilder, ErrorCode, Handle, LineColumn, ParseError,
};

use alloc::vec::Vec;

/// Parses SCL:V1 bytes into a [`Document`] (borrowing from `input`).
pub fn parse(input: &[u8]) -> Result<Document<'_>, ParseError> {
    scl_parse::parse(input)
}

/// The canonical JSON bytes of SCL:V1 input.
pub fn canonical(input: &[u8]) -> Result<Vec<u8>, ParseError> {
    Ok(scl_canon::to_vec(&scl_parse::parse(input)?))
}

/// The identity of SCL:V1 input: SHA-256 of its canonical JSON, computed on
/// the calling thread without holding the JSON in memory.
pub fn identity(input: &[u8]) -> Result<DocHash, ParseError> {
    scl_hash::identity(input)
}

/// The same identity as [`identity`], with SHA-256 on a second (scoped)
/// thread for documents of 1 MiB of content or more: the streaming engine
/// on the calling thread, SHA-256 on the other
/// ([`scl_hash::stream_io::identity_of_reader_two_threads`]). This is the
/// only function of this crate that starts a thread.
#[cfg(feature = "std")]
pub fn identity_parallel(input: &[u8]) -> Result<DocHash, ParseError> {
    use scl_hash::stream_io::{identity_of_reader_two_threads, StreamError};
    if input.len() < scl_hash::PARALLEL_THRESHOLD {
        return scl_hash::identity(input);
    }
    match identity_of_reader_two_threads(input) {
        Ok(hash) => Ok(hash),
        Err(StreamError::Invalid { error, .. }) => Err(error),
        // Reading a slice cannot fail; if the hashing thread could not run
        // to its end, the same identity on this thread.
        Err(_) => scl_hash::identity(input),
    }
}
