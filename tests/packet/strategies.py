"""Hypothesis strategies for decode_packet inputs. Random bytes alone rarely
get past a header check or a request-line parser, so data is built from
near-valid headers and from fragments of HTTP lines."""

from __future__ import annotations

from hypothesis import strategies as st

from bridge.etf.terms import atom
from bridge.packet import HTTP_HEADERS, HTTP_METHODS

A = atom

LIMITS = st.one_of(st.integers(0, 40), st.sampled_from([0x7FFFFFFF, 0xFFFFFFFF]))
DELIMITERS = st.one_of(st.sampled_from([0, 10, 13, ord(";"), 255]), st.integers(0, 255))


def _small(size: int):
    return st.integers(0, 20).map(lambda n: n.to_bytes(size, "big"))


def _any_size(size: int):
    return st.one_of(_small(size), st.binary(min_size=size, max_size=size))


_HEADERS = {
    A("raw"): st.just(b""),
    0: st.just(b""),
    1: _any_size(1),
    2: _any_size(2),
    4: _any_size(4),
    A("sunrm"): st.one_of(_small(4), st.binary(min_size=4, max_size=4)),
    A("asn1"): st.tuples(
        st.sampled_from([b"\x30", b"\x04", b"\x1f", b"\x3f", b"\xff"]),
        st.lists(st.sampled_from([b"\x81", b"\x01", b"\x80"]), max_size=2).map(b"".join),
        st.sampled_from([b"\x03", b"\x00", b"\x80", b"\x81\x02", b"\x82\x00\x05",
                         b"\x84\x00\x00\x00\x01", b"\x85", b"\xff"]),
    ).map(b"".join),
    A("cdr"): st.tuples(st.sampled_from([b"GIOP", b"GIOQ"]), st.binary(min_size=4, max_size=4),
                        _any_size(4)).map(b"".join),
    A("fcgi"): st.tuples(st.sampled_from([b"\x01", b"\x02"]), st.binary(min_size=3, max_size=3),
                         _small(2), st.integers(0, 9).map(lambda n: bytes([n])),
                         st.binary(min_size=1, max_size=1)).map(b"".join),
    A("tpkt"): st.tuples(st.sampled_from([b"\x03", b"\x02"]), st.binary(min_size=1, max_size=1),
                         _any_size(2)).map(b"".join),
    A("ssl_tls"): st.one_of(
        st.tuples(st.binary(min_size=3, max_size=3), _small(2)).map(b"".join),
        st.tuples(st.integers(0x8000, 0x8018).map(lambda n: n.to_bytes(2, "big")),
                  st.sampled_from([b"\x01", b"\x02"]), st.binary(min_size=2, max_size=2)
                  ).map(b"".join)),
    A("line"): st.just(b""),
}

_LINE_BYTES = st.lists(st.sampled_from(b"ab\n\r;\x00\xff"), max_size=30).map(bytes)


@st.composite
def framing_case(draw):
    ptype = draw(st.sampled_from(list(_HEADERS)))
    body = _LINE_BYTES if ptype == "line" else st.binary(max_size=30)
    data = draw(_HEADERS[ptype]) + draw(body)
    option = st.one_of(st.tuples(st.just(A("packet_size")), LIMITS),
                       st.tuples(st.just(A("line_length")), LIMITS))
    if ptype == "line":
        option = st.one_of(option, st.tuples(st.just(A("line_delimiter")), DELIMITERS))
    return ptype, data, draw(st.lists(option, max_size=3))


_HTTP_FRAGMENTS = (
    list(HTTP_METHODS) + list(HTTP_HEADERS)[::3]
    + [b"get", b"Post", b" ", b" ", b"\t", b"/", b"*", b":", b": ", b"http://", b"HTTPS://",
       b"HTTP/", b"HTTP/1.1", b"1", b"0", b".", b"9", b"200", b"OK", b"h", b"-", b"--",
       b"\x7f", b"\x80", b"\xe9", b"\r", b"\n", b"\r\n", b"content-length", b"a",
       b"99999999999", b":8080", b"@", b"x" * 51]
)

