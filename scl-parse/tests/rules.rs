//! One test per rule of the SCL:V1 grammar, with expectations derived by hand
//! from the rule text (`spec/scl-v1.md`, `spec/DECISIONS.md`). Offsets are
//! written as positions of visible markers in the input, so each derivation
//! can be read off the test.

use scl_parse::{parse, ContentMode, ErrorCode, ErrorCode::*};

/// A document with the given handle lines and scl part (everything after `scl {` LF).
fn doc(handles: &str, scl: &str) -> Vec<u8> {
    format!("SCL:V1\n\nhandles {{\n{handles}}}\nscl {{\n{scl}").into_bytes()
}

/// Offset of the first occurrence of `needle` after `from`.
fn at(input: &[u8], needle: &str, from: usize) -> usize {
    let n = needle.as_bytes();
    from + input[from..]
        .windows(n.len())
        .position(|w| w == n)
        .unwrap_or_else(|| panic!("{needle:?} not in input"))
}

/// Offset where the scl content starts (after `scl {` LF).
fn content_start(input: &[u8]) -> usize {
    at(input, "scl {\n", 0) + 6
}

#[track_caller]
fn err(input: &[u8], code: ErrorCode, offset: usize) {
    match parse(input) {
        Ok(d) => panic!("expected {code} at {offset}, got valid {d:?}"),
        Err(e) => assert_eq!(
            (e.code(), e.offset().get()),
            (code, offset),
            "input {:?}: {e}",
            String::from_utf8_lossy(input)
        ),
    }
}

#[track_caller]
fn ok(input: &[u8], handles: &[(&str, &[&str])], content: &str) {
    let d = parse(input).unwrap_or_else(|e| panic!("{:?}: {e}", String::from_utf8_lossy(input)));
    let got: Vec<(String, Vec<String>)> = d
        .handles()
        .iter()
        .map(|h| (h.id().to_owned(), h.tags().map(str::to_owned).collect()))
        .collect();
    let want: Vec<(String, Vec<String>)> = handles
        .iter()
        .map(|(id, tags)| (id.to_string(), tags.iter().map(|t| t.to_string()).collect()))
        .collect();
    assert_eq!(got, want);
    assert_eq!(d.content().to_string(), content);
}

const H: &str = "  h(\"t\")\n";

// §1 Bytes ---------------------------------------------------------------

#[test]
fn invalid_utf8_is_e001_at_first_byte_of_sequence() {
    let mut input = doc(H, "abc");
    let base = content_start(&input);
    // Truncated 3-byte sequence E2 82 followed by 'x': the sequence starts at E2.
    input.splice(base + 1..base + 1, [0xE2, 0x82]);
    input.extend_from_slice(b"\n}");
    err(&input, E001, base + 1);
}

#[test]
fn overlong_surrogate_and_above_max_are_e001() {
    for bad in [
        &[0xC0, 0x80][..],
        &[0xED, 0xA0, 0x80],
        &[0xF4, 0x90, 0x80, 0x80],
        &[0xFF],
    ] {
        let mut input = doc(H, "a");
        let base = content_start(&input) + 1;
        input.extend_from_slice(bad);
        input.extend_from_slice(b"\n}");
        err(&input, E001, base);
    }
}

#[test]
fn cr_and_tab_are_e001_everywhere() {
    err(b"SCL:V1\r\n\r\n", E001, 6);
    let input = doc(H, "a\tb\n}");
    err(&input, E001, content_start(&input) + 1);
    let input = doc("  h(\"a\tb\")\n", "}");
    err(&input, E001, at(&input, "\t", 0));
}

#[test]
fn controls_in_quoted_strings_are_e001_but_allowed_in_raw_content() {
    let input = doc("  h(\"a\u{1}b\")\n", "}");
    err(&input, E001, at(&input, "\u{1}", 0));
    let input = doc(H, "  \"a\u{7f}\"\n}");
    err(&input, E001, at(&input, "\u{7f}", 0));
    // Raw mode: NUL, 0x01 and DEL are content.
    ok(
        &doc(H, "a\u{0}\u{1}\u{7f}\n}"),
        &[("h", &["t"])],
        "a\u{0}\u{1}\u{7f}",
    );
    // C1 controls (U+0080–U+009F) are not forbidden in quoted strings.
    ok(&doc("  h(\"\u{85}\")\n", "}"), &[("h", &["\u{85}"])], "");
}

