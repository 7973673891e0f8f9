"""Addresses between Erlang terms and Python's socket module.

Erlang names an IPv4 address as a 4-tuple of bytes, an IPv6 address as an 8-tuple
of 16-bit words, and a Unix domain socket as `{local, Path}`; Python as strings and
paths. Families are the atoms inet, inet6 and local.
"""

from __future__ import annotations

import socket

from .errors import RequestError
from .etf.terms import Atom, atom

INET = atom("inet")
INET6 = atom("inet6")
LOCAL = atom("local")
ANY = atom("any")
LOOPBACK = atom("loopback")

FAMILIES = {INET: socket.AF_INET, INET6: socket.AF_INET6, LOCAL: socket.AF_UNIX}

_EINVAL = atom("einval")


def family_of(value) -> int:
    fam = FAMILIES.get(value) if isinstance(value, Atom) else None
    if fam is None:
        raise RequestError(_EINVAL)
    return fam


def _ip4(t) -> str:
    if len(t) != 4 or any(type(b) is not int or not 0 <= b <= 255 for b in t):
        raise RequestError(_EINVAL)
    return "%d.%d.%d.%d" % t


def _ip6(t) -> str:
    if len(t) != 8 or any(type(w) is not int or not 0 <= w <= 65535 for w in t):
        raise RequestError(_EINVAL)
    return socket.inet_ntop(socket.AF_INET6, b"".join(w.to_bytes(2, "big") for w in t))


def ip_to_python(family: int, ip) -> str:
    """An Erlang IP tuple (or any/loopback) as the string Python wants."""
    if ip == ANY and isinstance(ip, Atom):
        return "0.0.0.0" if family == socket.AF_INET else "::"
    if ip == LOOPBACK and isinstance(ip, Atom):
        return "127.0.0.1" if family == socket.AF_INET else "::1"
    if type(ip) is not tuple:
        raise RequestError(_EINVAL)
    if family == socket.AF_INET:
        return _ip4(ip)
    if family == socket.AF_INET6:
        if len(ip) == 4:  # an IPv4 address on an IPv6 socket: the mapped form
            return "::ffff:" + _ip4(ip)
        return _ip6(ip)
    raise RequestError(_EINVAL)


def local_path(value) -> bytes:
    """The path of `{local, Path}` (Path a binary, string or charlist)."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, list) and all(type(c) is int and 0 <= c <= 0x10FFFF for c in value):
        return "".join(map(chr, value)).encode()
    raise RequestError(_EINVAL)


_FAMILY, _ADDR, _PORT, _PATH = atom("family"), atom("addr"), atom("port"), atom("path")
_FLOWINFO, _SCOPE_ID = atom("flowinfo"), atom("scope_id")


def _uint(value, bits: int) -> int:
    if type(value) is not int or not 0 <= value < 1 << bits:
        raise RequestError(_EINVAL)
    return value


def from_map(family: int, value: dict):
    """A socket:sockaddr() map (an {ifaddr, Map} option, or the address of
    gen_tcp:connect/3) as Python's address. As prim_inet binds and connects with
    such a map, its own port counts and an inet6 one keeps flowinfo and scope_id
    (a link-local address needs the latter)."""
    if FAMILIES.get(value.get(_FAMILY)) != family:
        raise RequestError(_EINVAL)
    if family == socket.AF_UNIX:
        return local_path(value.get(_PATH))
    host = ip_to_python(family, value.get(_ADDR, ANY))
    port = _uint(value.get(_PORT, 0), 16)
    if family == socket.AF_INET6:
        return (host, port, _uint(value.get(_FLOWINFO, 0), 32),
                _uint(value.get(_SCOPE_ID, 0), 32))
    return (host, port)


def to_python(family: int, ip, port: int):
    """The Python address for (ip, port) in `family`; `ip` may be {local, Path},
    or a sockaddr map (from_map), whose own port then counts."""
    if isinstance(ip, dict):
        return from_map(family, ip)
    if family == socket.AF_UNIX:
        if type(ip) is tuple and len(ip) == 2 and ip[0] == LOCAL:
            return local_path(ip[1])
        raise RequestError(_EINVAL)
    if type(port) is not int or not 0 <= port <= 65535:
        raise RequestError(_EINVAL)
    return (ip_to_python(family, ip), port)


def ip_to_erlang(text: str) -> tuple:
    if ":" in text:
        packed = socket.inet_pton(socket.AF_INET6, text.split("%", 1)[0])
        return tuple(int.from_bytes(packed[i:i + 2], "big") for i in range(0, 16, 2))
    return tuple(int(b) for b in text.split("."))


def to_erlang(family: int, addr):
    """{IP, Port} (or {local, Path}) as inet:sockname/peername return it."""
    if family == socket.AF_UNIX:
        if isinstance(addr, str):
            addr = addr.encode()
        return (LOCAL, bytes(addr))
    return (ip_to_erlang(addr[0]), addr[1])
