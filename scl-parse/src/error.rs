//! The one error an SCL:V1 input can produce: a stable code, a byte offset, and
//! a precise reason for humans.

use alloc::{
    borrow::ToOwned,
    format,
    string::{String, ToString},
};
use core::fmt;

/// The stable SCL:V1 error codes. The code and the offset are the protocol;
/// everything else about an error (reason, message, hint) is for humans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorCode {
    /// Invalid UTF-8, CR, TAB, or a forbidden control character (or LF) inside a quoted string.
    E001,
    /// Missing or invalid `SCL:V1` header.
    E101,
    /// Handles block missing or empty, or a blank (whitespace-only) line inside it.
    E102,
    /// End of input before the handles block closes.
    E103,
    /// SCL block missing, or an invalid token where SCL content or its terminator is required.
    E104,
    /// End of input before the SCL block closes.
    E105,
    /// Invalid handle id (or a byte after `)` on a handle line).
    E201,
    /// Invalid tag list or tag.
    E202,
    /// Internal error. This engine never produces it; it exists because the protocol names it.
    E900,
}

impl ErrorCode {
    /// All codes, in protocol order.
    pub const ALL: [ErrorCode; 9] = [
        ErrorCode::E001,
        ErrorCode::E101,
        ErrorCode::E102,
        ErrorCode::E103,
        ErrorCode::E104,
        ErrorCode::E105,
        ErrorCode::E201,
        ErrorCode::E202,
        ErrorCode::E900,
    ];

    /// The code as written in the protocol, e.g. `"E104"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::E001 => "E001",
            ErrorCode::E101 => "E101",
            ErrorCode::E102 => "E102",
            ErrorCode::E103 => "E103",
            ErrorCode::E104 => "E104",
            ErrorCode::E105 => "E105",
            ErrorCode::E201 => "E201",
            ErrorCode::E202 => "E202",
            ErrorCode::E900 => "E900",
        }
    }

    /// One-line meaning of the code, as in the error table of the specification.
    pub const fn meaning(self) -> &'static str {
        match self {
            ErrorCode::E001 => "invalid UTF-8, CR, TAB, or forbidden control character in a quoted string",
            ErrorCode::E101 => "missing or invalid header",
            ErrorCode::E102 => "handles block missing or empty, or an invalid line inside it",
            ErrorCode::E103 => "end of input before the handles block closes",
            ErrorCode::E104 => "missing SCL block, or an invalid token where SCL content or its terminator is required",
            ErrorCode::E105 => "end of input before the SCL block closes",
            ErrorCode::E201 => "invalid handle id",
            ErrorCode::E202 => "invalid tag list or tag",
            ErrorCode::E900 => "internal error",
        }
    }

    /// Precedence rank at one offset: lower wins (E001, then structural, then
    /// handle/tag, then E900).
    pub const fn precedence(self) -> u8 {
        match self {
            ErrorCode::E001 => 0,
            ErrorCode::E101
            | ErrorCode::E102
            | ErrorCode::E103
            | ErrorCode::E104
            | ErrorCode::E105 => 1,
            ErrorCode::E201 | ErrorCode::E202 => 2,
            ErrorCode::E900 => 3,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error code string that is not one of the SCL:V1 codes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown SCL:V1 error code {0:?} (expected E001, E101-E105, E201, E202 or E900)")]
pub struct UnknownErrorCode(pub String);

impl core::str::FromStr for ErrorCode {
    type Err = UnknownErrorCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ErrorCode::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownErrorCode(s.to_owned()))
    }
}

/// A 0-based byte offset into the input. The end of input ("EOF") is the
/// offset equal to the input length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ByteOffset(pub usize);

impl ByteOffset {
    /// The offset as a `usize`.
    pub const fn get(self) -> usize {
        self.0
    }
}

impl fmt::Display for ByteOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A 1-based line and column; the column counts bytes, not characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LineColumn {
    /// 1-based line number (1 + number of LF bytes before the offset).
    pub line: usize,
    /// 1-based column in bytes (1 + bytes since the last LF before the offset).
    pub column: usize,
}

