//! DSSE interop with Python securesystemslib, both directions. Skips (with a
//! message) when `python3` cannot import `securesystemslib` and
//! `cryptography` (`.ci/run` installs them when it can).

use aiid_attest::statement::{DeclaredAt, Statement};
use aiid_attest::{AgentKeys, AgentSigner, RunDeclaration, Verifier};
use passport::{FixedClock, IdentityId, Jwks, KeyId};
use std::path::{Path, PathBuf};
use std::process::Command;

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/securesystemslib_interop.py"
);
const SEED: [u8; 32] = *b"interop-test-agent-key-000000001";
const NOW: i64 = 1_764_626_400;

fn python_ready() -> bool {
    let ok = Command::new("python3")
        .args([
            "-c",
            "import securesystemslib.dsse, securesystemslib.signer, cryptography",
        ])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        println!("SKIPPED: python3 with securesystemslib and cryptography is not available (pip install securesystemslib)");
    }
    ok
}

fn tmp(test: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("aiid-attest-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn setup() -> (AgentSigner, Vec<u8>, Verifier) {
    let identity = IdentityId::new("aii_HMB77VQ527B5Z062CNE31D").unwrap();
    let key = passport::signing_key_from_seed(&SEED).unwrap();
    let signer = AgentSigner::new(key, KeyId::new("agent-1").unwrap(), identity.clone());
    let decl = RunDeclaration::new("anthropic:claude-sonnet-4")
        .unwrap()
        .param("temperature=0")
        .unwrap()
        .prompt("Summarise the attached report.")
        .unwrap()
        .to_scl()
        .unwrap();
    let mut keys = Jwks::new();
    keys.push(signer.jwk()).unwrap();
    let verifier = Verifier::new(AgentKeys { identity, keys }).with_clock(FixedClock(NOW + 10));
    (signer, decl, verifier)
}

fn py_verify(envelope: &str, public_hex: &str, keyid: &str) -> (bool, String) {
    let path = tmp("verify", &format!("env-{}.json", envelope.len()));
    std::fs::write(&path, envelope).unwrap();
    let out = Command::new("python3")
        .args([SCRIPT, "verify", path.to_str().unwrap(), public_hex, keyid])
        .output()
        .expect("python3");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[test]
fn securesystemslib_verifies_our_envelopes() {
    if !python_ready() {
        return;
    }
    let (signer, decl, _) = setup();
    let env = signer.attest(&decl, NOW, None).unwrap();
    let public = hex(signer.jwk().key.as_bytes());
    let (ok, text) = py_verify(&env.to_json(), &public, "agent-1");
    assert!(ok, "securesystemslib rejected our envelope: {text}");
    let doc_hash = scl_hash::identity(&decl).unwrap().to_string();
    assert!(text.contains(&doc_hash), "{text}");
    assert!(text.contains(aiid_attest::PREDICATE_TYPE), "{text}");
    // The in-toto project's Statement v1 bindings accept the payload too
    // (checked when the in-toto-attestation package is installed).
    let in_toto = Command::new("python3")
        .args(["-c", "import in_toto_attestation.v1.statement"])
        .output()
        .is_ok_and(|o| o.status.success());
    if in_toto {
        assert!(
            text.contains(r#""in_toto_attestation": "validated""#),
            "{text}"
        );
    } else {
        println!("in-toto-attestation not installed: Statement schema check skipped");
    }

    // The same check fails for a tampered payload and for another key.
    let mut tampered = env.clone();
    tampered.payload[10] ^= 1;
    let (ok, text) = py_verify(&tampered.to_json(), &public, "agent-1");
    assert!(!ok, "tampered envelope accepted: {text}");
    let other = passport::signing_key_from_seed(&[9; 32]).unwrap();
    let (ok, text) = py_verify(
        &env.to_json(),
        &hex(other.verifying_key().as_bytes()),
        "agent-1",
    );
    assert!(!ok, "envelope accepted under another key: {text}");
    let _ = std::fs::remove_dir_all(tmp("verify", "x").parent().unwrap());
}

#[test]
fn we_verify_envelopes_signed_by_securesystemslib() {
    if !python_ready() {
        return;
    }
    let (signer, decl, verifier) = setup();
    let doc_hash = scl_hash::identity(&decl).unwrap();
    let statement = Statement {
        doc_hash,
        identity: signer.identity().clone(),
        declared_at: DeclaredAt::from_unix(NOW).unwrap(),
        passport: None,
    };
    let payload = tmp("sign", "payload.json");
    std::fs::write(&payload, statement.to_payload()).unwrap();
    let out = Command::new("python3")
        .args([
            SCRIPT,
            "sign",
            &hex(&SEED),
            "agent-1",
            payload.to_str().unwrap(),
        ])
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let envelope = String::from_utf8(out.stdout).unwrap();
    let ok = verifier
        .verify(&decl, envelope.trim().as_bytes())
        .unwrap_or_else(|e| panic!("{}: {e}\n{envelope}", e.code()));
    assert_eq!(ok.agent_kid.as_str(), "agent-1");
    assert_eq!(ok.statement.doc_hash, doc_hash);
    // securesystemslib's envelope for the same payload is byte-identical to
    // ours modulo JSON layout: Ed25519 is deterministic.
    let ours = signer.sign_statement(&statement);
    let theirs = aiid_attest::Envelope::from_json(envelope.trim().as_bytes()).unwrap();
    assert_eq!(ours, theirs);

    // A securesystemslib envelope over another declaration is refused.
    let other = RunDeclaration::new("openai:gpt-4o")
        .unwrap()
        .prompt("x")
        .unwrap()
        .to_scl()
        .unwrap();
    assert_eq!(
        verifier
            .verify(&other, envelope.trim().as_bytes())
            .unwrap_err()
            .code(),
        "subject_mismatch"
    );
    let _ = std::fs::remove_dir_all(Path::new(&payload).parent().unwrap());
}
