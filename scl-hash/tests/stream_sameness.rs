//! Proof of sameness: the streaming engine (`scl_hash::stream`) against the
//! in-memory parser and canonicaliser (`scl_parse::parse` + `scl_canon`), on
//! every conformance vector, the golden examples, random documents and their
//! mutations, each fed in many different chunkings: 1-byte chunks, random
//! chunk sizes, and every two-chunk split (so chunk edges fall inside every
//! multi-byte character, escape, keyword and line ending).
//!
//! The same means: for an invalid input, the same `ParseError` (code, offset
//! and reason); for a valid one, the same canonical bytes and the same hash.

use std::io::Read;
use std::path::Path;

use scl_hash::stream::{canonical_streamed, CanonicalStream, IdentityStream};
use scl_hash::stream_io::{
    canonical_of_reader, identity_of_reader, identity_of_reader_two_threads, StreamError,
};
use scl_hash::DocHash;
use scl_parse::ParseError;

/// The in-memory answer.
fn reference(input: &[u8]) -> Result<Vec<u8>, ParseError> {
    scl_parse::parse(input).map(|doc| scl_canon::to_vec(&doc))
}

/// The streaming answer, with the input cut at `cuts` (sorted offsets).
fn streamed(input: &[u8], cuts: &[usize]) -> Result<Vec<u8>, ParseError> {
    let mut engine = CanonicalStream::new(Vec::new());
    let mut from = 0;
    for &cut in cuts.iter().chain(std::iter::once(&input.len())) {
        let cut = cut.clamp(from, input.len());
        if let Err(e) = engine.feed(&input[from..cut]) {
            // An error from `feed` is final: finishing says the same.
            assert_eq!(engine.finish(), Err(e), "feed error not final");
            return Err(e);
        }
        from = cut;
    }
    engine.finish()
}

/// Streamed identity with the given chunk size.
fn streamed_hash(input: &[u8], chunk: usize) -> Result<DocHash, ParseError> {
    let mut engine = IdentityStream::new();
    for piece in input.chunks(chunk.max(1)) {
        engine.feed(piece)?;
    }
    engine.finish()
}

fn assert_same(input: &[u8], cuts: &[usize], expected: &Result<Vec<u8>, ParseError>) {
    let got = streamed(input, cuts);
    if &got != expected {
        panic!(
            "streaming engine disagrees with parse+canon\ninput: {:?}\ncuts: {cuts:?}\nexpected: {:?}\ngot: {:?}",
            String::from_utf8_lossy(input),
            expected.as_ref().map(|c| String::from_utf8_lossy(c).into_owned()),
            got.as_ref().map(|c| String::from_utf8_lossy(c).into_owned()),
        );
    }
}

/// Every chunking this suite uses for one input.
fn check_all_chunkings(input: &[u8], rng: &mut Rng, every_split: bool) {
    let expected = reference(input);
    // Whole, 1-byte chunks, and a few fixed sizes.
    assert_same(input, &[], &expected);
    let ones: Vec<usize> = (1..input.len()).collect();
    assert_same(input, &ones, &expected);
    for size in [2, 3, 5, 7, 64] {
        let cuts: Vec<usize> = (1..input.len()).filter(|c| c % size == 0).collect();
        assert_same(input, &cuts, &expected);
    }
    // Random chunk sizes.
    for _ in 0..4 {
        let mut cuts = Vec::new();
        let mut at = 0;
        loop {
            at += 1 + rng.below(12);
            if at >= input.len() {
                break;
            }
            cuts.push(at);
        }
        assert_same(input, &cuts, &expected);
    }
    // Every two-chunk split.
    if every_split {
        for cut in 0..=input.len() {
            assert_same(input, &[cut], &expected);
        }
    }
    // The identity agrees too.
    let expected_hash = expected.as_ref().map(|c| DocHash::of_canonical_bytes(c));
    assert_eq!(streamed_hash(input, 3), expected_hash.map_err(|e| *e));
    assert_eq!(
        scl_hash::identity(input),
        expected_hash.map_err(|e| *e),
        "in-memory identity"
    );
}