/// What exactly went wrong. The [`ErrorCode`] is derived from it; the reason
/// is what a human reads. New reasons may be added in minor releases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reason {
    /// The bytes at the offset are not valid UTF-8.
    InvalidUtf8,
    /// A carriage return (0x0D); `before_lf` when it is part of a CRLF pair.
    CarriageReturn {
        /// The CR is immediately followed by LF (Windows line ending).
        before_lf: bool,
    },
    /// A TAB byte (0x09).
    Tab,
    /// A control character U+0000–U+001F or U+007F inside a quoted string.
    ControlInQuotedString {
        /// The control byte.
        byte: u8,
    },
    /// A line break inside a quoted string (the closing `"` is missing on that line).
    LineFeedInQuotedString,
    /// The input starts with a UTF-8 byte order mark.
    ByteOrderMark,
    /// The input is empty.
    EmptyInput,
    /// The first bytes are not `SCL:V1` LF LF.
    HeaderMismatch,
    /// The input ends inside the header.
    HeaderTruncated,
    /// More than one blank line after the header.
    ExtraBlankLineAfterHeader,
    /// The line after the header is not `handles {`.
    HandlesOpenMismatch,
    /// The input ends in or right after the header, before `handles {` + LF.
    HandlesOpenTruncated,
    /// The handles block closes before any handle.
    EmptyHandlesBlock,
    /// An empty or whitespace-only line inside the handles block.
    BlankLineInHandles,
    /// The input ends before the handles block is closed by `}` + LF.
    HandlesUnclosed,
    /// A byte that is not allowed in a handle id at that position.
    InvalidHandleIdByte,
    /// A space where a handle id or `(` is required.
    SpaceInHandleLine,
    /// A handle line without `(`.
    MissingOpenParen,
    /// The handle id is empty (the line starts with `(`).
    EmptyHandleId,
    /// Bytes after the `)` that ends a handle line.
    TrailingAfterHandle,
    /// `()`: a tag list needs at least one tag.
    EmptyTagList,
    /// A `,` followed by `)`.
    TrailingComma,
    /// A byte other than `"` where a tag must start.
    TagExpected,
    /// A byte other than `,` or `)` after a tag.
    TagSeparatorExpected,
    /// A blank line between the handles block and `scl {`.
    BlankLineBeforeScl,
    /// The line after the handles block is not `scl {`.
    SclOpenMismatch,
    /// The input ends before `scl {` + LF is complete.
    SclOpenTruncated,
    /// Quoted mode: a line that is not a quoted string.
    QuotedLineExpected,
    /// Quoted mode: a blank or whitespace-only line.
    BlankLineInQuotedBlock,
    /// Quoted mode: the closing `}` is indented.
    IndentedQuotedTerminator,
    /// Bytes after the closing `"` of a quoted line.
    TrailingAfterQuotedLine,
    /// A newline after the final `}` (the document must end right after it).
    TrailingNewlineAfterTerminator,
    /// Bytes other than a newline after the final `}` in quoted mode.
    TrailingAfterTerminator,
    /// Spaces after the final `}`.
    TrailingSpacesAfterTerminator,
    /// The input ends before the SCL block is closed by a final `}`.
    SclUnclosed,
}

impl Reason {
    /// The error code this reason maps to.
    pub const fn code(self) -> ErrorCode {
        use Reason::*;
        match self {
            InvalidUtf8
            | CarriageReturn { .. }
            | Tab
            | ControlInQuotedString { .. }
            | LineFeedInQuotedString => ErrorCode::E001,
            ByteOrderMark
            | EmptyInput
            | HeaderMismatch
            | HeaderTruncated
            | ExtraBlankLineAfterHeader => ErrorCode::E101,
            HandlesOpenMismatch | HandlesOpenTruncated | EmptyHandlesBlock | BlankLineInHandles => {
                ErrorCode::E102
            }
            HandlesUnclosed => ErrorCode::E103,
            BlankLineBeforeScl
            | SclOpenMismatch
            | SclOpenTruncated
            | QuotedLineExpected
            | BlankLineInQuotedBlock
            | IndentedQuotedTerminator
            | TrailingAfterQuotedLine
            | TrailingAfterTerminator
            | TrailingSpacesAfterTerminator => ErrorCode::E104,
            SclUnclosed => ErrorCode::E105,
            InvalidHandleIdByte | SpaceInHandleLine | MissingOpenParen | EmptyHandleId
            | TrailingAfterHandle => ErrorCode::E201,
            EmptyTagList | TrailingComma | TagExpected | TagSeparatorExpected => ErrorCode::E202,
            // A trailing newline is E104 in quoted mode and E105 in raw mode;
            // the parser records the code alongside this reason.
            TrailingNewlineAfterTerminator => ErrorCode::E105,
        }
    }

