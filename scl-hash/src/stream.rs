//! The streaming SCL:V1 identity engine: bytes in, canonical JSON out, in one
//! forward pass and constant memory.
//!
//! [`CanonicalStream`] is a push parser. Feed it the input in chunks of any
//! size (one byte at a time works, so does the whole input at once), then
//! call [`CanonicalStream::finish`]. It checks the structure (`scl-v1.md` §6),
//! the bytes forbidden everywhere (invalid UTF-8, CR, TAB; §4) and the
//! quoted-string rules in the same pass, and writes the canonical JSON (§9)
//! into a [`Sink`] as it goes: a SHA-256 state for the identity
//! ([`IdentityStream`]), a `Vec<u8>` for the canonical bytes, or anything
//! else. Nothing of what has been read is kept: canonical JSON lists the
//! handles first and the content after them, both in input order, so every
//! byte can be written out as soon as its meaning is known.
//!
//! The answer is exactly the one of [`scl_parse::parse`]: the same
//! [`ParseError`] (code, offset and reason) for an invalid input, and for a
//! valid one the canonical bytes that `scl_canon` writes for the parsed
//! document. The property tests, the conformance vectors and a differential
//! fuzz target check this.
//!
//! Memory: the engine is a fixed-size value (a 1 KiB output block plus a
//! few counters); it allocates nothing. A raw-mode line that could still be
//! the terminator (spaces, `}`, spaces) is held as three counters, not as
//! bytes.
//!
//! Only `core` is used here; the `std::io::Read` adapters and the two-thread
//! pipeline are in [`crate::stream_io`] (feature `std`).

use alloc::vec::Vec;
use core::convert::Infallible;

use scl_parse::{ErrorCode, LineColumn, ParseError, Reason};
use sha2::{Digest, Sha256};

use crate::DocHash;

/// Where the canonical JSON goes: the same trait as the in-memory encoder's
/// ([`scl_canon::Sink`]), with an error type that cannot occur. A sink whose
/// writes can fail (a channel, a file) records the failure and reports it
/// when it is done, so that the engine's hot path has no error branch.
pub use scl_canon::Sink;

/// SHA-256 as a [`Sink`] (a newtype: neither the trait nor `Sha256` is
/// this crate's).
#[derive(Clone, Default)]
pub(crate) struct Sha256Sink(pub(crate) Sha256);

impl Sink for Sha256Sink {
    type Error = Infallible;

    #[inline]
    fn put(&mut self, bytes: &[u8]) -> Result<(), Infallible> {
        self.0.update(bytes);
        Ok(())
    }
}

/// Writes `bytes` to a sink that cannot fail.
#[inline(always)]
fn put<S: Sink<Error = Infallible>>(sink: &mut S, bytes: &[u8]) {
    match sink.put(bytes) {
        Ok(()) => {}
        Err(never) => match never {},
    }
}

const HEADER: &[u8; 8] = b"SCL:V1\n\n";
const HANDLES_OPEN: &[u8; 10] = b"handles {\n";
const SCL_OPEN: &[u8; 6] = b"scl {\n";
/// The usual start of a document, taken in one step.
const HEADER_AND_HANDLES_OPEN: &[u8; 18] = b"SCL:V1\n\nhandles {\n";
/// The usual end of the handles block and start of the body.
const HANDLES_CLOSE_SCL_OPEN: &[u8; 8] = b"}\nscl {\n";
const BOM: &[u8] = b"\xEF\xBB\xBF";

const JSON_DOC_OPEN: &[u8] = b"{\"handles\":[";
const JSON_HANDLE_OPEN: &[u8] = b"{\"id\":\"";
const JSON_NEXT_HANDLE_OPEN: &[u8] = b",{\"id\":\"";
const JSON_TAGS_OPEN: &[u8] = b"\",\"tags\":[\"";
const JSON_NEXT_TAG: &[u8] = b",\"";
const JSON_HANDLE_CLOSE: &[u8] = b"],\"type\":\"Handle\"}";
const JSON_CONTENT_OPEN: &[u8] = b"],\"scl\":{\"content\":\"";
const JSON_DOC_CLOSE: &[u8] =
    b"\",\"hints\":[],\"refs\":[],\"type\":\"SclBlock\"},\"type\":\"Document\",\"version\":\"SCL:V1\"}";
/// An LF inside a JSON string.
const JSON_LF: &[u8] = b"\\u000a";
const SPACES: &[u8; 64] = &[b' '; 64];

/// Output block: small pieces are gathered here before they reach the sink.
const OUT: usize = 1024;
/// Runs at least this long go to the sink directly, without a copy.
const DIRECT: usize = 256;
/// The longest handle line (LF excluded) that the fast path takes.
const FAST_LINE: usize = 192;
/// Room the handle fast path needs in the output block: every byte of the
/// line doubled (a tag full of backslashes), the fixed parts, and the eight
/// bytes a word copy may write past the end.
const FAST_ROOM: usize = 2 * FAST_LINE + 64;
/// Input is validated and parsed in pieces of at most this size, so that the
/// few passes over each piece hit the cache.
const SEGMENT: usize = 64 * 1024;
/// Raw content in bulk: bytes per step. 32 measured faster than 16 or 64:
/// each byte to escape costs one copy of this length.
const BULK: usize = 32;
/// Room one bulk step needs in the output block: [`BULK`] control bytes at
/// six output bytes each, plus the copy and the 8-byte escape that may be
/// written past the end.
const BULK_ROOM: usize = 6 * BULK + BULK + 8;

/// The JSON escape of each byte that raw content escapes (control bytes,
/// `"`, `\\`), as up to six bytes, with their count in the top byte and, in
/// bit 48, whether the byte is an LF (for the line count).
static RAW_ESCAPES: [u64; 256] = raw_escapes();

const fn raw_escapes() -> [u64; 256] {
    let hex = scl_canon::HEX_DIGITS;
    let mut table = [0u64; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        let (bytes, len): ([u8; 8], u64) = if b < 0x20 {
            (
                [b'\\', b'u', b'0', b'0', hex[c >> 4], hex[c & 0x0f], 0, 0],
                6,
            )
        } else {
            ([b'\\', b, 0, 0, 0, 0, 0, 0], 2)
        };
        table[c] = u64::from_le_bytes(bytes) | (len << 56) | ((b == b'\n') as u64) << 48;
        c += 1;
    }
    table
}

/// Where the parser is. Names follow the steps of `scl-v1.md` §6.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// HDR-1: `k` bytes of `SCL:V1` LF LF matched.
    Header(u8),
    /// HDR-2: offset 8, a third LF is an error.
    AfterHeader,
    /// OPEN-1: `k` bytes of `handles {` LF matched.
    HandlesOpen(u8),
    /// HL-1: at the start of a line of the handles block.
    HlStart,
    /// HL-2: a `}` at the start of the line (`line_start`).
    HlBrace,
    /// HL-3: indentation of a handle line.
    HlIndent,
    /// HL-4: the first byte after the indentation.
    HlIdFirst,
    /// HL-4: inside the identifier.
    HlId,
    /// HL-6: after `(` or `,`: a tag must open.
    TagStart,
    /// HL-7: inside a tag.
    Tag,
    /// HL-8: after a tag's closing quote.
    TagEnd,
    /// HL-9: after `)`.
    HlEnd,
    /// SCL-1: `k` bytes of `scl {` LF matched.
    SclOpen(u8),
    /// MODE-1: leading spaces of the first body line (`cand_spaces`).
    Mode,
    /// QT-4: inside a quoted line.
    QStr,
    /// QT-5: after a quoted line's closing quote.
    QEnd,
    /// QT-1: at the start of a line in quoted mode.
    QLineStart,
    /// QT-3: leading spaces of a quoted line.
    QIndent,
    /// QT-2: a `}` in column 1.
    QBrace,
    /// RAW: a line that may still be the terminator (`cand_*`).
    RawCand,
    /// RAW: a line that is content (or, if it is the last one, an error).
    RawBody,
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Bytes of `x` below `n` (`n` <= 0x80) get their high bit set. Exact for
/// the lowest such byte; a byte above it (in memory order: after it) may be
/// flagged too, by the borrow. So: zero iff no byte is below `n`, and the
/// lowest set bit marks the first byte below `n`. That is all the callers use.
#[inline(always)]
const fn below(x: u64, n: u8) -> u64 {
    x.wrapping_sub(ONES * n as u64) & !x
}

