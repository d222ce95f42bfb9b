//! A second SCL:V1 engine, written straight from the rule text of
//! `spec/scl-v1.md` (§4, §6, §7.1, §8, §9) and `spec/DECISIONS.md`, for the
//! differential fuzz target.
//!
//! It is deliberately naive: it follows the numbered steps of §6 one by one
//! (HDR, OPEN, HL, SCL, MODE, QT, RAW), checks UTF-8 with the byte table of
//! RFC 3629 rather than the standard library, combines the two outcomes
//! exactly as §7.1 says, and writes canonical JSON by the template of §9.
//! Clarity matters more than speed here; each step names the rule it
//! implements so that a disagreement with the real parser can be traced to a
//! sentence of the specification.

/// Byte names of spec §2.
const LF: u8 = 0x0A;
const CR: u8 = 0x0D;
const TAB: u8 = 0x09;
const SP: u8 = 0x20;
const DQ: u8 = 0x22;

/// An SCL:V1 error code (spec §7, `errors.md`). `E900` is absent on purpose:
/// the procedure of §6 is total and never yields it (D24).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// Encoding error: ill-formed UTF-8, CR, TAB, or a control in a quoted string.
    E001,
    /// Header.
    E101,
    /// Handles block opening, empty block, or blank line in it.
    E102,
    /// End of input inside the handles block.
    E103,
    /// `scl {` line or an invalid token in the scl body.
    E104,
    /// End of input inside the scl block.
    E105,
    /// Handle identifier (and bytes after `)`).
    E201,
    /// Tag list or tag.
    E202,
}

impl Code {
    /// The code as the protocol writes it, e.g. `"E104"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::E001 => "E001",
            Code::E101 => "E101",
            Code::E102 => "E102",
            Code::E103 => "E103",
            Code::E104 => "E104",
            Code::E105 => "E105",
            Code::E201 => "E201",
            Code::E202 => "E202",
        }
    }
}

/// One handle of the AST (§8): its identifier and its tags, in input order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecHandle {
    /// The identifier, `[A-Za-z_][A-Za-z0-9_]*`.
    pub id: String,
    /// The tags (at least one, each possibly empty).
    pub tags: Vec<String>,
}

/// The AST of a valid input (§8). `refs` and `hints` are always empty in V1,
/// so they are not stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecDocument {
    /// Handles in input order (at least one).
    pub handles: Vec<SpecHandle>,
    /// The content string of the `scl` block.
    pub content: String,
}

/// The single result of §3: a document, or exactly one `(code, offset)`.
pub type SpecResult = Result<SpecDocument, (Code, usize)>;

/// A structural failure of §6: `(code, offset)`.
type Fail = (Code, usize);

/// The AST as raw byte slices of the input, before §7.1 decides validity.
struct RawAst<'b> {
    handles: Vec<(&'b [u8], Vec<&'b [u8]>)>,
    /// Content pieces; the content is these joined with a single LF.
    content_lines: Vec<&'b [u8]>,
}

/// Parses `b` as §6 and §7.1 prescribe.
pub fn parse(b: &[u8]) -> SpecResult {
    // §7.1 step 1: the structural outcome S.
    let s = structural(b);
    // §7.1 step 2: the lowest encoding-error offset U.
    let u = first_encoding_error(b);
    // §7.1 step 3: combine.
    match (s, u) {
        (Ok(_), Some(u)) => Err((Code::E001, u)),
        (Err((_, s_off)), Some(u)) if u <= s_off => Err((Code::E001, u)),
        (Err(fail), _) => Err(fail),
        (Ok(ast), None) => Ok(to_document(ast)),
    }
}

/// Converts the byte-slice AST to strings. Only called when the whole input is
/// well-formed UTF-8 (§7.1), and every slice is delimited by ASCII bytes, so
/// every slice is itself well-formed (§8).
fn to_document(ast: RawAst<'_>) -> SpecDocument {
    let text = |bytes: &[u8]| -> String {
        String::from_utf8(bytes.to_vec()).expect("§8: AST strings are slices of valid UTF-8")
    };
    let handles = ast
        .handles
        .into_iter()
        .map(|(id, tags)| SpecHandle {
            id: text(id),
            tags: tags.into_iter().map(text).collect(),
        })
        .collect();
    let content = ast
        .content_lines
        .iter()
        .map(|line| text(line))
        .collect::<Vec<_>>()
        .join("\n");
    SpecDocument { handles, content }
}

