"""HTTP packet parsing: a port of `packet_parse_http` (packet_parser.c) and of
the term building in erl_bif_port.c / inet_drv.c, OTP 25.2.3.

One framed line (see length.length_http) becomes one term:

    {http_request, Method, Uri, {Major, Minor}}     in state 0
    {http_response, {Major, Minor}, Status, Phrase} in state 0
    {http_header, Bit, Field, Original, Value}      in state 1
    http_eoh                                        in state 1, empty line
    {http_error, Line}                              a line that does not parse

The state says whether a request/response line (0) or a header (1) comes next.
A request or response line moves it to 1, http_eoh back to 0, an http_error
leaves it alone. The driver keeps it per socket for the socket's lifetime
(setopts does not reset it), which is why `{packet, http}` returns headers after
the first line: the socket behaves as httph until http_eoh. httph/httph_bin
force the state to 1 before every line.

Strings are Erlang strings (String, a charlist) for http/httph and binaries
(bytes) for http_bin/httph_bin. Method and Field are atoms when they are in
OTP's tables below, otherwise strings. Numbers are parsed as C ints, so they
wrap around at 32 bits exactly as OTP's do.
"""

from __future__ import annotations

import re

from ..etf.terms import String, atom

__all__ = [
    "HTTP_METHODS", "HTTP_HEADERS", "HTTP_MAX_NAME_LEN",
    "parse_http", "next_http_state", "http_error",
]

# packet_parser.c, http_meth_strings: matched case-sensitively.
HTTP_METHODS = {
    name.encode(): atom(name)
    for name in ("OPTIONS", "GET", "HEAD", "POST", "PUT", "DELETE", "TRACE")
}

# packet_parser.c, http_hdr_strings, in order: Bit is the 1-based position.
# Names are matched after case normalization (see _normalize_name), so they are
# spelled here as normalization produces them ("Www-Authenticate", "Etag").
_HEADER_NAMES = (
    "Cache-Control", "Connection", "Date", "Pragma", "Transfer-Encoding",
    "Upgrade", "Via", "Accept", "Accept-Charset", "Accept-Encoding",
    "Accept-Language", "Authorization", "From", "Host", "If-Modified-Since",
    "If-Match", "If-None-Match", "If-Range", "If-Unmodified-Since",
    "Max-Forwards", "Proxy-Authorization", "Range", "Referer", "User-Agent",
    "Age", "Location", "Proxy-Authenticate", "Public", "Retry-After", "Server",
    "Vary", "Warning", "Www-Authenticate", "Allow", "Content-Base",
    "Content-Encoding", "Content-Language", "Content-Length",
    "Content-Location", "Content-Md5", "Content-Range", "Content-Type", "Etag",
    "Expires", "Last-Modified", "Accept-Ranges", "Set-Cookie", "Set-Cookie2",
    "X-Forwarded-For", "Cookie", "Keep-Alive", "Proxy-Connection",
)
HTTP_HEADERS = {name.encode(): (bit, atom(name)) for bit, name in enumerate(_HEADER_NAMES, 1)}

# Longer field names are neither normalized nor looked up.
HTTP_MAX_NAME_LEN = 50

_HTTP_REQUEST = atom("http_request")
_HTTP_RESPONSE = atom("http_response")
_HTTP_HEADER = atom("http_header")
_HTTP_EOH = atom("http_eoh")
_HTTP_ERROR = atom("http_error")
_STAR = atom("*")
_ABS_PATH = atom("abs_path")
_ABSOLUTE_URI = atom("absoluteURI")
_SCHEME = atom("scheme")
_HTTP = atom("http")
_HTTPS = atom("https")
_UNDEFINED = atom("undefined")


def _tspecial_table() -> bytes:
    # Token characters are 33..127 minus the separators. C's table has 128
    # entries and only 33..126 are cleared explicitly, but static storage makes
    # 127 (DEL) zero too: DEL is a token character.
    table = bytearray(256)
    for c in range(256):
        table[c] = not 32 < c < 128
    for c in b'()<>@,;:\\"/[]?={} \t':
        table[c] = 1
    return bytes(table)


