"""Interop probe for Python `cryptography`, run by passport/tests/interop_tools.rs.

    python3 crypto_probe.py KEY.pem ISS AUD NOW KID

Loads the private key written by `aiid passport keygen` (RFC 8410 PKCS#8 v1),
prints one JSON object: the raw public key (base64url, to compare with the
JWKS `x`), the key re-serialized as PKCS#8 PEM, and a passport token signed
with EdDSA by `cryptography` (header and claims assembled here) for the Rust
verifier to check. Exits 77 when `cryptography` is not importable.
"""

import base64
import json
import sys

try:
    from cryptography.hazmat.primitives import serialization
except ImportError:
    print("cryptography is not importable", file=sys.stderr)
    sys.exit(77)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def main() -> None:
    key_path, iss, aud, now, kid = sys.argv[1:6]
    with open(key_path, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    public = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    now = int(now)
    header = {"alg": "EdDSA", "typ": "JWT", "kid": kid}
    claims = {
        "iss": iss,
        "sub": "aii_PYTHON1",
        "aud": aud,
        "iat": now,
        "exp": now + 600,
        "tier": "issued",
        "operator": "anon",
        "surfaces": [],
        "capabilities": ["interop"],
        "key_id": kid,
        "registry_url": iss + "/whois/aii_PYTHON1",
    }
    signing_input = (
        b64url(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + b64url(json.dumps(claims, separators=(",", ":")).encode())
    )
    token = signing_input + "." + b64url(key.sign(signing_input.encode("ascii")))
    print(json.dumps({"x": b64url(public), "pem": pem, "token": token}))


main()
