"""Self-test of the independent Python SCL:V1 engine (stdlib unittest only).

Run from the repository root:
    python3 -m unittest discover -s conformance/engines/python

Every expected (code, offset) below was derived by hand from the rule texts
(shared/scl-v1.md and spec/DECISIONS.md); the derivation is the comment next
to it.  Two prefixes are used throughout:

  H = "SCL:V1\n\nhandles {\n"          bytes 0..17, len 18
      S0 C1 L2 :3 V4 15 LF6 LF7 h8 a9 n10 d11 l12 e13 s14 sp15 {16 LF17
  P = H + 'h("x")\n}\nscl {\n'          len 33, scl content starts at 33
      h18 (19 "20 x21 "22 )23 LF24 }25 LF26 s27 c28 l29 sp30 {31 LF32
"""

import hashlib
import os
import random
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import scl_engine as E  # noqa: E402

ENGINE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scl_engine.py")

H = b"SCL:V1\n\nhandles {\n"
P = H + b'h("x")\n}\nscl {\n'

G1 = b'SCL:V1\n\nhandles {\n  h1("test")\n}\nscl {\n  "hello world"\n}'
G1_HASH = "56e66666e6597fe83feed1325b516635831a7b5d2216f7520a569230a7673612"
G1_CANON = (b'{"handles":[{"id":"h1","tags":["test"],"type":"Handle"}],'
            b'"scl":{"content":"hello world","hints":[],"refs":[],'
            b'"type":"SclBlock"},"type":"Document","version":"SCL:V1"}')
G2 = b'SCL:V1\n\nhandles {\n  id("tag1","tag2")\n}\nscl {\n}'
G2_HASH = "9daf8e086945067515ed8765f8265f991b078d3a4fde708d1f1f66eaa790b5f5"
G3 = b'SCL:V1\n\nhandles {\nh1("x")\nh2("x")\n}\nscl {\n}'
G3_HASH = "958bade3ea2e1400923ea6dc4c92027d0d0e1dca9047f2380881b02ab3623738"


def err(data):
    """(code, offset) of an invalid document; fails the test if valid."""
    try:
        E.parse(data)
    except E.SclError as e:
        return e.as_tuple()
    raise AssertionError(f"expected an error for {data!r}")


def content(data):
    return E.parse(data)["scl"]["content"]


class Base(unittest.TestCase):
    def assertErr(self, data, code, offset):
        self.assertEqual(err(data), (code, offset), repr(data))

    def test_prefix_lengths(self):
        self.assertEqual(len(H), 18)
        self.assertEqual(len(P), 33)
        self.assertEqual(content(P + b"}"), "")


class Golden(Base):
    def test_golden_1(self):
        ast = E.parse(G1)
        self.assertEqual(E.canonical(ast), G1_CANON)
        self.assertEqual(E.doc_hash(ast), G1_HASH)
        self.assertEqual(hashlib.sha256(G1_CANON).hexdigest(), G1_HASH)

    def test_golden_2(self):
        ast = E.parse(G2)
        self.assertEqual(E.doc_hash(ast), G2_HASH)
        self.assertEqual(ast["handles"][0]["tags"], ["tag1", "tag2"])
        self.assertEqual(ast["scl"]["content"], "")

    def test_golden_3(self):
        ast = E.parse(G3)
        self.assertEqual(E.doc_hash(ast), G3_HASH)
        self.assertEqual([h["id"] for h in ast["handles"]], ["h1", "h2"])

    def test_indentation_is_not_content(self):
        # S7: the same inputs without indentation give the same hashes
        g1 = b'SCL:V1\n\nhandles {\nh1("test")\n}\nscl {\n"hello world"\n}'
        g2 = b'SCL:V1\n\nhandles {\nid("tag1","tag2")\n}\nscl {\n}'
        g3 = b'SCL:V1\n\nhandles {\n    h1("x")\n h2("x")\n}\nscl {\n}'
        self.assertEqual(E.doc_hash(E.parse(g1)), G1_HASH)
        self.assertEqual(E.doc_hash(E.parse(g2)), G2_HASH)
        self.assertEqual(E.doc_hash(E.parse(g3)), G3_HASH)