/// A small deterministic PRNG (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// Pieces of text that matter to the grammar and the escaper.
const ATOMS: &[&str] = &[
    "a",
    "b",
    "Zz_9",
    " ",
    "  ",
    "\"",
    "\\",
    "é",
    "€",
    "😀",
    "\u{7f}",
    "\u{0}",
    "\u{1}",
    "\u{1f}",
    "}",
    "{",
    "(",
    ")",
    ",",
    "\n",
    "x y",
    "\u{feff}",
    "\u{80}",
    "\u{10ffff}",
    "scl {",
];

fn text(rng: &mut Rng, max_atoms: usize) -> String {
    (0..rng.below(max_atoms + 1))
        .map(|_| rng.pick(ATOMS))
        .collect()
}

fn tag_text(rng: &mut Rng) -> String {
    // Mostly valid tags: no `"`, no control bytes. Now and then a long one,
    // past the 192-byte lines of the handle fast path.
    let atoms = if rng.chance(8) {
        30 + rng.below(60)
    } else {
        rng.below(6)
    };
    (0..atoms)
        .map(|_| rng.pick(&["a", "b c", "\\", "é", "😀", ",", ")", "(", "=", "}", ""]))
        .collect()
}

/// A random document, valid more often than not.
fn document(rng: &mut Rng) -> Vec<u8> {
    let mut doc = String::from("SCL:V1\n\nhandles {\n");
    for _ in 0..1 + rng.below(3) {
        let indent = " ".repeat(rng.below(3));
        let id = rng.pick(&["h1", "model", "_x", "A9_b", "params"]);
        let tags: Vec<String> = (0..1 + rng.below(3))
            .map(|_| format!("\"{}\"", tag_text(rng)))
            .collect();
        doc.push_str(&format!("{indent}{id}({})\n", tags.join(",")));
    }
    doc.push_str("}\nscl {\n");
    if rng.chance(40) {
        // Quoted mode.
        for _ in 0..1 + rng.below(3) {
            let indent = " ".repeat(rng.below(3));
            doc.push_str(&format!("{indent}\"{}\"\n", tag_text(rng)));
        }
        doc.push('}');
    } else {
        // Raw mode.
        for _ in 0..rng.below(4) {
            doc.push_str(&text(rng, 6));
            doc.push('\n');
        }
        doc.push_str(rng.pick(&["}", "  }", "}", " }", "} ", "}\n", "}}", "  } "]));
    }
    doc.into_bytes()
}

/// Bytes that are interesting to insert: forbidden, ill-formed or structural.
const INSERTS: &[&[u8]] = &[
    b"\r",
    b"\t",
    b"\r\n",
    b"\n",
    b"\xff",
    b"\xc3",
    b"\xe2\x82",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
    b"\xc0\xaf",
    b"\x80",
    b"\xf0\x9f\x98",
    b"\"",
    b"}",
    b" ",
    b"\x00",
    b"\x7f",
    b"\xef\xbb\xbf",
    b"(",
    b",",
    b")",
];

fn mutate(rng: &mut Rng, doc: &mut Vec<u8>) {
    for _ in 0..1 + rng.below(2) {
        let at = rng.below(doc.len() + 1);
        match rng.below(4) {
            0 if !doc.is_empty() => {
                doc.remove(at.min(doc.len() - 1));
            }
            1 => doc.truncate(at),
            2 if !doc.is_empty() => {
                let i = at.min(doc.len() - 1);
                doc[i] = rng.next() as u8;
            }
            _ => {
                let ins = rng.pick(INSERTS);
                doc.splice(at..at, ins.iter().copied());
            }
        }
    }
}

#[test]
fn random_documents_and_mutations_in_every_chunking() {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let (mut valid, mut invalid) = (0, 0);
    for round in 0..1500 {
        let mut doc = document(&mut rng);
        if round % 2 == 1 {
            mutate(&mut rng, &mut doc);
        }
        match scl_parse::parse(&doc) {
            Ok(_) => valid += 1,
            Err(_) => invalid += 1,
        }
        check_all_chunkings(&doc, &mut rng, round % 3 == 0);
    }
    // The generator must exercise both outcomes substantially.
    assert!(
        valid > 300 && invalid > 300,
        "valid {valid}, invalid {invalid}"
    );
}