/// Like [`below`], for bytes equal to `b`.
#[inline(always)]
const fn equal(x: u64, b: u8) -> u64 {
    below(x ^ (ONES * b as u64), 1)
}

/// High bit set from the first byte of `x` that needs escaping in raw
/// content (control characters, `"`, `\\`); see [`below`] for exactness.
#[inline(always)]
const fn raw_special(x: u64) -> u64 {
    (below(x, 0x20) | equal(x, b'"') | equal(x, b'\\')) & HIGHS
}

/// As [`raw_special`], for quoted strings: also DEL.
#[inline(always)]
const fn quoted_special(x: u64) -> u64 {
    (below(x, 0x20) | equal(x, b'"') | equal(x, b'\\') | equal(x, 0x7f)) & HIGHS
}

/// Bit `k` set iff byte `k` needs escaping in raw content (SSE2 on x86_64).
#[inline(always)]
fn raw_special16(chunk: [u8; 16]) -> u32 {
    use wide::u8x16;
    let v = u8x16::new(chunk);
    // XOR 2 maps `"` (0x22) to 0x20, the control bytes onto themselves and
    // nothing else to 0x20 or below: one compare for both.
    let x = v ^ u8x16::splat(0x02);
    let m = x.min(u8x16::splat(0x20)).cmp_eq(x) | v.cmp_eq(u8x16::splat(b'\\'));
    u32::from(m.move_mask() as u16)
}

/// As [`raw_special16`], for quoted strings: also DEL.
#[inline(always)]
fn quoted_special16(chunk: [u8; 16]) -> u32 {
    use wide::u8x16;
    let v = u8x16::new(chunk);
    let x = v ^ u8x16::splat(0x02);
    let m = x.min(u8x16::splat(0x20)).cmp_eq(x)
        | v.cmp_eq(u8x16::splat(b'\\'))
        | v.cmp_eq(u8x16::splat(0x7f));
    u32::from(m.move_mask() as u16)
}

/// The two masks of the quoted-mode bulk steps: bit `k` of the first set
/// iff byte `k` is `\\` (escaped as two bytes), of the second iff it is
/// `"`, a control byte or DEL (where a string ends or fails).
#[inline(always)]
fn quoted_classes16(chunk: [u8; 16]) -> (u32, u32) {
    use wide::u8x16;
    let v = u8x16::new(chunk);
    let backslash = v.cmp_eq(u8x16::splat(b'\\'));
    let x = v ^ u8x16::splat(0x02);
    let stop = x.min(u8x16::splat(0x20)).cmp_eq(x) | v.cmp_eq(u8x16::splat(0x7f));
    (
        u32::from(backslash.move_mask() as u16),
        u32::from(stop.move_mask() as u16),
    )
}

/// Copies the first 8 bytes of `rest` to `out[len..]` and returns the mask
/// of those that need escaping or stop the copy (see [`below`]).
#[inline(always)]
fn copy_word(out: &mut [u8; OUT], len: usize, rest: &[u8], quoted: bool) -> u64 {
    let w = word(rest);
    out[len..len + 8].copy_from_slice(&rest[..8]);
    if quoted {
        quoted_special(w)
    } else {
        raw_special(w)
    }
}

#[inline(always)]
fn is_id_byte(b: u8) -> bool {
    ID_BYTES[usize::from(b)]
}

/// The bytes of a handle identifier: ASCII letters, digits and `_`.
static ID_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        table[c] = b.is_ascii_alphanumeric() || b == b'_';
        c += 1;
    }
    table
};

#[inline(always)]
fn word(bytes: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&bytes[..8]);
    u64::from_le_bytes(w)
}

/// Length of the UTF-8 sequence that `lead` starts (1 for anything that
/// cannot start a longer one).
#[inline]
fn utf8_len(lead: u8) -> usize {
    match lead {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        _ => 1,
    }
}

/// A whole tag list in one step: `window` starts after a handle line's
/// `(`. When the line ends within it (`)` then LF at index `end`, returned)
/// and the list is valid with no byte to escape (`"tag"` items separated by
/// single commas, no `\\`, no control byte or DEL), the bytes before the
/// `)` are already the JSON array's items. `None` for anything else, which
/// the byte-by-byte code then takes.
#[inline(always)]
fn tag_list_in_one_step(window: &[u8]) -> Option<usize> {
    use wide::u8x16;
    let (mut quotes, mut commas, mut lfs, mut bad) = (0u64, 0u64, 0u64, 0u64);
    // 16 bytes at a time up to the LF (short lines take one or two).
    for (k, chunk) in window.chunks_exact(16).take(4).enumerate() {
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(chunk);
        let v = u8x16::new(bytes);
        let mask = |m: u8x16| u64::from(m.move_mask() as u16) << (16 * k);
        quotes |= mask(v.cmp_eq(u8x16::splat(b'"')));
        commas |= mask(v.cmp_eq(u8x16::splat(b',')));
        lfs |= mask(v.cmp_eq(u8x16::splat(b'\n')));
        bad |= mask(
            v.min(u8x16::splat(0x1f)).cmp_eq(v)
                | v.cmp_eq(u8x16::splat(0x7f))
                | v.cmp_eq(u8x16::splat(b'\\')),
        );
        if lfs != 0 {
            break;
        }
    }
    let end = lfs.trailing_zeros() as usize;
    if !(2..64).contains(&end) || window[end - 1] != b')' {
        return None;
    }
    // The items: every byte before the `)`.
    let items = (1u64 << (end - 1)) - 1;
    let quotes = quotes & items;
    // Inside a string: from an opening quote up to its closing quote
    // (exclusive), by a prefix XOR of the quote bits.
    let mut inside = quotes;
    for shift in [1, 2, 4, 8, 16, 32] {
        inside ^= inside << shift;
    }
    let open = quotes & inside;
    let close = quotes & !inside;
    let commas = commas & items & !inside;
    // The first byte opens a string and the last closes one; a comma
    // follows every closing quote but the last, and an opening quote follows
    // every comma. So every byte outside the strings is a single comma
    // between two of them (checked against the grammar's regular expression
    // for every string of up to 9 bytes over `"`, `,`, `a`, `)`).
    let valid = bad & items == 0
        && open & 1 == 1
        && (close >> (end - 2)) & 1 == 1
        && (commas << 1) & !open == 0
        && (close << 1) & items & !commas == 0;
    valid.then_some(end)
}

