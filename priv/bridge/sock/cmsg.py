"""Control messages (ancillary data) of sendmsg and recvmsg, as the socket NIF
encodes and decodes them (prim_socket_nif.c's cmsg tables), sans-I/O.

A control message is a map `#{level, type, data}` (and `value` where the NIF
knows the type). Sending: the level is `socket` or a protocol number
(prim_socket:enc_cmsgs turned `ip`, `ipv6` ... into theirs, which this module
does here), the type an atom the NIF knows at that level or a number; `data`
(a binary) goes as it is, else `value` is encoded by the type's encoder.
Receiving: each (level, type, data) the kernel gave becomes such a map with
the names the NIF has for it, a `value` where it decodes one, and the level
as prim_socket:dec_cmsgs names it (the protocol's first name).
"""

from __future__ import annotations

import socket
import struct

from ..etf.terms import Atom, atom
from .. import addresses as sa
from . import protocols

LEVEL, TYPE, DATA, VALUE = atom("level"), atom("type"), atom("data"), atom("value")
CTRL_KEY = atom("ctrl")
SOCKET = atom("socket")

_TOS = {atom("lowdelay"): 0x10, atom("throughput"): 0x08, atom("reliability"): 0x04,
        atom("mincost"): 0x02}
_TOS_NAMES = {v: k for k, v in _TOS.items()}

IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)
IP_RECVERR = getattr(socket, "IP_RECVERR", 11)
IP_ORIGDSTADDR = getattr(socket, "IP_ORIGDSTADDR", 20)
IPV6_RECVERR = getattr(socket, "IPV6_RECVERR", 25)
IPV6_HOPLIMIT = getattr(socket, "IPV6_HOPLIMIT", 52)
IPV6_PKTINFO = getattr(socket, "IPV6_PKTINFO", 50)
IPV6_TCLASS = getattr(socket, "IPV6_TCLASS", 67)
SCM_TIMESTAMP = getattr(socket, "SCM_TIMESTAMP", 29)
SCM_CREDENTIALS = getattr(socket, "SCM_CREDENTIALS", 2)

_INT = struct.Struct("i")
_TIMEVAL = struct.Struct("ll")
_IN_PKTINFO = struct.Struct("i4s4s")
_IN6_PKTINFO = struct.Struct("16sI")
_EXTENDED_ERR = struct.Struct("IBBBBII")


class BadControl(Exception):
    """A control message the NIF cannot encode: {invalid, ctrl}."""


class BadLevel(Exception):
    """A level no protocol is called (prim_socket throws {invalid, {protocol, L}})."""

    def __init__(self, level):
        super().__init__(level)
        self.level = level


# -- sending ---------------------------------------------------------------------------

def _enc_int(value) -> bytes:
    if type(value) is not int or not -(1 << 31) <= value < (1 << 31):
        raise BadControl
    return _INT.pack(value)


def _enc_tos(value) -> bytes:
    if isinstance(value, Atom) and not isinstance(value, bool):
        if value not in _TOS:
            raise BadControl
        return _INT.pack(_TOS[value])
    return _enc_int(value)


# (level, type name) -> (kernel type, encoder of `value`): what the NIF can send.
_SEND = {
    (socket.SOL_SOCKET, "rights"): (socket.SCM_RIGHTS, None),
    (socket.SOL_SOCKET, "credentials"): (SCM_CREDENTIALS, None),
    (socket.SOL_SOCKET, "timestamp"): (SCM_TIMESTAMP, None),
    (socket.IPPROTO_IP, "tos"): (socket.IP_TOS, _enc_tos),
    (socket.IPPROTO_IP, "ttl"): (socket.IP_TTL, _enc_int),
    (socket.IPPROTO_IP, "hoplimit"): (socket.IP_TTL, _enc_int),
    (socket.IPPROTO_IPV6, "hoplimit"): (IPV6_HOPLIMIT, _enc_int),
    (socket.IPPROTO_IPV6, "tclass"): (IPV6_TCLASS, _enc_int),
}


