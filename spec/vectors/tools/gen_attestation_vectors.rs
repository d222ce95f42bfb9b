//! Generates `spec/vectors/attestation.json` (run attestation vectors) on
//! standard output. Reproducible: fixed keys (ASCII seeds), a fixed clock,
//! and Ed25519 is deterministic.
//!
//! Run: `cargo run -q -p aiid-attest --example gen_attestation_vectors > spec/vectors/attestation.json`
//!
//! The expectations written here are checked by two implementations: this
//! crate (`attest/tests/vectors.rs`) and the independent Python engine
//! `spec/vectors/tools/attest_engine.py` (cryptography + a hand-written PAE).

use aiid_attest::dsse::{b64_encode, Envelope, Signature};
use aiid_attest::statement::{DeclaredAt, Statement, PAYLOAD_TYPE};
use aiid_attest::{AgentKeys, AgentSigner, RunDeclaration};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use passport::{
    Audience, Claims, IdentityId, Issuer, Jwk, Jwks, KeyId, NumericDate, Operator, Tier, Url,
};
use serde_json::{json, Value};

const NOW: i64 = 1_714_694_400; // 2024-05-03T00:00:00Z
const AGENT: &str = "aii_HMB77VQ527B5Z062CNE31D";
const OTHER_AGENT: &str = "aii_7Q2RZ4XK9M1TBC3V5N8PWD";
const ISS: &str = "https://aiidentity.org";

fn seed(s: &str) -> passport::SigningKey {
    passport::signing_key_from_seed(s.as_bytes()).expect("32-byte seed")
}

fn id(s: &str) -> IdentityId {
    IdentityId::new(s).expect("identity")
}

fn kid(s: &str) -> KeyId {
    KeyId::new(s).expect("kid")
}

fn passport_token(
    sub: &str,
    iat: i64,
    exp: i64,
    issuer_key: &passport::SigningKey,
    issuer_kid: &str,
) -> String {
    let issuer =
        Issuer::new(issuer_key, kid(issuer_kid), Url::new(ISS).expect("url")).expect("issuer");
    let claims = Claims::builder()
        .iss(Url::new(ISS).expect("url"))
        .sub(id(sub))
        .aud(Audience::One("verifier".into()))
        .iat(NumericDate::new(iat).expect("iat"))
        .exp(NumericDate::new(exp).expect("exp"))
        .tier(Tier::CreatorVerified)
        .operator(Operator::new("Acme Corp Ltd.").expect("operator"))
        .key_id(kid(issuer_kid))
        .registry_url(Url::new(format!("{ISS}/whois/{sub}")).expect("url"))
        .build()
        .expect("claims");
    issuer.issue(&claims).expect("issue")
}

