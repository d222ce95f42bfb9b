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

use alloc::vec::Vec;
use core::convert::Infallible;

use scl_parse::Document;

mod decode;

pub use decode::{decode, DecodeError, DecodeErrorKind};

/// Hex digits of `\u00XX` escapes. SCL:V1 resolution R11: lowercase, as in
/// RFC 8785. This is the one place that choice is made.
pub const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// The canonical JSON bytes that precede the handles.
const DOC_OPEN: &[u8] = b"{\"handles\":[";
/// Between the last handle and the content string.
const SCL_OPEN: &[u8] = b"],\"scl\":{\"content\":";
/// After the content string, to the end.
const DOC_CLOSE: &[u8] =
    b",\"hints\":[],\"refs\":[],\"type\":\"SclBlock\"},\"type\":\"Document\",\"version\":\"SCL:V1\"}";
const HANDLE_OPEN: &[u8] = b"{\"id\":";
const TAGS_OPEN: &[u8] = b",\"tags\":[";
const HANDLE_CLOSE: &[u8] = b"],\"type\":\"Handle\"}";

/// Where canonical bytes go: a byte vector, a hasher, or (with the `std`
/// feature) any [`std::io::Write`] through [`IoSink`].
///
/// The encoder hands a sink small pieces (structure) and blocks of up to
/// 16 KiB (escaped strings); a sink that pays per call should buffer.
pub trait Sink {
    /// What a failed write reports ([`Infallible`] for in-memory sinks).
    type Error;
    /// Appends `bytes`, all of them, or fails.
    fn put(&mut self, bytes: &[u8]) -> Result<(), Self::Error>;
}

impl Sink for Vec<u8> {
    type Error = Infallible;
    #[inline]
    fn put(&mut self, bytes: &[u8]) -> Result<(), Infallible> {
        self.extend_from_slice(bytes);
        Ok(())
    }
}

impl<S: Sink + ?Sized> Sink for &mut S {
    type Error = S::Error;
    #[inline]
    fn put(&mut self, bytes: &[u8]) -> Result<(), S::Error> {
        (**self).put(bytes)
    }
}

/// A [`Sink`] over any [`std::io::Write`].
#[cfg(feature = "std")]
#[derive(Debug)]
pub struct IoSink<W>(pub W);

#[cfg(feature = "std")]
impl<W: std::io::Write> Sink for IoSink<W> {
    type Error = std::io::Error;
    #[inline]
    fn put(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.0.write_all(bytes)
    }
}

/// Writes the canonical JSON of `doc` into `out`, piece by piece, without
/// building it in memory first.
///
/// Small pieces are written as they come; wrap an unbuffered sink (a file, a
/// socket, a hasher) in a [`std::io::BufWriter`].
#[cfg(feature = "std")]
pub fn write_canonical<W: std::io::Write + ?Sized>(
    doc: &Document<'_>,
    out: &mut W,
) -> std::io::Result<()> {
    encode(doc, &mut IoSink(out))
}

/// Encodes the canonical JSON of `doc` into `out`, piece by piece, without
/// building it in memory first (the `no_std` form of `write_canonical`).
pub fn encode<S: Sink + ?Sized>(doc: &Document<'_>, out: &mut S) -> Result<(), S::Error> {
    out.put(DOC_OPEN)?;
    for (i, handle) in doc.handles().iter().enumerate() {
        if i > 0 {
            out.put(b",")?;
        }
        out.put(HANDLE_OPEN)?;
        write_string(out, [handle.id()])?;
        out.put(TAGS_OPEN)?;
        for (j, tag) in handle.tags().enumerate() {
            if j > 0 {
                out.put(b",")?;
            }
            write_string(out, [tag])?;
        }
        out.put(HANDLE_CLOSE)?;
    }
    out.put(SCL_OPEN)?;
    write_string(out, doc.content().chunks())?;
    out.put(DOC_CLOSE)
}

/// The canonical JSON of `doc` as a byte vector.
pub fn to_vec(doc: &Document<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(canonical_len(doc));
    match encode(doc, &mut out) {
        Ok(()) => out,
        Err(never) => match never {},
    }
}

/// The exact length in bytes of the canonical JSON of `doc`, computed without
/// producing it.
pub fn canonical_len(doc: &Document<'_>) -> usize {
    let mut len = DOC_OPEN.len() + SCL_OPEN.len() + DOC_CLOSE.len();
    for (i, handle) in doc.handles().iter().enumerate() {
        len += usize::from(i > 0) + HANDLE_OPEN.len() + TAGS_OPEN.len() + HANDLE_CLOSE.len();
        len += escaped_len(handle.id());
        for (j, tag) in handle.tags().enumerate() {
            len += usize::from(j > 0) + escaped_len(tag);
        }
    }
    len + 2
        + doc
            .content()
            .chunks()
            .map(|c| escaped_len(c) - 2)
            .sum::<usize>()
}

/// Length of `s` as a canonical JSON string, quotes included.
fn escaped_len(s: &str) -> usize {
    2 + s
        .bytes()
        .map(|b| match b {
            b'"' | b'\\' => 2,
            0x00..=0x1f => 6,
            _ => 1,
        })
        .sum::<usize>()
}

