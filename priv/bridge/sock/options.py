"""The socket options of the socket NIF: which {Level, Opt} exist here, how each
value is encoded for setsockopt and decoded from getsockopt.

One table, `OPTIONS`, keyed by (level, name), as prim_socket_nif.c's optLevel*
arrays are: each entry names the kernel level and option and a codec (bool,
int, linger, tos, ...). An option missing from the table is `{invalid,
{socket_option, Opt}}` (prim_socket's enc_sockopt finds it in no table); one
that cannot be set (or read) the same; a value the codec refuses `{invalid,
{socket_option, Opt, Value}}`; a kernel refusal `{error, Posix}`. Protocol
aliases from /etc/protocols (`'TCP'`, `'IPv6'`) name the same levels, as
prim_socket's options table lists every alias.

Options at level `otp` live in this program: see Descriptor.setopt_otp.
"""

from __future__ import annotations

import socket
import struct

from ..etf.terms import Atom, atom
from .. import addresses as sa
from . import protocols

SOL_SOCKET = socket.SOL_SOCKET
TRUE_FALSE = (True, False)
DEFAULT = atom("default")
INVALID_VALUE = object()  # a codec's "the NIF cannot encode this value"

_LINGER = struct.Struct("ii")
_IP_MREQ = struct.Struct("4s4s")
ONOFF, LINGER, ABORT = atom("onoff"), atom("linger"), atom("abort")

_TOS = {atom("lowdelay"): 0x10, atom("throughput"): 0x08, atom("reliability"): 0x04,
        atom("mincost"): 0x02}
_TOS_NAMES = {v: k for k, v in _TOS.items()}
_PMTUDISC = {atom("want"): 1, atom("dont"): 0, atom("do"): 2, atom("probe"): 3}
_PMTUDISC_NAMES = {v: k for k, v in _PMTUDISC.items()}
_TYPES = {socket.SOCK_STREAM: atom("stream"), socket.SOCK_DGRAM: atom("dgram"),
          socket.SOCK_RAW: atom("raw"), socket.SOCK_RDM: atom("rdm"),
          socket.SOCK_SEQPACKET: atom("seqpacket")}
TYPES = {v: k for k, v in _TYPES.items()}


def bit_names(value: int, table) -> list:
    """A flag word as the NIF encodes one (recvmsg's flags, ioctl's gifflags):
    the names of its bits in the table's order ((name, bit) pairs), then the
    bits no name covers as one integer."""
    out = []
    for name, bit in table:
        if value & bit:
            out.append(name)
            value &= ~bit
    if value:
        out.append(value)
    return out


def c_int(v) -> bool:
    return type(v) is int and -(1 << 31) <= v < (1 << 31)


def type_name(t: int):
    return _TYPES.get(t, t)


def domain_name(d: int):
    return sa.DOMAIN_NAMES.get(d, d)


# -- codecs: (encode(value) -> bytes | int | INVALID_VALUE, decode(sock, level, opt)) --

def _enc_bool(v):
    return int(v) if v is True or v is False else INVALID_VALUE


def _enc_int(v):
    return v if c_int(v) else INVALID_VALUE


def _get_int(sock, level, opt):
    return sock.getsockopt(level, opt)


def _get_bool(sock, level, opt):
    return sock.getsockopt(level, opt) != 0


def _enc_linger(v):
    if isinstance(v, dict) and ONOFF in v and LINGER in v:
        onoff, secs = v[ONOFF], v[LINGER]
        if (onoff is True or onoff is False) and c_int(secs) and secs >= 0:
            return _LINGER.pack(int(onoff), secs)
        return INVALID_VALUE
    if v == ABORT and isinstance(v, Atom):
        return _LINGER.pack(1, 0)
    return INVALID_VALUE


def _get_linger(sock, level, opt):
    onoff, secs = _LINGER.unpack(sock.getsockopt(level, opt, _LINGER.size))
    return {ONOFF: onoff != 0, LINGER: secs}


