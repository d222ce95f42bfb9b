#!/usr/bin/env python3
"""Generate spec/vectors/scl-v1.json, the language-neutral SCL:V1 conformance vectors.

Every vector below is DECLARED by hand: its input bytes are built explicitly
from literal pieces, and its expected result is written from the rules in
shared/scl-v1.md and spec/DECISIONS.md, not obtained by running any parser.

* Invalid input: `err(..., before, after, code)` means "the input is
  before + after and the error is at the first byte of `after`", so the
  offset is len(before).  `eof(..., data, code)` means "the error is at
  EOF", so the offset is len(data).  Truncation tables list, for each piece
  of a valid document, the code that a premature end inside that piece
  gives (the EOF code of the section being parsed).
* Valid input: the expected handles (id, tags) and content are written out;
  this script then builds the AST of scl-v1.md section 4, serialises it with
  its own minimal canonical-JSON writer (below) and hashes it with hashlib.

The script asserts that its serializer reproduces the published canonical
JSON and sha256 of the three public golden documents.

Standard library only (Python 3.11).  Deterministic: same output every run.
Run from the repository root:  python3 spec/vectors/tools/make_scl_vectors.py
"""

import base64
import hashlib
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_PATH = os.path.join(os.path.dirname(HERE), "scl-v1.json")
GENERATED_BY = "spec/vectors/tools/make_scl_vectors.py"

# ---------------------------------------------------------------------------
# Canonical JSON (scl-v1.md section 4), written independently of any engine.
# ---------------------------------------------------------------------------

# R11: hex digits of \u00XX escapes are lowercase.  The one place they live.
HEX_DIGITS = "0123456789abcdef"


def canon_string(s):
    """Minimal escaping: `"` -> \\", `\\` -> \\\\, U+0000..U+001F -> \\u00xx.
    Everything else (U+007F, C1 controls, U+2028, non-ASCII, `/`) is raw."""
    out = ['"']
    for ch in s:
        cp = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif cp < 0x20:
            out.append("\\u00" + HEX_DIGITS[cp >> 4] + HEX_DIGITS[cp & 0xF])
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def canon_value(v):
    """Only objects, arrays and strings; keys sorted by raw UTF-8 bytes."""
    if isinstance(v, str):
        return canon_string(v)
    if isinstance(v, list):
        return "[" + ",".join(canon_value(x) for x in v) + "]"
    if isinstance(v, dict):
        keys = sorted(v.keys(), key=lambda k: k.encode("utf-8"))
        return "{" + ",".join(canon_string(k) + ":" + canon_value(v[k]) for k in keys) + "}"
    raise TypeError("canonical JSON has only objects, arrays and strings: %r" % (v,))


def build_ast(handles, content):
    return {
        "type": "Document",
        "version": "SCL:V1",
        "handles": [{"type": "Handle", "id": hid, "tags": list(tags)} for hid, tags in handles],
        "scl": {"type": "SclBlock", "content": content, "hints": [], "refs": []},
    }


ID_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def check_expected_ast(handles, content):
    """Sanity checks on a hand-written expectation (not a parser): the AST
    must be one that some SCL:V1 input can yield."""
    assert handles, "at least one handle"
    for hid, tags in handles:
        assert ID_RE.match(hid), hid
        assert tags, "at least one tag"
        for t in tags:
            assert '"' not in t and "\n" not in t, t
            assert not any(ord(c) < 0x20 or ord(c) == 0x7F for c in t), t
    assert "\r" not in content and "\t" not in content


# ---------------------------------------------------------------------------
# Vector registry
# ---------------------------------------------------------------------------

KNOWN_RULES = {"§1", "§2", "§3", "§4", "§5"} | {"§6.%d" % i for i in range(1, 12)} | {"§7"}
KNOWN_FLAGS = (
    {"resolution-%d" % i for i in range(1, 12)}
    | {"decision-%d" % i for i in range(12, 28)}
    | {"golden", "utf8", "escaping", "precedence", "large", "eof"}
)
CODES = {"E001", "E101", "E102", "E103", "E104", "E105", "E201", "E202", "E900"}
VECTORS = []
SEEN_IDS = set()


def _register(vid, rules, flags, desc, data, expected, extra=None):
    assert isinstance(data, bytes)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", vid), vid
    assert vid not in SEEN_IDS, "duplicate id " + vid
    SEEN_IDS.add(vid)
    rules = sorted(set(rules), key=lambda r: tuple(int(x) for x in r[1:].split(".")))
    flags = list(dict.fromkeys(flags))
    if extra and "position" in extra and "decision-23" not in flags:
        flags.append("decision-23")
    for r in rules:
        assert r in KNOWN_RULES, (vid, r)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
        if "utf8" not in flags:
            flags.append("utf8")
    if not expected["valid"] and expected["offset"] == len(data) and "eof" not in flags:
        flags.append("eof")
    for f in flags:
        assert f in KNOWN_FLAGS, (vid, f)
    v = {"id": vid, "rules": rules, "flags": flags, "description": desc}
    if extra:
        if "position" in extra:
            assert not expected["valid"]
            _check_position(data, expected["offset"], extra["position"])
        v.update(extra)
    v["input_b64"] = base64.b64encode(data).decode("ascii")
    if text is not None:
        v["input"] = text
    v["expected"] = expected
    VECTORS.append(v)
    return v


def ok(vid, rules, flags, desc, data, handles, content, extra=None):
    """A valid input; handles = [(id, [tag, ...]), ...], content = str."""
    check_expected_ast(handles, content)
    canonical = canon_value(build_ast(handles, content))
    raw = canonical.encode("utf-8")
    expected = {"valid": True, "canonical": canonical, "sha256": hashlib.sha256(raw).hexdigest()}
    return _register(vid, ["§4"] + list(rules), flags, desc, data, expected, extra)


def err(vid, rules, flags, desc, before, after, code, extra=None):
    """An invalid input before + after whose one error is at the first byte
    of `after` (offset = len(before))."""
    assert code in CODES and after, vid
    expected = {"valid": False, "code": code, "offset": len(before)}
    return _register(vid, ["§5"] + list(rules), flags, desc, before + after, expected, extra)


def eof(vid, rules, flags, desc, data, code, extra=None):
    """An invalid input whose one error is at EOF (offset = len(data))."""
    assert code in CODES, vid
    expected = {"valid": False, "code": code, "offset": len(data)}
    return _register(vid, ["§5"] + list(rules), flags + ["eof"], desc, data, expected, extra)


def position(line, column):
    """D23: the hand-written line/column of the expected offset.  _register
    asserts it against the definition (line = 1 + LFs before the offset;
    column = 1 + bytes since the last LF before it; EOF on the last line)."""
    return {"position": {"line": line, "column": column}}


def _check_position(data, offset, pos):
    before = data[:offset]
    assert pos["line"] == 1 + before.count(b"\n"), (pos, before.count(b"\n"))
    assert pos["column"] == 1 + len(before) - (before.rfind(b"\n") + 1), pos


# ---------------------------------------------------------------------------
# Building blocks.  Offsets noted here are checked by the asserts below.
# ---------------------------------------------------------------------------

HDR = b"SCL:V1\n\n"            # offsets 0..7
HOPEN = b"handles {\n"         # offsets 8..17
HL = b'  h1("t")\n'            # a handle line; as first line: offsets 18..27
HCLOSE = b"}\n"                # closing line of the handles block
SOPEN = b"scl {\n"             # the scl opening line
PRE_H = HDR + HOPEN            # the first handle line starts at 18
PRE_S = PRE_H + HL + HCLOSE    # the `scl {` line starts at 30
PRE_C = PRE_S + SOPEN          # scl content starts at 36
TAIL_S = SOPEN + b"}"          # a valid empty scl block
REST_H = HCLOSE + TAIL_S       # completes a handles block after its last handle line
LP = PRE_H + b"  h1"           # a handle line up to (not including) its `(`
STD_H = [("h1", ["t"])]        # the handles of every document built on PRE_S
assert (len(HDR), len(PRE_H), len(PRE_S), len(PRE_C), len(LP)) == (8, 18, 30, 36, 22)


def okdoc(vid, rules, flags, desc, body, content, extra=None):
    """Valid document with the standard handles block; body follows `scl {` LF."""
    return ok(vid, rules, flags, desc, PRE_C + body, STD_H, content, extra)


def okh(vid, rules, flags, desc, lines, handles, extra=None):
    """Valid document whose handle lines are `lines`; empty scl block."""
    return ok(vid, rules, flags, desc, PRE_H + lines + REST_H, handles, "", extra)


def cp_name(c):
    return "U+%04X" % c


# ---------------------------------------------------------------------------
# 1. Golden documents (scl-v1.md section 7)
# ---------------------------------------------------------------------------

GOLDEN_1_CANONICAL = (
    '{"handles":[{"id":"h1","tags":["test"],"type":"Handle"}],'
    '"scl":{"content":"hello world","hints":[],"refs":[],"type":"SclBlock"},'
    '"type":"Document","version":"SCL:V1"}'
)
GOLDEN = [
    ("golden-test-valid", "test_valid.scl", None,
     b'SCL:V1\n\nhandles {\n  h1("test")\n}\nscl {\n  "hello world"\n}',
     [("h1", ["test"])], "hello world",
     "56e66666e6597fe83feed1325b516635831a7b5d2216f7520a569230a7673612"),
    ("golden-test-valid-unindented", "test_valid.scl", "indentation removed",
     b'SCL:V1\n\nhandles {\nh1("test")\n}\nscl {\n"hello world"\n}',
     [("h1", ["test"])], "hello world",
     "56e66666e6597fe83feed1325b516635831a7b5d2216f7520a569230a7673612"),
    ("golden-test-empty-scl", "test_empty_scl.scl", None,
     b'SCL:V1\n\nhandles {\n  id("tag1","tag2")\n}\nscl {\n}',
     [("id", ["tag1", "tag2"])], "",
     "9daf8e086945067515ed8765f8265f991b078d3a4fde708d1f1f66eaa790b5f5"),
    ("golden-test-empty-scl-unindented", "test_empty_scl.scl", "indentation removed",
     b'SCL:V1\n\nhandles {\nid("tag1","tag2")\n}\nscl {\n}',
     [("id", ["tag1", "tag2"])], "",
     "9daf8e086945067515ed8765f8265f991b078d3a4fde708d1f1f66eaa790b5f5"),
    ("golden-test-multi-handle", "test_multi_handle.scl", None,
     b'SCL:V1\n\nhandles {\nh1("x")\nh2("x")\n}\nscl {\n}',
     [("h1", ["x"]), ("h2", ["x"])], "",
     "958bade3ea2e1400923ea6dc4c92027d0d0e1dca9047f2380881b02ab3623738"),
    ("golden-test-multi-handle-indented", "test_multi_handle.scl",
     "indentation added (the published document is unindented)",
     b'SCL:V1\n\nhandles {\n  h1("x")\n  h2("x")\n}\nscl {\n}',
     [("h1", ["x"]), ("h2", ["x"])], "",
     "958bade3ea2e1400923ea6dc4c92027d0d0e1dca9047f2380881b02ab3623738"),
]


def golden_vectors():
    for vid, name, variant, data, handles, content, published in GOLDEN:
        if variant is None:
            prov = "public SCL:V1 golden document " + name
            desc = "Public golden document %s exactly as published (no final LF)." % name
        else:
            prov = "public SCL:V1 golden document %s, %s" % (name, variant)
            desc = ("Golden document %s with %s; indentation is not content, so the "
                    "published hash is unchanged." % (name, variant))
        v = ok(vid, ["§2", "§3", "§7"], ["golden"], desc, data, handles, content,
               extra={"provenance": prov})
        # Validate the independent serializer against the published values.
        assert v["expected"]["sha256"] == published, (vid, v["expected"]["sha256"])
        if name == "test_valid.scl":
            assert v["expected"]["canonical"] == GOLDEN_1_CANONICAL, v["expected"]["canonical"]


# ---------------------------------------------------------------------------
# 2. Header (section 2; R1, R2, D14, D21)
# ---------------------------------------------------------------------------

