//! The `aiid` binary as a user runs it: exit codes, output formats, stdin.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

/// The repository root, where `examples/` is (the tests run from `cli/`).
fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn read_example(name: &str) -> Vec<u8> {
    std::fs::read(root().join(name)).unwrap()
}

fn aiid(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_aiid"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("aiid runs");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

const GOLDEN_1: &str = "56e66666e6597fe83feed1325b516635831a7b5d2216f7520a569230a7673612";
const GOLDEN_2: &str = "9daf8e086945067515ed8765f8265f991b078d3a4fde708d1f1f66eaa790b5f5";
const GOLDEN_3: &str = "958bade3ea2e1400923ea6dc4c92027d0d0e1dca9047f2380881b02ab3623738";

#[test]
fn hash_prints_sha256sum_lines_in_argument_order() {
    let o = aiid(
        &[
            "hash",
            "examples/test_valid.scl",
            "examples/test_empty_scl.scl",
            "examples/test_multi_handle.scl",
        ],
        b"",
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        format!(
            "{GOLDEN_1}  examples/test_valid.scl\n{GOLDEN_2}  examples/test_empty_scl.scl\n{GOLDEN_3}  examples/test_multi_handle.scl\n"
        )
    );
}

#[test]
fn hash_reads_stdin_for_dash() {
    let input = read_example("examples/test_valid.scl");
    let o = aiid(&["hash", "-"], &input);
    assert_eq!(stdout(&o), format!("{GOLDEN_1}  -\n"));
}

#[test]
fn invalid_document_exits_1_with_compiler_style_error() {
    let o = aiid(
        &["hash", "-"],
        b"SCL:V1\n\nhandles {\n  h1(\"test\")\n}\nscl {\n  \"hello world\"\n}\n",
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "", "no partial output");
    let err = stderr(&o);
    assert!(
        err.starts_with("-:8:2: error[E104]: newline after the final `}`"),
        "{err}"
    );
    assert!(err.contains("hint:"), "{err}");
}

#[test]
fn json_lines_for_valid_invalid_and_unreadable() {
    let o = aiid(
        &[
            "parse",
            "--json",
            "examples/test_valid.scl",
            "-",
            "no-such-file.scl",
        ],
        b"SCL:V1\n\nhandles {\n  h1 (\"x\")\n}\nscl {\n}",
    );
    assert_eq!(o.status.code(), Some(2), "I/O errors dominate");
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["valid"], true);
    assert_eq!(lines[0]["sha256"], GOLDEN_1);
    assert_eq!(lines[1]["valid"], false);
    assert_eq!(lines[1]["code"], "E201");
    assert_eq!(lines[1]["offset"], 22);
    assert_eq!(lines[1]["line"], 4);
    assert_eq!(lines[1]["column"], 5);
    assert!(lines[1]["message"].as_str().unwrap().contains("space"));
    assert_eq!(lines[2]["file"], "no-such-file.scl");
    assert!(lines[2]["message"]
        .as_str()
        .unwrap()
        .contains("no-such-file.scl"));
}

#[test]
fn json_key_order_is_as_documented() {
    let o = aiid(&["hash", "--json", "examples/test_valid.scl"], b"");
    assert_eq!(
        stdout(&o),
        format!(
            "{{\"file\":\"examples/test_valid.scl\",\"valid\":true,\"sha256\":\"{GOLDEN_1}\"}}\n"
        )
    );
}

#[test]
fn directory_and_missing_argument_are_usage_errors() {
    let o = aiid(&["hash", "examples"], b"");
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("examples: is a directory"));
    let o = aiid(&["hash"], b"");
    assert_eq!(o.status.code(), Some(2));
    let o = aiid(&["canon"], b"");
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn canon_writes_canonical_json_and_one_lf() {
    let o = aiid(&["canon", "examples/test_valid.scl"], b"");
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        stdout(&o),
        "{\"handles\":[{\"id\":\"h1\",\"tags\":[\"test\"],\"type\":\"Handle\"}],\"scl\":{\"content\":\"hello world\",\"hints\":[],\"refs\":[],\"type\":\"SclBlock\"},\"type\":\"Document\",\"version\":\"SCL:V1\"}\n"
    );
    let o = aiid(&["canon", "-"], b"SCL:V1\n\n");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "");
}

#[test]
fn parse_reports_valid_files() {
    let o = aiid(&["parse", "examples/run-declaration.scl"], b"");
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), "examples/run-declaration.scl: valid SCL:V1\n");
}

#[test]
fn engine_protocol() {
    let input = read_example("examples/test_valid.scl");
    let o = aiid(&["engine"], &input);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim_end()).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["sha256"], GOLDEN_1);
    let o = aiid(&["engine"], b"");
    assert_eq!(
        stdout(&o),
        "{\"valid\":false,\"code\":\"E101\",\"offset\":0}\n"
    );
}