def _enc_tos(v):
    if isinstance(v, Atom) and not isinstance(v, bool):
        return _TOS.get(v, INVALID_VALUE)
    return _enc_int(v)


def _get_tos(sock, level, opt):
    v = sock.getsockopt(level, opt)
    return _TOS_NAMES.get(v, v)


# {ip, tos} in three readings (Release.ip_tos_three_readings): the RFC 1349
# fields (precedence, the 4-bit TOS) and the DSCP, each by its name where it has
# one. The NIF takes a precedence name as its IPTOS_PREC_* constant, which the
# shift into the field pushes out: every name sets precedence 0, and a value
# read back is named only when it is 0 (routine). Seen on 29.1.2, every value.
_TOS_FIELD = {atom("default"): 0, atom("mincost"): 1, atom("reliability"): 2,
              atom("throughput"): 4, atom("lowdelay"): 8}
_TOS_FIELD_NAMES = {v: k for k, v in _TOS_FIELD.items()}
_PRECEDENCE = {atom(name): i << 5 for i, name in enumerate(
    ("routine", "priority", "immediate", "flash", "flashoverride", "critical_ecp",
     "internetcontrol", "netcontrol"))}
_DSCP = {atom(name): v for name, v in (
    ("cs0", 0), ("le", 1), ("cs1", 8), ("af11", 10), ("af12", 12), ("af13", 14), ("cs2", 16),
    ("af21", 18), ("af22", 20), ("af23", 22), ("cs3", 24), ("af31", 26), ("af32", 28),
    ("af33", 30), ("cs4", 32), ("af41", 34), ("af42", 36), ("af43", 38), ("cs5", 40),
    ("voice_admit", 44), ("nqb", 45), ("ef", 46), ("cs6", 48), ("cs7", 56))}
_DSCP_NAMES = {v: k for k, v in _DSCP.items()}
TOS, PRECEDENCE, NATIVE, DSCP = atom("tos"), atom("precedence"), atom("native"), atom("dscp")
ROUTINE = atom("routine")


def _tos_field(v, names):
    if isinstance(v, Atom) and not isinstance(v, bool):
        return names.get(v)
    return v if type(v) is int and 0 <= v < (1 << 32) else None


def _enc_tos_readings(v):
    if isinstance(v, dict):
        if PRECEDENCE not in v or TOS not in v:
            return INVALID_VALUE
        prec, tos = _tos_field(v[PRECEDENCE], _PRECEDENCE), _tos_field(v[TOS], _TOS_FIELD)
        if prec is None or tos is None:
            return INVALID_VALUE
        return ((prec << 5) & 0xE0) | ((tos << 1) & 0x1E)
    if isinstance(v, Atom) and not isinstance(v, bool) and v in _DSCP:
        return _DSCP[v] << 2
    return _enc_tos(v)


def _get_tos_readings(sock, level, opt):
    v = sock.getsockopt(level, opt)
    prec, tos, dscp = v >> 5, (v >> 1) & 0xF, v >> 2
    return {NATIVE: v,
            TOS: {TOS: _TOS_FIELD_NAMES.get(tos, tos),
                  PRECEDENCE: ROUTINE if prec == 0 else prec},
            DSCP: _DSCP_NAMES.get(dscp, dscp)}


TOS_READINGS = (_enc_tos_readings, _get_tos_readings)


def _enc_pmtudisc(v):
    if isinstance(v, Atom) and not isinstance(v, bool):
        return _PMTUDISC.get(v, INVALID_VALUE)
    return _enc_int(v)


def _get_pmtudisc(sock, level, opt):
    v = sock.getsockopt(level, opt)
    return _PMTUDISC_NAMES.get(v, v)


def _enc_hops(v):
    if v == DEFAULT and isinstance(v, Atom):
        return -1
    return v if type(v) is int and 0 <= v <= 255 else INVALID_VALUE


