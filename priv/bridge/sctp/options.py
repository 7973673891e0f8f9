"""Options of SCTP sockets: inet_drv's sctp_set_opts and sctp_fill_opts.

The Erlang side has checked the types (as prim_inet does) and completed the
records with their defaults, and sends the options in the order the driver
applies them. Here, as in sctp_set_opts:
- `buffer`, `mode`, `active` and `debug` are local; `recbuf` raises the local
  buffer to its size when that is larger;
- every other option is one setsockopt, whose failure stops the list with
  einval (the options before it stay set);
- any option the driver does not know for SCTP (TCP's, the packet options,
  the msgq watermarks...) is einval.
And as in sctp_fill_opts: each option read is one getsockopt, and one the
kernel refuses is left out of the reply; an option the driver does not know
makes the whole getopts einval.
"""

from __future__ import annotations

import socket
import struct

from ..active import PASSIVE, ActiveMode
from ..errors import RequestError
from ..etf.terms import Atom, atom
from ..inet import options as inet_opts
from . import structs as st

EINVAL = atom("einval")
_IFNAMSIZ = 16
_LINGER = struct.Struct("ii")


class SctpOptions:
    """The descriptor's local options, with inet_start's defaults (a new port
    is passive and in list mode before gen_sctp's defaults are applied)."""

    __slots__ = ("active", "binary", "buffer", "debug")

    def __init__(self, binary: bool = False, buffer: int | None = None) -> None:
        self.active = ActiveMode(PASSIVE)
        self.binary = binary
        # inet_start's INET_DEF_BUFFER, which TCP and UDP share (release.py).
        self.buffer = inet_opts.DEFAULT_BUFFER if buffer is None else buffer
        self.debug = False


def _fail():
    raise RequestError(EINVAL)


def _int(v) -> int:
    """?int32 in prim_inet, get_int32 in the driver."""
    if type(v) is not int:
        _fail()
    return inet_opts.driver_int(v)


def _bool(v) -> int:
    if v is not True and v is not False:
        _fail()
    return int(v)


def _u32(v) -> int:
    if type(v) is not int:
        _fail()
    return v & 0xFFFFFFFF


def _u16(v) -> int:
    if type(v) is not int:
        _fail()
    return v & 0xFFFF


def _assoc(v) -> int:
    v = _u32(v)
    return v - (1 << 32) if v >= 1 << 31 else v


def _record(value, name: str, size: int) -> tuple:
    if type(value) is not tuple or len(value) != size or value[0] != name:
        _fail()
    return value


def _sockaddr(family: int, address) -> bytes:
    try:
        return st.pack_sockaddr(family, address)
    except st.StructError:
        _fail()


# -- setting --------------------------------------------------------------------------

def _int_opt(level, optname, conv):
    def encode(sock, value):
        return level, optname, conv(value)
    return encode


def _rtoinfo(sock, v):
    _, assoc, initial, max_, min_ = _record(v, "sctp_rtoinfo", 5)
    return st.SOL_SCTP, st.RTOINFO, st.RTOINFO_S.pack(_assoc(assoc), _u32(initial), _u32(max_),
                                                     _u32(min_))


def _associnfo(sock, v):
    _, assoc, maxrxt, peers, peer_rwnd, local_rwnd, cookie = _record(v, "sctp_assocparams", 7)
    return st.SOL_SCTP, st.ASSOCINFO, st.ASSOCPARAMS_S.pack(
        _assoc(assoc), _u16(maxrxt), _u16(peers), _u32(peer_rwnd), _u32(local_rwnd), _u32(cookie))


def _initmsg(sock, v):
    _, ostreams, instreams, attempts, timeo = _record(v, "sctp_initmsg", 5)
    return st.SOL_SCTP, st.INITMSG, st.INITMSG_S.pack(_u16(ostreams), _u16(instreams),
                                                     _u16(attempts), _u16(timeo))


def _linger(sock, v):
    if type(v) is not tuple or len(v) != 2:
        _fail()
    return socket.SOL_SOCKET, socket.SO_LINGER, _LINGER.pack(_bool(v[0]), _int(v[1]))


def _bind_to_device(sock, v):
    if not isinstance(v, (bytes, bytearray, memoryview)) or len(v) >= _IFNAMSIZ:
        _fail()
    return socket.SOL_SOCKET, 25, bytes(v).ljust(_IFNAMSIZ, b"\0")