def header_vectors():
    G = GOLDEN[0][3]
    REST = G[len(HDR):]  # everything after the header of golden 1
    eof("header-empty-input", ["§2", "§6.1"], ["resolution-1"],
        "Empty input: the header is missing; EOF is offset 0.", b"", "E101",
        extra=position(1, 1))
    eof("header-only-version-line", ["§2", "§6.1"], ["resolution-1"],
        "Input is `SCL:V1` with no LF: ends inside the header.", b"SCL:V1", "E101")
    eof("header-only-first-lf", ["§2", "§6.1"], ["resolution-1"],
        "Input is `SCL:V1` LF: the blank line is missing; ends inside the header.", b"SCL:V1\n", "E101")
    eof("header-complete-then-eof", ["§2", "§6.3"], ["resolution-3"],
        "Input is exactly `SCL:V1` LF LF: the header is complete and EOF is AT the `handles {` "
        "line, so E102 at EOF (R3), not E101.", HDR, "E102")
    err("header-bom", ["§1", "§2"], ["decision-14", "utf8"],
        "Golden document 1 preceded by a UTF-8 BOM (EF BB BF). The BOM is valid UTF-8, so not "
        "E001; it is the first byte that differs from `SCL:V1`.", b"", b"\xef\xbb\xbf" + G, "E101",
        extra=position(1, 1))
    err("header-bom-only", ["§2"], ["decision-14", "utf8"],
        "Input is only a BOM: byte 0 already differs from the header.", b"", b"\xef\xbb\xbf", "E101")
    err("header-version-v2", ["§2"], ["decision-14"],
        "`SCL:V2`: the first byte that differs from `SCL:V1` is the `2` at offset 5.",
        b"SCL:V", b"2\n\n" + REST, "E101")
    err("header-version-v0", ["§2"], ["decision-14"],
        "`SCL:V0`: differs at offset 5.", b"SCL:V", b"0\n\n" + REST, "E101")
    err("header-version-v10", ["§2"], ["decision-14"],
        "`SCL:V10`: the `0` stands where LF is required.", b"SCL:V1", b"0\n\n" + REST, "E101")
    err("header-trailing-space", ["§2"], ["decision-14"],
        "`SCL:V1 ` with a trailing space: E101 at the space (offset 6).",
        b"SCL:V1", b" \n\n" + REST, "E101")
    err("header-lowercase", ["§2"], ["decision-14"],
        "`scl:v1` in lower case: differs at byte 0.", b"", b"scl:v1\n\n" + REST, "E101")
    err("header-lowercase-v", ["§2"], ["decision-14"],
        "`SCL:v1`: differs at the `v` (offset 4).", b"SCL:", b"v1\n\n" + REST, "E101")
    err("header-missing-colon", ["§2"], ["decision-14"],
        "`SCLV1`: the `V` stands where `:` is required.", b"SCL", b"V1\n\n" + REST, "E101")
    err("header-leading-space", ["§2"], ["decision-14"],
        "A space before `SCL:V1`: the header must start at byte 0.", b"", b" " + G, "E101")
    err("header-leading-lf", ["§2"], ["decision-14"],
        "An LF before `SCL:V1`.", b"", b"\n" + G, "E101")
    err("header-missing-blank-line", ["§2"], ["decision-14"],
        "No blank line after `SCL:V1`: `handles` starts at offset 7 where the second LF is required.",
        b"SCL:V1\n", b"handles {\n" + G[18:], "E101")
    err("header-extra-blank-line", ["§2", "§6.2"], ["resolution-2"],
        "Two blank lines after `SCL:V1`: the third LF (offset 8) is an extra blank line, E101 (R2), "
        "not E102.", HDR, b"\n" + REST, "E101")
    err("header-extra-blank-line-eof", ["§2", "§6.2"], ["resolution-2"],
        "`SCL:V1` LF LF LF and nothing else: E101 at the third LF (R2).", HDR, b"\n", "E101")
    err("header-three-extra-blank-lines", ["§2", "§6.2"], ["resolution-2"],
        "Several blank lines after the header: E101 at the first extra LF.", HDR, b"\n\n\n" + REST, "E101")
    err("header-whitespace-line-after-blank", ["§2"], ["decision-15"],
        "A line of one space after the blank line: not an empty line (R2 names only a third LF), so "
        "it is a `handles {` line mismatch at its first byte (D15).", HDR, b" \n" + REST, "E102")
    err("header-crlf", ["§1", "§2"], ["precedence"],
        "Header written with CR LF: CR is forbidden everywhere; E001 at offset 6 beats E101 at the "
        "same offset.", b"SCL:V1", b"\r\n\r\n" + REST, "E001")
    err("header-tab-after-version", ["§1", "§2"], ["precedence"],
        "TAB where the header's LF is required: E001 and E101 at the same offset; E001 wins.",
        b"SCL:V1", b"\t\n\n" + REST, "E001")
    err("header-nul-after-version", ["§1", "§2"], ["decision-21"],
        "NUL at offset 6 outside any quoted string or raw content: the header's code E101, not E001 (D21).",
        b"SCL:V1", b"\x00\n\n" + REST, "E101")
    err("header-del-in-version", ["§1", "§2"], ["decision-21"],
        "DEL (0x7F) inside `SCL:V1`: E101 at it (D21).", b"SCL", b"\x7f:V1\n\n" + REST, "E101")
    err("header-invalid-utf8", ["§1", "§2"], ["utf8", "precedence"],
        "Byte FF at offset 4 is invalid UTF-8: E001 beats E101 at the same offset.",
        b"SCL:", b"\xffV1\n\n" + REST, "E001")
    err("header-overlong-at-start", ["§1", "§2"], ["utf8", "precedence"],
        "Input starts with C0 80 (an overlong NUL): E001 at 0 beats E101 at 0.",
        b"", b"\xc0\x80" + G, "E001")
    err("header-fullwidth-s", ["§1", "§2"], ["utf8", "decision-14"],
        "Header starting with U+FF33 FULLWIDTH S (valid UTF-8 EF BC B3): E101 at 0, no normalization.",
        b"", "\uff33CL:V1\n\n".encode("utf-8") + REST, "E101")
    err("header-truncated-utf8-at-eof", ["§1", "§2"], ["utf8", "precedence"],
        "`SCL:V` then C3 and EOF: the truncated sequence starts at 5; E001 at its lead byte beats "
        "both E101 at 5 and any EOF code.", b"SCL:V", b"\xc3", "E001")
    err("header-error-before-invalid-utf8", ["§1", "§2"], ["utf8", "precedence"],
        "`SCL:V2` and later an FF byte in raw content: the lowest offset wins, E101 at 5.",
        b"SCL:V", b"2\n\n" + PRE_C[len(HDR):] + b"\xff\n}", "E101")
    err("header-scl-v1-json-like", ["§2"], ["decision-14", "decision-24"],
        "Input that is not SCL at all (a JSON object): E101 at 0, never E900 (D24).",
        b"", b'{"version":"SCL:V1"}', "E101")
    err("header-junk-bytes", ["§1"], ["decision-24", "utf8"],
        "Arbitrary binary junk: the first byte FF is invalid UTF-8; E001 at 0, never E900 (D24).",
        b"", b"\xff\xfe\x00\x01binary", "E001")


# ---------------------------------------------------------------------------
# 3. Handles opening line and block (section 2; R3, D12, D15)
# ---------------------------------------------------------------------------

def handles_open_vectors():
    HREST = HL + REST_H  # a handles body and the rest of a valid document
    err("handles-open-no-space", ["§2"], ["decision-15"],
        "`handles{`: the `{` stands where the space is required.", HDR + b"handles", b"{\n" + HREST, "E102")
    err("handles-open-two-spaces", ["§2"], ["decision-15"],
        "`handles  {`: the second space stands where `{` is required.", HDR + b"handles ", b" {\n" + HREST, "E102")
    err("handles-open-trailing-space", ["§2"], ["decision-15"],
        "`handles { ` with a trailing space: E102 at the space.", HDR + b"handles {", b" \n" + HREST, "E102")
    err("handles-open-text-after-brace", ["§2"], ["decision-15"],
        "`handles {x`: E102 at the `x`.", HDR + b"handles {", b"x\n" + HREST, "E102")
    err("handles-open-brace-closed-same-line", ["§2"], ["decision-15"],
        "`handles {}`: the `}` stands where LF is required.", HDR + b"handles {", b"}\n" + TAIL_S, "E102")
    err("handles-open-capitalised", ["§2"], ["decision-15"],
        "`Handles {`: differs at its first byte.", HDR, b"Handles {\n" + HREST, "E102")
    err("handles-open-singular", ["§2"], ["decision-15"],
        "`handle {`: the space stands where `s` is required.", HDR + b"handle", b" {\n" + HREST, "E102")
    err("handles-open-indented", ["§2"], ["decision-15"],
        "`  handles {`: the opening line has no indentation.", HDR, b"  handles {\n" + HREST, "E102")
    err("handles-open-paren", ["§2"], ["decision-15"],
        "`handles (`: E102 at the `(`.", HDR + b"handles ", b"(\n" + HREST, "E102")
    err("handles-open-nul", ["§1", "§2"], ["decision-15", "decision-21"],
        "NUL inside the `handles {` line: structural E102 at it, not E001 (D21).",
        HDR + b"handles", b"\x00{\n" + HREST, "E102")
    err("handles-open-crlf", ["§1", "§2"], ["precedence"],
        "`handles {` CR LF: E001 at the CR beats E102 at the same offset.", HDR + b"handles {", b"\r\n" + HREST, "E001")
    err("handles-open-tab", ["§1", "§2"], ["precedence"],
        "`handles` TAB `{`: E001 beats E102 at the same offset.", HDR + b"handles", b"\t{\n" + HREST, "E001")
    err("handles-open-invalid-utf8", ["§1", "§2"], ["precedence", "utf8"],
        "`handles ` then FF: E001 beats E102 at the same offset.", HDR + b"handles ", b"\xff\n" + HREST, "E001")
    err("handles-open-missing-block", ["§2"], ["decision-15"],
        "No handles block: `scl {` follows the header; the handles block is missing at offset 8.",
        HDR, TAIL_S, "E102")
    err("handles-open-missing-block-quoted", ["§2"], ["decision-15"],
        "No handles block before a quoted scl block.", HDR, b'scl {\n"a"\n}', "E102")
    eof("handles-open-eof-after-brace", ["§2", "§6.3"], ["resolution-3"],
        "`handles {` and EOF before its LF: EOF inside the `handles {` line, E102 at EOF.",
        HDR + b"handles {", "E102")
    eof("handles-open-eof-inside-word", ["§2", "§6.3"], ["resolution-3"],
        "`hand` and EOF: E102 at EOF.", HDR + b"hand", "E102")
    eof("handles-open-eof-after-line", ["§2", "§6.3"], ["resolution-3"],
        "`handles {` LF and EOF: the block is open; E103 at EOF.", PRE_H, "E103")
    err("handles-empty-block", ["§2", "§5"], ["decision-12", "precedence"],
        "`handles {` LF `}` LF: empty handles block; E102 at that `}` (D12). The handle-line "
        "procedure would give E201 at the same byte; the structural code wins.",
        PRE_H, HCLOSE + TAIL_S, "E102")
    err("handles-empty-block-eof-after-lf", ["§2"], ["decision-12"],
        "`handles {` LF `}` LF and EOF: E102 at the `}` (lower than EOF).", PRE_H, b"}\n", "E102")
    err("handles-empty-block-eof", ["§2"], ["decision-12"],
        "`handles {` LF `}` and EOF: E102 at the `}` (D12), not E103 at EOF.", PRE_H, b"}", "E102")
    err("handles-first-line-brace-text", ["§5", "§6.4"], ["decision-27", "resolution-4"],
        "First line inside handles is `}x`: not D12's empty block; the procedure fails at the `}` (E201, D27).",
        PRE_H, b"}x\n" + HL + REST_H, "E201")
    err("handles-first-line-brace-space", ["§5", "§6.4"], ["decision-27", "resolution-4"],
        "First line inside handles is `} `: E201 at the `}` (D27).", PRE_H, b"} \n" + HL + REST_H, "E201")
    err("handles-first-line-brace-paren", ["§5", "§6.4"], ["decision-27"],
        "First line inside handles is `}(\"t\")`: E201 at the `}` (D27).", PRE_H, b'}("t")\n' + REST_H, "E201")
    err("handles-first-line-brace-crlf", ["§1", "§5", "§6.4"], ["decision-27", "precedence"],
        "First line inside handles is `}` CR LF: E201 at the `}` (D27) is one byte before E001 at the CR.",
        PRE_H, b"}\r\n" + HL + REST_H, "E201")
    err("handles-first-line-indented-brace", ["§5", "§6.4"], ["resolution-4"],
        "First line inside handles is `  }`: not a closing line (it is indented), so the procedure "
        "fails at the `}` (E201, R4), not D12's E102.", PRE_H + b"  ", b"}\n" + TAIL_S, "E201")


# ---------------------------------------------------------------------------
# 4. Handle lines: the handle-line procedure (section 5; R4, D19, D21)
# ---------------------------------------------------------------------------

