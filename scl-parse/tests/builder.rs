//! The builder refuses exactly what no SCL:V1 input can hold, and whatever it
//! accepts round-trips through bytes.

use scl_parse::{parse, BuildError, ContentMode, Document, DocumentBuilder};

fn build(content: &str) -> Result<Document<'static>, BuildError> {
    DocumentBuilder::new()
        .handle("h", ["t"])
        .content(content)
        .build()
}

#[test]
fn refuses_unrepresentable_documents() {
    assert_eq!(
        DocumentBuilder::new().content("x").build(),
        Err(BuildError::NoHandles)
    );
    assert_eq!(
        DocumentBuilder::new()
            .handle("h", Vec::<String>::new())
            .build(),
        Err(BuildError::NoTags { handle: 0 })
    );
    assert_eq!(
        DocumentBuilder::new()
            .handle("ok", ["t"])
            .handle("9x", ["t"])
            .build(),
        Err(BuildError::InvalidHandleId {
            handle: 1,
            byte_index: 0,
            found: '9'
        })
    );
    assert_eq!(
        DocumentBuilder::new().handle("", ["t"]).build(),
        Err(BuildError::EmptyHandleId { handle: 0 })
    );
    assert_eq!(
        DocumentBuilder::new().handle("h", ["ok", "a\"b"]).build(),
        Err(BuildError::InvalidTagChar {
            handle: 0,
            tag: 1,
            byte_index: 1,
            found: '"'
        })
    );
    assert!(matches!(
        DocumentBuilder::new().handle("h", ["a\u{7f}"]).build(),
        Err(BuildError::InvalidTagChar {
            found: '\u{7f}',
            ..
        })
    ));
    assert_eq!(
        build("a\tb"),
        Err(BuildError::ForbiddenContentChar {
            byte_index: 1,
            found: '\t'
        })
    );
    assert_eq!(
        build("ab\r\n"),
        Err(BuildError::ForbiddenContentChar {
            byte_index: 2,
            found: '\r'
        })
    );
    assert_eq!(
        build("  \"x\nrest"),
        Err(BuildError::FirstLineStartsWithQuote)
    );
    assert_eq!(build("\"x\""), Err(BuildError::FirstLineStartsWithQuote));
}

#[test]
fn chooses_a_mode_and_round_trips() {
    let cases = [
        ("", ContentMode::Raw),
        ("plain", ContentMode::Quoted),
        ("a\n\nb\n", ContentMode::Quoted),
        ("tab-free \\ backslash", ContentMode::Quoted),
        ("has \"quotes\" later", ContentMode::Raw),
        ("first\n\"second line quoted\"", ContentMode::Raw),
        ("nul \u{0} and del \u{7f}", ContentMode::Raw),
        ("}\n  }", ContentMode::Quoted),
        ("  leading spaces", ContentMode::Quoted),
    ];
    for (content, mode) in cases {
        let doc = build(content).unwrap();
        let bytes = doc.to_scl();
        let parsed = parse(&bytes).unwrap_or_else(|e| panic!("{content:?}: {e}"));
        assert_eq!(parsed, doc, "{content:?}");
        assert_eq!(parsed.content().to_string(), content);
        if !content.is_empty() {
            assert_eq!(parsed.content().mode(), mode, "{content:?}");
        }
    }
}

#[test]
fn writes_the_golden_layout() {
    let doc = DocumentBuilder::new()
        .handle("h1", ["test"])
        .content("hello world")
        .build()
        .unwrap();
    assert_eq!(
        doc.to_scl(),
        b"SCL:V1\n\nhandles {\n  h1(\"test\")\n}\nscl {\n  \"hello world\"\n}"
    );
}