class Resolutions(Base):
    def test_R1_empty_and_truncated_header(self):
        self.assertErr(b"", "E101", 0)  # empty input -> E101 at 0 (= EOF)
        self.assertErr(b"SCL", "E101", 3)  # EOF inside header, EOF = 3
        self.assertErr(b"SCL:V1\n", "E101", 7)  # EOF before the blank line
        # `SCL:V1\n\n` is a complete header: the EOF is "at the handles {
        # line" -> R3, E102 at EOF = 8
        self.assertErr(b"SCL:V1\n\n", "E102", 8)

    def test_R2_third_lf(self):
        # third LF after the header is byte 8
        self.assertErr(b"SCL:V1\n\n\nhandles {\n" + P[18:] + b"}", "E101", 8)
        self.assertErr(b"SCL:V1\n\n\n", "E101", 8)

    def test_R3_handles_eof(self):
        self.assertErr(b"SCL:V1\n\nhand", "E102", 12)  # EOF inside, at 12
        self.assertErr(b"SCL:V1\n\nhandles {", "E102", 17)  # EOF at the LF slot
        self.assertErr(H, "E103", 18)  # after `handles {` LF, EOF = 18
        self.assertErr(H + b'h("x")\n', "E103", 25)  # 18 + 7 = 25
        # `}` + EOF as the closing line: `}` at 25, EOF = 26
        self.assertErr(H + b'h("x")\n}', "E103", 26)

    def test_R4_brace_lines_through_procedure(self):
        # line starts at 25: sp25 sp26 }27 -> E201 at the `}`
        self.assertErr(H + b'h("x")\n  }\nscl {\n}', "E201", 27)
        # `} `: `}` at 25 is the first bad byte of the id span
        self.assertErr(H + b'h("x")\n} \nscl {\n}', "E201", 25)
        # same as the first line (D12 covers only `}` LF / `}` EOF): `}` at 18
        self.assertErr(H + b"} \n", "E201", 18)
        self.assertErr(H + b"  }\n", "E201", 20)

    def test_R5_lf_and_eof_inside_quotes(self):
        # tag: h18 (19 "20 x21 LF22 -> E001 at the LF
        self.assertErr(H + b'h("x\n")\n}\nscl {\n}', "E001", 22)
        # EOF inside the tag: EOF = 22 -> E103
        self.assertErr(H + b'h("x', "E103", 22)
        # quoted line: "33 a34 b35 LF36 -> E001 at 36
        self.assertErr(P + b'"ab\n}', "E001", 36)
        # EOF inside the quoted line: EOF = 36 -> E105
        self.assertErr(P + b'"ab', "E105", 36)

    def test_R6_tags_literal(self):
        doc = H + b'h("","a,)\\b","\xc3\xa9 \xe2\x82\xac")\n}\nscl {\n}'
        ast = E.parse(doc)
        self.assertEqual(ast["handles"][0]["tags"], ["", "a,)\\b", "\u00e9 \u20ac"])
        # a backslash is a backslash; in JSON it becomes \\
        self.assertIn(b'"a,)\\\\b"', E.canonical(ast))

    def test_R7_scl_line(self):
        # handles closed at 25/26; `scl {` would start at 27
        self.assertErr(H + b'h("x")\n}\n', "E104", 27)  # EOF at the scl line
        self.assertErr(H + b'h("x")\n}\nsc', "E104", 29)  # EOF inside it
        self.assertErr(H + b'h("x")\n}\nscl {', "E104", 32)  # EOF at its LF slot
        self.assertErr(P, "E105", 33)  # EOF after `scl {` LF
        self.assertErr(P + b"abc", "E105", 36)  # raw, no terminator
        # blank line between `}` and `scl {`: that LF is byte 27
        self.assertErr(H + b'h("x")\n}\n\nscl {\n}', "E104", 27)

    def test_R8_trailing_lf(self):
        # raw: a33 b34 c35 LF36 }37 LF38, EOF = 39 -> E105 at EOF
        self.assertErr(P + b"abc\n}\n", "E105", 39)
        # empty block: }33 LF34, EOF = 35 -> E105 at EOF
        self.assertErr(P + b"}\n", "E105", 35)
        # quoted: "33 a34 "35 LF36 }37 LF38 -> E104 at that LF
        self.assertErr(P + b'"a"\n}\n', "E104", 38)
        # R8: messages name the cause in plain words
        for doc in (P + b"abc\n}\n", P + b"}\n", P + b'"a"\n}\n'):
            with self.assertRaises(E.SclError) as cm:
                E.parse(doc)
            self.assertIn("trailing line break", cm.exception.message)

    def test_R9_quoted_mode_lines(self):
        # "33 a34 "35 LF36 then line at 37: `b` is not `"` -> E104 at 37
        self.assertErr(P + b'"a"\nb\n}', "E104", 37)
        # `  }`: sp37 sp38 }39 -> E104 at the `}`
        self.assertErr(P + b'"a"\n  }', "E104", 39)
        # blank line: its LF is 37
        self.assertErr(P + b'"a"\n\n"b"\n}', "E104", 37)
        # whitespace-only line: first non-space byte is the LF at 39
        self.assertErr(P + b'"a"\n  \n"b"\n}', "E104", 39)

    def test_R10_indented_terminator_empty(self):
        self.assertEqual(content(P + b"  }"), "")
        self.assertEqual(content(P + b"}"), "")

    def test_R11_lowercase_hex(self):
        # raw content: VT (0x0b), LF, US (0x1f), ESC (0x1b)
        ast = E.parse(P + b"\x0b\n\x1f\x1b\n}")
        self.assertIn(b'"content":"\\u000b\\u000a\\u001f\\u001b"', E.canonical(ast))
        self.assertEqual(E.HEX_DIGITS, "0123456789abcdef")