// §2 Layout --------------------------------------------------------------

#[test]
fn header_rules() {
    err(b"", E101, 0); // R1
    err(b"SCL:V1\n", E101, 7); // R1: EOF inside the header
    err(b"SCL:V2\n\n", E101, 5); // D14
    err(b"scl:V1\n\n", E101, 0);
    err(b"SCL:V1 \n\n", E101, 6);
    err(b"\xEF\xBB\xBFSCL:V1\n\n", E101, 0); // BOM
    err(b"SCL:V1\n\n\nhandles {\n", E101, 8); // R2
}

#[test]
fn handles_opening_line() {
    err(b"SCL:V1\n\nhandles{\n", E102, 15); // D15
    err(b"SCL:V1\n\nhandles {", E102, 17); // R3: EOF inside the line
    err(b"SCL:V1\n\n", E102, 8); // R3: EOF at the line
    err(b"SCL:V1\n\nhandles { \n", E102, 17);
    err(b"SCL:V1\n\nscl {\n}", E102, 8);
}

#[test]
fn empty_handles_block_is_e102_at_the_brace() {
    let input = doc("", "}");
    err(&input, E102, at(&input, "}\nscl", 0)); // D12
    err(b"SCL:V1\n\nhandles {\n}", E102, 18);
}

#[test]
fn blank_lines_in_handles_are_e102_at_line_start() {
    let input = doc("  h(\"t\")\n\n", "}");
    err(&input, E102, at(&input, "\n\n}", 0) + 1);
    let input = doc("  h(\"t\")\n   \n", "}");
    err(&input, E102, at(&input, "   \n", 0));
}

#[test]
fn handle_line_procedure() {
    let line = |l: &str| doc(&format!("{l}\n"), "}");
    let i = line("  1h(\"t\")");
    err(&i, E201, at(&i, "1h", 0));
    let i = line("  h-x(\"t\")");
    err(&i, E201, at(&i, "-x", 0));
    let i = line("  h (\"t\")");
    err(&i, E201, at(&i, " (", 0)); // space before `(`
    let i = line("  h");
    err(&i, E201, at(&i, "h\n", 0) + 1); // no `(`: at the LF
    let i = line("  (\"t\")");
    err(&i, E201, at(&i, "(", 0)); // empty id
    let i = line("  h(\"t\") ");
    err(&i, E201, at(&i, ") ", 0) + 1); // byte after `)`
    let i = line("  h(\"t\")x");
    err(&i, E201, at(&i, ")x", 0) + 1);
    let i = line("  hé(\"t\")");
    err(&i, E201, at(&i, "é", 0));
    // Any id matching the regex is fine, and ids may repeat.
    ok(
        &doc("_a9(\"x\")\nZ(\"y\")\n_a9(\"z\")\n", "}"),
        &[("_a9", &["x"]), ("Z", &["y"]), ("_a9", &["z"])],
        "",
    );
}

#[test]
fn brace_lines_inside_handles_follow_the_procedure() {
    let i = doc("  h(\"t\")\n  }\n", "}");
    err(&i, E201, at(&i, "  }\n", 0) + 2); // R4
    let i = doc("  h(\"t\")\n} \n", "}");
    err(&i, E201, at(&i, "} \n", 0)); // R4
}

