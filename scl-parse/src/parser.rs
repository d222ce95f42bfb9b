//! The SCL:V1 parser: one forward pass over the structure, plus one global
//! scan for the bytes forbidden everywhere (invalid UTF-8, CR, TAB).
//!
//! The structural pass works on bytes and records spans; only when the whole
//! input is known to be valid are the spans turned into `&str`. The answer is
//! the lower-offset error of the two passes, E001 winning a tie (the global
//! scan only produces E001).
use alloc::vec::Vec;

use alloc::borrow::Cow;
use core::ops::Range;

use crate::document::{Content, Document, Handle};
use crate::error::{ErrorCode, ParseError, Reason};

const HEADER: &[u8] = b"SCL:V1\n\n";
const HANDLES_OPEN: &[u8] = b"handles {\n";
const SCL_OPEN: &[u8] = b"scl {\n";
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Parses SCL:V1 bytes into a [`Document`] borrowing from `input`, or returns
/// the single error the specification assigns to the input.
///
/// Runs in time linear in the input; raw-mode content is never copied.
pub fn parse(input: &[u8]) -> Result<Document<'_>, ParseError> {
    let text = core::str::from_utf8(input);
    let global = first_forbidden_byte(input, text.as_ref().err().map(|e| e.valid_up_to()));
    let structure = Structure::parse(input);
    match (structure, global) {
        (Err(s), Some(g)) => Err(if g.offset() <= s.offset() { g } else { s }),
        (Err(s), None) => Err(s),
        (Ok(_), Some(g)) => Err(g),
        (Ok(spans), None) => match text {
            Ok(text) => spans.into_document(text),
            // Unreachable: `global` reports every UTF-8 error.
            Err(e) => Err(ParseError::with_code(
                ErrorCode::E900,
                Reason::InvalidUtf8,
                e.valid_up_to(),
            )),
        },
    }
}

/// The first byte that is forbidden everywhere: invalid UTF-8 (at the first
/// byte of the invalid sequence), CR, or TAB.
fn first_forbidden_byte(input: &[u8], utf8_error_at: Option<usize>) -> Option<ParseError> {
    let scan_end = utf8_error_at.unwrap_or(input.len());
    if let Some(i) = memchr::memchr2(b'\r', b'\t', &input[..scan_end]) {
        let reason = if input[i] == b'\t' {
            Reason::Tab
        } else {
            Reason::CarriageReturn {
                before_lf: input.get(i + 1) == Some(&b'\n'),
            }
        };
        return Some(ParseError::new(reason, i));
    }
    utf8_error_at.map(|at| ParseError::new(Reason::InvalidUtf8, at))
}

/// Spans of a structurally valid document.
struct Structure {
    handles: Vec<(Range<usize>, Vec<Range<usize>>)>,
    content: ContentSpan,
}

enum ContentSpan {
    Raw(Range<usize>),
    Quoted(Range<usize>),
}

impl Structure {
    fn parse(b: &[u8]) -> Result<Structure, ParseError> {
        let mut p = Parser { b, pos: 0 };
        p.header()?;
        p.handles_open()?;
        let handles = p.handles()?;
        p.scl_open()?;
        let content = p.content()?;
        Ok(Structure { handles, content })
    }

    fn into_document(self, text: &str) -> Result<Document<'_>, ParseError> {
        // Every span boundary is next to an ASCII byte, hence a char boundary;
        // `get` keeps this total anyway.
        let slice = |r: Range<usize>| {
            let at = r.start;
            text.get(r).ok_or(ParseError::with_code(
                ErrorCode::E900,
                Reason::InvalidUtf8,
                at,
            ))
        };
        let mut handles = Vec::with_capacity(self.handles.len());
        for (id, tags) in self.handles {
            let tags = tags
                .into_iter()
                .map(|t| slice(t).map(Cow::Borrowed))
                .collect::<Result<Vec<_>, _>>()?;
            handles.push(Handle::from_parsed(slice(id)?, tags));
        }
        let content = match self.content {
            ContentSpan::Raw(r) => Content::raw(slice(r)?),
            ContentSpan::Quoted(r) => Content::quoted_block(slice(r)?),
        };
        Ok(Document::from_parsed(handles, content))
    }
}

