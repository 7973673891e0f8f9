"""Options of inet sockets: what inet:setopts/getopts mean here.

Two kinds, as in inet_drv (inet_set_opts / inet_fill_opts):

- *local* options live in this program (`InetOptions`): active, mode, packet,
  packet_size, header, buffer, deliver, exit_on_close, show_econnreset, the send
  timeout and watermark options, delay_send, line_delimiter, debug;
- *socket* options go to the kernel with setsockopt (`SOCKET_OPTIONS`).

Rules kept from inet_drv: options are applied one by one in list order, so an
invalid one fails with einval after the earlier ones took effect (prim_inet hands
them over last first: the Erlang side reverses setopts lists); integer values are
what prim_inet's 32-bit encoding leaves of them; a failing setsockopt is ignored
except for the options inet_drv "propagates" (priority, tos, tclass, ttl, recv*,
ipv6_v6only, bind_to_device), and a socket closed under its handle fails every
setsockopt; every setsockopt keeps priority and TOS as they were
(setopt_prio_tos_trick); setting recbuf raises `buffer` to match unless buffer was
set explicitly; getopts leaves out an option the kernel will not report;
high_watermark drags low_watermark down with it and low_watermark drags high up,
and the msgq watermarks drag each other the same way.
"""

from __future__ import annotations

import errno
import operator
import socket
import struct

from ..active import ActiveMode
from ..errors import RequestError
from ..etf.terms import Atom, atom
from .. import packet as packets

RAW = packets.PACKET_TYPES[0]

EINVAL = atom("einval")
INFINITY = atom("infinity")

# getopts answers a packet type with the first of its names in prim_inet's table.
_PACKET_GETOPT_NAMES = {RAW: 0, packets.PACKET_TYPES["ssl_tls"]: atom("ssl")}


# inet_drv's INET_DEF_BUFFER on the release that runs (follow_release).
DEFAULT_BUFFER = 1460


def _fail():
    raise RequestError(EINVAL)


def is_bool(v) -> bool:
    return v is True or v is False


def is_int32(v) -> bool:
    return type(v) is int and -(1 << 31) <= v < (1 << 31)


def is_uint32(v) -> bool:
    return type(v) is int and 0 <= v < (1 << 32)


def driver_int(v: int) -> int:
    """An integer option value as inet_drv reads it: prim_inet encodes it in 32
    bits (?int32) and the driver reads it back signed (get_int32)."""
    return ((v + 0x80000000) & 0xFFFFFFFF) - 0x80000000


class InetOptions:
    """inet_drv's per-socket 'local' options, with its defaults."""

    __slots__ = ("active", "binary", "ptype", "packet_size", "header", "buffer", "buffer_set",
                 "deliver_port", "exit_on_close", "show_econnreset", "send_timeout",
                 "send_timeout_close", "delay_send", "high_watermark", "low_watermark",
                 "high_msgq_watermark", "low_msgq_watermark", "line_delimiter", "debug", "netns", "read_ahead")

    def __init__(self) -> None:
        self.active = ActiveMode()
        self.binary = False
        self.ptype = RAW
        self.packet_size = 0
        self.header = 0
        self.buffer = DEFAULT_BUFFER
        self.buffer_set = False
        self.deliver_port = False
        self.exit_on_close = True
        self.show_econnreset = False
        self.send_timeout: int | None = None  # milliseconds; None is infinity
        self.send_timeout_close = False
        self.delay_send = False
        self.high_watermark = 8192
        self.low_watermark = 4096
        self.high_msgq_watermark = 8192
        self.low_msgq_watermark = 4096
        self.line_delimiter = 10
        self.debug = False
        self.netns: bytes | None = None  # the namespace the socket was created in
        self.read_ahead = True

    def copy(self) -> "InetOptions":
        """What an accepted socket inherits from its listen socket."""
        other = object.__new__(InetOptions)
        for name, value in zip(self.__slots__, _ALL_OPTIONS(self)):
            setattr(other, name, value)
        other.active = ActiveMode(self.active.mode, self.active.count)
        return other


