//! `aiid passport …` end to end: the conformance vectors through the
//! subprocess protocol, and keygen → issue → verify → inspect with exit codes.

use std::process::{Command, Output, Stdio};

const AIID: &str = env!("CARGO_BIN_EXE_aiid");

fn aiid(args: &[&str]) -> Output {
    Command::new(AIID)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run aiid")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn passport_engine_passes_every_vector_through_the_subprocess_protocol() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/vectors/passport.json");
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cmd = [AIID.to_owned(), "passport".into(), "engine".into()];
    let outcomes = passport::conformance::run_vectors(&file, &cmd).unwrap();
    assert!(outcomes.len() >= 80);
    let failed: Vec<_> = outcomes
        .iter()
        .filter_map(|o| o.failure.as_ref().map(|f| format!("{}: {f}", o.id)))
        .collect();
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

#[test]
fn keygen_issue_verify_inspect() {
    let dir = std::env::temp_dir().join(format!("aiid-passport-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let pem = dir.join("k.pem");
    let jwks = dir.join("jwks.json");
    let (pem_s, jwks_s) = (pem.to_str().unwrap(), jwks.to_str().unwrap());

    let o = aiid(&[
        "passport",
        "keygen",
        "--kid",
        "k_1",
        "--private-key",
        pem_s,
        "--jwks",
        jwks_s,
    ]);
    assert!(o.status.success(), "{o:?}");
    // Refuses to overwrite a private key.
    let o = aiid(&[
        "passport",
        "keygen",
        "--kid",
        "k_2",
        "--private-key",
        pem_s,
        "--jwks",
        jwks_s,
    ]);
    assert_eq!(o.status.code(), Some(2));

    let now = "1714694400";
    let o = aiid(&[
        "passport",
        "issue",
        "--private-key",
        pem_s,
        "--kid",
        "k_1",
        "--iss",
        "https://aiidentity.org",
        "--sub",
        "aii_demo",
        "--aud",
        "verifier",
        "--tier",
        "identity_verified",
        "--operator",
        "anon",
        "--surface",
        "telegram:@bot",
        "--surface",
        "mcp:tools.example.com",
        "--capability",
        "customer-support",
        "--ttl",
        "600",
        "--now",
        now,
    ]);
    assert!(o.status.success(), "{o:?}");
    let token = stdout(&o).trim().to_owned();
    assert_eq!(token.split('.').count(), 3);

    let verify = |extra: &[&str], tok: &str| {
        let mut a = vec![
            "passport",
            "verify",
            "--jwks",
            jwks_s,
            "--iss",
            "https://aiidentity.org",
            "--aud",
            "verifier",
            "--json",
        ];
        a.extend_from_slice(extra);
        a.push(tok);
        aiid(&a)
    };
    let o = verify(&["--now", now], &token);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["claims"]["surfaces"][1], "mcp:tools.example.com");
    assert_eq!(
        v["claims"]["registry_url"],
        "https://aiidentity.org/whois/aii_demo"
    );
    assert_eq!(v["claims"]["exp"], 1_714_695_000);

    let o = verify(&["--now", "1714695060"], &token);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(
        (v["valid"].as_bool(), v["error"].as_str()),
        (Some(false), Some("expired"))
    );

    let o = verify(&["--now", now, "--min-tier", "business_verified"], &token);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("tier_too_low"));

    // alg "none", hand-assembled.
    let parts: Vec<&str> = token.split('.').collect();
    let none = format!(
        "eyJhbGciOiJub25lIiwia2lkIjoia18xIn0.{}.{}",
        parts[1], parts[2]
    );
    let o = verify(&["--now", now], &none);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("unsupported_algorithm"));

    // Token from standard input, text output.
    let mut child = Command::new(AIID)
        .args([
            "passport",
            "verify",
            "--jwks",
            jwks_s,
            "--iss",
            "https://aiidentity.org",
            "--aud",
            "verifier",
            "--now",
            now,
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{token}\n").as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).starts_with("valid: aii_demo"));

    // Usage errors: missing JWKS file, bad tier.
    let o = aiid(&[
        "passport",
        "verify",
        "--jwks",
        "/nonexistent",
        "--iss",
        "x",
        "--aud",
        "y",
        &token,
    ]);
    assert_eq!(o.status.code(), Some(2));
    let o = verify(&["--min-tier", "gold"], &token);
    assert_eq!(o.status.code(), Some(2));

    // inspect says loudly that nothing was verified.
    let o = aiid(&["passport", "inspect", &none]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("UNVERIFIED"));
    assert!(String::from_utf8_lossy(&o.stderr).contains("UNVERIFIED"));

    let _ = std::fs::remove_dir_all(&dir);
}
