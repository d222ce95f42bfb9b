//! RFC 8410 PKCS#8 private keys: we write v1 (what `openssl genpkey
//! -algorithm ed25519` writes) and read v1 and v2, cross-checked against
//! `ed25519-dalek`'s own PKCS#8 codec (a dev-dependency feature only).

extern crate aiid_passport as passport;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use ed25519_dalek::SigningKey;
use passport::{signing_key_from_pem, signing_key_from_seed, signing_key_to_pem, ErrorCode};

/// RFC 8410 §10.3: the example private key (v1), verbatim.
const RFC8410_V1: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n-----END PRIVATE KEY-----\n";
/// RFC 8410 §10.3: the same key as v2 with attributes and the public key.
const RFC8410_V2: &str = "-----BEGIN PRIVATE KEY-----\nMHICAQEwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\noB8wHQYKKoZIhvcNAQkJFDEPDA1DdXJkbGUgQ2hhaXJzgSEAGb9ECWmEzf6FQbrB\nZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PRIVATE KEY-----\n";
/// What `aiid passport keygen` wrote before (PKCS#8 v2 with the public key,
/// `ed25519-dalek`'s encoding) for the seed [7; 32].
const OLD_KEYGEN_V2: &str = "-----BEGIN PRIVATE KEY-----\nMFECAQEwBQYDK2VwBCIEIAcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcH\ngSEA6kpsY+KcUgq+9VB7Ey7F+ZVHdq6+vnuSQh7qaRRG0iw=\n-----END PRIVATE KEY-----\n";

fn pem(der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        lines.join("\n")
    )
}

fn der(pem: &str) -> Vec<u8> {
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    STANDARD.decode(b64).unwrap()
}

fn code(text: &str) -> ErrorCode {
    signing_key_from_pem(text).unwrap_err().code()
}

