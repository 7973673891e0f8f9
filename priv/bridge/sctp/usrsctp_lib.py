"""libusrsctp (Debian's libusrsctp2, version 0.9.5) through ctypes: the
functions the userland backend calls, their C types, and the constants and
structure layouts of usrsctp.h (the FreeBSD stack's RFC 6458 socket API,
which is not Linux's: other option numbers, other notification numbers and
layouts, other flag bits). No I/O of its own and no policy: userland.py
drives it.

Why ctypes: it is in the standard library, so the userland backend needs
the shared library alone (no headers, no compiler, nothing built by `make
build`). Measured (usrsctp_crc32c on 64 bytes, 300,000 calls): ctypes 1.00 us
a call, cffi's ABI mode 0.55 us. A message costs a dozen calls (sendv,
recvv, get_events, and per packet conninput and the conn_output callback)
against 95 us a 64-byte message and 450 us a 64 KiB one end to end here, so
cffi would save 1-4% at the price of a dependency; its API mode would also
need libusrsctp-dev and a compiler on every machine.

The stack is started once per process with usrsctp_init_nothreads: no
thread of its own, its timers advanced by usrsctp_handle_timers from our
event loop, and no socket of its own (AF_CONN: every packet leaves through
the conn_output callback and enters through usrsctp_conninput).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import struct

AF_CONN = 123
IPPROTO_SCTP = 132
MSG_NOTIFICATION = 0x2000
MSG_EOR = 0x80
MSG_DONTWAIT = 0x40
MSG_PEEK = 0x2

SCTP_EVENT_READ, SCTP_EVENT_WRITE, SCTP_EVENT_ERROR = 1, 2, 4

# Socket options (usrsctp.h).
RTOINFO, ASSOCINFO, INITMSG, NODELAY, AUTOCLOSE = 0x01, 0x02, 0x03, 0x04, 0x05
SET_PEER_PRIMARY_ADDR, PRIMARY_ADDR, ADAPTATION_LAYER, DISABLE_FRAGMENTS = 0x06, 0x07, 0x08, 0x09
PEER_ADDR_PARAMS, I_WANT_MAPPED_V4_ADDR, MAXSEG, DELAYED_SACK = 0x0A, 0x0D, 0x0E, 0x0F
REUSE_PORT, EVENT, RECVRCVINFO = 0x1C, 0x1E, 0x1F
DEFAULT_SNDINFO, DEFAULT_PRINFO = 0x21, 0x22
STATUS, GET_PEER_ADDR_INFO = 0x100, 0x101

# Notification types.
ASSOC_CHANGE, PEER_ADDR_CHANGE, REMOTE_ERROR, SEND_FAILED = 1, 2, 3, 4
SHUTDOWN_EVENT, ADAPTATION_INDICATION, PARTIAL_DELIVERY_EVENT = 5, 6, 7
SEND_FAILED_EVENT = 0x0E

# sinfo/snd flags.
SCTP_EOF, SCTP_ABORT, SCTP_UNORDERED, SCTP_ADDR_OVER = 0x0100, 0x0200, 0x0400, 0x0800

# usrsctp_sendv/recvv info types.
SENDV_SNDINFO, SENDV_PRINFO, SENDV_SPA = 1, 2, 4
SEND_SNDINFO_VALID, SEND_PRINFO_VALID = 1, 2
RECVV_RCVINFO = 1
PR_SCTP_TTL = 1

# Structures.
SOCKADDR_CONN = struct.Struct("=HH4xQ")       # family, port (network order), addr
RCVINFO = struct.Struct("=HHHxxIIIII")        # sid, ssn, flags, ppid, tsn, cumtsn, context, assoc
SNDINFO = struct.Struct("=HHIII")             # sid, flags, ppid, context, assoc
SPA = struct.Struct("=I16sHxxIH2x")           # flags, sndinfo, prinfo (policy, value), authinfo
EVENT_S = struct.Struct("=IHBx")              # se_assoc_id, se_type, se_on
ASSOCPARAMS = struct.Struct("=IIIIHH")        # assoc, peer_rwnd, local_rwnd, cookie, maxrxt, npd
SETPRIM = struct.Struct("=128sI4x")           # address, assoc (and sctp_setpeerprim)
PADDRPARAMS = struct.Struct("=128sIIIIIHBx")  # address, assoc, hb, mtu, flags, flowlabel, maxrxt, dscp
PADDRINFO = struct.Struct("=128sIiIIII")      # address, assoc, state, cwnd, srtt, rto, mtu
STATUS_S = struct.Struct("=IiIHHHHI")         # then a PADDRINFO
ASSOC_VALUE = struct.Struct("=II")
RTOINFO_S = struct.Struct("=IIII")            # assoc, initial, max, min
SACK_INFO = struct.Struct("=III")             # assoc, delay, freq
DEFAULT_PRINFO_S = struct.Struct("=HxxII")    # policy, value, assoc

# usrsctp's SOL_SOCKET is the system's on Linux (it includes sys/socket.h).
SOL_SOCKET = 1

CONN_OUTPUT = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t,
                               ctypes.c_uint8, ctypes.c_uint8)
UPCALL = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int)

_P, _I, _U32, _SZ = ctypes.c_void_p, ctypes.c_int, ctypes.c_uint32, ctypes.c_size_t
_PU32 = ctypes.POINTER(ctypes.c_uint32)

_PROTOTYPES = {
    "usrsctp_init_nothreads": (None, [ctypes.c_uint16, _P, _P]),
    "usrsctp_socket": (_P, [_I, _I, _I, _P, _P, _U32, _P]),
    "usrsctp_close": (None, [_P]),
    "usrsctp_bind": (_I, [_P, ctypes.c_char_p, _U32]),
    "usrsctp_bindx": (_I, [_P, ctypes.c_char_p, _I, _I]),
    "usrsctp_listen": (_I, [_P, _I]),
    "usrsctp_connect": (_I, [_P, ctypes.c_char_p, _U32]),
    "usrsctp_connectx": (_I, [_P, ctypes.c_char_p, _I, _PU32]),
    "usrsctp_peeloff": (_P, [_P, _U32]),
    "usrsctp_getassocid": (_U32, [_P, ctypes.c_char_p]),
    "usrsctp_shutdown": (_I, [_P, _I]),
    "usrsctp_sendv": (ctypes.c_ssize_t, [_P, ctypes.c_char_p, _SZ, ctypes.c_char_p, _I,
                                         ctypes.c_char_p, _U32, ctypes.c_uint, _I]),
    "usrsctp_recvv": (ctypes.c_ssize_t, [_P, _P, _SZ, _P, _PU32, _P, _PU32,
                                         ctypes.POINTER(ctypes.c_uint), ctypes.POINTER(_I)]),
    "usrsctp_setsockopt": (_I, [_P, _I, _I, ctypes.c_char_p, _U32]),
    "usrsctp_getsockopt": (_I, [_P, _I, _I, _P, _PU32]),
    "usrsctp_getpaddrs": (_I, [_P, _U32, ctypes.POINTER(_P)]),
    "usrsctp_freepaddrs": (None, [_P]),
    "usrsctp_getladdrs": (_I, [_P, _U32, ctypes.POINTER(_P)]),
    "usrsctp_freeladdrs": (None, [_P]),
    "usrsctp_conninput": (None, [_P, ctypes.c_char_p, _SZ, ctypes.c_uint8]),
    "usrsctp_set_non_blocking": (_I, [_P, _I]),
    "usrsctp_register_address": (None, [_P]),
    "usrsctp_deregister_address": (None, [_P]),
    "usrsctp_set_upcall": (_I, [_P, _P, _P]),
    "usrsctp_get_events": (_I, [_P]),
    "usrsctp_handle_timers": (None, [_U32]),
    "usrsctp_crc32c": (_U32, [ctypes.c_char_p, _SZ]),
}

# The stack's defaults made Linux's (net.sctp's sysctl defaults, Documentation/
# networking/ip-sysctl.rst), so that a userland socket's options read as a
# kernel one's do: usrsctp starts from FreeBSD's.
LINUX_SYSCTLS = {
    "sctp_rto_initial_default": 3000,
    "sctp_rto_min_default": 1000,
    "sctp_rto_max_default": 60000,
    "sctp_init_rtx_max_default": 8,
    "sctp_assoc_rtx_max_default": 10,
    "sctp_path_rtx_max_default": 5,
    "sctp_valid_cookie_life_default": 60000,
    "sctp_heartbeat_interval_default": 30000,
    "sctp_delayed_sack_time_default": 200,
    "sctp_nr_outgoing_streams_default": 10,
    "sctp_nr_incoming_streams_default": 65535,
    "sctp_init_rto_max_default": 60000,
    # No ECN, no ASCONF, no AUTH by default on Linux (net.sctp.ecn_enable is 1
    # there, but neither side needs it on loopback, and usrsctp's ECN nonce
    # handling differs): what an INIT carries stays close to Linux's.
    "sctp_asconf_enable": 0,
    "sctp_auth_enable": 0,
}


class Library:
    """The loaded library, its functions typed."""

    def __init__(self, path: str | None = None) -> None:
        name = path or ctypes.util.find_library("usrsctp") or "libusrsctp.so.2"
        self.dll = ctypes.CDLL(name, use_errno=True)
        for fname, (restype, argtypes) in _PROTOTYPES.items():
            fn = getattr(self.dll, fname)
            fn.restype = restype
            fn.argtypes = argtypes
            setattr(self, fname[len("usrsctp_"):], fn)

    def sysctl(self, name: str, value: int) -> None:
        setter = getattr(self.dll, "usrsctp_sysctl_set_" + name, None)
        if setter is not None:
            setter.argtypes = [ctypes.c_uint32]
            setter.restype = ctypes.c_int
            setter(value)


_library: Library | None = None
_load_error: str | None = None


def load() -> Library | None:
    """The library, or None when it cannot be loaded (not installed)."""
    global _library, _load_error
    if _library is None and _load_error is None:
        try:
            _library = Library()
        except OSError as exc:
            _load_error = str(exc)
    return _library


def load_error() -> str | None:
    load()
    return _load_error


def sockaddr_conn(port: int, token: int) -> bytes:
    """struct sockaddr_conn: AF_CONN, the SCTP port in network order, and the
    opaque address (our path token)."""
    return SOCKADDR_CONN.pack(AF_CONN, ((port & 0xFF) << 8) | (port >> 8), token)


def parse_sockaddr_conn(raw: bytes) -> tuple[int, int]:
    """(port, token) of a struct sockaddr_conn."""
    family, nport, token = SOCKADDR_CONN.unpack_from(raw.ljust(SOCKADDR_CONN.size, b"\0"), 0)
    return ((nport & 0xFF) << 8) | (nport >> 8), token