class Decisions(Base):
    def test_D12_empty_handles(self):
        self.assertErr(H + b"}\nscl {\n}", "E102", 18)  # `}` at 18
        self.assertErr(H + b"}", "E102", 18)  # `}` + EOF, still at the `}`

    def test_D13_raw_later_quote_line(self):
        self.assertEqual(content(P + b'abc\n  "q"\n}'), 'abc\n  "q"')
        self.assertEqual(content(P + b'\n"q"\n}'), '\n"q"')

    def test_D14_header_mismatch(self):
        rest = b"\n\nhandles {\n" + P[18:] + b"}"
        self.assertErr(b"SCL:V2" + rest, "E101", 5)  # `2` at 5
        self.assertErr(b"SCL:V1 " + rest[:1], "E101", 6)  # space at 6
        self.assertErr(b"\xef\xbb\xbf" + G1, "E101", 0)  # BOM at 0
        self.assertErr(b"scl:V1" + rest, "E101", 0)

    def test_D15_handles_line_mismatch(self):
        # h8 a9 n10 d11 l12 e13 s14, then `{` at 15 where a space is expected
        self.assertErr(b"SCL:V1\n\nhandles{\n", "E102", 15)
        self.assertErr(b"SCL:V1\n\nHandles {\n", "E102", 8)
        self.assertErr(b"SCL:V1\n\nhandles { \n", "E102", 17)  # space at 17

    def test_D16_scl_line_mismatch(self):
        # s27 c28 l29 then `{` at 30 where a space is expected
        self.assertErr(H + b'h("x")\n}\nscl{\n}', "E104", 30)
        self.assertErr(H + b'h("x")\n}\n  scl {\n}', "E104", 27)
        # another handle line after the block: `g` at 27
        self.assertErr(H + b'h("x")\n}\ng("y")\nscl {\n}', "E104", 27)
        self.assertErr(H + b'h("x")\n}\nscl { \n}', "E104", 32)

    def test_D17_after_closing_quote(self):
        # "33 a34 "35 then space at 36 -> E104 at 36
        self.assertErr(P + b'"a" \n}', "E104", 36)
        self.assertErr(P + b'"a"x\n}', "E104", 36)
        self.assertErr(P + b'"a"}', "E104", 36)
        self.assertErr(P + b'"a"', "E105", 36)  # EOF after the quote
        # `}` at column 1 (37) not followed by EOF -> the byte after it, 38
        self.assertErr(P + b'"a"\n}x', "E104", 38)
        self.assertErr(P + b'"a"\n} ', "E104", 38)
        self.assertErr(P + b'"a"\n}\n', "E104", 38)
        self.assertErr(P + b'"a"\n', "E105", 37)  # EOF at a line start

    def test_D18_raw_terminator(self):
        self.assertEqual(content(P + b"x\n  }"), "x")
        self.assertEqual(content(P + b"}\nx\n}"), "}\nx")  # earlier `}` is content
        self.assertEqual(content(P + b"  a\n\n  b \n  }"), "  a\n\n  b ")
        # x33 LF34 }35 sp36 -> E104 at the first trailing space
        self.assertErr(P + b"x\n} ", "E104", 36)
        # x33 LF34 sp35 sp36 }37 sp38 sp39 -> E104 at 38
        self.assertErr(P + b"x\n  }  ", "E104", 38)
        # first line is also the last line: }33 sp34 -> E104 at 34
        self.assertErr(P + b"} ", "E104", 34)
        # anything else -> E105 at EOF
        self.assertErr(P + b"x\n}x", "E105", 37)
        self.assertErr(P + b"x\n} x", "E105", 38)
        self.assertErr(P + b"x\n", "E105", 35)
        self.assertErr(P + b"x\nabc", "E105", 38)

    def test_D19_eof_in_handle_line(self):
        self.assertErr(H + b"h", "E103", 19)  # inside the id
        self.assertErr(H + b"h(", "E103", 20)  # after the id / `(`
        self.assertErr(H + b'h("x"', "E103", 23)  # after a closing tag quote
        self.assertErr(H + b'h("x",', "E103", 24)  # after `,`
        self.assertErr(H + b'h("x")', "E103", 24)  # after `)`
        self.assertErr(H + b"   ", "E103", 21)  # whitespace-only line + EOF
        self.assertErr(H + b'h("x")\n  ', "E103", 27)
        # an earlier byte of the line already failed: `-` at 19
        self.assertErr(H + b"h-", "E201", 19)

    def test_D20_tag_list(self):
        self.assertErr(H + b"h()\n", "E202", 20)  # `)` at 20
        # h18 (19 "20 a21 "22 ,23 )24
        self.assertErr(H + b'h("a",)\n', "E202", 24)
        self.assertErr(H + b'h("a" )\n', "E202", 23)  # space at 23
        self.assertErr(H + b'h( "a")\n', "E202", 20)  # space at 20
        self.assertErr(H + b"h(a)\n", "E202", 20)
        self.assertErr(H + b'h("a"\n', "E202", 23)  # LF after a closing quote
        self.assertErr(H + b"h(\n", "E202", 20)  # LF right after `(`
        self.assertErr(H + b'h("a","b" ,"c")\n', "E202", 27)  # "26 space 27

    def test_D21_controls_outside_quotes(self):
        self.assertErr(H + b'h\x00("x")\n}\nscl {\n}', "E201", 19)  # NUL in id
        self.assertErr(H + b'\x7fh("x")\n}\nscl {\n}', "E201", 18)  # DEL
        self.assertErr(b"SCL\x00V1\n\n", "E101", 3)  # NUL in header
        self.assertErr(b"SCL:V1\n\nhandles\x00{\n", "E102", 15)
        self.assertErr(H + b'h("x")\x00\n', "E201", 24)  # after `)`
        self.assertErr(H + b"h(\x01\n", "E202", 20)  # after `(`
        self.assertErr(H + b'h("x")\n}\n\x00', "E104", 27)
        # inside quoted strings the same bytes are E001
        self.assertErr(H + b'h("a\x00")\n}\nscl {\n}', "E001", 22)
        self.assertErr(H + b'h("a\x7f")\n}\nscl {\n}', "E001", 22)
        self.assertErr(P + b'"a\x1fb"\n}', "E001", 35)  # "33 a34 US35
        self.assertErr(P + b'"\x7f"\n}', "E001", 34)
        # raw content may hold NUL, 0x01, DEL
        self.assertEqual(content(P + b"a\x00\x01\x7f\n}"), "a\x00\x01\x7f")

    def test_D22_first_line_spaces_eof(self):
        self.assertErr(P + b"   ", "E105", 36)
        self.assertErr(P + b"\n", "E105", 34)  # first line empty, then EOF

    def test_D23_line_col(self):
        d = b"ab\ncd"
        self.assertEqual(E.line_col(d, 0), (1, 1))
        self.assertEqual(E.line_col(d, 2), (1, 3))  # the LF itself
        self.assertEqual(E.line_col(d, 3), (2, 1))
        self.assertEqual(E.line_col(d, 5), (2, 3))  # EOF on the last line
        self.assertEqual(E.line_col(b"ab\n", 3), (2, 1))
        self.assertEqual(E.line_col(b"", 0), (1, 1))
        # bytes, not characters: e = C3 A9 (2 bytes), so `x` is column 3
        self.assertEqual(E.line_col("\u00e9x".encode(), 2), (1, 3))
        # P's first content byte (33) is line 7 column 1
        self.assertEqual(E.line_col(P, 33), (7, 1))

    def test_D24_never_E900(self):
        rng = random.Random(20240601)
        seeds = [G1, G2, G3, P + b'"a"\n"b"\n}', P + b"raw\n  }",
                 H + b'a("1","2")\nb("3")\n}\nscl {\n}']
        alphabet = b' \n"(),}{SCLV:1abhx_\x00\x7f\t\r\xc3\xa9\xff\\'
        for _ in range(4000):
            d = bytearray(rng.choice(seeds))
            for _ in range(rng.randint(1, 4)):
                op = rng.randrange(3)
                i = rng.randint(0, len(d))
                if op == 0 and d:
                    del d[min(i, len(d) - 1)]
                elif op == 1:
                    d.insert(i, rng.choice(alphabet))
                else:
                    d[:] = d[:i]
            d = bytes(d)
            try:
                ast = E.parse(d)
            except E.SclError as e:
                self.assertNotEqual(e.code, "E900")
                self.assertTrue(0 <= e.offset <= len(d), (d, e))
                continue
            canon = E.canonical(ast)
            self.assertEqual(E.decode_canonical(canon), ast)
            self.assertEqual(E.parse(E.build(ast)), ast)

    # D25 ---------------------------------------------------------------
    # Offsets inside G1_CANON:  {"handles":[ 0..11, {"id":" 12..18, h1 19..20,
    # " 21, ,"tags":[ 22..30, " 31, test 32..35, " 36, ] 37,
    # ,"type":"Handle"} 38..54, ] 55, ,"scl":{"content":" 56..74,
    # hello world 75..85, " 86, ,"hints":[ 87..96, ] 97
    def canon_err(self, data):
        try:
            E.decode_canonical(data)
        except E.CanonicalError as e:
            return e.offset
        raise AssertionError(f"expected rejection of {data!r}")

    def with_content(self, raw):
        return G1_CANON.replace(b"hello world", raw)

    def test_D25_accepts(self):
        self.assertEqual(G1_CANON.index(b"hello"), 75)
        self.assertEqual(G1_CANON.index(b'"hints'), 88)
        for g in (G1, G2, G3):
            ast = E.parse(g)
            self.assertEqual(E.decode_canonical(E.canonical(ast)), ast)
        ast = E.decode_canonical(self.with_content(b'\\u0000\x7f\\"\\\\ \xc3\xa9'))
        self.assertEqual(ast["scl"]["content"], '\x00\x7f"\\ \u00e9')

    def test_D25_rejects(self):
        c = G1_CANON
        self.assertEqual(self.canon_err(b'{ ' + c[1:]), 1)  # whitespace
        self.assertEqual(self.canon_err(c.replace(b'{"handles"', b'{"scl"')), 2)
        self.assertEqual(self.canon_err(self.with_content(b"a\\nb")), 77)  # `n`
        self.assertEqual(self.canon_err(self.with_content(b"\\/")), 76)  # `/`
        # \u000A: \75 u76 077 078 079 A80
        self.assertEqual(self.canon_err(self.with_content(b"\\u000A")), 80)
        self.assertEqual(self.canon_err(self.with_content(b"\\u0009")), 80)  # TAB
        self.assertEqual(self.canon_err(self.with_content(b"\\u000d")), 80)  # CR
        self.assertEqual(self.canon_err(self.with_content(b"\\u0020")), 79)
        self.assertEqual(self.canon_err(self.with_content(b"\\u00e9")), 79)
        self.assertEqual(self.canon_err(self.with_content(b"a\x01")), 76)  # raw ctl
        # first content line = spaces then `"`: sp75 sp76 \77 "78
        self.assertEqual(self.canon_err(self.with_content(b'  \\"x')), 78)
        self.assertEqual(E.decode_canonical(self.with_content(b'a\\"'))
                         ["scl"]["content"], 'a"')
        # extra field: ,87 "88 e89 where `h` is required
        self.assertEqual(self.canon_err(c.replace(b',"hints"', b',"extra":"x","hints"')), 89)
        # missing field: ,87 "88 r89
        self.assertEqual(self.canon_err(c.replace(b'"hints":[],', b"")), 89)
        self.assertEqual(self.canon_err(c.replace(b'"hints":[]', b'"hints":[1]')), 97)
        self.assertEqual(self.canon_err(c.replace(b'"h1"', b'"1h"')), 19)
        self.assertEqual(self.canon_err(c.replace(b'"h1"', b'""')), 19)
        self.assertEqual(self.canon_err(c.replace(b'"h1"', b'"h-1"')), 20)
        # tag with a control: t32 e33 \34 u35 -> tags admit only \\
        self.assertEqual(self.canon_err(c.replace(b'"test"', b'"te\\u0001st"')), 35)
        self.assertEqual(self.canon_err(c.replace(b'"test"', b'"te\x7f"')), 34)
        self.assertEqual(self.canon_err(c.replace(b'"test"', b'"t\\""')), 34)
        self.assertEqual(self.canon_err(c.replace(b'["test"]', b"[]")), 31)
        self.assertEqual(self.canon_err(b'{"handles":[]' + c[13:]), 12)
        self.assertEqual(self.canon_err(c[:-1]), len(c) - 1)  # truncated: EOF
        self.assertEqual(self.canon_err(c + b"\n"), len(c))
        self.assertEqual(self.canon_err(b""), 0)
        # UTF-8 (first byte at which no valid text could continue)
        self.assertEqual(self.canon_err(self.with_content(b"\xc0\xaf")), 75)
        self.assertEqual(self.canon_err(self.with_content(b"\xe2\x82A")), 77)
        self.assertEqual(self.canon_err(self.with_content(b"\xed\xa0\x80")), 76)

    def test_D26_builder(self):
        def ast(content, handles=(("h", ["x"]),)):
            return E.make_ast(list(handles), content)

        def scl_part(doc):
            return doc[doc.index(b"scl {\n"):]

        self.assertEqual(scl_part(E.build(ast(""))), b"scl {\n}")
        self.assertEqual(scl_part(E.build(ast("a\n b"))), b'scl {\n  "a"\n  " b"\n}')
        self.assertEqual(scl_part(E.build(ast('a"b'))), b'scl {\na"b\n}')
        self.assertEqual(scl_part(E.build(ast("a\x00\x7f"))), b"scl {\na\x00\x7f\n}")
        self.assertEqual(scl_part(E.build(ast("a\n\"b"))), b'scl {\na\n"b\n}')
        for bad in ("a\rb", "a\tb", '"a', '  "a', 'x\n\t'):
            with self.assertRaises(E.BuildError, msg=repr(bad)):
                E.build(ast(bad))
        for handles in ((), (("1h", ["x"]),), (("h", []),), (("h", ['a"']),),
                        (("h", ["a\x7f"]),)):
            with self.assertRaises(E.BuildError):
                E.build(ast("", handles))
        for c in ("", "\n", "a\n\nb\n", "é😀\u2028", "}", "  }\n}", 'x\n"y"'):
            a = ast(c, (("h1", ["t", ""]), ("h1", ["\\,)"])))
            self.assertEqual(E.parse(E.build(a)), a, repr(c))