/// The steps of [`CanonicalStream::raw_bulk`] while the output block has
/// room: returns the bytes taken, the new output length and the LFs seen.
/// Each step reads `2 * BULK` bytes from where it starts (the copies are of
/// fixed length, past the step's end); the last one may take fewer than
/// [`BULK`], to stop at `limit`.
#[inline(always)]
fn raw_bulk_steps(
    out: &mut [u8; OUT],
    mut len: usize,
    rest: &[u8],
    limit: usize,
) -> (usize, usize, usize) {
    let mut j = 0;
    let mut lines = 0;
    // Steps start below `last`: `2 * BULK` bytes of input from each, and
    // below `limit`.
    let last = limit.min(rest.len().saturating_sub(2 * BULK - 1));
    while j < last && len <= OUT - BULK_ROOM {
        let Some(block) = rest.get(j..j + 2 * BULK) else {
            break;
        };
        let mut specials = 0u64;
        for (q, chunk) in block[..BULK].chunks_exact(16).enumerate() {
            let mut bytes = [0u8; 16];
            bytes.copy_from_slice(chunk);
            specials |= u64::from(raw_special16(bytes)) << (16 * q);
        }
        let step = (limit - j).min(BULK);
        if step < BULK {
            specials &= (1u64 << step) - 1;
        }
        let mut from = 0;
        while specials != 0 {
            let k = specials.trailing_zeros() as usize;
            out[len..len + BULK].copy_from_slice(&block[from..from + BULK]);
            len += k - from;
            let escape = RAW_ESCAPES[usize::from(block[k])];
            out[len..len + 8].copy_from_slice(&escape.to_le_bytes());
            len += (escape >> 56) as usize;
            lines += ((escape >> 48) & 1) as usize;
            from = k + 1;
            specials &= specials - 1;
        }
        out[len..len + BULK].copy_from_slice(&block[from..from + BULK]);
        len += step - from;
        j += step;
    }
    (j, len, lines)
}

/// What [`quoted_bulk_steps`] did: bytes taken, the new output length, the
/// LFs taken and the offset (in `rest`) of the last one.
struct QuotedSteps {
    took: usize,
    len: usize,
    lines: usize,
    last_lf: Option<usize>,
}

/// The steps of [`CanonicalStream::quoted_bulk`] while the output block has
/// room. `rest` starts inside a quoted string. Each step reads `2 * BULK`
/// bytes from where it starts; it copies string content, doubles each
/// `\\`, and takes a line change `"` LF spaces `"` whole (written as
/// `\u000a`). It stops before any other byte that ends or breaks a string,
/// and before a line change it cannot see whole.
#[inline(always)]
fn quoted_bulk_steps(out: &mut [u8; OUT], mut len: usize, rest: &[u8]) -> QuotedSteps {
    let mut j = 0;
    let mut lines = 0;
    let mut last_lf = None;
    'steps: while len <= OUT - BULK_ROOM {
        let Some(block) = rest.get(j..j + 2 * BULK) else {
            break;
        };
        let (mut backslashes, mut stops) = (0u64, 0u64);
        for (q, chunk) in block[..BULK].chunks_exact(16).enumerate() {
            let mut bytes = [0u8; 16];
            bytes.copy_from_slice(chunk);
            let (b, s) = quoted_classes16(bytes);
            backslashes |= u64::from(b) << (16 * q);
            stops |= u64::from(s) << (16 * q);
        }
        let mut specials = backslashes | stops;
        let mut from = 0;
        while specials != 0 {
            let k = specials.trailing_zeros() as usize;
            out[len..len + BULK].copy_from_slice(&block[from..from + BULK]);
            len += k - from;
            if (backslashes >> k) & 1 == 1 {
                out[len..len + 2].copy_from_slice(b"\\\\");
                len += 2;
                from = k + 1;
                specials &= specials - 1;
                continue;
            }
            // A stop: only `"` LF spaces `"`, seen whole, is taken here.
            if block[k] == b'"' && block[k + 1] == b'\n' {
                let spaces = block[k + 2..].iter().position(|&c| c != b' ');
                if let Some(s) = spaces {
                    if block[k + 2 + s] == b'"' {
                        out[len..len + JSON_LF.len()].copy_from_slice(JSON_LF);
                        len += JSON_LF.len();
                        lines += 1;
                        last_lf = Some(j + k + 1);
                        j += k + 3 + s;
                        continue 'steps;
                    }
                }
            }
            return QuotedSteps {
                took: j + k,
                len,
                lines,
                last_lf,
            };
        }
        out[len..len + BULK].copy_from_slice(&block[from..from + BULK]);
        len += BULK - from;
        j += BULK;
    }
    QuotedSteps {
        took: j,
        len,
        lines,
        last_lf,
    }
}

/// The streaming engine: SCL:V1 bytes in, canonical JSON into a [`Sink`].
///
/// ```
/// use scl_hash::stream::CanonicalStream;
///
/// let input = b"SCL:V1\n\nhandles {\n  h1(\"test\")\n}\nscl {\n  \"hello world\"\n}";
/// let mut engine = CanonicalStream::new(Vec::new());
/// for chunk in input.chunks(5) {
///     engine.feed(chunk).unwrap();
/// }
/// let canonical = engine.finish().unwrap();
/// assert!(canonical.starts_with(b"{\"handles\":[{\"id\":\"h1\""));
/// ```
pub struct CanonicalStream<S: Sink<Error = Infallible>> {
    sink: S,
    out: [u8; OUT],
    out_len: usize,
    state: State,
    /// Bytes accepted so far (the offset of the next byte).
    pos: usize,
    /// An incomplete UTF-8 sequence at the end of the last chunk.
    carry: [u8; 4],
    carry_len: usize,
    /// The final error, once known.
    failed: Option<ParseError>,
    /// A CR at this offset is the error; its reason waits for the next byte.
    pending_cr: Option<usize>,
    /// Start of the current line (handles block and quoted mode).
    line_start: usize,
    /// Complete handle lines so far.
    handles: usize,
    /// The current tag list has a tag.
    has_tag: bool,
    /// Raw mode: the current line is preceded by an LF that is not written yet.
    cand_lf: bool,
    /// Raw mode (and MODE-1): leading spaces of the current line, not written yet.
    cand_spaces: u64,
    /// Raw mode: a `}` after those spaces.
    cand_brace: bool,
    /// Raw mode: spaces after that `}`.
    cand_trailing: u64,
    /// Raw mode: the previous line was exactly (spaces) `}`.
    prev_was_terminator: bool,
    /// LF bytes before `line_begin`.
    lines: usize,
    /// Offset just after the last LF consumed.
    line_begin: usize,
}

impl<S: Sink<Error = Infallible>> CanonicalStream<S> {
    /// A new engine writing into `sink`.
    pub fn new(sink: S) -> Self {
        // Built in place, with nothing written yet (the JSON starts when the
        // handles block opens): a value mutated here would be moved out.
        CanonicalStream {
            sink,
            out: [0; OUT],
            out_len: 0,
            state: State::Header(0),
            pos: 0,
            carry: [0; 4],
            carry_len: 0,
            failed: None,
            pending_cr: None,
            line_start: 0,
            handles: 0,
            has_tag: false,
            cand_lf: false,
            cand_spaces: 0,
            cand_brace: false,
            cand_trailing: 0,
            prev_was_terminator: false,
            lines: 0,
            line_begin: 0,
        }
    }

    /// Number of input bytes fed so far.
    pub fn bytes_fed(&self) -> usize {
        self.pos + self.carry_len
    }

