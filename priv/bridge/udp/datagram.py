"""The terms a UDP socket delivers, built as inet_drv builds them, sans-I/O.

A datagram reaches its owner as one of (packet_binary_message, inet_async_binary_data,
inet_port_binary_data):

    {udp, S, IP, Port, Data}               active
    {udp, S, IP, Port, AncData, Data}      active, with recvtos/recvttl/recvtclass on
    {ok, {IP, Port, Data}}                 the reply to a passive recv
    {ok, {IP, Port, AncData, Data}}        the same with ancillary data
    {S, {data, Bytes}}                     active with {deliver, port}

`IP, Port` is the sender: an address tuple and its port, `{local, Path}` and 0 for a
Unix domain socket, `{unspec, <<>>}` and 0 for an unnamed one. Data follows the TCP
rules (a binary, a string in list mode, `[H1, ..., HN | Binary]` with `{header, N}`,
all of it a string when the datagram is shorter than N). With `{deliver, port}`
inet_drv hands over its internal buffer as it is: the sender's address in its own
encoding (`inet_get_address`: family code, port, address bytes) followed by the
datagram, with `header` counted from the start of the address.

AncData lists `{tos, N}`, `{ttl, N}` and `{tclass, N}` in the order the kernel put
the control messages (parse_ancillary_data_item); a connected socket reads with
recv(), which has none, and reports `[]`.
"""

from __future__ import annotations

import os
import socket
import struct
import sys

from ..errors import RequestError
from ..etf.terms import atom
from .. import addresses
from ..tcp.messages import data_term

UDP = atom("udp")
UDP_PASSIVE = atom("udp_passive")
UDP_ERROR = atom("udp_error")
DATA = atom("data")
OK = atom("ok")
LOCAL = atom("local")
UNSPEC = atom("unspec")
TOS, TTL, TCLASS = atom("tos"), atom("ttl"), atom("tclass")
EINVAL = atom("einval")

# inet_drv's family codes (INET_AF_*).
INET_AF_UNSPEC, INET_AF_INET, INET_AF_INET6, INET_AF_LOCAL = 0, 1, 2, 5

_IP_TOS = socket.IP_TOS
_IP_TTL = socket.IP_TTL
_IPV6_TCLASS = getattr(socket, "IPV6_TCLASS", 67)
# The names of the control messages inet_drv reports (BSD uses the RECV* numbers).
_CMSG_NAMES = {
    (socket.IPPROTO_IP, _IP_TOS): TOS,
    (socket.IPPROTO_IPV6, _IPV6_TCLASS): TCLASS,
    (socket.IPPROTO_IP, _IP_TTL): TTL,
}
# inet_drv's control buffer for recvmsg (ANC_BUFF_SIZE = INET_DEF_BUFFER / 2).
ANC_BUFF_SIZE = 730
# What compile_ancillary_data may send: the option's cmsg, and at most two of them
# (SIZEOF_ANCILLARY_DATA has room for (IP_TOS | IPV6_TCLASS) + IP_TTL).
_SEND_CMSGS = {TOS: (socket.IPPROTO_IP, _IP_TOS), TTL: (socket.IPPROTO_IP, _IP_TTL),
               TCLASS: (socket.IPPROTO_IPV6, _IPV6_TCLASS)}
_MAX_SEND_CMSGS = 2
_INT32 = struct.Struct("=i")


def sender_term(family: int, addr) -> tuple:
    """(IP, Port) as the messages show a sender that recvfrom/recvmsg returned."""
    if family == socket.AF_UNIX:
        if not addr:
            # An unnamed sender: no address at all, which inet_drv reads as
            # the AF_UNSPEC of its zeroed buffer.
            return ((UNSPEC, b""), 0)
        return ((LOCAL, _path_bytes(addr)), 0)
    return (addresses.ip_to_erlang(addr[0]), addr[1])


def _path_bytes(path) -> bytes:
    return os.fsencode(path) if isinstance(path, str) else bytes(path)


def driver_address(family: int, addr) -> bytes:
    """The sender's address as inet_get_address encodes it (what {deliver, port}
    shows in front of the datagram)."""
    if family == socket.AF_UNIX:
        if not addr:
            return bytes([INET_AF_UNSPEC])
        path = _path_bytes(addr)
        return bytes([INET_AF_LOCAL, len(path)]) + path
    if family == socket.AF_INET6:
        packed = socket.inet_pton(socket.AF_INET6, addr[0].split("%", 1)[0])
        return bytes([INET_AF_INET6]) + addr[1].to_bytes(2, "big") + packed
    return bytes([INET_AF_INET]) + addr[1].to_bytes(2, "big") + socket.inet_aton(addr[0])


def ancillary_term(cmsgs) -> list:
    """AncData from recvmsg's control messages: the known ones, read as integers
    of their own size (load_cmsg_int)."""
    out = []
    for level, kind, data in cmsgs:
        name = _CMSG_NAMES.get((level, kind))
        if name is not None:
            out.append((name, _cmsg_int(data)))
    return out


def _cmsg_int(data: bytes) -> int:
    if len(data) in (1, 2, 4, 8):
        return int.from_bytes(data, sys.byteorder)
    return 0


def compile_ancillary(anc) -> list:
    """The control messages for sendmsg from an AncData list (compile_ancillary_data):
    only tos, ttl and tclass with 32-bit integers, at most two of them; anything
    else is einval. prim_inet hands them over last first."""
    if not isinstance(anc, list) or len(anc) > _MAX_SEND_CMSGS:
        raise RequestError(EINVAL)
    cmsgs = []
    for item in reversed(anc):
        if type(item) is not tuple or len(item) != 2:
            raise RequestError(EINVAL)
        name, value = item
        where = _SEND_CMSGS.get(name) if isinstance(name, str) else None
        if where is None or type(value) is not int or not -(1 << 31) <= value < (1 << 31):
            raise RequestError(EINVAL)
        cmsgs.append((where[0], where[1], _INT32.pack(value)))
    return cmsgs


def active_message(handle, sender: tuple, anc: list | None, payload: bytes, binary: bool,
                   header: int) -> tuple:
    data = data_term(payload, binary, header)
    if anc is None:
        return (UDP, handle) + sender + (data,)
    return (UDP, handle) + sender + (anc, data)


def recv_reply(sender: tuple, anc: list | None, payload: bytes, binary: bool, header: int):
    data = data_term(payload, binary, header)
    if anc is None:
        return (OK, sender + (data,))
    return (OK, sender + (anc, data))


def port_message(handle, address: bytes, payload: bytes, binary: bool, header: int) -> tuple:
    """{S, {data, Bytes}}: the address bytes and the datagram as one buffer."""
    return (handle, (DATA, data_term(address + payload, binary, header)))
