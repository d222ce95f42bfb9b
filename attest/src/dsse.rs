//! DSSE v1.0: the pre-authentication encoding and the JSON envelope.
//!
//! See <https://github.com/secure-systems-lab/dsse> (`protocol.md`,
//! `envelope.md`). This module is generic DSSE: it knows nothing about
//! in-toto or run declarations.

use crate::error::{AttestError, Layer};
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use passport::{parse_value, JsonError};
use serde_json::Value;

/// The size cap on an envelope, checked before any parsing: 64 KiB.
pub const MAX_ENVELOPE_BYTES: usize = 64 * 1024;

/// The most signatures a verifier tries in one envelope.
pub const MAX_SIGNATURES: usize = 16;

/// `PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`,
/// where `LEN` is the ASCII decimal byte length without leading zeros
/// (DSSE `protocol.md`).
///
/// ```
/// assert_eq!(
///     aiid_attest::dsse::pae("http://example.com/HelloWorld", b"hello world"),
///     b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
/// );
/// ```
pub fn pae(payload_type: &str, body: &[u8]) -> Vec<u8> {
    let t = payload_type.as_bytes();
    let lt = t.len().to_string();
    let lb = body.len().to_string();
    let mut out = Vec::with_capacity(10 + lt.len() + t.len() + lb.len() + body.len());
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(lt.as_bytes());
    out.push(b' ');
    out.extend_from_slice(t);
    out.push(b' ');
    out.extend_from_slice(lb.as_bytes());
    out.push(b' ');
    out.extend_from_slice(body);
    out
}

/// Encodes as DSSE producers in this crate do: standard alphabet, with padding.
pub fn b64_encode(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Decodes base64 as DSSE verifiers must: the standard or the URL-safe
/// alphabet (one of them, not both in one string), padding optional but
/// correct when present, no whitespace, and unused trailing bits zero (so a
/// byte string has one encoding per alphabet and padding choice).
pub fn b64_decode(s: &str) -> Option<Vec<u8>> {
    let body = s.trim_end_matches('=');
    let pad = s.len() - body.len();
    if pad > 2 || (pad > 0 && !s.len().is_multiple_of(4)) {
        return None;
    }
    if body.len() % 4 == 1 {
        return None;
    }
    let mut standard = false;
    let mut url = false;
    for b in body.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => {}
            b'+' | b'/' => standard = true,
            b'-' | b'_' => url = true,
            _ => return None,
        }
    }
    if standard && url {
        return None;
    }
    if url {
        URL_SAFE_NO_PAD.decode(body).ok()
    } else {
        STANDARD_NO_PAD.decode(body).ok()
    }
}

/// One signature of an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// The `keyid` hint; empty when unset (DSSE: unset and empty are the same).
    /// Unauthenticated: it only narrows which keys are tried.
    pub keyid: String,
    /// The signature bytes (64 for Ed25519; other lengths never verify).
    pub sig: Vec<u8>,
}

/// A DSSE JSON envelope, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// `payloadType`.
    pub payload_type: String,
    /// The decoded payload (SERIALIZED_BODY).
    pub payload: Vec<u8>,
    /// The signatures, in envelope order.
    pub signatures: Vec<Signature>,
}

fn malformed(msg: impl Into<String>) -> AttestError {
    AttestError::MalformedEnvelope(msg.into())
}

impl Envelope {
    /// The bytes that are signed: `PAE(payloadType, payload)`.
    pub fn pae(&self) -> Vec<u8> {
        pae(&self.payload_type, &self.payload)
    }

