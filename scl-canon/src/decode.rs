//! Strict decoding of canonical JSON back to a [`Document`].
//!
//! Accepts exactly the bytes [`crate::write_canonical`] produces for some
//! document that an SCL:V1 input parses to, and nothing else. The grammar is
//! fixed (the canonical form has one shape), so decoding is a walk over
//! expected literals and strings; the error is the first offending byte.

use alloc::borrow::Cow;
use alloc::{string::String, vec, vec::Vec};

use scl_parse::{BuildError, Content, Document, Handle};

/// Why bytes are not canonical SCL:V1 JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// A different byte was required here (whitespace, key order, missing or
    /// extra fields, numbers, … all end up here).
    #[error("expected {expected}")]
    Expected {
        /// What the canonical form has at this position.
        expected: &'static str,
    },
    /// The input ends early.
    #[error("unexpected end of input, expected {expected}")]
    UnexpectedEnd {
        /// What the canonical form has at this position.
        expected: &'static str,
    },
    /// Bytes after the closing `}`.
    #[error("bytes after the end of the canonical JSON")]
    TrailingBytes,
    /// Not valid UTF-8.
    #[error("invalid UTF-8")]
    InvalidUtf8,
    /// A raw control character U+0000–U+001F in a string (must be `\u00xx`).
    #[error("unescaped control character in a string")]
    UnescapedControl,
    /// An escape the canonical form never uses (`\n`, `\/`, `\u0041`, …).
    #[error("escape not used by the canonical form (only \\\", \\\\ and \\u0000-\\u001f)")]
    NonCanonicalEscape,
    /// `\u00XX` with uppercase hex digits (R11: lowercase).
    #[error("uppercase hex digit in \\u escape (canonical form is lowercase)")]
    UppercaseHex,
    /// The JSON is canonical in form but no SCL:V1 input has this AST.
    #[error("not the AST of any SCL:V1 document: {0}")]
    NotAnSclDocument(BuildError),
}

/// A canonical-JSON decoding error: what and where (byte offset into the JSON).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not canonical SCL:V1 JSON at byte {offset}: {kind}")]
pub struct DecodeError {
    /// 0-based byte offset of the first offending byte (for
    /// [`DecodeErrorKind::NotAnSclDocument`], the start of the value at fault).
    pub offset: usize,
    /// What is wrong.
    pub kind: DecodeErrorKind,
}

/// Decodes canonical JSON bytes into the document they describe, rejecting
/// anything that is not byte-for-byte canonical.
///
/// `decode(&to_vec(&doc)) == Ok(doc)` for every document.
pub fn decode(json: &[u8]) -> Result<Document<'_>, DecodeError> {
    if let Err(e) = core::str::from_utf8(json) {
        // Report the first structural problem if it comes before the bad byte.
        let at = e.valid_up_to();
        return match Decoder::new(&json[..at]).document() {
            Err(d) if d.offset < at && !matches!(d.kind, DecodeErrorKind::UnexpectedEnd { .. }) => {
                Err(d)
            }
            _ => Err(DecodeError {
                offset: at,
                kind: DecodeErrorKind::InvalidUtf8,
            }),
        };
    }
    Decoder::new(json).document()
}

