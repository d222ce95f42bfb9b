//! Fuzz targets for the SCL:V1 crates: `scl-parse`, `scl-canon`, `scl-hash`.

use arbitrary::{Arbitrary, Unstructured};
use scl_hash::DocHash;
use scl_parse::{parse, Content, Document, DocumentBuilder, ErrorCode, Handle};
use serde_json::Value;

use crate::spec_literal::{self, SpecDocument, SpecHandle};

/// The canonical JSON of `doc`, checked three ways: [`scl_canon::to_vec`],
/// [`scl_canon::write_canonical`] and [`scl_canon::canonical_len`] must agree.
fn canonical(doc: &Document<'_>) -> Vec<u8> {
    let json = scl_canon::to_vec(doc);
    let mut streamed = Vec::new();
    scl_canon::write_canonical(doc, &mut streamed).expect("writing to a Vec cannot fail");
    assert_eq!(streamed, json, "write_canonical and to_vec disagree");
    assert_eq!(
        scl_canon::canonical_len(doc),
        json.len(),
        "canonical_len is not the length of the canonical JSON"
    );
    json
}

/// The AST of `doc` in the spec-literal representation.
fn as_spec(doc: &Document<'_>) -> SpecDocument {
    SpecDocument {
        handles: doc
            .handles()
            .iter()
            .map(|h| SpecHandle {
                id: h.id().to_owned(),
                tags: h.tags().map(str::to_owned).collect(),
            })
            .collect(),
        content: doc.content().to_string(),
    }
}

/// Reads canonical JSON with a general-purpose strict JSON parser
/// (`serde_json`) and returns the AST it describes, or `None` if the JSON does
/// not have the shape of §8/§9 (exact member sets, strings only, at least one
/// handle and tag, `refs`/`hints` empty). Duplicate members are not detected
/// here; byte-exact comparisons elsewhere cover them.
fn ast_from_json(json: &[u8]) -> Option<SpecDocument> {
    fn string(v: &Value) -> Option<String> {
        v.as_str().map(str::to_owned)
    }
    fn members<'v>(v: &'v Value, keys: &[&str]) -> Option<&'v serde_json::Map<String, Value>> {
        let object = v.as_object()?;
        let mut have: Vec<&str> = object.keys().map(String::as_str).collect();
        have.sort_unstable();
        (have == keys).then_some(object)
    }
    let root: Value = serde_json::from_slice(json).ok()?;
    let root = members(&root, &["handles", "scl", "type", "version"])?;
    if root["type"] != "Document" || root["version"] != "SCL:V1" {
        return None;
    }
    let mut handles = Vec::new();
    for h in root["handles"].as_array()? {
        let h = members(h, &["id", "tags", "type"])?;
        if h["type"] != "Handle" {
            return None;
        }
        let tags = h["tags"]
            .as_array()?
            .iter()
            .map(string)
            .collect::<Option<Vec<_>>>()?;
        handles.push(SpecHandle {
            id: string(&h["id"])?,
            tags,
        });
    }
    let scl = members(&root["scl"], &["content", "hints", "refs", "type"])?;
    let empty = |v: &Value| v.as_array().is_some_and(Vec::is_empty);
    if scl["type"] != "SclBlock" || !empty(&scl["hints"]) || !empty(&scl["refs"]) {
        return None;
    }
    Some(SpecDocument {
        handles,
        content: string(&scl["content"])?,
    })
}

/// Whether some SCL:V1 input parses to this AST, decided from the rules of
/// the specification (§5, §8) rather than from `scl-parse`'s validator:
///
/// - at least one handle, each with at least one tag;
/// - every id matches `[A-Za-z_][A-Za-z0-9_]*`;
/// - no tag contains DQ or a control character (§4.4), because a tag is
///   written between quotes without escapes;
/// - the content contains no CR or TAB (§4.3), and its first line does not
///   start (after spaces) with DQ: such a body would be read as quoted mode
///   (§5.6), whose lines cannot contain DQ.
///
/// Every other content is representable: in raw mode (§5.8) every line is
/// taken verbatim and only the last line of the input terminates.
pub(crate) fn representable(doc: &SpecDocument) -> bool {
    let id_ok = |id: &str| {
        let b = id.as_bytes();
        !b.is_empty()
            && (b[0].is_ascii_alphabetic() || b[0] == b'_')
            && b.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'_')
    };
    let tag_ok = |t: &str| t.bytes().all(|c| c != b'"' && c >= 0x20 && c != 0x7F);
    let first_line = doc.content.split('\n').next().unwrap_or("");
    !doc.handles.is_empty()
        && doc
            .handles
            .iter()
            .all(|h| id_ok(&h.id) && !h.tags.is_empty() && h.tags.iter().all(|t| tag_ok(t)))
        && !doc.content.bytes().any(|c| c == b'\r' || c == b'\t')
        && !first_line.trim_start_matches(' ').starts_with('"')
}

