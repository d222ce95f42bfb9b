//! `aiid declare` and `aiid attest …` end to end, as subprocesses.

mod support;

use std::path::Path;

use support::{aiid, stderr as err, stdout as out, Dir, AIID};

const NOW: &str = "1764626400";

#[test]
fn declare_is_independent_of_flag_order_and_matches_from_json() {
    let d = Dir::new("order");
    let ctx1 = d.write("report.pdf", b"%PDF pretend report");
    let ctx2 = d.write("notes.txt", b"meeting notes");
    let prompt = d.write("prompt.txt", b"Summarise the attached report.\r\n");
    let a = aiid(&[
        "declare",
        "--model",
        "anthropic:claude-sonnet-4:2025-05-14",
        "--param",
        "temperature=0",
        "--param",
        "max_tokens=2048",
        "--context",
        &ctx1,
        "--context",
        &ctx2,
        "--constraint",
        "network:deny",
        "--constraint",
        "pii:redact",
        "--tool",
        "search",
        "--agent",
        "aii_HMB77VQ527B5Z062CNE31D",
        "--prompt-file",
        &prompt,
    ]);
    assert!(a.status.success(), "{}", err(&a));
    let b = aiid(&[
        "declare",
        "--prompt",
        "Summarise the attached report.",
        "--agent",
        "aii_HMB77VQ527B5Z062CNE31D",
        "--tool",
        "search",
        "--constraint",
        "pii:redact",
        "--context",
        &ctx2,
        "--param",
        "MAX_TOKENS=+2048",
        "--constraint",
        "network:deny",
        "--context",
        &ctx1,
        "--param",
        "temperature=0.0",
        "--model",
        "Anthropic:claude-sonnet-4:2025-05-14",
    ]);
    assert!(b.status.success(), "{}", err(&b));
    assert_eq!(a.stdout, b.stdout, "same declared execution, same bytes");
    let text = out(&a);
    assert!(
        text.starts_with("SCL:V1\n\nhandles {\n  vocabulary(\"aiid-run/1\")\n"),
        "{text}"
    );
    assert!(
        !text.contains("pretend report"),
        "context is hashed, not embedded"
    );
    assert!(
        text.contains(&format!("sha256:{}", sha256_hex(b"%PDF pretend report"))),
        "{text}"
    );
    // The same from JSON (relative paths against the JSON file's directory).
    let json = d.write(
        "decl.json",
        br#"{"model":"anthropic:claude-sonnet-4:2025-05-14","params":{"temperature":0,"max_tokens":2048},
            "context":["notes.txt","report.pdf"],"constraints":["pii:redact","network:deny"],
            "tools":["search"],"agent":"aii_HMB77VQ527B5Z062CNE31D","prompt_file":"prompt.txt"}"#,
    );
    let c = aiid(&["declare", "--from", &json, "-o", &d.p("run.scl")]);
    assert!(c.status.success(), "{}", err(&c));
    assert!(c.stdout.is_empty());
    assert_eq!(std::fs::read(d.p("run.scl")).unwrap(), a.stdout);
    // And it is a valid document: aiid hash agrees with the library.
    let h = aiid(&["hash", &d.p("run.scl")]);
    assert!(h.status.success());
    assert_eq!(
        out(&h).split_whitespace().next().unwrap(),
        aiid::identity(&a.stdout).unwrap().to_string()
    );
}

