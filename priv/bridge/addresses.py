"""Addresses between Erlang terms and Python's socket module, in the two
grammars the BEAM uses.

Erlang names an IPv4 address as a 4-tuple of bytes, an IPv6 address as an
8-tuple of 16-bit words, and a Unix domain socket by its path; Python as
strings and paths. Families are the atoms inet, inet6 and local.

- *inet's forms* (gen_tcp, gen_udp, gen_sctp, as prim_inet hands them to
  inet_drv): an IP tuple or `any`/`loopback` beside a port, `{local, Path}`,
  or a `socket:sockaddr()` map whose own port counts. A bad one is the
  request's `einval` (RequestError).
- *the socket NIF's sockaddr maps* (the socket module): decoding is
  esock_decode_sockaddr: the map must hold every key of its family (the Erlang
  side merged in the defaults, as prim_socket:enc_sockaddr does), an address is
  a tuple or one of the atoms any, loopback (and broadcast for inet), and
  anything else is `{invalid, sockaddr}` to the caller (BadAddress). Encoding
  is esock_encode_sockaddr: `#{family => inet, port, addr}`, inet6 with
  `flowinfo` and `scope_id`, local with `path` as a binary (an unnamed
  socket's is <<>>), and a family it cannot name as `#{family => unspec, addr
  => <<>>}`, what a zeroed address (recvfrom on a stream socket) reads as.
"""

from __future__ import annotations

import ctypes
import os
import socket
import sys

from .errors import RequestError
from .etf.terms import Atom, atom

INET = atom("inet")
INET6 = atom("inet6")
LOCAL = atom("local")
UNSPEC = atom("unspec")
ANY, LOOPBACK, BROADCAST = atom("any"), atom("loopback"), atom("broadcast")
FAMILY, ADDR, PORT, PATH = atom("family"), atom("addr"), atom("port"), atom("path")
FLOWINFO, SCOPE_ID = atom("flowinfo"), atom("scope_id")

# inet's families; the NIF also names unspec.
FAMILIES = {INET: socket.AF_INET, INET6: socket.AF_INET6, LOCAL: socket.AF_UNIX}
DOMAINS = {**FAMILIES, UNSPEC: socket.AF_UNSPEC}
DOMAIN_NAMES = {v: k for k, v in DOMAINS.items()}

_EINVAL = atom("einval")


# -- IP addresses, both grammars ---------------------------------------------------

def ip4_text(t) -> str | None:
    """An IPv4 tuple as Python's text, or None when it is not one."""
    if type(t) is not tuple or len(t) != 4 or not all(
            type(b) is int and 0 <= b <= 255 for b in t):
        return None
    return "%d.%d.%d.%d" % t


def ip6_text(t) -> str | None:
    """An IPv6 tuple as Python's text, or None when it is not one."""
    if type(t) is not tuple or len(t) != 8 or not all(
            type(w) is int and 0 <= w <= 65535 for w in t):
        return None
    return socket.inet_ntop(socket.AF_INET6, b"".join(w.to_bytes(2, "big") for w in t))


def ip_tuple(family: int, text: str) -> tuple:
    """Python's text of an address (a scope suffix ignored) as Erlang's tuple."""
    packed = socket.inet_pton(family, text.split("%", 1)[0])
    if family == socket.AF_INET:
        return tuple(packed)
    return tuple(int.from_bytes(packed[i:i + 2], "big") for i in range(0, 16, 2))


# -- inet's forms ----------------------------------------------------------------

def family_of(value) -> int:
    fam = FAMILIES.get(value) if isinstance(value, Atom) else None
    if fam is None:
        raise RequestError(_EINVAL)
    return fam


def _checked(text: str | None) -> str:
    if text is None:
        raise RequestError(_EINVAL)
    return text


def ip_to_python(family: int, ip) -> str:
    """An Erlang IP tuple (or any/loopback) as the string Python wants."""
    if ip == ANY and isinstance(ip, Atom):
        return "0.0.0.0" if family == socket.AF_INET else "::"
    if ip == LOOPBACK and isinstance(ip, Atom):
        return "127.0.0.1" if family == socket.AF_INET else "::1"
    if type(ip) is not tuple:
        raise RequestError(_EINVAL)
    if family == socket.AF_INET:
        return _checked(ip4_text(ip))
    if family == socket.AF_INET6:
        if len(ip) == 4:  # an IPv4 address on an IPv6 socket: the mapped form
            return "::ffff:" + _checked(ip4_text(ip))
        return _checked(ip6_text(ip))
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


def _uint(value, bits: int) -> int:
    if type(value) is not int or not 0 <= value < 1 << bits:
        raise RequestError(_EINVAL)
    return value