/// Target `scl_parse`: any bytes into [`scl_parse::parse`].
///
/// Properties (a panic means one failed):
/// - no panic inside the parser;
/// - an error has an offset ≤ the input length and is never `E900` (D24);
///   its line and column follow D23, and its diagnostic renders;
/// - parsing twice gives the same answer;
/// - a valid result's canonical JSON is strict JSON (read by `serde_json`)
///   describing the same AST, decodes with the strict canonical decoder back
///   to the same document, and hashes to what `scl_hash::identity` reports;
/// - `Document::to_scl` writes bytes that parse back to the same document.
pub fn scl_parse(data: &[u8]) {
    let first = parse(data);
    let second = parse(data);
    match (&first, &second) {
        (Err(a), Err(b)) => {
            assert_eq!(
                (a.code(), a.offset()),
                (b.code(), b.offset()),
                "unstable error"
            );
        }
        (Ok(a), Ok(b)) => assert_eq!(a, b, "unstable document"),
        _ => panic!("parse gave different answers for the same input"),
    }
    let doc = match first {
        Err(e) => {
            assert!(
                e.offset().get() <= data.len(),
                "error offset {} beyond input length {}",
                e.offset().get(),
                data.len()
            );
            assert_ne!(e.code(), ErrorCode::E900, "E900 is never reported (D24)");
            // D23: line = 1 + LFs before the offset; column = 1 + bytes since
            // the last LF before it.
            let before = &data[..e.offset().get()];
            let at = e.line_column(data);
            let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
            let column = 1 + before.iter().rev().take_while(|&&b| b != b'\n').count();
            assert_eq!(
                (at.line, at.column),
                (line, column),
                "line/column break D23"
            );
            // The diagnostic must render for any input, naming the code.
            let rendered = e.render("input", data);
            assert!(
                rendered.contains(&format!("error[{}]", e.code())),
                "rendered diagnostic does not name its code"
            );
            let _ = (e.message(), e.hint());
            assert_eq!(
                scl_hash::identity(data)
                    .map(|_| ())
                    .map_err(|e| (e.code(), e.offset())),
                Err((e.code(), e.offset())),
                "identity disagrees with parse"
            );
            return;
        }
        Ok(doc) => doc,
    };
    let json = canonical(&doc);
    assert_eq!(
        ast_from_json(&json).as_ref(),
        Some(&as_spec(&doc)),
        "canonical JSON is not strict JSON describing the same AST"
    );
    let decoded = scl_canon::decode(&json).expect("the decoder rejects canonical JSON");
    assert_eq!(
        decoded, doc,
        "canonical JSON decodes to a different document"
    );
    let hash = scl_hash::identity(data).expect("identity rejects a valid input");
    assert_eq!(
        hash,
        DocHash::of_canonical_bytes(&json),
        "identity is not SHA-256(canonical)"
    );
    assert_eq!(hash, DocHash::of_document(&doc), "of_document disagrees");
    let rewritten = doc.to_scl();
    let reparsed = parse(&rewritten).expect("to_scl output does not parse");
    assert_eq!(
        reparsed, doc,
        "to_scl output parses to a different document"
    );
    assert_eq!(
        doc.clone().into_owned(),
        doc,
        "into_owned changed the document"
    );
}

