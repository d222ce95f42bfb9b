//! `std::io::Read` adapters for the streaming engine ([`crate::stream`]), and
//! the two-thread pipeline for large inputs.
//!
//! Nothing here starts a thread unless its name says so:
//! [`identity_of_reader`] runs on the calling thread;
//! [`identity_of_reader_two_threads`] starts exactly one scoped thread for
//! SHA-256 and joins it before returning.

use std::io::{self, Read};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::vec;
use std::vec::Vec;

use scl_parse::{LineColumn, ParseError};
use sha2::{Digest, Sha256};

use core::convert::Infallible;

use crate::stream::{CanonicalStream, Sha256Sink, Sink};
use crate::DocHash;

/// Read size of the adapters: one engine segment. On the 2-core development
/// VM, reads of 256 KiB spent three times as long in the kernel's copy as
/// reads of 16 to 128 KiB (`aiid hash` on 256 MiB of heavy prose: 0.18 s of
/// system time against 0.05 s), which cost `aiid hash` a quarter of its wall
/// time.
const READ_BUFFER: usize = 64 * 1024;
/// Size of one buffer of canonical bytes sent to the hashing thread. Small
/// enough that a buffer is still in cache when the other thread hashes it:
/// on the 2-core development machine 64 KiB beat 256 KiB by 10-20% of wall
/// time on 256 MiB documents of plain prose and of quoted lines.
const HASH_CHUNK: usize = 64 * 1024;
/// Buffers queued for the hashing thread at most (memory stays bounded).
const IN_FLIGHT: usize = 4;

/// Why a streamed input has no identity.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// The input is not a valid SCL:V1 document.
    #[error("{error} (line {}, column {})", at.line, at.column)]
    Invalid {
        /// The single error of the input, as [`scl_parse::parse`] returns it.
        #[source]
        error: ParseError,
        /// Line and column of the error offset.
        at: LineColumn,
    },
    /// Reading the input failed.
    #[error("cannot read input: {0}")]
    Io(#[source] io::Error),
    /// The hashing thread could not run to its end.
    #[error("the SHA-256 thread stopped before the end of the input")]
    HashThread,
}

/// Why [`pump`] stopped early.
enum Stop {
    Invalid(ParseError),
    Io(io::Error),
}

/// Reads `reader` to its end (retrying interrupted reads), handing each
/// chunk to `feed`; stops at the first error of either.
fn pump<R: Read>(
    mut reader: R,
    mut feed: impl FnMut(&[u8]) -> Result<(), ParseError>,
) -> Result<(), Stop> {
    let mut buf = vec![0u8; READ_BUFFER];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Stop::Io(e)),
        };
        feed(&buf[..n]).map_err(Stop::Invalid)?;
    }
}

/// Reads `reader` into `engine`, then finishes it.
fn run<S: Sink<Error = Infallible>, R: Read>(
    mut engine: CanonicalStream<S>,
    reader: R,
) -> Result<S, StreamError> {
    match pump(reader, |chunk| engine.feed(chunk)) {
        Ok(()) => engine
            .finish_located()
            .map_err(|(error, at)| StreamError::Invalid { error, at }),
        Err(Stop::Io(e)) => Err(StreamError::Io(e)),
        Err(Stop::Invalid(error)) => Err(StreamError::Invalid {
            error,
            at: engine.line_column(error.offset().get()),
        }),
    }
}

/// The identity of the document read from `reader`, on the calling thread,
/// in constant memory (a 64 KiB read buffer and the engine).
pub fn identity_of_reader<R: Read>(reader: R) -> Result<DocHash, StreamError> {
    let sha = run(CanonicalStream::new(Sha256Sink::default()), reader)?;
    Ok(DocHash::from_bytes(sha.0.finalize().into()))
}

/// The canonical JSON of the document read from `reader` (memory: the
/// canonical bytes, never the input).
pub fn canonical_of_reader<R: Read>(reader: R) -> Result<Vec<u8>, StreamError> {
    run(CanonicalStream::new(Vec::new()), reader)
}

/// The identity of the document read from `reader`, with SHA-256 on a second
/// thread: this thread reads, validates and escapes, the other hashes, and
/// they exchange buffers of canonical bytes through a bounded queue (at most
/// a few hundred KiB in flight, whatever the input size). Same result as
/// [`identity_of_reader`]; worth it from about 1 MiB of input. If no thread
/// can be started, it hashes on the calling thread.
pub fn identity_of_reader_two_threads<R: Read>(reader: R) -> Result<DocHash, StreamError> {
    std::thread::scope(|scope| {
        let (to_hasher, filled) = mpsc::sync_channel::<Vec<u8>>(IN_FLIGHT);
        let (to_encoder, recycled) = mpsc::channel::<Vec<u8>>();
        let spawned = std::thread::Builder::new()
            .name("scl-sha256".into())
            .spawn_scoped(scope, move || {
                let mut sha = Sha256::new();
                for mut buf in filled {
                    sha.update(&buf);
                    buf.clear();
                    // The encoder may be gone already; then the buffer is dropped.
                    let _ = to_encoder.send(buf);
                }
                DocHash::from_bytes(sha.finalize().into())
            });
        let Ok(hasher) = spawned else {
            return identity_of_reader(reader);
        };
        let sink = ChannelSink {
            buf: Vec::with_capacity(HASH_CHUNK),
            to_hasher: Some(to_hasher),
            recycled,
            broken: false,
        };
        let mut sink = run(CanonicalStream::new(sink), reader)?;
        sink.send();
        let broken = sink.broken;
        // Closing the queue lets the hashing thread finish.
        drop(sink);
        match hasher.join() {
            Ok(hash) if !broken => Ok(hash),
            _ => Err(StreamError::HashThread),
        }
    })
}

/// Gathers canonical bytes into large buffers for the hashing thread.
struct ChannelSink {
    buf: Vec<u8>,
    to_hasher: Option<SyncSender<Vec<u8>>>,
    recycled: Receiver<Vec<u8>>,
    broken: bool,
}

impl ChannelSink {
    fn send(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        let next = self
            .recycled
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(HASH_CHUNK));
        let full = std::mem::replace(&mut self.buf, next);
        let sent = self.to_hasher.as_ref().map(|tx| tx.send(full).is_ok());
        if sent != Some(true) {
            self.broken = true;
            self.to_hasher = None;
        }
    }
}

impl Sink for ChannelSink {
    type Error = Infallible;

    fn put(&mut self, mut bytes: &[u8]) -> Result<(), Infallible> {
        while !bytes.is_empty() {
            let room = HASH_CHUNK - self.buf.len().min(HASH_CHUNK);
            let n = bytes.len().min(room);
            self.buf.extend_from_slice(&bytes[..n]);
            bytes = &bytes[n..];
            if self.buf.len() >= HASH_CHUNK {
                self.send();
            }
        }
        Ok(())
    }
}
