//! The conformance engine protocol: one document in, one JSON object out.
//!
//! `{"valid":true,"canonical":"…","sha256":"…"}` for a valid document, and
//! `{"valid":false,"code":"E104","offset":37}` for an invalid one. This is
//! what `aiid engine` prints and what `scl-conformance --engine` expects from
//! any implementation.

use alloc::{format, string::String};

use crate::{DocHash, ParseError};

/// The protocol answer for `input`, as one line of JSON (no trailing LF).
pub fn respond(input: &[u8]) -> String {
    let canonical = scl_parse::parse(input).map(|doc| scl_canon::to_vec(&doc));
    answer(canonical.as_deref())
}

/// The protocol answer for a result already computed: the canonical JSON
/// of a valid document, or its error (used by the streaming `aiid engine`).
pub fn answer(result: Result<&[u8], &ParseError>) -> String {
    match result {
        Ok(canonical) => {
            let hash = DocHash::of_canonical_bytes(canonical);
            // Canonical JSON is valid UTF-8 by construction.
            let text = String::from_utf8_lossy(canonical);
            format!(
                "{{\"valid\":true,\"canonical\":{},\"sha256\":\"{hash}\"}}",
                json_string(&text)
            )
        }
        Err(e) => format!(
            "{{\"valid\":false,\"code\":\"{}\",\"offset\":{}}}",
            e.code(),
            e.offset()
        ),
    }
}

/// `s` as a JSON string literal (quotes included), escaped as `serde_json`
/// does: `\"`, `\\`, the short escapes `\b \f \n \r \t`, and `\u00xx` for
/// the other control characters; everything else verbatim.
pub fn json_string(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let short = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            0x08 => "\\b",
            0x0c => "\\f",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x00..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        start = i + 1;
        if short.is_empty() {
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        } else {
            out.push_str(short);
        }
    }
    out.push_str(&s[start..]);
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn json_string_matches_serde_json_for_every_ascii_byte_and_more() {
        let mut cases: std::vec::Vec<String> =
            (0u8..0x80).map(|b| char::from(b).to_string()).collect();
        cases.push("é \u{1F600} \u{7f} a\"b\\c\nd".into());
        cases.push(String::new());
        for s in cases {
            assert_eq!(
                json_string(&s),
                serde_json::Value::from(s.as_str()).to_string(),
                "{s:?}"
            );
        }
    }

    #[test]
    fn valid_and_invalid_answers() {
        let ok = respond(b"SCL:V1\n\nhandles {\n  h1(\"test\")\n}\nscl {\n  \"hello world\"\n}");
        let v: serde_json::Value = serde_json::from_str(&ok).unwrap();
        assert_eq!(v["valid"], true);
        assert_eq!(
            v["sha256"],
            "56e66666e6597fe83feed1325b516635831a7b5d2216f7520a569230a7673612"
        );
        assert!(v["canonical"]
            .as_str()
            .unwrap()
            .starts_with("{\"handles\":["));
        assert_eq!(
            respond(b"SCL:V1\n\n\n"),
            r#"{"valid":false,"code":"E101","offset":8}"#
        );
    }
}