    /// What is wrong, in plain words.
    pub const fn message(self) -> &'static str {
        use Reason::*;
        match self {
            InvalidUtf8 => "invalid UTF-8 byte sequence",
            CarriageReturn { before_lf: true } => "carriage return (CRLF line ending); only LF line endings are allowed",
            CarriageReturn { before_lf: false } => "carriage return (0x0D) is not allowed anywhere",
            Tab => "TAB (0x09) is not allowed anywhere",
            ControlInQuotedString { .. } => "control character inside a quoted string",
            LineFeedInQuotedString => "line break inside a quoted string (missing closing `\"`)",
            ByteOrderMark => "the file starts with a UTF-8 byte order mark (BOM)",
            EmptyInput => "empty input: an SCL:V1 document starts with `SCL:V1`",
            HeaderMismatch => "invalid header: the document must start with `SCL:V1` and one blank line",
            HeaderTruncated => "input ends inside the header `SCL:V1` + blank line",
            ExtraBlankLineAfterHeader => "extra blank line after the header (exactly one is required)",
            HandlesOpenMismatch => "expected `handles {` on the line after the header",
            HandlesOpenTruncated => "input ends before the `handles {` line is complete",
            EmptyHandlesBlock => "the handles block is empty: at least one handle is required",
            BlankLineInHandles => "blank or whitespace-only line inside the handles block",
            HandlesUnclosed => "input ends before the handles block is closed by `}` and a newline",
            InvalidHandleIdByte => "invalid character in handle id (allowed: A-Z a-z 0-9 _, not starting with a digit)",
            SpaceInHandleLine => "space not allowed here: a handle line is `id(\"tag\",...)` with no spaces except indentation",
            MissingOpenParen => "handle line has no `(`: expected `id(\"tag\",...)`",
            EmptyHandleId => "handle id is missing before `(`",
            TrailingAfterHandle => "unexpected bytes after `)`: the handle line must end there",
            EmptyTagList => "empty tag list `()`: at least one tag is required",
            TrailingComma => "trailing comma in tag list",
            TagExpected => "expected `\"` to start a tag (no spaces are allowed inside the parentheses)",
            TagSeparatorExpected => "expected `,` or `)` after a tag (no spaces allowed)",
            BlankLineBeforeScl => "blank line between the handles block and `scl {` is not allowed",
            SclOpenMismatch => "expected `scl {` right after the handles block",
            SclOpenTruncated => "input ends before the `scl {` line is complete",
            QuotedLineExpected => "quoted mode: every content line must be a double-quoted string",
            BlankLineInQuotedBlock => "quoted mode: blank line inside the SCL block",
            IndentedQuotedTerminator => "quoted mode: the closing `}` must be at the start of the line",
            TrailingAfterQuotedLine => "unexpected bytes after the closing `\"` of a quoted line",
            TrailingNewlineAfterTerminator => "newline after the final `}`: the document must end right after it",
            TrailingAfterTerminator => "unexpected bytes after the final `}`",
            TrailingSpacesAfterTerminator => "spaces after the final `}`",
            SclUnclosed => "input ends before the SCL block is closed by a final `}`",
        }
    }

    /// A plain-words hint for the frequent mistakes, if there is one.
    pub const fn hint(self) -> Option<&'static str> {
        use Reason::*;
        match self {
            CarriageReturn { before_lf: true } => Some(
                "the file has Windows (CRLF) line endings; convert it to LF (e.g. `dos2unix FILE`, or your editor's line-ending setting)",
            ),
            CarriageReturn { before_lf: false } => Some("remove the carriage return byte (0x0D)"),
            Tab => Some("indent with spaces; TAB is forbidden even inside content"),
            ByteOrderMark => Some("save the file as UTF-8 without BOM"),
            TrailingNewlineAfterTerminator => Some(
                "editors often add a final newline: remove it (e.g. `truncate -s -1 FILE`) and turn off \"insert final newline\" for .scl files",
            ),
            ExtraBlankLineAfterHeader | BlankLineInHandles | BlankLineBeforeScl
            | BlankLineInQuotedBlock => Some("delete the blank line; SCL:V1 allows exactly one blank line, after the header"),
            TrailingSpacesAfterTerminator => Some("delete the spaces after the final `}`"),
            LineFeedInQuotedString => Some("close the string with `\"` before the end of the line; quoted strings cannot span lines"),
            ControlInQuotedString { .. } => Some("control characters are allowed only in raw-mode content"),
            IndentedQuotedTerminator => Some("write the final `}` in column 1 with nothing after it"),
            _ => None,
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::ControlInQuotedString { byte } => {
                write!(f, "control character U+{byte:04X} inside a quoted string")
            }
            other => f.write_str(other.message()),
        }
    }
}

/// The single error of an invalid SCL:V1 input: `(code, offset)` plus a reason.
///
/// Two errors are equal when code, offset and reason are equal. Conformance is
/// about `code` and `offset` only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("error[{code}] at byte {offset}: {reason}")]
pub struct ParseError {
    code: ErrorCode,
    offset: ByteOffset,
    reason: Reason,
}