_ALL_OPTIONS = operator.attrgetter(*InetOptions.__slots__)


# -- local options: name -> (set(opts, value), get(opts)) ------------------------------

def _set_bool(attr):
    def set_(o, v):
        if not is_bool(v):
            _fail()
        setattr(o, attr, v)
    return set_


def _set_uint(attr):
    # The driver keeps these unsigned, and prim_inet reads them back so.
    def set_(o, v):
        if not is_int32(v):
            _fail()
        setattr(o, attr, v & 0xFFFFFFFF)
    return set_


def _set_mode(o, v):
    if v == atom("binary"):
        o.binary = True
    elif v == atom("list"):
        o.binary = False
    else:
        _fail()


def _set_packet(o, v):
    try:
        o.ptype = packets.packet_type(v)
    except ValueError:
        _fail()


def _get_packet(o):
    return _PACKET_GETOPT_NAMES.get(o.ptype, o.ptype.name)


def _set_buffer(o, v):
    if not is_int32(v):
        _fail()
    o.buffer = max(v, 1)
    o.buffer_set = True


def _set_deliver(o, v):
    if v == atom("port"):
        o.deliver_port = True
    elif v == atom("term"):
        o.deliver_port = False
    else:
        _fail()


def _set_send_timeout(o, v):
    # prim_inet encodes infinity as -1, which is also what 16#ffffffff becomes.
    if (v == INFINITY and isinstance(v, Atom)) or v == -1:
        o.send_timeout = None
    elif is_int32(v):
        o.send_timeout = v & 0xFFFFFFFF
    else:
        _fail()


def _set_high(o, v):
    if not is_int32(v):
        _fail()
    v = max(v, 0)
    if o.low_watermark > v:
        o.low_watermark = v
    o.high_watermark = v


def _set_low(o, v):
    if not is_int32(v):
        _fail()
    v = max(v, 0)
    if o.high_watermark < v:
        o.high_watermark = v
    o.low_watermark = v


_SIZE_T = (1 << 64) - 1
_BUSY_MSGQ_LIM_MAX = _SIZE_T - 1
_INT_MAX = (1 << 31) - 1


def _msgq_limit(v) -> int:
    """The int as the ErlDrvSizeT erl_drv_busy_msgq_limits gets: a negative value
    is a huge limit, and only -1 (the 'disabled' value) is out of range."""
    if not is_int32(v):
        _fail()
    size = v & _SIZE_T
    if not 1 <= size <= _BUSY_MSGQ_LIM_MAX:
        _fail()
    return size


def _set_msgq_high(o, v):
    # erl_drv_busy_msgq_limits: a new high limit pulls the low one down to it.
    high = _msgq_limit(v)
    if o.low_msgq_watermark > high:
        o.low_msgq_watermark = high
    o.high_msgq_watermark = high


def _set_msgq_low(o, v):
    low = _msgq_limit(v)
    if o.high_msgq_watermark < low:
        o.high_msgq_watermark = low
    o.low_msgq_watermark = low


def _set_delimiter(o, v):
    if not is_int32(v):
        _fail()
    o.line_delimiter = v & 0xFF


def _set_netns(o, v):
    # Meaningful only when the socket is created (bridge/netns.py); later it is
    # only remembered, as inet_drv remembers it.
    if not isinstance(v, (bytes, bytearray, memoryview)):
        _fail()
    o.netns = bytes(v)


