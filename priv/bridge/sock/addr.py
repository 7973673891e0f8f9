"""Socket addresses as the socket NIF takes and gives them: `sockaddr()` maps.

Decoding is esock_decode_sockaddr: the map must hold every key of its family
(the Erlang side merged in the defaults, as prim_socket:enc_sockaddr does), an
address is a tuple or one of the atoms any, loopback (and broadcast for inet),
and anything else is `{invalid, sockaddr}` to the caller. Encoding is
esock_encode_sockaddr: `#{family => inet, port, addr}`, inet6 with `flowinfo`
and `scope_id`, local with `path` as a binary (an unnamed socket's is <<>>), and
a family it cannot name as `#{family => unspec, addr => <<>>}`, what a zeroed
address (recvfrom on a stream socket) reads as.
"""

from __future__ import annotations

import ctypes
import os
import socket
import sys

from ..etf.terms import Atom, atom

INET = atom("inet")
INET6 = atom("inet6")
LOCAL = atom("local")
UNSPEC = atom("unspec")
FAMILY, ADDR, PORT, PATH = atom("family"), atom("addr"), atom("port"), atom("path")
FLOWINFO, SCOPE_ID = atom("flowinfo"), atom("scope_id")
ANY, LOOPBACK, BROADCAST = atom("any"), atom("loopback"), atom("broadcast")

DOMAINS = {INET: socket.AF_INET, INET6: socket.AF_INET6, LOCAL: socket.AF_UNIX,
           UNSPEC: socket.AF_UNSPEC}
DOMAIN_NAMES = {v: k for k, v in DOMAINS.items()}

_SUN_PATH_MAX = 108


class BadAddress(Exception):
    """The NIF's `{invalid, sockaddr}`: prim_socket names the address given."""


def _c_int(v) -> bool:
    return type(v) is int and -(1 << 31) <= v < (1 << 31)


def _c_uint(v) -> bool:
    return type(v) is int and 0 <= v < (1 << 32)


def _in_addr(value) -> str:
    if isinstance(value, Atom) and not isinstance(value, bool):
        if value == LOOPBACK:
            return "127.0.0.1"
        if value == ANY:
            return "0.0.0.0"
        if value == BROADCAST:
            return "255.255.255.255"
        raise BadAddress
    if type(value) is not tuple or len(value) != 4 or not all(
            type(b) is int and 0 <= b <= 255 for b in value):
        raise BadAddress
    return "%d.%d.%d.%d" % value


def _in6_addr(value) -> str:
    if isinstance(value, Atom) and not isinstance(value, bool):
        if value == LOOPBACK:
            return "::1"
        if value == ANY:
            return "::"
        raise BadAddress
    if type(value) is not tuple or len(value) != 8 or not all(
            type(w) is int and 0 <= w <= 65535 for w in value):
        raise BadAddress
    return socket.inet_ntop(socket.AF_INET6, b"".join(w.to_bytes(2, "big") for w in value))


_SA_DATA_MAX = 126  # sizeof(struct sockaddr_storage) - sizeof(sa_family_t)


def decode(value):
    """(family, Python address) for a sockaddr map, or BadAddress. A family the
    NIF has no struct for (unspec, a number) takes `addr` as the raw bytes
    after the family (esock_decode_sockaddr_native)."""
    if not isinstance(value, dict) or FAMILY not in value:
        raise BadAddress
    fam = value[FAMILY]
    family = DOMAINS.get(fam) if isinstance(fam, Atom) else None
    if family == socket.AF_UNSPEC or (type(fam) is int and 0 <= fam < 65536):
        raw = value.get(ADDR)
        if not isinstance(raw, (bytes, bytearray)) or len(raw) > _SA_DATA_MAX:
            raise BadAddress
        return (fam if type(fam) is int else family), bytes(raw)
    if family == socket.AF_INET:
        port = value.get(PORT)
        if not _c_int(port) or ADDR not in value:
            raise BadAddress
        return family, (_in_addr(value[ADDR]), port & 0xFFFF)
    if family == socket.AF_INET6:
        port, flow, scope = value.get(PORT), value.get(FLOWINFO), value.get(SCOPE_ID)
        if not _c_int(port) or not _c_uint(flow) or not _c_uint(scope) or ADDR not in value:
            raise BadAddress
        return family, (_in6_addr(value[ADDR]), port & 0xFFFF, flow, scope)
    if family == socket.AF_UNIX:
        path = value.get(PATH)
        if not isinstance(path, (bytes, bytearray)):
            raise BadAddress
        path = bytes(path)
        # Linux's abstract names (a leading NUL) need no terminating NUL.
        if len(path) + (0 if path[:1] == b"\0" else 1) > _SUN_PATH_MAX:
            raise BadAddress
        return family, path
    raise BadAddress


def _ip_tuple(family: int, text: str) -> tuple:
    packed = socket.inet_pton(family, text.split("%", 1)[0])
    if family == socket.AF_INET:
        return tuple(packed)
    return tuple(int.from_bytes(packed[i:i + 2], "big") for i in range(0, 16, 2))


def encode(family: int, addr) -> dict:
    """The sockaddr map for an address Python returned (getsockname, recvfrom)."""
    if family == socket.AF_INET and type(addr) is tuple:
        return {FAMILY: INET, PORT: addr[1], ADDR: _ip_tuple(socket.AF_INET, addr[0])}
    if family == socket.AF_INET6 and type(addr) is tuple:
        return {FAMILY: INET6, PORT: addr[1], ADDR: _ip_tuple(socket.AF_INET6, addr[0]),
                FLOWINFO: addr[2], SCOPE_ID: addr[3]}
    if family == socket.AF_UNIX and addr is not None:
        path = os.fsencode(addr) if isinstance(addr, str) else bytes(addr)
        return {FAMILY: LOCAL, PATH: path}
    return {FAMILY: UNSPEC, ADDR: b""}


# -- addresses of another family than the socket's --------------------------------------
# Python's socket methods refuse them before the kernel sees them; the NIF hands
# any sockaddr to the kernel, and the caller gets the kernel's errno.

_libc = None


def _sockaddr(family: int, address) -> bytes:
    fam = family.to_bytes(2, sys.byteorder)
    if family == socket.AF_INET:
        return fam + address[1].to_bytes(2, "big") + socket.inet_aton(address[0]) + bytes(8)
    if family == socket.AF_INET6:
        host, port, flow, scope = address
        return (fam + port.to_bytes(2, "big") + flow.to_bytes(4, sys.byteorder)
                + socket.inet_pton(socket.AF_INET6, host) + scope.to_bytes(4, sys.byteorder))
    return fam + address


def _call(name: str, *args) -> int:
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    result = getattr(_libc, name)(*args)
    return result if result >= 0 else -ctypes.get_errno()


def raw_call(call: str, fd: int, family: int, address) -> int:
    """bind or connect with a raw address: 0 or an errno."""
    raw = _sockaddr(family, address)
    result = _call(call, fd, raw, len(raw))
    return -result if result < 0 else 0


def raw_sendto(fd: int, data, flags: int, family: int, address) -> int:
    raw = _sockaddr(family, address)
    data = bytes(data)
    result = _call("sendto", fd, data, ctypes.c_size_t(len(data)), flags, raw, len(raw))
    if result < 0:
        raise OSError(-result, os.strerror(-result))
    return result