def handle_line_vectors():
    # valid ids and handle lists
    okh("handle-id-underscore", ["§2"], [], "Id `_` alone matches [A-Za-z_][A-Za-z0-9_]*.",
        b'_("t")\n', [("_", ["t"])])
    okh("handle-id-underscore-digits", ["§2"], [], "Id `_9`.", b'_9("t")\n', [("_9", ["t"])])
    okh("handle-id-uppercase", ["§2"], [], "Id in upper case.", b'ABC("t")\n', [("ABC", ["t"])])
    okh("handle-id-mixed", ["§2"], [], "Id using every allowed class.", b'aZ_09("t")\n', [("aZ_09", ["t"])])
    okh("handle-id-keyword-scl", ["§2"], [], "Ids `scl` and `handles` are ordinary ids.",
        b'scl("t")\nhandles("t")\n', [("scl", ["t"]), ("handles", ["t"])])
    okh("handle-no-indent", ["§2"], [], "Handle line without indentation.", b'h("t")\n', [("h", ["t"])])
    okh("handle-deep-indent", ["§2"], [], "Handle line indented by 40 spaces; indentation is not content.",
        b" " * 40 + b'h("t")\n', [("h", ["t"])])
    okh("handle-mixed-indent", ["§2"], [], "Handle lines with different indentation.",
        b'a("1")\n    b("2")\n c("3")\n', [("a", ["1"]), ("b", ["2"]), ("c", ["3"])])
    okh("handle-duplicate-ids", ["§2"], [], "Handle ids may repeat; both entries are kept in order.",
        b'h("a")\nh("a")\n', [("h", ["a"]), ("h", ["a"])])
    okh("handle-order-preserved", ["§2", "§4"], [], "Handle order is input order (not sorted).",
        b'zeta("2")\nalpha("1")\n', [("zeta", ["2"]), ("alpha", ["1"])])
    okh("handle-tag-order-preserved", ["§2", "§4"], [], "Tag order is input order (not sorted, no dedup).",
        b'h("b","a","b")\n', [("h", ["b", "a", "b"])])

    # E201: the id span
    err("handle-id-leading-digit", ["§5"], [], "Id starting with a digit: E201 at it.",
        PRE_H, b'1h("t")\n' + REST_H, "E201")
    err("handle-id-leading-digit-indented", ["§5"], [], "Indented id starting with a digit: E201 at the digit.",
        PRE_H + b"  ", b'9("t")\n' + REST_H, "E201")
    err("handle-id-hyphen", ["§5"], [], "`h-1`: E201 at the `-`.", PRE_H + b"  h", b'-1("t")\n' + REST_H, "E201")
    err("handle-id-dot", ["§5"], [], "`a.b`: E201 at the `.`.", PRE_H + b"  a", b'.b("t")\n' + REST_H, "E201")
    err("handle-id-dollar", ["§5"], [], "`$x`: E201 at the `$`.", PRE_H + b"  ", b'$x("t")\n' + REST_H, "E201")
    err("handle-id-non-ascii", ["§1", "§5"], ["utf8", "decision-23"],
        "`café`: é (C3 A9) is valid UTF-8 but not in the id regex; E201 at its first byte. "
        "Line 4, column 6 (columns count bytes, D23).",
        PRE_H + b"  caf", "\u00e9(\"t\")\n".encode("utf-8") + REST_H, "E201",
        extra=position(4, 6))
    err("handle-id-non-ascii-first", ["§1", "§5"], ["utf8"], "Id starting with `é`: E201 at C3.",
        PRE_H + b"  ", "\u00e9(\"t\")\n".encode("utf-8") + REST_H, "E201")
    err("handle-id-nbsp-indent", ["§1", "§5"], ["utf8"],
        "Indentation with U+00A0 NO-BREAK SPACE (C2 A0): only 0x20 is a space; E201 at C2.",
        PRE_H, b'\xc2\xa0h("t")\n' + REST_H, "E201")
    err("handle-id-empty-span", ["§5"], [], "`  (\"t\")`: empty id span, E201 at the current byte, the `(`.",
        PRE_H + b"  ", b'("t")\n' + REST_H, "E201")
    err("handle-id-empty-span-no-indent", ["§5"], [], "`(\"t\")` at column 1: E201 at the `(`.",
        PRE_H, b'("t")\n' + REST_H, "E201")
    err("handle-id-space-before-paren", ["§5"], [], "`h1 (\"t\")`: a space precedes `(`; E201 at that space.",
        PRE_H + b"  h1", b' ("t")\n' + REST_H, "E201")
    err("handle-id-inner-space", ["§5"], [], "`h 1(\"t\")`: E201 at the space.",
        PRE_H + b"  h", b' 1("t")\n' + REST_H, "E201")
    err("handle-id-no-paren", ["§5"], [], "`  h1` LF: the line has no `(`; E201 at the LF.",
        PRE_H + b"  h1", b"\n" + REST_H, "E201")
    err("handle-id-no-paren-text", ["§5"], [], "`  h1 x` LF: first bad byte of the span is the space.",
        PRE_H + b"  h1", b" x\n" + REST_H, "E201")
    err("handle-id-quote-in-span", ["§5"], [], "`h1\"t\")`: the `(` is missing; E201 at the `\"`.",
        PRE_H + b"  h1", b'"t")\n' + REST_H, "E201")
    err("handle-id-close-paren", ["§5"], [], "`h1)`: E201 at the `)`.", PRE_H + b"  h1", b")\n" + REST_H, "E201")
    err("handle-id-brace", ["§5"], [], "`h{`: E201 at the `{`.", PRE_H + b"  h", b'{("t")\n' + REST_H, "E201")
    err("handle-id-leading-quote", ["§5"], [], "Line starting with a quoted name: E201 at the `\"`.",
        PRE_H, b'"h"("t")\n' + REST_H, "E201")
    err("handle-id-nul", ["§1", "§5"], ["decision-21"], "NUL inside an id: E201 (D21), not E001.",
        PRE_H + b"  h", b'\x00("t")\n' + REST_H, "E201")
    err("handle-id-del", ["§1", "§5"], ["decision-21"], "DEL inside an id: E201 (D21).",
        PRE_H + b"  h", b'\x7f("t")\n' + REST_H, "E201")
    err("handle-id-escape", ["§1", "§5"], ["decision-21"], "ESC (0x1B) inside an id: E201 (D21).",
        PRE_H + b"  h", b'\x1b("t")\n' + REST_H, "E201")
    err("handle-id-form-feed-indent", ["§1", "§5"], ["decision-21"],
        "Form feed (0x0C) as indentation: not a space; E201 at it (D21).",
        PRE_H, b'\x0ch("t")\n' + REST_H, "E201")
    err("handle-id-c1-control", ["§1", "§5"], ["decision-21", "utf8"],
        "U+0085 (C2 85) inside an id: valid UTF-8, outside any quoted string; E201 at C2.",
        PRE_H + b"  h", b'\xc2\x85("t")\n' + REST_H, "E201")
    err("handle-id-tab", ["§1", "§5"], ["precedence"],
        "TAB between id and `(`: E001 and E201 at the same offset; E001 wins.",
        PRE_H + b"  h1", b'\t("t")\n' + REST_H, "E001")
    err("handle-id-tab-indent", ["§1", "§5"], ["precedence"],
        "TAB after the indentation spaces: E001 beats E201 at the same offset.",
        PRE_H + b"  ", b'\th1("t")\n' + REST_H, "E001")
    err("handle-id-invalid-utf8", ["§1", "§5"], ["precedence", "utf8"],
        "FF inside an id: E001 beats E201 at the same offset.", PRE_H + b"  h", b'\xff("t")\n' + REST_H, "E001")
    err("handle-id-bad-then-invalid-utf8", ["§1", "§5"], ["precedence", "utf8"],
        "`h-` then FF in the tag: E201 at `-` is at a lower offset than E001.",
        PRE_H + b"  h", b'-("\xff")\n' + REST_H, "E201")

    # after `)`
    err("handle-after-paren-text", ["§5"], [], "`h1(\"t\")x`: after `)` the next byte must be LF; E201 at `x`.",
        LP + b'("t")', b"x\n" + REST_H, "E201")
    err("handle-after-paren-space", ["§5"], [], "Trailing space after `)`: E201 at it.",
        LP + b'("t")', b" \n" + REST_H, "E201")
    err("handle-after-paren-second-list", ["§5"], [], "`h1(\"t\")(\"u\")`: E201 at the second `(`.",
        LP + b'("t")', b'("u")\n' + REST_H, "E201")
    err("handle-after-paren-comma", ["§5"], [], "`h1(\"t\"),`: E201 at the `,`.",
        LP + b'("t")', b",\n" + REST_H, "E201")
    err("handle-after-paren-two-handles", ["§5"], [], "Two handles on one line: E201 at the second id.",
        LP + b'("t")', b'h2("u")\n' + REST_H, "E201")
    err("handle-after-paren-nul", ["§1", "§5"], ["decision-21"], "NUL after `)`: E201 (D21).",
        LP + b'("t")', b"\x00\n" + REST_H, "E201")
    err("handle-after-paren-cr", ["§1", "§5"], ["precedence"],
        "CR LF after `)`: E001 at the CR beats E201 at the same offset.", LP + b'("t")', b"\r\n" + REST_H, "E001")
    err("handle-after-paren-tab", ["§1", "§5"], ["precedence"],
        "TAB after `)`: E001 beats E201.", LP + b'("t")', b"\t\n" + REST_H, "E001")
    eof("handle-after-paren-eof", ["§5"], ["decision-19"],
        "EOF right after `)`: E103 at EOF (D19).", LP + b'("t")', "E103")
    eof("handle-eof-in-id", ["§5"], ["decision-19"], "EOF inside an id: E103 at EOF.", PRE_H + b"  h1", "E103")
    eof("handle-eof-in-indent", ["§5"], ["decision-19"],
        "EOF after indentation only (a whitespace-only line ended by EOF): E103.", PRE_H + b"  ", "E103")
    eof("handle-eof-after-open-paren", ["§5"], ["decision-19"], "EOF right after `(`: E103.", LP + b"(", "E103")
    err("handle-eof-after-bad-id", ["§5"], ["decision-19"],
        "`  h-1` then EOF: the `-` already failed, so E201 at it, not E103 at EOF.",
        PRE_H + b"  h", b"-1", "E201")
    err("handle-eof-after-bad-id-space", ["§5"], ["decision-19"],
        "`  h1 ` then EOF: the space already failed (E201), not E103.", PRE_H + b"  h1", b" ", "E201")

    # closing line and blank lines (R4, E102)
    err("handle-closing-indented", ["§5", "§6.4"], ["resolution-4"],
        "`  }` as closing line: any non-blank line goes through the procedure; E201 at the `}`.",
        PRE_H + HL + b"  ", b"}\n" + TAIL_S, "E201")
    err("handle-closing-trailing-space", ["§5", "§6.4"], ["resolution-4"],
        "`} ` as closing line: E201 at the `}` (R4).", PRE_H + HL, b"} \n" + TAIL_S, "E201")
    err("handle-closing-crlf", ["§1", "§5", "§6.4"], ["resolution-4", "precedence"],
        "`}` CR LF as closing line: the procedure fails at the `}` (E201), one byte before the CR, "
        "so E201 wins by offset over E001.", PRE_H + HL, b"}\r\n" + TAIL_S, "E201")
    err("handle-closing-double-brace", ["§5", "§6.4"], ["resolution-4"], "`}}` LF: E201 at the first `}`.",
        PRE_H + HL, b"}}\n" + TAIL_S, "E201")
    err("handle-closing-with-text", ["§5", "§6.4"], ["resolution-4"], "`}x` LF: E201 at the `}`.",
        PRE_H + HL, b"}x\n" + TAIL_S, "E201")
    err("handle-closing-indented-eof", ["§5", "§6.4"], ["resolution-4", "decision-19"],
        "`  }` then EOF: the `}` already failed the procedure; E201 at it, not E103.",
        PRE_H + HL + b"  ", b"}", "E201")
    err("handle-closing-brace-scl-same-line", ["§5", "§6.4"], ["resolution-4"],
        "`}scl {` on one line: E201 at the `}`.", PRE_H + HL, b"}scl {\n}", "E201")
    eof("handle-closing-eof", ["§2", "§6.3"], ["resolution-3"],
        "`}` + EOF as the closing line: E103 at EOF (R3).", PRE_H + HL + b"}", "E103")
    eof("handle-eof-after-handle-line", ["§2", "§6.3"], ["resolution-3"],
        "EOF after a complete handle line: E103 at EOF.", PRE_H + HL, "E103")
    eof("handle-eof-after-two-handle-lines", ["§2", "§6.3"], ["resolution-3"],
        "EOF after two handle lines: E103 at EOF.", PRE_H + HL + b'h2("u")\n', "E103")
    err("handle-blank-line", ["§2"], [], "Empty line between handle lines: E102 at its LF.",
        PRE_H + HL, b"\n" + HL + REST_H, "E102")
    err("handle-whitespace-line", ["§2"], [], "Whitespace-only line inside handles: E102 at its first byte.",
        PRE_H + HL, b"   \n" + HL + REST_H, "E102")
    err("handle-blank-first-line", ["§2"], [], "Empty first line inside handles: E102 at its LF (offset 18).",
        PRE_H, b"\n" + HL + REST_H, "E102")
    err("handle-whitespace-first-line", ["§2"], [], "Spaces-only first line inside handles: E102 at offset 18.",
        PRE_H, b"  \n" + HL + REST_H, "E102")
    err("handle-blank-line-before-close", ["§2"], [], "Empty line before the closing `}`: E102 at its LF.",
        PRE_H + HL, b"\n" + REST_H, "E102")
    eof("handle-whitespace-line-eof", ["§2", "§5"], ["decision-19"],
        "A whitespace-only line ended by EOF: E103 at EOF (D19), not E102.", PRE_H + HL + b"   ", "E103")
    err("handle-spaces-then-tab-line", ["§1", "§2", "§5"], ["precedence"],
        "Line `  ` TAB LF inside handles. Whitespace means 0x20 only, so the line is not blank; the "
        "procedure fails at the TAB (E201) and E001 wins at that offset.",
        PRE_H + HL + b"  ", b"\t\n" + REST_H, "E001")
    err("handle-missing-close-before-scl", ["§5"], [],
        "The handles block is not closed and `scl {` follows: that line goes through the procedure; "
        "its span `scl {` fails at the space.", PRE_H + HL + b"scl", b" {\n}", "E201")
    err("handle-missing-close-before-scl-nospace", ["§5"], [],
        "Unclosed handles block followed by `scl{`: E201 at the `{`.", PRE_H + HL + b"scl", b"{\n}", "E201")


# ---------------------------------------------------------------------------
# 5. Tag lists (section 2; R5, R6, D20)
# ---------------------------------------------------------------------------

