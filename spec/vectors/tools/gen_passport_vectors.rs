//! Generates `spec/vectors/passport.json`.
//!
//! Independent of the code under test: every token is hand-assembled from
//! raw JSON text, base64url-encoded with the `base64` crate and signed with
//! `ed25519-dalek` directly. Nothing from the `passport` crate is used.
//!
//! Run: `cargo run -q -p aiid-passport --example gen_passport_vectors > spec/vectors/passport.json`

extern crate aiid_passport as passport;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ed25519_dalek::{Signer as _, SigningKey};
use serde_json::{json, Value};

const NOW: i64 = 1_714_694_400; // 2024-05-03T00:00:00Z
const ISS: &str = "https://aiidentity.org";
const AUD: &str = "verifier";
const SUB: &str = "aii_HMB77VQ527B5Z062CNE31D";
const KID: &str = "k_2024";
const KID2: &str = "k_2025";

const SEED_2024: &[u8; 32] = b"passport-vectors-issuer-key-2024";
const SEED_2025: &[u8; 32] = b"passport-vectors-issuer-key-2025";
const SEED_ATTACKER: &[u8; 32] = b"passport-vectors-attacker-key-00";

/// The small-order identity point (0, 1).
const IDENTITY_POINT: [u8; 32] = {
    let mut b = [0u8; 32];
    b[0] = 1;
    b
};

/// ℓ, the order of the base point, little-endian.
const L: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

// RFC 8037 appendix A, verbatim.
const RFC8037_D: &str = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
const RFC8037_X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
const RFC8037_A4: &str = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

fn b64(b: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(b)
}

fn sign(header: &str, payload: &str, key: &SigningKey) -> String {
    let input = format!("{}.{}", b64(header.as_bytes()), b64(payload.as_bytes()));
    let sig = key.sign(input.as_bytes()).to_bytes();
    format!("{input}.{}", b64(&sig))
}