def _get_pktoptions(sock, level, opt):
    """The options of the last packet received, as control messages; raw ones,
    since the NIF's decoding of each kind is not ported."""
    raw = sock.getsockopt(level, opt, 1024)
    out = []
    hdr = struct.Struct("@NII")
    while len(raw) >= hdr.size:
        length, clevel, ctype = hdr.unpack_from(raw)
        if length < hdr.size:
            break
        out.append({atom("level"): clevel, atom("type"): ctype,
                    atom("data"): raw[hdr.size:length]})
        raw = raw[(length + 7) & ~7:]
    return out


def _enc_string(limit: int):
    """enif_get_string into `limit` bytes: a Latin-1 string shorter than that."""
    def enc(v):
        if isinstance(v, list) and all(type(c) is int and 0 <= c < 256 for c in v) \
                and len(v) < limit:
            return bytes(v)
        return INVALID_VALUE
    return enc


def _get_string(size: int, strip: bool):
    """esock_getopt_str_opt: what the kernel wrote, as a list, less one trailing
    NUL when told to strip it."""
    def get(sock, level, opt):
        raw = sock.getsockopt(level, opt, size)
        if strip and raw[-1:] == b"\0":
            raw = raw[:-1]
        return list(raw)
    return get


def _get_type(sock, level, opt):
    return type_name(sock.getsockopt(level, opt))


def _get_domain(sock, level, opt):
    return domain_name(sock.getsockopt(level, opt))


def _get_protocol(sock, level, opt):
    num = sock.getsockopt(level, opt)
    # The NIF answers `default` for a Unix socket's 0 (esock_getopt_sock_protocol).
    if num == 0 and sock.family == socket.AF_UNIX:
        return DEFAULT
    return protocols.name(num)


def _enc_in_addr(v):
    try:
        return socket.inet_aton(sa.decode({sa.FAMILY: sa.INET, sa.PORT: 0, sa.ADDR: v})[1][0])
    except sa.BadAddress:
        return INVALID_VALUE


def _get_in_addr(sock, level, opt):
    return tuple(sock.getsockopt(level, opt, 4))


def _enc_ip_mreq(v):
    if not isinstance(v, dict):
        return INVALID_VALUE
    group, iface = _enc_in_addr(v.get(atom("multiaddr"))), _enc_in_addr(v.get(atom("interface")))
    if group is INVALID_VALUE or iface is INVALID_VALUE:
        return INVALID_VALUE
    return _IP_MREQ.pack(group, iface)


def _enc_ipv6_mreq(v):
    if not isinstance(v, dict) or not c_int(v.get(atom("interface"))):
        return INVALID_VALUE
    try:
        group = sa.decode({sa.FAMILY: sa.INET6, sa.PORT: 0, sa.FLOWINFO: 0, sa.SCOPE_ID: 0,
                           sa.ADDR: v.get(atom("multiaddr"))})[1][0]
    except sa.BadAddress:
        return INVALID_VALUE
    return socket.inet_pton(socket.AF_INET6, group) + struct.pack("I", v[atom("interface")])


def _enc_domain(v):
    return sa.DOMAINS.get(v, INVALID_VALUE) if isinstance(v, Atom) else _enc_int(v)


BOOL = (_enc_bool, _get_bool)
INT = (_enc_int, _get_int)
GET_BOOL = (None, _get_bool)
GET_INT = (None, _get_int)