impl ParseError {
    /// Builds an error whose code is the reason's code. Public so that other
    /// engines of this workspace (the streaming identity engine of `scl-hash`)
    /// return the very same error values as [`crate::parse`].
    pub const fn new(reason: Reason, offset: usize) -> Self {
        ParseError {
            code: reason.code(),
            offset: ByteOffset(offset),
            reason,
        }
    }

    /// Builds an error with an explicit code (for reasons that map to two codes:
    /// a trailing newline is `E104` in quoted mode and `E105` in raw mode).
    pub const fn with_code(code: ErrorCode, reason: Reason, offset: usize) -> Self {
        ParseError {
            code,
            offset: ByteOffset(offset),
            reason,
        }
    }

    /// The stable error code.
    pub const fn code(&self) -> ErrorCode {
        self.code
    }

    /// The 0-based byte offset of the error (EOF = input length).
    pub const fn offset(&self) -> ByteOffset {
        self.offset
    }

    /// What exactly is wrong.
    pub const fn reason(&self) -> Reason {
        self.reason
    }

    /// A human message (what is wrong, in plain words).
    pub fn message(&self) -> String {
        self.reason.to_string()
    }

    /// A hint for frequent mistakes, if any.
    pub const fn hint(&self) -> Option<&'static str> {
        self.reason.hint()
    }

    /// Line and column of the error in `input` (the input that produced it).
    pub fn line_column(&self, input: &[u8]) -> LineColumn {
        line_column(input, self.offset.0)
    }

    /// Renders the error like a compiler diagnostic:
    ///
    /// ```text
    /// run.scl:8:3: error[E104]: quoted mode: the closing `}` must be at the start of the line
    ///   |
    /// 8 |   }
    ///   |   ^
    ///   = hint: write the final `}` in column 1 with nothing after it
    /// ```
    ///
    /// `input` must be the bytes that produced this error. Non-printable bytes
    /// of the shown line are displayed escaped so the terminal shows what the
    /// file contains.
    pub fn render(&self, name: &str, input: &[u8]) -> String {
        let at = self.line_column(input);
        let mut out = format!(
            "{name}:{}:{}: error[{}]: {}\n",
            at.line, at.column, self.code, self.reason
        );
        let offset = self.offset.0.min(input.len());
        let line_start = input[..offset]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        let line_end = input[offset..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(input.len(), |p| offset + p);
        let gutter = at.line.to_string();
        let pad = " ".repeat(gutter.len());
        // Show at most 120 bytes of context around the offset.
        let from = line_start.max(offset.saturating_sub(80));
        let to = line_end.min(offset.saturating_add(40)).max(from);
        let (shown_before, caret_col) = escape_for_display(&input[from..offset]);
        let (shown_after, _) = escape_for_display(&input[offset..to]);
        let ellipsis_left = if from > line_start { "…" } else { "" };
        let ellipsis_right = if to < line_end { "…" } else { "" };
        let caret_pad = caret_col + if ellipsis_left.is_empty() { 0 } else { 1 };
        out.push_str(&format!("{pad} |\n"));
        out.push_str(&format!(
            "{gutter} | {ellipsis_left}{shown_before}{shown_after}{ellipsis_right}\n"
        ));
        let what = if self.offset.0 >= input.len() {
            "^ end of input"
        } else {
            "^"
        };
        out.push_str(&format!("{pad} | {}{what}\n", " ".repeat(caret_pad)));
        if let Some(hint) = self.hint() {
            out.push_str(&format!("{pad} = hint: {hint}\n"));
        }
        out
    }
}

/// Escapes a byte slice for display on one terminal line; returns the text and
/// its width in columns (one per char shown).
fn escape_for_display(bytes: &[u8]) -> (String, usize) {
    let mut out = String::new();
    let mut width = 0;
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\t' => {
                    out.push_str("\\t");
                    width += 2;
                }
                '\r' => {
                    out.push_str("\\r");
                    width += 2;
                }
                c if c.is_control() || c == '\u{feff}' => {
                    let esc = format!("\\u{{{:x}}}", c as u32);
                    width += esc.len();
                    out.push_str(&esc);
                }
                c => {
                    out.push(c);
                    width += 1;
                }
            }
        }
        for b in chunk.invalid() {
            let esc = format!("\\x{b:02x}");
            width += esc.len();
            out.push_str(&esc);
        }
    }
    (out, width)
}

/// Line and column (1-based, column in bytes) of `offset` in `input`.
/// Offsets past the end are clamped to the end of input.
pub fn line_column(input: &[u8], offset: usize) -> LineColumn {
    let offset = offset.min(input.len());
    let before = &input[..offset];
    let line = 1 + memchr::memchr_iter(b'\n', before).count();
    let column = 1 + before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(offset, |p| offset - p - 1);
    LineColumn { line, column }
}
