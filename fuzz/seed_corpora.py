#!/usr/bin/env python3
"""Regenerates the committed seed corpora of fuzz/corpus/ from the conformance
vectors (spec/vectors/scl-v1.json and spec/vectors/passport.json).

Standard library only. Run from anywhere: `python3 fuzz/seed_corpora.py`.
It deletes and rewrites fuzz/corpus/<target>/ for every target it knows, so
the committed corpora are always exactly what this script produces. The
corpora are kept small on purpose (a few hundred files, each under 4 KiB):
they are starting points, and the stable replay test runs all of them.
Grown corpora belong in fuzz/corpus-grown/ (git-ignored).
"""

import base64
import hashlib
import json
import shutil
from pathlib import Path

FUZZ = Path(__file__).resolve().parent
ROOT = FUZZ.parent
CORPUS = FUZZ / "corpus"
MAX_BYTES = 4096
PER_GROUP = 3  # SCL vectors kept per (section, outcome) group


def write(target, name, data):
    """Writes one seed file; names are readable and stable."""
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:80]
    (d / safe).write_bytes(data)


def scl_vectors():
    doc = json.loads((ROOT / "spec/vectors/scl-v1.json").read_text())
    return [v for v in doc["vectors"] if "large" not in v["flags"]
            and len(base64.b64decode(v["input_b64"])) <= MAX_BYTES]


def select_scl(vectors):
    """A few vectors per (section, outcome): every section and error code,
    every golden document, without hundreds of near-duplicates."""
    groups = {}
    chosen = []
    for v in vectors:
        e = v["expected"]
        key = (v["id"].split("-")[0], "valid" if e["valid"] else e["code"])
        if groups.get(key, 0) < PER_GROUP or "golden" in v["flags"]:
            groups[key] = groups.get(key, 0) + 1
            chosen.append(v)
    return chosen


def main():
    for target in ("scl_parse", "scl_differential", "scl_stream", "scl_roundtrip",
                   "canon_decode", "passport_verify", "jwks_parse", "attest_verify"):
        shutil.rmtree(CORPUS / target, ignore_errors=True)

    chosen = select_scl(scl_vectors())
    for i, v in enumerate(chosen):
        data = base64.b64decode(v["input_b64"])
        write("scl_parse", v["id"], data)
        write("scl_differential", v["id"], data)
        # First byte: the chunking (see fuzz_targets::scl_stream); cycle
        # through 1-byte, fixed and pseudo-random chunk sizes.
        write("scl_stream", v["id"], bytes([(i * 37) % 256]) + data)
        if v["expected"]["valid"]:
            write("canon_decode", v["id"], v["expected"]["canonical"].encode("utf-8"))
            # Structured target: the bytes are only raw material for
            # `arbitrary`, but document-shaped bytes give it useful strings.
            write("scl_roundtrip", v["id"], data)
    # A few hand-made roundtrip seeds with every kind of piece selector.
    for i in range(16):
        write("scl_roundtrip", f"selector-{i:02d}",
              bytes([1, i, 0, 0, 0, 1, 2, 0x41 + i, 0, 1]) + bytes(range(i, i + 24)))

    passport = json.loads((ROOT / "spec/vectors/passport.json").read_text())
    for v in passport["vectors"]:
        token = v.get("token")
        if isinstance(token, str) and len(token) <= MAX_BYTES:
            # Selector byte 0: "the rest is the token" (see passport_verify).
            write("passport_verify", v["id"], b"\x00" + token.encode("utf-8"))
    jwks = [passport["defaults"]["jwks"]]
    jwks += [{"keys": [k["public"]]} for k in passport["keys"].values() if "public" in k]
    jwks += [{"keys": []}, {"keys": [{"kty": "OKP", "crv": "Ed25519",
                                      "x": passport["keys"]["rfc8037"]["x"]}]}]
    for v in passport["vectors"]:
        if "jwks" in v:
            jwks.append(v["jwks"])
    seen = set()
    for j in jwks:
        data = json.dumps(j, separators=(",", ":")).encode("utf-8")
        digest = hashlib.sha256(data).hexdigest()[:12]
        if digest not in seen:
            seen.add(digest)
            write("jwks_parse", f"jwks-{digest}", data)

    attestation = json.loads((ROOT / "spec/vectors/attestation.json").read_text())
    for v in attestation["vectors"]:
        data = v["envelope"].encode("utf-8")
        if len(data) <= MAX_BYTES:
            write("attest_verify", v["id"], data)

    total = sum(1 for _ in CORPUS.rglob("*") if _.is_file())
    print(f"wrote {total} seed files under {CORPUS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