fn header(kid: &str) -> String {
    format!(r#"{{"alg":"EdDSA","typ":"JWT","kid":"{kid}"}}"#)
}

/// The default claims as ordered (name, raw JSON) pairs.
fn base_claims() -> Vec<(String, String)> {
    [
        ("iss", format!("{ISS:?}")),
        ("sub", format!("{SUB:?}")),
        ("aud", format!("{AUD:?}")),
        ("iat", (NOW - 300).to_string()),
        ("exp", (NOW + 3600).to_string()),
        ("tier", r#""creator_verified""#.to_owned()),
        ("operator", r#""Acme Corp Ltd.""#.to_owned()),
        (
            "surfaces",
            r#"["telegram:@acme_bot","wa:+441234567890"]"#.to_owned(),
        ),
        ("capabilities", r#"["customer-support"]"#.to_owned()),
        ("key_id", format!("{KID:?}")),
        (
            "registry_url",
            format!(r#""https://aiidentity.org/whois/{SUB}""#),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

fn render(pairs: &[(String, String)]) -> String {
    let body: Vec<String> = pairs.iter().map(|(k, v)| format!("{k:?}:{v}")).collect();
    format!("{{{}}}", body.join(","))
}

/// Default claims with `name` set to raw JSON `value` (appended if absent).
fn with(changes: &[(&str, &str)]) -> String {
    let mut c = base_claims();
    for (name, value) in changes {
        match c.iter_mut().find(|(k, _)| k == name) {
            Some(p) => p.1 = (*value).to_owned(),
            None => c.push(((*name).to_owned(), (*value).to_owned())),
        }
    }
    render(&c)
}

fn without(name: &str) -> String {
    let c: Vec<_> = base_claims()
        .into_iter()
        .filter(|(k, _)| k != name)
        .collect();
    render(&c)
}

fn jwk(kid: &str, key: &[u8; 32]) -> Value {
    json!({"kty":"OKP","crv":"Ed25519","kid":kid,"x":b64(key),"use":"sig","alg":"EdDSA"})
}

struct Out(Vec<Value>);

impl Out {
    fn valid(&mut self, id: &str, rule: &str, token: String, extra: Value) {
        let payload = token.split('.').nth(1).unwrap_or_default();
        let claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap_or_default())
                .unwrap_or(Value::Null);
        self.push(
            id,
            rule,
            token,
            json!({"valid": true, "claims": claims}),
            extra,
        );
    }
    fn invalid(&mut self, id: &str, rule: &str, token: String, error: &str, extra: Value) {
        self.push(
            id,
            rule,
            token,
            json!({"valid": false, "error": error}),
            extra,
        );
    }
    fn push(&mut self, id: &str, rule: &str, token: String, expect: Value, extra: Value) {
        let mut v = json!({"id": id, "rule": rule, "token": token, "expect": expect});
        if let (Some(o), Value::Object(e)) = (v.as_object_mut(), extra) {
            for (k, x) in e {
                o.insert(k, x);
            }
        }
        self.0.push(v);
    }
}

fn main() {
    let k24 = SigningKey::from_bytes(SEED_2024);
    let k25 = SigningKey::from_bytes(SEED_2025);
    let evil = SigningKey::from_bytes(SEED_ATTACKER);
    let none = json!({});
    let mut o = Out(Vec::new());
    let h = header(KID);
    let good = sign(&h, &render(&base_claims()), &k24);
    let parts: Vec<String> = good.split('.').map(str::to_owned).collect();

    // ---- valid ----
    o.valid(
        "valid-basic",
        "all rules satisfied",
        good.clone(),
        none.clone(),
    );
    o.valid(
        "valid-rotation-second-key",
        "several keys in the JWKS; kid selects the key",
        sign(&header(KID2), &with(&[("key_id", "\"k_2025\"")]), &k25),
        none.clone(),
    );
    o.valid(
        "valid-aud-array",
        "aud may be an array containing the audience (RFC 7519)",
        sign(&h, &with(&[("aud", r#"["other","verifier"]"#)]), &k24),
        none.clone(),
    );
    o.valid(
        "valid-nbf-past",
        "nbf honoured when present",
        sign(&h, &with(&[("nbf", &(NOW - 300).to_string())]), &k24),
        none.clone(),
    );
    o.valid(
        "valid-exp-within-leeway",
        "exp passed by less than the 60 s leeway",
        good.clone(),
        json!({"now": NOW + 3600 + 59}),
    );
    o.valid(
        "valid-iat-future-within-leeway",
        "iat in the future by at most the leeway",
        sign(&h, &with(&[("iat", &(NOW + 60).to_string())]), &k24),
        none.clone(),
    );
    o.valid(
        "valid-unknown-claims-ignored",
        "unknown claims are ignored",
        sign(
            &h,
            &with(&[
                ("x-extra", r#"{"a":[1,2,{"b":null}]}"#),
                ("jti", r#""p_1""#),
            ]),
            &k24,
        ),
        none.clone(),
    );
    o.valid(
        "valid-no-typ",
        "typ is optional",
        sign(
            &format!(r#"{{"alg":"EdDSA","kid":"{KID}"}}"#),
            &render(&base_claims()),
            &k24,
        ),
        none.clone(),
    );
    o.valid(
        "valid-anon-empty-lists",
        "operator anon; empty surfaces and capabilities",
        sign(
            &h,
            &with(&[
                ("operator", r#""anon""#),
                ("surfaces", "[]"),
                ("capabilities", "[]"),
            ]),
            &k24,
        ),
        none.clone(),
    );
    o.valid(
        "valid-min-tier-met",
        "tier at least the policy minimum",
        sign(&h, &with(&[("tier", r#""business_verified""#)]), &k24),
        json!({"policy": {"issuers":[ISS],"audience":AUD,"leeway":60,"min_tier":"business_verified"}}),
    );
    o.valid(
        "valid-not-revoked",
        "a fresh revocation list that does not list the passport",
        good.clone(),
        json!({"revocations": {"generated_at": NOW - 10, "identities": ["aii_SOMEONEELSE"], "passports": [], "keys": [], "max_age": 3600}}),
    );

    // ---- size and structure ----
    let mut pad = 6000;
    let big = loop {
        let t = sign(
            &h,
            &with(&[("pad", &format!("{:?}", "x".repeat(pad)))]),
            &k24,
        );
        if t.len() > 8192 {
            break t;
        }
        pad += 1;
    };
    o.invalid(
        "size-over-8kib",
        "size cap 8 KiB, checked before decoding",
        big,
        "token_too_large",
        none.clone(),
    );
    o.invalid(
        "size-over-8kib-garbage",
        "size cap checked before any decoding",
        "%".repeat(9000),
        "token_too_large",
        none.clone(),
    );
    o.invalid(
        "segments-two",
        "three segments",
        format!("{}.{}", parts[0], parts[1]),
        "malformed_token",
        none.clone(),
    );
    o.invalid(
        "segments-four",
        "three segments",
        format!("{good}.{}", parts[2]),
        "malformed_token",
        none.clone(),
    );
    o.invalid(
        "segments-empty-signature",
        "no empty segment",
        format!("{}.{}.", parts[0], parts[1]),
        "malformed_token",
        none.clone(),
    );
    o.invalid(
        "segments-jwe",
        "JWS compact only",
        "a.b.c.d.e".to_owned(),
        "malformed_token",
        none.clone(),
    );

    // ---- base64url ----
    o.invalid(
        "b64-padded-header",
        "strict unpadded base64url",
        format!("{}=.{}.{}", parts[0], parts[1], parts[2]),
        "invalid_base64",
        none.clone(),
    );
    o.invalid(
        "b64-padded-signature",
        "strict unpadded base64url",
        format!("{good}=="),
        "invalid_base64",
        none.clone(),
    );
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut sig = parts[2].clone();
    let last = sig.pop().unwrap_or('A');
    let idx = alphabet.find(last).unwrap_or(0);
    sig.push(char::from(alphabet.as_bytes()[idx | 1]));
    o.invalid(
        "b64-signature-trailing-bits",
        "one encoding per byte string (unused bits zero)",
        format!("{}.{}.{sig}", parts[0], parts[1]),
        "invalid_base64",
        none.clone(),
    );
    o.invalid(
        "b64-whitespace",
        "no whitespace",
        format!("{}.{}.{}\n", parts[0], parts[1], parts[2]),
        "invalid_base64",
        none.clone(),
    );
    let std_header = URL_SAFE_NO_PAD
        .encode(format!(r#"{{"alg":"EdDSA","kid":"{KID}","x":"??>"}}"#))
        .replace('_', "/")
        .replace('-', "+");
    o.invalid(
        "b64-standard-alphabet",
        "base64url alphabet only",
        format!("{std_header}.{}.{}", parts[1], parts[2]),
        "invalid_base64",
        none.clone(),
    );
    let padded_payload = format!("{}.{}=", parts[0], parts[1]);
    let t = format!(
        "{padded_payload}.{}",
        b64(&k24.sign(padded_payload.as_bytes()).to_bytes())
    );
    o.invalid(
        "b64-padded-payload-signed",
        "strict unpadded base64url (payload, validly signed)",
        t,
        "invalid_base64",
        none.clone(),
    );

    // ---- header ----
    o.invalid(
        "header-not-json",
        "header is a JSON object",
        sign("{alg:EdDSA}", &render(&base_claims()), &k24),
        "malformed_header",
        none.clone(),
    );
    o.invalid(
        "header-array",
        "header is a JSON object",
        sign(r#"["EdDSA"]"#, &render(&base_claims()), &k24),
        "malformed_header",
        none.clone(),
    );
    o.invalid(
        "header-alg-missing",
        "alg required",
        sign(
            &format!(r#"{{"typ":"JWT","kid":"{KID}"}}"#),
            &render(&base_claims()),
            &k24,
        ),
        "malformed_header",
        none.clone(),
    );
    o.invalid(
        "header-duplicate-alg",
        "no duplicate header members",
        sign(
            &format!(r#"{{"alg":"none","alg":"EdDSA","kid":"{KID}"}}"#),
            &render(&base_claims()),
            &k24,
        ),
        "duplicate_member",
        none.clone(),
    );
    o.invalid(
        "header-duplicate-kid",
        "no duplicate header members",
        sign(
            &format!(r#"{{"alg":"EdDSA","kid":"k_other","kid":"{KID}"}}"#),
            &render(&base_claims()),
            &k24,
        ),
        "duplicate_member",
        none.clone(),
    );
    o.invalid(
        "header-duplicate-escaped",
        "duplicates compared after unescaping",
        sign(
            &format!(r#"{{"alg":"EdDSA","kid":"{KID}","\u0061lg":"EdDSA"}}"#),
            &render(&base_claims()),
            &k24,
        ),
        "duplicate_member",
        none.clone(),
    );
    for (id, alg) in [
        ("alg-none", "none"),
        ("alg-hs256", "HS256"),
        ("alg-rs256", "RS256"),
        ("alg-es256", "ES256"),
        ("alg-ps256", "PS256"),
        ("alg-lowercase", "eddsa"),
        ("alg-ed25519", "Ed25519"),
    ] {
        let hh = format!(r#"{{"alg":"{alg}","typ":"JWT","kid":"{KID}"}}"#);
        o.invalid(
            id,
            "alg must be EdDSA",
            sign(&hh, &render(&base_claims()), &k24),
            "unsupported_algorithm",
            none.clone(),
        );
    }
    // HS256 keyed with the public key bytes: the classic confusion.
    let hs = format!(r#"{{"alg":"HS256","typ":"JWT","kid":"{KID}"}}"#);
    o.invalid(
        "alg-hs256-public-key-as-secret",
        "no algorithm taken from the key; alg must be EdDSA",
        format!("{}.{}.{}", b64(hs.as_bytes()), parts[1], b64(&[0x42; 32])),
        "unsupported_algorithm",
        none.clone(),
    );
    o.invalid(
        "kid-missing",
        "kid required",
        sign(
            r#"{"alg":"EdDSA","typ":"JWT"}"#,
            &render(&base_claims()),
            &k24,
        ),
        "missing_kid",
        none.clone(),
    );
    o.invalid(
        "crit-present",
        "any crit header rejected",
        sign(
            &format!(r#"{{"alg":"EdDSA","kid":"{KID}","crit":["exp"],"exp":1}}"#),
            &render(&base_claims()),
            &k24,
        ),
        "crit_header",
        none.clone(),
    );
    o.invalid(
        "crit-empty",
        "any crit header rejected",
        sign(
            &format!(r#"{{"alg":"EdDSA","kid":"{KID}","crit":[]}}"#),
            &render(&base_claims()),
            &k24,
        ),
        "crit_header",
        none.clone(),
    );
    let evil_x = b64(evil.verifying_key().as_bytes());
    o.invalid(
        "header-jwk-attacker-key",
        "jwk header never used: the token is signed by the key it carries",
        sign(&format!(r#"{{"alg":"EdDSA","kid":"{KID}","jwk":{{"kty":"OKP","crv":"Ed25519","x":"{evil_x}"}}}}"#), &render(&base_claims()), &evil),
        "forbidden_header",
        none.clone(),
    );
    o.invalid(
        "header-jku",
        "jku never used or fetched",
        sign(
            &format!(r#"{{"alg":"EdDSA","kid":"{KID}","jku":"https://evil.example/jwks.json"}}"#),
            &render(&base_claims()),
            &k24,
        ),
        "forbidden_header",
        none.clone(),
    );
    o.invalid(
        "header-x5u",
        "x5u never used or fetched",
        sign(
            &format!(r#"{{"alg":"EdDSA","kid":"{KID}","x5u":"https://evil.example/c.pem"}}"#),
            &render(&base_claims()),
            &k24,
        ),
        "forbidden_header",
        none.clone(),
    );
    o.invalid(
        "header-x5c",
        "x5c never used",
        sign(
            &format!(r#"{{"alg":"EdDSA","kid":"{KID}","x5c":["MIIB"]}}"#),
            &render(&base_claims()),
            &k24,
        ),
        "forbidden_header",
        none.clone(),
    );
    o.invalid(
        "typ-wrong",
        "typ, when present, is JWT",
        sign(
            &format!(r#"{{"alg":"EdDSA","typ":"JOSE+JSON","kid":"{KID}"}}"#),
            &render(&base_claims()),
            &k24,
        ),
        "bad_typ",
        none.clone(),
    );

    // ---- keys and signatures ----
    o.invalid(
        "kid-unknown",
        "kid must name a trusted key",
        sign(&header("k_nope"), &with(&[("key_id", "\"k_nope\"")]), &k24),
        "unknown_key",
        none.clone(),
    );
    o.invalid(
        "sig-wrong-key",
        "signature by the kid's key",
        sign(&h, &render(&base_claims()), &evil),
        "bad_signature",
        none.clone(),
    );
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64(with(&[("tier", r#""business_verified""#)]).as_bytes()),
        parts[2]
    );
    o.invalid(
        "sig-tampered-payload",
        "signature covers the payload",
        tampered,
        "bad_signature",
        none.clone(),
    );
    let raw_sig = URL_SAFE_NO_PAD.decode(&parts[2]).unwrap_or_default();
    let mut s_plus_l = raw_sig.clone();
    let mut carry = 0u16;
    for i in 0..32 {
        let v = u16::from(raw_sig[32 + i]) + u16::from(L[i]) + carry;
        s_plus_l[32 + i] = (v & 0xff) as u8;
        carry = v >> 8;
    }
    o.invalid(
        "sig-non-canonical-s",
        "strict signatures: S < L",
        format!("{}.{}.{}", parts[0], parts[1], b64(&s_plus_l)),
        "bad_signature",
        none.clone(),
    );
    let mut small_r = [0u8; 64];
    small_r[..32].copy_from_slice(&IDENTITY_POINT);
    o.invalid(
        "sig-small-order-r",
        "strict signatures: R not of small order",
        format!("{}.{}.{}", parts[0], parts[1], b64(&small_r)),
        "bad_signature",
        none.clone(),
    );
    o.invalid(
        "sig-63-bytes",
        "an Ed25519 signature is 64 bytes",
        format!("{}.{}.{}", parts[0], parts[1], b64(&raw_sig[..63])),
        "bad_signature",
        none.clone(),
    );
    // The small-order key: (R = identity, S = 0) verifies under lax rules.
    o.invalid(
        "jwks-small-order-key",
        "small-order keys rejected (the forged signature would pass cofactorless lax verification)",
        format!("{}.{}.{}", parts[0], parts[1], b64(&small_r)),
        "weak_key",
        json!({"jwks": {"keys": [jwk(KID, &IDENTITY_POINT)]}}),
    );

    // ---- claims ----
    let c = render(&base_claims());
    let dup = format!("{},\"tier\":\"business_verified\"}}", &c[..c.len() - 1]);
    o.invalid(
        "claims-duplicate-tier",
        "no duplicate claims",
        sign(&h, &dup, &k24),
        "duplicate_member",
        none.clone(),
    );
    o.invalid(
        "claims-not-object",
        "claims are a JSON object",
        sign(&h, "[1,2,3]", &k24),
        "malformed_claims",
        none.clone(),
    );
    o.invalid(
        "claims-not-json",
        "claims are a JSON object",
        sign(&h, "Example of Ed25519 signing", &k24),
        "malformed_claims",
        none.clone(),
    );
    for (name, _) in base_claims() {
        o.push(
            &format!("missing-{name}"),
            "every required claim present",
            sign(&h, &without(&name), &k24),
            json!({"valid": false, "error": "missing_claim", "claim": name}),
            json!({}),
        );
    }
    for (id, name, val, rule) in [
        (
            "exp-float",
            "exp",
            "1714698000.5",
            "NumericDate is integer seconds",
        ),
        (
            "exp-string",
            "exp",
            "\"1714698000\"",
            "NumericDate is a number",
        ),
        ("exp-before-iat", "exp", "1714694000", "exp after iat"),
        (
            "sub-not-identity",
            "sub",
            "\"user_123\"",
            "sub is an aii_ identity id",
        ),
        (
            "operator-empty",
            "operator",
            "\"\"",
            "operator is anon or a display name",
        ),
        (
            "surfaces-not-array",
            "surfaces",
            "\"telegram:@bot\"",
            "surfaces is an array of strings",
        ),
        (
            "registry-url-not-url",
            "registry_url",
            "\"javascript:alert(1)\"",
            "registry_url is an http(s) URL",
        ),
    ] {
        o.push(
            id,
            rule,
            sign(&h, &with(&[(name, val)]), &k24),
            json!({"valid": false, "error": "invalid_claim", "claim": name}),
            json!({}),
        );
    }
    o.invalid(
        "tier-unknown",
        "unknown tier rejected",
        sign(&h, &with(&[("tier", r#""platinum""#)]), &k24),
        "unknown_tier",
        none.clone(),
    );
    o.invalid(
        "tier-wrong-case",
        "unknown tier rejected (case-sensitive)",
        sign(&h, &with(&[("tier", r#""Creator_Verified""#)]), &k24),
        "unknown_tier",
        none.clone(),
    );
    o.invalid(
        "kid-key-id-mismatch",
        "header kid equals key_id claim",
        sign(&h, &with(&[("key_id", "\"k_2025\"")]), &k24),
        "kid_mismatch",
        none.clone(),
    );
    o.invalid(
        "iss-wrong",
        "iss accepted",
        sign(&h, &with(&[("iss", r#""https://evil.example""#)]), &k24),
        "wrong_issuer",
        none.clone(),
    );
    o.invalid(
        "iss-trailing-slash",
        "iss compared exactly",
        sign(&h, &with(&[("iss", r#""https://aiidentity.org/""#)]), &k24),
        "wrong_issuer",
        none.clone(),
    );
    o.invalid(
        "aud-wrong",
        "aud names the verifier",
        sign(&h, &with(&[("aud", r#""someone-else""#)]), &k24),
        "wrong_audience",
        none.clone(),
    );
    o.invalid(
        "expired",
        "exp plus leeway passed",
        good.clone(),
        "expired",
        json!({"now": NOW + 3600 + 60}),
    );
    o.invalid(
        "nbf-future",
        "nbf honoured",
        sign(&h, &with(&[("nbf", &(NOW + 61).to_string())]), &k24),
        "not_yet_valid",
        none.clone(),
    );
    o.invalid(
        "iat-future",
        "iat not in the future beyond leeway",
        sign(&h, &with(&[("iat", &(NOW + 61).to_string())]), &k24),
        "issued_in_future",
        none.clone(),
    );
    o.invalid(
        "tier-too-low",
        "tier at least the policy minimum",
        good.clone(),
        "tier_too_low",
        json!({"policy": {"issuers":[ISS],"audience":AUD,"leeway":60,"min_tier":"business_verified"}}),
    );
    o.invalid(
        "revoked-identity",
        "revoked identities rejected",
        good.clone(),
        "revoked",
        json!({"revocations": {"generated_at": NOW - 10, "identities": [SUB], "passports": [], "keys": []}}),
    );
    o.invalid(
        "revoked-jti",
        "revoked passports rejected (by jti)",
        sign(&h, &with(&[("jti", r#""p_42""#)]), &k24),
        "revoked",
        json!({"revocations": {"generated_at": NOW - 10, "passports": ["p_42"]}}),
    );
    o.invalid(
        "revoked-key",
        "passports signed by a revoked key rejected",
        good.clone(),
        "revoked",
        json!({"revocations": {"generated_at": NOW - 10, "keys": [KID]}}),
    );
    o.invalid(
        "revocation-list-stale",
        "a stale revocation list fails closed",
        good.clone(),
        "revocation_unavailable",
        json!({"revocations": {"generated_at": NOW - 7200, "max_age": 3600}}),
    );

    // ---- RFC 8037 at the signature layer ----
    let a2 = json!({"kty":"OKP","crv":"Ed25519","x":RFC8037_X});
    o.push(
        "rfc8037-a4-a5",
        "RFC 8037 A.4/A.5: Ed25519 signature validates",
        RFC8037_A4.to_owned(),
        json!({"valid": true, "payload_b64": "RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc"}),
        json!({"layer": "signature", "jwk": a2}),
    );
    let a4_parts: Vec<&str> = RFC8037_A4.split('.').collect();
    o.push(
        "rfc8037-a4-other-payload",
        "RFC 8037 A.4 signature does not cover another payload",
        format!(
            "{}.{}.{}",
            a4_parts[0],
            b64(b"Example of Ed25519 signinG"),
            a4_parts[2]
        ),
        json!({"valid": false, "error": "bad_signature"}),
        json!({"layer": "signature", "jwk": a2}),
    );
    // Self-check: the A.1 private key reproduces A.4 exactly (deterministic Ed25519).
    let d: [u8; 32] = URL_SAFE_NO_PAD
        .decode(RFC8037_D)
        .ok()
        .and_then(|v| v.try_into().ok())
        .unwrap_or([0; 32]);
    let a1 = SigningKey::from_bytes(&d);
    assert_eq!(b64(a1.verifying_key().as_bytes()), RFC8037_X);
    assert_eq!(
        sign(r#"{"alg":"EdDSA"}"#, "Example of Ed25519 signing", &a1),
        RFC8037_A4
    );

    let file = json!({
        "description": "AI Identity passport vectors. See spec/passport.md for the rules, the check order and the conformance protocol. Tokens are hand-assembled and signed with ed25519-dalek by spec/vectors/tools/gen_passport_vectors.rs.",
        "version": 1,
        "keys": {
            KID: {"seed_ascii": std::str::from_utf8(SEED_2024).unwrap_or_default(), "public": jwk(KID, k24.verifying_key().as_bytes())},
            KID2: {"seed_ascii": std::str::from_utf8(SEED_2025).unwrap_or_default(), "public": jwk(KID2, k25.verifying_key().as_bytes())},
            "attacker": {"seed_ascii": std::str::from_utf8(SEED_ATTACKER).unwrap_or_default(), "public": jwk("attacker", evil.verifying_key().as_bytes())},
            "rfc8037": {"d": RFC8037_D, "x": RFC8037_X}
        },
        "defaults": {
            "now": NOW,
            "policy": {"issuers": [ISS], "audience": AUD, "leeway": 60, "min_tier": "issued"},
            "jwks": {"keys": [jwk(KID, k24.verifying_key().as_bytes()), jwk(KID2, k25.verifying_key().as_bytes())]}
        },
        "vectors": o.0,
    });
    println!(
        "{}",
        serde_json::to_string_pretty(&file).unwrap_or_default()
    );
}