/// §2: identifier start byte.
fn is_id_start(byte: u8) -> bool {
    byte.is_ascii_uppercase() || byte.is_ascii_lowercase() || byte == b'_'
}

/// §2: identifier byte.
fn is_id_byte(byte: u8) -> bool {
    is_id_start(byte) || byte.is_ascii_digit()
}

/// §4.4 / HL-7 / QT-4: a control byte (0x00–0x1F or 0x7F, LF included).
fn is_control(byte: u8) -> bool {
    byte <= 0x1F || byte == 0x7F
}

/// "The first offset ≥ `from` with `B[t]` not SP, or `N` if there is none."
fn first_non_space(b: &[u8], from: usize) -> usize {
    let mut t = from;
    while t < b.len() && b[t] == SP {
        t += 1;
    }
    t
}

/// The procedure of §6: the structural outcome `S`.
fn structural(b: &[u8]) -> Result<RawAst<'_>, Fail> {
    let n = b.len();

    // HDR-1.
    let header = b"SCL:V1\n\n";
    for k in 0..8 {
        if k == n {
            return Err((Code::E101, n));
        }
        if b[k] != header[k] {
            return Err((Code::E101, k));
        }
    }
    // HDR-2.
    if n > 8 && b[8] == LF {
        return Err((Code::E101, 8));
    }

    // OPEN-1.
    let open = b"handles {\n";
    for k in 0..10 {
        if 8 + k == n {
            return Err((Code::E102, n));
        }
        if b[8 + k] != open[k] {
            return Err((Code::E102, 8 + k));
        }
    }
    // OPEN-2.
    let mut p = 18;
    let mut handles: Vec<(&[u8], Vec<&[u8]>)> = Vec::new();

    // HL: one iteration per line of the handles block.
    loop {
        let s = p;
        // HL-1.
        if s == n {
            return Err((Code::E103, n));
        }
        // HL-2.
        if b[s] == b'}' && (s + 1 == n || b[s + 1] == LF) {
            if handles.is_empty() {
                return Err((Code::E102, s));
            }
            if s + 1 == n {
                return Err((Code::E103, n));
            }
            p = s + 2;
            break;
        }
        // HL-3.
        let t = first_non_space(b, s);
        if t == n {
            return Err((Code::E103, n));
        }
        if b[t] == LF {
            return Err((Code::E102, s));
        }
        // HL-4.
        let mut i = t;
        loop {
            if i == n {
                return Err((Code::E103, n));
            }
            if b[i] == b'(' || b[i] == LF {
                break;
            }
            if (i == t && !is_id_start(b[i])) || (i > t && !is_id_byte(b[i])) {
                return Err((Code::E201, i));
            }
            i += 1;
        }
        // HL-5.
        if b[i] == LF {
            return Err((Code::E201, i));
        }
        if i == t {
            return Err((Code::E201, i));
        }
        let id = &b[t..i];
        i += 1;
        let mut tags: Vec<&[u8]> = Vec::new();
        loop {
            // HL-6.
            if i == n {
                return Err((Code::E103, n));
            }
            if b[i] != DQ {
                return Err((Code::E202, i));
            }
            i += 1;
            let tag_start = i;
            // HL-7.
            loop {
                if i == n {
                    return Err((Code::E103, n));
                }
                if b[i] == DQ {
                    tags.push(&b[tag_start..i]);
                    i += 1;
                    break;
                }
                if is_control(b[i]) {
                    return Err((Code::E001, i));
                }
                i += 1;
            }
            // HL-8.
            if i == n {
                return Err((Code::E103, n));
            }
            if b[i] == b',' {
                i += 1;
                continue; // back to HL-6
            }
            if b[i] == b')' {
                i += 1;
                break; // on to HL-9
            }
            return Err((Code::E202, i));
        }
        // HL-9.
        if i == n {
            return Err((Code::E103, n));
        }
        if b[i] != LF {
            return Err((Code::E201, i));
        }
        handles.push((id, tags));
        p = i + 1;
    }

    // SCL-1.
    let scl_open = b"scl {\n";
    for k in 0..6 {
        if p + k == n {
            return Err((Code::E104, n));
        }
        if b[p + k] != scl_open[k] {
            return Err((Code::E104, p + k));
        }
    }
    // SCL-2.
    let c = p + 6;

    // MODE-1.
    let t = first_non_space(b, c);
    if t == n {
        return Err((Code::E105, n));
    }
    let content_lines = if b[t] == DQ {
        quoted_mode(b, c)?
    } else {
        raw_mode(b, c)?
    };
    Ok(RawAst {
        handles,
        content_lines,
    })
}