    /// Parses an envelope: size cap, strict JSON (no duplicate member names
    /// at any depth), `payload` and `payloadType` strings, `signatures` an
    /// array of objects with a `sig` string and an optional `keyid` string.
    /// Unknown members are ignored, as DSSE requires. An empty `signatures`
    /// array parses (the verifier rejects it).
    pub fn from_json(bytes: &[u8]) -> Result<Envelope, AttestError> {
        if bytes.len() > MAX_ENVELOPE_BYTES {
            return Err(AttestError::TooLarge {
                len: bytes.len(),
                max: MAX_ENVELOPE_BYTES,
            });
        }
        let m = match parse_value(bytes) {
            Ok(Value::Object(m)) => m,
            Ok(_) => {
                return Err(AttestError::MalformedJson {
                    layer: Layer::Envelope,
                    reason: "not a JSON object".into(),
                })
            }
            Err(e) => return Err(json_error(Layer::Envelope, e)),
        };
        let payload = match m.get("payload") {
            Some(Value::String(s)) => b64_decode(s).ok_or(AttestError::InvalidBase64("payload"))?,
            Some(_) => return Err(malformed("payload must be a string")),
            None => return Err(malformed("payload is required")),
        };
        let payload_type = match m.get("payloadType") {
            Some(Value::String(s)) => s.clone(),
            Some(_) => return Err(malformed("payloadType must be a string")),
            None => return Err(malformed("payloadType is required")),
        };
        let sigs = match m.get("signatures") {
            Some(Value::Array(a)) => a,
            Some(_) => return Err(malformed("signatures must be an array")),
            None => return Err(malformed("signatures is required")),
        };
        let mut signatures = Vec::with_capacity(sigs.len().min(MAX_SIGNATURES));
        for (i, s) in sigs.iter().enumerate() {
            let o = s
                .as_object()
                .ok_or_else(|| malformed(format!("signatures[{i}] must be an object")))?;
            let sig = match o.get("sig") {
                Some(Value::String(s)) => {
                    b64_decode(s).ok_or(AttestError::InvalidBase64("signatures[].sig"))?
                }
                Some(_) => return Err(malformed(format!("signatures[{i}].sig must be a string"))),
                None => return Err(malformed(format!("signatures[{i}].sig is required"))),
            };
            let keyid = match o.get("keyid") {
                None => String::new(),
                Some(Value::String(k)) => k.clone(),
                Some(_) => {
                    return Err(malformed(format!("signatures[{i}].keyid must be a string")))
                }
            };
            signatures.push(Signature { keyid, sig });
        }
        Ok(Envelope {
            payload_type,
            payload,
            signatures,
        })
    }

