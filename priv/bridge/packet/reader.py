"""PacketReader: cuts the next packet out of a socket's receive buffer, as
inet_drv's tcp_remain + tcp_reply_data do. No I/O, no clock, no buffer of its
own.

Contract
--------
    reader = PacketReader(ptype, packet_size=0, trunc_len=0, delimiter=10)
    result = reader.next_packet(buf, start, end)

`buf` is the caller's bytes or bytearray; the reader reads `buf[start:end]`
only and never modifies or keeps it. `result` is one of:

    Packet(data, size)      A whole packet starts at `start` and is `size` bytes
                            long (header included): advance `start` by `size`.
                            `data` is the delivered payload as bytes (length
                            header stripped for 1/2/4, padding for fcgi, else
                            the whole packet), or a term for the parsed types:
                            {http_request, ...}, {http_header, ...}, http_eoh,
                            {http_error, Line} ... for http*, and
                            {ssl_tls, [], Type, {Major, Minor}, Data} for
                            ssl_tls. An unparsable http line is a Packet with
                            an http_error term, consumed like any other line.
    NeedData(length, missing)
                            Not enough data. If `length` > 0 the packet is
                            `length` bytes and `missing` more must arrive;
                            NEED_DATA (0, 0) means the length is not known yet.
                            raw returns NEED_DATA only for an empty buffer.
    PacketError(reason)     The packet is invalid or larger than packet_size;
                            `reason` is the atom emsgsize, which the driver
                            reports as {error, emsgsize} and which ends reading.

How the driver sends a Packet: `{http, S, Term}` for the http types,
`{ssl_tls, S, Type, {Major, Minor}, Data}` (the term with S for []) for
ssl_tls, and `{tcp, S, Data}` otherwise; `{ok, ...}` to a passive recv. When
the peer closes, bytes that do not make a whole packet are never delivered,
not even a last complete header line in header state, which waits for the
next line to rule out a continuation.

Options are plain attributes and may change between calls, as setopts does:
`ptype` (a spelling such as "line", 4, "http_bin", or a PacketType),
`packet_size` (0 = no limit), `trunc_len` and `delimiter` (a byte value).
`trunc_len` is what the driver passes: the size of its receive buffer (the
`buffer` option). The reader looks at no more than trunc_len bytes of a raw
or line packet, since the driver's buffer holds no more: raw data comes in
pieces of at most trunc_len and so do longer lines (where decode_packet,
seeing the whole line, would report it as over packet_size). For http types
with packet_size 0 it is the longest line accepted; with a larger
packet_size the driver grows its buffer, and packet_size is the limit.

HTTP state. `reader.http_state` is 0 when a request/response line is expected
and 1 when a header is. It becomes 1 after a Packet with http_request or
http_response, 0 after http_eoh, and is forced to 1 by reading with httph or
httph_bin. As in the driver it survives changes of `ptype`: this is how a
socket in `{packet, http}` switches to header parsing after the first line
while getopts still says http. `reader.effective_type` names the type the
next line is read as (httph for http in state 1), and
bridge.packet.http.next_http_state(term, state) is the rule itself.
"""

from __future__ import annotations

from typing import NamedTuple

from ..etf.terms import Atom, atom
from .http import parse_http
from .table import HEADER_TYPE_OF, PacketType, packet_type, parse_ssl_tls

__all__ = ["PacketReader", "Packet", "NeedData", "NEED_DATA", "PacketError", "EMSGSIZE"]


class Packet(NamedTuple):
    data: object
    size: int


class NeedData(NamedTuple):
    length: int
    missing: int


class PacketError(NamedTuple):
    reason: Atom


NEED_DATA = NeedData(0, 0)
EMSGSIZE = PacketError(atom("emsgsize"))


class PacketReader:
    __slots__ = ("_ptype", "packet_size", "trunc_len", "delimiter", "http_state")

    def __init__(self, ptype="raw", packet_size: int = 0, trunc_len: int = 0,
                 delimiter: int = 10):
        self._ptype = packet_type(ptype)
        self.packet_size = packet_size
        self.trunc_len = trunc_len
        self.delimiter = delimiter
        self.http_state = 0

    @property
    def ptype(self) -> PacketType:
        return self._ptype

    @ptype.setter
    def ptype(self, spec) -> None:
        self._ptype = packet_type(spec)

    @property
    def effective_type(self) -> PacketType:
        """The type the next packet is read as: httph (httph_bin) for a socket
        set to http (http_bin) once a request or response line was read."""
        if self.http_state:
            return HEADER_TYPE_OF.get(self._ptype, self._ptype)
        return self._ptype

    def __repr__(self) -> str:
        return (f"<PacketReader {self._ptype.name} packet_size={self.packet_size} "
                f"trunc_len={self.trunc_len} http_state={self.http_state}>")

    def next_packet(self, buf, start: int = 0, end: int | None = None):
        """Packet | NeedData | PacketError for buf[start:end] (see the module
        docstring for the contract)."""
        if end is None:
            end = len(buf)
        ptype = self._ptype
        if ptype.headers_only:
            self.http_state = 1
        elif ptype.buffer_bound and self.trunc_len and end - start > self.trunc_len:
            # The driver would not have read further, so a long line is cut
            # at trunc_len even where the rest would exceed packet_size.
            end = start + self.trunc_len
        size = ptype.length(buf, start, end, self.packet_size, self.trunc_len,
                            self.delimiter, self.http_state)
        if size <= 0:
            return NEED_DATA if size == 0 else EMSGSIZE
        if size > end - start:
            return NeedData(size, size - (end - start))
        if ptype.http:
            term, self.http_state = parse_http(_copy(buf, start, start + size), self.http_state,
                                               ptype.as_binary)
            return _packet(Packet, (term, size))
        if ptype.ssl_tls:
            return _packet(Packet, (parse_ssl_tls(_copy(buf, start, start + size)), size))
        return _packet(Packet, (_copy(buf, start + ptype.header_size,
                                      start + size - ptype.trailer_size(buf, start)), size))


# Packet is made once per received packet: tuple.__new__ skips the Python
# level __new__ of NamedTuple, which costs as much as the rest of a read.
_packet = tuple.__new__

# Above this size a body is copied out of a bytearray through a memoryview:
# one copy instead of two. Below it the memoryview costs more than it saves.
_MEMORYVIEW_COPY = 2048


def _copy(buf, start: int, end: int) -> bytes:
    if type(buf) is bytes:
        return buf[start:end]
    if end - start > _MEMORYVIEW_COPY:
        # A temporary view: released at once, so the caller can still resize.
        return bytes(memoryview(buf)[start:end])
    return bytes(buf[start:end])
