"""Linux SCTP structures (uapi/linux/sctp.h, x86-64 layout) to and from the
Erlang terms inet_drv makes of them. No I/O here: bytes in, terms out.

inet_drv's rules kept here:
- ppid travels in network byte order inside `sctp_sndrcvinfo` and is shown to
  Erlang in host order (sock_ntohl on receive, sock_htonl on send); so is the
  adaptation indication.
- Erlang's flag bits are not the kernel's for `sinfo_flags` (SCTP_EOF is
  MSG_FIN), but they are for `spp_flags`.
- An address is read from a `sockaddr_storage` as `{IP, Port}`; a family the
  driver does not know becomes `{{unspec, <<>>}, 0}` or
  `{{undefined, <<>>}, 0}`, as load_address writes them.
- Notifications are parsed as sctp_parse_async_event does: an event of the
  kinds gen_sctp reports as errors (remote error, send failed, partial
  delivery) is flagged so that the caller turns `ok` into `error`.
"""

from __future__ import annotations

import socket
import struct

from ..etf.terms import Atom, atom

SOL_SCTP = 132

# Socket options.
RTOINFO, ASSOCINFO, INITMSG, NODELAY, AUTOCLOSE = 0, 1, 2, 3, 4
SET_PEER_PRIMARY_ADDR, PRIMARY_ADDR, ADAPTATION_LAYER, DISABLE_FRAGMENTS = 5, 6, 7, 8
PEER_ADDR_PARAMS, DEFAULT_SEND_PARAM, EVENTS, I_WANT_MAPPED_V4_ADDR = 9, 10, 11, 12
MAXSEG, STATUS, GET_PEER_ADDR_INFO, DELAYED_ACK_TIME = 13, 14, 15, 16
SOCKOPT_BINDX_ADD, SOCKOPT_BINDX_REM, SOCKOPT_PEELOFF = 100, 101, 102
GET_PEER_ADDRS, GET_LOCAL_ADDRS, SOCKOPT_CONNECTX, SOCKOPT_CONNECTX3 = 108, 109, 110, 111

# Ancillary data and message flags.
SCTP_SNDRCV = 1
MSG_NOTIFICATION = 0x8000
MSG_EOR = socket.MSG_EOR

# sinfo_flags.
SCTP_UNORDERED, SCTP_ADDR_OVER, SCTP_ABORT, SCTP_EOF = 1, 2, 4, 0x200

SNDRCVINFO = struct.Struct("=HHH2xIIIIIi")      # 32
INITMSG_S = struct.Struct("=HHHH")              # 8
RTOINFO_S = struct.Struct("=iIII")              # 16
ASSOCPARAMS_S = struct.Struct("=iHHIII")        # 20
PRIM_S = struct.Struct("=i128s")                # 132: sctp_prim and sctp_setpeerprim
SETADAPTATION_S = struct.Struct("=I")           # 4
PADDRPARAMS_S = struct.Struct("=i128sIHIIIIBx")  # 156, packed, aligned(4)
ASSOC_VALUE_S = struct.Struct("=iI")            # 8
PADDRINFO_S = struct.Struct("=i128siIIII")      # 152
STATUS_S = struct.Struct("=iiIHHHHI152s")       # 176
PEELOFF_S = struct.Struct("=ii")                # sctp_peeloff_arg_t
GETADDRS_S = struct.Struct("=iI")               # sctp_getaddrs header
CONNECTX3_S = struct.Struct("=iiQ")             # sctp_getaddrs_old: id, size, pointer
SOCKADDR_STORAGE = 128

_NOTIFICATION_HEADER = struct.Struct("=HHI")
_ASSOC_CHANGE = struct.Struct("=HHIHHHHi")
_PADDR_CHANGE = struct.Struct("=HHI128siii")
_REMOTE_ERROR = struct.Struct("=HHIH2xi")
_SEND_FAILED = struct.Struct("=HHII32si")
_SHUTDOWN_EVENT = struct.Struct("=HHIi")
_ADAPTATION_EVENT = struct.Struct("=HHIIi")
_PDAPI_EVENT = struct.Struct("=HHIIi")