#[test]
fn random_bytes_near_the_grammar() {
    // Short inputs that start like a document and continue with random atoms
    // and raw bytes: the paths where most errors live.
    let mut rng = Rng(0x0dd_ba11);
    let prefixes: &[&[u8]] = &[
        b"",
        b"SCL:V1\n\n",
        b"SCL:V1\n\nhandles {\n",
        b"SCL:V1\n\nhandles {\n  h1(\"a\")\n",
        b"SCL:V1\n\nhandles {\n  h1(\"a\")\n}\n",
        b"SCL:V1\n\nhandles {\n  h1(\"a\")\n}\nscl {\n",
    ];
    for _ in 0..4000 {
        let mut doc = rng.pick(prefixes).to_vec();
        for _ in 0..rng.below(10) {
            if rng.chance(70) {
                doc.extend_from_slice(rng.pick(ATOMS).as_bytes());
            } else {
                doc.extend_from_slice(rng.pick(INSERTS));
            }
        }
        check_all_chunkings(&doc, &mut rng, true);
    }
}

fn decode_base64(s: &str) -> Vec<u8> {
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {c}"),
        }
    };
    let clean: Vec<u8> = s.bytes().filter(|&c| c != b'=').collect();
    let mut out = Vec::new();
    for group in clean.chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in group.iter().enumerate() {
            acc |= value(c) << (18 - 6 * i);
        }
        let bytes = acc.to_be_bytes();
        out.extend_from_slice(&bytes[1..group.len()]);
    }
    out
}

#[test]
fn all_conformance_vectors_at_several_chunk_sizes() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/vectors/scl-v1.json");
    let text = std::fs::read_to_string(&path).expect("vectors file");
    let json: serde_json::Value = serde_json::from_str(&text).expect("vectors JSON");
    let vectors = json["vectors"].as_array().expect("vectors array");
    assert_eq!(vectors.len(), 704, "the suite has 704 SCL:V1 vectors");
    let mut rng = Rng(7);
    for v in vectors {
        let id = v["id"].as_str().unwrap_or("?");
        let input = decode_base64(v["input_b64"].as_str().expect("input_b64"));
        let expected = &v["expected"];
        for chunk in [1usize, 2, 3, 4, 7, 16, 4096, usize::MAX] {
            let cuts: Vec<usize> = if chunk == usize::MAX {
                Vec::new()
            } else {
                (1..input.len()).filter(|c| c % chunk == 0).collect()
            };
            let got = streamed(&input, &cuts);
            if expected["valid"] == true {
                let canonical = got.unwrap_or_else(|e| panic!("{id} (chunk {chunk}): {e}"));
                assert_eq!(
                    std::str::from_utf8(&canonical).ok(),
                    expected["canonical"].as_str(),
                    "{id} (chunk {chunk})"
                );
                let hash = streamed_hash(&input, chunk).expect("valid");
                assert_eq!(
                    Some(hash.to_string().as_str()),
                    expected["sha256"].as_str(),
                    "{id} (chunk {chunk})"
                );
            } else {
                let e = got.expect_err(id);
                assert_eq!(
                    Some(e.code().as_str()),
                    expected["code"].as_str(),
                    "{id} (chunk {chunk})"
                );
                assert_eq!(
                    Some(e.offset().get() as u64),
                    expected["offset"].as_u64(),
                    "{id} (chunk {chunk})"
                );
            }
        }
        // And the full error value (reason included) equals the parser's.
        check_all_chunkings(&input, &mut rng, input.len() <= 300);
    }
}

#[test]
fn golden_examples() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("examples dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "scl") {
            let input = std::fs::read(&path).expect("example");
            let mut rng = Rng(seen + 1);
            check_all_chunkings(&input, &mut rng, true);
            let expected = reference(&input).expect("golden examples are valid");
            assert_eq!(canonical_streamed(&input).as_deref(), Ok(&expected[..]));
            seen += 1;
        }
    }
    assert!(seen >= 4, "only {seen} examples found");
}

/// A large raw-mode document whose multi-byte characters and escapes fall
/// on every position around the engine's internal 64 KiB segment edges.
fn large_document(size: usize, line: &str) -> Vec<u8> {
    let mut doc = b"SCL:V1\n\nhandles {\n  h(\"t\")\n}\nscl {\n".to_vec();
    while doc.len() < size {
        doc.extend_from_slice(line.as_bytes());
    }
    doc.extend_from_slice(b"\n}");
    doc
}

/// A reader that returns at most `step` bytes per call, varying.
struct Dribble<'a> {
    data: &'a [u8],
    step: usize,
    calls: usize,
}