class Escaping(Base):
    ALL_CONTROLS_JSON = (
        r"\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007"
        r"\u0008\u0009\u000a\u000b\u000c\u000d\u000e\u000f"
        r"\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017"
        r"\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f")

    def test_all_32_controls_quote_backslash_del(self):
        s = "".join(chr(i) for i in range(32)) + '"\\' + "\x7f"
        out = E.canonical({"k": s})
        expected = ('{"k":"' + self.ALL_CONTROLS_JSON + '\\"\\\\' + "\x7f" + '"}')
        self.assertEqual(out, expected.encode())
        self.assertEqual(len(out), 6 + 32 * 6 + 2 + 2 + 1 + 2)

    def test_each_control_alone(self):
        for i in range(32):
            self.assertEqual(E.canonical([chr(i)]),
                             ('["\\u00%02x"]' % i).encode(), i)
        self.assertEqual(E.canonical(['"']), b'["\\""]')
        self.assertEqual(E.canonical(["\\"]), b'["\\\\"]')
        self.assertEqual(E.canonical(["\x7f"]), b'["\x7f"]')

    def test_through_parse(self):
        # every control an input can carry in raw content (not TAB, CR)
        ctl = bytes(i for i in range(32) if i not in (0x09, 0x0D))
        ast = E.parse(P + b"x" + ctl + b'"\\\x7f\n}')
        canon = E.canonical(ast)
        exp = self.ALL_CONTROLS_JSON.replace(r"\u0009", "").replace(r"\u000d", "")
        self.assertIn(b'"content":"x' + exp.encode() + b'\\"\\\\\x7f"', canon)

    def test_non_ascii_raw(self):
        s = "\u00e9\u2028\u2029\U0001f600\ufeff/\u0080"
        self.assertEqual(E.canonical([s]), b'["' + s.encode() + b'"]')

    def test_key_order_utf8_bytes(self):
        d = {"b": "1", "a": "2", "ab": "3", "\uffff": "4", "\U00010000": "5",
             "\u00e9": "6", "B": "7"}
        self.assertEqual(
            E.canonical(d),
            '{"B":"7","a":"2","ab":"3","b":"1","\u00e9":"6","\uffff":"4",'
            '"\U00010000":"5"}'.encode())

    def test_only_strings_objects_arrays(self):
        for bad in (1, None, True, 1.5):
            with self.assertRaises(TypeError):
                E.canonical({"a": bad})