/// Target `scl_differential`: `scl_parse::parse` against the spec-literal
/// engine of [`spec_literal`]. Both must report the same `(code, offset)` for
/// an invalid input, and the same canonical JSON bytes for a valid one.
pub fn scl_differential(data: &[u8]) {
    let ours = parse(data);
    let spec = spec_literal::parse(data);
    match (ours, spec) {
        (Ok(doc), Ok(spec_doc)) => {
            let ours_json = canonical(&doc);
            let spec_json = spec_literal::canonical_json(&spec_doc);
            assert!(
                ours_json == spec_json,
                "canonical JSON differs:\n ours: {}\n spec: {}",
                String::from_utf8_lossy(&ours_json),
                String::from_utf8_lossy(&spec_json)
            );
        }
        (Err(e), Err((code, offset))) => assert_eq!(
            (e.code().as_str(), e.offset().get()),
            (code.as_str(), offset),
            "errors differ (left: ours, right: spec-literal)"
        ),
        (Ok(_), Err((code, offset))) => {
            panic!(
                "ours accepts; spec-literal says {} at {offset}",
                code.as_str()
            )
        }
        (Err(e), Ok(_)) => panic!(
            "spec-literal accepts; ours says {} at {}",
            e.code(),
            e.offset()
        ),
    }
}

/// Target `canon_decode`: any bytes into the strict canonical decoder
/// [`scl_canon::decode`].
///
/// Properties:
/// - no panic;
/// - whatever it accepts re-encodes to exactly the same bytes, is a document
///   some SCL:V1 input has (`to_scl` then `parse` gives it back, and the
///   spec-literal engine produces the same canonical bytes from that input);
/// - completeness: if `serde_json` reads the bytes as the canonical shape of
///   a representable AST and the spec-literal writer reproduces the input
///   byte for byte, the decoder must accept it.
pub fn canon_decode(data: &[u8]) {
    match scl_canon::decode(data) {
        Ok(doc) => {
            assert_eq!(
                canonical(&doc),
                data,
                "accepted bytes do not re-encode identically"
            );
            let scl = doc.to_scl();
            let reparsed = parse(&scl).expect("a decoded document has no SCL:V1 form");
            assert_eq!(
                reparsed, doc,
                "decoded document does not survive to_scl/parse"
            );
            let spec = spec_literal::parse(&scl).expect("spec-literal rejects to_scl output");
            assert_eq!(
                spec_literal::canonical_json(&spec),
                data,
                "spec-literal disagrees"
            );
        }
        Err(e) => {
            assert!(
                e.offset <= data.len(),
                "decode error offset beyond the input"
            );
            if let Some(ast) = ast_from_json(data) {
                if representable(&ast) && spec_literal::canonical_json(&ast) == data {
                    panic!("decoder rejects canonical JSON of a representable document: {e}");
                }
            }
        }
    }
}

/// Structured input of [`scl_roundtrip`]: a document described by parts that
/// may or may not be representable.
#[derive(Debug, Clone, Arbitrary)]
pub struct SclRoundtripInput {
    /// The handles (the builder refuses an empty list).
    pub handles: Vec<HandleInput>,
    /// The content of the `scl` block.
    pub content: TextInput,
}

/// One handle of a [`SclRoundtripInput`].
#[derive(Debug, Clone, Arbitrary)]
pub struct HandleInput {
    /// The handle id.
    pub id: IdInput,
    /// The tags (the builder refuses an empty list).
    pub tags: Vec<TextInput>,
}

/// A handle id: usually made of identifier bytes, sometimes anything.
#[derive(Debug, Clone, Arbitrary)]
pub enum IdInput {
    /// Each byte is mapped onto `[A-Za-z0-9_]` (the first onto
    /// `[A-Za-z_]`), so the id is valid unless the list is empty.
    Identifier(Vec<u8>),
    /// An arbitrary string (almost always refused).
    Any(String),
}

impl IdInput {
    fn render(&self) -> String {
        const START: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_";
        const REST: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_0123456789";
        match self {
            IdInput::Identifier(bytes) => bytes
                .iter()
                .enumerate()
                .map(|(i, &b)| {
                    let set = if i == 0 { START } else { REST };
                    char::from(set[usize::from(b) % set.len()])
                })
                .collect(),
            IdInput::Any(s) => s.clone(),
        }
    }
}

/// A string assembled from pieces biased towards the bytes that matter to
/// SCL:V1 (LF, spaces, quotes, braces, backslashes, control characters).
#[derive(Debug, Clone, Arbitrary)]
pub struct TextInput(pub Vec<Piece>);

/// One piece of a [`TextInput`].
#[derive(Debug, Clone, Arbitrary)]
pub enum Piece {
    /// A printable ASCII byte (mapped into 0x20..=0x7E).
    Printable(u8),
    /// Any Unicode scalar value.
    Char(char),
    /// LF.
    Lf,
    /// A space.
    Space,
    /// A double quote.
    Quote,
    /// A backslash.
    Backslash,
    /// `}`.
    CloseBrace,
    /// A control character (mapped into 0x00..=0x1F or 0x7F).
    Control(u8),
    /// Any string.
    Str(String),
}