ASSOC_CHANGE, PEER_ADDR_CHANGE, SEND_FAILED, REMOTE_ERROR = 0x8001, 0x8002, 0x8003, 0x8004
SHUTDOWN_EVENT, PARTIAL_DELIVERY_EVENT, ADAPTATION_INDICATION = 0x8005, 0x8006, 0x8007

_ASSOC_STATES = {0: atom("comm_up"), 1: atom("comm_lost"), 2: atom("restart"),
                 3: atom("shutdown_comp"), 4: atom("cant_assoc")}
_PADDR_STATES = {0: atom("addr_available"), 1: atom("addr_unreachable"),
                 2: atom("addr_removed"), 3: atom("addr_added"), 4: atom("addr_made_prim"),
                 5: atom("addr_confirmed")}
_PADDRINFO_STATES = {0: atom("inactive"), 2: atom("active"), 3: atom("unconfirmed")}
_SSTAT_STATES = {0: atom("empty"), 1: atom("closed"), 2: atom("cookie_wait"),
                 3: atom("cookie_echoed"), 4: atom("established"),
                 5: atom("shutdown_pending"), 6: atom("shutdown_sent"),
                 7: atom("shutdown_received"), 8: atom("shutdown_ack_sent")}

UNDEFINED = atom("undefined")
TRUE_ATOM, FALSE_ATOM = True, False

# Erlang flag atom -> (Erlang bit, kernel bit); order is the driver's when listing.
SNDRCV_FLAGS = ((atom("unordered"), 1, SCTP_UNORDERED), (atom("addr_over"), 2, SCTP_ADDR_OVER),
                (atom("abort"), 4, SCTP_ABORT), (atom("eof"), 8, SCTP_EOF))
PADDR_FLAGS = ((atom("hb_enable"), 1), (atom("hb_disable"), 2), (atom("hb_demand"), 4),
               (atom("pmtud_enable"), 8), (atom("pmtud_disable"), 16),
               (atom("sackdelay_enable"), 32), (atom("sackdelay_disable"), 64))

SCTP_SNDRCVINFO = atom("sctp_sndrcvinfo")


class StructError(ValueError):
    """A term that does not fit the structure (the driver's einval)."""


# -- addresses ----------------------------------------------------------------------

_ANY = atom("any")
_LOOPBACK = atom("loopback")


def _ip_bytes(ip) -> tuple[int, bytes]:
    if type(ip) is not tuple:
        raise StructError(ip)
    if len(ip) == 4 and all(type(b) is int and 0 <= b <= 255 for b in ip):
        return socket.AF_INET, bytes(ip)
    if len(ip) == 8 and all(type(w) is int and 0 <= w <= 0xFFFF for w in ip):
        return socket.AF_INET6, b"".join(w.to_bytes(2, "big") for w in ip)
    raise StructError(ip)


def pack_sockaddr(family: int, address, exact: bool = False) -> bytes:
    """`{IP | any | loopback, Port}` as a sockaddr_storage (or, `exact`, as
    the sockaddr_in/in6 itself), as inet_set_faddress fills it: any and
    loopback take the socket's family, an IP its own."""
    if type(address) is not tuple or len(address) != 2:
        raise StructError(address)
    ip, port = address
    if type(port) is not int or not 0 <= port <= 0xFFFF:
        raise StructError(address)
    if isinstance(ip, Atom) and ip in (_ANY, _LOOPBACK):
        fam = family
        if fam == socket.AF_INET:
            raw = bytes(4) if ip == _ANY else bytes((127, 0, 0, 1))
        else:
            raw = bytes(16) if ip == _ANY else bytes(15) + b"\x01"
    else:
        fam, raw = _ip_bytes(ip)
    if fam == socket.AF_INET:
        body = struct.pack("=H", fam) + struct.pack("!H", port) + raw + bytes(8)
    else:
        body = struct.pack("=H", fam) + struct.pack("!HI", port, 0) + raw + struct.pack("=I", 0)
    return body if exact else body + bytes(SOCKADDR_STORAGE - len(body))