def _prim(optname, name):
    def encode(sock, v):
        _, assoc, addr = _record(v, name, 3)
        return st.SOL_SCTP, optname, st.PRIM_S.pack(_assoc(assoc), _sockaddr(sock.family, addr))
    return encode


def _adaptation(sock, v):
    _, ind = _record(v, "sctp_setadaptation", 2)
    return st.SOL_SCTP, st.ADAPTATION_LAYER, st.SETADAPTATION_S.pack(socket.htonl(_u32(ind)))


def _paddrparams(sock, v):
    _, assoc, addr, hbinterval, maxrxt, mtu, sackdelay, flags = _record(v, "sctp_paddrparams", 8)
    try:
        bits = st.paddr_flag_bits(_u32(flags))
    except st.StructError:
        _fail()
    return st.SOL_SCTP, st.PEER_ADDR_PARAMS, st.PADDRPARAMS_S.pack(
        _assoc(assoc), _sockaddr(sock.family, addr), _u32(hbinterval), _u16(maxrxt), _u32(mtu),
        _u32(sackdelay), bits, 0, 0)


def _default_send_param(sock, v):
    try:
        return st.SOL_SCTP, st.DEFAULT_SEND_PARAM, st.pack_sndrcvinfo(v)
    except st.StructError:
        _fail()


def _events(sock, v):
    fields = _record(v, "sctp_event_subscribe", 10)[1:]
    subscribed = bytes(_bool(f) for f in fields[:8])
    # The driver zeroes the events it does not know (its struct may be
    # shorter than the kernel's) and never asks for authentication events.
    size = len(sock.getsockopt(st.SOL_SCTP, st.EVENTS, 64))
    return st.SOL_SCTP, st.EVENTS, subscribed.ljust(size, b"\0")[:max(size, 8)]


SOL_SOCKET, IPPROTO_IP, IPPROTO_IPV6 = socket.SOL_SOCKET, socket.IPPROTO_IP, socket.IPPROTO_IPV6

_SETTERS = {
    "sctp_rtoinfo": _rtoinfo,
    "sctp_associnfo": _associnfo,
    "sctp_initmsg": _initmsg,
    "linger": _linger,
    "sctp_nodelay": _int_opt(st.SOL_SCTP, st.NODELAY, _bool),
    "recbuf": _int_opt(SOL_SOCKET, socket.SO_RCVBUF, _int),
    "sndbuf": _int_opt(SOL_SOCKET, socket.SO_SNDBUF, _int),
    "reuseaddr": _int_opt(SOL_SOCKET, socket.SO_REUSEADDR, _bool),
    "dontroute": _int_opt(SOL_SOCKET, socket.SO_DONTROUTE, _bool),
    "priority": _int_opt(SOL_SOCKET, 12, _int),
    "tos": _int_opt(IPPROTO_IP, socket.IP_TOS, _int),
    "tclass": _int_opt(IPPROTO_IPV6, 67, _int),
    "ttl": _int_opt(IPPROTO_IP, socket.IP_TTL, _int),
    "recvtos": _int_opt(IPPROTO_IP, 13, _bool),
    "recvtclass": _int_opt(IPPROTO_IPV6, 66, _bool),
    "recvttl": _int_opt(IPPROTO_IP, 12, _bool),
    "ipv6_v6only": _int_opt(IPPROTO_IPV6, socket.IPV6_V6ONLY, _bool),
    "bind_to_device": _bind_to_device,
    "sctp_autoclose": _int_opt(st.SOL_SCTP, st.AUTOCLOSE, _int),
    "sctp_disable_fragments": _int_opt(st.SOL_SCTP, st.DISABLE_FRAGMENTS, _bool),
    "sctp_i_want_mapped_v4_addr": _int_opt(st.SOL_SCTP, st.I_WANT_MAPPED_V4_ADDR, _bool),
    "sctp_maxseg": _int_opt(st.SOL_SCTP, st.MAXSEG, _int),
    "sctp_primary_addr": _prim(st.PRIMARY_ADDR, "sctp_prim"),
    "sctp_set_peer_primary_addr": _prim(st.SET_PEER_PRIMARY_ADDR, "sctp_setpeerprim"),
    "sctp_adaptation_layer": _adaptation,
    "sctp_peer_addr_params": _paddrparams,
    "sctp_default_send_param": _default_send_param,
    "sctp_events": _events,
    # sctp_delayed_ack_time is not here: inet_drv compiles it only where the
    # system defines SCTP_ASSOC_VALUE_ASSOC_ID, which Linux does not, so on
    # Linux setting or reading it is einval.
}


