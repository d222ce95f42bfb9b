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

use core::fmt;
use core::str::FromStr;

use scl_canon::Sink;
use scl_parse::{Document, ParseError};
use sha2::{Digest, Sha256};

pub mod stream;
#[cfg(feature = "std")]
pub mod stream_io;

/// The identity of an SCL:V1 document: SHA-256 of its canonical JSON bytes.
///
/// Displays as 64 lowercase hex digits; parses from 64 hex digits (either
/// case); with the `serde` feature, serializes as that hex string.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocHash([u8; 32]);

impl DocHash {
    /// Wraps 32 digest bytes.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        DocHash(bytes)
    }

    /// The 32 digest bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The identity of a document already parsed, computed on the calling
    /// thread, without allocating: the canonical JSON streams through a small
    /// stack buffer into SHA-256.
    ///
    /// For very large documents, [`DocHash::of_document_parallel`] (feature
    /// `std`) overlaps encoding and hashing on two threads; the result is
    /// the same.
    pub fn of_document(doc: &Document<'_>) -> Self {
        let mut sink = HashSink::new();
        match scl_canon::encode(doc, &mut sink) {
            Ok(()) => sink.finish(),
            Err(never) => match never {},
        }
    }

    /// The same as [`DocHash::of_document`], which never starts a thread
    /// either; kept so that callers can say so explicitly.
    pub fn of_document_on_this_thread(doc: &Document<'_>) -> Self {
        Self::of_document(doc)
    }

    /// The identity of a document, with the canonical encoding on the calling
    /// thread and SHA-256 on a second, scoped thread, joined before this
    /// returns; memory stays bounded (a few 256 KiB buffers) whatever the
    /// document size. Pays off from about 1 MiB of content
    /// ([`PARALLEL_THRESHOLD`]); below that, and when no thread can be
    /// started, it computes on the calling thread. Same result as
    /// [`DocHash::of_document`].
    #[cfg(feature = "std")]
    pub fn of_document_parallel(doc: &Document<'_>) -> Self {
        if doc.content().len() >= PARALLEL_THRESHOLD {
            if let Some(hash) = pipelined::hash(doc) {
                return hash;
            }
        }
        Self::of_document(doc)
    }

    /// SHA-256 of bytes that are already canonical JSON. The bytes are not
    /// checked; use [`scl_canon::decode`] first when they come from elsewhere.
    pub fn of_canonical_bytes(canonical: &[u8]) -> Self {
        DocHash(Sha256::digest(canonical).into())
    }
}

/// Content length from which [`DocHash::of_document_parallel`] uses a second
/// thread.
pub const PARALLEL_THRESHOLD: usize = 1 << 20;

/// Bytes gathered before SHA-256 sees them: enough that the hasher gets long
/// runs of blocks, small enough for any stack.
const HASH_BUFFER: usize = 4096;

/// A [`Sink`] that feeds SHA-256 through a fixed stack buffer.
struct HashSink {
    sha: Sha256,
    buf: [u8; HASH_BUFFER],
    len: usize,
}

impl HashSink {
    fn new() -> Self {
        HashSink {
            sha: Sha256::new(),
            buf: [0; HASH_BUFFER],
            len: 0,
        }
    }

    fn finish(mut self) -> DocHash {
        self.sha.update(&self.buf[..self.len]);
        DocHash(self.sha.finalize().into())
    }
}

impl Sink for HashSink {
    type Error = core::convert::Infallible;

    #[inline]
    fn put(&mut self, bytes: &[u8]) -> Result<(), Self::Error> {
        if let Some(room) = self.buf.get_mut(self.len..self.len + bytes.len()) {
            room.copy_from_slice(bytes);
            self.len += bytes.len();
        } else {
            self.sha.update(&self.buf[..self.len]);
            self.len = 0;
            if bytes.len() >= HASH_BUFFER / 2 {
                self.sha.update(bytes);
            } else {
                self.buf[..bytes.len()].copy_from_slice(bytes);
                self.len = bytes.len();
            }
        }
        Ok(())
    }
}

#[cfg(feature = "std")]
mod pipelined {
    //! Canonical encoding on the calling thread, SHA-256 on a helper thread,
    //! connected by a bounded queue of recycled buffers.

    use alloc::vec::Vec;
    use std::sync::mpsc::{self, Receiver, SyncSender};

    use scl_canon::Sink;
    use sha2::{Digest, Sha256};

    use super::{DocHash, Document};

    const CHUNK: usize = 256 * 1024;
    const IN_FLIGHT: usize = 4;