_TSPECIAL = _tspecial_table()
_SPACE = frozenset(b" \t")
# The same sets as regexes, so that scanning a token runs in C.
_TOKEN = re.compile(b"[" + b"".join(re.escape(bytes([c])) for c in range(256) if not _TSPECIAL[c])
                    + b"]*")
_NOT_SPACE = re.compile(rb"[^ \t]*")
_SPACES = re.compile(rb"[ \t]*")
_DIGITS = re.compile(rb"[0-9]*")
# Names for which the case rule below is plain title case.
_PLAIN_NAME = re.compile(rb"[A-Za-z]+(?:-[A-Za-z]+)*-?")


def _skip_space(line: bytes, i: int, n: int) -> int:
    return _SPACES.match(line, i, n).end()


def _skip_digits(line: bytes, i: int, n: int) -> int:
    return _DIGITS.match(line, i, n).end()


def _c_int(digits: bytes) -> int:
    """`v = 10*v + d` in a C int: the value modulo 2**32, read as signed.
    10**32 is a multiple of 2**32, so the last 32 digits decide it (and int()
    refuses very long digit strings)."""
    if not digits:
        return 0
    value = int(digits[-32:]) & 0xFFFFFFFF
    return value - 0x100000000 if value > 0x7FFFFFFF else value


def _normalize_name(name: bytes) -> bytes:
    """Field-name case as packet_parse_http makes it: upper case first and
    after '-', lower case elsewhere. Quirk kept from C: a '-' seen while the
    next letter is due to be upper-cased clears that instead, so "a--b-c"
    becomes "A--b-C"."""
    if _PLAIN_NAME.fullmatch(name):
        return name.title()
    out = bytearray(name)
    up = True
    for i, c in enumerate(out):
        if up:
            if 97 <= c <= 122:
                out[i] = c - 32
            up = False
        elif 65 <= c <= 90:
            out[i] = c + 32
        elif c == 45:
            up = True
    return bytes(out)


def _parse_uri(uri: bytes, string):
    if uri == b"*":
        return _STAR
    if len(uri) <= 1 or uri[0] == 47:
        return (_ABS_PATH, string(uri))
    lowered = uri[:8].lower()
    if lowered.startswith(b"http://"):
        return _parse_absolute_uri(_HTTP, uri[7:], string)
    if lowered == b"https://":
        return _parse_absolute_uri(_HTTPS, uri[8:], string)
    colon = uri.find(b":")
    if colon < 0:
        return string(uri)
    return (_SCHEME, string(uri[:colon]), string(uri[colon + 1:]))


# OTP 26's packet_parser.c reads an IPv6 literal host ("[::1]:8"); OTP 25
# splits it at its first colon. set_ipv6_hosts() chooses (follow_release).
_ipv6_hosts = False


def set_ipv6_hosts(on: bool) -> None:
    global _ipv6_hosts
    _ipv6_hosts = on


def _parse_absolute_uri(scheme, rest: bytes, string):
    slash = rest.find(b"/")
    if slash < 0:
        host_port, path = rest, b"/"
    else:
        host_port, path = rest[:slash], rest[slash:]
    port = _UNDEFINED
    colon = host_port.find(b":")
    close = host_port.find(b"]")
    if colon < 0:
        host = host_port
    elif _ipv6_hosts and host_port[:1] == b"[" and close >= 0:
        host, after = host_port[:close + 1], host_port[close + 1:]
        # A port only where the last colon follows the "]" at once.
        if host_port.rfind(b":") == close + 1:
            digits = after[1:]
            if _skip_digits(digits, 0, len(digits)) == len(digits):
                value = _c_int(digits)
                if value != 0:
                    port = value
    else:
        host, digits = host_port[:colon], host_port[colon + 1:]
        # Only a port made of digits alone counts, and 0 (even after
        # wrapping at 2**32) means "no port".
        if _skip_digits(digits, 0, len(digits)) == len(digits):
            value = _c_int(digits)
            if value != 0:
                port = value
    return (_ABSOLUTE_URI, scheme, string(host), port, string(path))