#[test]
fn tag_lists() {
    let line = |l: &str| doc(&format!("{l}\n"), "}");
    let i = line("h()");
    err(&i, E202, at(&i, ")", 0));
    let i = line("h(\"a\",)");
    err(&i, E202, at(&i, ",)", 0) + 1);
    let i = line("h(\"a\", \"b\")");
    err(&i, E202, at(&i, " \"b", 0));
    let i = line("h(a)");
    err(&i, E202, at(&i, "a)", 0));
    let i = line("h( \"a\")");
    err(&i, E202, at(&i, "( ", 0) + 1);
    let i = line("h(\"a\" )");
    err(&i, E202, at(&i, "\" )", 0) + 1);
    let i = line("h(\"a\"\"b\")");
    err(&i, E202, at(&i, "\"\"b", 0) + 1);
    // R6: empty tags and tags with `,` `)` `\` are fine; no escapes.
    ok(
        &line("h(\"\",\"a,b\",\"x)y\",\"c\\\\d\",\"\\\")"),
        &[("h", &["", "a,b", "x)y", "c\\\\d", "\\"])],
        "",
    );
}

#[test]
fn unterminated_tags() {
    let i = doc("h(\"abc\n", "}");
    err(&i, E001, at(&i, "abc\n", 0) + 3); // R5: LF inside quotes
    err(b"SCL:V1\n\nhandles {\nh(\"abc", E103, 24); // R5: EOF inside quotes
}

#[test]
fn eof_inside_handles_block() {
    let full = b"SCL:V1\n\nhandles {\n  h(\"t\")\n}\n";
    // Every prefix from after `handles {` LF up to before the closing LF is E103 at EOF.
    for end in 18..full.len() - 1 {
        err(&full[..end], E103, end); // R3, D19
    }
    err(&full[..], E104, full.len()); // R7: EOF at the scl line
}

#[test]
fn gap_and_scl_opening_line() {
    let i = b"SCL:V1\n\nhandles {\nh(\"t\")\n}\n\nscl {\n}";
    // The handles block ends at 8 + 10 + 7 + 2 = 27.
    err(i, E104, 27); // R7: blank line before `scl {`
    err(b"SCL:V1\n\nhandles {\nh(\"t\")\n}\nscl{\n}", E104, 30); // D16
    err(b"SCL:V1\n\nhandles {\nh(\"t\")\n}\nscl {", E104, 32); // R7
    err(b"SCL:V1\n\nhandles {\nh(\"t\")\n}\nscl {\n", E105, 33); // R7
    err(b"SCL:V1\n\nhandles {\nh(\"t\")\n}\ng(\"t\")\n", E104, 27); // D16
}

// §3 Modes ----------------------------------------------------------------

#[test]
fn quoted_mode() {
    let i = doc(H, "  \"a\"\n\"b\"\n}");
    ok(&i, &[("h", &["t"])], "a\nb");
    assert_eq!(parse(&i).unwrap().content().mode(), ContentMode::Quoted);
    let i = doc(H, "\"\"\n}");
    ok(&i, &[("h", &["t"])], "");
    // R8: trailing LF after `}` in quoted mode → E104 at the LF.
    let i = doc(H, "\"a\"\n}\n");
    err(&i, E104, i.len() - 1);
    // R9: indented terminator, blank line, unquoted line.
    let i = doc(H, "\"a\"\n  }");
    err(&i, E104, i.len() - 1);
    let i = doc(H, "\"a\"\n\n\"b\"\n}");
    err(&i, E104, at(&i, "\n\n", content_start(&i)) + 1);
    let i = doc(H, "\"a\"\nb\n}");
    err(&i, E104, at(&i, "\nb\n", 0) + 1);
    // D17: bytes after the closing quote; bytes after the `}`.
    let i = doc(H, "\"a\" \n}");
    err(&i, E104, at(&i, "\" \n", 0) + 1);
    let i = doc(H, "\"a\"b\"\n}");
    err(&i, E104, at(&i, "\"b\"", 0) + 1);
    let i = doc(H, "\"a\"\n}x");
    err(&i, E104, i.len() - 1);
    // R5: LF / EOF inside a quoted line.
    let i = doc(H, "\"ab\n}");
    err(&i, E001, at(&i, "ab\n", 0) + 2);
    let i = doc(H, "\"ab");
    err(&i, E105, i.len());
    let i = doc(H, "\"ab\"");
    err(&i, E105, i.len());
    let i = doc(H, "\"ab\"\n");
    err(&i, E105, i.len());
}