/// Steps QT-1 to QT-5 (§6.6), starting at the first body line `s`.
fn quoted_mode(b: &[u8], mut s: usize) -> Result<Vec<&[u8]>, Fail> {
    let n = b.len();
    let mut lines = Vec::new();
    loop {
        // QT-1.
        if s == n {
            return Err((Code::E105, n));
        }
        // QT-2.
        if b[s] == b'}' {
            if s + 1 == n {
                return Ok(lines);
            }
            return Err((Code::E104, s + 1));
        }
        // QT-3.
        let t = first_non_space(b, s);
        if t == n {
            return Err((Code::E105, n));
        }
        if b[t] != DQ {
            return Err((Code::E104, t));
        }
        // QT-4.
        let mut i = t + 1;
        loop {
            if i == n {
                return Err((Code::E105, n));
            }
            if b[i] == DQ {
                break;
            }
            if is_control(b[i]) {
                return Err((Code::E001, i));
            }
            i += 1;
        }
        let closing_quote = i;
        // QT-5.
        i += 1;
        if i == n {
            return Err((Code::E105, n));
        }
        if b[i] != LF {
            return Err((Code::E104, i));
        }
        lines.push(&b[t + 1..closing_quote]);
        s = i + 1;
    }
}

/// Steps RAW-1 to RAW-4 (§6.7), for the body starting at `c`.
fn raw_mode(b: &[u8], c: usize) -> Result<Vec<&[u8]>, Fail> {
    let n = b.len();
    // RAW-1.
    let mut f = c;
    for (k, &byte) in b.iter().enumerate().skip(c) {
        if byte == LF {
            f = k + 1;
        }
    }
    // RAW-2.
    let t = first_non_space(b, f);
    if t == n || b[t] != b'}' {
        return Err((Code::E105, n));
    }
    // RAW-3.
    if t + 1 == n {
        // The content is B[c..f-1) when f > c, otherwise empty; held as one
        // piece (it already contains its own LFs).
        return Ok(if f > c {
            vec![&b[c..f - 1]]
        } else {
            vec![&b[c..c]]
        });
    }
    // RAW-4.
    if b[t + 1..n].iter().all(|&byte| byte == SP) {
        return Err((Code::E104, t + 1));
    }
    Err((Code::E105, n))
}

/// §7.1 step 2: the lowest offset `U` of an encoding error — the start of the
/// first ill-formed UTF-8 sequence (§4.2) or a CR or TAB byte (§4.3),
/// whichever comes first.
pub fn first_encoding_error(b: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < b.len() {
        if b[i] == CR || b[i] == TAB {
            return Some(i);
        }
        match utf8_sequence_len(&b[i..]) {
            Some(len) => i += len,
            None => return Some(i),
        }
    }
    None
}

/// The length of the well-formed UTF-8 sequence at the start of `s`, by the
/// `UTF8-char` rule of RFC 3629 §4, or `None` if no well-formed sequence
/// starts there (including one cut short by the end of `s`).
fn utf8_sequence_len(s: &[u8]) -> Option<usize> {
    let tail = |k: usize| s.get(k).is_some_and(|&x| (0x80..=0xBF).contains(&x));
    let within = |k: usize, lo: u8, hi: u8| s.get(k).is_some_and(|&x| (lo..=hi).contains(&x));
    match s[0] {
        // UTF8-1 = %x00-7F
        0x00..=0x7F => Some(1),
        // UTF8-2 = %xC2-DF UTF8-tail
        0xC2..=0xDF => tail(1).then_some(2),
        // UTF8-3 = %xE0 %xA0-BF UTF8-tail
        0xE0 => (within(1, 0xA0, 0xBF) && tail(2)).then_some(3),
        //        / %xE1-EC 2( UTF8-tail )  /  %xEE-EF 2( UTF8-tail )
        0xE1..=0xEC | 0xEE..=0xEF => (tail(1) && tail(2)).then_some(3),
        //        / %xED %x80-9F UTF8-tail
        0xED => (within(1, 0x80, 0x9F) && tail(2)).then_some(3),
        // UTF8-4 = %xF0 %x90-BF 2( UTF8-tail )
        0xF0 => (within(1, 0x90, 0xBF) && tail(2) && tail(3)).then_some(4),
        //        / %xF1-F3 3( UTF8-tail )
        0xF1..=0xF3 => (tail(1) && tail(2) && tail(3)).then_some(4),
        //        / %xF4 %x80-8F 2( UTF8-tail )
        0xF4 => (within(1, 0x80, 0x8F) && tail(2) && tail(3)).then_some(4),
        // %x80-C1 and %xF5-FF never start a sequence.
        _ => None,
    }
}