LOCAL_OPTIONS = {
    "header": (_set_uint("header"), lambda o: o.header),
    "mode": (_set_mode, lambda o: atom("binary") if o.binary else atom("list")),
    "deliver": (_set_deliver, lambda o: atom("port") if o.deliver_port else atom("term")),
    "buffer": (_set_buffer, lambda o: o.buffer),
    "packet": (_set_packet, _get_packet),
    "packet_size": (_set_uint("packet_size"), lambda o: o.packet_size),
    "exit_on_close": (_set_bool("exit_on_close"), lambda o: o.exit_on_close),
    "high_watermark": (_set_high, lambda o: o.high_watermark),
    "low_watermark": (_set_low, lambda o: o.low_watermark),
    "high_msgq_watermark": (_set_msgq_high, lambda o: min(o.high_msgq_watermark, _INT_MAX)),
    "low_msgq_watermark": (_set_msgq_low, lambda o: min(o.low_msgq_watermark, _INT_MAX)),
    "send_timeout": (_set_send_timeout,
                     lambda o: INFINITY if o.send_timeout is None else o.send_timeout),
    "send_timeout_close": (_set_bool("send_timeout_close"), lambda o: o.send_timeout_close),
    "delay_send": (_set_bool("delay_send"), lambda o: o.delay_send),
    "show_econnreset": (_set_bool("show_econnreset"), lambda o: o.show_econnreset),
    "line_delimiter": (_set_delimiter, lambda o: o.line_delimiter),
    "debug": (_set_bool("debug"), lambda o: o.debug),
}

# -- socket options ------------------------------------------------------------------

SOL_SOCKET, IPPROTO_IP, IPPROTO_IPV6, IPPROTO_TCP = (
    socket.SOL_SOCKET, socket.IPPROTO_IP, socket.IPPROTO_IPV6, socket.IPPROTO_TCP)
_IP_RECVTOS = getattr(socket, "IP_RECVTOS", 13)
_IP_RECVTTL = getattr(socket, "IP_RECVTTL", 12)
_IPV6_RECVTCLASS = getattr(socket, "IPV6_RECVTCLASS", 66)
_IPV6_TCLASS = getattr(socket, "IPV6_TCLASS", 67)
_SO_BINDTODEVICE = getattr(socket, "SO_BINDTODEVICE", 25)
_SO_PRIORITY = getattr(socket, "SO_PRIORITY", 12)
_TCP_CORK = getattr(socket, "TCP_CORK", 3)

# name -> (level, optname, kind, propagate)
SOCKET_OPTIONS = {
    "reuseaddr": (SOL_SOCKET, socket.SO_REUSEADDR, "bool", False),
    "keepalive": (SOL_SOCKET, socket.SO_KEEPALIVE, "bool", False),
    "dontroute": (SOL_SOCKET, socket.SO_DONTROUTE, "bool", False),
    "broadcast": (SOL_SOCKET, socket.SO_BROADCAST, "bool", False),
    "sndbuf": (SOL_SOCKET, socket.SO_SNDBUF, "int", False),
    "recbuf": (SOL_SOCKET, socket.SO_RCVBUF, "int", False),
    "priority": (SOL_SOCKET, _SO_PRIORITY, "int", True),
    "linger": (SOL_SOCKET, socket.SO_LINGER, "linger", False),
    "tos": (IPPROTO_IP, socket.IP_TOS, "int", True),
    "tclass": (IPPROTO_IPV6, _IPV6_TCLASS, "int", True),
    "ttl": (IPPROTO_IP, socket.IP_TTL, "int", True),
    "recvtos": (IPPROTO_IP, _IP_RECVTOS, "bool", True),
    "recvtclass": (IPPROTO_IPV6, _IPV6_RECVTCLASS, "bool", True),
    "recvttl": (IPPROTO_IP, _IP_RECVTTL, "bool", True),
    "nodelay": (IPPROTO_TCP, socket.TCP_NODELAY, "bool", False),
    "nopush": (IPPROTO_TCP, _TCP_CORK, "bool", False),
    "ipv6_v6only": (IPPROTO_IPV6, socket.IPV6_V6ONLY, "bool", True),
    "multicast_ttl": (IPPROTO_IP, socket.IP_MULTICAST_TTL, "int", False),
    "multicast_loop": (IPPROTO_IP, socket.IP_MULTICAST_LOOP, "bool", False),
    "bind_to_device": (SOL_SOCKET, _SO_BINDTODEVICE, "device", True),
    "multicast_if": (IPPROTO_IP, socket.IP_MULTICAST_IF, "in_addr", False),
}

