"""The options whose meaning on a UDP socket differs from TCP's (inet_set_opts and
inet_fill_opts for SOCK_DGRAM); every other option is the shared table's.

- read_packets: how many datagrams one readiness event reads (default 5,
  INET_PACKET_POLL); a value <= 0 is einval.
- add_membership, drop_membership: IP_ADD/DROP_MEMBERSHIP with an ip_mreqn for an
  IPv4 group, an ipv6_mreq for an IPv6 one. The group's family must be the
  socket's (else einval); the setsockopt's own failure is not reported. OTP 25.2.3
  issues IPV6_DROP_MEMBERSHIP for an IPv6 add_membership too, so that joining an
  IPv6 group does nothing; kept, since it is what a program sees there.
- multicast_if: IP_MULTICAST_IF or IPV6_MULTICAST_IF by the socket's family, with
  the value's 32 bits in network order either way (an address tuple's bytes, or an
  interface index through htonl); failure not reported; einval on a Unix socket.
- recbuf: as on TCP, but the `buffer` it drags up stops at 64 KiB, the largest
  datagram.
- recvtos, recvttl, recvtclass: once set, datagrams carry ancillary data (read with
  recvmsg); the flag changes only if the setsockopt succeeded.
- getopts: the TCP-only local options (watermarks, send_timeout, ...) are left out;
  pktoptions is what the kernel has for UDP (nothing) and einval on a Unix socket.
"""

from __future__ import annotations

import socket
import struct

from ..errors import RequestError
from ..etf.terms import Atom, atom
from ..inet import options as opt

EINVAL = atom("einval")
ANY = atom("any")

DEFAULT_READ_PACKETS = 5
UDP_MAX_BUFFER = 1 << 16

IP_ADD_MEMBERSHIP = socket.IP_ADD_MEMBERSHIP
IP_DROP_MEMBERSHIP = socket.IP_DROP_MEMBERSHIP
IPV6_DROP_MEMBERSHIP = getattr(socket, "IPV6_LEAVE_GROUP", 21)
IPV6_MULTICAST_IF = socket.IPV6_MULTICAST_IF

RECV_CMSG_OPTIONS = frozenset(("recvtos", "recvttl", "recvtclass"))

# Local options inet_fill_opts reports only for SOCK_STREAM (read_ahead: only
# for TCP, of the releases that have it).
GETOPT_OMITTED = frozenset(("high_watermark", "low_watermark", "send_timeout",
                            "send_timeout_close", "delay_send", "show_econnreset",
                            "read_ahead"))

_BE_INT32 = struct.Struct(">i")
_NATIVE_INT32 = struct.Struct("=i")


def _fail():
    raise RequestError(EINVAL)


def _ip4_bytes(value) -> bytes:
    if (type(value) is not tuple or len(value) != 4
            or any(type(b) is not int or not 0 <= b <= 255 for b in value)):
        _fail()
    return bytes(value)


def _ip6_bytes(value) -> bytes:
    if (type(value) is not tuple or len(value) != 8
            or any(type(w) is not int or not 0 <= w <= 0xFFFF for w in value)):
        _fail()
    return b"".join(w.to_bytes(2, "big") for w in value)


def read_packets(value) -> int:
    if type(value) is not int:
        _fail()
    value = opt.driver_int(value)
    if value <= 0:
        _fail()
    return value


def membership(family: int, add: bool, value) -> tuple[int, int, bytes]:
    """(level, optname, optval) for an add_membership or drop_membership value:
    {MultiAddr, Interface} or {MultiAddr, Interface, IfIndex} for IPv4 (Interface an
    address or `any`), {MultiAddr, IfIndex} for IPv6."""
    if type(value) is not tuple or len(value) not in (2, 3):
        _fail()
    group = value[0]
    if type(group) is tuple and len(group) == 4:
        if family != socket.AF_INET:
            _fail()
        iface = value[1]
        index = value[2] if len(value) == 3 else 0
        if type(index) is not int:
            _fail()
        local = b"\0\0\0\0" if (isinstance(iface, Atom) and iface == ANY) else _ip4_bytes(iface)
        # ip_mreqn, with the index put through htonl as inet_drv does.
        mreq = _ip4_bytes(group) + local + _BE_INT32.pack(opt.driver_int(index))
        return (socket.IPPROTO_IP, IP_ADD_MEMBERSHIP if add else IP_DROP_MEMBERSHIP, mreq)
    if type(group) is tuple and len(group) == 8 and len(value) == 2:
        if family != socket.AF_INET6 or type(value[1]) is not int:
            _fail()
        mreq = _ip6_bytes(group) + _NATIVE_INT32.pack(opt.driver_int(value[1]))
        return (socket.IPPROTO_IPV6, IPV6_DROP_MEMBERSHIP, mreq)
    _fail()


def multicast_if(family: int, value) -> tuple[int, int, bytes]:
    if type(value) is tuple:
        ival = _BE_INT32.unpack(_ip4_bytes(value))[0]
    elif type(value) is int:
        ival = opt.driver_int(value)
    else:
        _fail()
    if family == socket.AF_INET:
        return (socket.IPPROTO_IP, socket.IP_MULTICAST_IF, _BE_INT32.pack(ival))
    if family == socket.AF_INET6:
        return (socket.IPPROTO_IPV6, IPV6_MULTICAST_IF, _BE_INT32.pack(ival))
    _fail()


def get_multicast_if(sock: socket.socket | None, family: int):
    """The kernel's multicast interface: an address tuple for IPv4, an interface
    index for IPv6 (None when it will not say)."""
    if family not in (socket.AF_INET, socket.AF_INET6):
        _fail()
    if sock is None:
        return None
    try:
        if family == socket.AF_INET:
            return tuple(sock.getsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, 4))
        return sock.getsockopt(socket.IPPROTO_IPV6, IPV6_MULTICAST_IF)
    except OSError:
        return None


def recbuf_buffer(opts: opt.InetOptions, value) -> None:
    """inet_drv keeps `buffer` at least as large as SO_RCVBUF unless it was set,
    up to the largest datagram."""
    if opts.buffer_set or type(value) is not int:
        return
    if value > UDP_MAX_BUFFER:
        opts.buffer = UDP_MAX_BUFFER
    elif value > opts.buffer:
        opts.buffer = value