def level_number(level) -> int:
    """prim_socket:enc_cmsgs: `socket`, a protocol name or a number."""
    if level == SOCKET and isinstance(level, Atom):
        return socket.SOL_SOCKET
    if type(level) is int:
        return level
    if isinstance(level, Atom) and not isinstance(level, bool):
        num = protocols.number(level)
        if num is not None:
            return num
    raise BadLevel(level)


def encode_levels(msg: dict) -> dict:
    """prim_socket:enc_msg's part for the control messages (enc_cmsgs): each
    level a protocol name names becomes its number (`socket` stays), and one
    that names none raises BadLevel; anything else waits for `encode`. The
    message as the NIF gets it, which socket.erl keeps for a continuation."""
    if CTRL_KEY not in msg:
        return msg
    cmsgs = msg[CTRL_KEY]
    if not isinstance(cmsgs, list):
        # A list comprehension over something else.
        raise BadGenerator(cmsgs)
    out = []
    for cmsg in cmsgs:
        # The comprehension's generator pattern #{level := Level} drops the rest.
        if isinstance(cmsg, dict) and LEVEL in cmsg:
            level = cmsg[LEVEL]
            if isinstance(level, Atom) and not isinstance(level, bool) and level != SOCKET:
                cmsg = {**cmsg, LEVEL: level_number(level)}
            out.append(cmsg)
    return {**msg, CTRL_KEY: out}


class BadGenerator(Exception):
    """prim_socket:enc_cmsgs/2 given a ctrl that is no list: {bad_generator, Ctrl}."""

    def __init__(self, value):
        super().__init__(value)
        self.value = value


def encode(cmsgs) -> list:
    """The ancillary data for Python's sendmsg, or BadControl."""
    if not isinstance(cmsgs, list):
        raise BadControl
    out = []
    for cmsg in cmsgs:
        if not isinstance(cmsg, dict) or LEVEL not in cmsg or TYPE not in cmsg:
            raise BadControl
        try:
            level = level_number(cmsg[LEVEL])
        except BadLevel:
            raise BadControl from None
        kind = cmsg[TYPE]
        encoder = None
        if isinstance(kind, Atom) and not isinstance(kind, bool):
            entry = _SEND.get((level, str(kind)))
            if entry is None:
                raise BadControl
            kind, encoder = entry
        elif type(kind) is not int:
            raise BadControl
        if DATA in cmsg:
            data = cmsg[DATA]
            if not isinstance(data, (bytes, bytearray, memoryview)):
                raise BadControl
        elif VALUE in cmsg and encoder is not None:
            data = encoder(cmsg[VALUE])
        else:
            raise BadControl
        out.append((level, kind, bytes(data)))
    return out


# -- receiving -------------------------------------------------------------------------

def _dec_int(data: bytes):
    return _INT.unpack(data[:4])[0] if len(data) >= 4 else None


def _dec_tos(data: bytes):
    if not data:
        return None
    value = data[0]
    return _TOS_NAMES.get(value, value)


def _dec_timeval(data: bytes):
    if len(data) < _TIMEVAL.size:
        return None
    sec, usec = _TIMEVAL.unpack(data[:_TIMEVAL.size])
    return {atom("sec"): sec, atom("usec"): usec}


def _dec_in_pktinfo(data: bytes):
    if len(data) < _IN_PKTINFO.size:
        return None
    ifindex, spec_dst, addr = _IN_PKTINFO.unpack(data[:_IN_PKTINFO.size])
    return {atom("ifindex"): ifindex, atom("spec_dst"): tuple(spec_dst), atom("addr"): tuple(addr)}


def _dec_in6_pktinfo(data: bytes):
    if len(data) < _IN6_PKTINFO.size:
        return None
    addr, ifindex = _IN6_PKTINFO.unpack(data[:_IN6_PKTINFO.size])
    return {atom("addr"): sa.ip_tuple(socket.AF_INET6, socket.inet_ntop(socket.AF_INET6, addr)),
            atom("ifindex"): ifindex}