impl TextInput {
    fn render(&self) -> String {
        let mut s = String::new();
        for piece in &self.0 {
            match piece {
                Piece::Printable(b) => s.push(char::from(0x20 + b % 0x5F)),
                Piece::Char(c) => s.push(*c),
                Piece::Lf => s.push('\n'),
                Piece::Space => s.push(' '),
                Piece::Quote => s.push('"'),
                Piece::Backslash => s.push('\\'),
                Piece::CloseBrace => s.push('}'),
                Piece::Control(b) => s.push(match b % 33 {
                    32 => '\u{7f}',
                    c => char::from(c),
                }),
                Piece::Str(t) => s.push_str(t),
            }
        }
        s
    }
}

/// Target `scl_roundtrip` on raw bytes: builds a [`SclRoundtripInput`] with
/// `arbitrary` (as `libfuzzer-sys` does) and runs [`scl_roundtrip`].
pub fn scl_roundtrip_bytes(data: &[u8]) {
    if let Ok(input) = SclRoundtripInput::arbitrary_take_rest(Unstructured::new(data)) {
        scl_roundtrip(input);
    }
}

/// Target `scl_roundtrip`: an arbitrary document through the builder.
///
/// The builder must accept exactly the representable documents (decided
/// independently by the spec's rules), and `Handle::new`/`Document::new`
/// must agree with it. For an accepted document:
/// - builder bytes (`to_scl`) parse back to the same document, and the
///   spec-literal engine reads the same AST from them;
/// - canonical encode → strict decode gives the same document and the same
///   bytes again;
/// - `identity(to_scl bytes)` is SHA-256 of the canonical JSON.
pub fn scl_roundtrip(input: SclRoundtripInput) {
    let spec = SpecDocument {
        handles: input
            .handles
            .iter()
            .map(|h| SpecHandle {
                id: h.id.render(),
                tags: h.tags.iter().map(TextInput::render).collect(),
            })
            .collect(),
        content: input.content.render(),
    };
    let mut builder = DocumentBuilder::new();
    for h in &spec.handles {
        builder = builder.handle(h.id.clone(), h.tags.clone());
    }
    let built = builder.content(spec.content.clone()).build();
    let direct = spec
        .handles
        .iter()
        .map(|h| Handle::new(h.id.clone(), h.tags.clone()))
        .collect::<Result<Vec<_>, _>>()
        .and_then(|handles| Document::new(handles, Content::new(spec.content.clone())));
    assert_eq!(
        built.is_ok(),
        representable(&spec),
        "builder and spec disagree on representability: {built:?}"
    );
    assert_eq!(
        built.is_ok(),
        direct.is_ok(),
        "builder and Document::new disagree"
    );
    let Ok(doc) = built else {
        return; // refused, rightly: no SCL:V1 input has this AST
    };
    assert_eq!(
        direct.as_ref().ok(),
        Some(&doc),
        "builder and Document::new build different documents"
    );
    assert_eq!(as_spec(&doc), spec, "the builder changed the document");

    let bytes = doc.to_scl();
    let parsed = parse(&bytes).unwrap_or_else(|e| {
        panic!(
            "builder output does not parse: {} at {}: {:?}",
            e.code(),
            e.offset(),
            String::from_utf8_lossy(&bytes)
        )
    });
    assert_eq!(parsed, doc, "builder output parses to a different document");
    let spec_parsed = spec_literal::parse(&bytes).expect("spec-literal rejects builder output");
    assert_eq!(
        spec_parsed, spec,
        "spec-literal reads a different AST from builder output"
    );

    let json = canonical(&doc);
    assert_eq!(
        json,
        spec_literal::canonical_json(&spec),
        "canonical JSON differs from the spec writer"
    );
    let decoded = scl_canon::decode(&json).expect("strict decoder rejects canonical JSON");
    assert_eq!(
        decoded, doc,
        "canonical JSON decodes to a different document"
    );
    assert_eq!(
        canonical(&decoded),
        json,
        "re-encoding the decoded document changes the bytes"
    );
    assert_eq!(
        scl_hash::identity(&bytes).expect("identity rejects builder output"),
        DocHash::of_canonical_bytes(&json),
        "identity is not SHA-256(canonical JSON)"
    );
}