def tag_vectors():
    def okt(vid, flags, desc, tag_bytes, tags):
        return okh(vid, ["§2", "§6.6"], flags, desc, b"  h1" + tag_bytes + b"\n", [("h1", tags)])

    okt("tags-empty-tag", ["resolution-6"], "Empty tag `\"\"` is allowed (R6).", b'("")', [""])
    okt("tags-two-empty-tags", ["resolution-6"], "Two empty tags.", b'("","")', ["", ""])
    okt("tags-comma-inside", ["resolution-6"], "A tag containing `,`.", b'("a,b")', ["a,b"])
    okt("tags-close-paren-inside", ["resolution-6"], "A tag containing `)`.", b'("a)b")', ["a)b"])
    okt("tags-open-paren-inside", ["resolution-6"], "A tag that is `(`.", b'("(")', ["("])
    okt("tags-comma-paren-tag", ["resolution-6"], "Tag `,)(`: only `\"` ends a tag.",
        b'(",)(")', [",)("])
    okt("tags-backslash", ["resolution-6", "escaping"],
        "Tags take no escapes: `a\\b` is three bytes; canonical writes the backslash as `\\\\`.",
        b'("a\\b")', ["a\\b"])
    okt("tags-lone-backslash", ["resolution-6", "escaping"],
        "Tag `\\`: the backslash does not escape the closing quote.", b'("\\")', ["\\"])
    okt("tags-backslash-n-literal", ["resolution-6", "escaping"],
        "Tag with the two characters backslash and `n` (not an LF).", b'("\\n")', ["\\n"])
    okt("tags-backslash-u-literal", ["resolution-6", "escaping"],
        "Tag `\\u0041`: six literal characters, not `A`.", b'("\\u0041")', ["\\u0041"])
    okt("tags-braces", ["resolution-6"], "A tag containing braces.", b'("{}")', ["{}"])
    okt("tags-spaces-inside", ["resolution-6"], "Spaces inside a tag are kept.", b'(" a  b ")', [" a  b "])
    okt("tags-single-quote", ["resolution-6"], "A tag containing `'`.", b"(\"it's\")", ["it's"])
    okt("tags-solidus", ["resolution-6", "escaping"], "`/` is written raw (no `\\/`).", b'("a/b")', ["a/b"])
    okt("tags-non-ascii", ["resolution-6", "utf8"], "Non-ASCII tag written raw in canonical JSON.",
        "(\"\u65e5\u672c\u8a9e\")".encode("utf-8"), ["\u65e5\u672c\u8a9e"])
    okt("tags-emoji", ["resolution-6", "utf8"], "4-byte character U+1F600 in a tag, written raw.",
        b'("\xf0\x9f\x98\x80")', ["\U0001F600"])
    okt("tags-c1-controls", ["resolution-6", "utf8", "escaping"],
        "U+0080 and U+009F in a tag: only U+0000-U+001F and U+007F are forbidden; written raw.",
        b'("\xc2\x80\xc2\x9f")', ["\u0080\u009f"])
    okt("tags-feff", ["resolution-6", "utf8"], "U+FEFF inside a tag is kept raw.", b'("\xef\xbb\xbf")', ["\ufeff"])
    okt("tags-line-separator", ["resolution-6", "utf8", "escaping"],
        "U+2028 and U+2029 in a tag are written raw.", b'("\xe2\x80\xa8\xe2\x80\xa9")', ["\u2028\u2029"])
    okt("tags-max-code-point", ["resolution-6", "utf8"], "U+10FFFF in a tag.", b'("\xf4\x8f\xbf\xbf")',
        ["\U0010FFFF"])
    okt("tags-empty-and-comma-paren-backslash", ["resolution-6", "escaping"],
        "`(\"\",\",)\\\")`: two tags, the empty tag and `,)\\`; only `\"` ends a tag.",
        b'("",",)\\")', ["", ",)\\"])
    okt("tags-three", [], "Three tags.", b'("a","b","c")', ["a", "b", "c"])
    okt("tags-hundred", [], "One hundred tags on one handle.",
        b"(" + b",".join(b'"t%d"' % i for i in range(100)) + b")", ["t%d" % i for i in range(100)])

    # E202 (D20)
    LPP = LP + b"("
    err("tags-empty-list", ["§2"], ["decision-20"], "`()`: E202 at the `)`.", LPP, b")\n" + REST_H, "E202")
    err("tags-trailing-comma", ["§2"], ["decision-20"], "`(\"a\",)`: E202 at the `)`.",
        LPP + b'"a",', b")\n" + REST_H, "E202")
    err("tags-leading-comma", ["§2"], ["decision-20"], "`(,\"a\")`: E202 at the `,`.",
        LPP, b',"a")\n' + REST_H, "E202")
    err("tags-double-comma", ["§2"], ["decision-20"], "`(\"a\",,\"b\")`: E202 at the second `,`.",
        LPP + b'"a",', b',"b")\n' + REST_H, "E202")
    err("tags-space-after-open", ["§2"], ["decision-20"], "`( \"a\")`: E202 at the space.",
        LPP, b' "a")\n' + REST_H, "E202")
    err("tags-space-before-close", ["§2"], ["decision-20"], "`(\"a\" )`: E202 at the space.",
        LPP + b'"a"', b" )\n" + REST_H, "E202")
    err("tags-space-after-comma", ["§2"], ["decision-20"], "`(\"a\", \"b\")`: E202 at the space.",
        LPP + b'"a",', b' "b")\n' + REST_H, "E202")
    err("tags-space-before-comma", ["§2"], ["decision-20"], "`(\"a\" ,\"b\")`: E202 at the space.",
        LPP + b'"a"', b' ,"b")\n' + REST_H, "E202")
    err("tags-unquoted", ["§2"], ["decision-20"], "`(a)`: E202 at `a`.", LPP, b"a)\n" + REST_H, "E202")
    err("tags-single-quoted", ["§2"], ["decision-20"], "`('a')`: E202 at the `'`.",
        LPP, b"'a')\n" + REST_H, "E202")
    err("tags-missing-comma", ["§2"], ["decision-20"], "`(\"a\"\"b\")`: E202 at the second tag's opening `\"`.",
        LPP + b'"a"', b'"b")\n' + REST_H, "E202")
    err("tags-escaped-quote-attempt", ["§2"], ["decision-20", "resolution-6"],
        "`(\"a\\\"b\")`: no escapes, the tag is `a\\`; E202 at the `b` after it.",
        LPP + b'"a\\"', b'b")\n' + REST_H, "E202")
    err("tags-nested-paren", ["§2"], ["decision-20"], "`((\"a\"))`: E202 at the inner `(`.",
        LPP, b'("a"))\n' + REST_H, "E202")
    err("tags-lf-after-open", ["§2"], ["decision-20"], "`(` then LF: E202 at the LF.",
        LPP, b"\n" + REST_H, "E202")
    err("tags-lf-after-tag", ["§2"], ["decision-20"], "`(\"a\"` then LF (missing `)`): E202 at the LF.",
        LPP + b'"a"', b"\n" + REST_H, "E202")
    err("tags-lf-after-comma", ["§2"], ["decision-20"], "`(\"a\",` then LF: E202 at the LF.",
        LPP + b'"a",', b"\n" + REST_H, "E202")
    err("tags-nul-after-open", ["§1", "§2"], ["decision-20", "decision-21"],
        "NUL between `(` and `\"`: outside a quoted string, so E202 (D21).", LPP, b'\x00"a")\n' + REST_H, "E202")
    err("tags-tab-after-open", ["§1", "§2"], ["precedence"], "TAB after `(`: E001 beats E202.",
        LPP, b'\t"a")\n' + REST_H, "E001")
    err("tags-tab-after-tag", ["§1", "§2"], ["precedence"], "TAB after a closing tag quote: E001 beats E202.",
        LPP + b'"a"', b"\t)\n" + REST_H, "E001")
    err("tags-invalid-utf8-after-open", ["§1", "§2"], ["precedence", "utf8"], "FF after `(`: E001 beats E202.",
        LPP, b'\xff"a")\n' + REST_H, "E001")
    err("tags-bad-then-control", ["§1", "§2"], ["precedence"],
        "`(a\"\\x01\")`: E202 at `a` is at a lower offset than the control byte.",
        LPP, b'a"\x01")\n' + REST_H, "E202")
    err("tags-control-then-bad-suffix", ["§1", "§2"], ["precedence"],
        "`(\"\\x01\")x`: E001 at the control byte comes before E201 at `x`.",
        LPP + b'"', b'\x01")x\n' + REST_H, "E001")

    # EOF inside tag lists (R5)
    eof("tags-eof-after-open-quote", ["§2", "§6.5"], ["resolution-5"], "EOF right after a tag's opening `\"`: E103.",
        LPP + b'"', "E103")
    eof("tags-eof-inside-tag", ["§2", "§6.5"], ["resolution-5"], "EOF inside a tag: E103 at EOF (R5).",
        LPP + b'"ab', "E103")
    eof("tags-eof-after-tag", ["§2", "§6.5"], ["resolution-5"], "EOF after a closing tag quote: E103.",
        LPP + b'"a"', "E103")
    eof("tags-eof-after-comma", ["§2", "§6.5"], ["resolution-5"], "EOF after `,`: E103.",
        LPP + b'"a",', "E103")
    err("tags-lf-inside-tag", ["§1", "§6.5"], ["resolution-5"],
        "LF inside a tag (unterminated tag): E001 at that LF (R5).", LPP + b'"ab', b'\n")\n' + REST_H, "E001")
    err("tags-lf-inside-tag-then-eof", ["§1", "§6.5"], ["resolution-5"],
        "Unterminated tag ending with LF and EOF: E001 at the LF (lower than EOF).", LPP + b'"ab', b"\n", "E001")

    # every control character inside a tag -> E001
    for c in list(range(0x20)) + [0x7F]:
        flags = ["escaping"]
        rules = ["§1"]
        if c == 0x0A:
            what = "LF: a quoted string never contains LF (R5)"
            flags.append("resolution-5")
            rules.append("§6.5")
        elif c == 0x09:
            what = "TAB, forbidden everywhere"
        elif c == 0x0D:
            what = "CR, forbidden everywhere"
        elif c == 0x7F:
            what = "DEL, forbidden inside quoted strings"
        else:
            what = "a C0 control, forbidden inside quoted strings"
        err("tags-control-u%04x" % c, rules, flags,
            "Tag containing %s (%s): E001 at that byte." % (cp_name(c), what),
            LPP + b'"a', bytes([c]) + b'b")\n' + REST_H, "E001")


# ---------------------------------------------------------------------------
# 6. Gap after the handles block and the `scl {` line (R7, D16)
# ---------------------------------------------------------------------------

def scl_open_vectors():
    err("gap-blank-line", ["§2", "§6.7"], ["resolution-7", "decision-23"],
        "Blank line between the handles `}` and `scl {`: E104 at that LF (R7). Line 6, column 1.",
        PRE_S, b"\n" + TAIL_S, "E104", extra=position(6, 1))
    err("gap-two-blank-lines", ["§2", "§6.7"], ["resolution-7"], "Two blank lines before `scl {`: E104 at the first LF.",
        PRE_S, b"\n\n" + TAIL_S, "E104")
    err("gap-whitespace-line", ["§2"], ["decision-16"],
        "Spaces-only line before `scl {`: E104 at its first byte (first byte differing from `scl {`).",
        PRE_S, b"  \n" + TAIL_S, "E104")
    err("gap-space-then-tab", ["§1", "§2"], ["decision-16", "precedence"],
        "Line ` ` TAB before `scl {`: E104 at the space is lower than E001 at the TAB.",
        PRE_S, b" \tscl {\n}", "E104")
    err("gap-tab-line", ["§1", "§2"], ["precedence"], "TAB line before `scl {`: E001 beats E104.",
        PRE_S, b"\t\n" + TAIL_S, "E001")
    err("gap-second-close", ["§2"], ["decision-16"], "A second `}` line after the handles block: E104 at it.",
        PRE_S, b"}\n" + TAIL_S, "E104")
    err("gap-handle-after-close", ["§2"], ["decision-16"],
        "A handle line after the handles block closed: E104 at its first byte (D16).",
        PRE_S, b'h2("t")\n' + TAIL_S, "E104")
    err("gap-invalid-utf8", ["§1", "§2"], ["precedence", "utf8"], "FF where `scl {` is expected: E001 beats E104.",
        PRE_S, b"\xff" + TAIL_S, "E001")
    eof("scl-open-missing-eof", ["§2", "§6.7"], ["resolution-7"],
        "EOF right after the handles block: the scl block is missing; E104 at EOF.", PRE_S, "E104")
    eof("scl-open-eof-inside-keyword", ["§2", "§6.7"], ["resolution-7"], "`sc` then EOF: E104 at EOF.",
        PRE_S + b"sc", "E104")
    eof("scl-open-eof-before-lf", ["§2", "§6.7"], ["resolution-7"], "`scl {` then EOF (no LF): E104 at EOF.",
        PRE_S + b"scl {", "E104")
    eof("scl-open-eof-after-line", ["§2", "§6.7"], ["resolution-7", "decision-23"],
        "`scl {` LF then EOF: E105 at EOF. EOF lies on the last (empty) line: line 7, column 1.",
        PRE_C, "E105", extra=position(7, 1))
    err("scl-open-no-space", ["§2"], ["decision-16"], "`scl{`: E104 at the `{`.", PRE_S + b"scl", b"{\n}", "E104")
    err("scl-open-two-spaces", ["§2"], ["decision-16"], "`scl  {`: E104 at the second space.",
        PRE_S + b"scl ", b" {\n}", "E104")
    err("scl-open-trailing-space", ["§2"], ["decision-16"], "`scl { ` LF: E104 at the trailing space.",
        PRE_S + b"scl {", b" \n}", "E104")
    err("scl-open-indented", ["§2"], ["decision-16"], "`  scl {`: E104 at the first space.",
        PRE_S, b"  scl {\n}", "E104")
    err("scl-open-uppercase", ["§2"], ["decision-16"], "`SCL {`: E104 at the `S`.", PRE_S, b"SCL {\n}", "E104")
    err("scl-open-other-keyword", ["§2"], ["decision-16"], "`body {`: E104 at the `b`.", PRE_S, b"body {\n}", "E104")
    err("scl-open-paren", ["§2"], ["decision-16"], "`scl (`: E104 at the `(`.", PRE_S + b"scl ", b"(\n}", "E104")
    err("scl-open-closed-same-line", ["§2"], ["decision-16"], "`scl {}`: E104 at the `}`.",
        PRE_S + b"scl {", b"}", "E104")
    err("scl-open-content-same-line", ["§2"], ["decision-16"], "`scl { \"a\"`: E104 at the space after `{`.",
        PRE_S + b"scl {", b' "a"\n}', "E104")
    err("scl-open-nul", ["§1", "§2"], ["decision-16", "decision-21"], "NUL inside the `scl {` line: E104 (D21).",
        PRE_S + b"scl ", b"\x00{\n}", "E104")
    err("scl-open-crlf", ["§1", "§2"], ["precedence"], "`scl {` CR LF: E001 beats E104 at the CR.",
        PRE_S + b"scl {", b"\r\n}", "E001")
    err("scl-open-tab", ["§1", "§2"], ["precedence"], "`scl` TAB `{`: E001 beats E104.",
        PRE_S + b"scl", b"\t{\n}", "E001")
    err("scl-open-non-ascii", ["§1", "§2"], ["decision-16", "utf8"],
        "`scl ` then `é` (valid UTF-8): E104 at C3.", PRE_S + b"scl ", b"\xc3\xa9\n}", "E104")
    err("scl-open-error-before-tab", ["§1", "§2"], ["precedence", "decision-16"],
        "`scl{` and a TAB later in raw content: E104 at the `{` is the lowest offset.",
        PRE_S + b"scl", b"{\n\ta\n}", "E104")