fn main() {
    let agent_key = seed("attest-vectors-agent-key-0000001");
    let agent_key2 = seed("attest-vectors-agent-key-0000002");
    let attacker = seed("attest-vectors-attacker-key-0001");
    let issuer_key = seed("passport-vectors-issuer-key-2024");
    let rogue_issuer = seed("passport-vectors-attacker-key-00");

    let signer = AgentSigner::new(agent_key.clone(), kid("agent-1"), id(AGENT));
    let signer2 = AgentSigner::new(agent_key2.clone(), kid("agent-2"), id(AGENT));
    let forger = AgentSigner::new(attacker.clone(), kid("agent-1"), id(AGENT));

    let main_decl = RunDeclaration::new("anthropic:claude-sonnet-4:2025-05-14")
        .and_then(|d| d.param("temperature=0"))
        .and_then(|d| d.param("max_tokens=2048"))
        .and_then(|d| d.constraint("network:deny"))
        .and_then(|d| d.tool("search"))
        .and_then(|d| d.agent(AGENT))
        .map(|d| d.context_bytes(b"quarterly report, page 1"))
        .and_then(|d| d.prompt("Summarise the attached report in at most 300 words."))
        .and_then(|d| d.to_scl())
        .expect("main declaration");
    let other_decl = RunDeclaration::new("openai:gpt-4o")
        .and_then(|d| d.prompt("Write a haiku about ledgers."))
        .and_then(|d| d.to_scl())
        .expect("other declaration");
    let main_hash = scl_hash::identity(&main_decl).expect("valid");
    let other_hash = scl_hash::identity(&other_decl).expect("valid");

    let mut agent_jwks = Jwks::new();
    agent_jwks
        .push(Jwk::new(kid("agent-1"), agent_key.verifying_key()))
        .expect("push");
    agent_jwks
        .push(Jwk::new(kid("agent-2"), agent_key2.verifying_key()))
        .expect("push");
    let agent_keys = AgentKeys {
        identity: id(AGENT),
        keys: agent_jwks,
    };
    let mut issuer_jwks = Jwks::new();
    issuer_jwks
        .push(Jwk::new(kid("k_2024"), issuer_key.verifying_key()))
        .expect("push");

    let declared = NOW - 300;
    let good_passport = passport_token(AGENT, NOW - 3600, NOW + 3600, &issuer_key, "k_2024");
    let stmt = |doc_hash, passport: Option<&str>| Statement {
        doc_hash,
        identity: id(AGENT),
        declared_at: DeclaredAt::from_unix(declared).expect("time"),
        passport: passport.map(str::to_owned),
    };
    let env = |e: &Envelope| e.to_json();
    let base = signer.sign_statement(&stmt(main_hash, None));
    let payload_json =
        |e: &Envelope| -> Value { serde_json::from_slice(&e.payload).expect("json") };
    // Re-sign an edited statement payload (valid signature over bad content).
    let resign = |edit: &dyn Fn(&mut Value)| {
        let mut v = payload_json(&base);
        edit(&mut v);
        signer.sign_payload(PAYLOAD_TYPE, serde_json::to_vec(&v).expect("json"))
    };

    let mut vectors: Vec<Value> = Vec::new();
    let mut push = |id: &str, description: &str, envelope: String, expect: Value, extra: Value| {
        let mut v = json!({ "id": id, "description": description, "envelope": envelope });
        if let (Some(o), Some(x)) = (v.as_object_mut(), extra.as_object()) {
            for (k, val) in x {
                o.insert(k.clone(), val.clone());
            }
        }
        v["expect"] = expect;
        vectors.push(v);
    };
    let valid = |kid: &str, extra: Value| {
        let mut e = json!({"valid": true, "identity": AGENT, "doc_hash": main_hash.to_string(),
                           "agent_kid": kid, "declared_at": "2024-05-02T23:55:00Z"});
        if let (Some(o), Some(x)) = (e.as_object_mut(), extra.as_object()) {
            for (k, val) in x {
                o.insert(k.clone(), val.clone());
            }
        }
        e
    };
    let invalid = |code: &str| json!({"valid": false, "error": code});
    let none = json!({});

    // ---- valid
    push(
        "valid-basic",
        "signed by agent-1, no passport",
        env(&base),
        valid("agent-1", json!({})),
        none.clone(),
    );
    let with_passport = signer.sign_statement(&stmt(main_hash, Some(&good_passport)));
    push("valid-with-passport", "carries a passport for the same identity, valid under the issuer JWKS and policy; the tier is reported",
         env(&with_passport), valid("agent-1", json!({"tier": "creator_verified"})), none.clone());
    push(
        "valid-second-key",
        "signed by agent-2, the identity's second key",
        env(&signer2.sign_statement(&stmt(main_hash, None))),
        valid("agent-2", json!({})),
        none.clone(),
    );
    let mut no_keyid = base.clone();
    no_keyid.signatures[0].keyid.clear();
    push("valid-no-keyid", "the signature has no keyid: every key of the identity is tried (DSSE: keyid is only a hint)",
         env(&no_keyid), valid("agent-1", json!({})), none.clone());
    let url_safe = format!(
        r#"{{"payload":"{}","payloadType":"{}","signatures":[{{"keyid":"agent-1","sig":"{}"}}]}}"#,
        URL_SAFE_NO_PAD.encode(&base.payload),
        PAYLOAD_TYPE,
        URL_SAFE_NO_PAD.encode(&base.signatures[0].sig)
    );
    push("valid-url-safe-base64", "payload and sig in URL-safe base64 without padding (DSSE: verifiers accept either alphabet)",
         url_safe, valid("agent-1", json!({})), none.clone());
    let mut two = base.clone();
    two.signatures.insert(
        0,
        Signature {
            keyid: "someone-else".into(),
            sig: vec![7; 64],
        },
    );
    push(
        "valid-two-signatures",
        "a first signature by a key the verifier does not know, then a good one",
        env(&two),
        valid("agent-1", json!({})),
        none.clone(),
    );
    let extra = format!(
        r#"{{"payload":"{}","payloadType":"{}","signatures":[{{"keyid":"agent-1","sig":"{}","cert":null}}],"comment":"ignored"}}"#,
        b64_encode(&base.payload),
        PAYLOAD_TYPE,
        b64_encode(&base.signatures[0].sig)
    );
    push(
        "valid-unknown-members",
        "unknown envelope members are ignored (DSSE parsing rules)",
        extra,
        valid("agent-1", json!({})),
        none.clone(),
    );
    let extra_stmt = resign(&|v| {
        v["predicate"]["note"] = "x".into();
        v["subject"][0]["digest"]["sha512"] = "00".into();
    });
    push(
        "valid-unknown-statement-members",
        "unknown predicate members and extra digest algorithms are ignored (in-toto parsing rules)",
        env(&extra_stmt),
        valid("agent-1", json!({})),
        none.clone(),
    );

    // ---- invalid: signatures and keys
    push(
        "wrong-key",
        "signed by an attacker key under the agent's keyid",
        env(&forger.sign_statement(&stmt(main_hash, None))),
        invalid("bad_signature"),
        none.clone(),
    );
    let mut unknown_kid = base.clone();
    unknown_kid.signatures[0].keyid = "agent-9".into();
    push(
        "unknown-keyid",
        "the only signature names a keyid the identity does not have",
        env(&unknown_kid),
        invalid("no_matching_key"),
        none.clone(),
    );
    let mut tampered = base.clone();
    tampered.payload = String::from_utf8(base.payload.clone())
        .expect("utf8")
        .replace("23:55:00Z", "23:56:00Z")
        .into_bytes();
    push(
        "tampered-payload",
        "declared_at changed after signing",
        env(&tampered),
        invalid("bad_signature"),
        none.clone(),
    );
    let mut short_sig = base.clone();
    short_sig.signatures[0].sig.truncate(63);
    push(
        "short-signature",
        "a 63-byte signature",
        env(&short_sig),
        invalid("bad_signature"),
        none.clone(),
    );
    let mut high_s = base.clone();
    {
        // S + L: same signature equation, non-canonical scalar (strict verification rejects it).
        const L: [u8; 32] = [
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9,
            0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ];
        let s = &mut high_s.signatures[0].sig[32..];
        let mut carry = 0u16;
        for i in 0..32 {
            let t = u16::from(s[i]) + u16::from(L[i]) + carry;
            s[i] = (t & 0xff) as u8;
            carry = t >> 8;
        }
        assert_eq!(carry, 0, "S + L fits in 256 bits for this vector");
    }
    push(
        "non-canonical-s",
        "signature with S + L in place of S (malleated): rejected by strict Ed25519",
        env(&high_s),
        invalid("bad_signature"),
        none.clone(),
    );
    let wrong_type = signer.sign_payload("application/json", base.payload.clone());
    push(
        "wrong-payload-type",
        "payloadType application/json (signed as such)",
        env(&wrong_type),
        invalid("wrong_payload_type"),
        none.clone(),
    );
    let mut no_sigs = base.clone();
    no_sigs.signatures.clear();
    push(
        "missing-signature",
        "signatures is an empty array",
        env(&no_sigs),
        invalid("no_signatures"),
        none.clone(),
    );
    let no_sig_field = format!(
        r#"{{"payload":"{}","payloadType":"{}"}}"#,
        b64_encode(&base.payload),
        PAYLOAD_TYPE
    );
    push(
        "missing-signatures-member",
        "no signatures member",
        no_sig_field,
        invalid("malformed_envelope"),
        none.clone(),
    );
    let other_agent = AgentSigner::new(attacker.clone(), kid("agent-1"), id(OTHER_AGENT));
    let mut s_other = stmt(main_hash, None);
    s_other.identity = id(OTHER_AGENT);
    push(
        "identity-without-keys",
        "the predicate names an identity the verifier has no agent keys for",
        env(&other_agent.sign_statement(&s_other)),
        invalid("unknown_identity"),
        none.clone(),
    );

    // ---- invalid: JSON and encoding
    let b = env(&base);
    push(
        "duplicate-envelope-member",
        "payloadType appears twice",
        b.replacen(
            r#""payloadType""#,
            r#""payloadType":"application/json","payloadType""#,
            1,
        ),
        invalid("duplicate_member"),
        none.clone(),
    );
    push(
        "duplicate-signature-member",
        "a signature object repeats sig",
        b.replacen(r#""sig""#, r#""sig":"AA==","sig""#, 1),
        invalid("duplicate_member"),
        none.clone(),
    );
    let dup_stmt = String::from_utf8(base.payload.clone())
        .expect("utf8")
        .replacen(
            r#""identity""#,
            &format!(r#""identity":"{OTHER_AGENT}","identity""#),
            1,
        );
    push(
        "duplicate-statement-member",
        "the (validly signed) statement repeats predicate.identity",
        env(&signer.sign_payload(PAYLOAD_TYPE, dup_stmt.into_bytes())),
        invalid("duplicate_member"),
        none.clone(),
    );
    push(
        "not-json",
        "the envelope is not JSON",
        "{\"payload\":".into(),
        invalid("malformed_json"),
        none.clone(),
    );
    let mixed = b.replacen(
        &b64_encode(&base.payload),
        &format!("{}-_", &b64_encode(&base.payload)[..4]),
        1,
    );
    push(
        "invalid-base64",
        "payload mixes the standard and URL-safe alphabets",
        mixed,
        invalid("invalid_base64"),
        none.clone(),
    );
    let trailing = {
        // "YR==" decodes only with non-zero trailing bits.
        format!(
            r#"{{"payload":"YR==","payloadType":"{}","signatures":[{{"keyid":"agent-1","sig":"{}"}}]}}"#,
            PAYLOAD_TYPE,
            b64_encode(&base.signatures[0].sig)
        )
    };
    push(
        "non-canonical-base64",
        "payload base64 with non-zero unused bits",
        trailing,
        invalid("invalid_base64"),
        none.clone(),
    );

    // ---- invalid: statement content (all validly signed)
    push(
        "wrong-statement-type",
        "_type https://in-toto.io/Statement/v0.1",
        env(&resign(&|v| {
            v["_type"] = "https://in-toto.io/Statement/v0.1".into()
        })),
        invalid("wrong_statement_type"),
        none.clone(),
    );
    push(
        "wrong-predicate-type",
        "predicateType of SLSA provenance",
        env(&resign(&|v| {
            v["predicateType"] = "https://slsa.dev/provenance/v1".into()
        })),
        invalid("wrong_predicate_type"),
        none.clone(),
    );
    push(
        "two-subjects",
        "two subjects",
        env(&resign(&|v| {
            let s = v["subject"][0].clone();
            v["subject"] = json!([s.clone(), s]);
        })),
        invalid("bad_subject"),
        none.clone(),
    );
    push(
        "uppercase-digest",
        "digest.sha256 in uppercase hex",
        env(&resign(&|v| {
            v["subject"][0]["digest"]["sha256"] = main_hash.to_string().to_uppercase().into()
        })),
        invalid("bad_subject"),
        none.clone(),
    );
    push(
        "bad-declared-at",
        "declared_at with a +00:00 offset instead of Z",
        env(&resign(&|v| {
            v["predicate"]["declared_at"] = "2024-05-02T23:55:00+00:00".into()
        })),
        invalid("invalid_declared_at"),
        none.clone(),
    );
    push(
        "subject-other-declaration",
        "a valid attestation of another declaration, presented with this one",
        env(&signer.sign_statement(&stmt(other_hash, None))),
        invalid("subject_mismatch"),
        none.clone(),
    );
    push(
        "valid-other-declaration",
        "the same envelope checked against the declaration it names",
        env(&signer.sign_statement(&stmt(other_hash, None))),
        json!({"valid": true, "doc_hash": other_hash.to_string(), "agent_kid": "agent-1"}),
        json!({"declaration": "other"}),
    );
    let future = resign(&|v| v["predicate"]["declared_at"] = "2024-05-03T00:01:01Z".into());
    push(
        "declared-in-future",
        "declared 61 s after the verifier's clock (leeway 60 s)",
        env(&future),
        invalid("declared_in_future"),
        none.clone(),
    );
    let edge = resign(&|v| v["predicate"]["declared_at"] = "2024-05-03T00:01:00Z".into());
    push(
        "declared-at-leeway-edge",
        "declared exactly 60 s ahead: within the leeway",
        env(&edge),
        json!({"valid": true, "declared_at": "2024-05-03T00:01:00Z"}),
        none.clone(),
    );

    // ---- invalid: passport
    let p_other = passport_token(OTHER_AGENT, NOW - 3600, NOW + 3600, &issuer_key, "k_2024");
    push(
        "passport-other-agent",
        "the passport (valid) is for another identity",
        env(&signer.sign_statement(&stmt(main_hash, Some(&p_other)))),
        invalid("passport_subject_mismatch"),
        none.clone(),
    );
    let p_expired = passport_token(AGENT, NOW - 7200, NOW - 3600, &issuer_key, "k_2024");
    push(
        "passport-expired",
        "the passport expired an hour before the verifier's clock",
        env(&signer.sign_statement(&stmt(main_hash, Some(&p_expired)))),
        json!({"valid": false, "error": "passport_invalid", "passport_error": "expired"}),
        none.clone(),
    );
    let p_rogue = passport_token(AGENT, NOW - 3600, NOW + 3600, &rogue_issuer, "k_2024");
    push(
        "passport-forged",
        "the passport is signed by a key that is not the issuer's (same kid)",
        env(&signer.sign_statement(&stmt(main_hash, Some(&p_rogue)))),
        json!({"valid": false, "error": "passport_invalid", "passport_error": "bad_signature"}),
        none.clone(),
    );
    push(
        "passport-without-issuer",
        "a passport is present but the verifier was given no issuer JWKS and policy",
        env(&with_passport),
        invalid("passport_not_checkable"),
        json!({"issuer": null}),
    );

    // ---- revocation
    push(
        "revoked-identity",
        "the identity is on the revocation list",
        env(&base),
        invalid("revoked"),
        json!({"revocations": {"generated_at": NOW - 60, "identities": [AGENT]}}),
    );
    push(
        "revoked-agent-key",
        "the agent key agent-1 is on the revocation list",
        env(&base),
        invalid("revoked"),
        json!({"revocations": {"generated_at": NOW - 60, "keys": ["agent-1"]}}),
    );
    push(
        "revoked-other-key",
        "only agent-1 is revoked; a signature by agent-2 stands",
        env(&signer2.sign_statement(&stmt(main_hash, None))),
        valid("agent-2", json!({})),
        json!({"revocations": {"generated_at": NOW - 60, "keys": ["agent-1"]}}),
    );

    let decl = |bytes: &[u8]| json!({"b64": STANDARD.encode(bytes), "text": String::from_utf8_lossy(bytes), "doc_hash": scl_hash::identity(bytes).expect("valid").to_string()});
    let file = json!({
        "version": "1",
        "description": "Run attestation vectors (in-toto Statement v1 in a DSSE envelope). See spec/attestation.md for the rules, the check order and the protocol. Generated by spec/vectors/tools/gen_attestation_vectors.rs; checked by attest/tests/vectors.rs and by the independent Python engine spec/vectors/tools/attest_engine.py.",
        "keys": {
            "agent-1": {"seed_ascii": "attest-vectors-agent-key-0000001", "public": Jwk::new(kid("agent-1"), agent_key.verifying_key()).to_json()},
            "agent-2": {"seed_ascii": "attest-vectors-agent-key-0000002", "public": Jwk::new(kid("agent-2"), agent_key2.verifying_key()).to_json()},
            "attacker": {"seed_ascii": "attest-vectors-attacker-key-0001"},
            "issuer-k_2024": {"seed_ascii": "passport-vectors-issuer-key-2024"},
            "rogue-issuer": {"seed_ascii": "passport-vectors-attacker-key-00"},
        },
        "declarations": {"main": decl(&main_decl), "other": decl(&other_decl)},
        "defaults": {
            "now": NOW,
            "declaration": "main",
            "agent_jwks": agent_keys.to_json(),
            "issuer": {"jwks": issuer_jwks.to_json(), "policy": {"issuers": [ISS], "audience": "verifier", "leeway": 60, "min_tier": "issued"}},
        },
        "vectors": vectors,
    });
    println!("{}", serde_json::to_string_pretty(&file).expect("json"));
}