    /// Feeds the next bytes of the input.
    ///
    /// An `Err` is final: it is the input's error, whatever follows, and
    /// every later call returns it again. `Ok` does not mean the input is
    /// valid; only [`finish`](Self::finish) says that.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), ParseError> {
        for piece in chunk.chunks(SEGMENT) {
            self.feed_piece(piece)?;
        }
        match self.failed {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Ends the input: the canonical JSON is complete in the sink, which is
    /// returned, or the input's single error.
    pub fn finish(self) -> Result<S, ParseError> {
        self.finish_located().map_err(|(e, _)| e)
    }

    /// Like [`finish`](Self::finish), with the line and column of an error.
    pub fn finish_located(mut self) -> Result<S, (ParseError, LineColumn)> {
        match self.end() {
            Ok(()) => Ok(self.sink),
            Err(e) => {
                let at = self.line_column(e.offset().get());
                Err((e, at))
            }
        }
    }

    /// Line and column (as [`scl_parse::line_column`] computes them) of an
    /// error offset returned by this engine.
    pub fn line_column(&self, offset: usize) -> LineColumn {
        LineColumn {
            line: self.lines + 1,
            column: offset.saturating_sub(self.line_begin) + 1,
        }
    }

    /// Records the final error and returns it.
    fn fail(&mut self, e: ParseError) -> ParseError {
        self.failed = Some(e);
        e
    }

    fn feed_piece(&mut self, mut piece: &[u8]) -> Result<(), ParseError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        if piece.is_empty() {
            return Ok(());
        }
        if let Some(at) = self.pending_cr {
            let before_lf = piece[0] == b'\n';
            return Err(self.fail(ParseError::new(Reason::CarriageReturn { before_lf }, at)));
        }
        if self.carry_len > 0 {
            // Complete the carried sequence with the first bytes of `piece`.
            let have = self.carry_len;
            let take = (utf8_len(self.carry[0]).saturating_sub(have)).min(piece.len());
            let mut joined = [0u8; 4];
            joined[..have].copy_from_slice(&self.carry[..have]);
            joined[have..have + take].copy_from_slice(&piece[..take]);
            self.carry_len = 0;
            let consumed = self.segment(&joined[..have + take])?;
            if consumed == 0 {
                // Still incomplete: `piece` was shorter than the sequence.
                self.carry[..have + take].copy_from_slice(&joined[..have + take]);
                self.carry_len = have + take;
                return Ok(());
            }
            piece = piece.get(consumed.saturating_sub(have)..).unwrap_or(&[]);
        }
        let consumed = self.segment(piece)?;
        let tail = piece.get(consumed..).unwrap_or(&[]);
        if !tail.is_empty() {
            self.carry[..tail.len()].copy_from_slice(tail);
        }
        self.carry_len = tail.len();
        Ok(())
    }

    /// Validates and parses `seg`, which starts at `self.pos`. Returns how
    /// many bytes were taken: all of them, except an incomplete UTF-8
    /// sequence at the end (at most 3 bytes), which the caller carries.
    fn segment(&mut self, seg: &[u8]) -> Result<usize, ParseError> {
        // The faster check first; where it fails, the one that says where.
        let (valid, utf8_error) = match simdutf8::basic::from_utf8(seg) {
            Ok(_) => (seg.len(), false),
            Err(_) => match simdutf8::compat::from_utf8(seg) {
                Ok(_) => (seg.len(), false),
                Err(e) => (e.valid_up_to(), e.error_len().is_some()),
            },
        };
        let forbidden = memchr::memchr2(b'\r', b'\t', &seg[..valid]);
        let stop = match forbidden {
            Some(at) => at,
            None if utf8_error => valid,
            None => {
                self.run(&seg[..valid])?;
                return Ok(valid);
            }
        };
        self.run(&seg[..stop])?;
        // E001 at `stop`, unless the structure already fails at a lower
        // offset once it sees that byte (a `}` line in the handles block).
        let at = self.pos;
        if self.state == State::HlBrace {
            let e = ParseError::new(Reason::InvalidHandleIdByte, self.line_start);
            return Err(self.fail(e));
        }
        let reason = match seg[stop] {
            b'\t' => Reason::Tab,
            b'\r' => match seg.get(stop + 1) {
                Some(&next) => Reason::CarriageReturn {
                    before_lf: next == b'\n',
                },
                None => {
                    self.pending_cr = Some(at);
                    return Ok(seg.len());
                }
            },
            _ => Reason::InvalidUtf8,
        };
        Err(self.fail(ParseError::new(reason, at)))
    }