/// Writes the concatenation of `chunks` as one canonical JSON string.
fn write_string<'s, S: Sink + ?Sized>(
    out: &mut S,
    chunks: impl IntoIterator<Item = &'s str>,
) -> Result<(), S::Error> {
    out.put(b"\"")?;
    for chunk in chunks {
        write_escaped(out, chunk.as_bytes())?;
    }
    out.put(b"\"")
}

/// Writes `bytes` with minimal JSON escaping: `"` → `\"`, `\` → `\\`,
/// U+0000–U+001F → `\u00xx`; everything else verbatim.
fn write_escaped<S: Sink + ?Sized>(out: &mut S, bytes: &[u8]) -> Result<(), S::Error> {
    // Short strings (ids, tags, small content) get a small block, so that
    // zeroing the block never costs more than the string.
    if bytes.len() <= 256 {
        write_escaped_in_blocks::<512, S>(out, bytes)
    } else if bytes.len() <= 2048 {
        write_escaped_in_blocks::<4096, S>(out, bytes)
    } else {
        write_escaped_in_blocks::<{ 16 * 1024 }, S>(out, bytes)
    }
}

/// Escapes into a local block of `BLOCK` bytes, 8 input bytes per step when
/// none of them needs escaping, and hands the sink block-sized writes.
fn write_escaped_in_blocks<const BLOCK: usize, S: Sink + ?Sized>(
    out: &mut S,
    bytes: &[u8],
) -> Result<(), S::Error> {
    let mut block = [0u8; BLOCK];
    let mut len = 0;
    let mut i = 0;
    while i < bytes.len() {
        if len > BLOCK - 64 {
            out.put(&block[..len])?;
            len = 0;
        }
        if let Some(word) = bytes.get(i..i + 8) {
            if escape_mask(load(word)) == 0 {
                block[len..len + 8].copy_from_slice(word);
                len += 8;
                i += 8;
                continue;
            }
        }
        let b = bytes[i];
        len += escape_byte(b, &mut block[len..len + 6]);
        i += 1;
    }
    out.put(&block[..len])
}

/// Writes the canonical form of one byte into `to` (at least 6 bytes);
/// returns how many bytes it took.
#[inline]
fn escape_byte(b: u8, to: &mut [u8]) -> usize {
    match b {
        b'"' | b'\\' => {
            to[0] = b'\\';
            to[1] = b;
            2
        }
        0x00..=0x1f => {
            to[..6].copy_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX_DIGITS[usize::from(b >> 4)],
                HEX_DIGITS[usize::from(b & 0x0f)],
            ]);
            6
        }
        _ => {
            to[0] = b;
            1
        }
    }
}

#[cfg(test)]
const fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// 0x80 in exactly the bytes of `x` that are zero.
#[inline]
const fn zero_bytes(x: u64) -> u64 {
    let low7 = (x & !HIGHS).wrapping_add(!HIGHS);
    !(low7 | x | !HIGHS)
}

/// 0x80 in exactly the bytes of `x` that need escaping.
#[inline]
const fn escape_mask(x: u64) -> u64 {
    zero_bytes(x & (ONES * 0xe0))
        | zero_bytes(x ^ (ONES * b'"' as u64))
        | zero_bytes(x ^ (ONES * b'\\' as u64))
}

#[inline]
fn load(bytes: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&bytes[..8]);
    u64::from_le_bytes(w)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use alloc::{format, vec};

    #[test]
    fn word_mask_is_exact_for_every_byte_and_position() {
        for b in 0u8..=255 {
            for filler in [b'a', 0x00, 0xff, b'"', 0x20, 0x1f, 0x80] {
                for pos in 0..8 {
                    let mut w = [filler; 8];
                    w[pos] = b;
                    let mask = escape_mask(u64::from_le_bytes(w));
                    for (k, &byte) in w.iter().enumerate() {
                        let flagged = mask & (0x80 << (8 * k)) != 0;
                        assert_eq!(
                            flagged,
                            needs_escape(byte),
                            "byte {byte:#x} at {k} in {w:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn escapes_exactly_the_minimal_set() {
        for b in 0u8..=0x7f {
            let mut out = Vec::new();
            write_escaped(&mut out, &[b]).unwrap();
            let expected: Vec<u8> = match b {
                b'"' => b"\\\"".to_vec(),
                b'\\' => b"\\\\".to_vec(),
                0..=0x1f => format!("\\u{:04x}", b).into_bytes(),
                _ => vec![b],
            };
            assert_eq!(out, expected, "byte {b:#x}");
        }
    }

    #[test]
    fn escaping_agrees_with_the_bytewise_rule_on_long_runs() {
        // Escapable bytes at every position of a 40-byte run, so that the
        // word-at-a-time skip is exercised at every alignment.
        for special in [0u8, 0x0a, 0x1f, b'"', b'\\'] {
            for pos in 0..40 {
                let mut s = vec![b'x'; 40];
                s[pos] = special;
                let mut fast = Vec::new();
                write_escaped(&mut fast, &s).unwrap();
                let mut slow = Vec::new();
                for &b in &s {
                    write_escaped(&mut slow, &[b]).unwrap();
                }
                assert_eq!(fast, slow);
            }
        }
    }
}