/// The canonical JSON of §9: the template of §9.1 with the strings of §9.2.
pub fn canonical_json(doc: &SpecDocument) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(b"{\"handles\":[");
    for (h, handle) in doc.handles.iter().enumerate() {
        if h > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"id\":");
        json_string(&handle.id, &mut out);
        out.extend_from_slice(b",\"tags\":[");
        for (t, tag) in handle.tags.iter().enumerate() {
            if t > 0 {
                out.push(b',');
            }
            json_string(tag, &mut out);
        }
        out.extend_from_slice(b"],\"type\":\"Handle\"}");
    }
    out.extend_from_slice(b"],\"scl\":{\"content\":");
    json_string(&doc.content, &mut out);
    out.extend_from_slice(
        b",\"hints\":[],\"refs\":[],\"type\":\"SclBlock\"},\"type\":\"Document\",\"version\":\"SCL:V1\"}",
    );
    out
}

/// §9.2: DQ → `\"`, BS → `\\`, U+0000–U+001F → `\u00` + two lowercase hex
/// digits (R11); every other character as its own UTF-8 bytes.
fn json_string(s: &str, out: &mut Vec<u8>) {
    const LOWER_HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    for &byte in s.as_bytes() {
        match byte {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x00..=0x1F => {
                out.extend_from_slice(b"\\u00");
                out.push(LOWER_HEX[usize::from(byte >> 4)]);
                out.push(LOWER_HEX[usize::from(byte & 0x0F)]);
            }
            _ => out.push(byte),
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worked_example_of_section_13() {
        let input = b"SCL:V1\n\nhandles {\n  h1(\"test\")\n}\nscl {\n  \"hello world\"\n}";
        let doc = parse(input).unwrap();
        assert_eq!(
            canonical_json(&doc),
            br#"{"handles":[{"id":"h1","tags":["test"],"type":"Handle"}],"scl":{"content":"hello world","hints":[],"refs":[],"type":"SclBlock"},"type":"Document","version":"SCL:V1"}"#
        );
    }

    #[test]
    fn error_table_of_section_13() {
        let golden = "SCL:V1\n\nhandles {\n  h1(\"test\")\n}\nscl {\n  \"hello world\"\n}";
        let cases: [(String, Code, usize); 6] = [
            (format!("{golden}\n"), Code::E104, 56),
            (golden.replace("SCL:V1", "SCL:V2"), Code::E101, 5),
            (golden.replace("h1(", "h1 ("), Code::E201, 22),
            (golden.replace("(\"test\")", "()"), Code::E202, 23),
            (golden.replace("  h1", "\th1"), Code::E001, 18),
            (golden.replace('\n', "\r\n"), Code::E001, 6),
        ];
        for (input, code, offset) in cases {
            assert_eq!(parse(input.as_bytes()), Err((code, offset)), "{input:?}");
        }
    }

    #[test]
    fn utf8_table_agrees_with_std() {
        for s in [
            &b"\xC0\x80"[..],
            b"\xED\xA0\x80",
            b"\xF4\x90\x80\x80",
            b"a\xE2\x82",
            b"\xE2\x82\xAC",
        ] {
            let std_answer = std::str::from_utf8(s).err().map(|e| e.valid_up_to());
            assert_eq!(first_encoding_error(s), std_answer, "{s:?}");
        }
    }
}
