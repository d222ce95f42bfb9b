#!/usr/bin/env python3
"""Independent SCL:V1 engine (Python 3.11, standard library only).

Written from the rule texts only -- ``shared/scl-v1.md`` (sections 1-7, the
section 6 resolutions R1-R11) and ``spec/DECISIONS.md`` (D12-D26) -- and
deliberately without looking at any other implementation, so that it can be
used to cross-check one.  Rule citations in comments use these names:

    S1..S5   sections 1..5 of scl-v1.md ("S2" = Layout, "S3" = the two modes)
    R1..R11  the resolutions of section 6 (also tabled in DECISIONS.md)
    D12..D26 the project's decisions in DECISIONS.md
    HLP      the handle-line procedure of S5 ("mandatory in the source text")

How the rules map onto the code
-------------------------------
Input -> AST (``parse``)
    The document is read by a literal, line-by-line state machine, one method
    per section of the layout in S2:

        header        ``SCL:V1`` LF LF                    -> E101 (R1, R2, D14)
        handles_open  ``handles {`` LF                    -> E102 (R3, D15)
        handles_body  handle lines ... ``}`` LF           -> E102/E103/E201/E202
        scl_open      ``scl {`` LF                        -> E104 (R7, D16)
        scl_body      quoted mode or raw mode, ``}`` EOF  -> E104/E105

    Each method raises ``SclError(code, offset)`` at the first byte where no
    valid document could continue (order of authority, rule 3), or at the
    offset the source states explicitly (rule 1).  Section by section the
    state machine only moves forward, so the first structural error it meets
    is the structural error with the lowest offset.  (Raw mode is the one
    place that looks ahead: its terminator is "the last bytes of the
    document"; S3, D18.  Raw content itself can never be structurally wrong,
    so this does not disturb the ordering.)

    E001 has two halves (S1):
      * "anywhere" conditions -- invalid UTF-8 (RFC 3629), CR, TAB -- are found
        by one scan of the whole input (``first_e001_anywhere``), because they
        apply to raw content too;
      * "inside quoted strings" conditions -- U+0000..U+001F and U+007F in a
        tag or a quoted-mode line (LF included, R5) -- are found by the state
        machine while it reads the quoted string.  Outside quoted strings a
        control byte is not E001 but whatever structural error that place
        gives (D21).
    ``parse`` then reports exactly one error: the lower offset of the
    structural error and the "anywhere" E001; at the same offset E001 wins
    (S5 precedence: E001 > E101..E105 > E201/E202 > E900).  E201/E202 and
    E101..E105 can never meet at one offset from the state machine because
    it stops at its first error.  E900 is never produced (D24).

    Control characters are checked byte-wise.  That is the same as checking
    decoded code points (S1 "after UTF-8 validation"): in valid UTF-8 a byte
    below 0x80 is always a whole code point, and any invalid UTF-8 sits at
    or before the byte concerned and is reported as E001 anyway.

AST -> canonical JSON (``canonical``), S4
    A small hand-written serializer: objects with keys sorted by their UTF-8
    bytes, arrays in order, strings with minimal escaping (``"`` ``\\`` and
    U+0000..U+001F as ``\\u00xx`` with lowercase hex, R11; everything else,
    U+007F and non-ASCII included, written raw).  ``json.dumps`` is NOT used
    for it: its escaping differs (``\\n``, ``\\u001F``-style, ...).
    ``doc_hash`` = SHA-256 of those bytes, 64 lowercase hex digits.

Extras that make the decisions testable
    ``line_col``          D23 (line/column of an offset)
    ``decode_canonical``  D25 (strict canonical JSON decoder)
    ``build``             D26 (AST -> SCL:V1 source, the builder's mode choice)

Command line (the conformance engine protocol)
    python3 scl_engine.py [FILE]
reads one document as raw bytes (stdin, or FILE), prints exactly one JSON
line and exits 0:
    {"valid":true,"canonical":"<canonical JSON text>","sha256":"<hex>"}
    {"valid":false,"code":"E104","offset":37}
"""

from __future__ import annotations

import hashlib
import json
import re
import sys

__all__ = [
    "SclError",
    "CanonicalError",
    "BuildError",
    "parse",
    "canonical",
    "doc_hash",
    "check",
    "first_e001_anywhere",
    "line_col",
    "decode_canonical",
    "build",
]