    /// The end of input.
    fn end(&mut self) -> Result<(), ParseError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        if let Some(at) = self.pending_cr {
            let e = ParseError::new(Reason::CarriageReturn { before_lf: false }, at);
            return Err(self.fail(e));
        }
        if self.carry_len > 0 {
            // A sequence cut short by EOF.
            let e = if self.state == State::HlBrace {
                ParseError::new(Reason::InvalidHandleIdByte, self.line_start)
            } else {
                ParseError::new(Reason::InvalidUtf8, self.pos)
            };
            return Err(self.fail(e));
        }
        let n = self.pos;
        let error = match self.state {
            State::Header(_) if n == 0 => ParseError::new(Reason::EmptyInput, 0),
            State::Header(_) => ParseError::new(Reason::HeaderTruncated, n),
            State::AfterHeader | State::HandlesOpen(_) => {
                ParseError::new(Reason::HandlesOpenTruncated, n)
            }
            State::HlBrace if self.handles == 0 => {
                ParseError::new(Reason::EmptyHandlesBlock, self.line_start)
            }
            State::HlStart
            | State::HlBrace
            | State::HlIndent
            | State::HlIdFirst
            | State::HlId
            | State::TagStart
            | State::Tag
            | State::TagEnd
            | State::HlEnd => ParseError::new(Reason::HandlesUnclosed, n),
            State::SclOpen(_) => ParseError::new(Reason::SclOpenTruncated, n),
            State::Mode
            | State::QStr
            | State::QEnd
            | State::QLineStart
            | State::QIndent
            | State::RawBody => ParseError::new(Reason::SclUnclosed, n),
            State::QBrace => {
                self.close();
                return Ok(());
            }
            State::RawCand => {
                if self.cand_brace && self.cand_trailing == 0 {
                    self.close();
                    return Ok(());
                }
                if self.cand_brace {
                    let first_space =
                        n.saturating_sub(usize::try_from(self.cand_trailing).unwrap_or(n));
                    ParseError::new(Reason::TrailingSpacesAfterTerminator, first_space)
                } else if self.cand_spaces == 0 && self.cand_lf && self.prev_was_terminator {
                    ParseError::new(Reason::TrailingNewlineAfterTerminator, n)
                } else {
                    ParseError::new(Reason::SclUnclosed, n)
                }
            }
        };
        Err(self.fail(error))
    }

    /// Writes the end of the canonical JSON and flushes everything.
    fn close(&mut self) {
        self.emit(JSON_DOC_CLOSE);
        self.flush_out();
    }

    #[inline(always)]
    fn emit(&mut self, bytes: &[u8]) {
        let len = self.out_len;
        if bytes.len() < DIRECT && bytes.len() <= OUT - len {
            self.out[len..len + bytes.len()].copy_from_slice(bytes);
            self.out_len = len + bytes.len();
        } else {
            self.emit_slow(bytes);
        }
    }

    fn emit_slow(&mut self, bytes: &[u8]) {
        self.flush_out();
        if bytes.len() >= DIRECT {
            put(&mut self.sink, bytes);
        } else {
            self.out[..bytes.len()].copy_from_slice(bytes);
            self.out_len = bytes.len();
        }
    }

    fn flush_out(&mut self) {
        if self.out_len > 0 {
            put(&mut self.sink, &self.out[..self.out_len]);
            self.out_len = 0;
        }
    }

    fn emit_spaces(&mut self, mut count: u64) {
        while count > 0 {
            let n = count.min(SPACES.len() as u64);
            self.emit(&SPACES[..n as usize]);
            count -= n;
        }
    }

    /// `\u00xx` for a control byte (R11: lowercase hex).
    fn emit_control(&mut self, c: u8) {
        let hex = scl_canon::HEX_DIGITS;
        self.emit(&[
            b'\\',
            b'u',
            b'0',
            b'0',
            hex[usize::from(c >> 4)],
            hex[usize::from(c & 0x0f)],
        ]);
    }

    /// Writes a raw-mode line start that turned out to be content.
    fn flush_candidate(&mut self) {
        if self.cand_lf {
            self.emit(JSON_LF);
        }
        self.emit_spaces(self.cand_spaces);
        if self.cand_brace {
            self.emit(b"}");
        }
        self.emit_spaces(self.cand_trailing);
        self.cand_lf = false;
        self.cand_spaces = 0;
        self.cand_brace = false;
        self.cand_trailing = 0;
    }

    /// Copies `rest` into the output, escaping `\\` (and in raw content
    /// `"` and control characters) as it goes, 8 or 16 bytes per step (a
    /// word compare, or one SSE2 or NEON compare through `wide`) while none
    /// needs attention.
    /// Stops at the first byte the caller must handle: LF in raw content;
    /// `"`, a control character or DEL in a quoted string. Returns its
    /// index, or `None` when all of `rest` was copied.
    #[inline(always)]
    fn copy_escaped(&mut self, rest: &[u8], quoted: bool) -> Option<usize> {
        let n = rest.len();
        let mut j = 0;
        loop {
            // A local cursor while there is room.
            let mut len = self.out_len;
            let mut hit = false;
            // Two words first, then vectors. Where stops come every few
            // bytes (prose full of quotes and backslashes) the branch on
            // each compare is what costs, and a word's compare settles
            // sooner than a vector's; longer runs go on 16 bytes at a time.
            for _ in 0..2 {
                if hit || j + 8 > n || len > OUT - 16 {
                    break;
                }
                let m = copy_word(&mut self.out, len, &rest[j..], quoted);
                if m != 0 {
                    let k = (m.trailing_zeros() / 8) as usize;
                    len += k;
                    j += k;
                    hit = true;
                } else {
                    len += 8;
                    j += 8;
                }
            }
            while !hit && j + 16 <= n && len <= OUT - 32 {
                let chunk: [u8; 16] = match rest[j..j + 16].try_into() {
                    Ok(c) => c,
                    Err(_) => break,
                };
                let m = if quoted {
                    quoted_special16(chunk)
                } else {
                    raw_special16(chunk)
                };
                self.out[len..len + 16].copy_from_slice(&chunk);
                if m != 0 {
                    let k = m.trailing_zeros() as usize;
                    len += k;
                    j += k;
                    hit = true;
                    break;
                }
                len += 16;
                j += 16;
            }
            while !hit && j + 8 <= n && len <= OUT - 16 {
                let m = copy_word(&mut self.out, len, &rest[j..], quoted);
                if m != 0 {
                    let k = (m.trailing_zeros() / 8) as usize;
                    len += k;
                    j += k;
                    hit = true;
                    break;
                }
                len += 8;
                j += 8;
            }
            self.out_len = len;
            if len > OUT - 16 {
                self.flush_out();
            }
            if !hit {
                if j + 8 <= n {
                    continue;
                }
                // Fewer than 8 bytes left: one at a time.
                let &c = rest.get(j)?;
                let mask = if quoted {
                    quoted_special(u64::from(c))
                } else {
                    raw_special(u64::from(c))
                };
                if mask & 0x80 == 0 {
                    let len = self.out_len;
                    self.out[len] = c;
                    self.out_len = len + 1;
                    j += 1;
                    continue;
                }
            }
            let len = self.out_len;
            match rest[j] {
                b'\\' => {
                    self.out[len..len + 2].copy_from_slice(b"\\\\");
                    self.out_len = len + 2;
                }
                b'"' if !quoted => {
                    self.out[len..len + 2].copy_from_slice(b"\\\"");
                    self.out_len = len + 2;
                }
                c if !quoted && c != b'\n' => self.emit_control(c),
                _ => return Some(j),
            }
            j += 1;
        }
    }

    /// Raw content in bulk: copies `rest[..limit]` into the output, every
    /// LF in it included (as `\\u000a`), escaping as it goes, [`BULK`]
    /// bytes per step. The caller guarantees that each LF in that range is
    /// followed by a complete line and at least one more byte, so none of
    /// those lines can be the terminator and nothing in them needs the
    /// state machine. Every escape is looked up in one table, and a step
    /// branches once per byte to escape, not once per kind. Returns how many
    /// bytes it took (possibly 0, near the end of `rest`); the rest goes
    /// through the states.
    fn raw_bulk(&mut self, rest: &[u8], limit: usize) -> usize {
        let mut j = 0;
        while j < limit {
            if self.out_len > OUT - BULK_ROOM {
                self.flush_out();
            }
            let (took, len, lfs) =
                raw_bulk_steps(&mut self.out, self.out_len, &rest[j..], limit - j);
            self.out_len = len;
            self.lines += lfs;
            if took == 0 {
                break;
            }
            j += took;
        }
        j
    }

    /// Quoted lines in bulk: `rest`, at offset `at`, starts inside a quoted
    /// string. Copies string content, and the line changes between strings,
    /// [`BULK`] bytes per step (see [`quoted_bulk_steps`]), and returns how
    /// many bytes it took, still inside a string: the byte there (the end
    /// of the last string, or anything unusual) goes through the states, so
    /// errors are found by one code path only.
    fn quoted_bulk(&mut self, rest: &[u8], at: usize) -> usize {
        let mut j = 0;
        loop {
            if self.out_len > OUT - BULK_ROOM {
                self.flush_out();
            }
            let steps = quoted_bulk_steps(&mut self.out, self.out_len, &rest[j..]);
            self.out_len = steps.len;
            if let Some(lf) = steps.last_lf {
                self.lines += steps.lines;
                self.line_begin = at + j + lf + 1;
            }
            j += steps.took;
            // Stopped by a byte, or by the end of the look-ahead, not by room.
            if self.out_len <= OUT - BULK_ROOM || steps.took == 0 {
                return j;
            }
        }
    }

    /// Fast path for a whole, valid handle line (indentation, id, tags,
    /// LF) lying in `line`, which starts at a line start: writes its JSON
    /// and returns its length with the LF. Returns `None`, having written
    /// nothing, for anything else (a `}` line, a blank line, an error, a line
    /// cut by the end of the segment); the byte-by-byte states then handle
    /// it, so errors are found by one code path only.
    #[inline(always)]
    fn handle_line_fast(&mut self, line: &[u8]) -> Option<usize> {
        if OUT - self.out_len < FAST_ROOM {
            self.flush_out();
        }
        // Written past `out_len` and kept only if the whole line is valid:
        // on any surprise, `None`, and the state machine takes the line.
        let mut o = self.out_len;
        let out = &mut self.out;
        let l = line.get(..=FAST_LINE).unwrap_or(line);
        let mut p = 0;
        while l.get(p) == Some(&b' ') {
            p += 1;
        }
        let first = *l.get(p)?;
        if !(first.is_ascii_alphabetic() || first == b'_') {
            return None;
        }
        if self.handles == 0 {
            out.get_mut(o..o + 7)?.copy_from_slice(JSON_HANDLE_OPEN);
            o += 7;
        } else {
            out.get_mut(o..o + 8)?
                .copy_from_slice(JSON_NEXT_HANDLE_OPEN);
            o += 8;
        }
        loop {
            let c = *l.get(p)?;
            if !is_id_byte(c) {
                break;
            }
            *out.get_mut(o)? = c;
            o += 1;
            p += 1;
        }
        if l.get(p) != Some(&b'(') {
            return None;
        }
        p += 1;
        out.get_mut(o..o + 10)?.copy_from_slice(b"\",\"tags\":[");
        o += 10;
        if let Some(window) = line.get(p..p + 64) {
            if let Some(end) = tag_list_in_one_step(window) {
                // The tag list is its own JSON: copied as it is.
                out.get_mut(o..o + 64)?.copy_from_slice(window);
                o += end - 1;
                out.get_mut(o..o + JSON_HANDLE_CLOSE.len())?
                    .copy_from_slice(JSON_HANDLE_CLOSE);
                self.out_len = o + JSON_HANDLE_CLOSE.len();
                self.handles += 1;
                return Some(p + end + 1);
            }
        }
        loop {
            if l.get(p) != Some(&b'"') {
                return None;
            }
            *out.get_mut(o)? = b'"';
            o += 1;
            p += 1;
            loop {
                // Eight bytes at a time while there are eight.
                if let Some(w) = l.get(p..p + 8) {
                    let w = word(w);
                    out.get_mut(o..o + 8)?.copy_from_slice(&w.to_le_bytes());
                    let m = quoted_special(w);
                    if m == 0 {
                        o += 8;
                        p += 8;
                        continue;
                    }
                    let k = (m.trailing_zeros() / 8) as usize;
                    o += k;
                    p += k;
                }
                match *l.get(p)? {
                    b'"' => break,
                    b'\\' => {
                        out.get_mut(o..o + 2)?.copy_from_slice(b"\\\\");
                        o += 2;
                    }
                    c if c < 0x20 || c == 0x7f => return None,
                    c => {
                        *out.get_mut(o)? = c;
                        o += 1;
                    }
                }
                p += 1;
            }
            *out.get_mut(o)? = b'"';
            o += 1;
            p += 1;
            match l.get(p..p + 2)? {
                [b',', _] => {
                    *out.get_mut(o)? = b',';
                    o += 1;
                    p += 1;
                }
                b")\n" => break,
                _ => return None,
            }
        }
        out.get_mut(o..o + JSON_HANDLE_CLOSE.len())?
            .copy_from_slice(JSON_HANDLE_CLOSE);
        self.out_len = o + JSON_HANDLE_CLOSE.len();
        self.handles += 1;
        // Past `)` and the LF.
        Some(p + 2)
    }

    /// Fast path for a quoted-mode line after the first, from its start
    /// (`line[0]`, at offset `at`): spaces, then a quoted string. Writes the
    /// LF separator and the escaped string in one go and returns how many
    /// bytes it took, leaving the state as the byte-by-byte states would:
    /// `QLineStart` after a whole valid line (spaces, string, LF), `QStr` or
    /// `QEnd` when it stopped inside (the segment ended, or the string met
    /// a byte those states report). `None`, having written nothing, when
    /// the line does not start with spaces and a `"`.
    fn quoted_line_fast(&mut self, line: &[u8], at: usize) -> Option<usize> {
        let p = line.iter().position(|&c| c != b' ')?;
        if line[p] != b'"' {
            return None;
        }
        self.emit(JSON_LF);
        // This string and the lines after it in bulk, as far as they go.
        let start = p + 1 + self.quoted_bulk(&line[p + 1..], at + p + 1);
        // Copying from the whole rest of the segment, not just the line,
        // keeps the copy in 16-byte steps up to the closing quote.
        let Some(k) = self.copy_escaped(&line[start..], true) else {
            self.state = State::QStr;
            return Some(line.len());
        };
        let close = start + k;
        if line[close] != b'"' {
            // An LF or a control byte in the string: `QStr` reports it.
            self.state = State::QStr;
            return Some(close);
        }
        if line.get(close + 1) == Some(&b'\n') {
            self.newline(at + close + 1);
            return Some(close + 2);
        }
        self.state = State::QEnd;
        Some(close + 1)
    }

    #[inline]
    fn newline(&mut self, at: usize) {
        self.lines += 1;
        self.line_begin = at + 1;
    }

    /// Runs the structure over `seg`: bytes that are all well-formed UTF-8
    /// (every sequence complete) with no CR or TAB, starting at `self.pos`.
    /// Advances `self.pos` past them, or fails.
    fn run(&mut self, seg: &[u8]) -> Result<(), ParseError> {
        let base = self.pos;
        let result = self.run_inner(seg, base);
        match result {
            Ok(()) => {
                self.pos = base + seg.len();
                Ok(())
            }
            Err(e) => Err(self.fail(e)),
        }
    }

    fn run_inner(&mut self, seg: &[u8], base: usize) -> Result<(), ParseError> {
        let n = seg.len();
        let mut i = 0;
        // Raw content before this offset is content whatever its lines
        // look like (see `raw_bulk`); found on the first raw-content visit.
        let mut bulk_end: Option<usize> = None;
        while i < n {
            let at = base + i;
            let b = seg[i];
            match self.state {
                State::RawBody => {
                    let end = *bulk_end.get_or_insert_with(|| {
                        // Before the second-to-last LF: the line after each
                        // LF there ends at an LF that has a byte after it.
                        memchr::memrchr(b'\n', seg)
                            .and_then(|last| memchr::memrchr(b'\n', &seg[..last]))
                            .unwrap_or(0)
                    });
                    // (Shorter ranges are not worth a call.)
                    if i + BULK <= end {
                        i += self.raw_bulk(&seg[i..], end - i);
                    }
                    let Some(k) = self.copy_escaped(&seg[i..], false) else {
                        return Ok(());
                    };
                    i += k;
                    // An LF.
                    self.newline(base + i);
                    self.prev_was_terminator = false;
                    match seg.get(i + 1) {
                        // The next line starts with a byte that no
                        // terminator line starts with: it is content.
                        Some(&c) if c != b' ' && c != b'}' && c != b'\n' => {
                            self.emit(JSON_LF);
                        }
                        // Indented content: the spaces and the byte after
                        // them are in this segment, and that byte is
                        // neither `}` nor LF nor the end, so no terminator.
                        Some(b' ') => {
                            let rest = &seg[i + 1..];
                            let k = rest.iter().position(|&c| c != b' ').unwrap_or(rest.len());
                            match rest.get(k) {
                                Some(&c) if c != b'}' && c != b'\n' => {
                                    self.emit(JSON_LF);
                                    self.emit(&rest[..k]);
                                    i += k;
                                }
                                _ => {
                                    self.state = State::RawCand;
                                    self.cand_lf = true;
                                }
                            }
                        }
                        _ => {
                            self.state = State::RawCand;
                            self.cand_lf = true;
                        }
                    }
                    i += 1;
                }
                State::RawCand => match b {
                    b' ' => {
                        if self.cand_brace {
                            self.cand_trailing += 1;
                        } else {
                            self.cand_spaces += 1;
                        }
                        i += 1;
                    }
                    b'}' if !self.cand_brace => {
                        self.cand_brace = true;
                        i += 1;
                    }
                    b'\n' => {
                        let terminator_like = self.cand_brace && self.cand_trailing == 0;
                        self.flush_candidate();
                        self.newline(at);
                        self.cand_lf = true;
                        self.prev_was_terminator = terminator_like;
                        i += 1;
                    }
                    _ => {
                        self.flush_candidate();
                        self.state = State::RawBody;
                    }
                },
                State::QStr | State::Tag => {
                    let Some(k) = self.copy_escaped(&seg[i..], true) else {
                        return Ok(());
                    };
                    i += k;
                    let at = base + i;
                    match seg[i] {
                        b'"' => {
                            if self.state == State::Tag {
                                self.emit(b"\"");
                                self.has_tag = true;
                                self.state = State::TagEnd;
                            } else {
                                self.state = State::QEnd;
                            }
                        }
                        b'\n' => return Err(ParseError::new(Reason::LineFeedInQuotedString, at)),
                        c => {
                            return Err(ParseError::new(
                                Reason::ControlInQuotedString { byte: c },
                                at,
                            ))
                        }
                    }
                    i += 1;
                }
                State::HlId => {
                    let rest = &seg[i..];
                    let k = rest
                        .iter()
                        .position(|&c| !is_id_byte(c))
                        .unwrap_or(rest.len());
                    self.emit(&rest[..k]);
                    i += k;
                    let Some(&c) = rest.get(k) else {
                        return Ok(());
                    };
                    let at = base + i;
                    match c {
                        b'(' => {
                            self.has_tag = false;
                            self.state = State::TagStart;
                        }
                        b'\n' => return Err(ParseError::new(Reason::MissingOpenParen, at)),
                        b' ' => return Err(ParseError::new(Reason::SpaceInHandleLine, at)),
                        _ => return Err(ParseError::new(Reason::InvalidHandleIdByte, at)),
                    }
                    i += 1;
                }
                State::Header(0) if seg[i..].starts_with(HEADER_AND_HANDLES_OPEN) => {
                    self.newline(at + 6);
                    self.newline(at + 7);
                    self.newline(at + 17);
                    self.emit(JSON_DOC_OPEN);
                    self.state = State::HlStart;
                    i += HEADER_AND_HANDLES_OPEN.len();
                }
                State::Header(0) if seg[i..].starts_with(HEADER) => {
                    self.newline(at + 6);
                    self.newline(at + 7);
                    self.state = State::AfterHeader;
                    i += HEADER.len();
                }
                State::HandlesOpen(0) if seg[i..].starts_with(HANDLES_OPEN) => {
                    self.newline(at + 9);
                    self.emit(JSON_DOC_OPEN);
                    self.state = State::HlStart;
                    i += HANDLES_OPEN.len();
                }
                State::SclOpen(0) if seg[i..].starts_with(SCL_OPEN) => {
                    self.newline(at + 5);
                    self.emit(JSON_CONTENT_OPEN);
                    self.cand_spaces = 0;
                    self.state = State::Mode;
                    i += SCL_OPEN.len();
                }
                State::Header(k) => {
                    if b != HEADER[usize::from(k)] {
                        let reason = if at == 0 && seg.get(i..i + 3) == Some(BOM) {
                            Reason::ByteOrderMark
                        } else {
                            Reason::HeaderMismatch
                        };
                        return Err(ParseError::new(reason, at));
                    }
                    if b == b'\n' {
                        self.newline(at);
                    }
                    self.state = if k == 7 {
                        State::AfterHeader
                    } else {
                        State::Header(k + 1)
                    };
                    i += 1;
                }
                State::AfterHeader => {
                    if b == b'\n' {
                        return Err(ParseError::new(Reason::ExtraBlankLineAfterHeader, at));
                    }
                    self.state = State::HandlesOpen(0);
                }
                State::HandlesOpen(k) => {
                    if b != HANDLES_OPEN[usize::from(k)] {
                        return Err(ParseError::new(Reason::HandlesOpenMismatch, at));
                    }
                    self.state = if k == 9 {
                        self.newline(at);
                        self.emit(JSON_DOC_OPEN);
                        State::HlStart
                    } else {
                        State::HandlesOpen(k + 1)
                    };
                    i += 1;
                }
                State::HlStart => {
                    let mut whole_lines = false;
                    while let Some(len) = self.handle_line_fast(&seg[i..]) {
                        i += len;
                        self.newline(base + i - 1);
                        whole_lines = true;
                    }
                    if whole_lines {
                        if seg[i..].starts_with(HANDLES_CLOSE_SCL_OPEN) {
                            // `}` after at least one handle, then `scl {`.
                            self.newline(base + i + 1);
                            self.newline(base + i + 7);
                            self.emit(JSON_CONTENT_OPEN);
                            self.cand_spaces = 0;
                            i += HANDLES_CLOSE_SCL_OPEN.len();
                            self.state = match seg.get(i) {
                                // The first body line starts with a byte
                                // that neither a quoted line nor the
                                // terminator starts with: raw content.
                                Some(&c) if !matches!(c, b' ' | b'"' | b'}' | b'\n') => {
                                    State::RawBody
                                }
                                _ => State::Mode,
                            };
                        }
                        continue;
                    }
                    self.line_start = at;
                    match b {
                        b'}' => {
                            self.state = State::HlBrace;
                            i += 1;
                        }
                        b' ' => {
                            self.state = State::HlIndent;
                            i += 1;
                        }
                        b'\n' => return Err(ParseError::new(Reason::BlankLineInHandles, at)),
                        _ => self.state = State::HlIdFirst,
                    }
                }
                State::HlBrace => {
                    if b != b'\n' {
                        return Err(ParseError::new(
                            Reason::InvalidHandleIdByte,
                            self.line_start,
                        ));
                    }
                    if self.handles == 0 {
                        return Err(ParseError::new(Reason::EmptyHandlesBlock, self.line_start));
                    }
                    self.newline(at);
                    self.line_start = at + 1;
                    self.state = State::SclOpen(0);
                    i += 1;
                }
                State::HlIndent => {
                    let rest = &seg[i..];
                    let k = rest.iter().position(|&c| c != b' ').unwrap_or(rest.len());
                    i += k;
                    match rest.get(k) {
                        None => return Ok(()),
                        Some(b'\n') => {
                            return Err(ParseError::new(
                                Reason::BlankLineInHandles,
                                self.line_start,
                            ))
                        }
                        Some(_) => self.state = State::HlIdFirst,
                    }
                }
                State::HlIdFirst => match b {
                    b'(' => return Err(ParseError::new(Reason::EmptyHandleId, at)),
                    b' ' => return Err(ParseError::new(Reason::SpaceInHandleLine, at)),
                    c if c.is_ascii_alphabetic() || c == b'_' => {
                        self.emit(if self.handles == 0 {
                            JSON_HANDLE_OPEN
                        } else {
                            JSON_NEXT_HANDLE_OPEN
                        });
                        self.emit(&[c]);
                        self.state = State::HlId;
                        i += 1;
                    }
                    _ => return Err(ParseError::new(Reason::InvalidHandleIdByte, at)),
                },
                State::TagStart => match b {
                    b'"' => {
                        self.emit(if self.has_tag {
                            JSON_NEXT_TAG
                        } else {
                            JSON_TAGS_OPEN
                        });
                        self.state = State::Tag;
                        i += 1;
                    }
                    b')' if self.has_tag => return Err(ParseError::new(Reason::TrailingComma, at)),
                    b')' => return Err(ParseError::new(Reason::EmptyTagList, at)),
                    _ => return Err(ParseError::new(Reason::TagExpected, at)),
                },
                State::TagEnd => match b {
                    b',' => {
                        self.state = State::TagStart;
                        i += 1;
                    }
                    b')' => {
                        self.emit(JSON_HANDLE_CLOSE);
                        self.state = State::HlEnd;
                        i += 1;
                    }
                    _ => return Err(ParseError::new(Reason::TagSeparatorExpected, at)),
                },
                State::HlEnd => {
                    if b != b'\n' {
                        return Err(ParseError::new(Reason::TrailingAfterHandle, at));
                    }
                    self.handles += 1;
                    self.newline(at);
                    self.state = State::HlStart;
                    i += 1;
                }
                State::SclOpen(k) => {
                    if b != SCL_OPEN[usize::from(k)] {
                        let reason = if k == 0 && b == b'\n' {
                            Reason::BlankLineBeforeScl
                        } else {
                            Reason::SclOpenMismatch
                        };
                        return Err(ParseError::new(reason, at));
                    }
                    self.state = if k == 5 {
                        self.newline(at);
                        self.emit(JSON_CONTENT_OPEN);
                        self.cand_spaces = 0;
                        State::Mode
                    } else {
                        State::SclOpen(k + 1)
                    };
                    i += 1;
                }
                State::Mode => match b {
                    b' ' => {
                        self.cand_spaces += 1;
                        i += 1;
                    }
                    b'"' => {
                        self.cand_spaces = 0;
                        self.state = State::QStr;
                        i += 1;
                    }
                    _ => {
                        // Raw mode; this line may be the terminator.
                        self.cand_lf = false;
                        self.cand_brace = false;
                        self.cand_trailing = 0;
                        self.state = State::RawCand;
                    }
                },
                State::QEnd => {
                    if b != b'\n' {
                        return Err(ParseError::new(Reason::TrailingAfterQuotedLine, at));
                    }
                    self.newline(at);
                    self.state = State::QLineStart;
                    i += 1;
                }
                State::QLineStart | State::QIndent => {
                    if self.state == State::QLineStart {
                        if let Some(len) = self.quoted_line_fast(&seg[i..], at) {
                            i += len;
                            continue;
                        }
                    }
                    let indented = self.state == State::QIndent;
                    match b {
                        b'}' if !indented => {
                            self.line_start = at;
                            self.state = State::QBrace;
                        }
                        b' ' => self.state = State::QIndent,
                        b'"' => {
                            self.emit(JSON_LF);
                            self.state = State::QStr;
                        }
                        b'\n' => return Err(ParseError::new(Reason::BlankLineInQuotedBlock, at)),
                        b'}' => return Err(ParseError::new(Reason::IndentedQuotedTerminator, at)),
                        _ => return Err(ParseError::new(Reason::QuotedLineExpected, at)),
                    }
                    i += 1;
                }
                State::QBrace => {
                    return Err(if b == b'\n' {
                        ParseError::with_code(
                            ErrorCode::E104,
                            Reason::TrailingNewlineAfterTerminator,
                            at,
                        )
                    } else {
                        ParseError::new(Reason::TrailingAfterTerminator, at)
                    });
                }
            }
        }
        Ok(())
    }
}