#[test]
fn writes_rfc8410_v1_exactly() {
    let seed: [u8; 32] = der(RFC8410_V1)[16..].try_into().unwrap();
    let key = signing_key_from_seed(&seed).unwrap();
    assert_eq!(signing_key_to_pem(&key).unwrap(), RFC8410_V1);
    // Every key: 48 bytes of DER, one 64-character line, the v1 prefix.
    for s in [0u8, 1, 7, 0xff] {
        let text = signing_key_to_pem(&signing_key_from_seed(&[s; 32]).unwrap()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert_eq!(lines[1].len(), 64);
        assert!(lines[1].starts_with("MC4CAQAwBQYDK2VwBCIEI"), "{text}");
        assert_eq!(der(&text).len(), 48);
    }
}

#[test]
fn reads_v1_and_v2_with_and_without_attributes() {
    let v1 = signing_key_from_pem(RFC8410_V1).unwrap();
    let v2 = signing_key_from_pem(RFC8410_V2).unwrap();
    assert_eq!(v1.to_bytes(), v2.to_bytes());
    assert_eq!(
        v1.verifying_key().as_bytes()[..],
        der(RFC8410_V2)[der(RFC8410_V2).len() - 32..]
    );
    let old = signing_key_from_pem(OLD_KEYGEN_V2).unwrap();
    assert_eq!(old.to_bytes(), [7; 32]);
    // An old key is rewritten as v1.
    assert!(signing_key_to_pem(&old)
        .unwrap()
        .contains("MC4CAQAwBQYDK2VwBCIEIAcHBwc"));
    // CRLF, surrounding text and indentation are tolerated.
    let crlf = format!("issuer key\r\n{}\r\n", RFC8410_V1.replace('\n', "\r\n  "));
    assert_eq!(
        signing_key_from_pem(&crlf).unwrap().to_bytes(),
        v1.to_bytes()
    );
}

#[test]
fn agrees_with_ed25519_dalek_pkcs8() {
    for s in 0u8..32 {
        let seed = [s.wrapping_mul(37).wrapping_add(3); 32];
        let key = SigningKey::from_bytes(&seed);
        // dalek writes v2 (public key attached): we read it.
        let v2 = key.to_pkcs8_der().unwrap();
        assert_eq!(
            signing_key_from_pem(&pem(v2.as_bytes()))
                .unwrap()
                .to_bytes(),
            seed
        );
        // We write v1: dalek reads it.
        let ours = signing_key_to_pem(&key).unwrap();
        assert_eq!(SigningKey::from_pkcs8_pem(&ours).unwrap().to_bytes(), seed);
    }
}

#[test]
fn v2_public_key_must_match_the_private_key() {
    let mut d = der(OLD_KEYGEN_V2);
    let n = d.len();
    d[n - 1] ^= 1;
    let text = pem(&d);
    assert_eq!(code(&text), ErrorCode::PublicKeyMismatch);
    assert_eq!(code(&text), "public_key_mismatch");
    let msg = signing_key_from_pem(&text).unwrap_err().to_string();
    assert!(msg.contains("public key"), "{msg}");
    // The same holds with attributes before the public key.
    let mut d = der(RFC8410_V2);
    let n = d.len();
    d[n - 5] ^= 0x80;
    assert_eq!(code(&pem(&d)), ErrorCode::PublicKeyMismatch);
}

#[test]
fn refuses_what_is_not_an_ed25519_pkcs8_key() {
    let v1 = der(RFC8410_V1);
    let with = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut d = v1.clone();
        f(&mut d);
        pem(&d)
    };
    let cases: Vec<(&str, String)> = vec![
        ("empty", String::new()),
        ("not PEM", "MC4CAQAw".into()),
        (
            "encrypted",
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMC4=\n-----END ENCRYPTED PRIVATE KEY-----\n"
                .into(),
        ),
        (
            "public key PEM",
            "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n".into(),
        ),
        ("no END line", RFC8410_V1.replace("-----END PRIVATE KEY-----", "")),
        ("bad base64", RFC8410_V1.replace("MC4C", "MC4*")),
        ("X25519 OID", with(&|d| d[11] = 0x6e)),
        ("version 2", with(&|d| d[4] = 2)),
        ("trailing byte", with(&|d| d.push(0))),
        ("truncated", with(&|d| d.truncate(40))),
        ("31-byte seed", {
            let mut d = v1.clone();
            d.truncate(47);
            d[1] = 0x2d;
            d[13] = 0x21;
            d[15] = 0x1f;
            pem(&d)
        }),
        ("algorithm parameters", {
            // SEQUENCE { OID, NULL }
            let mut d = vec![0x30, 0x30, 0x02, 0x01, 0x00, 0x30, 0x07, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x05, 0x00];
            d.extend_from_slice(&v1[12..]);
            pem(&d)
        }),
        ("non-minimal length", {
            let mut d = vec![0x30, 0x81, 0x2e];
            d.extend_from_slice(&v1[2..]);
            pem(&d)
        }),
        ("v1 with a public key", {
            let mut d = der(OLD_KEYGEN_V2);
            d[4] = 0;
            pem(&d)
        }),
        ("two keys", format!("{RFC8410_V1}{RFC8410_V1}")),
    ];
    for (what, text) in cases {
        let e = signing_key_from_pem(&text).expect_err(what);
        assert_eq!(e.code(), ErrorCode::InvalidPem, "{what}: {e}");
        assert!(!e.to_string().is_empty());
    }
    let e = signing_key_from_pem(
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMC4=\n-----END ENCRYPTED PRIVATE KEY-----\n",
    )
    .unwrap_err();
    assert!(e.to_string().contains("encrypted"), "{e}");
}

#[test]
fn every_truncation_and_bit_flip_is_an_error_or_the_same_shape() {
    for text in [RFC8410_V1, RFC8410_V2, OLD_KEYGEN_V2] {
        let d = der(text);
        let want = signing_key_from_pem(text).unwrap().to_bytes();
        for n in 0..d.len() {
            assert!(signing_key_from_pem(&pem(&d[..n])).is_err(), "prefix {n}");
        }
        for i in 0..d.len() {
            for bit in 0..8 {
                let mut m = d.clone();
                m[i] ^= 1 << bit;
                // No panic. A flip outside the seed never yields another
                // key; a flip inside it yields that other seed in a v1 key
                // and a public key mismatch in a v2 key.
                if let Ok(k) = signing_key_from_pem(&pem(&m)) {
                    if k.to_bytes() != want {
                        let diff: Vec<usize> =
                            (0..32).filter(|&j| k.to_bytes()[j] != want[j]).collect();
                        assert_eq!(diff.len(), 1, "byte {i} bit {bit}");
                        assert_eq!(d[4], 0, "a v2 key with a changed seed was accepted");
                    }
                }
            }
        }
    }
}