impl Read for Dribble<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.calls += 1;
        let n = (1 + (self.calls * 7919) % self.step)
            .min(buf.len())
            .min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

#[test]
fn large_inputs_across_segment_edges_and_readers() {
    for line in [
        "plain prose, nothing to escape at all here\n",
        "é😀\"\\x\u{1}é€\n",
        "  }\n",
    ] {
        let doc = large_document(200_000, line);
        let expected = reference(&doc).expect("valid");
        let expected_hash = DocHash::of_canonical_bytes(&expected);
        for chunk in [1000, 65_535, 65_536, 65_537, 100_003] {
            assert_eq!(
                streamed_hash(&doc, chunk),
                Ok(expected_hash),
                "chunk {chunk}"
            );
        }
        let reader = Dribble {
            data: &doc,
            step: 70_000,
            calls: 0,
        };
        assert_eq!(identity_of_reader(reader).ok(), Some(expected_hash));
        assert_eq!(
            identity_of_reader_two_threads(&doc[..]).ok(),
            Some(expected_hash)
        );
        assert_eq!(canonical_of_reader(&doc[..]).ok(), Some(expected));
        // An invalid byte far into the input: same error, located.
        for bad in [65_535usize, 65_536, 131_071, 150_001] {
            let mut broken = doc.clone();
            broken.insert(bad, 0xff);
            let want = scl_parse::parse(&broken).expect_err("invalid");
            assert_eq!(streamed_hash(&broken, 4096), Err(want));
            match identity_of_reader_two_threads(&broken[..]) {
                Err(StreamError::Invalid { error, at }) => {
                    assert_eq!(error, want);
                    assert_eq!(at, want.line_column(&broken));
                }
                other => panic!("expected the parse error, got {other:?}"),
            }
        }
    }
}

/// The streaming identity's error for an invalid `doc` fed in chunks of
/// `size`, with its line and column (from `feed` or from `finish`).
fn located_error(doc: &[u8], size: usize) -> (ParseError, scl_parse::LineColumn) {
    let mut engine = IdentityStream::new();
    for piece in doc.chunks(size.max(1)) {
        if let Err(e) = engine.feed(piece) {
            return (e, engine.line_column(e.offset().get()));
        }
    }
    engine.finish_located().expect_err("invalid")
}

#[test]
fn error_positions_match_line_column() {
    let mut rng = Rng(99);
    for _ in 0..2000 {
        let mut doc = document(&mut rng);
        mutate(&mut rng, &mut doc);
        let Err(want) = scl_parse::parse(&doc) else {
            continue;
        };
        let (error, at) = located_error(&doc, 1 + rng.below(9));
        assert_eq!(error, want);
        assert_eq!(
            at,
            want.line_column(&doc),
            "{:?}",
            String::from_utf8_lossy(&doc)
        );
    }
}

#[test]
fn a_large_document_of_spaces_and_braces_is_held_as_counters() {
    // A raw terminator candidate line of 300 000 spaces, then content: the
    // engine must write the spaces back as content, and nothing is buffered.
    let mut doc = b"SCL:V1\n\nhandles {\n  h(\"t\")\n}\nscl {\nx\n".to_vec();
    doc.extend(std::iter::repeat_n(b' ', 300_000));
    doc.extend_from_slice(b"} ");
    doc.extend(std::iter::repeat_n(b' ', 100_000));
    doc.extend_from_slice(b"y\n  }");
    let expected = reference(&doc).expect("valid");
    assert_eq!(canonical_streamed(&doc), Ok(expected));
    // And the same line as the last line: trailing spaces error.
    let cut = doc.len() - 5;
    let mut last = doc[..cut].to_vec();
    last.truncate(last.len() - 1); // drop the `y`
    assert_eq!(
        streamed(&last, &[1000, 200_000]),
        reference(&last),
        "trailing spaces after a raw terminator"
    );
}