def _parse_status_line(line: bytes, n: int, string):
    # "HTTP/" Major "." Minor SP+ Status? (SP+ Phrase)?
    i = 5
    j = _skip_digits(line, i, n)
    if j == i or j == n or line[j] != 46:
        return None
    major = _c_int(line[i:j])
    i = j + 1
    j = _skip_digits(line, i, n)
    if j == i:
        return None
    minor = _c_int(line[i:j])
    i = _skip_space(line, j, n)
    if i == j:
        return None
    j = _skip_digits(line, i, n)
    status = _c_int(line[i:j])
    i = _skip_space(line, j, n)
    if i == j and i < n:
        return None
    return (_HTTP_RESPONSE, (major, minor), status, string(line[i:n]))


def _parse_request_line(line: bytes, n: int, string):
    # Method SP+ Uri (SP+ "HTTP/" Major "." Minor)?  Anything after Minor is
    # ignored, as in C; without a version the request is HTTP/0.9.
    i = _TOKEN.match(line, 0, n).end()
    if i == n or i == 0 or line[i] not in _SPACE:
        return None
    method = HTTP_METHODS.get(line[:i]) or string(line[:i])
    uri_start = _skip_space(line, i, n)
    i = _NOT_SPACE.match(line, uri_start, n).end()
    if i == uri_start:
        return None
    uri = line[uri_start:i]
    i = _skip_space(line, i, n)
    if i == n:
        return (_HTTP_REQUEST, method, _parse_uri(uri, string), (0, 9))
    if n - i < 8 or line[i:i + 5] != b"HTTP/":
        return None
    i += 5
    j = _skip_digits(line, i, n)
    if j == i or j == n or line[j] != 46:
        return None
    major = _c_int(line[i:j])
    i = j + 1
    j = _skip_digits(line, i, n)
    if j == i:
        return None
    minor = _c_int(line[i:j])
    return (_HTTP_REQUEST, method, _parse_uri(uri, string), (major, minor))


def _parse_header(line: bytes, n: int, string):
    # Field ":" SP* Value. The value keeps any continuation lines with their
    # line breaks; only the final line break was removed.
    # C gives up when the name runs to the end of the line.
    i = _TOKEN.match(line, 0, n).end()
    if i == n or line[i] != 58:
        return None
    original = line[:i]
    if i <= HTTP_MAX_NAME_LEN:
        name = _normalize_name(original)
        known = HTTP_HEADERS.get(name)
        if known is not None:
            bit, field = known
        else:
            bit, field = 0, string(name)
    else:
        bit, field = 0, string(original)
    value_start = _skip_space(line, i + 1, n)
    return (_HTTP_HEADER, bit, field, string(original), string(line[value_start:n]))


def parse_http(packet: bytes, http_state: int, as_binary: bool):
    """Parse one framed http packet. Returns (term, new_http_state).
    `http_state` is the socket's state after framing: always 1 for httph and
    httph_bin, whose framing sets it."""
    string = bytes if as_binary else String
    n = len(packet)
    # Drop the line break. C only looks at the second-last byte for the CR.
    if n >= 2 and packet[n - 2] == 13:
        n -= 2
    elif n >= 1 and packet[n - 1] == 10:
        n -= 1
    if http_state == 0:
        if n >= 5 and packet.startswith(b"HTTP/"):
            term = _parse_status_line(packet, n, string)
        else:
            term = _parse_request_line(packet, n, string)
        if term is None:
            return http_error(packet, as_binary), http_state
        return term, 1
    if n == 0:
        return _HTTP_EOH, 0
    term = _parse_header(packet, n, string)
    if term is None:
        return http_error(packet, as_binary), http_state
    return term, http_state


def http_error(packet: bytes, as_binary: bool):
    """{http_error, Line}: the whole line, line break included."""
    return (_HTTP_ERROR, bytes(packet) if as_binary else String(packet))


def next_http_state(term, http_state: int) -> int:
    """The state after delivering `term`: the rule by which a socket in
    `{packet, http}` starts returning headers (behaves as httph) after a
    request or response line, and returns to request lines after http_eoh."""
    if term == _HTTP_EOH:
        return 0
    if type(term) is tuple and term and (term[0] == _HTTP_REQUEST or term[0] == _HTTP_RESPONSE):
        return 1
    return http_state
