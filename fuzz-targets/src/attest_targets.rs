//! Fuzz target for the `aiid-attest` crate: DSSE envelope parsing and run
//! attestation verification.
//!
//! The verifier under test is configured exactly like the defaults of
//! `spec/vectors/attestation.json` (agent keys `agent-1`/`agent-2` of
//! identity `aii_HMB77VQ527B5Z062CNE31D`, issuer key `k_2024`, the fixed
//! clock) and holds the vectors' `main` declaration, so the vector envelopes
//! used as seeds reach every check.

use attest::dsse::Envelope;
use attest::statement::Statement;
use attest::{AgentKeys, Verifier};
use passport::{FixedClock, IdentityId, Jwk, Jwks, KeyId, Policy};

const NOW: i64 = 1_714_694_400;
const AGENT: &str = "aii_HMB77VQ527B5Z062CNE31D";
const AGENT_KEYS: [(&str, &[u8; 32]); 2] = [
    ("agent-1", b"attest-vectors-agent-key-0000001"),
    ("agent-2", b"attest-vectors-agent-key-0000002"),
];

struct Fixture {
    verifier: Verifier,
    declaration: Vec<u8>,
    keys: Jwks,
}

fn fixture() -> &'static Fixture {
    static F: std::sync::OnceLock<Fixture> = std::sync::OnceLock::new();
    F.get_or_init(|| {
        let mut keys = Jwks::new();
        for (kid, seed) in AGENT_KEYS {
            let key = passport::signing_key_from_seed(seed).expect("seed");
            keys.push(Jwk::new(KeyId::new(kid).expect("kid"), key.verifying_key()))
                .expect("distinct kids");
        }
        let issuer =
            passport::signing_key_from_seed(b"passport-vectors-issuer-key-2024").expect("seed");
        let mut issuer_jwks = Jwks::new();
        issuer_jwks
            .push(Jwk::new(
                KeyId::new("k_2024").expect("kid"),
                issuer.verifying_key(),
            ))
            .expect("push");
        let identity = IdentityId::new(AGENT).expect("identity");
        let verifier = Verifier::new(AgentKeys {
            identity,
            keys: keys.clone(),
        })
        .with_clock(FixedClock(NOW))
        .with_issuer(
            Policy::new("https://aiidentity.org", "verifier").with_leeway(60),
            issuer_jwks,
        );
        // The `main` declaration of the vectors (same builder calls as the generator).
        let declaration = attest::RunDeclaration::new("anthropic:claude-sonnet-4:2025-05-14")
            .and_then(|d| d.param("temperature=0"))
            .and_then(|d| d.param("max_tokens=2048"))
            .and_then(|d| d.constraint("network:deny"))
            .and_then(|d| d.tool("search"))
            .and_then(|d| d.agent(AGENT))
            .map(|d| d.context_bytes(b"quarterly report, page 1"))
            .and_then(|d| d.prompt("Summarise the attached report in at most 300 words."))
            .and_then(|d| d.to_scl())
            .expect("main declaration");
        Fixture {
            verifier,
            declaration,
            keys,
        }
    })
}

/// Fuzz target `attest_verify`: the input is an envelope's JSON text.
///
/// Properties (a panic reports a violation):
/// * parsing and verification never panic, whatever the bytes;
/// * a parsed envelope re-serializes to text that parses to the same envelope;
/// * a parsed statement re-serializes to a payload that parses to the same statement;
/// * an accepted attestation names the held declaration's identity and the
///   identity of the agent keys; its signature verifies, under the key it
///   names, over the PAE recomputed here; and the re-serialized envelope is
///   accepted with the same result.
pub fn attest_verify(data: &[u8]) {
    let f = fixture();
    if let Ok(env) = Envelope::from_json(data) {
        let again = Envelope::from_json(env.to_json().as_bytes()).expect("own envelope re-parses");
        assert_eq!(again, env, "envelope round trip");
        if let Ok(st) = Statement::from_payload(&env.payload) {
            let back = Statement::from_payload(&st.to_payload()).expect("own statement re-parses");
            assert_eq!(back, st, "statement round trip");
        }
    }
    let Ok(ok) = f.verifier.verify(&f.declaration, data) else {
        return;
    };
    let expected = scl_hash::identity(&f.declaration).expect("valid declaration");
    assert_eq!(ok.statement.doc_hash, expected, "accepted another subject");
    assert_eq!(
        ok.statement.identity.as_str(),
        AGENT,
        "accepted another identity"
    );
    let key = f
        .keys
        .get(ok.agent_kid.as_str())
        .expect("the verifying kid is an agent key");
    let env = Envelope::from_json(data).expect("accepted envelope parses");
    let pae = attest::dsse::pae(&env.payload_type, &env.payload);
    let verified = env.signatures.iter().any(|s| {
        <[u8; 64]>::try_from(s.sig.as_slice()).is_ok_and(|b| {
            key.key
                .verify_strict(&pae, &ed25519_dalek::Signature::from_bytes(&b))
                .is_ok()
        })
    });
    assert!(verified, "no signature verifies independently");
    let again = f
        .verifier
        .verify(&f.declaration, env.to_json().as_bytes())
        .expect("re-serialized envelope verifies");
    assert_eq!(again, ok, "re-serialized envelope gives another result");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fixture matches the vectors' defaults, so seeds reach the
    /// properties behind acceptance (not only the rejection paths).
    #[test]
    fn fixture_accepts_the_valid_vectors() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../spec/vectors/attestation.json"
        );
        let file: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("vectors")).expect("json");
        let f = fixture();
        let mut accepted = 0;
        for v in file["vectors"].as_array().expect("vectors") {
            let default_setup = v.get("declaration").is_none()
                && v.get("issuer").is_none()
                && v.get("revocations").is_none();
            if !default_setup {
                continue;
            }
            let env = v["envelope"].as_str().expect("envelope");
            let want = v["expect"]["valid"].as_bool().expect("valid");
            assert_eq!(
                f.verifier.verify(&f.declaration, env.as_bytes()).is_ok(),
                want,
                "{}",
                v["id"]
            );
            attest_verify(env.as_bytes());
            accepted += usize::from(want);
        }
        assert!(accepted >= 8, "only {accepted} valid vectors");
    }
}
