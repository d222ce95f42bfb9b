//! `aiid hash` and `aiid engine` on inputs larger than the whole-input limit
//! (1 MiB), which go through the streaming engine and the two-thread
//! pipeline: same identity, same error (code, offset, line, column) as the
//! in-memory parser, from a file and from standard input.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn aiid(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_aiid"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("aiid runs");
    let mut input = child.stdin.take().expect("stdin");
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        // The child may stop reading early after an error; ignore EPIPE.
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().expect("aiid ends");
    writer.join().expect("writer");
    out
}

/// A temporary file removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, bytes: &[u8]) -> Self {
        let path = std::env::temp_dir().join(format!("aiid-{}-{name}", std::process::id()));
        std::fs::write(&path, bytes).expect("temp file");
        TempFile(path)
    }
    fn arg(&self) -> &str {
        self.0.to_str().expect("utf-8 path")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A valid raw-mode document of about `size` bytes, with every escape kind.
fn large_document(size: usize) -> Vec<u8> {
    let mut doc =
        b"SCL:V1\n\nhandles {\n  model(\"m\",\"t=0\")\n  h2(\"\\\\\")\n}\nscl {\n".to_vec();
    let line = "Quote \"figures\" \\ exactly; Ünïcødé 😀 and a NUL \u{0} here\n";
    while doc.len() < size {
        doc.extend_from_slice(line.as_bytes());
    }
    doc.extend_from_slice(b"}");
    doc
}

#[test]
fn large_valid_document_from_file_and_stdin() {
    let doc = large_document(3 << 20);
    let expected = aiid::identity(&doc).expect("valid").to_string();
    let file = TempFile::new("large-valid.scl", &doc);
    let o = aiid(&["hash", file.arg()], b"");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        format!("{expected}  {}\n", file.arg())
    );
    let o = aiid(&["hash", "-"], &doc);
    assert!(o.status.success());
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        format!("{expected}  -\n")
    );
}

#[test]
fn large_invalid_document_reports_the_parser_error_and_position() {
    let mut doc = large_document(3 << 20);
    let bad = (2 << 20) + 17;
    doc[bad] = 0xff;
    let want = aiid::parse(&doc).expect_err("invalid");
    let at = want.line_column(&doc);
    let file = TempFile::new("large-invalid.scl", &doc);
    let o = aiid(&["hash", "--json", file.arg()], b"");
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON line");
    assert_eq!(v["code"], want.code().as_str());
    assert_eq!(v["offset"], want.offset().get());
    assert_eq!(v["line"], at.line);
    assert_eq!(v["column"], at.column);
    let o = aiid(&["hash", "-"], &doc);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.starts_with(&format!("-:{}:{}: error[E001]: ", at.line, at.column)),
        "{err}"
    );
    assert!(o.stdout.is_empty(), "no hash for an invalid input");
}

#[test]
fn engine_streams_large_input_with_the_same_answer() {
    let doc = large_document(2 << 20);
    let o = aiid(&["engine"], &doc);
    assert!(o.status.success());
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim_end(),
        aiid::engine::respond(&doc)
    );
    // An early error: the rest of the input is still read (no broken pipe
    // for the writer), and the answer is the parser's.
    let mut bad = doc.clone();
    bad[100] = b'\r';
    let o = aiid(&["engine"], &bad);
    assert!(o.status.success());
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim_end(),
        aiid::engine::respond(&bad)
    );
}
