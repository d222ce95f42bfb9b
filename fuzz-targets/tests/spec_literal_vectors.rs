//! The spec-literal engine must pass every SCL:V1 conformance vector
//! (`spec/vectors/scl-v1.json`), or it is no oracle for the differential target.

use fuzz_targets::spec_literal;
use serde_json::Value;

/// Standard base64 with padding (the vectors' `input_b64`).
fn base64_decode(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes().filter(|&c| c != b'=') {
        let v = ALPHABET.iter().position(|&a| a == c).expect("base64 digit");
        acc = (acc << 6) | u32::try_from(v).expect("small");
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xFF).expect("byte"));
        }
    }
    out
}

#[test]
fn spec_literal_passes_every_vector() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/vectors/scl-v1.json");
    let text = std::fs::read_to_string(path).expect("vectors");
    let root: Value = serde_json::from_str(&text).expect("JSON");
    let vectors = root["vectors"].as_array().expect("vectors array");
    assert!(vectors.len() > 100);
    let mut failures = Vec::new();
    for v in vectors {
        let id = v["id"].as_str().expect("id");
        let input = base64_decode(v["input_b64"].as_str().expect("input_b64"));
        let expected = &v["expected"];
        let got = spec_literal::parse(&input);
        let ok = if expected["valid"] == true {
            got.as_ref().is_ok_and(|doc| {
                spec_literal::canonical_json(doc)
                    == expected["canonical"]
                        .as_str()
                        .expect("canonical")
                        .as_bytes()
            })
        } else {
            got.as_ref().err().is_some_and(|&(code, offset)| {
                code.as_str() == expected["code"]
                    && Some(offset as u64) == expected["offset"].as_u64()
            })
        };
        if !ok {
            failures.push(format!(
                "{id}: got {:?}",
                got.map(|d| spec_literal::canonical_json(&d).len())
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