#[test]
fn raw_mode() {
    let i = doc(H, "line 1\n  indented\n\n\"quoted-looking\"\n}\n  }");
    ok(
        &i,
        &[("h", &["t"])],
        "line 1\n  indented\n\n\"quoted-looking\"\n}",
    ); // D13, D18
    assert_eq!(parse(&i).unwrap().content().mode(), ContentMode::Raw);
    ok(&doc(H, "}"), &[("h", &["t"])], ""); // empty block
    ok(&doc(H, "  }"), &[("h", &["t"])], ""); // R10
    ok(&doc(H, "\n}"), &[("h", &["t"])], "");
    ok(&doc(H, "\n\n}"), &[("h", &["t"])], "\n");
    // R8: trailing LF after the final `}` in raw mode or empty block.
    let i = doc(H, "x\n}\n");
    err(&i, E105, i.len());
    let i = doc(H, "}\n");
    err(&i, E105, i.len());
    // D18: trailing spaces after the final `}` → E104 at the first space.
    let i = doc(H, "x\n}  ");
    err(&i, E104, i.len() - 2);
    let i = doc(H, "}  ");
    err(&i, E104, i.len() - 2);
    // D18: anything else on the last line → E105 at EOF.
    let i = doc(H, "x\n}x");
    err(&i, E105, i.len());
    let i = doc(H, "x");
    err(&i, E105, i.len());
    // D22: spaces then EOF.
    let i = doc(H, "   ");
    err(&i, E105, i.len());
}

// §5 Precedence -------------------------------------------------------------

#[test]
fn lowest_offset_wins_and_e001_wins_ties() {
    // A TAB where E201 would also be raised (space-like byte in the id): E001.
    let i = doc("  h\t(\"t\")\n", "}");
    err(&i, E001, at(&i, "\t", 0));
    // An earlier structural error beats a later invalid byte.
    let mut i = b"SCL:V2\n\n".to_vec();
    i.push(0xFF);
    err(&i, E101, 5);
    // A later structural error loses to an earlier invalid byte.
    let mut i = doc(H, "a");
    let at_ff = i.len();
    i.extend_from_slice(b"\xFF\n}  ");
    err(&i, E001, at_ff);
    // A truncated BOM is invalid UTF-8 at 0, where E101 would also apply.
    err(b"\xEF\xBB", E001, 0);
}

#[test]
fn golden_documents() {
    ok(
        b"SCL:V1\n\nhandles {\n  h1(\"test\")\n}\nscl {\n  \"hello world\"\n}",
        &[("h1", &["test"])],
        "hello world",
    );
    ok(
        b"SCL:V1\n\nhandles {\n  id(\"tag1\",\"tag2\")\n}\nscl {\n}",
        &[("id", &["tag1", "tag2"])],
        "",
    );
    ok(
        b"SCL:V1\n\nhandles {\nh1(\"x\")\nh2(\"x\")\n}\nscl {\n}",
        &[("h1", &["x"]), ("h2", &["x"])],
        "",
    );
}

#[test]
fn error_offsets_never_exceed_input_length() {
    // Every prefix of a valid document is invalid with an offset <= its length.
    let full = doc("  a(\"x\",\"y\")\n  b(\"z\")\n", "  \"q\"\n  \"r\"\n}");
    for end in 0..full.len() {
        let e = parse(&full[..end]).expect_err("a strict prefix is never valid");
        assert!(e.offset().get() <= end);
    }
    assert!(parse(&full).is_ok());
}

#[test]
fn line_and_column() {
    let i = doc(H, "\"a\"\n  }");
    let e = parse(&i).unwrap_err();
    let lc = e.line_column(&i);
    assert_eq!((lc.line, lc.column), (8, 3));
    let e = parse(b"").unwrap_err();
    let lc = e.line_column(b"");
    assert_eq!((lc.line, lc.column), (1, 1));
}