# --------------------------------------------------------------------------
# Byte constants and small regexes
# --------------------------------------------------------------------------

LF = 0x0A
SPACE = 0x20
QUOTE = 0x22  # "
LPAREN = 0x28  # (
RPAREN = 0x29  # )
COMMA = 0x2C  # ,
RBRACE = 0x7D  # }

HEADER = b"SCL:V1\n\n"  # S2: `SCL:V1` at byte 0, then exactly one blank line
HANDLES_OPEN = b"handles {\n"  # S2
SCL_OPEN = b"scl {\n"  # S2

_SPACES = re.compile(rb" *")
# S2: id matches ASCII [A-Za-z_][A-Za-z0-9_]*.  The optional group lets the
# match be empty, so that `end()` is always "the first byte that is not part
# of a valid id prefix" -- exactly HLP's "first bad byte".
_ID_PREFIX = re.compile(rb"(?:[A-Za-z_][A-Za-z0-9_]*)?")
_ID_FULL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# Inside a quoted string (tag or quoted-mode line) the first byte that is
# either the closing quote or a forbidden control (S1: U+0000..U+001F, U+007F).
_QUOTED_STOP = re.compile(rb'["\x00-\x1f\x7f]')


class SclError(Exception):
    """The one error of an invalid document: ``code`` and byte ``offset``."""

    def __init__(self, code: str, offset: int, message: str = ""):
        super().__init__(f"{code} at byte {offset}: {message}")
        self.code = code
        self.offset = offset
        self.message = message

    def as_tuple(self) -> tuple[str, int]:
        return (self.code, self.offset)


# --------------------------------------------------------------------------
# S1: the "anywhere" half of E001
# --------------------------------------------------------------------------


