"""gen_tcp's `{packet, Type}` framing and parsing, done as inet_drv does it
with erts/emulator/beam/packet_parser.c (OTP 25.2.3; follow_release() for
the later releases' differences). No networking code here:
functions take a buffer and offsets and return lengths, payloads and terms.

Where things are:
    table.py    the table of packet types (one row per `{packet, Type}` value)
    length.py   framing: packet_get_length, one function per type
    http.py     http line parsing and OTP's method and header tables
    decode.py   decode_packet, a mirror of erlang:decode_packet/3 (public:
                what Python code that frames or parses as gen_tcp does calls)

A socket's receive buffer (what to read next, where a packet ends in what is
buffered) is inet_drv's, not the parser's: bridge/tcp/receiver.py.

Public API:
    packet_type(spec) -> PacketType                 row for 4, "line", ...
    get_length(ptype, buf, start, end, packet_size=0, trunc_len=0,
               delimiter=10, http_state=0) -> int   >0 length, 0 more, -1 error
    packet_body(ptype, buf, start, size) -> bytes   the delivered payload
    parse_http(packet, http_state, as_binary) -> (term, new_state)
    next_http_state(term, http_state) -> int        the http -> httph rule
    decode_packet(ptype, data, options) -> term     erlang:decode_packet/3
"""

from .decode import decode_packet
from .http import HTTP_HEADERS, HTTP_METHODS, next_http_state, parse_http, set_ipv6_hosts
from .table import PACKET_TYPES, PacketType, get_length, packet_body, packet_type

__all__ = [
    "PACKET_TYPES", "PacketType", "packet_type", "get_length", "packet_body",
    "HTTP_METHODS", "HTTP_HEADERS", "parse_http", "next_http_state",
    "decode_packet",
    "follow_release",
]


def follow_release(otp_release: int) -> None:
    """Parse as that OTP release's packet_parser.c does where releases differ
    (IPv6 literal hosts in an absoluteURI from OTP 26)."""
    set_ipv6_hosts(otp_release >= 26)