def utf8_first_error_table(data):
    """RFC 3629 table, written out, to cross-check the codec (S1)."""
    i, n = 0, len(data)
    while i < n:
        b = data[i]
        if b < 0x80:
            i += 1
            continue
        if 0xC2 <= b <= 0xDF:
            ranges = [(0x80, 0xBF)]
        elif b == 0xE0:
            ranges = [(0xA0, 0xBF), (0x80, 0xBF)]
        elif 0xE1 <= b <= 0xEC or 0xEE <= b <= 0xEF:
            ranges = [(0x80, 0xBF)] * 2
        elif b == 0xED:
            ranges = [(0x80, 0x9F), (0x80, 0xBF)]
        elif b == 0xF0:
            ranges = [(0x90, 0xBF)] + [(0x80, 0xBF)] * 2
        elif 0xF1 <= b <= 0xF3:
            ranges = [(0x80, 0xBF)] * 3
        elif b == 0xF4:
            ranges = [(0x80, 0x8F)] + [(0x80, 0xBF)] * 2
        else:
            return i
        for k, (lo, hi) in enumerate(ranges, 1):
            if i + k >= n or not lo <= data[i + k] <= hi:
                return i
        i += 1 + len(ranges)
    return None


class Bytes(Base):
    def test_invalid_utf8(self):
        # raw content starts at 33; the offset is the sequence's first byte
        for bad in (b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
                    b"\xe2\x82A", b"\x80", b"\xff", b"\xf8\x88\x80\x80\x80"):
            self.assertErr(P + b"a" + bad + b"\n}", "E001", 34)
        self.assertErr(P + b"a\n}\xe2\x82", "E001", 36)  # truncated at EOF
        self.assertEqual(content(P + b"\xf4\x8f\xbf\xbf\xef\xbf\xbf\n}"),
                         "\U0010ffff\uffff")

    def test_cr_tab_anywhere(self):
        self.assertErr(b"SCL:V1\r\n\n", "E001", 6)  # ties with E101 at 6
        self.assertErr(P + b"ab\tc\n}", "E001", 35)  # inside raw content
        self.assertErr(P + b"ab\n}\r", "E001", 37)  # a33 b34 LF35 }36 CR37
        self.assertErr(H + b'h\t("x")\n', "E001", 19)  # ties with E201 at 19
        self.assertErr(H + b'h("\t")\n', "E001", 21)
        self.assertErr(b"SCL:V1\n\n\xff", "E001", 8)  # ties with E102 at 8

    def test_lowest_offset_wins(self):
        # structural error (E101 at 5) precedes a later TAB
        self.assertErr(b"SCL:V2\n\n\t", "E101", 5)
        # a later TAB does not hide an earlier E202 (`)` at 20)
        self.assertErr(H + b"h()\t", "E202", 20)

    def test_codec_matches_rfc3629_table(self):
        rng = random.Random(7)
        pool = [0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0,
                0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0,
                0xF1, 0xF3, 0xF4, 0xF5, 0xFF]
        for _ in range(20000):
            d = bytes(rng.choice(pool) for _ in range(rng.randint(0, 6)))
            try:
                d.decode("utf-8")
                got = None
            except UnicodeDecodeError as e:
                got = e.start
            self.assertEqual(got, utf8_first_error_table(d), d)