def decode_sockaddr(raw: bytes):
    """A struct sockaddr the kernel wrote, as the NIF encodes it."""
    if len(raw) < 2:
        return None
    family = int.from_bytes(raw[:2], "little")
    if family == socket.AF_INET and len(raw) >= 8:
        return {sa.FAMILY: sa.INET, sa.PORT: int.from_bytes(raw[2:4], "big"),
                sa.ADDR: tuple(raw[4:8])}
    if family == socket.AF_INET6 and len(raw) >= 28:
        return {sa.FAMILY: sa.INET6, sa.PORT: int.from_bytes(raw[2:4], "big"),
                sa.FLOWINFO: int.from_bytes(raw[4:8], "little"),
                sa.ADDR: sa.ip_tuple(socket.AF_INET6, socket.inet_ntop(socket.AF_INET6, raw[8:24])),
                sa.SCOPE_ID: int.from_bytes(raw[24:28], "little")}
    return {sa.FAMILY: sa.UNSPEC, sa.ADDR: b""}


_ORIGINS = {0: atom("none"), 1: atom("local"), 2: atom("icmp"), 3: atom("icmp6")}


def _dec_extended_err(data: bytes):
    if len(data) < _EXTENDED_ERR.size:
        return None
    errno_, origin, type_, code, _pad, info, edata = _EXTENDED_ERR.unpack(
        data[:_EXTENDED_ERR.size])
    from ..errors import posix_atom
    return {atom("error"): posix_atom(errno_), atom("origin"): _ORIGINS.get(origin, origin),
            atom("type"): type_, atom("code"): code, atom("info"): info, atom("data"): edata,
            atom("offender"): decode_sockaddr(data[_EXTENDED_ERR.size:])}


# (kernel level, kernel type) -> (name, decoder of `value` or None).
_RECV = {
    (socket.SOL_SOCKET, SCM_TIMESTAMP): ("timestamp", _dec_timeval),
    (socket.SOL_SOCKET, socket.SCM_RIGHTS): ("rights", None),
    (socket.SOL_SOCKET, SCM_CREDENTIALS): ("credentials", None),
    (socket.IPPROTO_IP, socket.IP_TOS): ("tos", _dec_tos),
    (socket.IPPROTO_IP, socket.IP_TTL): ("ttl", _dec_int),
    (socket.IPPROTO_IP, IP_PKTINFO): ("pktinfo", _dec_in_pktinfo),
    (socket.IPPROTO_IP, IP_ORIGDSTADDR): ("origdstaddr", decode_sockaddr),
    (socket.IPPROTO_IP, IP_RECVERR): ("recverr", _dec_extended_err),
    (socket.IPPROTO_IPV6, IPV6_HOPLIMIT): ("hoplimit", _dec_int),
    (socket.IPPROTO_IPV6, IPV6_PKTINFO): ("pktinfo", _dec_in6_pktinfo),
    (socket.IPPROTO_IPV6, IPV6_RECVERR): ("recverr", _dec_extended_err),
    (socket.IPPROTO_IPV6, IPV6_TCLASS): ("tclass", _dec_int),
}


def _level_name(level: int):
    if level == socket.SOL_SOCKET:
        return SOCKET
    name = protocols.name(level)
    return name


def decode(ancillary: list) -> list:
    """Python's recvmsg ancillary data as the NIF's control messages."""
    out = []
    for level, kind, data in ancillary:
        entry = _RECV.get((level, kind))
        cmsg = {LEVEL: _level_name(level), DATA: bytes(data)}
        if entry is None:
            cmsg[TYPE] = kind
        else:
            name, decoder = entry
            cmsg[TYPE] = atom(name)
            if decoder is not None:
                value = decoder(bytes(data))
                if value is not None:
                    cmsg[VALUE] = value
        out.append(cmsg)
    return out