# OTP 26's inet_drv options (INET_OPT_REUSEPORT, _REUSEPORT_LB,
# _EXCLUSIVEADDRUSE): on Linux both reuseports are SO_REUSEPORT, and
# exclusiveaddruse (Windows') is accepted, ignored and read as false.
_SO_REUSEPORT = getattr(socket, "SO_REUSEPORT", 15)
_SINCE_26 = {
    "reuseport": (SOL_SOCKET, _SO_REUSEPORT, "bool", False),
    "reuseport_lb": (SOL_SOCKET, _SO_REUSEPORT, "bool", False),
    "exclusiveaddruse": (None, None, "ignored", False),
}


_READ_AHEAD = (_set_bool("read_ahead"), lambda o: o.read_ahead)


def follow_release(release) -> None:
    """Know the options of that OTP release's inet_drv (bridge/release.py);
    one release per program, chosen at its start."""
    global DEFAULT_BUFFER
    DEFAULT_BUFFER = release.inet_default_buffer
    if release.tcp_read_ahead_option:
        LOCAL_OPTIONS["read_ahead"] = _READ_AHEAD
    else:
        LOCAL_OPTIONS.pop("read_ahead", None)
    for name, entry in _SINCE_26.items():
        if release.inet_reuseport_options:
            SOCKET_OPTIONS[name] = entry
        else:
            SOCKET_OPTIONS.pop(name, None)


# Options getopts answers without asking the kernel (or leaves out) on TCP.
# pktoptions reports the ancillary data of the last packet, which a TCP socket
# without recvtos/recvttl has none of; netns is reported only when set.
GETOPT_CONSTANT = {"pktoptions": [], "read_packets": None}

_LINGER = struct.Struct("ii")


def _encode_socket_value(kind: str, value):
    if kind == "bool":
        if not is_bool(value):
            _fail()
        return int(value)
    if kind == "int":
        if not is_int32(value):
            _fail()
        return value
    if kind == "linger":
        if type(value) is not tuple or len(value) != 2 or not is_bool(value[0]) or not is_int32(value[1]):
            _fail()
        return _LINGER.pack(int(value[0]), value[1])
    if kind == "device":
        if not isinstance(value, (bytes, bytearray, memoryview)):
            _fail()
        return bytes(value)
    if kind == "in_addr":
        if type(value) is not tuple or len(value) != 4:
            _fail()
        return bytes(value)
    _fail()


def set_socket_option(sock: socket.socket | None, name: str, value) -> None:
    level, optname, kind, propagate = SOCKET_OPTIONS[name]
    if kind == "ignored":
        if not is_bool(value):
            _fail()
        return
    _setsockopt(sock, level, optname, _encode_socket_value(kind, value), propagate)


def _setsockopt(sock: socket.socket | None, level: int, optname: int, value,
                propagate: bool) -> None:
    """inet_drv's inet_setopt: a failure is einval only for an option whose
    failure it propagates. A socket closed under its handle fails them all."""
    try:
        if sock is None:
            raise OSError(errno.EBADF, "socket closed")
        _setopt_prio_tos_trick(sock, level, optname, value, propagate)
    except OSError:
        if propagate:
            _fail()