class HandleLineProcedure(Base):
    def test_e201_sites(self):
        self.assertErr(H + b"h\n", "E201", 19)  # no `(`: at the LF
        self.assertErr(H + b"h x\n", "E201", 19)  # first bad byte (space)
        self.assertErr(H + b'h ("a")\n', "E201", 19)  # space before `(`
        self.assertErr(H + b'  ("a")\n', "E201", 20)  # empty span: at `(`
        self.assertErr(H + b'1h("a")\n', "E201", 18)
        self.assertErr(H + b'h-x\n', "E201", 19)  # bad byte before the LF
        self.assertErr(H + b'h\xc3\xa9("a")\n', "E201", 19)  # non-ASCII
        self.assertErr(H + b'h("a") \n', "E201", 24)  # after `)`
        self.assertErr(H + b'h("a")x', "E201", 24)
        self.assertErr(H + b'h("a"))\n', "E201", 24)

    def test_blank_lines_in_handles(self):
        self.assertErr(H + b"\n", "E102", 18)  # empty first line: its LF
        self.assertErr(H + b'h("a")\n\n}\n', "E102", 25)
        self.assertErr(H + b'h("a")\n   \n}\n', "E102", 25)  # first byte

    def test_valid_handles(self):
        ast = E.parse(H + b'_A9("a")\n  _("b","c")\n_A9("d")\n}\nscl {\n}')
        self.assertEqual([(h["id"], h["tags"]) for h in ast["handles"]],
                         [("_A9", ["a"]), ("_", ["b", "c"]), ("_A9", ["d"])])
        self.assertEqual(E.canonical(ast).count(b'"type":"Handle"'), 3)