def unpack_sockaddr(raw: bytes):
    """A sockaddr (storage) as the `{IP, Port}` load_inet_get_address makes."""
    (family,) = struct.unpack_from("=H", raw, 0)
    if family == socket.AF_INET:
        (port,) = struct.unpack_from("!H", raw, 2)
        return (tuple(raw[4:8]), port)
    if family == socket.AF_INET6:
        (port,) = struct.unpack_from("!H", raw, 2)
        words = struct.unpack_from("!8H", raw, 8)
        return (words, port)
    if family == socket.AF_UNSPEC:
        return ((atom("unspec"), b""), 0)
    return ((UNDEFINED, b""), 0)


def address_header(addr) -> list:
    """The `[F, P1, P0 | IP bytes]` list inet_drv puts in front of a received
    message (inet_get_address), which gen_sctp shows in error returns."""
    ip, port = addr
    if len(ip) == 4:
        return [1, port >> 8, port & 0xFF] + list(ip)
    raw = b"".join(w.to_bytes(2, "big") for w in ip)
    return [2, port >> 8, port & 0xFF] + list(raw)


def python_address(addr) -> tuple:
    """The address Python's socket module returns, as `{IP, Port}`."""
    host, port = addr[0], addr[1]
    if ":" in host:
        packed = socket.inet_pton(socket.AF_INET6, host.split("%", 1)[0])
        return (struct.unpack("!8H", packed), port)
    return (tuple(socket.inet_aton(host)), port)


def unpack_sockaddr_list(raw: bytes, count: int) -> list:
    """The packed addresses sctp_getladdrs/getpaddrs return."""
    out = []
    offset = 0
    for _ in range(count):
        (family,) = struct.unpack_from("=H", raw, offset)
        size = 16 if family == socket.AF_INET else 28
        out.append(unpack_sockaddr(raw[offset:offset + size]))
        offset += size
    return out


# -- sctp_sndrcvinfo ------------------------------------------------------------------

def _u32(v) -> int:
    if type(v) is not int:
        raise StructError(v)
    return v & 0xFFFFFFFF


def _u16(v) -> int:
    if type(v) is not int:
        raise StructError(v)
    return v & 0xFFFF


def _assoc_id(v) -> int:
    """GET_ASSOC_ID: 32 bits read into the signed sctp_assoc_t."""
    v = _u32(v)
    return v - (1 << 32) if v >= 1 << 31 else v


def sndrcvinfo_flags(erl_bits: int) -> int:
    """sctp_get_sendparams: Erlang's flag bits (prim_inet has ORed them) as the
    kernel's sinfo_flags."""
    bits = 0
    for _, erl_bit, kernel_bit in SNDRCV_FLAGS:
        if erl_bits & erl_bit:
            bits |= kernel_bit
    return bits


def paddr_flag_bits(erl_bits: int) -> int:
    """The spp_flags of Erlang's flag bits (the same bits), refusing an enable
    and a disable of the same thing as the driver does."""
    for enable, disable in ((1, 2), (8, 16), (32, 64)):
        if erl_bits & enable and erl_bits & disable:
            raise StructError(erl_bits)
    return erl_bits & 0x7F


def pack_sndrcvinfo(sri) -> bytes:
    """A #sctp_sndrcvinfo{} (defaults filled in) for SCTP_SNDRCV or
    SCTP_DEFAULT_SEND_PARAM: stream, flags, ppid, context, timetolive, assoc_id."""
    if type(sri) is not tuple or len(sri) != 10 or sri[0] != SCTP_SNDRCVINFO:
        raise StructError(sri)
    _, stream, _ssn, flags, ppid, context, ttl, _tsn, _cumtsn, assoc_id = sri
    return SNDRCVINFO.pack(_u16(stream), 0, sndrcvinfo_flags(_u32(flags)),
                           socket.htonl(_u32(ppid)), _u32(context), _u32(ttl), 0, 0,
                           _assoc_id(assoc_id))


def sndrcvinfo_term(raw: bytes, offset: int = 0) -> tuple:
    """sctp_parse_sndrcvinfo."""
    stream, ssn, flags, ppid, context, ttl, tsn, cumtsn, assoc_id = \
        SNDRCVINFO.unpack_from(raw, offset)
    names = [name for name, _, bit in SNDRCV_FLAGS if flags & bit]
    return (SCTP_SNDRCVINFO, stream, ssn, names, socket.ntohl(ppid), context, ttl,
            tsn, cumtsn, assoc_id & 0xFFFFFFFF)