_HTTP_ENDINGS = [b"\r\n", b"\n", b"\r\n ", b"\r\n\t", b"\r\n\r\n"]
_HTTP_PIECES = _HTTP_FRAGMENTS + _HTTP_ENDINGS + [bytes([c]) for c in b"AZaz09 :/\x00\xff"]


def _from_pieces(choices: bytes) -> bytes:
    # One binary draw picks the pieces: far cheaper to generate than a list
    # of sampled_from draws, and it still shrinks toward short inputs.
    return b"".join(_HTTP_PIECES[c % len(_HTTP_PIECES)] for c in choices)


def _pieces(count: int):
    return st.binary(max_size=count).map(_from_pieces)


_DIGITS = st.one_of(st.sampled_from([b"1", b"0", b"9", b"10", b"200", b"", b"99999999999",
                                     b"4294967296", b"2147483648"]),
                    st.integers(0, 99999).map(lambda n: str(n).encode()))
_SEPARATOR = st.sampled_from([b" ", b"\t", b"  ", b"", b" \t"])
_METHOD = st.one_of(st.sampled_from(list(HTTP_METHODS) + [b"get", b"PATCH", b"X", b"G:T"]),
                    _pieces(2))
_HOST = st.sampled_from([b"h", b"", b"host.example", b"[::1]", b"h:", b"h:x"])
_URI = st.one_of(
    st.sampled_from([b"*", b"/", b"/a?b", b"x", b"a:b", b":", b"//x"]),
    st.tuples(st.sampled_from([b"http://", b"HTTPS://", b"hTtP://", b"ftp://", b"http:/"]),
              _HOST, st.sampled_from([b"", b":"]), _DIGITS,
              st.sampled_from([b"", b"/", b"/p:1", b"/a/b"])).map(b"".join),
    _pieces(3),
)
_VERSION = st.one_of(
    st.sampled_from([b"HTTP/1.1", b"HTTP/1.0", b"HTTP/0.9"]),
    st.tuples(st.sampled_from([b"HTTP/", b"HTTP/", b"http/", b"HTTP", b""]), _DIGITS,
              st.sampled_from([b".", b".", b"", b","]), _DIGITS,
              st.sampled_from([b"", b"", b"x", b" junk"])).map(b"".join))
_HEADER_NAME = st.one_of(
    st.sampled_from(list(HTTP_HEADERS)).map(lambda name: name.lower()),
    st.sampled_from(list(HTTP_HEADERS) + [b"X-Foo", b"a--b", b"-x", b"x" * 50, b"x" * 51]),
    _pieces(2),
)
_ENDING = st.sampled_from([b"\r\n", b"\r\n", b"\r\n", b"\n", b"", b"\r\r\n", b"\r\n "])

_REQUEST = st.tuples(_METHOD, _SEPARATOR, _URI, _SEPARATOR, _VERSION, _ENDING)
_RESPONSE = st.tuples(_VERSION, _SEPARATOR, _DIGITS, _SEPARATOR, _pieces(3), _ENDING)
_HEADER = st.tuples(_HEADER_NAME, st.sampled_from([b":", b": ", b" :", b":\t", b""]),
                    _pieces(3), _ENDING, _pieces(4))
_START_LINE = st.one_of(_REQUEST.map(b"".join), _RESPONSE.map(b"".join), _pieces(24))
_HEADER_LINE = st.one_of(_HEADER.map(b"".join), _HEADER.map(b"".join), _pieces(24))
# What follows the line decides whether a header line is complete (the next
# line must not start with a space or tab) and gives trailing data.
_FOLLOWING = st.sampled_from([b"\r\n", b"X: y\r\n", b"", b"X: y\r\n", b" more\r\n\r\n",
                              b"\tx\r\n", b"GET / HTTP/1.1\r\n"])


@st.composite
def http_case(draw):
    ptype = draw(st.sampled_from([A("http"), A("httph"), A("http_bin"), A("httph_bin")]))
    line = _HEADER_LINE if ptype.startswith("httph") else _START_LINE
    data = draw(line) + draw(_FOLLOWING)
    options = []
    if draw(st.integers(0, 4)) == 0:
        options.append((draw(st.sampled_from([A("packet_size"), A("line_length")])),
                        draw(st.integers(0, 80))))
    return ptype, data, options
