"""The terms a TCP socket delivers, built as inet_drv builds them (tcp_message,
tcp_reply_data), and encoded on the fast path.

Data is a binary in binary mode, a string in list mode, and with `{header, N}` in
binary mode `[B1, ..., BN | Rest]` (all of it a string when the packet is shorter
than N). The message is `{tcp, S, Data}`, `{http, S, HttpPacket}` for the http
packet types, or `{S, {data, Data}}` with `{deliver, port}`.

`{Owner, {tcp, S, Binary}}` is by far the most frequent frame, so its encoding is a
per-socket prefix (owner, tag and socket never change between messages) followed
by the BINARY_EXT header and the payload, which is passed on without a copy.
"""

from __future__ import annotations

import struct

from ..etf import encode
from ..etf.terms import ImproperList, String, atom

TCP = atom("tcp")
TCP_CLOSED = atom("tcp_closed")
TCP_ERROR = atom("tcp_error")
TCP_PASSIVE = atom("tcp_passive")
HTTP = atom("http")
SSL_TLS = atom("ssl_tls")
DATA = atom("data")

_BINARY_EXT = struct.Struct(">BI")
_BINARY_EXT_TAG = 109


def data_term(payload: bytes, binary: bool, header: int):
    if not binary or header > len(payload):
        return String(payload)
    if header == 0:
        return payload
    return ImproperList(list(payload[:header]), payload[header:])


def ext(term) -> bytes:
    """The encoding of `term` without the version byte, for building prefixes."""
    return encode(term)[1:]


class TcpMessagePrefix:
    """The constant start of `{Owner, {tcp, S, _}}`, rebuilt when the owner changes."""

    __slots__ = ("owner", "prefix")

    def __init__(self) -> None:
        self.owner = None
        self.prefix = b""

    def get(self, owner, handle_ext: bytes) -> bytes:
        if owner is not self.owner:
            self.owner = owner
            self.prefix = b"\x83h\x02" + ext(owner) + b"h\x03" + ext(TCP) + handle_ext
        return self.prefix


def binary_ext_header(size: int) -> bytes:
    return _BINARY_EXT.pack(_BINARY_EXT_TAG, size)