    /// The envelope as JSON text (one line, members `payload`,
    /// `payloadType`, `signatures`; each signature `keyid` (omitted when
    /// empty) then `sig`; base64 standard with padding).
    pub fn to_json(&self) -> String {
        let sigs: Vec<String> = self
            .signatures
            .iter()
            .map(|s| {
                if s.keyid.is_empty() {
                    format!(r#"{{"sig":"{}"}}"#, b64_encode(&s.sig))
                } else {
                    format!(
                        r#"{{"keyid":{},"sig":"{}"}}"#,
                        json_string(&s.keyid),
                        b64_encode(&s.sig)
                    )
                }
            })
            .collect();
        format!(
            r#"{{"payload":"{}","payloadType":{},"signatures":[{}]}}"#,
            b64_encode(&self.payload),
            json_string(&self.payload_type),
            sigs.join(",")
        )
    }
}

/// A JSON string literal (serde_json's escaping).
pub(crate) fn json_string(s: &str) -> String {
    Value::String(s.to_owned()).to_string()
}

pub(crate) fn json_error(layer: Layer, e: JsonError) -> AttestError {
    match e {
        JsonError::Duplicate(name) => AttestError::DuplicateMember { layer, name },
        JsonError::NotObject => AttestError::MalformedJson {
            layer,
            reason: "not a JSON object".into(),
        },
        JsonError::Syntax(cause) => AttestError::MalformedJson {
            layer,
            reason: cause.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_dsse_example_and_edge_cases() {
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ");
        // Lengths count bytes, not characters.
        assert_eq!(pae("é", b"\xff"), b"DSSEv1 2 \xc3\xa9 1 \xff");
    }

    #[test]
    fn base64_accepts_both_alphabets_strictly() {
        assert_eq!(b64_decode("+/8=").as_deref(), Some(&[0xfb, 0xff][..]));
        assert_eq!(b64_decode("+/8").as_deref(), Some(&[0xfb, 0xff][..]));
        assert_eq!(b64_decode("-_8").as_deref(), Some(&[0xfb, 0xff][..]));
        assert_eq!(b64_decode("-_8=").as_deref(), Some(&[0xfb, 0xff][..]));
        assert_eq!(b64_decode("YQ==").as_deref(), Some(&b"a"[..]));
        assert_eq!(b64_decode(""), Some(Vec::new()));
        assert_eq!(b64_decode("+_8="), None, "mixed alphabets");
        assert_eq!(b64_decode("YR=="), None, "non-zero trailing bits");
        assert_eq!(b64_decode("YQ="), None, "wrong padding");
        assert_eq!(b64_decode("YQ==="), None, "too much padding");
        assert_eq!(b64_decode("Y Q=="), None, "whitespace");
        assert_eq!(b64_decode("Y"), None, "impossible length");
        assert_eq!(b64_decode("=YQ="), None, "padding inside");
    }

    #[test]
    fn envelope_round_trip_and_strictness() {
        let env = Envelope {
            payload_type: "application/vnd.in-toto+json".into(),
            payload: b"{}".to_vec(),
            signatures: vec![Signature {
                keyid: "k1".into(),
                sig: vec![1; 64],
            }],
        };
        let text = env.to_json();
        assert_eq!(Envelope::from_json(text.as_bytes()), Ok(env));
        let dup = br#"{"payload":"e30=","payload":"e30=","payloadType":"x","signatures":[]}"#;
        assert_eq!(
            Envelope::from_json(dup).unwrap_err().code(),
            "duplicate_member"
        );
        let nested = br#"{"payload":"e30=","payloadType":"x","signatures":[{"sig":"","sig":""}]}"#;
        assert_eq!(
            Envelope::from_json(nested).unwrap_err().code(),
            "duplicate_member"
        );
        let unknown =
            br#"{"payload":"e30=","payloadType":"x","signatures":[{"sig":"AA=="}],"extra":1}"#;
        let e = Envelope::from_json(unknown).unwrap();
        assert_eq!(e.signatures[0].keyid, "");
        for (input, code) in [
            (&b"[]"[..], "malformed_json"),
            (b"{", "malformed_json"),
            (
                br#"{"payloadType":"x","signatures":[]}"#,
                "malformed_envelope",
            ),
            (
                br#"{"payload":1,"payloadType":"x","signatures":[]}"#,
                "malformed_envelope",
            ),
            (
                br#"{"payload":"%%","payloadType":"x","signatures":[]}"#,
                "invalid_base64",
            ),
            (br#"{"payload":"","signatures":[]}"#, "malformed_envelope"),
            (br#"{"payload":"","payloadType":"x"}"#, "malformed_envelope"),
            (
                br#"{"payload":"","payloadType":"x","signatures":[{}]}"#,
                "malformed_envelope",
            ),
            (
                br#"{"payload":"","payloadType":"x","signatures":[{"sig":"A"}]}"#,
                "invalid_base64",
            ),
            (
                br#"{"payload":"","payloadType":"x","signatures":[{"sig":"","keyid":7}]}"#,
                "malformed_envelope",
            ),
        ] {
            assert_eq!(
                Envelope::from_json(input).unwrap_err().code(),
                code,
                "{}",
                String::from_utf8_lossy(input)
            );
        }
        let big = vec![b' '; MAX_ENVELOPE_BYTES + 1];
        assert_eq!(Envelope::from_json(&big).unwrap_err().code(), "too_large");
    }
}