def from_map(family: int, value: dict):
    """A socket:sockaddr() map (an {ifaddr, Map} option, or the address of
    gen_tcp:connect/3) as Python's address. As prim_inet binds and connects with
    such a map, its own port counts and an inet6 one keeps flowinfo and scope_id
    (a link-local address needs the latter)."""
    if FAMILIES.get(value.get(FAMILY)) != family:
        raise RequestError(_EINVAL)
    if family == socket.AF_UNIX:
        return local_path(value.get(PATH))
    host = ip_to_python(family, value.get(ADDR, ANY))
    port = _uint(value.get(PORT, 0), 16)
    if family == socket.AF_INET6:
        return (host, port, _uint(value.get(FLOWINFO, 0), 32),
                _uint(value.get(SCOPE_ID, 0), 32))
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
    return ip_tuple(socket.AF_INET6 if ":" in text else socket.AF_INET, text)


def to_erlang(family: int, addr):
    """{IP, Port} (or {local, Path}) as inet:sockname/peername return it."""
    if family == socket.AF_UNIX:
        if isinstance(addr, str):
            addr = addr.encode()
        return (LOCAL, bytes(addr))
    return (ip_to_erlang(addr[0]), addr[1])


# -- the socket NIF's sockaddr maps ----------------------------------------------------

class BadAddress(Exception):
    """The NIF's `{invalid, sockaddr}`: prim_socket names the address given."""


_SUN_PATH_MAX = 108
_SA_DATA_MAX = 126  # sizeof(struct sockaddr_storage) - sizeof(sa_family_t)


def _c_int(v) -> bool:
    return type(v) is int and -(1 << 31) <= v < (1 << 31)


def _c_uint(v) -> bool:
    return type(v) is int and 0 <= v < (1 << 32)


def _nif_ip(family: int, value) -> str:
    """esock_decode_ip4_address / ip6: a tuple, or any, loopback (broadcast
    for inet)."""
    if isinstance(value, Atom) and not isinstance(value, bool):
        inet = family == socket.AF_INET
        if value == LOOPBACK:
            return "127.0.0.1" if inet else "::1"
        if value == ANY:
            return "0.0.0.0" if inet else "::"
        if value == BROADCAST and inet:
            return "255.255.255.255"
        raise BadAddress
    text = ip4_text(value) if family == socket.AF_INET else ip6_text(value)
    if text is None:
        raise BadAddress
    return text


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
        if not isinstance(raw, (bytes, bytearray, memoryview)) or len(raw) > _SA_DATA_MAX:
            raise BadAddress
        return (fam if type(fam) is int else family), bytes(raw)
    if family == socket.AF_INET:
        port = value.get(PORT)
        if not _c_int(port) or ADDR not in value:
            raise BadAddress
        return family, (_nif_ip(family, value[ADDR]), port & 0xFFFF)
    if family == socket.AF_INET6:
        port, flow, scope = value.get(PORT), value.get(FLOWINFO), value.get(SCOPE_ID)
        if not _c_int(port) or not _c_uint(flow) or not _c_uint(scope) or ADDR not in value:
            raise BadAddress
        return family, (_nif_ip(family, value[ADDR]), port & 0xFFFF, flow, scope)
    if family == socket.AF_UNIX:
        path = value.get(PATH)
        if not isinstance(path, (bytes, bytearray, memoryview)):
            raise BadAddress
        path = bytes(path)
        # Linux's abstract names (a leading NUL) need no terminating NUL.
        if len(path) + (0 if path[:1] == b"\0" else 1) > _SUN_PATH_MAX:
            raise BadAddress
        return family, path
    raise BadAddress


def encode(family: int, addr) -> dict:
    """The sockaddr map for an address Python returned (getsockname, recvfrom)."""
    if family == socket.AF_INET and type(addr) is tuple:
        return {FAMILY: INET, PORT: addr[1], ADDR: ip_tuple(socket.AF_INET, addr[0])}
    if family == socket.AF_INET6 and type(addr) is tuple:
        return {FAMILY: INET6, PORT: addr[1], ADDR: ip_tuple(socket.AF_INET6, addr[0]),
                FLOWINFO: addr[2], SCOPE_ID: addr[3]}
    if family == socket.AF_UNIX and addr is not None:
        path = os.fsencode(addr) if isinstance(addr, str) else bytes(addr)
        return {FAMILY: LOCAL, PATH: path}
    return {FAMILY: UNSPEC, ADDR: b""}


# Addresses of another family than the socket's: Python's socket methods refuse
# them before the kernel sees them; the NIF hands any sockaddr to the kernel,
# and the caller gets the kernel's errno.

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