def first_e001_anywhere(data: bytes) -> int | None:
    """Lowest offset of invalid UTF-8, CR or TAB anywhere in ``data`` (S1).

    Python's strict UTF-8 codec implements RFC 3629 exactly (no overlongs,
    no surrogates D800..DFFF, nothing above U+10FFFF, no truncated sequence)
    and its error ``start`` is the first byte of the invalid sequence, which
    is the offset S1 asks for.
    """
    found: list[int] = []
    try:
        data.decode("utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        found.append(exc.start)  # S1: first byte of the invalid sequence
    for forbidden in (b"\r", b"\t"):  # S1: CR and TAB forbidden everywhere
        i = data.find(forbidden)
        if i >= 0:
            found.append(i)
    return min(found) if found else None


# --------------------------------------------------------------------------
# The structural state machine (S2, S3, S5, R1-R10, D12-D22)
# --------------------------------------------------------------------------


class _Parser:
    """Reads the byte layout of S2/S3.  Works on bytes; returns byte pieces.

    Raises SclError for the first structural error (or a quoted-string E001).
    The "anywhere" E001 conditions are not looked for here (see parse()).
    """

    def __init__(self, data: bytes):
        self.data = data
        self.n = len(data)
        self.pos = 0

    # -- helpers -----------------------------------------------------------

    def fail(self, code: str, offset: int, message: str):
        raise SclError(code, offset, message)

    def skip_spaces(self, p: int) -> int:
        return _SPACES.match(self.data, p).end()

    def expect_literal(self, literal: bytes, code: str, what: str) -> None:
        """Match ``literal`` at self.pos byte by byte.

        A premature end gives ``code`` at EOF (R1, R3, R7); the first byte
        that differs gives ``code`` at that byte (D14, D15, D16).
        """
        data, n, start = self.data, self.n, self.pos
        for i, expected in enumerate(literal):
            q = start + i
            if q >= n:
                self.fail(code, n, f"input ends inside the {what} line")
            if data[q] != expected:
                self.fail(code, q, f"unexpected byte in the {what} line "
                                   f"(expected {bytes([expected])!r})")
        self.pos = start + len(literal)

    def quoted_string(self, open_quote: int, eof_code: str, what: str):
        """Read a quoted string whose opening quote is at ``open_quote``.

        No escapes: the bytes up to the next `"` are the value (S2 tags, S3
        quoted mode, R6).  Returns (value bytes, offset after closing quote).
        """
        data = self.data
        m = _QUOTED_STOP.search(data, open_quote + 1)
        if m is None:
            # R5: EOF inside the quotes -> E103 (handles) / E105 (scl) at EOF
            self.fail(eof_code, self.n, f"input ends inside a quoted {what}")
        stop = m.start()
        if data[stop] == QUOTE:
            return data[open_quote + 1:stop], stop + 1
        if data[stop] == LF:
            # R5 / S1: a quoted string never contains LF -> E001 at that LF
            self.fail("E001", stop, f"line break inside a quoted {what} "
                                    "(the closing quote is missing)")
        # S1: U+0000..U+001F and U+007F are forbidden inside quoted strings
        self.fail("E001", stop, f"control character 0x{data[stop]:02x} "
                                f"inside a quoted {what}")

    # -- the document --------------------------------------------------------

    def parse_document(self):
        self.header()
        self.handles_open()
        handles = self.handles_body()
        self.scl_open()
        content = self.scl_body()
        return handles, content

    # -- S2 header -------------------------------------------------------

    def header(self) -> None:
        # S2 / D14: exactly `SCL:V1` LF LF at byte 0; E101 at the first byte
        # that differs (a BOM differs at 0, `SCL:V2` at 5, `SCL:V1 ` at 6;
        # a NUL in the header is E101 too, D21).  R1: empty input or EOF
        # inside the header -> E101 at EOF.
        self.expect_literal(HEADER, "E101", "header")
        # R2: a third LF (a second blank line) -> E101 at that LF.
        if self.pos < self.n and self.data[self.pos] == LF:
            self.fail("E101", self.pos, "more than one blank line after the "
                                        "header")

    # -- S2 handles block --------------------------------------------------

    def handles_open(self) -> None:
        # R3: EOF at or inside the `handles {` line -> E102 at EOF.
        # D15: the first byte differing from `handles {` LF -> E102 there.
        self.expect_literal(HANDLES_OPEN, "E102", "`handles {`")

    def handles_body(self) -> list[tuple[bytes, list[bytes]]]:
        data, n = self.data, self.n
        handles: list[tuple[bytes, list[bytes]]] = []
        while True:
            ls = self.pos  # start of the current line
            if ls == n:
                # R3: EOF after `handles {` LF and before `}` LF -> E103
                self.fail("E103", n, "input ends before the handles block "
                                     "is closed with `}`")
            if data[ls] == RBRACE and (ls + 1 == n or data[ls + 1] == LF):
                if not handles:
                    # D12: an empty handles block -> E102 at its `}`
                    # (also with EOF after the `}`).
                    self.fail("E102", ls, "the handles block is empty "
                                          "(at least one handle is required)")
                if ls + 1 == n:
                    # R3: `}` + EOF as the closing line -> E103 at EOF
                    self.fail("E103", n, "the handles block's closing `}` "
                                         "must be followed by a line break")
                self.pos = ls + 2  # S2: closing line exactly `}` LF
                return handles
            # R4: every other non-blank line goes through HLP.
            handles.append(self.handle_line(ls))

    def handle_line(self, ls: int) -> tuple[bytes, list[bytes]]:
        data, n = self.data, self.n
        # HLP step 1: skip spaces.
        p = self.skip_spaces(ls)
        if p == n:
            # D19: a whitespace-only line ended by EOF -> E103 at EOF
            self.fail("E103", n, "input ends inside the handles block")
        if data[p] == LF:
            # S2: whitespace-only (or empty) line in handles -> E102 at the
            # first byte of the line (for an empty line, its LF).
            self.fail("E102", ls, "blank line inside the handles block")

        # HLP step 2: the bytes up to the next `(` or LF must match the id
        # regex; E201 at the first bad byte.
        e = _ID_PREFIX.match(data, p).end()
        if e == n:
            # D19: EOF inside the id -> E103 at EOF
            self.fail("E103", n, "input ends inside a handle line")
        if data[e] == LF:
            # HLP: the line has no `(` -> E201 at the LF.  (e == p cannot
            # happen here: that would be a blank line, handled above.)
            self.fail("E201", e, "handle line has no `(`")
        if data[e] != LPAREN:
            # HLP: first bad byte of the id span.  This covers an empty span
            # ("at the current byte"), a space before `(` ("at a space"),
            # `}` in `  }` or `} ` (R4), NUL or DEL (D21), non-ASCII.
            self.fail("E201", e, "invalid handle id")
        if e == p:
            # HLP: span empty -> E201 at the current byte, here the `(`.
            self.fail("E201", e, "handle id is missing before `(`")
        handle_id = data[p:e]

        # Inside the parentheses: any failure is E202 (unless E001).
        tags: list[bytes] = []
        q = e + 1  # just after `(`
        while True:
            # D20: after `(` or `,` the next byte must be `"`.
            if q == n:
                self.fail("E103", n, "input ends inside a tag list")  # D19
            if data[q] != QUOTE:
                self.fail("E202", q, "expected a double-quoted tag")  # D20
            # R5: LF inside -> E001; EOF inside -> E103.  R6: anything but a
            # control or `"` is tag content, `""` included.
            tag, q = self.quoted_string(q, "E103", "tag")
            tags.append(tag)
            if q == n:
                self.fail("E103", n, "input ends inside a tag list")  # D19
            if data[q] == COMMA:
                q += 1
                continue
            if data[q] == RPAREN:
                q += 1
                break
            # D20: after a closing tag quote only `,` or `)` may follow.
            self.fail("E202", q, "expected `,` or `)` after a tag")

        # HLP: after `)` the next byte must be LF, else E201 at that byte.
        if q == n:
            self.fail("E103", n, "input ends after a handle line's `)`")  # D19
        if data[q] != LF:
            self.fail("E201", q, "unexpected byte after `)` "
                                 "(the line must end there)")
        self.pos = q + 1
        return handle_id, tags

    # -- S2/S3 scl block -----------------------------------------------------

    def scl_open(self) -> None:
        # R7: EOF at or inside the `scl {` line -> E104 at EOF.
        # R7: a blank line between `}` and `scl {` -> E104 at that LF.
        # D16: the first byte differing from `scl {` LF -> E104 there (this
        # includes any other line after the handles block).
        self.expect_literal(SCL_OPEN, "E104", "`scl {`")

    def scl_body(self) -> bytes:
        data, n, b = self.data, self.n, self.pos
        if b == n:
            # R7: EOF after `scl {` LF without a terminator -> E105 at EOF
            self.fail("E105", n, "input ends before the scl block is closed "
                                 "with `}`")
        # S3: the first content line selects the mode: after optional spaces
        # a `"` means quoted mode, anything else raw mode.  (An empty block
        # `scl {` LF `}` and R10's `scl {` LF `  }` thus read as raw mode.)
        p = self.skip_spaces(b)
        if p < n and data[p] == QUOTE:
            return self.quoted_mode(b)
        return self.raw_mode(b)

    def raw_mode(self, b: int) -> bytes:
        data, n = self.data, self.n
        # S3 / D18: raw mode ends only at the last bytes of the document: the
        # last line (after the last LF) must be `<spaces>}`.  The LF ending
        # the `scl {` line is at b - 1, so last_lf >= b - 1.
        last_lf = data.rfind(b"\n", b - 1)
        p = self.skip_spaces(last_lf + 1)
        if p < n and data[p] == RBRACE:
            if p + 1 == n:
                # D18: valid terminator.  Content = every line before it,
                # joined with LF = the bytes between `scl {` LF and the LF
                # before the final line (empty if the final line is the
                # first line, R10).  D13: lines starting with `"` are content.
                return data[b:last_lf] if last_lf >= b else b""
            if self.skip_spaces(p + 1) == n:
                # S3 / D18: final `}` followed by spaces -> E104 at the first
                # of those spaces.
                self.fail("E104", p + 1, "spaces after the final `}`")
        if last_lf == n - 1:
            prev_lf = data.rfind(b"\n", b - 1, last_lf)
            prev = self.skip_spaces(prev_lf + 1)
            if data[prev] == RBRACE and prev + 1 == last_lf:
                # R8: trailing LF after the final `}` (raw mode or empty
                # block) -> E105 at EOF: the last line is empty, so no
                # terminator exists yet.  R8 asks to name the cause plainly.
                self.fail("E105", n, "trailing line break after the final "
                                     "`}`: the document must end right "
                                     "after the `}`")
        # D18 / D22: anything else on the last line (`}x`, text, spaces) is a
        # premature end -> E105 at EOF.
        self.fail("E105", n, "input ends before the scl block is closed with "
                             "a final `}` line")

    def quoted_mode(self, b: int) -> bytes:
        data, n = self.data, self.n
        lines: list[bytes] = []
        ls = b
        while True:
            if ls == n:
                # R7: EOF after a quoted line's LF, no `}` yet -> E105 at EOF
                self.fail("E105", n, "input ends before the scl block is "
                                     "closed with `}`")
            if data[ls] == RBRACE:
                if ls + 1 == n:
                    break  # S3: the terminator, exactly `}` then EOF
                # D17: `}` at column 1 not followed by EOF -> E104 at the byte
                # after the `}`.  R8: that byte is a trailing LF.
                if data[ls + 1] == LF:
                    self.fail("E104", ls + 1, "trailing line break after the "
                                              "final `}` (quoted mode: the "
                                              "document must end at the `}`)")
                self.fail("E104", ls + 1, "unexpected byte after `}`")
            p = self.skip_spaces(ls)
            if p == n:
                # No rule names this case (spaces then EOF on a quoted-mode
                # line): rule 3 of the order of authority, a premature end ->
                # the section's EOF code (cf. D22 for the first line).
                self.fail("E105", n, "input ends before the scl block is "
                                     "closed with `}`")
            if data[p] != QUOTE:
                # R9: first non-space byte is not `"` (and the line is not the
                # terminator) -> E104 at that byte; a blank line -> at its LF;
                # `  }` -> at the `}` (the terminator has no indentation).
                if data[p] == LF:
                    self.fail("E104", p, "blank line inside a quoted-mode "
                                         "scl block")
                if data[p] == RBRACE:
                    self.fail("E104", p, "the final `}` of a quoted-mode scl "
                                         "block must not be indented")
                self.fail("E104", p, "quoted mode: every content line must "
                                     "be a double-quoted string")
            # R5: LF inside -> E001 at the LF; EOF inside -> E105 at EOF.
            inner, q = self.quoted_string(p, "E105", "line")
            lines.append(inner)
            if q == n:
                # D17: EOF after the closing quote -> E105 at EOF
                self.fail("E105", n, "input ends after a quoted line")
            if data[q] != LF:
                # D17: nothing but LF may follow the closing quote
                self.fail("E104", q, "unexpected byte after the closing quote")
            ls = q + 1
        # S3: content = the inner bytes of each line joined with LF.
        return b"\n".join(lines)


# --------------------------------------------------------------------------
# Public API: parse, canonical, doc_hash, check
# --------------------------------------------------------------------------


def make_ast(handles: list[tuple[str, list[str]]], content: str) -> dict:
    """The AST of S4, as plain dicts/lists/strings."""
    return {
        "type": "Document",
        "version": "SCL:V1",
        "handles": [
            {"type": "Handle", "id": hid, "tags": list(tags)}
            for hid, tags in handles
        ],
        "scl": {"type": "SclBlock", "content": content, "hints": [], "refs": []},
    }


def parse(data: bytes) -> dict:
    """Parse one SCL:V1 document.  Returns the AST or raises SclError."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError("parse() takes bytes")
    data = bytes(data)
    e001 = first_e001_anywhere(data)
    try:
        raw_handles, raw_content = _Parser(data).parse_document()
    except SclError as err:
        # S5: one error, the lowest offset; at the same offset E001 wins.
        if e001 is not None and e001 <= err.offset:
            raise _e001_error(data, e001) from None
        raise
    if e001 is not None:
        raise _e001_error(data, e001)
    # No E001 anywhere, so every piece is valid UTF-8.
    handles = [(hid.decode("ascii"), [t.decode("utf-8") for t in tags])
               for hid, tags in raw_handles]
    return make_ast(handles, raw_content.decode("utf-8"))


def _e001_error(data: bytes, offset: int) -> SclError:
    byte = data[offset]
    if byte == 0x0D:
        what = "carriage return (CR) is forbidden"
    elif byte == 0x09:
        what = "tab character is forbidden"
    else:
        what = "invalid UTF-8"
    return SclError("E001", offset, what)


# R11: the hex digits of \u00xx escapes are lowercase.  Kept in this one place.
HEX_DIGITS = "0123456789abcdef"

# S4: minimal escaping; translate() maps each code point to its escape.
_ESCAPE_TABLE = {c: "\\u00" + HEX_DIGITS[c >> 4] + HEX_DIGITS[c & 15]
                 for c in range(0x20)}
_ESCAPE_TABLE[ord('"')] = '\\"'
_ESCAPE_TABLE[ord("\\")] = "\\\\"


def _write(value, out: list[str]) -> None:
    if isinstance(value, str):
        out.append('"')
        out.append(value.translate(_ESCAPE_TABLE))
        out.append('"')
    elif isinstance(value, dict):
        out.append("{")
        # S4: keys sorted by raw UTF-8 byte order (a prefix sorts first)
        for i, key in enumerate(sorted(value, key=lambda k: k.encode("utf-8"))):
            if not isinstance(key, str):
                raise TypeError("object keys must be strings")
            if i:
                out.append(",")
            _write(key, out)
            out.append(":")
            _write(value[key], out)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        # S4: only objects, arrays and strings
        raise TypeError(f"canonical JSON has no {type(value).__name__}")


def canonical(ast: dict) -> bytes:
    """The canonical JSON bytes of an AST (S4)."""
    out: list[str] = []
    _write(ast, out)
    return "".join(out).encode("utf-8")


def doc_hash(ast_or_canonical) -> str:
    """doc_hash = SHA-256 of the canonical JSON bytes, 64 lowercase hex (S4)."""
    if isinstance(ast_or_canonical, (bytes, bytearray)):
        return hashlib.sha256(ast_or_canonical).hexdigest()
    return hashlib.sha256(canonical(ast_or_canonical)).hexdigest()


def check(data: bytes) -> dict:
    """The engine-protocol result object for one document."""
    try:
        ast = parse(data)
    except SclError as err:
        return {"valid": False, "code": err.code, "offset": err.offset}
    canon = canonical(ast)
    return {
        "valid": True,
        "canonical": canon.decode("utf-8"),
        "sha256": hashlib.sha256(canon).hexdigest(),
    }


# --------------------------------------------------------------------------
# D23: line and column of an offset
# --------------------------------------------------------------------------


def line_col(data: bytes, offset: int) -> tuple[int, int]:
    """D23: line = 1 + number of LF before the offset; column = 1 + number of
    bytes since the last LF before it (bytes, not characters).  EOF (offset =
    len) lies on the last line."""
    if not 0 <= offset <= len(data):
        raise ValueError("offset out of range")
    line = 1 + data.count(b"\n", 0, offset)
    last_lf = data.rfind(b"\n", 0, offset)
    return line, offset - last_lf  # last_lf = -1 gives column offset + 1


# --------------------------------------------------------------------------
# D25: strict decoder for canonical JSON
# --------------------------------------------------------------------------


class CanonicalError(ValueError):
    """Canonical JSON rejected; ``offset`` is the first offending byte."""

    def __init__(self, offset: int, message: str):
        super().__init__(f"byte {offset}: {message}")
        self.offset = offset
        self.message = message


# Runs of bytes that need no attention inside strings (printable ASCII other
# than `"` and `\`, plus non-ASCII, whose UTF-8 is validated separately).
_TAG_PLAIN = re.compile(rb'[\x20\x21\x23-\x5b\x5d-\x7e\x80-\xff]*')
_CONTENT_PLAIN = re.compile(rb'[\x20\x21\x23-\x5b\x5d-\x7f\x80-\xff]*')
_ID_CHARS = re.compile(rb"[A-Za-z0-9_]*")
_ID_FIRST = re.compile(rb"[A-Za-z_]")


def _utf8_first_offending(data: bytes) -> int | None:
    """First byte at which no valid UTF-8 could continue (D25 reading).

    For a bad start byte that is the byte itself; for a sequence whose n-th
    byte is wrong it is that n-th byte; for a sequence cut by EOF it is EOF.
    Python's decoder reports the maximal valid subpart, whose end is exactly
    that byte."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.reason == "invalid start byte":
            return exc.start
        return exc.end
    return None


class _CanonReader:
    def __init__(self, data: bytes):
        self.data = data
        self.n = len(data)
        self.pos = 0

    def fail(self, offset: int, message: str):
        raise CanonicalError(offset, message)

    def expect(self, literal: bytes) -> None:
        data, n, start = self.data, self.n, self.pos
        for i, expected in enumerate(literal):
            q = start + i
            if q >= n:
                self.fail(n, f"input ends; expected {literal[i:]!r}")
            if data[q] != expected:
                self.fail(q, f"expected {bytes([expected])!r}")
        self.pos = start + len(literal)

    def one_of(self, choices: bytes) -> int:
        if self.pos >= self.n:
            self.fail(self.n, f"input ends; expected one of {choices!r}")
        c = self.data[self.pos]
        if c not in choices:
            self.fail(self.pos, f"expected one of {choices!r}")
        self.pos += 1
        return c

    def read_id(self) -> str:
        # the opening quote has been read; the id regex of S2, then `"`
        data, p = self.data, self.pos
        if not _ID_FIRST.match(data, p):
            self.fail(min(p, self.n), "handle id must match "
                                      "[A-Za-z_][A-Za-z0-9_]*")
        e = _ID_CHARS.match(data, p + 1).end()
        if e >= self.n:
            self.fail(self.n, "input ends inside a handle id")
        if data[e] != QUOTE:
            self.fail(e, "handle id must match [A-Za-z_][A-Za-z0-9_]*")
        self.pos = e + 1
        return data[p:e].decode("ascii")

    def read_string(self, is_content: bool) -> str:
        """Read a string body (opening quote already read) up to and including
        its closing quote; only escapes the encoder can produce for a value
        some SCL:V1 input yields are accepted."""
        data, n = self.data, self.n
        plain = _CONTENT_PLAIN if is_content else _TAG_PLAIN
        parts: list[str] = []
        p = self.pos
        if is_content:
            # D26/S3: a content whose first line starts with optional spaces
            # then `"` cannot come from any input (it would select quoted
            # mode, which cannot hold `"`).  The offending byte is that `"`.
            s = _SPACES.match(data, p).end()
            if data[s:s + 2] == b'\\"':
                self.fail(s + 1, 'content cannot start with optional spaces '
                                 'then `"`')
        while True:
            e = plain.match(data, p).end()
            if e > p:
                parts.append(data[p:e].decode("utf-8", errors="replace"))
            p = e
            if p >= n:
                self.fail(n, "input ends inside a string")
            c = data[p]
            if c == QUOTE:
                self.pos = p + 1
                return "".join(parts)
            if c != 0x5C:  # a raw control byte (or DEL in a tag)
                self.fail(p, "raw control character in a string")
            # a backslash escape
            if p + 1 >= n:
                self.fail(n, "input ends inside an escape")
            e1 = data[p + 1]
            if e1 == 0x5C:
                parts.append("\\")
                p += 2
                continue
            if not is_content:
                # a tag contains neither `"` nor a control character (S1, S2)
                self.fail(p + 1, "tags admit only the escape \\\\")
            if e1 == QUOTE:
                parts.append('"')
                p += 2
                continue
            # \u00xx with xx lowercase hex in 00..1f (R11), but never TAB or
            # CR (S1: no input holds them)
            if e1 != ord("u"):
                self.fail(p + 1, "only \\\", \\\\ and \\u00xx escapes exist")
            for k, allowed in ((2, b"0"), (3, b"0"), (4, b"01"),
                               (5, b"0123456789abcdef")):
                if p + k >= n:
                    self.fail(n, "input ends inside an escape")
                if data[p + k] not in allowed:
                    self.fail(p + k, "invalid \\u escape")
            code = int(data[p + 4:p + 6], 16)
            if code in (0x09, 0x0D):
                self.fail(p + 5, "TAB and CR cannot occur in SCL:V1 content")
            parts.append(chr(code))
            p += 6


def decode_canonical(data: bytes) -> dict:
    """D25: accept exactly the canonical JSON of some SCL:V1 document and
    return its AST; otherwise raise CanonicalError at the first offending
    byte (the first byte at which no acceptable text could continue, rule 3
    of the order of authority; EOF = len(data) for a truncated text)."""
    data = bytes(data)
    utf8_bad = _utf8_first_offending(data)
    r = _CanonReader(data)
    try:
        r.expect(b'{"handles":[')
        handles: list[tuple[str, list[str]]] = []
        while True:
            r.expect(b'{"id":"')
            hid = r.read_id()
            r.expect(b',"tags":[')
            tags: list[str] = []
            while True:
                r.expect(b'"')
                tags.append(r.read_string(is_content=False))
                if r.one_of(b",]") == ord("]"):
                    break
            r.expect(b',"type":"Handle"}')
            handles.append((hid, tags))
            if r.one_of(b",]") == ord("]"):
                break
        r.expect(b',"scl":{"content":"')
        content = r.read_string(is_content=True)
        r.expect(b',"hints":[],"refs":[],"type":"SclBlock"},'
                 b'"type":"Document","version":"SCL:V1"}')
        if r.pos != r.n:
            r.fail(r.pos, "bytes after the end of the document")
    except CanonicalError as err:
        if utf8_bad is not None and utf8_bad <= err.offset:
            raise CanonicalError(utf8_bad, "invalid UTF-8") from None
        raise
    if utf8_bad is not None:
        raise CanonicalError(utf8_bad, "invalid UTF-8")
    return make_ast(handles, content)


# --------------------------------------------------------------------------
# D26: the builder (AST -> SCL:V1 source)
# --------------------------------------------------------------------------


class BuildError(ValueError):
    pass


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TAG_FORBIDDEN = re.compile(r'["\x00-\x1f\x7f]')
_FIRST_LINE_QUOTE = re.compile(r' *"')

INDENT = "  "  # not content (S7); any indentation gives the same identity


def build(ast: dict) -> bytes:
    """D26: write an SCL:V1 document whose parse gives ``ast``.

    Empty content -> `scl {` LF `}`; quoted mode when no content line holds
    `"` or a control character; otherwise raw mode.  Content no mode can
    represent (CR, TAB, a first line of optional spaces then `"`) and handles
    no input can hold are refused with BuildError.
    """
    handles = ast["handles"]
    content = ast["scl"]["content"]
    if not handles:
        raise BuildError("at least one handle is required")  # S2
    out = ["SCL:V1\n\nhandles {\n"]
    for h in handles:
        hid, tags = h["id"], h["tags"]
        if not _ID_FULL.match(hid):
            raise BuildError(f"invalid handle id {hid!r}")  # S2
        if not tags:
            raise BuildError("a handle needs at least one tag")  # S2
        for t in tags:
            if _TAG_FORBIDDEN.search(t):
                raise BuildError(f"tag {t!r} holds `\"` or a control")  # S1/S2
        out.append(INDENT + hid + "(" + ",".join('"' + t + '"' for t in tags)
                   + ")\n")
    out.append("}\nscl {\n")
    if "\r" in content or "\t" in content:
        raise BuildError("content holds CR or TAB (S1)")
    lines = content.split("\n")
    if content == "":
        out.append("}")
    elif not any('"' in ln or _CONTROL.search(ln) for ln in lines):
        for ln in lines:
            out.append(INDENT + '"' + ln + '"\n')
        out.append("}")
    else:
        if _FIRST_LINE_QUOTE.match(lines[0]):
            raise BuildError('content whose first line starts with optional '
                             'spaces then `"` has no SCL:V1 form (S3)')
        out.append(content + "\n}")
    return "".join(out).encode("utf-8")


# --------------------------------------------------------------------------
# Command line (engine protocol)
# --------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    if len(argv) > 2:
        sys.stderr.write("usage: scl_engine.py [FILE]  (default: stdin)\n")
        return 2
    if len(argv) == 2:
        with open(argv[1], "rb") as f:
            data = f.read()
    else:
        data = sys.stdin.buffer.read()
    try:
        result = check(data)
    except Exception:  # D24: unreachable; reported, never hidden
        import traceback
        traceback.print_exc()
        result = {"valid": False, "code": "E900", "offset": 0}
    line = json.dumps(result, ensure_ascii=False, separators=(",", ":"))
    sys.stdout.buffer.write(line.encode("utf-8") + b"\n")
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