/// The identity engine: [`CanonicalStream`] into SHA-256.
///
/// ```
/// use scl_hash::stream::IdentityStream;
///
/// let input = b"SCL:V1\n\nhandles {\n  h1(\"test\")\n}\nscl {\n  \"hello world\"\n}";
/// let mut engine = IdentityStream::new();
/// for chunk in input.chunks(7) {
///     engine.feed(chunk).unwrap();
/// }
/// let doc = scl_parse::parse(input).unwrap();
/// assert_eq!(engine.finish().unwrap(), scl_hash::DocHash::of_document(&doc));
/// ```
pub struct IdentityStream(CanonicalStream<Sha256Sink>);

impl Default for IdentityStream {
    fn default() -> Self {
        Self::new()
    }
}

impl IdentityStream {
    /// A new engine.
    pub fn new() -> Self {
        IdentityStream(CanonicalStream::new(Sha256Sink::default()))
    }

    /// Feeds the next bytes; see [`CanonicalStream::feed`].
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), ParseError> {
        self.0.feed(chunk)
    }

    /// Ends the input: the document's identity, or its single error.
    pub fn finish(self) -> Result<DocHash, ParseError> {
        self.finish_located().map_err(|(e, _)| e)
    }

    /// Like [`finish`](Self::finish), with the line and column of an error.
    pub fn finish_located(mut self) -> Result<DocHash, (ParseError, LineColumn)> {
        self.finish_in_place()
            .map_err(|e| (e, self.0.line_column(e.offset().get())))
    }

    /// Ends the input without moving the engine (it is 1 KiB and more).
    #[inline]
    fn finish_in_place(&mut self) -> Result<DocHash, ParseError> {
        self.0.end()?;
        Ok(DocHash::from_bytes(self.0.sink.0.finalize_reset().into()))
    }

    /// Line and column of an error offset returned by [`feed`](Self::feed).
    pub fn line_column(&self, offset: usize) -> LineColumn {
        self.0.line_column(offset)
    }
}