struct Parser<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn eof(&self) -> usize {
        self.b.len()
    }

    fn peek_at(&self, i: usize) -> Option<u8> {
        self.b.get(i).copied()
    }

    /// Matches `expected` at the current position; on a mismatch returns the
    /// offset of the first differing byte (or EOF) and whether it was EOF.
    fn literal(&mut self, expected: &[u8]) -> Result<(), (usize, bool)> {
        for (i, &e) in expected.iter().enumerate() {
            let at = self.pos + i;
            match self.peek_at(at) {
                None => return Err((at, true)),
                Some(c) if c != e => return Err((at, false)),
                Some(_) => {}
            }
        }
        self.pos += expected.len();
        Ok(())
    }

    fn skip_spaces(&self, mut i: usize) -> usize {
        while self.peek_at(i) == Some(b' ') {
            i += 1;
        }
        i
    }

    /// `SCL:V1` LF LF, and no third LF (R1, R2, D14).
    fn header(&mut self) -> Result<(), ParseError> {
        if self.b.is_empty() {
            return Err(ParseError::new(Reason::EmptyInput, 0));
        }
        if self.b.starts_with(BOM) {
            return Err(ParseError::new(Reason::ByteOrderMark, 0));
        }
        self.literal(HEADER).map_err(|(at, eof)| {
            let reason = if eof {
                Reason::HeaderTruncated
            } else {
                Reason::HeaderMismatch
            };
            ParseError::new(reason, at)
        })?;
        if self.peek_at(self.pos) == Some(b'\n') {
            return Err(ParseError::new(Reason::ExtraBlankLineAfterHeader, self.pos));
        }
        Ok(())
    }

    /// `handles {` LF (R3, D15).
    fn handles_open(&mut self) -> Result<(), ParseError> {
        self.literal(HANDLES_OPEN).map_err(|(at, eof)| {
            let reason = if eof {
                Reason::HandlesOpenTruncated
            } else {
                Reason::HandlesOpenMismatch
            };
            ParseError::new(reason, at)
        })
    }

    /// Handle lines up to and including the closing `}` LF.
    #[allow(clippy::type_complexity)]
    fn handles(&mut self) -> Result<Vec<(Range<usize>, Vec<Range<usize>>)>, ParseError> {
        let eof = self.eof();
        let unclosed = ParseError::new(Reason::HandlesUnclosed, eof);
        let mut handles = Vec::new();
        loop {
            let line_start = self.pos;
            let first = self.peek_at(line_start).ok_or(unclosed)?;
            if first == b'}' {
                match self.peek_at(line_start + 1) {
                    // D12: `}` as the first line is an empty handles block.
                    Some(b'\n') | None if handles.is_empty() => {
                        return Err(ParseError::new(Reason::EmptyHandlesBlock, line_start));
                    }
                    Some(b'\n') => {
                        self.pos = line_start + 2;
                        return Ok(handles);
                    }
                    // R3: `}` + EOF as the closing line.
                    None => return Err(unclosed),
                    // R4: any other line goes through the handle-line procedure.
                    Some(_) => {}
                }
            }
            let id_start = self.skip_spaces(line_start);
            match self.peek_at(id_start) {
                // D19: spaces then EOF; a valid line could still follow.
                None => return Err(unclosed),
                Some(b'\n') => return Err(ParseError::new(Reason::BlankLineInHandles, line_start)),
                Some(_) => {}
            }
            handles.push(self.handle_line(id_start)?);
        }
    }

    /// The mandatory handle-line procedure, from the first byte after the
    /// indentation to the LF that ends the line.
    fn handle_line(
        &mut self,
        id_start: usize,
    ) -> Result<(Range<usize>, Vec<Range<usize>>), ParseError> {
        let eof = self.eof();
        let unclosed = ParseError::new(Reason::HandlesUnclosed, eof);
        // Step 2: the id span runs to the next `(` or LF.
        let mut i = id_start;
        loop {
            match self.peek_at(i) {
                None => return Err(unclosed),
                Some(b'(' | b'\n') => break,
                Some(c) => {
                    let ok = if i == id_start {
                        c.is_ascii_alphabetic() || c == b'_'
                    } else {
                        c.is_ascii_alphanumeric() || c == b'_'
                    };
                    if !ok {
                        let reason = if c == b' ' {
                            Reason::SpaceInHandleLine
                        } else {
                            Reason::InvalidHandleIdByte
                        };
                        return Err(ParseError::new(reason, i));
                    }
                }
            }
            i += 1;
        }
        // Step 3: the id must be non-empty and followed by `(`.
        if self.peek_at(i) == Some(b'\n') {
            return Err(ParseError::new(Reason::MissingOpenParen, i));
        }
        if i == id_start {
            return Err(ParseError::new(Reason::EmptyHandleId, i));
        }
        let id = id_start..i;
        // Step 4: tag list.
        self.pos = i + 1;
        let mut tags = Vec::new();
        loop {
            match self.peek_at(self.pos) {
                None => return Err(unclosed),
                Some(b'"') => {}
                Some(b')') if tags.is_empty() => {
                    return Err(ParseError::new(Reason::EmptyTagList, self.pos))
                }
                Some(b')') => return Err(ParseError::new(Reason::TrailingComma, self.pos)),
                Some(_) => return Err(ParseError::new(Reason::TagExpected, self.pos)),
            }
            let start = self.pos + 1;
            let end = self.quoted_string(start, ErrorCode::E103)?;
            tags.push(start..end);
            self.pos = end + 1;
            match self.peek_at(self.pos) {
                None => return Err(unclosed),
                Some(b',') => self.pos += 1,
                Some(b')') => {
                    self.pos += 1;
                    break;
                }
                Some(_) => return Err(ParseError::new(Reason::TagSeparatorExpected, self.pos)),
            }
        }
        // Step 5: LF right after `)`.
        match self.peek_at(self.pos) {
            None => Err(unclosed),
            Some(b'\n') => {
                self.pos += 1;
                Ok((id, tags))
            }
            Some(_) => Err(ParseError::new(Reason::TrailingAfterHandle, self.pos)),
        }
    }

    /// Scans a quoted string's inner bytes from `start`; returns the offset of
    /// the closing `"`. LF or a control byte inside → E001 (R5); EOF →
    /// `eof_code` at EOF. Bytes >= 0x80 are left to the UTF-8 scan.
    fn quoted_string(&self, start: usize, eof_code: ErrorCode) -> Result<usize, ParseError> {
        let rest = &self.b[start.min(self.b.len())..];
        let stop = memchr::memchr2(b'"', b'\n', rest).unwrap_or(rest.len());
        if let Some(k) = rest[..stop].iter().position(|&c| c < 0x20 || c == 0x7f) {
            return Err(ParseError::new(
                Reason::ControlInQuotedString { byte: rest[k] },
                start + k,
            ));
        }
        match rest.get(stop) {
            Some(b'"') => Ok(start + stop),
            Some(_) => Err(ParseError::new(
                Reason::LineFeedInQuotedString,
                start + stop,
            )),
            None => {
                let reason = if eof_code == ErrorCode::E103 {
                    Reason::HandlesUnclosed
                } else {
                    Reason::SclUnclosed
                };
                Err(ParseError::with_code(eof_code, reason, self.eof()))
            }
        }
    }

    /// `scl {` LF right after the handles block (R7, D16).
    fn scl_open(&mut self) -> Result<(), ParseError> {
        let line_start = self.pos;
        self.literal(SCL_OPEN).map_err(|(at, eof)| {
            let reason = if eof {
                Reason::SclOpenTruncated
            } else if at == line_start && self.b[at] == b'\n' {
                Reason::BlankLineBeforeScl
            } else {
                Reason::SclOpenMismatch
            };
            ParseError::new(reason, at)
        })
    }

    /// The content and its terminator; the mode is chosen by the first line.
    fn content(&mut self) -> Result<ContentSpan, ParseError> {
        let start = self.pos;
        let first = self.skip_spaces(start);
        match self.peek_at(first) {
            // D22 / R7: nothing yet, or spaces only: a terminator may follow.
            None => Err(ParseError::new(Reason::SclUnclosed, self.eof())),
            Some(b'"') => self.quoted(start),
            Some(_) => self.raw(start),
        }
    }

    /// Raw mode: the last line of the input must be `<spaces>}` (D18).
    fn raw(&self, start: usize) -> Result<ContentSpan, ParseError> {
        let eof = self.eof();
        // `start - 1` is the LF of `scl {`, so a last LF always exists.
        let last_lf = memchr::memrchr(b'\n', self.b).unwrap_or(start.saturating_sub(1));
        let final_start = last_lf + 1;
        let final_line = &self.b[final_start.min(eof)..];
        let brace = final_line.iter().position(|&c| c != b' ');
        if let Some(k) = brace {
            if final_line[k] == b'}' {
                let after = &final_line[k + 1..];
                if after.is_empty() {
                    let content = if final_start <= start {
                        start..start
                    } else {
                        start..last_lf
                    };
                    return Ok(ContentSpan::Raw(content));
                }
                if after.iter().all(|&c| c == b' ') {
                    return Err(ParseError::new(
                        Reason::TrailingSpacesAfterTerminator,
                        final_start + k + 1,
                    ));
                }
            }
        }
        // R8: a `}` line followed by a final LF is the most common mistake.
        let reason = if final_line.is_empty() && previous_line_is_terminator(self.b, last_lf, start)
        {
            Reason::TrailingNewlineAfterTerminator
        } else {
            Reason::SclUnclosed
        };
        Err(ParseError::with_code(ErrorCode::E105, reason, eof))
    }

    /// Quoted mode: `<spaces>"<inner>"` LF lines, then `}` + EOF (R8, R9, D17).
    fn quoted(&mut self, start: usize) -> Result<ContentSpan, ParseError> {
        let eof = self.eof();
        let unclosed = ParseError::new(Reason::SclUnclosed, eof);
        loop {
            let line_start = self.pos;
            if self.peek_at(line_start) == Some(b'}') {
                return match self.peek_at(line_start + 1) {
                    None => Ok(ContentSpan::Quoted(start..line_start)),
                    Some(b'\n') => Err(ParseError::with_code(
                        ErrorCode::E104,
                        Reason::TrailingNewlineAfterTerminator,
                        line_start + 1,
                    )),
                    Some(_) => Err(ParseError::new(
                        Reason::TrailingAfterTerminator,
                        line_start + 1,
                    )),
                };
            }
            let q = self.skip_spaces(line_start);
            match self.peek_at(q) {
                None => return Err(unclosed),
                Some(b'"') => {}
                Some(b'\n') => return Err(ParseError::new(Reason::BlankLineInQuotedBlock, q)),
                Some(b'}') => return Err(ParseError::new(Reason::IndentedQuotedTerminator, q)),
                Some(_) => return Err(ParseError::new(Reason::QuotedLineExpected, q)),
            }
            let close = self.quoted_string(q + 1, ErrorCode::E105)?;
            match self.peek_at(close + 1) {
                None => return Err(unclosed),
                Some(b'\n') => self.pos = close + 2,
                Some(_) => return Err(ParseError::new(Reason::TrailingAfterQuotedLine, close + 1)),
            }
        }
    }
}

/// True when the line ending at `lf` (exclusive) is `<spaces>}` and lies in
/// the content region starting at `start`.
fn previous_line_is_terminator(b: &[u8], lf: usize, start: usize) -> bool {
    if lf < start {
        return false;
    }
    let line_start = b[..lf]
        .iter()
        .rposition(|&c| c == b'\n')
        .map_or(0, |p| p + 1)
        .max(start);
    let line = &b[line_start..lf];
    let trimmed = line
        .iter()
        .position(|&c| c != b' ')
        .map_or(&[][..], |k| &line[k..]);
    trimmed == b"}"
}
