//! The passport conformance protocol (see `spec/passport.md`): one JSON
//! request on an implementation's standard input, one JSON result line on
//! its standard output. [`respond`] is this crate's side; [`run_vectors`]
//! drives any implementation through `spec/vectors/passport.json`.

use crate::error::ErrorCode;
use crate::keys::{Jwk, Jwks};
use crate::revocation::RevocationList;
use crate::types::Tier;
use crate::verify::{verify_jws, FixedClock, Policy, Verifier};
use serde_json::{json, Value};
use std::io::Write as _;
use std::process::{Command, Stdio};

fn invalid(code: ErrorCode, message: impl Into<String>) -> Value {
    json!({ "valid": false, "error": code, "message": message.into() })
}

/// The verification policy of a conformance request, from its JSON form
/// `{"issuers":[…],"audience":…,"leeway":…?,"min_tier":…?}` (defaults:
/// [`DEFAULT_LEEWAY_SECS`](crate::DEFAULT_LEEWAY_SECS), `issued`). Shared by
/// every protocol of this project that carries a passport policy.
pub fn policy_from_json(v: &Value) -> Result<Policy, String> {
    let issuers = v
        .get("issuers")
        .and_then(Value::as_array)
        .ok_or("policy.issuers (array of strings) is required")?
        .iter()
        .map(|i| i.as_str().map(str::to_owned).ok_or("issuers hold strings"))
        .collect::<Result<Vec<_>, _>>()?;
    let audience = v
        .get("audience")
        .and_then(Value::as_str)
        .ok_or("policy.audience (string) is required")?;
    let leeway = match v.get("leeway") {
        None => crate::verify::DEFAULT_LEEWAY_SECS,
        Some(l) => l
            .as_u64()
            .ok_or("policy.leeway is a non-negative integer")?,
    };
    let min_tier = match v.get("min_tier") {
        None => Tier::Issued,
        Some(t) => t
            .as_str()
            .and_then(|s| s.parse().ok())
            .ok_or("policy.min_tier is a tier name")?,
    };
    Ok(Policy::for_issuers(issuers, audience)
        .with_leeway(leeway)
        .with_min_tier(min_tier))
}

/// Answers one conformance request (the implementation side of the protocol).
///
/// Passport layer: `{"layer":"passport","token":…,"jwks":{…},"policy":{…},"now":…,"revocations":{…}?}`.
/// Signature layer: `{"layer":"signature","token":…,"jwk":{…}}`.
/// Result: `{"valid":true,"claims":{…}}` (passport), `{"valid":true,"payload_b64":…}`
/// (signature), or `{"valid":false,"error":"<code>","message":…}`. A request
/// this implementation cannot understand gets `"error":"bad_request"`.
pub fn respond(req: &Value) -> Value {
    let token = match req.get("token").and_then(Value::as_str) {
        Some(t) => t,
        None => return invalid(ErrorCode::BadRequest, "token (string) is required"),
    };
    match req
        .get("layer")
        .and_then(Value::as_str)
        .unwrap_or("passport")
    {
        "signature" => {
            let jwk = match req.get("jwk").and_then(Value::as_object) {
                Some(m) => m,
                None => return invalid(ErrorCode::BadRequest, "jwk (object) is required"),
            };
            // The signature layer takes a JWK without kid (RFC 8037 A.2).
            let mut m = jwk.clone();
            m.entry("kid").or_insert_with(|| json!("unnamed"));
            let key = match Jwk::from_json_object(&m) {
                Ok(k) => k,
                Err(e) => return invalid(e.code(), e.to_string()),
            };
            match verify_jws(token, &key.key) {
                Ok(payload) => json!({
                    "valid": true,
                    "payload_b64": crate::strict::b64url_encode(&payload),
                }),
                Err(e) => invalid(e.code(), e.to_string()),
            }
        }
        "passport" => {
            let jwks = match req.get("jwks").map(Jwks::from_json_value) {
                Some(Ok(j)) => j,
                Some(Err(e)) => return invalid(e.code(), e.to_string()),
                None => return invalid(ErrorCode::BadRequest, "jwks is required"),
            };
            let policy = match req.get("policy").map(policy_from_json) {
                Some(Ok(p)) => p,
                Some(Err(e)) => return invalid(ErrorCode::BadRequest, e),
                None => return invalid(ErrorCode::BadRequest, "policy is required"),
            };
            let now = match req.get("now").and_then(Value::as_i64) {
                Some(n) => n,
                None => return invalid(ErrorCode::BadRequest, "now (integer seconds) is required"),
            };
            let mut verifier = Verifier::new(policy, jwks).with_clock(FixedClock(now));
            match req.get("revocations") {
                None | Some(Value::Null) => {}
                Some(r) => match RevocationList::from_json_value(r) {
                    Ok(mut list) => {
                        list.max_age_secs = r.get("max_age").and_then(Value::as_u64);
                        verifier = verifier.with_revocation(list);
                    }
                    Err(e) => return invalid(ErrorCode::BadRequest, e),
                },
            }
            match verifier.verify(token) {
                Ok(v) => json!({ "valid": true, "claims": Value::Object(v.raw_claims()) }),
                Err(e) => {
                    let mut out = invalid(e.code(), e.to_string());
                    if let (Some(c), Some(o)) = (e.claim(), out.as_object_mut()) {
                        o.insert("claim".into(), json!(c));
                    }
                    out
                }
            }
        }
        other => invalid(ErrorCode::BadRequest, format!("unknown layer {other:?}")),
    }
}

