//! Properties of the whole pipeline over pseudo-random documents (a fixed
//! seed, so every run checks the same cases):
//!
//! * indentation of handle lines, quoted lines and the raw terminator never
//!   changes the identity;
//! * builder round trip: parse(to_scl(doc)) == doc;
//! * canonical round trip: decode(encode(doc)) == doc;
//! * the streamed identity equals SHA-256 of the materialised canonical JSON;
//! * mutated inputs never panic and report an offset within the input.

use aiid_sdk::{scl_canon, DocHash, Document, DocumentBuilder};
use sha2::{Digest, Sha256};

/// xorshift64*: small, deterministic, good enough to spread cases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const ID_FIRST: &[u8] = b"abcxyzABCZ_";
const ID_REST: &[u8] = b"abcxyzABCZ_0189";
const TAG_PIECES: &[&str] = &[
    "a", "tag", " ", ",", ")", "(", "\\", "é", "日本", "🦀", "\u{85}", "\u{feff}", "}", "{", "'",
    "x=1",
];
const LINE_PIECES: &[&str] = &[
    "word",
    " ",
    "  ",
    "\"",
    "\\",
    "}",
    "{",
    "é",
    "🦀",
    "\u{0}",
    "\u{1}",
    "\u{1f}",
    "\u{7f}",
    "\u{9f}",
    "scl {",
    "handles {",
    "SCL:V1",
    ")",
    "(\"x\")",
];

fn gen_id(rng: &mut Rng) -> String {
    let mut id = String::from(*rng.pick(ID_FIRST) as char);
    for _ in 0..rng.below(6) {
        id.push(*rng.pick(ID_REST) as char);
    }
    id
}

fn gen_tag(rng: &mut Rng) -> String {
    (0..rng.below(4)).map(|_| *rng.pick(TAG_PIECES)).collect()
}

fn gen_content(rng: &mut Rng, quotable: bool) -> String {
    let lines = rng.below(6);
    let mut out = Vec::new();
    for i in 0..lines {
        let mut line = String::new();
        for _ in 0..rng.below(5) {
            let piece = *rng.pick(LINE_PIECES);
            let unquotable =
                piece.contains('"') || piece.chars().any(|c| (c as u32) < 0x20 || c == '\u{7f}');
            if quotable && unquotable {
                continue;
            }
            line.push_str(piece);
        }
        if i == 0 {
            // The first line must not start (after spaces) with `"`.
            if line.trim_start_matches(' ').starts_with('"') {
                line.insert(0, 'x');
            }
        }
        out.push(line);
    }
    out.join("\n")
}

fn gen_doc(rng: &mut Rng) -> Document<'static> {
    let mut builder = DocumentBuilder::new();
    for _ in 0..1 + rng.below(4) {
        let tags: Vec<String> = (0..1 + rng.below(3)).map(|_| gen_tag(rng)).collect();
        builder = builder.handle(gen_id(rng), tags);
    }
    let quotable = rng.below(2) == 0;
    builder
        .content(gen_content(rng, quotable))
        .build()
        .expect("generated documents are representable")
}

/// Writes `doc` as SCL:V1 independently of the crate's builder, with random
/// indentation wherever indentation is not content.
fn render_indented(doc: &Document<'_>, rng: &mut Rng) -> Vec<u8> {
    let spaces = |rng: &mut Rng| " ".repeat(rng.below(5));
    let mut s = String::from("SCL:V1\n\nhandles {\n");
    for h in doc.handles() {
        let tags: Vec<String> = h.tags().map(|t| format!("\"{t}\"")).collect();
        s += &format!("{}{}({})\n", spaces(rng), h.id(), tags.join(","));
    }
    s += "}\nscl {\n";
    let content = doc.content().to_string();
    let quotable = !content
        .chars()
        .any(|c| c == '"' || ((c as u32) < 0x20 && c != '\n') || c == '\u{7f}');
    if content.is_empty() {
        s += &format!("{}}}", spaces(rng));
    } else if quotable && rng.below(2) == 0 {
        for line in content.split('\n') {
            s += &format!("{}\"{line}\"\n", spaces(rng));
        }
        s += "}";
    } else {
        s += &content;
        s += &format!("\n{}}}", spaces(rng));
    }
    s.into_bytes()
}

#[test]
fn indentation_never_changes_the_identity() {
    let mut rng = Rng(0x5C1_0001);
    for _ in 0..2000 {
        let doc = gen_doc(&mut rng);
        let expected = DocHash::of_document(&doc);
        for _ in 0..3 {
            let bytes = render_indented(&doc, &mut rng);
            let parsed = aiid_sdk::parse(&bytes)
                .unwrap_or_else(|e| panic!("{:?}: {e}", String::from_utf8_lossy(&bytes)));
            assert_eq!(parsed, doc);
            assert_eq!(aiid_sdk::identity(&bytes).unwrap(), expected);
        }
    }
}

#[test]
fn builder_round_trip() {
    let mut rng = Rng(0x5C1_0002);
    for _ in 0..3000 {
        let doc = gen_doc(&mut rng);
        let bytes = doc.to_scl();
        let parsed = aiid_sdk::parse(&bytes)
            .unwrap_or_else(|e| panic!("{:?}: {e}", String::from_utf8_lossy(&bytes)));
        assert_eq!(parsed, doc);
    }
}

#[test]
fn canonical_round_trip_and_streaming() {
    let mut rng = Rng(0x5C1_0003);
    for _ in 0..3000 {
        let doc = gen_doc(&mut rng);
        let json = scl_canon::to_vec(&doc);
        assert_eq!(json.len(), scl_canon::canonical_len(&doc));
        let decoded = scl_canon::decode(&json).unwrap();
        assert_eq!(decoded, doc);
        assert_eq!(scl_canon::to_vec(&decoded), json);
        let digest: [u8; 32] = Sha256::digest(&json).into();
        assert_eq!(DocHash::of_document(&doc).as_bytes(), &digest);
        // The canonical JSON is also plain JSON with the expected shape.
        let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(v["scl"]["content"], doc.content().to_string());
    }
}

#[test]
fn mutated_inputs_never_panic() {
    let mut rng = Rng(0x5C1_0004);
    const NOISE: &[u8] = b"\n \"(),}{\\\t\r\x00\x7f\x80\xc3\xa9\xed\xf0\xffhS";
    for _ in 0..3000 {
        let mut bytes = gen_doc(&mut rng).to_scl();
        for _ in 0..1 + rng.below(3) {
            let i = rng.below(bytes.len() + 1);
            match rng.below(3) {
                0 if i < bytes.len() => bytes[i] = *rng.pick(NOISE),
                1 => bytes.insert(i, *rng.pick(NOISE)),
                _ if i < bytes.len() => {
                    bytes.remove(i);
                }
                _ => {}
            }
        }
        match aiid_sdk::parse(&bytes) {
            Ok(doc) => {
                let json = scl_canon::to_vec(&doc);
                assert_eq!(scl_canon::decode(&json).unwrap(), doc);
            }
            Err(e) => assert!(e.offset().get() <= bytes.len()),
        }
        // Same answer twice.
        assert_eq!(
            aiid_sdk::parse(&bytes).map(|d| d.into_owned()),
            aiid_sdk::parse(&bytes).map(|d| d.into_owned())
        );
    }
}
