#!/usr/bin/env python3
"""DSSE interop with securesystemslib (an independent DSSE implementation).

    verify ENVELOPE.json PUBLIC_KEY_HEX KEYID   exit 0 when securesystemslib
                                                accepts the envelope (and its
                                                payload is an in-toto Statement v1)
    sign SEED_HEX KEYID PAYLOAD_FILE            print an envelope signed by
                                                securesystemslib's CryptoSigner
"""

import json
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from securesystemslib.dsse import Envelope
from securesystemslib.exceptions import VerificationError
from securesystemslib.signer import CryptoSigner, SSlibKey

PAYLOAD_TYPE = "application/vnd.in-toto+json"


def verify(path: str, public_hex: str, keyid: str) -> int:
    with open(path, encoding="utf-8") as f:
        envelope = Envelope.from_dict(json.load(f))
    key = SSlibKey(keyid, "ed25519", "ed25519", {"public": public_hex})
    try:
        accepted = envelope.verify([key], 1)
    except VerificationError as e:
        print(f"rejected: {e}")
        return 1
    if envelope.payload_type != PAYLOAD_TYPE:
        print(f"rejected: payloadType {envelope.payload_type!r}")
        return 1
    statement = json.loads(envelope.payload)
    if statement.get("_type") != "https://in-toto.io/Statement/v1":
        print("rejected: not an in-toto Statement v1")
        return 1
    print(json.dumps({"accepted": sorted(accepted),
                      "subject": statement["subject"][0]["digest"]["sha256"],
                      "predicateType": statement["predicateType"],
                      "in_toto_attestation": check_statement(envelope.payload)}))
    return 0


def check_statement(payload: bytes) -> str:
    """Validates the payload with the in-toto project's own Statement v1
    bindings (protobuf JSON parsing + Statement.validate) when installed."""
    try:
        from google.protobuf import json_format
        from in_toto_attestation.v1 import statement as st
        from in_toto_attestation.v1 import statement_pb2
    except ImportError:
        return "not installed"
    pb = json_format.Parse(payload.decode("utf-8"), statement_pb2.Statement())
    st.Statement.copy_from_pb(pb).validate()
    return "validated"


def sign(seed_hex: str, keyid: str, payload_path: str) -> int:
    private = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed_hex))
    public = SSlibKey.from_crypto(private.public_key(), keyid=keyid)
    signer = CryptoSigner(private, public)
    with open(payload_path, "rb") as f:
        envelope = Envelope(f.read(), PAYLOAD_TYPE, {})
    envelope.sign(signer)
    print(json.dumps(envelope.to_dict()))
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "verify":
        sys.exit(verify(*sys.argv[2:]))
    if len(sys.argv) == 5 and sys.argv[1] == "sign":
        sys.exit(sign(*sys.argv[2:]))
    print(__doc__, file=sys.stderr)
    sys.exit(2)