    /// `None` when no thread could be started (the caller falls back).
    pub(super) fn hash(doc: &Document<'_>) -> Option<DocHash> {
        std::thread::scope(|scope| {
            let (to_hasher, filled) = mpsc::sync_channel::<Vec<u8>>(IN_FLIGHT);
            let (to_encoder, recycled) = mpsc::channel::<Vec<u8>>();
            let hasher = std::thread::Builder::new()
                .name("scl-hash".into())
                .spawn_scoped(scope, move || {
                    let mut sha = Sha256::new();
                    for mut buf in filled {
                        sha.update(&buf);
                        buf.clear();
                        // The encoder may be gone already; then the buffer is dropped.
                        let _ = to_encoder.send(buf);
                    }
                    DocHash(sha.finalize().into())
                })
                .ok()?;
            let mut writer = ChunkWriter {
                buf: Vec::with_capacity(CHUNK),
                to_hasher,
                recycled,
            };
            let sent = scl_canon::encode(doc, &mut writer).and_then(|()| writer.send());
            drop(writer);
            let hash = hasher.join().ok();
            sent.ok().and(hash)
        })
    }

    /// The hash thread stopped (it cannot, short of a panic).
    struct Stopped;

    struct ChunkWriter {
        buf: Vec<u8>,
        to_hasher: SyncSender<Vec<u8>>,
        recycled: Receiver<Vec<u8>>,
    }

    impl ChunkWriter {
        fn send(&mut self) -> Result<(), Stopped> {
            let next = self
                .recycled
                .try_recv()
                .unwrap_or_else(|_| Vec::with_capacity(CHUNK));
            let full = core::mem::replace(&mut self.buf, next);
            self.to_hasher.send(full).map_err(|_| Stopped)
        }
    }

    impl Sink for ChunkWriter {
        type Error = Stopped;

        fn put(&mut self, mut data: &[u8]) -> Result<(), Stopped> {
            while !data.is_empty() {
                let room = CHUNK - self.buf.len().min(CHUNK);
                let n = data.len().min(room);
                self.buf.extend_from_slice(&data[..n]);
                data = &data[n..];
                if self.buf.len() >= CHUNK {
                    self.send()?;
                }
            }
            Ok(())
        }
    }
}

/// Writes 32 bytes as 64 lowercase hex digits.
/// The 64 lowercase hex digits of `bytes`, written in one call.
fn write_hex(f: &mut fmt::Formatter<'_>, bytes: &[u8; 32]) -> fmt::Result {
    let mut hex = [0u8; 64];
    for (pair, &b) in hex.chunks_exact_mut(2).zip(bytes) {
        pair[0] = scl_canon::HEX_DIGITS[usize::from(b >> 4)];
        pair[1] = scl_canon::HEX_DIGITS[usize::from(b & 0x0f)];
    }
    f.write_str(core::str::from_utf8(&hex).map_err(|_| fmt::Error)?)
}

impl fmt::Display for DocHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, &self.0)
    }
}

impl fmt::Debug for DocHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DocHash({self})")
    }
}

/// A string that is not 64 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocHashParseError {
    /// Wrong length.
    #[error("a document hash is 64 hex digits, got {0} characters")]
    Length(usize),
    /// A character that is not a hex digit.
    #[error("not a hex digit at position {0}")]
    NotHex(usize),
}

impl FromStr for DocHash {
    type Err = DocHashParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = s.as_bytes();
        if bytes.len() != 64 {
            return Err(DocHashParseError::Length(s.chars().count()));
        }
        let nibble = |i: usize| -> Result<u8, DocHashParseError> {
            match bytes[i] {
                c @ b'0'..=b'9' => Ok(c - b'0'),
                c @ b'a'..=b'f' => Ok(c - b'a' + 10),
                c @ b'A'..=b'F' => Ok(c - b'A' + 10),
                _ => Err(DocHashParseError::NotHex(i)),
            }
        };
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = nibble(2 * i)? << 4 | nibble(2 * i + 1)?;
        }
        Ok(DocHash(out))
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for DocHash {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for DocHash {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <alloc::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The identity of SCL:V1 input bytes, computed by the streaming engine
/// ([`stream::identity_streamed`]): one pass over the input, canonical JSON
/// straight into SHA-256, no allocation. The answer is that of
/// [`scl_parse::parse`] then [`DocHash::of_document`] (the same error, or the
/// same hash), without building the document (`cargo bench -p scl-hash
/// --bench stream` compares the two).
pub fn identity(input: &[u8]) -> Result<DocHash, ParseError> {
    stream::identity_streamed(input)
}

/// Why [`verify`] failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The input is not a valid SCL:V1 document.
    #[error(transparent)]
    Invalid(#[from] ParseError),
    /// The input is valid but has another identity.
    #[error("document hash mismatch: expected {expected}, got {actual}")]
    Mismatch {
        /// The identity that was expected.
        expected: DocHash,
        /// The identity of the input.
        actual: DocHash,
    },
}

/// Checks that `input` is a valid SCL:V1 document whose identity is `expected`.
pub fn verify(input: &[u8], expected: &DocHash) -> Result<(), VerifyError> {
    let actual = identity(input)?;
    if actual == *expected {
        Ok(())
    } else {
        Err(VerifyError::Mismatch {
            expected: *expected,
            actual,
        })
    }
}

/// SHA-256 of the raw input bytes, as a checksum of the file.
///
/// **This is not the document identity**: two inputs that differ only in
/// indentation have the same [`DocHash`] and different raw-input hashes. It is
/// a separate type so the two cannot be confused.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RawInputHash([u8; 32]);

impl RawInputHash {
    /// The 32 digest bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for RawInputHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, &self.0)
    }
}

impl fmt::Debug for RawInputHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RawInputHash({self})")
    }
}