# ---------------------------------------------------------------------------
# 7. Empty block, terminators (R8, R10, D18, D22)
# ---------------------------------------------------------------------------

def terminator_vectors():
    okdoc("empty-block", ["§3"], ["decision-26"],
          "`scl {` LF `}`: empty content (the form the builder emits for empty content, D26).", b"}", "")
    okdoc("empty-block-indented-terminator", ["§3", "§6.10"], ["resolution-10"],
          "`scl {` LF `  }`: valid, empty content (R10).", b"  }", "")
    okdoc("empty-block-one-space-terminator", ["§3", "§6.10"], ["resolution-10"],
          "`scl {` LF ` }`: valid, empty content.", b" }", "")
    okdoc("empty-block-blank-line-then-close", ["§3"], ["decision-18"],
          "`scl {` LF LF `}`: the first content line is empty, so raw mode; one empty content line "
          "joins to the empty string.", b"\n}", "")
    okdoc("empty-block-two-blank-lines-then-close", ["§3"], ["decision-18"],
          "`scl {` LF LF LF `}`: raw, two empty content lines joined with LF.", b"\n\n}", "\n")
    okdoc("empty-block-close-lf-close", ["§3"], ["decision-18"],
          "`scl {` LF `}` LF `}`: raw mode; only the last line terminates, so the first `}` is content.",
          b"}\n}", "}")
    eof("empty-block-trailing-lf", ["§3", "§6.8"], ["resolution-8"],
        "`scl {` LF `}` LF (editor-added final LF) on an empty block: E105 at EOF (R8).",
        PRE_C + b"}\n", "E105")
    eof("empty-block-indented-terminator-trailing-lf", ["§3", "§6.8"], ["resolution-8", "resolution-10"],
        "`scl {` LF `  }` LF: E105 at EOF.", PRE_C + b"  }\n", "E105")
    eof("empty-block-trailing-lf-twice", ["§3", "§6.8"], ["resolution-8"],
        "`scl {` LF `}` LF LF: E105 at EOF.", PRE_C + b"}\n\n", "E105")
    err("empty-block-terminator-trailing-space", ["§3"], ["decision-18"],
        "`scl {` LF `} `: E104 at the first trailing space (D18).", PRE_C + b"}", b" ", "E104")
    err("empty-block-indented-terminator-trailing-spaces", ["§3"], ["decision-18", "resolution-10"],
        "`scl {` LF `  }   `: E104 at the first trailing space.", PRE_C + b"  }", b"   ", "E104")
    eof("empty-block-spaces-eof", ["§3"], ["decision-22"],
        "`scl {` LF then three spaces and EOF: E105 at EOF (D22).", PRE_C + b"   ", "E105")
    eof("empty-block-one-space-eof", ["§3"], ["decision-22"],
        "`scl {` LF then one space and EOF: E105 at EOF (D22).", PRE_C + b" ", "E105")
    eof("empty-block-close-then-text", ["§3"], ["decision-18"],
        "`scl {` LF `}x`: raw mode, last line is not a terminator; E105 at EOF.", PRE_C + b"}x", "E105")
    err("empty-block-crlf-terminator", ["§1", "§3"], ["precedence"], "`}` CR LF: E001 at the CR.",
        PRE_C + b"}", b"\r\n", "E001")
    err("empty-block-tab-terminator-indent", ["§1", "§3"], ["precedence"], "TAB before the terminator `}`: E001.",
        PRE_C, b"\t}", "E001")

    # raw-mode terminators
    eof("raw-trailing-lf", ["§3", "§6.8"], ["resolution-8"],
        "Raw content then `}` LF (editor-added final LF): the last line is empty, so no terminator "
        "exists yet; E105 at EOF (R8).", PRE_C + b"hello\n}\n", "E105")
    eof("raw-trailing-lf-twice", ["§3", "§6.8"], ["resolution-8"], "Raw `}` LF LF: E105 at EOF.",
        PRE_C + b"hello\n}\n\n", "E105")
    eof("raw-no-terminator", ["§3"], ["decision-18"], "Raw content and EOF without `}`: E105 at EOF.",
        PRE_C + b"hello\nworld", "E105")
    eof("raw-no-terminator-lf", ["§3"], ["decision-18"], "Raw content ending with LF, no `}`: E105.",
        PRE_C + b"hello\n", "E105")
    err("raw-terminator-trailing-space", ["§3"], ["decision-18"],
        "Raw final line `} `: E104 at the first trailing space (D18).", PRE_C + b"hello\n}", b" ", "E104")
    err("raw-terminator-indented-trailing-spaces", ["§3"], ["decision-18"],
        "Raw final line `  }  `: E104 at the first space after `}`.", PRE_C + b"hello\n  }", b"  ", "E104")
    eof("raw-terminator-trailing-text", ["§3"], ["decision-18"], "Raw final line `}x`: E105 at EOF.",
        PRE_C + b"hello\n}x", "E105")
    eof("raw-terminator-space-then-text", ["§3"], ["decision-18"],
        "Raw final line `} x`: not `<spaces>}<spaces>`, so 'anything else': E105 at EOF.",
        PRE_C + b"hello\n} x", "E105")
    eof("raw-terminator-double-brace", ["§3"], ["decision-18"], "Raw final line `}}`: E105 at EOF.",
        PRE_C + b"hello\n}}", "E105")
    eof("raw-terminator-text-before", ["§3"], ["decision-18"], "Raw final line `x}`: E105 at EOF.",
        PRE_C + b"hello\nx}", "E105")
    eof("raw-terminator-on-content-line", ["§3"], ["decision-18"],
        "Raw `hello}` with no LF before the `}`: the last line is `hello}`; E105.", PRE_C + b"hello}", "E105")
    eof("raw-terminator-nul-after", ["§1", "§3"], ["decision-18", "decision-21"],
        "Raw final line `}` NUL: not a terminator; E105 at EOF (a NUL outside content is not E001).",
        PRE_C + b"hello\n}\x00", "E105")
    err("raw-terminator-tab-after", ["§1", "§3"], ["precedence"], "Raw final line `}` TAB: E001 at the TAB.",
        PRE_C + b"hello\n}", b"\t", "E001")
    err("raw-terminator-space-tab", ["§1", "§3"], ["precedence", "decision-18"],
        "Raw final line `} ` TAB: not `<spaces>}<spaces>`, so the E104-at-space rule does not apply; "
        "E001 at the TAB (lower than E105 at EOF).", PRE_C + b"hello\n} ", b"\t", "E001")
    err("raw-terminator-tab-before", ["§1", "§3"], ["precedence"], "Raw final line TAB `}`: E001.",
        PRE_C + b"hello\n", b"\t}", "E001")
    err("raw-terminator-invalid-utf8-after", ["§1", "§3"], ["utf8", "precedence"],
        "Raw final line `}` then a lone C3 at EOF: E001 at C3.", PRE_C + b"hello\n}", b"\xc3", "E001")


# ---------------------------------------------------------------------------
# 8. Raw mode (section 3; D13, D18)
# ---------------------------------------------------------------------------

def raw_vectors():
    okdoc("raw-single-line", ["§3"], [], "One raw content line.", b"hello\n}", "hello")
    okdoc("raw-multi-line", ["§3"], ["resolution-11", "escaping"],
          "Three raw lines joined with LF; LF is written \\u000a (lowercase hex, R11).",
          b"a\nb\nc\n}", "a\nb\nc")
    okdoc("raw-leading-spaces-kept", ["§3"], [], "Leading spaces of raw lines are content.",
          b"  a\n    b\n}", "  a\n    b")
    okdoc("raw-trailing-spaces-kept", ["§3"], [], "Trailing spaces of raw lines are content.",
          b"a  \nb \n}", "a  \nb ")
    okdoc("raw-empty-lines-kept", ["§3"], [], "Empty lines in raw content are kept.", b"a\n\nb\n}", "a\n\nb")
    okdoc("raw-leading-empty-line", ["§3"], [], "Raw content starting with an empty line.", b"\na\n}", "\na")
    okdoc("raw-trailing-empty-line", ["§3"], [], "Raw content ending with an empty line.", b"a\n\n}", "a\n")
    okdoc("raw-spaces-only-line", ["§3"], [], "A raw line of spaces only is content.", b"a\n   \n}", "a\n   ")
    okdoc("raw-indented-terminator", ["§3"], ["decision-18"],
          "Raw terminator `   }`: its spaces are not content.", b"a\n   }", "a")
    okdoc("raw-close-brace-line-is-content", ["§3"], ["decision-18"],
          "A `}` line before the last line is raw content.", b"a\n}\nb\n}", "a\n}\nb")
    okdoc("raw-close-brace-first-line", ["§3"], ["decision-18"],
          "First raw line `}` followed by more lines: content.", b"}\na\n}", "}\na")
    okdoc("raw-close-brace-trailing-spaces-content", ["§3"], ["decision-18"],
          "A `}  ` line that is not the last line is content, not E104.", b"}  \na\n}", "}  \na")
    okdoc("raw-indented-brace-content", ["§3"], ["decision-18"],
          "First line `  }` with more lines after: raw content.", b"  }\nx\n}", "  }\nx")
    okdoc("raw-many-close-braces", ["§3"], ["decision-18"], "`}` `}` `}`: the last one terminates.",
          b"}\n}\n}", "}\n}")
    okdoc("raw-content-ends-with-brace", ["§3"], [], "A content line ending with `}`.", b"a}\n}", "a}")
    okdoc("raw-content-looks-like-scl", ["§3"], [], "Raw content that looks like an SCL document.",
          b"SCL:V1\n\nhandles {\nscl {\n}", "SCL:V1\n\nhandles {\nscl {")
    okdoc("raw-later-quoted-line", ["§3"], ["decision-13", "escaping"],
          "Raw mode: a later line starting with `\"` is content (D13).", b'a\n"b"\n}', 'a\n"b"')
    okdoc("raw-later-indented-quoted-line", ["§3"], ["decision-13", "escaping"],
          "Raw mode: a later line `  \"b\"` is content, spaces included.", b'a\n  "b"\n}', 'a\n  "b"')
    okdoc("raw-later-unterminated-quote", ["§3"], ["decision-13", "escaping"],
          "Raw mode: a later line with an unmatched `\"` is content.", b'a\n"b\n}', 'a\n"b')
    okdoc("raw-empty-first-line-then-quoted", ["§3"], ["decision-13", "escaping"],
          "First content line empty, so raw mode; the quoted-looking second line is content.",
          b'\n"a"\n}', '\n"a"')
    okdoc("raw-spaces-first-line-then-quoted", ["§3"], ["decision-13", "escaping"],
          "First content line is spaces only (no `\"` after them), so raw mode.", b'   \n"a"\n}', '   \n"a"')
    okdoc("raw-brace-first-line-then-quoted", ["§3"], ["decision-13", "escaping"],
          "First content line `}` (not last), then a quoted-looking line: all raw content.",
          b'}\n"a"\n}', '}\n"a"')
    okdoc("raw-control-first-then-quote", ["§3"], ["decision-13", "escaping"],
          "First content line 0x01 then `\"a\"`: its first byte is neither space nor `\"`, so raw mode.",
          b'\x01"a"\n}', '\x01"a"')
    okdoc("raw-quote-in-middle", ["§3"], ["escaping"], "A first line with `\"` not at its start is raw.",
          b'a"b"\n}', 'a"b"')
    okdoc("raw-json-content", ["§3"], ["escaping", "decision-26"],
          "JSON-looking raw content; the builder must use raw mode for content containing `\"` (D26).",
          b'{"k": "v", "n": [1, 2]}\n}', '{"k": "v", "n": [1, 2]}')
    okdoc("raw-backslash", ["§3", "§4"], ["escaping"], "Backslash in raw content is written `\\\\`.",
          b"a\\b\n}", "a\\b")
    okdoc("raw-backslash-n-literal", ["§3", "§4"], ["escaping"],
          "Backslash followed by `n` is two characters, written `\\\\n`.", b"\\n\n}", "\\n")
    okdoc("raw-backslash-quote", ["§3", "§4"], ["escaping"], "Backslash then `\"`: both escaped.",
          b'\\"\n}', '\\"')
    okdoc("raw-solidus", ["§4"], ["escaping"], "`/` is written raw, never `\\/`.", b"a/b</c>\n}", "a/b</c>")
    okdoc("raw-double-quotes", ["§4"], ["escaping"], "Double quotes in raw content are escaped `\\\"`.",
          b'say "hi"\n}', 'say "hi"')
    okdoc("raw-nul", ["§1", "§4"], ["escaping"], "NUL in raw content is valid and written \\u0000.",
          b"\x00a\x00\n}", "\x00a\x00")
    okdoc("raw-del", ["§1", "§4"], ["escaping"], "DEL (0x7F) in raw content is valid and written raw.",
          b"a\x7fb\n}", "a\x7fb")
    for c in range(0x20):
        if c in (0x09, 0x0A, 0x0D):
            continue
        flags = ["escaping"]
        if (c & 0xF) >= 0xA:
            flags.append("resolution-11")
        okdoc("raw-control-u%04x" % c, ["§1", "§4"], flags,
              "Raw content containing %s: valid; canonical writes \\u%04x (lowercase hex)." % (cp_name(c), c),
              b"a" + bytes([c]) + b"b\n}", "a" + chr(c) + "b")
    allowed = [c for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)] + [0x7F]
    okdoc("raw-all-allowed-controls", ["§1", "§4"], ["escaping", "resolution-11", "decision-25"],
          "Every control byte allowed in raw content on one line (all C0 except TAB, LF, CR; plus DEL). "
          "The canonical string is the only form a D25 decoder accepts for this document.",
          bytes(allowed) + b"\n}", "".join(chr(c) for c in allowed))
    err("raw-tab", ["§1", "§3"], [], "TAB in raw content: E001 at it (forbidden everywhere).",
        PRE_C + b"a", b"\tb\n}", "E001")
    err("raw-cr", ["§1", "§3"], [], "CR in raw content (CR LF line end): E001 at the CR.",
        PRE_C + b"a", b"\r\nb\n}", "E001")
    err("raw-cr-alone", ["§1", "§3"], [], "A lone CR in raw content: E001 at it.", PRE_C + b"a", b"\rb\n}", "E001")
    err("raw-tab-leading", ["§1", "§3"], [], "TAB as indentation of a raw line: E001.",
        PRE_C + b"a\n", b"\tb\n}", "E001")
    err("raw-tab-after-multibyte", ["§1", "§3"], ["utf8", "decision-23"],
        "TAB after `日本` in raw content: E001 at offset 42; line 7, column 7 (bytes, not characters).",
        PRE_C + "\u65e5\u672c".encode("utf-8"), b"\t\n}", "E001",
        extra=position(7, 7))
    eof("raw-eof-position", ["§3"], ["decision-18", "decision-23"],
        "Raw content `ab` LF `cd` and EOF: E105 at EOF; line 8, column 3.",
        PRE_C + b"ab\ncd", "E105", extra=position(8, 3))
    err("raw-cr-before-missing-terminator", ["§1", "§3"], ["precedence"],
        "CR in raw content and no terminator: E001 at the CR is lower than E105 at EOF.",
        PRE_C + b"a", b"\rb", "E001")

    # non-ASCII and special characters in raw content, all written raw
    specials = [
        ("raw-c1-controls", "every C1 control U+0080..U+009F (valid; written raw, not escaped)",
         "".join(chr(c) for c in range(0x80, 0xA0)), ["escaping"]),
        ("raw-nel", "U+0085 NEXT LINE (not a line break in SCL)", "a\u0085b", ["escaping"]),
        ("raw-feff-start", "U+FEFF at the start of content (a BOM-like character, kept raw)", "\ufeffabc", []),
        ("raw-feff-middle", "U+FEFF twice inside content (kept raw)", "x \ufeff\ufeff y", []),
        ("raw-line-separators", "U+2028 and U+2029 (written raw, not \\u2028)", "a\u2028b\u2029c", ["escaping"]),
        ("raw-emoji", "U+1F600 (4-byte UTF-8, never a surrogate-pair escape)", "\U0001F600", ["escaping"]),
        ("raw-noncharacters", "U+FFFE and U+FFFF (noncharacters are valid UTF-8)", "\ufffe\uffff", []),
        ("raw-replacement-char", "U+FFFD", "\ufffd", []),
        ("raw-nfd", "`e` + U+0301 (decomposed; no normalization)", "e\u0301", []),
        ("raw-nfc", "U+00E9 (precomposed; a different identity from raw-nfd)", "\u00e9", []),
        ("raw-mixed-scripts", "Latin, Greek, CJK, Arabic", "a\u03b1\u4e2d\u0627", []),
    ]
    for vid, what, content, extra_flags in specials:
        okdoc(vid, ["§1", "§4"], ["utf8"] + extra_flags, "Raw content with %s." % what,
              content.encode("utf-8") + b"\n}", content)