/// The identity of `input` by the streaming engine, in one call (what
/// [`crate::identity`] runs). Same answer as [`scl_parse::parse`] then
/// [`DocHash::of_document`]; no allocation.
pub fn identity_streamed(input: &[u8]) -> Result<DocHash, ParseError> {
    let mut engine = IdentityStream::new();
    engine.feed(input)?;
    engine.finish_in_place()
}

/// The canonical JSON of `input` by the streaming engine. Same answer as
/// `scl_canon::to_vec(&scl_parse::parse(input)?)`.
pub fn canonical_streamed(input: &[u8]) -> Result<Vec<u8>, ParseError> {
    let mut engine = CanonicalStream::new(Vec::with_capacity(input.len() + 256));
    engine.feed(input)?;
    engine.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The 16-byte masks flag exactly the bytes to escape, in every lane.
    #[test]
    fn vector_masks_flag_exactly_the_special_bytes() {
        let raw = |b: u8| b < 0x20 || b == b'"' || b == b'\\';
        let quoted = |b: u8| raw(b) || b == 0x7f;
        for b in 0u8..=255 {
            for lane in 0..16 {
                let mut chunk = [b'a'; 16];
                chunk[lane] = b;
                assert_eq!(raw_special16(chunk), u32::from(raw(b)) << lane, "{b:#x}");
                assert_eq!(
                    quoted_special16(chunk),
                    u32::from(quoted(b)) << lane,
                    "{b:#x}"
                );
            }
        }
    }

    /// The word masks find exactly the first special byte, whatever the
    /// bytes around it (the borrow may flag bytes after it, never before).
    #[test]
    fn word_masks_find_exactly_the_first_special_byte() {
        let raw = |b: u8| b < 0x20 || b == b'"' || b == b'\\';
        let quoted = |b: u8| raw(b) || b == 0x7f;
        for b in 0u8..=255 {
            for filler in [b'a', 0x00, 0xff, b'"', 0x20, 0x1f, 0x80, 0x7f, 0x21] {
                for pos in 0..8 {
                    let mut w = [filler; 8];
                    w[pos] = b;
                    let x = u64::from_le_bytes(w);
                    for (mask, is) in [
                        (raw_special(x), &raw as &dyn Fn(u8) -> bool),
                        (quoted_special(x), &quoted),
                    ] {
                        let first = w.iter().position(|&c| is(c));
                        let found = (mask != 0).then(|| (mask.trailing_zeros() / 8) as usize);
                        assert_eq!(found, first, "byte {b:#x} at {pos} in {w:?}");
                    }
                }
            }
        }
    }
}
