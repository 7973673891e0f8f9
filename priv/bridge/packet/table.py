"""The table of packet types: one row per `{packet, Type}` value, saying how a
packet of that type is framed, what part of it is delivered, and whether it is
parsed into a term. Every rule that differs between types is in this table.

The rows follow packet_parser.h (`enum PacketParseType`, `packet_get_body`,
`packet_parse`) and the spellings gen_tcp accepts (prim_inet:type_opt_1(packet)).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..etf.terms import atom
from . import length as L

__all__ = [
    "PacketType", "PACKET_TYPES", "DECODE_PACKET_SPELLINGS", "HEADER_TYPE_OF", "packet_type",
    "get_length", "packet_body", "parse_ssl_tls",
]

_SSL_TLS = atom("ssl_tls")


def _no_trailer(buf, start: int) -> int:
    return 0


def _fcgi_padding(buf, start: int) -> int:
    # packet_get_body drops the record's padding (header byte 6) from the end
    # of what is delivered; the 8-byte header itself is kept.
    return buf[start + 6]


def parse_ssl_tls(packet: bytes):
    """packet_parse_ssl with decode_packet's term: {ssl_tls, [], ContentType,
    {Major, Minor}, Data}. The driver sends the same tuple with the socket in
    place of []."""
    if packet[0] & 0x80 and packet[2] == 1:
        # An SSLv2 client hello is handed on as a handshake record (type 22)
        # whose data is re-prefixed as <<1, Length:24>>.
        body = packet[3:]
        data = b"\x01" + len(body).to_bytes(3, "big") + body
        return (_SSL_TLS, [], 22, (packet[3], packet[4]), data)
    return (_SSL_TLS, [], packet[0], (packet[1], packet[2]), bytes(packet[5:]))


@dataclass(frozen=True, eq=False, slots=True)
class PacketType:
    """One row of the table.

    name:           gen_tcp's spelling (an atom, or the integer 1, 2 or 4)
    code:           the driver's TCP_PB_* number
    length:         the framing function (see bridge.packet.length)
    header_size:    bytes stripped from the front before delivery (1, 2, 4)
    trailer_size:   bytes stripped from the end, read from the header (fcgi)
    http:           the packet is parsed into an http term
    as_binary:      http strings are binaries (http_bin, httph_bin)
    headers_only:   every line is a header line (httph, httph_bin). Framing
                    such a type sets the socket's http state to 1 (C's
                    packet_get_length writes *statep): a caller that frames
                    without PacketReader must store http_state = 1 before
                    each framing, or headers are parsed as request lines
    ssl_tls:        the packet is parsed into an ssl_tls term
    buffer_bound:   a socket never holds more than its buffer size (trunc_len)
                    of such a packet, as the driver does not grow its buffer
                    for it: raw data and lines come in pieces of at most that
    """

    name: object
    code: int
    length: Callable
    header_size: int = 0
    trailer_size: Callable = _no_trailer
    http: bool = False
    as_binary: bool = False
    headers_only: bool = False
    ssl_tls: bool = False
    buffer_bound: bool = False

    @property
    def parsed(self) -> bool:
        """Delivered as a term rather than as the packet's bytes."""
        return self.http or self.ssl_tls

    def __repr__(self) -> str:
        return f"<PacketType {self.name}>"


RAW = PacketType(atom("raw"), 0, L.length_raw, buffer_bound=True)
_ROWS = (
    RAW,
    PacketType(1, 1, L.length_1, header_size=1),
    PacketType(2, 2, L.length_2, header_size=2),
    PacketType(4, 3, L.length_4, header_size=4),
    PacketType(atom("asn1"), 4, L.length_asn1),
    PacketType(atom("sunrm"), 5, L.length_sunrm),
    PacketType(atom("cdr"), 6, L.length_cdr),
    PacketType(atom("fcgi"), 7, L.length_fcgi, trailer_size=_fcgi_padding),
    PacketType(atom("line"), 8, L.length_line, buffer_bound=True),
    PacketType(atom("tpkt"), 9, L.length_tpkt),
    PacketType(atom("http"), 10, L.length_http, http=True),
    PacketType(atom("httph"), 11, L.length_httph, http=True, headers_only=True),
    PacketType(atom("ssl_tls"), 12, L.length_ssl_tls, ssl_tls=True),
    PacketType(atom("http_bin"), 13, L.length_http, http=True, as_binary=True),
    PacketType(atom("httph_bin"), 14, L.length_httph, http=True, as_binary=True,
               headers_only=True),
)

# Keyed by every spelling gen_tcp accepts: 0 and raw are the same type, and so
# are the obsolete ssl and ssl_tls. Atoms are str, so "line" finds line too.
PACKET_TYPES: dict[object, PacketType] = {row.name: row for row in _ROWS}
PACKET_TYPES[0] = RAW
PACKET_TYPES[atom("ssl")] = PACKET_TYPES["ssl_tls"]

# erlang:decode_packet/3 accepts all of them except ssl.
DECODE_PACKET_SPELLINGS = frozenset(k for k in PACKET_TYPES if k != "ssl")

# The http types and their header-state counterparts, for effective_type.
HEADER_TYPE_OF = {
    PACKET_TYPES["http"]: PACKET_TYPES["httph"],
    PACKET_TYPES["http_bin"]: PACKET_TYPES["httph_bin"],
}


def packet_type(spec) -> PacketType:
    """The row for a spelling (int, str or Atom) or a PacketType itself.
    Raises ValueError for anything gen_tcp would not accept."""
    if isinstance(spec, PacketType):
        return spec
    if isinstance(spec, (int, str)) and not isinstance(spec, bool):
        row = PACKET_TYPES.get(spec)
        if row is not None:
            return row
    raise ValueError(f"unknown packet type: {spec!r}")


def get_length(ptype, buf, start: int, end: int, packet_size: int = 0, trunc_len: int = 0,
               delimiter: int = 10, http_state: int = 0) -> int:
    """packet_get_length: the total length of the packet at buf[start:], header
    included (possibly more than is buffered), 0 if more data is needed to
    know it, -1 if the packet is invalid or larger than packet_size.
    httph/httph_bin frame as header lines whatever `http_state` says; the C
    function also stores 1 in the state then, which is left to the caller
    (see PacketType.headers_only)."""
    row = packet_type(ptype)
    return row.length(buf, start, end, packet_size, trunc_len, delimiter, http_state)


def packet_body(ptype, buf, start: int, size: int) -> bytes:
    """packet_get_body: the delivered bytes of the `size`-byte packet at
    buf[start:]: without the length header for 1, 2 and 4, without the padding
    for fcgi, whole for every other type."""
    row = packet_type(ptype)
    body = buf[start + row.header_size:start + size - row.trailer_size(buf, start)]
    return body if type(body) is bytes else bytes(body)