_SOCKET = {
    "acceptconn": (socket.SO_ACCEPTCONN, BOOL),
    "bindtodevice": (socket.SO_BINDTODEVICE, (_enc_string(16), _get_string(17, False))),
    "broadcast": (socket.SO_BROADCAST, BOOL),
    "debug": (socket.SO_DEBUG, INT),
    "domain": (socket.SO_DOMAIN, (None, _get_domain)),
    "dontroute": (socket.SO_DONTROUTE, BOOL),
    "keepalive": (socket.SO_KEEPALIVE, BOOL),
    "linger": (socket.SO_LINGER, (_enc_linger, _get_linger)),
    "oobinline": (socket.SO_OOBINLINE, BOOL),
    "passcred": (socket.SO_PASSCRED, BOOL),
    "peek_off": (42, INT),
    "priority": (socket.SO_PRIORITY, INT),
    "protocol": (socket.SO_PROTOCOL, (None, _get_protocol)),
    "rcvbuf": (socket.SO_RCVBUF, INT),
    "rcvlowat": (socket.SO_RCVLOWAT, INT),
    "reuseaddr": (socket.SO_REUSEADDR, BOOL),
    "reuseport": (socket.SO_REUSEPORT, BOOL),
    "sndbuf": (socket.SO_SNDBUF, INT),
    "sndlowat": (socket.SO_SNDLOWAT, INT),
    "timestamp": (29, BOOL),
    "type": (socket.SO_TYPE, (None, _get_type)),
}

_IP = {
    "add_membership": (socket.IP_ADD_MEMBERSHIP, (_enc_ip_mreq, None)),
    "drop_membership": (socket.IP_DROP_MEMBERSHIP, (_enc_ip_mreq, None)),
    "freebind": (15, BOOL),
    "hdrincl": (socket.IP_HDRINCL, BOOL),
    "minttl": (21, INT),
    "mtu": (14, GET_INT),
    "mtu_discover": (10, (_enc_pmtudisc, _get_pmtudisc)),
    "multicast_all": (49, BOOL),
    "multicast_if": (socket.IP_MULTICAST_IF, (_enc_in_addr, _get_in_addr)),
    "multicast_loop": (socket.IP_MULTICAST_LOOP, BOOL),
    "multicast_ttl": (socket.IP_MULTICAST_TTL, INT),
    "nodefrag": (22, BOOL),
    "pktinfo": (8, BOOL),
    "pktoptions": (9, (None, _get_pktoptions)),
    "recverr": (11, BOOL),
    "recvopts": (socket.IP_RECVOPTS, BOOL),
    "recvorigdstaddr": (20, BOOL),
    "recvtos": (socket.IP_RECVTOS, BOOL),
    "recvttl": (12, BOOL),
    "retopts": (socket.IP_RETOPTS, BOOL),
    "router_alert": (5, INT),
    "tos": (socket.IP_TOS, (_enc_tos, _get_tos)),
    "transparent": (19, BOOL),
    "ttl": (socket.IP_TTL, INT),
}

_IPV6 = {
    "add_membership": (socket.IPV6_JOIN_GROUP, (_enc_ipv6_mreq, None)),
    "addrform": (1, (_enc_domain, None)),
    "authhdr": (10, BOOL),
    "drop_membership": (socket.IPV6_LEAVE_GROUP, (_enc_ipv6_mreq, None)),
    "dstopts": (socket.IPV6_DSTOPTS, BOOL),
    "flowinfo": (11, BOOL),
    "hoplimit": (socket.IPV6_HOPLIMIT, BOOL),
    "hopopts": (socket.IPV6_HOPOPTS, BOOL),
    "mtu": (24, INT),
    "mtu_discover": (23, (_enc_pmtudisc, _get_pmtudisc)),
    "multicast_hops": (socket.IPV6_MULTICAST_HOPS, (_enc_hops, _get_int)),
    "multicast_if": (socket.IPV6_MULTICAST_IF, INT),
    "multicast_loop": (socket.IPV6_MULTICAST_LOOP, BOOL),
    "recverr": (25, BOOL),
    "recvhoplimit": (socket.IPV6_RECVHOPLIMIT, BOOL),
    "recvpktinfo": (socket.IPV6_RECVPKTINFO, BOOL),
    "recvtclass": (socket.IPV6_RECVTCLASS, BOOL),
    "router_alert": (22, INT),
    "rthdr": (socket.IPV6_RTHDR, BOOL),
    "tclass": (socket.IPV6_TCLASS, INT),
    "unicast_hops": (socket.IPV6_UNICAST_HOPS, (_enc_hops, _get_int)),
    "v6only": (socket.IPV6_V6ONLY, BOOL),
}