def apply(sock: socket.socket, opts: SctpOptions, item) -> bool:
    """One option of sctp_set_opts. Returns True when `{active, N}` made the
    socket passive with a passive message due. RequestError(einval) when the
    driver would return -1."""
    if type(item) is not tuple or len(item) != 2 or not isinstance(item[0], Atom):
        _fail()
    name, value = item
    if name == "active":
        try:
            return opts.active.set(value)
        except ValueError:
            _fail()
    if name == "buffer":
        opts.buffer = max(_int(value), 1)
        return False
    if name == "mode":
        if value == atom("binary"):
            opts.binary = True
        elif value == atom("list"):
            opts.binary = False
        else:
            _fail()
        return False
    if name == "debug":
        opts.debug = bool(_bool(value))
        return False
    encode = _SETTERS.get(name)
    if encode is None:
        _fail()
    level, optname, arg = encode(sock, value)
    if name == "recbuf" and opts.buffer <= arg:
        opts.buffer = arg
    try:
        # inet_setopt with propagate: any failure is the caller's einval.
        inet_opts._setopt_prio_tos_trick(sock, level, optname, arg, True)
    except OSError:
        _fail()
    return False


# -- reading ---------------------------------------------------------------------------

def _get_int(sock, level, optname):
    try:
        return sock.getsockopt(level, optname)
    except OSError:
        return None


_INT_OPTIONS = {
    "recbuf": (SOL_SOCKET, socket.SO_RCVBUF, False),
    "sndbuf": (SOL_SOCKET, socket.SO_SNDBUF, False),
    "reuseaddr": (SOL_SOCKET, socket.SO_REUSEADDR, True),
    "dontroute": (SOL_SOCKET, socket.SO_DONTROUTE, True),
    "priority": (SOL_SOCKET, 12, False),
    "tos": (IPPROTO_IP, socket.IP_TOS, False),
    "tclass": (IPPROTO_IPV6, 67, False),
    "ttl": (IPPROTO_IP, socket.IP_TTL, False),
    "ipv6_v6only": (IPPROTO_IPV6, socket.IPV6_V6ONLY, True),
    "sctp_autoclose": (st.SOL_SCTP, st.AUTOCLOSE, False),
    "sctp_maxseg": (st.SOL_SCTP, st.MAXSEG, False),
    "sctp_nodelay": (st.SOL_SCTP, st.NODELAY, True),
    "sctp_disable_fragments": (st.SOL_SCTP, st.DISABLE_FRAGMENTS, True),
    "sctp_i_want_mapped_v4_addr": (st.SOL_SCTP, st.I_WANT_MAPPED_V4_ADDR, True),
    "recvtos": (IPPROTO_IP, 13, True),
    "recvtclass": (IPPROTO_IPV6, 66, True),
    "recvttl": (IPPROTO_IP, 12, True),
}


def _key(item, position: int = 1):
    """The assoc id (or address) the Erlang side encoded for a getopts record."""
    if type(item) is not tuple or len(item) != 2 or type(item[1]) is not tuple:
        _fail()
    record = item[1]
    if len(record) <= position:
        _fail()
    return record[position]


def fill(sock: socket.socket, api, opts: SctpOptions, items: list) -> list:
    """sctp_fill_opts: [{Name, Value}] for the options the kernel answers
    (`api`: kernel.api_of(sock), for the reads with input)."""
    out = []
    family = sock.family
    for item in items:
        name = item[0] if type(item) is tuple and item else item
        if not isinstance(name, Atom):
            _fail()
        value = _fill_one(sock, api, family, opts, name, item)
        if value is not None:
            out.append((name, value))
    return out


def _fill_one(sock, api, family, opts, name, item):
    if name == "buffer":
        return opts.buffer
    if name == "mode":
        return atom("binary") if opts.binary else atom("list")
    if name == "active":
        return opts.active.term()
    if name == "netns":
        return None  # reported only when set, which is never here
    if name in _INT_OPTIONS:
        level, optname, boolean = _INT_OPTIONS[name]
        value = _get_int(sock, level, optname)
        if value is None:
            return None
        return value != 0 if boolean else value
    try:
        return _fill_struct(sock, api, family, name, item)
    except OSError:
        return None


def _in(api, optname, data: bytes):
    return api.getsockopt_in(optname, data)