#[test]
fn many_files_keep_their_order_across_threads() {
    let dir = std::env::temp_dir().join(format!("aiid-cli-order-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut args = vec!["hash".to_string()];
    let mut expected = String::new();
    for i in 0..300 {
        let path = dir.join(format!("{i}.scl"));
        let text = format!("SCL:V1\n\nhandles {{\n  h(\"{i}\")\n}}\nscl {{\n}}");
        std::fs::write(&path, &text).unwrap();
        let hash = aiid::identity(text.as_bytes()).unwrap();
        expected.push_str(&format!("{hash}  {}\n", path.display()));
        args.push(path.display().to_string());
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = aiid(&refs, b"");
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), expected);
}

#[test]
fn closed_stdout_ends_quietly_with_status_0() {
    // `aiid hash` over many files, its reader gone after the first line (as
    // `aiid hash … | head -1` does): no error message, status 0.
    let files: Vec<&str> = std::iter::repeat_n("examples/run-declaration.scl", 20_000).collect();
    for json in [false, true] {
        let mut args = vec!["hash"];
        if json {
            args.push("--json");
        }
        args.extend(&files);
        let mut child = Command::new(env!("CARGO_BIN_EXE_aiid"))
            .args(&args)
            .current_dir(root())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("aiid runs");
        let mut first = [0u8; 64];
        child.stdout.take().unwrap().read_exact(&mut first).unwrap();
        // The read end is dropped here: the next writes fail with EPIPE.
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(0), "json={json}: {}", stderr(&o));
        assert_eq!(stderr(&o), "", "json={json}");
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_aiid"))
        .args(["canon", "examples/run-declaration.scl"])
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("aiid runs");
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn many_files_of_every_kind_keep_their_order_and_answers() {
    // Enough files that workers take them in runs; valid, invalid, missing
    // and directory entries interleaved, each answer checked on its own.
    let dir = std::env::temp_dir().join(format!("aiid-cli-kinds-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    let mut args = vec!["hash".to_string(), "--json".to_string()];
    let mut expected = Vec::new();
    for i in 0..2_000 {
        let path = dir.join(format!("{i}.scl"));
        let name = path.display().to_string();
        match i % 7 {
            3 => {
                let text = format!("SCL:V1\n\nhandles {{\n  h(\"{i}\")\n}}\nscl {{\n\t}}");
                std::fs::write(&path, &text).unwrap();
                let e = aiid::parse(text.as_bytes()).unwrap_err();
                expected.push(serde_json::json!([name, false, e.code().as_str()]));
            }
            5 => expected.push(serde_json::json!([name, null, "io"])),
            6 if i % 2 == 0 => {
                let sub = dir.join("sub").display().to_string();
                expected.push(serde_json::json!([sub, null, "io"]));
                args.push(sub);
                continue;
            }
            _ => {
                let text = format!("SCL:V1\n\nhandles {{\n  h(\"{i}\")\n}}\nscl {{\n{i}\n}}");
                std::fs::write(&path, &text).unwrap();
                let hash = aiid::identity(text.as_bytes()).unwrap().to_string();
                expected.push(serde_json::json!([name, true, hash]));
            }
        }
        args.push(name);
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = aiid(&refs, b"");
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(o.status.code(), Some(2), "unreadable entries give status 2");
    let got: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let third = if v["valid"] == true {
                v["sha256"].clone()
            } else if v["valid"] == false {
                v["code"].clone()
            } else {
                v["error"].clone()
            };
            serde_json::json!([v["file"], v["valid"], third])
        })
        .collect();
    assert_eq!(got, expected);
}

#[cfg(unix)]
#[test]
fn hash_reads_a_fifo_that_delivers_in_pieces() {
    // Short reads are not the end of the input: the answer is the one for
    // the whole document.
    let dir = std::env::temp_dir().join(format!("aiid-cli-fifo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("doc.scl");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let text = read_example("examples/run-declaration.scl");
    let expected = aiid::identity(&text).unwrap();
    let writer = {
        let (fifo, text) = (fifo.clone(), text.clone());
        std::thread::spawn(move || {
            let mut f = std::fs::OpenOptions::new().write(true).open(fifo).unwrap();
            for piece in text.chunks(text.len() / 3 + 1) {
                f.write_all(piece).unwrap();
                f.flush().unwrap();
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
        })
    };
    let o = aiid(&["hash", fifo.to_str().unwrap()], b"");
    writer.join().unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), format!("{expected}  {}\n", fifo.display()));
}