# ---------------------------------------------------------------------------
# 9. Quoted mode (section 3; R5, R8, R9, D17)
# ---------------------------------------------------------------------------

def quoted_vectors():
    okdoc("quoted-single-line", ["§3"], [], "One quoted line.", b'"hello"\n}', "hello")
    okdoc("quoted-multi-line", ["§3"], ["decision-26", "escaping"],
          "Two quoted lines: content is the inner bytes joined with LF. Same identity as raw-equivalent-of-quoted (D26).",
          b'"a"\n"b"\n}', "a\nb")
    okdoc("raw-equivalent-of-quoted", ["§3"], ["decision-26", "escaping"],
          "Raw-mode form of quoted-multi-line: same content, same identity (D26).", b"a\nb\n}", "a\nb")
    okdoc("quoted-indented-lines", ["§3"], [], "Indentation before the opening quote is not content.",
          b'  "a"\n    "b"\n}', "a\nb")
    okdoc("quoted-first-line-unindented-rest-indented", ["§3"], [], "Mixed indentation.",
          b'"a"\n      "b"\n "c"\n}', "a\nb\nc")
    okdoc("quoted-empty-line", ["§3"], [], "A single `\"\"` line: content is empty.", b'""\n}', "")
    okdoc("quoted-two-empty-lines", ["§3"], [], "Two `\"\"` lines: content is one LF.", b'""\n""\n}', "\n")
    okdoc("quoted-empty-line-between", ["§3"], [], "`\"\"` between lines gives an empty content line.",
          b'"a"\n""\n"b"\n}', "a\n\nb")
    okdoc("quoted-spaces-inside", ["§3"], [], "Spaces inside the quotes are content.", b'"  a  "\n}', "  a  ")
    okdoc("quoted-backslash", ["§3", "§4"], ["escaping"], "No escapes: `\\` is literal and written `\\\\`.",
          b'"a\\b"\n}', "a\\b")
    okdoc("quoted-backslash-before-close", ["§3", "§4"], ["escaping"],
          "`\"a\\\"`: the backslash does not escape the closing quote; content `a\\`.", b'"a\\"\n}', "a\\")
    okdoc("quoted-brace-content", ["§3"], [], "A quoted `}` is content.", b'"}"\n}', "}")
    okdoc("quoted-single-quote", ["§3"], [], "`'` inside a quoted line.", b"\"it's\"\n}", "it's")
    okdoc("quoted-solidus", ["§4"], ["escaping"], "`/` written raw.", b'"a/b"\n}', "a/b")
    okdoc("quoted-non-ascii", ["§3"], ["utf8"], "Non-ASCII quoted line.", "\"\u65e5\u672c\"\n}".encode("utf-8"),
          "\u65e5\u672c")
    okdoc("quoted-emoji", ["§3"], ["utf8"], "U+1F600 in a quoted line.", b'"\xf0\x9f\x98\x80"\n}', "\U0001F600")
    okdoc("quoted-c1-controls", ["§1", "§4"], ["utf8", "escaping"],
          "U+0080 and U+009F in a quoted line: allowed (only C0 and DEL are forbidden), written raw.",
          b'"\xc2\x80\xc2\x9f"\n}', "\u0080\u009f")
    okdoc("quoted-feff", ["§1", "§4"], ["utf8"], "U+FEFF inside a quoted line, kept raw.",
          b'"\xef\xbb\xbf"\n}', "\ufeff")
    okdoc("quoted-line-separator", ["§4"], ["utf8", "escaping"], "U+2028 in a quoted line, written raw.",
          b'"\xe2\x80\xa8"\n}', "\u2028")
    okdoc("quoted-content-looks-like-brace-line", ["§3"], [], "Quoted lines `}` and `scl {`.",
          b'"}"\n"scl {"\n}', "}\nscl {")

    # invalid
    err("quoted-trailing-lf", ["§3", "§6.8"], ["resolution-8"],
        "Quoted mode, `}` LF at the end (editor-added final LF): E104 at that LF (R8).",
        PRE_C + b'"a"\n}', b"\n", "E104")
    err("quoted-indented-terminator", ["§3", "§6.9"], ["resolution-9"],
        "Quoted mode, terminator `  }`: E104 at the `}` (R9).", PRE_C + b'"a"\n  ', b"}", "E104")
    err("quoted-blank-line", ["§3", "§6.9"], ["resolution-9"],
        "Quoted mode, empty line between quoted lines: E104 at its LF (R9).",
        PRE_C + b'"a"\n', b'\n"b"\n}', "E104")
    err("quoted-blank-line-before-terminator", ["§3", "§6.9"], ["resolution-9"],
        "Quoted mode, empty line before `}`: E104 at its LF.", PRE_C + b'"a"\n', b"\n}", "E104")
    err("quoted-whitespace-line", ["§3", "§6.9"], ["resolution-9"],
        "Quoted mode, spaces-only line: the first non-space byte is the LF; E104 there.",
        PRE_C + b'"a"\n  ', b'\n"b"\n}', "E104")
    err("quoted-raw-line-after", ["§3", "§6.9"], ["resolution-9"],
        "Quoted mode, then an unquoted line: the mode may not change; E104 at its first byte.",
        PRE_C + b'"a"\n', b"b\n}", "E104")
    err("quoted-raw-line-indented", ["§3", "§6.9"], ["resolution-9"],
        "Quoted mode, then `  b`: E104 at the `b` (first non-space byte).", PRE_C + b'"a"\n  ', b"b\n}", "E104")
    err("quoted-single-quoted-line", ["§3", "§6.9"], ["resolution-9"], "Quoted mode, then `'b'`: E104 at `'`.",
        PRE_C + b'"a"\n', b"'b'\n}", "E104")
    err("quoted-nul-as-indent", ["§1", "§3", "§6.9"], ["resolution-9", "decision-21"],
        "Quoted mode, then a line NUL `\"b\"`: E104 at the NUL (outside the quotes, D21).",
        PRE_C + b'"a"\n', b'\x00"b"\n}', "E104")
    err("quoted-text-after-close-quote", ["§3"], ["decision-17"],
        "`\"a\"b`: nothing may follow the closing quote; E104 at `b`.", PRE_C + b'"a"', b"b\n}", "E104")
    err("quoted-space-after-close-quote", ["§3"], ["decision-17"],
        "Trailing space after the closing quote: E104 at it.", PRE_C + b'"a"', b" \n}", "E104")
    err("quoted-first-line-space-after-close-quote", ["§3"], ["decision-17"],
        "Quoted first line `  \"x\" ` LF: E104 at the trailing space.", PRE_C + b'  "x"', b" \n}", "E104")
    err("quoted-quote-in-content", ["§3"], ["decision-17"],
        "`\"a\"b\"`: a quoted line cannot contain `\"`; E104 at `b`.", PRE_C + b'"a"', b'b"\n}', "E104")
    err("quoted-escaped-quote-attempt", ["§3"], ["decision-17"],
        "`\"a\\\"b\"`: no escapes, the line ends at the second `\"`; E104 at `b`.",
        PRE_C + b'"a\\"', b'b"\n}', "E104")
    err("quoted-close-brace-same-line", ["§3"], ["decision-17"],
        "`\"a\"}`: E104 at the `}` after the closing quote.", PRE_C + b'"a"', b"}", "E104")
    err("quoted-two-strings-one-line", ["§3"], ["decision-17"], "`\"a\" \"b\"`: E104 at the space.",
        PRE_C + b'"a"', b' "b"\n}', "E104")
    err("quoted-nul-after-close-quote", ["§1", "§3"], ["decision-17", "decision-21"],
        "NUL after the closing quote: E104 (outside the quoted string, D21).", PRE_C + b'"a"', b"\x00\n}", "E104")
    err("quoted-tab-after-close-quote", ["§1", "§3"], ["precedence"],
        "TAB after the closing quote: E001 beats E104 at the same offset.", PRE_C + b'"a"', b"\t\n}", "E001")
    err("quoted-crlf", ["§1", "§3"], ["precedence"], "Quoted line ended by CR LF: E001 at the CR.",
        PRE_C + b'"a"', b"\r\n}", "E001")
    err("quoted-invalid-utf8-after-close-quote", ["§1", "§3"], ["precedence", "utf8"],
        "FF after the closing quote: E001 beats E104.", PRE_C + b'"a"', b"\xff\n}", "E001")
    eof("quoted-eof-after-close-quote", ["§3"], ["decision-17"],
        "EOF right after the closing quote: E105 at EOF (D17).", PRE_C + b'"a"', "E105")
    eof("quoted-eof-inside", ["§3", "§6.5"], ["resolution-5"], "EOF inside a quoted line: E105 at EOF (R5).",
        PRE_C + b'"ab', "E105")
    eof("quoted-eof-after-open-quote", ["§3", "§6.5"], ["resolution-5"], "EOF right after `\"`: E105.",
        PRE_C + b'"', "E105")
    eof("quoted-eof-after-indented-open-quote", ["§3", "§6.5"], ["resolution-5"], "`  \"` and EOF: E105.",
        PRE_C + b'  "', "E105")
    eof("quoted-eof-inside-second-line", ["§3", "§6.5"], ["resolution-5"], "EOF inside the second quoted line: E105.",
        PRE_C + b'"a"\n"b', "E105")
    eof("quoted-eof-after-lf", ["§3", "§6.7"], ["resolution-7"], "Quoted line, LF, EOF: E105.",
        PRE_C + b'"a"\n', "E105")
    eof("quoted-eof-after-indent", ["§3", "§6.7"], ["resolution-7"], "Quoted line, LF, spaces, EOF: E105.",
        PRE_C + b'"a"\n  ', "E105")
    err("quoted-lf-inside", ["§1", "§3", "§6.5"], ["resolution-5"],
        "Unterminated quoted line (LF before the closing quote): E001 at that LF (R5).",
        PRE_C + b'"ab', b'\n"\n}', "E001")
    err("quoted-lf-inside-then-terminator", ["§1", "§3", "§6.5"], ["resolution-5"],
        "`\"ab` LF `}`: E001 at the LF (the line is in quoted mode because it starts with `\"`).",
        PRE_C + b'"ab', b"\n}", "E001")
    err("quoted-close-then-text", ["§3"], ["decision-17"],
        "Quoted mode, `}x`: the `}` could still be the terminator, the `x` cannot; E104 at `x`.",
        PRE_C + b'"a"\n}', b"x", "E104")
    err("quoted-close-then-space", ["§3"], ["decision-17"], "Quoted mode, `} `: E104 at the space.",
        PRE_C + b'"a"\n}', b" ", "E104")
    err("quoted-close-then-lf-close", ["§3"], ["decision-17", "resolution-8"],
        "Quoted mode, `}` LF `}`: E104 at the first LF after `}` (quoted mode ends only with `}` + EOF).",
        PRE_C + b'"a"\n}', b"\n}", "E104")
    err("quoted-close-then-quoted-line", ["§3"], ["decision-17"],
        "Quoted mode, `}` LF then more quoted lines: E104 at the LF.", PRE_C + b'"a"\n}', b'\n"b"\n}', "E104")
    err("quoted-close-then-cr", ["§1", "§3"], ["precedence"], "Quoted mode, `}` CR LF: E001 beats E104 at the CR.",
        PRE_C + b'"a"\n}', b"\r\n", "E001")
    err("quoted-close-then-invalid-utf8", ["§1", "§3"], ["precedence", "utf8"],
        "Quoted mode, `}` then FF: E001 beats E104.", PRE_C + b'"a"\n}', b"\xff", "E001")

    # every control character inside a quoted line -> E001
    for c in list(range(0x20)) + [0x7F]:
        flags = ["escaping"]
        rules = ["§1", "§3"]
        if c == 0x0A:
            what = "LF: a quoted string never contains LF (R5)"
            flags.append("resolution-5")
            rules.append("§6.5")
        elif c == 0x09:
            what = "TAB, forbidden everywhere"
        elif c == 0x0D:
            what = "CR, forbidden everywhere"
        elif c == 0x7F:
            what = "DEL, forbidden inside quoted strings"
        else:
            what = "a C0 control, forbidden inside quoted strings"
        err("quoted-control-u%04x" % c, rules, flags,
            "Quoted line containing %s (%s): E001 at that byte." % (cp_name(c), what),
            PRE_C + b'"a', bytes([c]) + b'b"\n}', "E001")