/// SHA-256 of the raw input bytes (`hash_raw_input`); see [`RawInputHash`].
pub fn hash_raw_input(input: &[u8]) -> RawInputHash {
    RawInputHash(Sha256::digest(input).into())
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use alloc::string::ToString;

    const GOLDEN_1: &[u8] = b"SCL:V1\n\nhandles {\n  h1(\"test\")\n}\nscl {\n  \"hello world\"\n}";

    #[test]
    fn golden_document_identity() {
        assert_eq!(
            identity(GOLDEN_1).unwrap().to_string(),
            "56e66666e6597fe83feed1325b516635831a7b5d2216f7520a569230a7673612"
        );
    }

    #[test]
    fn streamed_identity_equals_hash_of_materialised_json() {
        let doc = scl_parse::parse(GOLDEN_1).unwrap();
        assert_eq!(
            DocHash::of_document(&doc),
            DocHash::of_canonical_bytes(&scl_canon::to_vec(&doc))
        );
    }

    #[test]
    fn pipelined_and_single_threaded_hashes_agree() {
        for size in [0usize, 1, 255 * 1024, 256 * 1024, 256 * 1024 + 1, 3 << 20] {
            let mut input = b"SCL:V1\n\nhandles {\n  h(\"t\")\n}\nscl {\n".to_vec();
            input.extend((0..size).map(|i| {
                if i % 61 == 60 {
                    b'\n'
                } else {
                    b"ab\"\\c\x01"[i % 6]
                }
            }));
            input.extend_from_slice(b"\n}");
            let doc = scl_parse::parse(&input).unwrap();
            let expected = DocHash::of_canonical_bytes(&scl_canon::to_vec(&doc));
            #[cfg(feature = "std")]
            assert_eq!(pipelined::hash(&doc), Some(expected), "size {size}");
            #[cfg(feature = "std")]
            assert_eq!(DocHash::of_document_parallel(&doc), expected);
            assert_eq!(DocHash::of_document_on_this_thread(&doc), expected);
            assert_eq!(DocHash::of_document(&doc), expected);
        }
    }

    #[test]
    fn raw_input_hash_is_not_the_identity() {
        assert_ne!(
            hash_raw_input(GOLDEN_1).as_bytes(),
            identity(GOLDEN_1).unwrap().as_bytes()
        );
    }

    #[test]
    fn hex_round_trip_and_errors() {
        let h = identity(GOLDEN_1).unwrap();
        assert_eq!(h.to_string().parse::<DocHash>().unwrap(), h);
        assert_eq!(h.to_string().to_uppercase().parse::<DocHash>().unwrap(), h);
        assert_eq!("abc".parse::<DocHash>(), Err(DocHashParseError::Length(3)));
        let mut bad = h.to_string();
        bad.replace_range(10..11, "g");
        assert_eq!(bad.parse::<DocHash>(), Err(DocHashParseError::NotHex(10)));
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serde_uses_the_hex_string() {
        let h = identity(GOLDEN_1).unwrap();
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(json, std::format!("\"{h}\""));
        assert_eq!(serde_json::from_str::<DocHash>(&json).unwrap(), h);
    }

    #[test]
    fn verify_reports_mismatch_and_invalid() {
        let h = identity(GOLDEN_1).unwrap();
        assert_eq!(verify(GOLDEN_1, &h), Ok(()));
        let other = DocHash::from_bytes([0; 32]);
        assert!(matches!(
            verify(GOLDEN_1, &other),
            Err(VerifyError::Mismatch { .. })
        ));
        assert!(matches!(
            verify(b"SCL:V2", &h),
            Err(VerifyError::Invalid(_))
        ));
    }
}