# -- notifications --------------------------------------------------------------------

def notification_term(data: bytes) -> tuple[bool, object]:
    """A notification as (is_error, event record); the record is None for a
    type inet_drv has no clause for. Too short a notification raises
    struct.error."""
    (kind, _flags, _length) = _NOTIFICATION_HEADER.unpack_from(data, 0)
    if kind == ASSOC_CHANGE:
        _, _, _, state, error, out, inb, assoc = _ASSOC_CHANGE.unpack_from(data, 0)
        return False, (atom("sctp_assoc_change"), _ASSOC_STATES.get(state, UNDEFINED), error,
                       out, inb, assoc)
    if kind == PEER_ADDR_CHANGE:
        _, _, _, raw, state, error, assoc = _PADDR_CHANGE.unpack_from(data, 0)
        return False, (atom("sctp_paddr_change"), unpack_sockaddr(raw),
                       _PADDR_STATES.get(state, UNDEFINED), error, assoc)
    if kind == REMOTE_ERROR:
        _, _, length, error, assoc = _REMOTE_ERROR.unpack_from(data, 0)
        causes = _error_causes(data[_REMOTE_ERROR.size:length])
        return True, (atom("sctp_remote_error"), socket.ntohs(error), assoc, causes)
    if kind == SEND_FAILED:
        _, flags, length, error, info, assoc = _SEND_FAILED.unpack_from(data, 0)
        return True, (atom("sctp_send_failed"), flags == 1, error, sndrcvinfo_term(info),
                      assoc & 0xFFFFFFFF, bytes(data[_SEND_FAILED.size:length]))
    if kind == SHUTDOWN_EVENT:
        _, _, _, assoc = _SHUTDOWN_EVENT.unpack_from(data, 0)
        return False, (atom("sctp_shutdown_event"), assoc)
    if kind == ADAPTATION_INDICATION:
        _, _, _, ind, assoc = _ADAPTATION_EVENT.unpack_from(data, 0)
        return False, (atom("sctp_adaptation_event"), socket.ntohl(ind), assoc)
    if kind == PARTIAL_DELIVERY_EVENT:
        _, _, _, _ind, assoc = _PDAPI_EVENT.unpack_from(data, 0)
        return True, (atom("sctp_pdapi_event"), atom("partial_delivery_aborted"), assoc)
    # No clause in sctp_parse_async_event: the driver builds no term for it.
    return False, None


def _error_causes(chunk: bytes) -> list:
    """sctp_parse_error_chunk: the cause codes of an ERROR chunk."""
    if len(chunk) < 4:
        return []
    (length,) = struct.unpack_from("!H", chunk, 2)
    end = min(length, len(chunk))
    causes = []
    offset = 4
    while offset < end and offset + 4 <= len(chunk):
        code, clen = struct.unpack_from("!HH", chunk, offset)
        if clen <= 0:
            break
        causes.append(code)
        offset += clen
    return causes


# -- option structures ------------------------------------------------------------------

def paddrinfo_term(raw: bytes, offset: int = 0) -> tuple:
    """load_paddrinfo."""
    assoc, addr, state, cwnd, srtt, rto, mtu = PADDRINFO_S.unpack_from(raw, offset)
    return (atom("sctp_paddrinfo"), assoc & 0xFFFFFFFF, unpack_sockaddr(addr),
            _PADDRINFO_STATES.get(state, UNDEFINED), cwnd, srtt, rto, mtu)


def status_term(raw: bytes) -> tuple:
    assoc, state, rwnd, unack, pend, instrms, outstrms, frag, primary = STATUS_S.unpack(raw)
    return (atom("sctp_status"), assoc & 0xFFFFFFFF, _SSTAT_STATES.get(state, UNDEFINED),
            rwnd, unack, pend, instrms, outstrms, frag, paddrinfo_term(primary))


def paddr_flags_term(flags: int) -> list:
    return [name for name, bit in PADDR_FLAGS if flags & bit]