# ---------------------------------------------------------------------------
# 10. UTF-8 (section 1; RFC 3629 / Unicode Table 3-7)
# ---------------------------------------------------------------------------

# (id part, bytes, explanation).  Each is invalid from its first byte.
INVALID_SEQS = [
    ("lone-continuation-80", b"\x80", "a continuation byte 80 with no lead byte"),
    ("lone-continuation-bf", b"\xbf", "a continuation byte BF with no lead byte"),
    ("two-continuations", b"\x80\xbf", "two continuation bytes with no lead byte"),
    ("overlong-c0-80", b"\xc0\x80", "C0 80, an overlong NUL (C0 is never valid)"),
    ("overlong-c0-af", b"\xc0\xaf", "C0 AF, an overlong `/`"),
    ("overlong-c1-bf", b"\xc1\xbf", "C1 BF, an overlong U+007F (C1 is never valid)"),
    ("overlong-e0-80-80", b"\xe0\x80\x80", "E0 80 80, an overlong NUL (E0 needs A0..BF next)"),
    ("overlong-e0-9f-bf", b"\xe0\x9f\xbf", "E0 9F BF, an overlong U+07FF"),
    ("surrogate-ed-a0-80", b"\xed\xa0\x80", "ED A0 80, the surrogate U+D800 (ED needs 80..9F next)"),
    ("surrogate-ed-af-bf", b"\xed\xaf\xbf", "ED AF BF, the surrogate U+DBFF"),
    ("surrogate-ed-b0-80", b"\xed\xb0\x80", "ED B0 80, the surrogate U+DC00"),
    ("surrogate-ed-bf-bf", b"\xed\xbf\xbf", "ED BF BF, the surrogate U+DFFF"),
    ("surrogate-pair-cesu8", b"\xed\xa0\xbd\xed\xb8\x80", "a CESU-8 surrogate pair for U+1F600"),
    ("overlong-f0-80-80-80", b"\xf0\x80\x80\x80", "F0 80 80 80, an overlong NUL (F0 needs 90..BF next)"),
    ("overlong-f0-8f-bf-bf", b"\xf0\x8f\xbf\xbf", "F0 8F BF BF, an overlong U+FFFF"),
    ("above-max-f4-90-80-80", b"\xf4\x90\x80\x80", "F4 90 80 80, U+110000 above U+10FFFF (F4 needs 80..8F next)"),
    ("above-max-f4-bf-bf-bf", b"\xf4\xbf\xbf\xbf", "F4 BF BF BF, above U+10FFFF"),
    ("lead-f5", b"\xf5\x80\x80\x80", "lead byte F5 (never valid)"),
    ("lead-f6", b"\xf6\x80\x80\x80", "lead byte F6"),
    ("lead-f7", b"\xf7\xbf\xbf\xbf", "lead byte F7 (old 4-byte form above U+10FFFF)"),
    ("lead-f8", b"\xf8\x88\x80\x80\x80", "lead byte F8 (old 5-byte form)"),
    ("lead-f9", b"\xf9\x80\x80\x80\x80", "lead byte F9"),
    ("lead-fa", b"\xfa\x80\x80\x80\x80", "lead byte FA"),
    ("lead-fb", b"\xfb\xbf\xbf\xbf\xbf", "lead byte FB"),
    ("lead-fc", b"\xfc\x84\x80\x80\x80\x80", "lead byte FC (old 6-byte form)"),
    ("lead-fd", b"\xfd\xbf\xbf\xbf\xbf\xbf", "lead byte FD"),
    ("lead-fe", b"\xfe", "byte FE (never valid)"),
    ("lead-ff", b"\xff", "byte FF (never valid)"),
]

# truncated sequences (lead byte plus fewer continuation bytes than it needs)
TRUNCATED = [
    ("2byte-missing-1", b"\xc3", "C3 without the A9 of `é`"),
    ("3byte-missing-2", b"\xe2", "E2 without the 82 AC of `€`"),
    ("3byte-missing-1", b"\xe2\x82", "E2 82 without the AC of `€`"),
    ("4byte-missing-3", b"\xf0", "F0 without the 9F 98 80 of U+1F600"),
    ("4byte-missing-2", b"\xf0\x9f", "F0 9F without the 98 80 of U+1F600"),
    ("4byte-missing-1", b"\xf0\x9f\x98", "F0 9F 98 without the final 80 of U+1F600"),
]

# valid boundary characters: (id part, bytes, code point)
VALID_BOUNDARIES = [
    ("u0080", b"\xc2\x80", 0x80), ("u07ff", b"\xdf\xbf", 0x7FF), ("u0800", b"\xe0\xa0\x80", 0x800),
    ("ud7ff", b"\xed\x9f\xbf", 0xD7FF), ("ue000", b"\xee\x80\x80", 0xE000), ("ufeff", b"\xef\xbb\xbf", 0xFEFF),
    ("uffff", b"\xef\xbf\xbf", 0xFFFF), ("u10000", b"\xf0\x90\x80\x80", 0x10000),
    ("u10ffff", b"\xf4\x8f\xbf\xbf", 0x10FFFF),
]


def utf8_vectors():
    # invalid patterns in raw content
    for name, seq, what in INVALID_SEQS:
        err("utf8-raw-" + name, ["§1"], ["utf8"],
            "Raw content containing %s: E001 at the first byte of the invalid sequence." % what,
            PRE_C + b"a", seq + b"b\n}", "E001")
    err("utf8-raw-extra-continuation", ["§1"], ["utf8"],
        "`é` (C3 A9) followed by one more A9: E001 at the second A9, the first byte not part of a valid sequence.",
        PRE_C + b"a\xc3\xa9", b"\xa9b\n}", "E001")
    err("utf8-raw-truncated-then-lead", ["§1"], ["utf8"],
        "E2 82 followed by a complete E2 82 AC: the first sequence is truncated; E001 at its lead byte.",
        PRE_C + b"a", b"\xe2\x82\xe2\x82\xac\n}", "E001")
    err("utf8-raw-truncated-then-lf", ["§1"], ["utf8"], "C3 followed by LF: E001 at C3.",
        PRE_C + b"a", b"\xc3\n}", "E001")
    err("utf8-raw-e0-truncated-valid-prefix", ["§1"], ["utf8"],
        "E0 A0 (a valid start of U+0800) then `b`: truncated; E001 at E0.", PRE_C + b"a", b"\xe0\xa0b\n}", "E001")
    err("utf8-raw-invalid-before-missing-terminator", ["§1", "§3"], ["utf8", "precedence"],
        "FF in raw content and no terminator: E001 (lower offset) rather than E105 at EOF.",
        PRE_C + b"a", b"\xffb", "E001")
    err("utf8-raw-surrogate-first-line", ["§1"], ["utf8"],
        "A surrogate as the first raw content bytes: E001 at ED (offset 36).", PRE_C, b"\xed\xa0\x80\n}", "E001")
    for name, seq, what in TRUNCATED:
        err("utf8-raw-truncated-" + name, ["§1"], ["utf8"],
            "Raw content with %s, then `b`: E001 at the lead byte." % what,
            PRE_C + b"a", seq + b"b\n}", "E001")
        err("utf8-raw-eof-truncated-" + name, ["§1"], ["utf8", "eof"],
            "Input ending in raw content with %s: E001 at the lead byte, not E105 at EOF." % what,
            PRE_C + b"a", seq, "E001")
        err("utf8-tag-truncated-" + name, ["§1", "§2"], ["utf8"],
            "Tag containing %s followed by the closing quote: E001 at the lead byte." % what,
            LP + b'("a', seq + b'")\n' + REST_H, "E001")
        err("utf8-tag-eof-truncated-" + name, ["§1", "§2"], ["utf8", "eof"],
            "Input ending inside a tag with %s: E001 at the lead byte, not E103 at EOF." % what,
            LP + b'("a', seq, "E001")
        err("utf8-quoted-truncated-" + name, ["§1", "§3"], ["utf8"],
            "Quoted line containing %s followed by the closing quote: E001 at the lead byte." % what,
            PRE_C + b'"a', seq + b'"\n}', "E001")
        err("utf8-quoted-eof-truncated-" + name, ["§1", "§3"], ["utf8", "eof"],
            "Input ending inside a quoted line with %s: E001 at the lead byte, not E105." % what,
            PRE_C + b'"a', seq, "E001")
    # invalid patterns in tags and quoted lines (a selection)
    for name, seq, what in INVALID_SEQS:
        if name in ("lone-continuation-80", "overlong-c0-80", "overlong-e0-80-80", "surrogate-ed-a0-80",
                    "overlong-f0-80-80-80", "above-max-f4-90-80-80", "lead-f5", "lead-ff"):
            err("utf8-tag-" + name, ["§1", "§2"], ["utf8"], "Tag containing %s: E001 at its first byte." % what,
                LP + b'("a', seq + b'")\n' + REST_H, "E001")
            err("utf8-quoted-" + name, ["§1", "§3"], ["utf8"],
                "Quoted line containing %s: E001 at its first byte." % what,
                PRE_C + b'"a', seq + b'"\n}', "E001")
    # invalid UTF-8 in structural places (E001 beats the structural code at the same offset)
    err("utf8-in-handle-id", ["§1", "§5"], ["utf8", "precedence"], "C0 80 inside an id: E001 beats E201.",
        PRE_H + b"  h", b'\xc0\x80("t")\n' + REST_H, "E001")
    err("utf8-surrogate-in-handle-id", ["§1", "§5"], ["utf8", "precedence"], "A surrogate as an id: E001.",
        PRE_H + b"  ", b'\xed\xa0\x80("t")\n' + REST_H, "E001")
    err("utf8-in-terminator-line", ["§1", "§3"], ["utf8", "precedence"],
        "Raw final line `}` then 80: E001 at 80.", PRE_C + b"a\n}", b"\x80", "E001")
    err("utf8-in-quoted-indent", ["§1", "§3"], ["utf8", "precedence"],
        "Quoted mode, a later line starting with FF: E001 beats E104.", PRE_C + b'"a"\n', b'\xff"b"\n}', "E001")
    err("utf8-structural-error-first", ["§1", "§5"], ["utf8", "precedence"],
        "E201 at the digit `1` comes before an FF inside the tag: lowest offset wins.",
        PRE_H + b"  ", b'1h("\xff")\n' + REST_H, "E201")
    # valid boundary characters
    for name, seq, cp in VALID_BOUNDARIES:
        assert seq == chr(cp).encode("utf-8")  # checks the hand-written encoding above
        okdoc("utf8-raw-valid-" + name, ["§1", "§4"], ["utf8"],
              "Raw content with %s (bytes %s), a boundary of a valid UTF-8 range; written raw." % (
                  cp_name(cp), seq.hex(" ").upper()),
              b"a" + seq + b"b\n}", "a" + chr(cp) + "b")
    okh("utf8-tag-valid-boundaries", ["§1", "§4"], ["utf8"],
        "One tag per valid boundary character.",
        b"  h1(" + b",".join(b'"' + s + b'"' for _, s, _ in VALID_BOUNDARIES) + b")\n",
        [("h1", [chr(cp) for _, _, cp in VALID_BOUNDARIES])])
    okdoc("utf8-quoted-valid-boundaries", ["§1", "§4"], ["utf8"],
          "One quoted line per valid boundary character.",
          b"".join(b'"' + s + b'"\n' for _, s, _ in VALID_BOUNDARIES) + b"}",
          "\n".join(chr(cp) for _, _, cp in VALID_BOUNDARIES))


