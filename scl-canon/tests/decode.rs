//! The strict decoder accepts only byte-for-byte canonical JSON (D25).

use scl_canon::{decode, to_vec, DecodeErrorKind};

const CANONICAL: &str = r#"{"handles":[{"id":"h1","tags":["test"],"type":"Handle"}],"scl":{"content":"hello world","hints":[],"refs":[],"type":"SclBlock"},"type":"Document","version":"SCL:V1"}"#;

#[track_caller]
fn rejected_at(json: &str, offset: usize) -> DecodeErrorKind {
    let err = decode(json.as_bytes()).expect_err("must be rejected");
    assert_eq!(err.offset, offset, "{json}: {err}");
    err.kind
}

#[test]
fn accepts_the_canonical_form() {
    let doc = decode(CANONICAL.as_bytes()).unwrap();
    assert_eq!(doc.handles()[0].id(), "h1");
    assert_eq!(to_vec(&doc), CANONICAL.as_bytes());
}

#[test]
fn rejects_whitespace_anywhere_outside_strings() {
    for (i, _) in CANONICAL.match_indices([',', ':', '{', '[']) {
        let mut spaced = CANONICAL.to_string();
        spaced.insert(i + 1, ' ');
        assert!(decode(spaced.as_bytes()).is_err(), "{spaced}");
    }
    rejected_at(&format!("{CANONICAL}\n"), CANONICAL.len());
    rejected_at(&format!(" {CANONICAL}"), 0);
}

#[test]
fn rejects_other_key_orders_extra_and_missing_fields() {
    let swapped = CANONICAL.replace(
        r#""id":"h1","tags":["test"]"#,
        r#""tags":["test"],"id":"h1""#,
    );
    assert!(matches!(
        rejected_at(&swapped, 14),
        DecodeErrorKind::Expected { .. }
    ));
    let extra = CANONICAL.replace(r#""hints":[],"#, r#""extra":[],"hints":[],"#);
    assert!(decode(extra.as_bytes()).is_err());
    let missing = CANONICAL.replace(r#","refs":[]"#, "");
    assert!(decode(missing.as_bytes()).is_err());
    let numbers = CANONICAL.replace(r#""refs":[]"#, r#""refs":[1]"#);
    assert!(decode(numbers.as_bytes()).is_err());
    let version = CANONICAL.replace("SCL:V1", "SCL:V2");
    assert!(decode(version.as_bytes()).is_err());
}

#[test]
fn rejects_non_minimal_escapes() {
    let content_at = CANONICAL.find("hello").unwrap();
    let with = |text: &str| CANONICAL.replace("hello world", text);
    // `\n` instead of `\u000a`.
    assert_eq!(
        rejected_at(&with(r"a\nb"), content_at + 2),
        DecodeErrorKind::NonCanonicalEscape
    );
    // `\/`, `\u0041`, uppercase hex.
    rejected_at(&with(r"a\/b"), content_at + 2);
    rejected_at(&with(r"\u0041"), content_at + 4);
    assert_eq!(
        rejected_at(&with(r"\u001F"), content_at + 5),
        DecodeErrorKind::UppercaseHex
    );
    // A raw control character must be escaped.
    assert_eq!(
        rejected_at(&with("a\u{1}b"), content_at + 1),
        DecodeErrorKind::UnescapedControl
    );
    // The minimal escapes are accepted and decoded.
    let escaped = with(r#"a\u000ab\"c\\d\u0000"#);
    let doc = decode(escaped.as_bytes()).unwrap();
    assert_eq!(doc.content().to_string(), "a\nb\"c\\d\u{0}");
    // DEL and non-ASCII are raw, never escaped.
    assert!(decode(with("\u{7f}é").as_bytes()).is_ok());
}

#[test]
fn rejects_invalid_utf8_at_the_first_byte_of_the_sequence() {
    let mut bytes = CANONICAL.as_bytes().to_vec();
    let at = CANONICAL.find("world").unwrap();
    bytes.splice(at..at, [0xE2, 0x82]);
    let err = decode(&bytes).unwrap_err();
    assert_eq!((err.offset, err.kind), (at, DecodeErrorKind::InvalidUtf8));
}

#[test]
fn rejects_canonical_json_that_no_scl_input_produces() {
    let not_scl = |json: String| {
        let err = decode(json.as_bytes()).unwrap_err();
        assert!(
            matches!(err.kind, DecodeErrorKind::NotAnSclDocument(_)),
            "{json}: {err}"
        );
    };
    not_scl(CANONICAL.replace(r#""id":"h1""#, r#""id":"1h""#));
    not_scl(CANONICAL.replace(r#""id":"h1""#, r#""id":"""#));
    not_scl(CANONICAL.replace(r#"["test"]"#, r#"["a\"b"]"#));
    not_scl(CANONICAL.replace(r#"["test"]"#, r#"["a\u000ab"]"#));
    not_scl(CANONICAL.replace("hello world", r"a\u0009b"));
    not_scl(CANONICAL.replace("hello world", r"a\u000db"));
    not_scl(CANONICAL.replace("hello world", r#"  \"quoted first line"#));
    // No handles at all is not even the canonical shape.
    assert!(decode(
        CANONICAL
            .replace(r#"{"id":"h1","tags":["test"],"type":"Handle"}"#, "")
            .as_bytes()
    )
    .is_err());
    // No tags either.
    assert!(decode(CANONICAL.replace(r#""test""#, "").as_bytes()).is_err());
}

#[test]
fn rejects_every_truncation() {
    for end in 0..CANONICAL.len() {
        let err = decode(&CANONICAL.as_bytes()[..end]).unwrap_err();
        assert!(err.offset <= end);
    }
}
