#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![doc = include_str!("../README.md")]

use std::fmt;
use std::io::{self, Write};
use std::str::FromStr;

use scl_parse::{Document, ParseError};
use sha2::{Digest, Sha256};

pub mod stream;
#[cfg(feature = "std")]
pub mod stream_io;

/// The identity of an SCL:V1 document: SHA-256 of its canonical JSON bytes.
///
/// Displays as 64 lowercase hex digits; parses from 64 hex digits (either
/// case); serializes with serde as that hex string.
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

    /// The identity of a document already parsed.
    ///
    /// Large documents (content of 1 MiB or more) are hashed on a second
    /// thread while this one encodes, so that encoding and SHA-256 overlap;
    /// the result is identical either way. Memory use stays bounded (a few
    /// 256 KiB buffers), whatever the document size.
    pub fn of_document(doc: &Document<'_>) -> Self {
        if doc.content().len() >= PIPELINE_THRESHOLD {
            if let Some(hash) = pipelined::hash(doc) {
                return hash;
            }
        }
        Self::of_document_on_this_thread(doc)
    }

    /// The identity of a document, computed on the calling thread only.
    pub fn of_document_on_this_thread(doc: &Document<'_>) -> Self {
        let mut sink = HashSink::new();
        {
            let capacity = (doc.content().len() + 1024).min(HASH_BUFFER);
            let mut buffered = io::BufWriter::with_capacity(capacity, &mut sink);
            // The sink never fails, so neither does the buffer.
            let _ = scl_canon::write_canonical(doc, &mut buffered);
            let _ = buffered.flush();
        }
        sink.finish()
    }

    /// SHA-256 of bytes that are already canonical JSON. The bytes are not
    /// checked; use [`scl_canon::decode`] first when they come from elsewhere.
    pub fn of_canonical_bytes(canonical: &[u8]) -> Self {
        DocHash(Sha256::digest(canonical).into())
    }
}

/// Content length from which [`DocHash::of_document`] hashes on a second thread.
const PIPELINE_THRESHOLD: usize = 1 << 20;

/// Buffer between the canonical encoder and SHA-256: large enough that the
/// hasher sees long runs, small enough to stay in L2.
const HASH_BUFFER: usize = 64 * 1024;

/// An `io::Write` that feeds SHA-256.
struct HashSink(Sha256);

impl HashSink {
    fn new() -> Self {
        HashSink(Sha256::new())
    }

    fn finish(self) -> DocHash {
        DocHash(self.0.finalize().into())
    }
}

impl Write for HashSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

mod pipelined {
    //! Canonical encoding on the calling thread, SHA-256 on a helper thread,
    //! connected by a bounded queue of recycled buffers.

    use std::io::{self, Write};
    use std::sync::mpsc::{self, Receiver, SyncSender};

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
            let sent = scl_canon::write_canonical(doc, &mut writer).and_then(|()| writer.send());
            drop(writer);
            let hash = hasher.join().ok();
            sent.ok().and(hash)
        })
    }

    struct ChunkWriter {
        buf: Vec<u8>,
        to_hasher: SyncSender<Vec<u8>>,
        recycled: Receiver<Vec<u8>>,
    }

    impl ChunkWriter {
        fn send(&mut self) -> io::Result<()> {
            let next = self
                .recycled
                .try_recv()
                .unwrap_or_else(|_| Vec::with_capacity(CHUNK));
            let full = std::mem::replace(&mut self.buf, next);
            self.to_hasher
                .send(full)
                .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "hash thread stopped"))
        }
    }

    impl Write for ChunkWriter {
        fn write(&mut self, data: &[u8]) -> io::Result<usize> {
            let room = CHUNK - self.buf.len().min(CHUNK);
            let n = data.len().min(room);
            self.buf.extend_from_slice(&data[..n]);
            if self.buf.len() >= CHUNK {
                self.send()?;
            }
            Ok(n)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
}

/// Writes 32 bytes as 64 lowercase hex digits.
fn write_hex(f: &mut fmt::Formatter<'_>, bytes: &[u8; 32]) -> fmt::Result {
    bytes.iter().try_for_each(|b| write!(f, "{b:02x}"))
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

impl serde::Serialize for DocHash {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for DocHash {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The identity of SCL:V1 input bytes: parse, then stream the canonical JSON
/// into SHA-256 (the JSON is never held in memory).
pub fn identity(input: &[u8]) -> Result<DocHash, ParseError> {
    let doc = scl_parse::parse(input)?;
    Ok(DocHash::of_document(&doc))
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
    use super::*;

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
            assert_eq!(pipelined::hash(&doc), Some(expected), "size {size}");
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
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(json, format!("\"{h}\""));
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