# ---------------------------------------------------------------------------
# 11. Precedence, canonical-form and builder decisions (mixed)
# ---------------------------------------------------------------------------

def misc_vectors():
    err("precedence-raw-tab-after-structural", ["§1", "§5"], ["precedence"],
        "A TAB in raw content after an E104 in the `scl {` line: E104 wins (lower offset).",
        PRE_S + b"scl", b"{\n\t}", "E104")
    err("precedence-e001-tag-before-e202", ["§1", "§5"], ["precedence"],
        "A control byte inside a tag, then a space before `)`: E001 at the control byte (lower offset than E202).",
        LP + b'("a', b'\x1f" )\n' + REST_H, "E001")
    err("precedence-e202-before-e001", ["§1", "§5"], ["precedence"],
        "`(a` then a TAB later on the line: E202 at `a` is lower.", LP + b"(", b'a"\t")\n' + REST_H, "E202")
    err("precedence-e001-before-e105", ["§1", "§5"], ["precedence"],
        "Quoted line with a NUL and no terminator: E001 at the NUL, not E105 at EOF.",
        PRE_C + b'"a', b'\x00b"\n', "E001")
    err("precedence-e104-before-e001-quoted", ["§1", "§5"], ["precedence"],
        "Quoted mode: an unquoted line, then a DEL inside a later quoted line: E104 first.",
        PRE_C + b'"a"\n', b'b\n"\x7f"\n}', "E104")
    # D25: canonical bytes with every escape class; the decoder must accept exactly these bytes
    ok("canonical-all-escape-classes", ["§4"], ["escaping", "decision-25", "resolution-11"],
       "Tags and content exercising every escape class (`\"`, `\\`, \\u00xx) and raw non-ASCII; "
       "the canonical string is the one form a D25 decoder accepts for this AST.",
       PRE_H + b'  a_1("\\","x y","\xc3\xa9")\n  B("")\n}\n' + SOPEN + b'q "x" \\ \x00\x1f\x7f\xc2\x80\n}',
       [("a_1", ["\\", "x y", "\u00e9"]), ("B", [""])], 'q "x" \\ \x00\x1f\x7f\u0080')
    ok("canonical-key-order", ["§4"], ["decision-25"],
       "Key order is by raw UTF-8 bytes (handles, scl, type, version; content, hints, refs, type; "
       "id, tags, type) and `hints`/`refs` are always empty arrays.",
       PRE_H + b'x("y")\n}\n' + SOPEN + b'"z"\n}', [("x", ["y"])], "z")


# ---------------------------------------------------------------------------
# 12. EOF: truncations of valid documents at every prefix
# ---------------------------------------------------------------------------

# Each piece: (bytes, code for an input that ends at the start of / inside
# this piece, rules, flags, what the premature end is).  A truncation to n
# bytes belongs to the piece with start <= n < end.
TRUNC_GOLDEN1 = [
    (b"SCL:V1\n\n", "E101", ["§2", "§6.1"], ["resolution-1"], "inside the header (R1)"),
    (b"handles {\n", "E102", ["§2", "§6.3"], ["resolution-3"], "at or inside the `handles {` line (R3)"),
    (b"  h1(", "E103", ["§5", "§6.3"], ["resolution-3", "decision-19"],
     "at the start, in the indentation or in the id of a handle line (R3, D19)"),
    (b'"test"', "E103", ["§5", "§6.5"], ["resolution-5", "decision-19"],
     "right after `(` or inside the tag (R5, D19)"),
    (b")\n", "E103", ["§5", "§6.3"], ["decision-19"], "after the closing tag quote or after `)` (D19)"),
    (b"}\n", "E103", ["§2", "§6.3"], ["resolution-3"],
     "at the start of the closing line or right after its `}` (R3)"),
    (b"scl {\n", "E104", ["§2", "§6.7"], ["resolution-7"], "at or inside the `scl {` line (R7)"),
    (b'  "hello world"\n}', "E105", ["§3", "§6.7"], ["resolution-7", "decision-17", "decision-22"],
     "inside the quoted scl block before its terminator (R7, D17, D22, R5)"),
]
TRUNC_RAW = [
    (b"SCL:V1\n\n", "E101", ["§2", "§6.1"], ["resolution-1"], "inside the header (R1)"),
    (b"handles {\n", "E102", ["§2", "§6.3"], ["resolution-3"], "at or inside the `handles {` line (R3)"),
    (b'a("x","y")\n  b("")\n}\n', "E103", ["§2", "§5", "§6.3", "§6.5"],
     ["resolution-3", "resolution-5", "decision-19"], "inside the handles block (R3, R5, D19)"),
    (b"scl {\n", "E104", ["§2", "§6.7"], ["resolution-7"], "at or inside the `scl {` line (R7)"),
    (b"l1\n\n  l2\n}", "E105", ["§3", "§6.7"], ["resolution-7", "decision-18"],
     "inside the raw scl block, the last line never being `<spaces>}` (R7, D18)"),
]


def truncation_vectors(prefix_id, doc_name, pieces, expected_doc, start_n):
    doc = b"".join(p[0] for p in pieces)
    assert doc == expected_doc
    start = 0
    for piece, code, rules, flags, what in pieces:
        end = start + len(piece)
        for n in range(max(start, start_n), end):
            data = doc[:n]
            tail = data[-12:].decode("utf-8")
            eof("%s-%03d" % (prefix_id, n), rules, flags,
                "%s cut to its first %d bytes (ends %s): EOF %s -> %s at EOF." % (
                    doc_name, n, json.dumps(tail), what, code),
                data, code)
        start = end


RAW_DOC = b'SCL:V1\n\nhandles {\na("x","y")\n  b("")\n}\nscl {\nl1\n\n  l2\n}'


def eof_vectors():
    truncation_vectors("eof-golden-test-valid-prefix", "Golden document test_valid.scl",
                       TRUNC_GOLDEN1, GOLDEN[0][3], 0)
    ok("eof-raw-doc-complete", ["§3"], ["eof"],
       "The complete document whose prefixes are the eof-raw-doc-prefix-* vectors.",
       RAW_DOC, [("a", ["x", "y"]), ("b", [""])], "l1\n\n  l2")
    # prefixes of up to 18 bytes equal those of the golden document; start at 19
    truncation_vectors("eof-raw-doc-prefix", "Raw-mode document eof-raw-doc-complete",
                       TRUNC_RAW, RAW_DOC, 19)


# ---------------------------------------------------------------------------
# 13. Large documents
# ---------------------------------------------------------------------------

def large_vectors():
    # ~1 MiB raw content: 16384 lines of 63 bytes + LF separators, then one
    # extra byte so that the content is exactly 1 MiB.  ASCII with `"` and
    # `\` on every line (to exercise escaping at size); SOH and DEL on every
    # 256th line only, to keep the vector file small.
    lines = []
    for i in range(16384):
        line = b'%05d "q" \\ ' % i + (b"\x01\x7f " if i % 256 == 0 else b"")
        line += (b"abcdefghijklmnopqrstuvwxyz0123456789" * 2)[: 63 - len(line) - 1] + b"."
        assert len(line) == 63, len(line)
        lines.append(line)
    content = b"\n".join(lines) + b"!"
    assert len(content) == 1024 * 1024
    okdoc("large-raw-1mib", ["§3"], ["large", "escaping"],
          "Raw content of exactly 1 MiB (16384 lines with quotes and backslashes; SOH and DEL on every 256th line).",
          content + b"\n}", content.decode("ascii"))
    # 10 000 handles
    hl = b"".join(b'  h%05d("t%d")\n' % (i, i % 7) for i in range(10000))
    ok("large-10000-handles", ["§2"], ["large"], "Ten thousand handle lines, kept in order.",
       PRE_H + hl + REST_H, [("h%05d" % i, ["t%d" % (i % 7)]) for i in range(10000)], "")
    # a long quoted block
    ql = [("line %05d of a long quoted block, with \\ and \u00e9" % i) for i in range(5000)]
    okdoc("large-quoted-block", ["§3"], ["large", "escaping"], "A quoted block of 5000 lines.",
          b"".join(b'  "' + s.encode("utf-8") + b'"\n' for s in ql) + b"}", "\n".join(ql))
    # a long id and a long tag
    long_id = "L" + "_a1" * 3000
    okh("large-long-id", ["§2"], ["large"], "A 9001-character id.", long_id.encode("ascii") + b'("t")\n',
        [(long_id, ["t"])])
    long_tag = "x" * 100000
    okh("large-long-tag", ["§2"], ["large"], "A 100 000-byte tag.", b'h("' + long_tag.encode("ascii") + b'")\n',
        [("h", [long_tag])])
    okh("large-many-tags", ["§2"], ["large"], "One handle with 2000 tags.",
        b"h(" + b",".join(b'"%d"' % i for i in range(2000)) + b")\n", [("h", ["%d" % i for i in range(2000)])])
    # large invalid documents
    big = b"".join(b"raw line %06d\n" % i for i in range(8192))
    eof("large-raw-trailing-lf", ["§3", "§6.8"], ["large", "resolution-8"],
        "About 128 KiB of raw content ending `}` LF: E105 at EOF.", PRE_C + big + b"}\n", "E105")
    err("large-raw-tab-at-end", ["§1", "§3"], ["large"], "About 128 KiB of raw content, then a TAB: E001 at it.",
        PRE_C + big, b"\t\n}", "E001")
    hl1000 = b"".join(b'h%04d("t")\n' % i for i in range(1000))
    err("large-handles-bad-last-id", ["§5"], ["large"],
        "1000 valid handle lines, then one whose id starts with a digit: E201 at that digit.",
        PRE_H + hl1000, b'9bad("t")\n' + REST_H, "E201")


# ---------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------

# ---------------------------------------------------------------------------
# 13. Escaping inside long strings, at every position within an 8-byte word
# (section 4).  Engines commonly skip runs of plain bytes a word at a time; a
# byte that needs escaping must be found wherever it falls.  Added after
# mutation testing showed that short escaping vectors leave such a fast path
# unchecked.
# ---------------------------------------------------------------------------

def escaping_alignment_vectors():
    filler = "abcdefghijklmnopqrstuvwxyz0123456789"
    specials = [c for c in range(0x20) if c not in (0x09, 0x0D)] + [ord('"'), ord("\\")]
    for i, c in enumerate(specials):
        k = 1 + i % 15          # positions 1..15: every offset within the first two words
        content = filler[:k] + chr(c) + filler[k:]
        okdoc("escape-aligned-%02x-at-%d" % (c, k), ["§4"], ["escaping"],
              "Raw content of %d bytes with %s at byte %d, then more plain bytes: escaped wherever "
              "it falls in the string." % (len(content), cp_name(c), k),
              content.encode() + b"\n}", content)
    # Two escapable bytes in one word, and one at the very end of a long run.
    content = filler[:9] + '"\\' + filler[9:] + "\x01"
    okdoc("escape-aligned-several", ["§4"], ["escaping"],
          "Long raw content with `\"` and `\\` adjacent in one word and U+0001 as its last byte.",
          content.encode() + b"\n}", content)
    # Backslashes in long tags, at every position within a word.
    for k in range(16):
        tag = filler[:k] + "\\" + filler[k:20]
        okh("escape-aligned-tag-backslash-at-%d" % k, ["§4", "§2"], ["escaping"],
            "A %d-byte tag with `\\` at byte %d: written as `\\\\` wherever it falls." % (len(tag), k),
            b'  h1("' + tag.encode() + b'")\n', [("h1", [tag])])


def main():
    golden_vectors()
    header_vectors()
    handles_open_vectors()
    handle_line_vectors()
    tag_vectors()
    scl_open_vectors()
    terminator_vectors()
    raw_vectors()
    quoted_vectors()
    utf8_vectors()
    misc_vectors()
    eof_vectors()
    large_vectors()
    escaping_alignment_vectors()

    # every resolution and decision has at least one vector carrying its flag
    used = {f for v in VECTORS for f in v["flags"]}
    missing = sorted(KNOWN_FLAGS - used)
    assert not missing, missing
    # every code except E900 (D24: never produced) appears
    codes = {v["expected"].get("code") for v in VECTORS if not v["expected"]["valid"]}
    assert codes == CODES - {"E900"}, codes

    head = '{"version":"1","spec":"SCL:V1","generated_by":%s,"vectors":[\n' % json.dumps(GENERATED_BY)
    body = ",\n".join(json.dumps(v, ensure_ascii=True, separators=(",", ":")) for v in VECTORS)
    text = head + body + "\n]}\n"
    json.loads(text)  # well-formed
    with open(OUT_PATH, "w", encoding="ascii", newline="\n") as f:
        f.write(text)
    n_valid = sum(1 for v in VECTORS if v["expected"]["valid"])
    print("wrote %s: %d vectors (%d valid, %d invalid), %d bytes" % (
        os.path.relpath(OUT_PATH), len(VECTORS), n_valid, len(VECTORS) - n_valid, len(text)))


if __name__ == "__main__":
    sys.exit(main())