def _setopt_prio_tos_trick(sock: socket.socket, level: int, optname: int, value,
                           propagate: bool) -> None:
    """setopt_prio_tos_trick: Linux changes the priority when the TOS is set (and
    may clear the TOS when other options are), so inet_drv saves both and puts
    them back after every setsockopt. As there, only the option number is looked
    at, whatever the level: TCP_NODELAY is 1 like IP_TOS."""
    try:
        prio = sock.getsockopt(SOL_SOCKET, _SO_PRIORITY)
    except OSError:
        prio = None
    try:
        tos = sock.getsockopt(IPPROTO_IP, socket.IP_TOS)
    except OSError:
        tos = None
    sock.setsockopt(level, optname, value)
    if optname == _SO_PRIORITY:
        return
    if optname != socket.IP_TOS and tos is not None:
        try:
            sock.setsockopt(IPPROTO_IP, socket.IP_TOS, tos)
        except OSError:
            if propagate:
                raise
    if prio is not None:
        try:
            sock.setsockopt(SOL_SOCKET, _SO_PRIORITY, prio)
        except OSError as exc:
            # Some kernels set a priority that may not be set back.
            if propagate and exc.errno != errno.EPERM:
                raise


def get_socket_option(sock: socket.socket | None, name: str):
    """The value the kernel reports, or None when it will not (left out of getopts)."""
    if sock is None:
        return None
    level, optname, kind, _ = SOCKET_OPTIONS[name]
    if kind == "ignored":
        return False
    try:
        if kind == "linger":
            onoff, secs = _LINGER.unpack(sock.getsockopt(level, optname, _LINGER.size))
            return (bool(onoff), secs)
        if kind == "device":
            return sock.getsockopt(level, optname, 16).rstrip(b"\0")
        if kind == "in_addr":
            return tuple(sock.getsockopt(level, optname, 4))
        value = sock.getsockopt(level, optname)
    except OSError:
        return None
    return bool(value) if kind == "bool" else value


def set_raw(sock: socket.socket | None, value) -> None:
    """{raw, Level, Option, Binary}: a setsockopt of the caller's choosing, whose
    failure inet_drv does not propagate."""
    if (type(value) is not tuple or len(value) != 3 or not is_int32(value[0])
            or not is_int32(value[1]) or not isinstance(value[2], (bytes, bytearray, memoryview))):
        _fail()
    _setsockopt(sock, value[0], value[1], bytes(value[2]), False)


def get_raw(sock: socket.socket | None, level, optname, size):
    if not (is_int32(level) and is_int32(optname) and is_uint32(size)):
        _fail()
    if sock is None:
        return None
    try:
        if size == 0:
            # Python reads a buflen of 0 as "an int option"; the driver asks
            # for zero bytes and gets them.
            sock.getsockopt(level, optname)
            return b""
        return sock.getsockopt(level, optname, size)
    except OSError:
        return None


def apply(sock, opts: InetOptions, item) -> bool:
    """Apply one setopts item to `sock` and `opts`. Returns True when it made the
    socket passive with a passive message due ({active, N} reaching 0)."""
    if type(item) is tuple and len(item) == 4 and item[0] == atom("raw"):
        item = (item[0], item[1:])
    if type(item) is not tuple or len(item) != 2 or not isinstance(item[0], Atom):
        _fail()
    name, value = item
    if type(value) is int:
        value = driver_int(value)
    elif type(value) is tuple and len(value) == 2 and type(value[1]) is int:
        value = (value[0], driver_int(value[1]))  # linger's seconds
    if name == "active":
        try:
            return opts.active.set(value)
        except ValueError:
            _fail()
    if name == "netns":
        _set_netns(opts, value)
    elif name in LOCAL_OPTIONS:
        LOCAL_OPTIONS[name][0](opts, value)
    elif name in SOCKET_OPTIONS:
        set_socket_option(sock, name, value)
        if name == "recbuf" and not opts.buffer_set and type(value) is int and value > opts.buffer:
            # inet_drv keeps the user-level buffer at least as large as SO_RCVBUF
            # unless `buffer` was set explicitly.
            opts.buffer = value
    elif name == "raw":
        set_raw(sock, value)
    elif name not in ("read_packets", "multicast_if", "add_membership", "drop_membership"):
        _fail()  # those four the driver accepts and ignores on a TCP socket
    return False