class CommandLine(Base):
    def run_engine(self, data, *args):
        r = subprocess.run([sys.executable, ENGINE, *args], input=data,
                           capture_output=True, check=True)
        self.assertTrue(r.stdout.endswith(b"\n"))
        self.assertEqual(r.stdout.count(b"\n"), 1)
        return r.stdout

    def test_valid_stdin(self):
        import json
        out = self.run_engine(G1)
        self.assertEqual(out, b'{"valid":true,"canonical":' + json.dumps(
            G1_CANON.decode()).encode() + b',"sha256":"' + G1_HASH.encode() + b'"}\n')
        self.assertEqual(json.loads(out)["canonical"].encode(), G1_CANON)

    def test_invalid_stdin(self):
        out = self.run_engine(P + b'"a"\n}\n')
        self.assertEqual(out, b'{"valid":false,"code":"E104","offset":38}\n')

    def test_file_argument_and_non_ascii(self):
        import json
        import tempfile
        doc = P + "\u00e9\x7f\x00\n}".encode()
        with tempfile.NamedTemporaryFile(delete=False) as f:
            f.write(doc)
        try:
            out = self.run_engine(b"", f.name)
        finally:
            os.unlink(f.name)
        obj = json.loads(out)
        canon = E.canonical(E.parse(doc))
        self.assertEqual(obj["canonical"].encode(), canon)
        self.assertIn(b'\\u0000', canon)
        self.assertEqual(obj["sha256"], hashlib.sha256(canon).hexdigest())


class Performance(Base):
    def test_10mb_inputs(self):
        raw = P + (b"lorem ipsum \x00 dolor \xc3\xa9 sit amet\n" * 300000) + b"}"
        quoted = P + (b'  "lorem ipsum dolor sit amet consectetur"\n' * 250000) + b"}"
        handles = H + (b'  h_1("tag one","tag two")\n' * 350000) + b"}\nscl {\n}"
        for doc in (raw, quoted, handles):
            self.assertGreater(len(doc), 9_000_000)
            t = time.perf_counter()
            ast = E.parse(doc)
            E.doc_hash(ast)
            self.assertLess(time.perf_counter() - t, 30.0)
        t = time.perf_counter()
        self.assertEqual(err(raw[:-1] + b"} "), ("E104", len(raw)))
        self.assertLess(time.perf_counter() - t, 10.0)


if __name__ == "__main__":
    unittest.main()
