//! `identity_parallel` on documents above its 1 MiB threshold (the streaming
//! engine on this thread, SHA-256 on another) gives exactly the answer of
//! `parse` then `DocHash::of_document`: the same identity for valid
//! documents, the same error (code, offset, reason) for invalid ones,
//! wherever the error sits relative to the engine's 64 KiB pieces.

use aiid_sdk::{identity, identity_parallel, parse, DocHash};

/// A valid document of at least `size` bytes: raw-mode prose, quoted lines
/// or handles, as `shape` says.
fn large(shape: &str, size: usize) -> Vec<u8> {
    let mut doc = String::from("SCL:V1\n\nhandles {\n  h(\"t\")\n");
    match shape {
        "handles" => {
            let mut i = 0;
            while doc.len() < size {
                doc.push_str(&format!("  h{i}(\"a\",\"b \\\\ é\")\n"));
                i += 1;
            }
            doc.push_str("}\nscl {\n}");
        }
        "quoted" => {
            doc.push_str("}\nscl {\n");
            while doc.len() < size {
                doc.push_str("  \"Summarise \\ the report, é 😀 ok\"\n");
            }
            doc.push('}');
        }
        _ => {
            doc.push_str("}\nscl {\n");
            while doc.len() < size {
                doc.push_str("He wrote \"see C:\\data\" and a café 😀 — ok\n  }\n\n");
            }
            doc.push('}');
        }
    }
    doc.into_bytes()
}

fn reference(input: &[u8]) -> Result<DocHash, aiid_sdk::ParseError> {
    parse(input).map(|doc| DocHash::of_document(&doc))
}

#[test]
fn valid_large_documents_have_the_parsers_identity() {
    for shape in ["raw", "quoted", "handles"] {
        let doc = large(shape, (2 << 20) + 12_345);
        let want = reference(&doc).expect("valid document");
        assert_eq!(identity_parallel(&doc), Ok(want), "{shape}");
        assert_eq!(identity(&doc), Ok(want), "{shape}");
    }
}

#[test]
fn invalid_large_documents_have_the_parsers_error() {
    let piece = 64 * 1024;
    for shape in ["raw", "quoted", "handles"] {
        let base = large(shape, (1 << 20) + 100_003);
        let n = base.len();
        // Where to break it: near the start, on and around piece edges, in
        // the middle, just before the end.
        let spots = [40, piece - 1, piece, piece + 1, n / 2, n - 3];
        let breaks: [&[u8]; 6] = [b"\r", b"\t", b"\xff", b"\xe2\x82", b"\"", b"\n\n"];
        for &at in &spots {
            for bad in breaks {
                let mut doc = base.clone();
                doc.splice(at..at, bad.iter().copied());
                let want = reference(&doc);
                assert_eq!(identity_parallel(&doc), want, "{shape}, {bad:?} at {at}");
            }
            let mut cut = base.clone();
            cut.truncate(at);
            assert_eq!(
                identity_parallel(&cut),
                reference(&cut),
                "{shape}, cut at {at}"
            );
        }
    }
}