struct Decoder<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Decoder<'a> {
    fn new(b: &'a [u8]) -> Self {
        Decoder { b, pos: 0 }
    }

    fn err(&self, offset: usize, kind: DecodeErrorKind) -> DecodeError {
        DecodeError { offset, kind }
    }

    fn literal(&mut self, lit: &[u8], expected: &'static str) -> Result<(), DecodeError> {
        for (i, &want) in lit.iter().enumerate() {
            match self.b.get(self.pos + i) {
                None => {
                    return Err(self.err(self.pos + i, DecodeErrorKind::UnexpectedEnd { expected }))
                }
                Some(&got) if got != want => {
                    return Err(self.err(self.pos + i, DecodeErrorKind::Expected { expected }))
                }
                Some(_) => {}
            }
        }
        self.pos += lit.len();
        Ok(())
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn document(&mut self) -> Result<Document<'a>, DecodeError> {
        self.literal(br#"{"handles":["#, r#"`{"handles":[`"#)?;
        let mut handles = Vec::new();
        loop {
            let at = self.pos;
            let (id, tags) = self.handle()?;
            let handle = Handle::new(id, tags).map_err(|e| {
                self.err(
                    at,
                    DecodeErrorKind::NotAnSclDocument(e.for_handle(handles.len())),
                )
            })?;
            handles.push(handle);
            match self.peek() {
                Some(b',') => self.pos += 1,
                _ => break,
            }
        }
        self.literal(br#"],"scl":{"content":"#, r#"`],"scl":{"content":`"#)?;
        let content_at = self.pos;
        let content = self.string()?;
        self.literal(
            br#","hints":[],"refs":[],"type":"SclBlock"},"type":"Document","version":"SCL:V1"}"#,
            r#"`,"hints":[],"refs":[],"type":"SclBlock"},"type":"Document","version":"SCL:V1"}`"#,
        )?;
        if self.pos != self.b.len() {
            return Err(self.err(self.pos, DecodeErrorKind::TrailingBytes));
        }
        Document::new(handles, Content::new(content))
            .map_err(|e| self.err(content_at, DecodeErrorKind::NotAnSclDocument(e)))
    }

    #[allow(clippy::type_complexity)]
    fn handle(&mut self) -> Result<(Cow<'a, str>, Vec<Cow<'a, str>>), DecodeError> {
        self.literal(br#"{"id":"#, r#"a handle object `{"id":`"#)?;
        let id = self.string()?;
        self.literal(br#","tags":["#, r#"`,"tags":[`"#)?;
        let mut tags = vec![self.string()?];
        while self.peek() == Some(b',') {
            self.pos += 1;
            tags.push(self.string()?);
        }
        self.literal(br#"],"type":"Handle"}"#, r#"`],"type":"Handle"}`"#)?;
        Ok((id, tags))
    }

    /// A canonical JSON string; borrowed when it has no escapes.
    fn string(&mut self) -> Result<Cow<'a, str>, DecodeError> {
        self.literal(b"\"", "a string")?;
        let start = self.pos;
        let mut owned: Option<Vec<u8>> = None;
        let mut run = start;
        loop {
            let Some(b) = self.peek() else {
                return Err(self.err(
                    self.pos,
                    DecodeErrorKind::UnexpectedEnd {
                        expected: "the end of the string",
                    },
                ));
            };
            match b {
                b'"' => {
                    let text = match owned {
                        None => Cow::Borrowed(self.utf8(start, self.pos)?),
                        Some(mut buf) => {
                            buf.extend_from_slice(&self.b[run..self.pos]);
                            Cow::Owned(
                                String::from_utf8(buf)
                                    .map_err(|_| self.err(start, DecodeErrorKind::InvalidUtf8))?,
                            )
                        }
                    };
                    self.pos += 1;
                    return Ok(text);
                }
                0x00..=0x1f => return Err(self.err(self.pos, DecodeErrorKind::UnescapedControl)),
                b'\\' => {
                    let esc_at = self.pos;
                    let decoded = self.escape()?;
                    let buf = owned.get_or_insert_with(Vec::new);
                    buf.extend_from_slice(&self.b[run..esc_at]);
                    buf.push(decoded);
                    run = self.pos;
                }
                _ => self.pos += 1,
            }
        }
    }

    /// One escape at `self.pos` (the backslash); returns the byte it stands for.
    fn escape(&mut self) -> Result<u8, DecodeError> {
        let at = self.pos;
        let byte = |i: usize| self.b.get(at + i).copied();
        let end = |this: &Self, i: usize| {
            this.err(
                at + i,
                DecodeErrorKind::UnexpectedEnd {
                    expected: "the rest of the escape",
                },
            )
        };
        match byte(1) {
            Some(b'"') => {
                self.pos += 2;
                Ok(b'"')
            }
            Some(b'\\') => {
                self.pos += 2;
                Ok(b'\\')
            }
            Some(b'u') => {
                for (i, want) in [(2, b'0'), (3, b'0')] {
                    match byte(i) {
                        None => return Err(end(self, i)),
                        Some(c) if c == want => {}
                        Some(_) => {
                            return Err(self.err(at + i, DecodeErrorKind::NonCanonicalEscape))
                        }
                    }
                }
                let hi = match byte(4) {
                    None => return Err(end(self, 4)),
                    Some(c @ (b'0' | b'1')) => c - b'0',
                    Some(_) => return Err(self.err(at + 4, DecodeErrorKind::NonCanonicalEscape)),
                };
                let lo = match byte(5) {
                    None => return Err(end(self, 5)),
                    Some(c @ b'0'..=b'9') => c - b'0',
                    Some(c @ b'a'..=b'f') => c - b'a' + 10,
                    Some(b'A'..=b'F') => {
                        return Err(self.err(at + 5, DecodeErrorKind::UppercaseHex))
                    }
                    Some(_) => return Err(self.err(at + 5, DecodeErrorKind::NonCanonicalEscape)),
                };
                self.pos += 6;
                Ok(hi << 4 | lo)
            }
            None => Err(end(self, 1)),
            Some(_) => Err(self.err(at + 1, DecodeErrorKind::NonCanonicalEscape)),
        }
    }

    fn utf8(&self, from: usize, to: usize) -> Result<&'a str, DecodeError> {
        core::str::from_utf8(&self.b[from..to])
            .map_err(|e| self.err(from + e.valid_up_to(), DecodeErrorKind::InvalidUtf8))
    }
}