/// A raw-mode document with a long body: many lines, some of which look
/// like the terminator (`}`, `  }`, `} `, blank) but are followed by more
/// content, and every byte the escaper handles. Long enough for the engine's
/// 64-byte bulk steps over raw content.
fn long_raw_document(rng: &mut Rng) -> Vec<u8> {
    let mut doc = String::from("SCL:V1\n\nhandles {\n  h(\"t\")\n}\nscl {\n");
    doc.push_str(rng.pick(&["first line", "  indented", "x"]));
    doc.push('\n');
    for _ in 0..rng.below(60) {
        let line = match rng.below(10) {
            0 => rng
                .pick(&["}", "  }", "} ", "", " ", "}}", "  } ", "\u{1}\u{1f}"])
                .to_string(),
            1 => "a \"quoted\" C:\\path\\x and more text to fill the line".repeat(1 + rng.below(3)),
            _ => text(rng, 14),
        };
        doc.push_str(&line);
        doc.push('\n');
    }
    // The last lines: sometimes a terminator-like line longer than the
    // engine's bulk steps look ahead, before the end or as the end.
    let long = format!("{}}}", " ".repeat(60 + rng.below(80)));
    if rng.chance(30) {
        doc.push_str(&long);
        doc.push('\n');
    }
    let last = rng.pick(&[
        "}", "  }", "}", " }", "} ", "}\n", "}}", "  } ", "long", "long\n",
    ]);
    match last {
        "long" => doc.push_str(&long),
        "long\n" => {
            doc.push_str(&long);
            doc.push('\n');
        }
        other => doc.push_str(other),
    }
    doc.into_bytes()
}

#[test]
fn long_raw_bodies_in_every_chunking() {
    check_long_documents(Rng(0x0b01_6b0d_01e5_0001), long_raw_document, 2);
}

/// 400 documents from `generate`, one in `mutate_every` of them mutated,
/// each in every chunking of [`check_all_chunkings`] and in fixed-size
/// chunks around the bulk steps' sizes; errors are located the same way.
fn check_long_documents(mut rng: Rng, generate: fn(&mut Rng) -> Vec<u8>, mutate_every: usize) {
    let (mut valid, mut invalid) = (0, 0);
    for round in 0..400 {
        let mut doc = generate(&mut rng);
        if round % mutate_every == mutate_every - 1 {
            mutate(&mut rng, &mut doc);
        }
        let expected = reference(&doc);
        match expected {
            Ok(_) => valid += 1,
            Err(_) => invalid += 1,
        }
        check_all_chunkings(&doc, &mut rng, round % 40 == 0);
        for size in [63usize, 64, 65, 127, 128, 129, 200, 1000] {
            let cuts: Vec<usize> = (1..doc.len()).filter(|c| c % size == 0).collect();
            assert_same(&doc, &cuts, &expected);
        }
        // Errors are located the same after the bulk steps, whatever the
        // chunking.
        if let Err(want) = expected {
            for size in [1 + rng.below(9), 64 + rng.below(200), doc.len()] {
                let (error, at) = located_error(&doc, size);
                assert_eq!(error, want);
                assert_eq!(at, want.line_column(&doc), "chunk {size}");
            }
        }
    }
    assert!(
        valid > 100 && invalid > 100,
        "{valid} valid, {invalid} invalid"
    );
}

/// Handle lines whose tag lists are random strings over the bytes that
/// matter to them (quotes, commas, parentheses, backslash, a control byte,
/// DEL, space, multi-byte text), valid or not, with enough input after them
/// for the engine's one-step tag-list check: every answer must be the
/// parser's.
#[test]
fn tag_lists_of_random_punctuation() {
    let mut rng = Rng(0x7a65_11f7_0000_0001);
    let tokens: &[&str] = &[
        "\"", "\"", "\"", ",", ",", "a", "bc", ")", "(", " ", "\\", "\u{1}", "\u{7f}", "é", "\"\"",
        "\",\"",
    ];
    let (mut valid, mut invalid) = (0, 0);
    for _ in 0..20_000 {
        // Valid lists (one to four tags over harmless bytes), half of them
        // then broken by one token inserted, removed or replaced.
        let inner: &[&str] = &["a", "bc", " ", "é", "(", ")", ",", "\\", "}"];
        let mut list: Vec<&str> = Vec::new();
        for t in 0..1 + rng.below(4) {
            if t > 0 {
                list.push(",");
            }
            list.push("\"");
            for _ in 0..rng.below(5) {
                list.push(rng.pick(inner));
            }
            list.push("\"");
        }
        if rng.chance(50) {
            let at = rng.below(list.len() + 1);
            match rng.below(3) {
                0 => list.insert(at, rng.pick(tokens)),
                1 if at < list.len() => {
                    list.remove(at);
                }
                _ if at < list.len() => list[at] = rng.pick(tokens),
                _ => list.push(rng.pick(tokens)),
            }
        }
        let list: String = list.concat();
        let close = rng.pick(&[")\n", ")\n", ")\n", ")\n", ")\n", ") \n", ")", "\n"]);
        let doc = format!(
            "SCL:V1\n\nhandles {{\n  first(\"x\")\n  h({list}{close}  last(\"y\")\n}}\nscl {{\n{}\n}}",
            "content line long enough to follow the handles by 64 bytes and more"
        );
        let doc = doc.into_bytes();
        let expected = reference(&doc);
        match expected {
            Ok(_) => valid += 1,
            Err(_) => invalid += 1,
        }
        assert_same(&doc, &[], &expected);
        let cut = rng.below(doc.len() + 1);
        assert_same(&doc, &[cut], &expected);
    }
    assert!(
        valid > 1000 && invalid > 1000,
        "{valid} valid, {invalid} invalid"
    );
}