def _fill_struct(sock, api, family, name, item):
    if name == "sctp_rtoinfo":
        raw = _in(api, st.RTOINFO, st.RTOINFO_S.pack(_assoc(_key(item)), 0, 0, 0))
        assoc, initial, max_, min_ = st.RTOINFO_S.unpack(raw)
        return (atom("sctp_rtoinfo"), assoc & 0xFFFFFFFF, initial, max_, min_)
    if name == "sctp_associnfo":
        raw = _in(api, st.ASSOCINFO, st.ASSOCPARAMS_S.pack(_assoc(_key(item)), 0, 0, 0, 0, 0))
        return (atom("sctp_assocparams"),) + _unsigned_assoc(st.ASSOCPARAMS_S.unpack(raw))
    if name == "sctp_initmsg":
        raw = sock.getsockopt(st.SOL_SCTP, st.INITMSG, st.INITMSG_S.size)
        return (atom("sctp_initmsg"),) + st.INITMSG_S.unpack(raw)
    if name == "linger":
        onoff, secs = _LINGER.unpack(sock.getsockopt(SOL_SOCKET, socket.SO_LINGER, 8))
        return (onoff != 0, secs)
    if name == "bind_to_device":
        raw = sock.getsockopt(SOL_SOCKET, 25, _IFNAMSIZ)
        return raw.split(b"\0", 1)[0]
    if name in ("sctp_primary_addr", "sctp_set_peer_primary_addr"):
        optname = st.PRIMARY_ADDR if name == "sctp_primary_addr" else st.SET_PEER_PRIMARY_ADDR
        raw = _in(api, optname, st.PRIM_S.pack(_assoc(_key(item)), bytes(128)))
        assoc, addr = st.PRIM_S.unpack(raw)
        record = "sctp_prim" if name == "sctp_primary_addr" else "sctp_setpeerprim"
        return (atom(record), assoc & 0xFFFFFFFF, st.unpack_sockaddr(addr))
    if name == "sctp_adaptation_layer":
        (ind,) = st.SETADAPTATION_S.unpack(sock.getsockopt(st.SOL_SCTP, st.ADAPTATION_LAYER, 4))
        return (atom("sctp_setadaptation"), socket.ntohl(ind))
    if name == "sctp_peer_addr_params":
        addr = _address_key(family, _key(item, 2))
        raw = _in(api, st.PEER_ADDR_PARAMS,
                  st.PADDRPARAMS_S.pack(_assoc(_key(item)), addr, 0, 0, 0, 0, 0, 0, 0))
        assoc, addr, hb, maxrxt, mtu, sack, flags, _, _ = st.PADDRPARAMS_S.unpack(raw)
        return (atom("sctp_paddrparams"), assoc & 0xFFFFFFFF, st.unpack_sockaddr(addr), hb, maxrxt,
                mtu, sack, st.paddr_flags_term(flags))
    if name == "sctp_default_send_param":
        raw = _in(api, st.DEFAULT_SEND_PARAM,
                  st.SNDRCVINFO.pack(0, 0, 0, 0, 0, 0, 0, 0, _assoc(_key(item, 9))))
        return st.sndrcvinfo_term(raw)
    if name == "sctp_events":
        raw = sock.getsockopt(st.SOL_SCTP, st.EVENTS, 64)
        flags = [b != 0 for b in raw[:8].ljust(8, b"\0")]
        return (atom("sctp_event_subscribe"),) + tuple(flags) + (False,)
    if name == "sctp_status":
        raw = _in(api, st.STATUS, st.STATUS_S.pack(_assoc(_key(item)), 0, 0, 0, 0, 0, 0, 0,
                                                   bytes(152)))
        return st.status_term(raw)
    if name == "sctp_get_peer_addr_info":
        addr = _address_key(family, _key(item, 2))
        raw = _in(api, st.GET_PEER_ADDR_INFO,
                  st.PADDRINFO_S.pack(_assoc(_key(item)), addr, 0, 0, 0, 0, 0))
        return st.paddrinfo_term(raw)
    _fail()


def _unsigned_assoc(values: tuple) -> tuple:
    return (values[0] & 0xFFFFFFFF,) + values[1:]


def _address_key(family: int, address) -> bytes:
    """inet_set_faddress for a getopts key: a bad address fails the whole call."""
    try:
        return st.pack_sockaddr(family, address)
    except st.StructError:
        raise RequestError(EINVAL) from None
