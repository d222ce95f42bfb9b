#!/usr/bin/env python3
"""Independent run-attestation verifier (Python 3.11 + ``cryptography``).

Written from ``spec/attestation.md`` and the DSSE / in-toto texts, not from
the Rust crate: the PAE, the strict base64 and JSON rules, the check order
and the passport checks are re-implemented here by hand.  The run identity
(doc_hash) comes from the project's independent Python SCL:V1 engine
(``conformance/engines/python/scl_engine.py``).

Protocol (``spec/attestation.md`` section 7): one JSON request on standard
input, one JSON result line on standard output.  ``--check FILE`` instead
runs every vector of FILE and prints a summary (exit 1 on any mismatch).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "conformance", "engines", "python"))

import scl_engine  # noqa: E402

try:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
except ImportError:  # pragma: no cover
    print(json.dumps({"valid": False, "error": "bad_request",
                      "message": "python package 'cryptography' is not installed"}))
    sys.exit(3)

PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://aiidentity.org/attestation/run-declaration/v1"
MAX_ENVELOPE = 64 * 1024
MAX_SIGNATURES = 16
MAX_TOKEN = 8 * 1024
TIERS = ["issued", "identity_verified", "creator_verified", "business_verified"]
# The order L of the Ed25519 base point.
L = 2**252 + 27742317777372353535851937790883648493


class Invalid(Exception):
    def __init__(self, code: str, passport_error: str | None = None):
        super().__init__(code)
        self.code = code
        self.passport_error = passport_error


# ---------------------------------------------------------------- encodings

def pae(payload_type: bytes, body: bytes) -> bytes:
    """DSSE protocol.md: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body."""
    return b"".join([b"DSSEv1 ", str(len(payload_type)).encode(), b" ", payload_type,
                     b" ", str(len(body)).encode(), b" ", body])


def b64_dsse(s: str) -> bytes:
    """Standard or URL-safe alphabet (not mixed), optional but correct padding,
    zero unused bits."""
    body = s.rstrip("=")
    pad = len(s) - len(body)
    if pad > 2 or (pad and len(s) % 4) or len(body) % 4 == 1:
        raise ValueError
    std = re.search(r"[+/]", body) is not None
    url = re.search(r"[-_]", body) is not None
    if std and url or re.fullmatch(r"[A-Za-z0-9+/_-]*", body) is None:
        raise ValueError
    if url:
        body = body.replace("-", "+").replace("_", "/")
    padded = body + "=" * (-len(body) % 4)
    out = base64.b64decode(padded, validate=True)
    if base64.b64encode(out).decode().rstrip("=") != body:
        raise ValueError  # non-zero unused bits
    return out


def b64url_jws(s: str) -> bytes:
    if re.fullmatch(r"[A-Za-z0-9_-]*", s) is None or len(s) % 4 == 1:
        raise ValueError
    out = base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
    if base64.urlsafe_b64encode(out).decode().rstrip("=") != s:
        raise ValueError
    return out


def strict_json(data: bytes):
    """JSON with duplicate member names (at any depth) rejected."""
    def hook(pairs):
        seen = {}
        for k, v in pairs:
            if k in seen:
                raise DuplicateMember(k)
            seen[k] = v
        return seen

    def no_constant(name):
        raise ValueError(name)

    return json.loads(data.decode("utf-8"), object_pairs_hook=hook, parse_constant=no_constant)


class DuplicateMember(Exception):
    pass


def parse_json(data: bytes):
    try:
        return strict_json(data)
    except DuplicateMember:
        raise Invalid("duplicate_member")
    except (ValueError, UnicodeDecodeError):
        raise Invalid("malformed_json")


def ed25519_ok(public: bytes, msg: bytes, sig: bytes) -> bool:
    if len(sig) != 64 or int.from_bytes(sig[32:], "little") >= L:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(sig, msg)
        return True
    except (InvalidSignature, ValueError):
        return False


def utc_seconds(s: str) -> int | None:
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?Z", s)
    if not m:
        return None
    y, mo, d, h, mi, se = (int(x) for x in m.groups()[:6])
    import calendar
    import datetime
    if not 1 <= mo <= 12 or not 1 <= d <= calendar.monthrange(y, mo)[1]:
        return None
    if h > 23 or mi > 59 or se > 59 or y < 1970:
        return None
    return int(datetime.datetime(y, mo, d, h, mi, se, tzinfo=datetime.timezone.utc).timestamp())


def identity_ok(s: str) -> bool:
    return re.fullmatch(r"aii_[A-Za-z0-9]{1,64}", s) is not None


def jwks_keys(jwks) -> dict[str, bytes]:
    out = {}
    for k in jwks.get("keys", []):
        if k.get("kty") == "OKP" and k.get("crv") == "Ed25519":
            out[k["kid"]] = b64url_jws(k["x"])
    return out


# ---------------------------------------------------------------- passport

def check_passport(token: str, issuer: dict, now: int, revocations) -> dict:
    def bad(code):
        return Invalid("passport_invalid", code)
    if len(token) > MAX_TOKEN:
        raise bad("token_too_large")
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        raise bad("malformed_token")
    try:
        header = strict_json(b64url_jws(parts[0]))
    except DuplicateMember:
        raise bad("duplicate_member")
    except ValueError:
        raise bad("malformed_header")
    if header.get("alg") != "EdDSA":
        raise bad("unsupported_algorithm")
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise bad("missing_kid")
    keys = jwks_keys(issuer["jwks"])
    if kid not in keys:
        raise bad("unknown_key")
    try:
        sig = b64url_jws(parts[2])
    except ValueError:
        raise bad("invalid_base64")
    if not ed25519_ok(keys[kid], (parts[0] + "." + parts[1]).encode(), sig):
        raise bad("bad_signature")
    claims = strict_json(b64url_jws(parts[1]))
    policy = issuer["policy"]
    leeway = policy.get("leeway", 60)
    if claims.get("key_id") != kid:
        raise bad("kid_mismatch")
    if claims.get("iss") not in policy["issuers"]:
        raise bad("wrong_issuer")
    aud = claims.get("aud")
    if not (aud == policy["audience"] or isinstance(aud, list) and policy["audience"] in aud):
        raise bad("wrong_audience")
    if now >= claims["exp"] + leeway:
        raise bad("expired")
    if "nbf" in claims and now + leeway < claims["nbf"]:
        raise bad("not_yet_valid")
    if claims["iat"] > now + leeway:
        raise bad("issued_in_future")
    if TIERS.index(claims["tier"]) < TIERS.index(policy.get("min_tier", "issued")):
        raise bad("tier_too_low")
    if revocations:
        token_hash = hashlib.sha256(token.encode()).hexdigest()
        if (claims["sub"] in revocations.get("identities", [])
                or claims["key_id"] in revocations.get("keys", [])
                or claims.get("jti") in revocations.get("passports", [])
                or token_hash in [p.lower() for p in revocations.get("passports", [])]):
            raise bad("revoked")
    return claims


# ---------------------------------------------------------------- attestation

def verify(declaration: bytes, envelope_text: str, agent_jwks: dict, now: int,
           issuer: dict | None, revocations: dict | None) -> dict:
    raw = envelope_text.encode("utf-8")
    if len(raw) > MAX_ENVELOPE:
        raise Invalid("too_large")
    env = parse_json(raw)
    if not isinstance(env, dict):
        raise Invalid("malformed_json")
    # Field order of spec/attestation.md section 4.
    if not isinstance(env.get("payload"), str):
        raise Invalid("malformed_envelope")
    try:
        payload = b64_dsse(env["payload"])
    except (ValueError, binascii.Error):
        raise Invalid("invalid_base64")
    if not isinstance(env.get("payloadType"), str):
        raise Invalid("malformed_envelope")
    if not isinstance(env.get("signatures"), list):
        raise Invalid("malformed_envelope")
    sigs = []
    for s in env["signatures"]:
        if not isinstance(s, dict) or not isinstance(s.get("sig"), str):
            raise Invalid("malformed_envelope")
        try:
            sig = b64_dsse(s["sig"])
        except (ValueError, binascii.Error):
            raise Invalid("invalid_base64")
        keyid = s.get("keyid", "")
        if not isinstance(keyid, str):
            raise Invalid("malformed_envelope")
        sigs.append((keyid, sig))
    if env["payloadType"] != PAYLOAD_TYPE:
        raise Invalid("wrong_payload_type")
    if not sigs:
        raise Invalid("no_signatures")
    if len(sigs) > MAX_SIGNATURES:
        raise Invalid("too_many_signatures")

    st = parse_json(payload)
    if not isinstance(st, dict):
        raise Invalid("malformed_json")
    if not isinstance(st.get("_type"), str) or not isinstance(st.get("subject"), list) \
            or not isinstance(st.get("predicateType"), str) or not isinstance(st.get("predicate"), dict):
        raise Invalid("malformed_statement")
    if st["_type"] != STATEMENT_TYPE:
        raise Invalid("wrong_statement_type")
    if st["predicateType"] != PREDICATE_TYPE:
        raise Invalid("wrong_predicate_type")
    if len(st["subject"]) != 1:
        raise Invalid("bad_subject")
    subj = st["subject"][0]
    digest = subj.get("digest") if isinstance(subj, dict) else None
    if not isinstance(digest, dict):
        raise Invalid("bad_subject")
    sha = digest.get("sha256")
    if not isinstance(sha, str) or re.fullmatch(r"[0-9a-f]{64}", sha) is None:
        raise Invalid("bad_subject")
    pred = st["predicate"]
    if not isinstance(pred.get("identity"), str):
        raise Invalid("malformed_statement")
    identity = pred["identity"]
    if not identity_ok(identity):
        raise Invalid("invalid_identity")
    if "declared_at" not in pred:
        raise Invalid("malformed_statement")
    declared = pred["declared_at"]
    declared_unix = utc_seconds(declared) if isinstance(declared, str) else None
    if declared_unix is None:
        raise Invalid("invalid_declared_at")
    passport = pred.get("passport")
    if "passport" in pred and not isinstance(passport, str):
        raise Invalid("invalid_passport_field")

    if agent_jwks.get("identity") != identity:
        raise Invalid("unknown_identity")
    keys = jwks_keys(agent_jwks)
    message = pae(env["payloadType"].encode("utf-8"), payload)
    tried = False
    agent_kid = None
    for keyid, sig in sigs:
        candidates = list(keys) if keyid == "" else [keyid] if keyid in keys else []
        for kid in candidates:
            tried = True
            if ed25519_ok(keys[kid], message, sig):
                agent_kid = kid
                break
        if agent_kid:
            break
    if not tried:
        raise Invalid("no_matching_key")
    if agent_kid is None:
        raise Invalid("bad_signature")

    ast = scl_engine.parse(declaration)
    if scl_engine.doc_hash(ast) != sha:
        raise Invalid("subject_mismatch")
    if declared_unix > now + 60:
        raise Invalid("declared_in_future")
    tier = None
    if passport is not None:
        if not issuer:
            raise Invalid("passport_not_checkable")
        claims = check_passport(passport, issuer, now, revocations)
        if claims["sub"] != identity:
            raise Invalid("passport_subject_mismatch")
        tier = claims["tier"]
    if revocations:
        if identity in revocations.get("identities", []) or agent_kid in revocations.get("keys", []) \
                or hashlib.sha256(payload).hexdigest() in [p.lower() for p in revocations.get("passports", [])]:
            raise Invalid("revoked")
    out = {"valid": True, "identity": identity, "doc_hash": sha, "agent_kid": agent_kid,
           "declared_at": declared}
    if tier is not None:
        out["tier"] = tier
    return out


def respond(req: dict) -> dict:
    try:
        declaration = base64.b64decode(req["declaration_b64"], validate=True)
        args = (declaration, req["envelope"], req["agent_jwks"], int(req["now"]),
                req.get("issuer"), req.get("revocations"))
    except (KeyError, TypeError, ValueError, binascii.Error) as e:
        return {"valid": False, "error": "bad_request", "message": repr(e)}
    try:
        return verify(*args)
    except Invalid as e:
        out = {"valid": False, "error": e.code}
        if e.passport_error:
            out["passport_error"] = e.passport_error
        return out


def request_for(file: dict, vector: dict) -> dict:
    def pick(name):
        return vector[name] if name in vector else file.get("defaults", {}).get(name)
    req = {"declaration_b64": file["declarations"][pick("declaration")]["b64"],
           "envelope": pick("envelope"), "agent_jwks": pick("agent_jwks"), "now": pick("now")}
    for name in ("issuer", "revocations"):
        if pick(name) is not None:
            req[name] = pick(name)
    return req


def check_file(path: str) -> int:
    with open(path, encoding="utf-8") as f:
        file = json.load(f)
    failures = 0
    for v in file["vectors"]:
        got = respond(request_for(file, v))
        want = v["expect"]
        keys = list(want) if want.get("valid") else ["valid", "error", "passport_error"]
        diff = [k for k in keys if k in want and got.get(k) != want[k]]
        if diff:
            failures += 1
            print(f"FAIL {v['id']}: expected {want}, got {got}")
    print(f"attest_engine.py: {len(file['vectors']) - failures} of {len(file['vectors'])} vectors agree")
    return 1 if failures else 0


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[1] == "--check":
        return check_file(argv[2])
    try:
        req = json.loads(sys.stdin.read())
    except ValueError as e:
        print(json.dumps({"valid": False, "error": "bad_request", "message": str(e)}))
        return 2
    out = respond(req)
    print(json.dumps(out))
    return 0 if out.get("valid") else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
