"""Hand-picked decode_packet inputs, (type, data, options) triples, for the
differential tests. `complete_*` lists hold whole packets; `expand` adds every
truncation of each (every byte for short inputs) and a copy with trailing
data, so each reader is exercised whole, cut short and followed by more."""

from __future__ import annotations

from bridge.etf.terms import String, atom
from bridge.packet import HTTP_HEADERS, HTTP_METHODS

A = atom
PACKET_SIZE = A("packet_size")
LINE_LENGTH = A("line_length")
LINE_DELIMITER = A("line_delimiter")
TRAILER = b"\x00tail\r\n"


def expand(cases, every_byte_up_to: int = 96):
    out = []
    for ptype, data, options in cases:
        out.append((ptype, data, options))
        out.append((ptype, data + TRAILER, options))
        if len(data) <= every_byte_up_to:
            cuts = range(len(data))
        else:
            cuts = sorted({0, 1, 2, 3, 4, 5, 8, 12, 16, len(data) // 2, len(data) - 1})
        out.extend((ptype, data[:k], options) for k in cuts)
    return out


def _sizes(size: int):
    # packet_size around the body length, and no limit.
    return [[], [(PACKET_SIZE, 0)], [(PACKET_SIZE, max(size - 1, 0))],
            [(PACKET_SIZE, size)], [(PACKET_SIZE, size + 1)]]


def complete_length_prefixed():
    cases = []
    for ptype, hlen, bodies in ((1, 1, (0, 1, 5, 255)), (2, 2, (0, 1, 5, 256, 300)),
                                (4, 4, (0, 1, 5, 256, 70000))):
        for size in bodies:
            body = bytes(i & 0xFF for i in range(size))
            for options in _sizes(size):
                cases.append((ptype, size.to_bytes(hlen, "big") + body, options))
    # Announced lengths at the edges of 16 and 32 bits, where C's int
    # arithmetic turns a huge packet into an invalid one.
    for declared in (0xFFFF,):
        cases.append((2, declared.to_bytes(2, "big") + b"xy", []))
    for declared in (0x7FFFFFFB, 0x7FFFFFFC, 0x80000000, 0xFFFFFFFB, 0xFFFFFFFC, 0xFFFFFFFF):
        for options in ([], [(PACKET_SIZE, 0xFFFFFFFF)], [(PACKET_SIZE, 0x7FFFFFFF)]):
            cases.append((4, declared.to_bytes(4, "big") + b"xy", options))
    return cases


def complete_sunrm():
    cases = []
    for marker in (0, 0x80000000):
        for size in (0, 3, 300):
            for options in _sizes(size):
                cases.append((A("sunrm"), (marker | size).to_bytes(4, "big") + b"r" * size, options))
    for declared in (0x7FFFFFFB, 0x7FFFFFFC, 0x7FFFFFFF, 0xFFFFFFFF):
        cases.append((A("sunrm"), declared.to_bytes(4, "big") + b"xy", []))
    return cases


def complete_asn1():
    asn1 = A("asn1")
    cases = [
        (asn1, b"\x30\x03abc", []),
        (asn1, b"\x30\x00", []),
        (asn1, b"\x04\x81\x05hello", []),
        (asn1, b"\x04\x82\x01\x00" + b"z" * 256, []),
        (asn1, b"\x04\x83\x00\x00\x03abc", []),
        (asn1, b"\x04\x84\x00\x00\x00\x03abc", []),
        (asn1, b"\x04\x84\x7f\xff\xff\xf9xy", []),    # total just at INT_MAX
        (asn1, b"\x04\x84\x7f\xff\xff\xfaxy", []),    # one over
        (asn1, b"\x04\x84\xff\xff\xff\xffxy", []),
        (asn1, b"\x30\x80abc", []),                   # indefinite length
        (asn1, b"\x30\x85\x00\x00\x00\x00\x03abc", []),  # length of length 5
        (asn1, b"\x30\xffabc", []),                   # length of length 127
        (asn1, b"\x1f\x05\x01x", []),                 # high tag number
        (asn1, b"\x3f\x81\x82\x03\x02ab", []),
        (asn1, b"\x1f\x81\x81\x81\x81\x81\x81\x01\x01y", []),
        (asn1, b"\x1f\x80\x80\x80", []),
        (asn1, b"\x1f\x81\x84\x00\x00\x00\x02ab", []),
        (asn1, b"\xff\xff\x7f\x01q", []),
        (asn1, b"\x30\x81\x7fmore", []),
    ]
    for size in (0, 3, 200):
        for options in _sizes(size):
            cases.append((asn1, b"\x04\x81" + bytes([size]) + b"a" * size, options))
    return cases


def complete_cdr():
    cdr = A("cdr")
    cases = []
    for flags, order in ((0, "big"), (1, "little"), (2, "big"), (3, "little")):
        for size in (0, 4, 100):
            header = b"GIOP\x01\x02" + bytes([flags, 0]) + size.to_bytes(4, order)
            for options in _sizes(size):
                cases.append((cdr, header + b"c" * size, options))
    cases.append((cdr, b"GIOQ\x01\x02\x00\x00\x00\x00\x00\x00", []))
    cases.append((cdr, b"giop\x01\x02\x00\x00\x00\x00\x00\x00", []))
    for declared in (0x7FFFFFF3, 0x7FFFFFF4, 0xFFFFFFFF):
        cases.append((cdr, b"GIOP\x01\x02\x00\x00" + declared.to_bytes(4, "big") + b"x", []))
    return cases


def complete_fcgi():
    fcgi = A("fcgi")
    cases = []
    for version in (1, 0, 2):
        for content, padding in ((2, 3), (0, 0), (0, 5), (5, 0), (300, 255)):
            header = bytes([version, 1, 0, 1]) + content.to_bytes(2, "big") + bytes([padding, 0])
            data = header + b"c" * content + b"p" * padding
            for options in ([], [(PACKET_SIZE, content)], [(PACKET_SIZE, content + padding)],
                            [(PACKET_SIZE, content + padding - 1)] if content + padding else []):
                cases.append((fcgi, data, options))
    return cases


def complete_tpkt():
    tpkt = A("tpkt")
    cases = []
    for declared in (0, 1, 2, 3, 4, 5, 7, 300, 0xFFFF):
        body = b"t" * max(declared - 4, 0) if declared < 1000 else b"t"
        for options in ([], [(PACKET_SIZE, max(declared - 4, 0))], [(PACKET_SIZE, 1)]):
            cases.append((tpkt, b"\x03\x00" + declared.to_bytes(2, "big") + body, options))
    cases.append((tpkt, b"\x02\x00\x00\x05x", []))
    cases.append((tpkt, b"\x04\x00\x00\x05x", []))
    return cases


def complete_ssl_tls():
    ssl = A("ssl_tls")
    hello_v2 = b"\x01\x03\x01\x00\x0c\x00\x00\x00\x10" + b"c" * 12 + b"r" * 16
    cases = [
        (ssl, b"\x16\x03\x01\x00\x02ab", []),
        (ssl, b"\x17\x03\x03\x00\x00", []),
        (ssl, b"\x16\x03\x03\x01\x00" + b"h" * 256, []),
        (ssl, b"\x16\x03\x03\x01\x00" + b"h" * 256, [(PACKET_SIZE, 255)]),
        (ssl, (0x8000 | len(hello_v2)).to_bytes(2, "big") + hello_v2, []),
        (ssl, b"\x80\x03\x01\x03\x00", []),       # SSLv2 length 3: empty body
        (ssl, b"\x80\x02\x01\x03\x00", []),       # SSLv2 length 2: wraps around
        (ssl, b"\x80\x00\x01\x03\x00", []),
        (ssl, b"\x80\x05\x02\x03\x00abc", []),    # top bit but not a hello
        (ssl, b"\xff\xff\x01\x03\x00" + b"x" * 20, []),
    ]
    return cases


def complete_raw():
    cases = []
    for ptype in (A("raw"), 0):
        for data in (b"x", b"hello world", bytes(range(256))):
            for options in ([], [(PACKET_SIZE, 1)], [(LINE_LENGTH, 2)]):
                cases.append((ptype, data, options))
    return cases


def complete_line():
    line = A("line")
    cases = []
    for data in (b"abc\n", b"\n", b"abc\r\n", b"abc\ndef\n", b"a\x00b\n", b"x" * 300 + b"\n",
                 b"abcdef"):
        for options in ([], [(PACKET_SIZE, 0)], [(LINE_LENGTH, 0)]):
            cases.append((line, data, options))
        for limit in (1, 2, 3, 4, 5, 6, 7, 299, 300, 301):
            cases.append((line, data, [(PACKET_SIZE, limit)]))
            cases.append((line, data, [(LINE_LENGTH, limit)]))
            cases.append((line, data, [(PACKET_SIZE, limit), (LINE_LENGTH, max(limit - 2, 1))]))
            cases.append((line, data, [(LINE_LENGTH, limit), (PACKET_SIZE, limit + 2)]))
    for delimiter in (0, 13, ord(";"), 255, 10):
        for data in (b"ab;cd;", b"ab\rcd\r\n", b"ab\x00cd", b"ab\xffcd", b"ab\ncd"):
            cases.append((line, data, [(LINE_DELIMITER, delimiter)]))
            cases.append((line, data, [(LINE_DELIMITER, delimiter), (LINE_LENGTH, 3)]))
    # Later options override earlier ones.
    cases.append((line, b"ab;cd\n", [(LINE_DELIMITER, ord(";")), (LINE_DELIMITER, 10)]))
    cases.append((line, b"abcdef\n", [(LINE_LENGTH, 2), (LINE_LENGTH, 0)]))
    return cases


def badarg_cases():
    """Inputs OTP rejects with badarg (and a few it accepts next to them)."""
    x = b"x\ny"
    return [
        (A("foo"), x, []), (3, x, []), (8, x, []), (A("ssl"), x, []), (A("Line"), x, []),
        (A("line"), String(b"x\n"), []),
        (A("line"), x, [(A("foo"), 1)]),
        (A("line"), x, [(PACKET_SIZE, -1)]),
        (A("line"), x, [(PACKET_SIZE, 0xFFFFFFFF)]),
        (A("line"), x, [(PACKET_SIZE, 0x100000000)]),
        (A("line"), x, [(LINE_LENGTH, 0x100000000)]),
        (A("line"), x, [(PACKET_SIZE, 2 ** 70)]),
        (A("line"), x, [(PACKET_SIZE, A("infinity"))]),
        (A("line"), x, [(PACKET_SIZE, True)]),
        (A("line"), x, [(PACKET_SIZE,)]),
        (A("line"), x, [(PACKET_SIZE, 1, 2)]),
        (A("line"), x, [PACKET_SIZE]),
        (A("line"), x, [[PACKET_SIZE, 1]]),
        (A("line"), x, [(LINE_DELIMITER, 256)]),
        (A("line"), x, [(LINE_DELIMITER, 255)]),
        (A("line"), x, [(LINE_DELIMITER, -1)]),
        (A("raw"), x, [(LINE_DELIMITER, 10)]),
        (A("http"), x, [(LINE_DELIMITER, 10)]),
        (A("raw"), x, [(LINE_LENGTH, 1), (A("bogus"), 1)]),
        (A("raw"), x, ((PACKET_SIZE, 1),)),
        (A("raw"), x, A("nil")),
    ]


# ---- http ----

_URIS = [
    b"*", b"/", b"/a/b?c=d#f", b"x", b"//x", b"*x",
    b"http://host", b"http://host/", b"http://host:8080/p?q", b"HTTP://Host:80",
    b"https://h:443/x", b"hTTpS://h", b"http://h:/", b"http://h:0/", b"http://h:00080/",
    b"http://h:80x/", b"http://h:99999999999/", b"http://h:4294967296/",
    b"http://h:2147483648/", b"http://:80/", b"http://", b"https://", b"http:/x",
    b"http://h/p:1", b"http://h:1:2/", b"http://[::1]:8/", b"ftp://x/y", b"mailto:a@b",
    b"a:b:c", b"urn:", b":x", b"abc",
]

_VERSIONS = [
    b" HTTP/1.1", b" HTTP/1.0", b" HTTP/0.9", b" HTTP/2.0", b" HTTP/10.20", b"",
    b" ", b" HTTP/1", b" HTTP/1.", b" HTTP/.1", b" HTTP/a.b", b" http/1.1", b" HTTP/1.1x",
    b" HTTP/1.1 extra", b" HTTP/99999999999.4294967297", b" FOO/1.1", b" HTTP/",
    b" HTTP/1.", b"\tHTTP/1.1", b"  HTTP/1.1  ", b" HTTP/11",
]

_REQUEST_LINES = (
    [m + b" / HTTP/1.1" for m in HTTP_METHODS]
    + [b"GET " + uri + b" HTTP/1.1" for uri in _URIS]
    + [b"GET /x" + v for v in _VERSIONS]
    + [b"get / HTTP/1.1", b"PATCH /p HTTP/1.1", b"CONNECT h:443 HTTP/1.1", b"Get / HTTP/1.0",
       b"M-SEARCH * HTTP/1.1", b"X / HTTP/1.1", b"GE\x7fT / HTTP/1.1", b"G\x80T / HTTP/1.1",
       b"GET", b"GET ", b" GET / HTTP/1.1", b"GET\t/\tHTTP/1.1", b"GET  /  HTTP/1.1",
       b"GET:/ HTTP/1.1", b"", b"\x00", b"OPTIONS * HTTP/1.1", b"GETS / HTTP/1.1"]
)

_STATUS_LINES = [
    b"HTTP/1.1 200 OK", b"HTTP/1.0 404 Not Found", b"HTTP/1.1 200", b"HTTP/1.1 200 ",
    b"HTTP/1.1  200  OK  ", b"HTTP/1.1 OK", b"HTTP/1.1 ", b"HTTP/1.1", b"HTTP/1.1\t200\tOK",
    b"HTTP/1.1 2000000000000 X", b"HTTP/1.1 200OK", b"HTTP/1.1 -1 x", b"HTTP/x.1 200",
    b"HTTP/1.x 200", b"HTTP/", b"HTTP/1.1 200 \xe9t\xe9", b"HTTP/2 200", b"HTTPS/1.1 200 OK",
    b"HTTP/1.1 999 Weird: \x7f", b"HTTP/12345678901.2 1 a",
]

_LONG_NAME_49 = b"X" + b"-abcdefgh" * 5 + b"abc"
_HEADER_LINES = (
    [name + b": value" for name in HTTP_HEADERS]
    + [name.lower() + b":v" for name in HTTP_HEADERS]
    + [name.upper() + b":  v  " for name in HTTP_HEADERS]
    + [b"X-Foo: bar", b"Foo:bar", b"Foo:   bar  ", b"Foo:", b":value", b"Foo", b"Foo bar: x",
       b"Foo : x", b"Foo\t: x", b"a--b-c: v", b"-x: v", b"--x: v", b"x-: v", b"A-B-C: v",
       b"content-length: 10", b"CONTENT-LENGTH: 10", b"Content-length: 10", b"ETag: \"x\"",
       b"WWW-Authenticate: Basic", b"Set-Cookie2: a=b", b"X-Forwarded-For: 1.2.3.4",
       b"Fo\x7fo: x", b"Fo\xe9o: x", b"Foo: \xe9\x00\x7f", b"Foo:\t\tv", b"Foo: v\rw",
       b"Host", b" ", b"\t", b"GET / HTTP/1.1", b"HTTP/1.1 200 OK",
       _LONG_NAME_49 + b": v", _LONG_NAME_49 + b"d: v", _LONG_NAME_49 + b"de: v",
       _LONG_NAME_49.lower() + b"d: v", _LONG_NAME_49.lower() + b"de: v",
       b"x" * 120 + b": v", b"x" * 120]
)

_ENDINGS = (b"\r\n", b"\n", b"\r\r\n")


def complete_http():
    cases = []
    for kind in (A("http"), A("http_bin")):
        for text in _REQUEST_LINES + _STATUS_LINES:
            for ending in _ENDINGS:
                cases.append((kind, text + ending, []))
        # Header lines where a start line is expected.
        for text in _HEADER_LINES[::7]:
            cases.append((kind, text + b"\r\n", []))
        cases.append((kind, b"\r\n", []))
        cases.append((kind, b"\n", []))
    for kind in (A("httph"), A("httph_bin")):
        for text in _HEADER_LINES:
            # The line alone asks for more: the next byte could continue it.
            cases.append((kind, text + b"\r\n", []))
            cases.append((kind, text + b"\r\n\r\n", []))
            cases.append((kind, text + b"\n\n", []))
        for text in _REQUEST_LINES[::5] + _STATUS_LINES[::3]:
            cases.append((kind, text + b"\r\nX: y\r\n", []))
        for data in (b"\r\n", b"\n", b"\r\nrest", b"\r\n x", b"\n x", b" \r\n\r\n",
                     b"X: a\r\n b\r\n\r\n", b"X: a\r\n\tb\r\n\r\n", b"X: a\n b\n\n",
                     b"X: a\r\n b\r\n  c\r\n\td\r\nY: 1\r\n", b"X:\r\n \r\n\r\n",
                     b"Host: a\r\n\r\n", b"\r\r\n", b"\r\r\n\r\n"):
            cases.append((kind, data, []))
    return cases


def http_limit_cases():
    """packet_size and line_length around the length of an http line."""
    cases = []
    request = b"GET /index.html HTTP/1.1\r\n"
    header = b"Content-Type: text/html\r\n continued\r\n"
    for kind, data in ((A("http"), request), (A("http_bin"), request),
                       (A("httph"), header + b"\r\n"), (A("httph"), header)):
        size = data.find(b"\n") + 1 if kind in ("http", "http_bin") else len(header)
        for limit in sorted({1, size - 2, size - 1, size, size + 1, len(data), len(data) + 1}):
            for options in ([(PACKET_SIZE, limit)], [(LINE_LENGTH, limit)],
                            [(PACKET_SIZE, limit), (LINE_LENGTH, 1)],
                            [(LINE_LENGTH, limit), (PACKET_SIZE, 0)]):
                cases.append((kind, data, options))
                cases.append((kind, data[:limit], options))
                cases.append((kind, data[:limit - 1], options))
    # A buffer that is exactly "\r\n" or "\n" is framed before any limit is
    # checked: alone it passes a limit of 1, followed by more data it fails.
    for kind in (A("http"), A("httph"), A("http_bin"), A("httph_bin")):
        for data in (b"\r\n", b"\n", b"\r\nX", b"\nX"):
            for options in ([(PACKET_SIZE, 1)], [(LINE_LENGTH, 1)], [(PACKET_SIZE, 2)]):
                cases.append((kind, data, options))
    return cases


def all_framing_cases():
    return expand(complete_raw() + complete_length_prefixed() + complete_sunrm()
                  + complete_asn1() + complete_cdr() + complete_fcgi() + complete_tpkt()
                  + complete_ssl_tls() + complete_line())


def all_http_cases():
    return expand(complete_http()) + http_limit_cases()