fn sha256_hex(b: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

#[test]
fn declare_bad_input_exits_2_and_writes_nothing() {
    let d = Dir::new("bad");
    let existing = d.write("keep.scl", b"old contents");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                "--param".into(),
                "temperature".into(),
                "--prompt".into(),
                "x".into(),
            ],
            "parameter \"temperature\": expected KEY=VALUE",
        ),
        (
            vec![
                "--context".into(),
                d.p("missing.pdf"),
                "--prompt".into(),
                "x".into(),
            ],
            "context file",
        ),
        (
            vec!["--prompt".into(), "\"starts with a quote".into()],
            "cannot be represented",
        ),
        (
            vec!["--prompt".into(), "tab\there".into()],
            "cannot be represented",
        ),
        (
            vec![
                "--agent".into(),
                "bob".into(),
                "--prompt".into(),
                "x".into(),
            ],
            "agent \"bob\"",
        ),
        (vec![], "--prompt TEXT or --prompt-file FILE"),
    ];
    for (extra, want) in cases {
        for out_file in [d.p("new.scl"), existing.clone()] {
            let mut args = vec![
                "declare".to_owned(),
                "--model".into(),
                "openai:gpt-4o".into(),
            ];
            args.extend(extra.iter().cloned());
            args.extend(["-o".into(), out_file.clone()]);
            let argv: Vec<&str> = args.iter().map(String::as_str).collect();
            let o = aiid(&argv);
            assert_eq!(o.status.code(), Some(2), "{args:?}");
            assert!(err(&o).contains(want), "{args:?}: {}", err(&o));
            assert!(o.stdout.is_empty());
        }
        assert!(!Path::new(&d.p("new.scl")).exists(), "no partial output");
        assert_eq!(std::fs::read(&existing).unwrap(), b"old contents");
    }
    let o = aiid(&["declare", "--model", "gpt-4o", "--prompt", "x"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("model \"gpt-4o\""), "{}", err(&o));
    let bad_json = d.write("bad.json", br#"{"model":"a:b","prompt":"x","prompt":"y"}"#);
    let o = aiid(&["declare", "--from", &bad_json]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("duplicate member \"prompt\""),
        "{}",
        err(&o)
    );
    assert_eq!(
        std::fs::read_dir(&d.0).unwrap().count(),
        2,
        "only the inputs remain"
    );
}

#[test]
fn keygen_sign_verify_with_and_without_passport() {
    let d = Dir::new("flow");
    let id = "aii_HMB77VQ527B5Z062CNE31D";
    let o = aiid(&[
        "declare",
        "--model",
        "openai:gpt-4o",
        "--param",
        "seed=1",
        "--prompt",
        "Hello",
        "-o",
        &d.p("run.scl"),
    ]);
    assert!(o.status.success(), "{}", err(&o));
    let o = aiid(&[
        "declare",
        "--model",
        "openai:gpt-4o",
        "--param",
        "seed=2",
        "--prompt",
        "Hello",
        "-o",
        &d.p("other.scl"),
    ]);
    assert!(o.status.success());
    let o = aiid(&[
        "attest",
        "keygen",
        "--identity",
        id,
        "--kid",
        "agent-1",
        "--private-key",
        &d.p("agent.pem"),
        "--jwks",
        &d.p("agent.jwks"),
    ]);
    assert!(o.status.success(), "{}", err(&o));
    let jwks: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.p("agent.jwks")).unwrap()).unwrap();
    assert_eq!(jwks["identity"], id);

    let o = aiid(&[
        "attest",
        "sign",
        "--private-key",
        &d.p("agent.pem"),
        "--kid",
        "agent-1",
        "--identity",
        id,
        "--now",
        NOW,
        &d.p("run.scl"),
    ]);
    assert!(o.status.success(), "{}", err(&o));
    let env = d.write("env.json", &o.stdout);
    let e: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(e["payloadType"], "application/vnd.in-toto+json");
    assert_eq!(e["signatures"][0]["keyid"], "agent-1");

    let o = aiid(&[
        "attest",
        "verify",
        "--agent-jwks",
        &d.p("agent.jwks"),
        &d.p("run.scl"),
        &env,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    let doc_hash = aiid::identity(&std::fs::read(d.p("run.scl")).unwrap())
        .unwrap()
        .to_string();
    assert!(
        out(&o).contains(&format!("valid: {id} declared run {doc_hash}")),
        "{}",
        out(&o)
    );
    assert!(
        out(&o).contains("declared at: 2025-12-01T22:00:00Z"),
        "{}",
        out(&o)
    );

    let o = aiid(&[
        "attest",
        "verify",
        "--json",
        "--agent-jwks",
        &d.p("agent.jwks"),
        &d.p("other.scl"),
        &env,
    ]);
    assert_eq!(o.status.code(), Some(1));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["error"], "subject_mismatch");

    // Revocation list naming the agent key.
    let rev = d.write(
        "rev.json",
        br#"{"generated_at":1764626000,"keys":["agent-1"]}"#,
    );
    let o = aiid(&[
        "attest",
        "verify",
        "--json",
        "--revocations",
        &rev,
        "--agent-jwks",
        &d.p("agent.jwks"),
        &d.p("run.scl"),
        &env,
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(out(&o).contains("\"error\":\"revoked\""), "{}", out(&o));

    // Usage errors: exit 2.
    let o = aiid(&[
        "attest",
        "verify",
        "--agent-jwks",
        &d.p("nope.jwks"),
        &d.p("run.scl"),
        &env,
    ]);
    assert_eq!(o.status.code(), Some(2));
    let o = aiid(&[
        "attest",
        "verify",
        "--agent-jwks",
        &d.p("agent.jwks"),
        &d.p("agent.pem"),
        &env,
    ]);
    assert_eq!(o.status.code(), Some(2), "a declaration that is not SCL:V1");

    // With a passport from an issuer.
    let o = aiid(&[
        "passport",
        "keygen",
        "--kid",
        "k_2025",
        "--private-key",
        &d.p("issuer.pem"),
        "--jwks",
        &d.p("issuer.jwks"),
    ]);
    assert!(o.status.success(), "{}", err(&o));
    let o = aiid(&[
        "passport",
        "issue",
        "--private-key",
        &d.p("issuer.pem"),
        "--kid",
        "k_2025",
        "--iss",
        "https://aiidentity.org",
        "--sub",
        id,
        "--aud",
        "verifier",
        "--tier",
        "business_verified",
        "--operator",
        "Acme Corp Ltd.",
        "--ttl",
        "3600",
        "--now",
        NOW,
    ]);
    assert!(o.status.success(), "{}", err(&o));
    let pp = d.write("passport.jwt", &o.stdout);
    let o = aiid(&[
        "attest",
        "sign",
        "--private-key",
        &d.p("agent.pem"),
        "--kid",
        "agent-1",
        "--identity",
        id,
        "--passport",
        &pp,
        "--now",
        NOW,
        &d.p("run.scl"),
    ]);
    assert!(o.status.success(), "{}", err(&o));
    let env2 = d.write("env2.json", &o.stdout);
    let verify = |extra: &[&str]| {
        let mut args = vec![
            "attest",
            "verify",
            "--json",
            "--now",
            "1764626500",
            "--agent-jwks",
        ];
        let jw = d.p("agent.jwks");
        let run = d.p("run.scl");
        args.push(&jw);
        args.extend_from_slice(extra);
        args.push(&run);
        args.push(&env2);
        aiid(&args)
    };
    let ij = d.p("issuer.jwks");
    let o = verify(&[
        "--issuer-jwks",
        &ij,
        "--iss",
        "https://aiidentity.org",
        "--aud",
        "verifier",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["tier"], "business_verified");
    assert_eq!(r["identity"], id);
    let o = verify(&[
        "--issuer-jwks",
        &ij,
        "--iss",
        "https://aiidentity.org",
        "--aud",
        "someone-else",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (r["error"].as_str(), r["passport_error"].as_str()),
        (Some("passport_invalid"), Some("wrong_audience"))
    );
    let o = verify(&[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(out(&o).contains("passport_not_checkable"));
    // Signing refuses a passport of another identity.
    let o = aiid(&[
        "attest",
        "sign",
        "--private-key",
        &d.p("agent.pem"),
        "--kid",
        "agent-1",
        "--identity",
        "aii_OTHER1",
        "--passport",
        &pp,
        &d.p("run.scl"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("the passport is for"), "{}", err(&o));
}

#[test]
fn attest_engine_passes_every_vector_through_the_subprocess_protocol() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../spec/vectors/attestation.json"
    );
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cmd = [AIID.to_owned(), "attest".into(), "engine".into()];
    let outcomes = attest::conformance::run_vectors(&file, Some(&cmd)).unwrap();
    let failed: Vec<_> = outcomes
        .iter()
        .filter_map(|o| o.failure.as_ref().map(|f| format!("{}: {f}", o.id)))
        .collect();
    assert!(failed.is_empty(), "{failed:#?}");
    assert!(outcomes.len() >= 30);
}