_TCP = {
    "congestion": (13, (_enc_string(17), _get_string(17, True))),
    "cork": (socket.TCP_CORK, BOOL),
    "maxseg": (socket.TCP_MAXSEG, INT),
    "nodelay": (socket.TCP_NODELAY, BOOL),
}

# Since OTP 26 (esock_socket_opts, keepcnt etc.; absent in OTP 25's NIF).
_TCP_KEEPALIVE = {
    "keepcnt": (socket.TCP_KEEPCNT, INT),
    "keepidle": (socket.TCP_KEEPIDLE, INT),
    "keepintvl": (socket.TCP_KEEPINTVL, INT),
}

_UDP = {"cork": (1, BOOL)}

# Only the SCTP options with plain values; the kernel decides what they do.
_SCTP = {"autoclose": (4, INT), "disable_fragments": (8, BOOL), "maxseg": (13, INT),
         "nodelay": (3, BOOL)}

_LEVELS = ((SOL_SOCKET, ("socket",), _SOCKET), (socket.IPPROTO_IP, None, _IP),
           (socket.IPPROTO_IPV6, None, _IPV6), (socket.IPPROTO_TCP, None, _TCP),
           (socket.IPPROTO_UDP, None, _UDP), (132, None, _SCTP))


def _build() -> dict:
    table = {}
    for level, names, options in _LEVELS:
        for level_name in names or protocols.aliases(level):
            for name, (opt, codec) in options.items():
                table[(atom(level_name), atom(name))] = (level, opt, codec)
    return table


OPTIONS = _build()
# The levels an option name takes where aliases are not (Release.
# socket_option_levels_by_name_only): the NIF's own names.
LEVEL_NAMES = frozenset(atom(n) for n in ("socket", "ip", "ipv6", "tcp", "udp", "sctp"))
_KEEPALIVE_OPTIONS = {(atom(level_name), atom(name)): (socket.IPPROTO_TCP, opt, codec)
                      for level_name in protocols.aliases(socket.IPPROTO_TCP)
                      for name, (opt, codec) in _TCP_KEEPALIVE.items()}


def lookup(level, name, release=None):
    """(kernel level, kernel option, (encode, decode)) or None, for the OTP
    release given (the oldest when None)."""
    if not isinstance(level, Atom) or not isinstance(name, Atom):
        return None
    if release is not None and release.socket_option_levels_by_name_only \
            and level not in LEVEL_NAMES:
        return None
    entry = OPTIONS.get((level, name))
    if entry is None and release is not None and release.tcp_keepalive_options:
        entry = _KEEPALIVE_OPTIONS.get((level, name))
    if entry is not None and release is not None and release.ip_tos_three_readings \
            and entry[:2] == (socket.IPPROTO_IP, socket.IP_TOS):
        entry = entry[:2] + (TOS_READINGS,)
    return entry


def native(level, opt, release=None):
    """(kernel level, kernel option) of a native option (setopt_native,
    getopt_native), as prim_socket:enc_sockopt/2 resolves it with NativeValue
    set: numbers as they are, a level by any of its protocol names, a named
    option by the table; None when it resolves to nothing."""
    if type(opt) is int:
        if type(level) is int:
            return level, opt
        if isinstance(level, Atom) and not isinstance(level, bool):
            num = SOL_SOCKET if level == "socket" else protocols.number(level)
            return None if num is None else (num, opt)
        return None
    entry = lookup(level, opt, release)
    return None if entry is None else entry[:2]


def native_value(value):
    """esock_setopt_native: a binary as it is, an integer or a boolean as an int."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if value is True or value is False:
        return int(value)
    return value if c_int(value) else INVALID_VALUE
