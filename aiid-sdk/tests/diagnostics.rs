//! Snapshots of the human error output for the frequent mistakes, and of a
//! few structural errors. Review changes with `cargo insta review`.

fn render(input: &[u8]) -> String {
    let err = aiid_sdk::parse(input).expect_err("the input is invalid");
    err.render("run.scl", input)
}

const GOOD: &str =
    "SCL:V1\n\nhandles {\n  model(\"gpt\",\"t=0\")\n}\nscl {\n  \"Summarise the report.\"\n}";

#[test]
fn trailing_newline_quoted_mode() {
    insta::assert_snapshot!(render(format!("{GOOD}\n").as_bytes()));
}

#[test]
fn trailing_newline_raw_mode() {
    insta::assert_snapshot!(render(
        b"SCL:V1\n\nhandles {\n  model(\"gpt\")\n}\nscl {\nSummarise the report.\n}\n"
    ));
}

#[test]
fn crlf_line_endings() {
    insta::assert_snapshot!(render(GOOD.replace('\n', "\r\n").as_bytes()));
}

#[test]
fn tab_indentation() {
    insta::assert_snapshot!(render(GOOD.replace("  model", "\tmodel").as_bytes()));
}

#[test]
fn byte_order_mark() {
    insta::assert_snapshot!(render(format!("\u{feff}{GOOD}").as_bytes()));
}

#[test]
fn extra_blank_line_after_header() {
    insta::assert_snapshot!(render(GOOD.replacen("\n\n", "\n\n\n", 1).as_bytes()));
}

#[test]
fn blank_line_before_scl_block() {
    insta::assert_snapshot!(render(GOOD.replace("}\nscl", "}\n\nscl").as_bytes()));
}

#[test]
fn space_before_paren() {
    insta::assert_snapshot!(render(GOOD.replace("model(", "model (").as_bytes()));
}

#[test]
fn space_after_comma() {
    insta::assert_snapshot!(render(GOOD.replace(",\"t=0\"", ", \"t=0\"").as_bytes()));
}

#[test]
fn indented_quoted_terminator() {
    insta::assert_snapshot!(render(GOOD.replace("\"\n}", "\"\n  }").as_bytes()));
}

#[test]
fn invalid_utf8_is_shown_escaped() {
    let mut input = GOOD.as_bytes().to_vec();
    let at = GOOD.find("report").unwrap();
    input[at] = 0xFF;
    insta::assert_snapshot!(render(&input));
}

#[test]
fn end_of_input_inside_handles() {
    insta::assert_snapshot!(render(b"SCL:V1\n\nhandles {\n  model(\"gpt\""));
}