/// The request sent to an implementation for one vector: the vector's own
/// `jwks`, `policy`, `now` and `revocations`, or else the file's defaults.
pub fn request_for(file: &Value, vector: &Value) -> Value {
    let pick = |name: &str| {
        vector
            .get(name)
            .or_else(|| file.get("defaults").and_then(|d| d.get(name)))
            .cloned()
            .unwrap_or(Value::Null)
    };
    let layer = vector
        .get("layer")
        .and_then(Value::as_str)
        .unwrap_or("passport");
    if layer == "signature" {
        json!({ "layer": "signature", "token": pick("token"), "jwk": pick("jwk") })
    } else {
        let mut r = json!({
            "layer": "passport",
            "token": pick("token"),
            "jwks": pick("jwks"),
            "policy": pick("policy"),
            "now": pick("now"),
        });
        let rev = pick("revocations");
        if let (false, Some(o)) = (rev.is_null(), r.as_object_mut()) {
            o.insert("revocations".into(), rev);
        }
        r
    }
}

/// Compares an implementation's result with a vector's `expect`. Returns a
/// description of the difference, or `None` when they agree.
pub fn compare(expect: &Value, got: &Value) -> Option<String> {
    let want_valid = expect.get("valid").and_then(Value::as_bool);
    let got_valid = got.get("valid").and_then(Value::as_bool);
    if want_valid != got_valid || want_valid.is_none() {
        return Some(format!("expected valid={want_valid:?}, got {got}"));
    }
    if want_valid == Some(true) {
        for field in ["claims", "payload_b64"] {
            if let Some(w) = expect.get(field) {
                if got.get(field) != Some(w) {
                    return Some(format!("{field} differ: expected {w}, got {got}"));
                }
            }
        }
        None
    } else {
        let w = expect.get("error");
        if got.get("error") != w {
            return Some(format!(
                "expected error {}, got {}",
                w.unwrap_or(&Value::Null),
                got
            ));
        }
        // `claim` is optional in results; when both name one, they must agree.
        if let (Some(w), Some(g)) = (expect.get("claim"), got.get("claim")) {
            if w != g {
                return Some(format!("expected claim {w}, got {got}"));
            }
        }
        None
    }
}

/// The outcome of one vector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VectorOutcome {
    /// The vector id.
    pub id: String,
    /// `None` when it passed, otherwise why not.
    pub failure: Option<String>,
}

/// Runs every vector of `file` (the parsed `spec/vectors/passport.json`)
/// through `command` (program and arguments), one process per vector.
pub fn run_vectors(file: &Value, command: &[String]) -> Result<Vec<VectorOutcome>, String> {
    if command.is_empty() {
        return Err("no implementation command".into());
    }
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
        let failure = match call_engine(command, &req) {
            Ok(got) => compare(v.get("expect").unwrap_or(&Value::Null), &got),
            Err(e) => Some(e),
        };
        out.push(VectorOutcome { id, failure });
    }
    Ok(out)
}

/// Starts `command` (program and arguments), writes `req` as one JSON line
/// to its standard input, and reads the first non-empty line of its standard
/// output as JSON: one request of the line protocol of this module (and of
/// aiid-attest's, which uses it too). Its standard error passes through.
pub fn call_engine(command: &[String], req: &Value) -> Result<Value, String> {
    let (prog, args) = command.split_first().ok_or("no implementation command")?;
    let mut child = Command::new(prog)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start {prog}: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        let mut line = req.to_string();
        line.push('\n');
        stdin
            .write_all(line.as_bytes())
            .map_err(|e| format!("writing the request: {e}"))?;
    }
    let output = child
        .wait_with_output()
        .map_err(|e| format!("waiting for {prog}: {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .ok_or_else(|| format!("no result line (exit status {})", output.status))?;
    serde_json::from_str(line).map_err(|e| format!("result is not JSON ({e}): {line}"))
}
