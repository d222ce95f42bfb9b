//! The attestation conformance protocol (`spec/attestation.md` §7): one JSON
//! request on an implementation's standard input, one JSON result line on
//! its standard output. [`respond`] is this crate's side; [`run_vectors`]
//! drives any implementation through `spec/vectors/attestation.json`.

use crate::verify::{AgentKeys, Verifier};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use passport::{FixedClock, Jwks, Policy, RevocationList};
use serde_json::{json, Value};

fn bad_request(message: impl Into<String>) -> Value {
    json!({ "valid": false, "error": "bad_request", "message": message.into() })
}

/// The passport policy of the request's issuer part (the passport
/// protocol's policy form, one parser for both).
fn policy_from(v: &Value) -> Result<Policy, String> {
    passport::conformance::policy_from_json(v).map_err(|e| format!("issuer: {e}"))
}

/// Answers one request:
/// `{"declaration_b64":…,"envelope":"<envelope JSON text>","agent_jwks":{…},"now":…,
///   "issuer":{"jwks":{…},"policy":{…}}?,"revocations":{…}?}`.
///
/// Result: `{"valid":true,"identity":…,"doc_hash":…,"agent_kid":…,"declared_at":…,
/// "tier":…?}` or `{"valid":false,"error":"<code>","message":…}` (with
/// `"passport_error"` for `passport_invalid`); `"error":"bad_request"` when
/// the request itself cannot be understood.
pub fn respond(req: &Value) -> Value {
    let setup = || -> Result<(Verifier, Vec<u8>, String), String> {
        let decl = req
            .get("declaration_b64")
            .and_then(Value::as_str)
            .ok_or("declaration_b64 (string) is required")?;
        let decl = STANDARD
            .decode(decl)
            .map_err(|e| format!("declaration_b64: {e}"))?;
        let envelope = req
            .get("envelope")
            .and_then(Value::as_str)
            .ok_or("envelope (string: the envelope's JSON text) is required")?
            .to_owned();
        let agents = req.get("agent_jwks").ok_or("agent_jwks is required")?;
        let agents = AgentKeys::from_json(&agents.to_string(), None)
            .map_err(|e| format!("agent_jwks: {e}"))?;
        let now = req
            .get("now")
            .and_then(Value::as_i64)
            .ok_or("now (integer seconds) is required")?;
        let mut v = Verifier::new(agents).with_clock(FixedClock(now));
        if let Some(iss) = req.get("issuer").filter(|i| !i.is_null()) {
            let jwks = Jwks::from_json_value(iss.get("jwks").ok_or("issuer.jwks is required")?)
                .map_err(|e| format!("issuer.jwks: {e}"))?;
            let policy = policy_from(iss.get("policy").ok_or("issuer.policy is required")?)?;
            v = v.with_issuer(policy, jwks);
        }
        if let Some(r) = req.get("revocations").filter(|r| !r.is_null()) {
            v = v.with_revocation(
                RevocationList::from_json_value(r).map_err(|e| format!("revocations: {e}"))?,
            );
        }
        Ok((v, decl, envelope))
    };
    let (verifier, decl, envelope) = match setup() {
        Ok(x) => x,
        Err(e) => return bad_request(e),
    };
    match verifier.verify(&decl, envelope.as_bytes()) {
        Ok(ok) => {
            let mut out = json!({
                "valid": true,
                "identity": ok.statement.identity.as_str(),
                "doc_hash": ok.statement.doc_hash.to_string(),
                "agent_kid": ok.agent_kid.as_str(),
                "declared_at": ok.statement.declared_at.as_str(),
            });
            if let (Some(p), Some(o)) = (&ok.passport, out.as_object_mut()) {
                o.insert("tier".into(), json!(p.claims.tier.as_str()));
            }
            out
        }
        Err(e) => {
            let mut out = json!({ "valid": false, "error": e.code(), "message": e.to_string() });
            if let (Some(p), Some(o)) = (e.passport_code(), out.as_object_mut()) {
                o.insert("passport_error".into(), json!(p));
            }
            out
        }
    }
}

/// The request for one vector: the vector's own `declaration` (a key of the
/// file's `declarations`), `envelope`, `agent_jwks`, `issuer`, `revocations`
/// and `now`, each falling back to the file's `defaults`.
pub fn request_for(file: &Value, vector: &Value) -> Value {
    let pick = |name: &str| {
        vector
            .get(name)
            .or_else(|| file.get("defaults").and_then(|d| d.get(name)))
            .cloned()
            .unwrap_or(Value::Null)
    };
    let decl_name = pick("declaration");
    let decl = decl_name
        .as_str()
        .and_then(|n| file.get("declarations")?.get(n)?.get("b64"))
        .cloned()
        .unwrap_or(Value::Null);
    let mut r = json!({
        "declaration_b64": decl,
        "envelope": pick("envelope"),
        "agent_jwks": pick("agent_jwks"),
        "now": pick("now"),
    });
    if let Some(o) = r.as_object_mut() {
        for name in ["issuer", "revocations"] {
            let v = pick(name);
            if !v.is_null() {
                o.insert(name.into(), v);
            }
        }
    }
    r
}

/// Compares a result with a vector's `expect`; `None` when they agree.
/// Valid: every member of `expect` must be in the result with that value.
/// Invalid: `error` must match, and `passport_error` when `expect` has it.
pub fn compare(expect: &Value, got: &Value) -> Option<String> {
    let want_valid = expect.get("valid").and_then(Value::as_bool);
    let got_valid = got.get("valid").and_then(Value::as_bool);
    if want_valid != got_valid || want_valid.is_none() {
        return Some(format!("expected valid={want_valid:?}, got {got}"));
    }
    let fields: Vec<&str> = if want_valid == Some(true) {
        expect
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default()
    } else {
        vec!["error", "passport_error"]
    };
    for f in fields {
        if let Some(w) = expect.get(f) {
            if got.get(f) != Some(w) {
                return Some(format!("{f}: expected {w}, got {got}"));
            }
        }
    }
    None
}

/// The outcome of one vector: the passport runner's type, shared.
pub use passport::conformance::VectorOutcome;

/// Runs every vector of `file` through [`respond`] (this crate), or through
/// `command` (program and arguments, one process per vector) when given.
pub fn run_vectors(file: &Value, command: Option<&[String]>) -> Result<Vec<VectorOutcome>, String> {
    let vectors = file
        .get("vectors")
        .and_then(Value::as_array)
        .ok_or("the vectors file has no vectors array")?;
    let mut out = Vec::with_capacity(vectors.len());
    for v in vectors {
        let id = v
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_owned();
        let req = request_for(file, v);
        let got = match command {
            None => Ok(respond(&req)),
            Some(cmd) => passport::conformance::call_engine(cmd, &req),
        };
        let failure = match got {
            Ok(got) => compare(v.get("expect").unwrap_or(&Value::Null), &got),
            Err(e) => Some(e),
        };
        out.push(VectorOutcome { id, failure });
    }
    Ok(out)
}