/// The largest expansion raw content has: every byte a control byte (six
/// output bytes each), in lines long and short, so that the bulk steps
/// fill the output block as fast as they can.
#[test]
fn raw_content_of_control_bytes_only() {
    let mut rng = Rng(0x0c04_7001);
    for lines in [1usize, 3, 40, 400] {
        let mut doc = b"SCL:V1\n\nhandles {\n  h(\"t\")\n}\nscl {\nx".to_vec();
        for _ in 0..lines {
            let len = 1 + rng.below(300);
            doc.extend((0..len).map(|_| rng.pick(&[0x01u8, 0x1f, 0x00, b'"', b'\\'])));
            doc.push(b'\n');
        }
        doc.push(b'}');
        check_all_chunkings(&doc, &mut rng, false);
        assert!(reference(&doc).is_ok());
    }
}

/// Text allowed inside a quoted string.
const QUOTED_ATOMS: &[&str] = &[
    "a",
    "b c",
    "\\",
    "é",
    "😀",
    "}",
    "{",
    ",",
    "  ",
    "\u{feff}",
    "scl {",
    "\u{10ffff}",
];

/// A quoted-mode document with many lines: strings with backslashes,
/// non-ASCII text and lengths around the engine's 32-byte bulk steps,
/// indentation from none to longer than the steps look ahead, and now and
/// then a line that breaks a rule (a byte after the closing quote, a blank
/// line, an indented `}`, a control byte, DEL or an LF inside a string).
fn long_quoted_document(rng: &mut Rng) -> Vec<u8> {
    let mut doc = String::from("SCL:V1\n\nhandles {\n  h(\"t\")\n}\nscl {\n");
    let lines = 1 + rng.below(50);
    // One line in three documents breaks a rule.
    let broken = if rng.below(3) == 0 {
        rng.below(lines)
    } else {
        lines
    };
    for line in 0..lines {
        let indent = match rng.below(8) {
            0 => 0,
            1 => 60 + rng.below(80),
            _ => rng.below(6),
        };
        doc.push_str(&" ".repeat(indent));
        let body = match rng.below(6) {
            0 => String::new(),
            1 => "C:\\path\\x \\\\ é ✓ 😀 ".repeat(1 + rng.below(4)),
            _ => (0..rng.below(14)).map(|_| rng.pick(QUOTED_ATOMS)).collect(),
        };
        match if line == broken { rng.below(6) } else { 6 } {
            0 => doc.push_str(&format!("\"{body}\" x\n")),
            1 => doc.push_str(&format!("\"{body}\"\n\n")),
            2 => doc.push_str(&format!("\"{body}\"\n  }}\n")),
            3 => doc.push_str(&format!("\"{body}\u{1}\"\n")),
            4 => doc.push_str(&format!("\"{body}\u{7f}\"\n")),
            5 => doc.push_str(&format!("\"{body}\nmore\"\n")),
            _ => doc.push_str(&format!("\"{body}\"\n")),
        }
    }
    doc.push_str(rng.pick(&["}", "}", "}", " }", "}\n", "} "]));
    doc.into_bytes()
}

#[test]
fn long_quoted_bodies_in_every_chunking() {
    check_long_documents(Rng(0x0b01_6b0d_0a07_0002), long_quoted_document, 4);
}
