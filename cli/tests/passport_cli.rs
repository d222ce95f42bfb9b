//! `aiid passport …` end to end: the conformance vectors through the
//! subprocess protocol, and keygen → issue → verify → inspect with exit codes.

mod support;

use std::process::{Command, Stdio};

use support::{aiid, stdout, AIID};

#[test]
fn passport_engine_passes_every_vector_through_the_subprocess_protocol() {
    let file = conformance::PassportVectorFile::shipped().unwrap();
    let engine = conformance::Subprocess::new(format!("'{AIID}' passport engine"))
        .timeout(std::time::Duration::from_secs(30));
    let outcomes = file.run(&conformance::Selection::default(), 4, &engine);
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
    // RFC 8410 PKCS#8 v1, as `openssl genpkey -algorithm ed25519` writes it;
    // openssl, when present, reads it and derives the JWKS public key.
    let pem_text = std::fs::read_to_string(&pem).unwrap();
    assert!(
        pem_text.starts_with("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI"),
        "{pem_text}"
    );
    let set: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&jwks).unwrap()).unwrap();
    let der = Command::new("openssl")
        .args(["pkey", "-in", pem_s, "-pubout", "-outform", "DER"])
        .output();
    match der {
        Ok(o) => {
            assert!(o.status.success(), "openssl refused the key: {o:?}");
            assert_eq!(o.stdout.len(), 44);
            assert_eq!(
                passport::b64url_encode(&o.stdout[12..]),
                set["keys"][0]["x"].as_str().unwrap()
            );
        }
        Err(e) => eprintln!("SKIP: openssl is not available ({e})"),
    }
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

#[test]
fn issue_reads_pkcs8_v2_keys_and_refuses_a_mismatched_public_key() {
    // What keygen wrote before (v2, public key attached), seed [7; 32].
    const V2: &str = "-----BEGIN PRIVATE KEY-----\nMFECAQEwBQYDK2VwBCIEIAcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcH\ngSEA6kpsY+KcUgq+9VB7Ey7F+ZVHdq6+vnuSQh7qaRRG0iw=\n-----END PRIVATE KEY-----\n";
    let dir = std::env::temp_dir().join(format!("aiid-passport-v2-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let issue = |pem: &str| {
        let path = dir.join("k.pem");
        std::fs::write(&path, pem).unwrap();
        aiid(&[
            "passport",
            "issue",
            "--private-key",
            path.to_str().unwrap(),
            "--kid",
            "k_2024",
            "--iss",
            "https://aiidentity.org",
            "--sub",
            "aii_demo",
            "--aud",
            "verifier",
            "--tier",
            "issued",
            "--operator",
            "anon",
            "--ttl",
            "600",
            "--now",
            "1714694400",
        ])
    };
    let o = issue(V2);
    assert!(o.status.success(), "{o:?}");
    let token = stdout(&o).trim().to_owned();
    let mut jwks = passport::Jwks::new();
    let key = passport::signing_key_from_seed(&[7; 32]).unwrap();
    jwks.push(passport::Jwk::new(
        passport::KeyId::new("k_2024").unwrap(),
        key.verifying_key(),
    ))
    .unwrap();
    let v = passport::Verifier::new(
        passport::Policy::new("https://aiidentity.org", "verifier"),
        jwks,
    )
    .with_clock(passport::FixedClock(1_714_694_400));
    assert_eq!(v.verify(&token).unwrap().claims.sub.as_str(), "aii_demo");

    // The attached public key is not the private key's: a clear refusal.
    let o = issue(&V2.replace("0iw=", "0iA="));
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("public key"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
