"""usrsctp's structures (FreeBSD's RFC 6458 socket API) to and from Linux's
(uapi/linux/sctp.h), the ones structs.py reads as inet_drv does. No I/O.

The userland endpoint (endpoint.py) speaks Linux's structures to the socket
class, so that everything inet_drv decides (pieces, events, errors) stays in
one place whatever the backend; this module is the translation, both ways:
- notifications: other type numbers (1.. instead of 0x8001..), other layouts
  (paddr_change, send_failed, pdapi), other state numbers (sac_state and
  spc_state count from 1 here, from 0 on Linux);
- received data: an sctp_rcvinfo becomes the SCTP_SNDRCV cmsg Linux gives;
- options: other numbers and field orders (assocparams, setprim,
  paddrparams, paddrinfo, status), other flag bits (sinfo_flags), other state
  values (sstat_state, spinfo_state).

Addresses inside structures are Linux sockaddr_storage bytes on one side and
usrsctp's sockaddr_conn (an opaque token) on the other; the endpoint passes
the two conversions in (`to_linux`, `to_conn`). So with association ids:
usrsctp numbers them per socket from 3, Linux for the whole machine, which
the Erlang side sees (two associations of one process never share an id);
the endpoint passes `glob` (usrsctp's to the machine-wide one) and `loc`.
"""

from __future__ import annotations

import struct
from typing import Callable

from . import structs as st
from . import usrsctp_lib as u

LINUX_MSG_NOTIFICATION = st.MSG_NOTIFICATION
LINUX_MSG_EOR = st.MSG_EOR

ToLinux = Callable[[bytes], bytes]   # a usrsctp sockaddr (128 bytes) -> Linux's
ToConn = Callable[[bytes], bytes]    # a Linux sockaddr (128 bytes) -> usrsctp's
Ids = Callable[[int], int]           # an association id, usrsctp's <-> Linux's (machine-wide)

_HEADER = struct.Struct("=HHI")
_L_ASSOC_CHANGE = struct.Struct("=HHIHHHHi")
_U_ASSOC_CHANGE = struct.Struct("=HHIHHHHI")
_U_PADDR_CHANGE = struct.Struct("=HHI128sIII4x")
_L_PADDR_CHANGE = struct.Struct("=HHI128siii")
_U_REMOTE_ERROR = struct.Struct("=HHIH2xI")
_L_REMOTE_ERROR = struct.Struct("=HHIH2xi")
_U_SEND_FAILED_EVENT = struct.Struct("=HHII16sI")
_L_SEND_FAILED = struct.Struct("=HHII32si")
_U_SHUTDOWN = struct.Struct("=HHII")
_U_ADAPTATION = struct.Struct("=HHIII")
_U_PDAPI = struct.Struct("=HHIIIII")
_L_PDAPI = struct.Struct("=HHIIiII")

# usrsctp's paddrinfo states: ACTIVE 1, INACTIVE 2, UNCONFIRMED 0x200;
# Linux's: INACTIVE 0, PF 1, ACTIVE 2, UNCONFIRMED 3.
_PADDRINFO_STATE = {0x0001: 2, 0x0002: 0, 0x0200: 3}
# usrsctp's sstat_state bits to Linux's enum sctp_sstat_state.
_SSTAT_STATE = {0x0000: 1, 0x1000: 1, 0x2000: 1, 0x0002: 2, 0x0004: 3, 0x0008: 4,
                0x0080: 5, 0x0010: 6, 0x0020: 7, 0x0040: 8}

# Linux sinfo_flags bits <-> usrsctp's.
_FLAGS = ((st.SCTP_UNORDERED, u.SCTP_UNORDERED), (st.SCTP_ADDR_OVER, u.SCTP_ADDR_OVER),
          (st.SCTP_ABORT, u.SCTP_ABORT), (st.SCTP_EOF, u.SCTP_EOF))


def flags_to_usrsctp(linux: int) -> int:
    return sum(ub for lb, ub in _FLAGS if linux & lb)


def flags_to_linux(usr: int) -> int:
    return sum(lb for lb, ub in _FLAGS if usr & ub)


# -- received data -----------------------------------------------------------------------

def sndrcvinfo(rcvinfo: bytes, glob: Ids) -> bytes:
    """An sctp_rcvinfo as the sctp_sndrcvinfo of Linux's SCTP_SNDRCV cmsg: no
    timetolive on receive, and a cumulative TSN only for an unordered
    message (Linux leaves it 0 for the others)."""
    sid, ssn, flags, ppid, tsn, cumtsn, context, assoc = u.RCVINFO.unpack_from(rcvinfo, 0)
    linux_flags = flags_to_linux(flags)
    if not linux_flags & st.SCTP_UNORDERED:
        cumtsn = 0
    return st.SNDRCVINFO.pack(sid, ssn, linux_flags, ppid, context, 0, tsn, cumtsn,
                              _signed(glob(assoc)))


def sendv_spa(linux_sndrcvinfo: bytes, loc: Ids) -> bytes:
    """Linux's SCTP_SNDRCV (what inet_drv sends with) as usrsctp_sendv's
    sctp_sendv_spa: the send info, and a timetolive as PR-SCTP's TTL policy."""
    stream, _ssn, flags, ppid, context, ttl, _tsn, _cum, assoc = \
        st.SNDRCVINFO.unpack(linux_sndrcvinfo)
    valid = u.SEND_SNDINFO_VALID | (u.SEND_PRINFO_VALID if ttl else 0)
    info = u.SNDINFO.pack(stream, flags_to_usrsctp(flags), ppid, context, loc(assoc & 0xFFFFFFFF))
    return u.SPA.pack(valid, info, u.PR_SCTP_TTL if ttl else 0, ttl, 0)


# -- notifications -------------------------------------------------------------------------

COMM_UP, RESTART, CANT_STR_ASSOC = 1, 3, 5   # usrsctp's sac_state values
ADDR_CONFIRMED = 6                          # usrsctp's spc_state value


def is_addr_confirmed(data: bytes) -> bool:
    """usrsctp says a peer address was confirmed, which it does for the path
    an association starts on, where Linux says nothing."""
    if len(data) < _U_PADDR_CHANGE.size:
        return False
    kind = _HEADER.unpack_from(data, 0)[0]
    return kind == u.PEER_ADDR_CHANGE and _U_PADDR_CHANGE.unpack_from(data, 0)[4] == ADDR_CONFIRMED


def notification(data: bytes, to_linux: ToLinux, glob: Ids) -> bytes | None:
    """A usrsctp notification as the Linux one inet_drv parses; None for a kind
    Linux would not have sent (sender dry, stream reset, ...)."""
    kind, flags, _length = _HEADER.unpack_from(data, 0)
    if kind == u.ASSOC_CHANGE:
        _, _, _, state, error, out, inb, assoc = _U_ASSOC_CHANGE.unpack_from(data, 0)
        if state not in (COMM_UP, RESTART):
            # Linux gives the stream counts only when the association is up,
            # the error cause in network byte order, and no id to an
            # association that never came up.
            out = inb = 0
            error = ((error & 0xFF) << 8) | (error >> 8)
            if state == CANT_STR_ASSOC:
                assoc, error = 0, 0
        return _L_ASSOC_CHANGE.pack(st.ASSOC_CHANGE, flags, _L_ASSOC_CHANGE.size, state - 1, error,
                                    out, inb, _signed(glob(assoc)))
    if kind == u.PEER_ADDR_CHANGE:
        _, _, _, addr, state, error, assoc = _U_PADDR_CHANGE.unpack_from(data, 0)
        return _L_PADDR_CHANGE.pack(st.PEER_ADDR_CHANGE, flags, _L_PADDR_CHANGE.size,
                                    to_linux(addr), state - 1, error, _signed(glob(assoc)))
    if kind == u.REMOTE_ERROR:
        _, _, length, error, assoc = _U_REMOTE_ERROR.unpack_from(data, 0)
        body = data[_U_REMOTE_ERROR.size:length]
        return _L_REMOTE_ERROR.pack(st.REMOTE_ERROR, flags, _L_REMOTE_ERROR.size + len(body),
                                    error, _signed(glob(assoc))) + body
    if kind == u.SEND_FAILED_EVENT:
        _, ssf_flags, length, error, info, assoc = _U_SEND_FAILED_EVENT.unpack_from(data, 0)
        sid, sflags, ppid, context, _ = u.SNDINFO.unpack(info)
        assoc = glob(assoc)
        sri = st.SNDRCVINFO.pack(sid, 0, flags_to_linux(sflags), ppid, context, 0, 0, 0,
                                 _signed(assoc))
        body = data[_U_SEND_FAILED_EVENT.size:length]
        # usrsctp: SCTP_DATA_UNSENT 1, SCTP_DATA_SENT 2; Linux: 0 and 1.
        linux_flags = 1 if ssf_flags & 2 else 0
        return _L_SEND_FAILED.pack(st.SEND_FAILED, linux_flags, _L_SEND_FAILED.size + len(body),
                                   error, sri, _signed(assoc)) + body
    if kind == u.SHUTDOWN_EVENT:
        _, _, _, assoc = _U_SHUTDOWN.unpack_from(data, 0)
        return _U_SHUTDOWN.pack(st.SHUTDOWN_EVENT, flags, _U_SHUTDOWN.size, glob(assoc))
    if kind == u.ADAPTATION_INDICATION:
        _, _, _, ind, assoc = _U_ADAPTATION.unpack_from(data, 0)
        return _U_ADAPTATION.pack(st.ADAPTATION_INDICATION, flags, _U_ADAPTATION.size, ind,
                                  glob(assoc))
    if kind == u.PARTIAL_DELIVERY_EVENT:
        _, _, _, ind, stream, seq, assoc = _U_PDAPI.unpack_from(data, 0)
        return _L_PDAPI.pack(st.PARTIAL_DELIVERY_EVENT, flags, _L_PDAPI.size, ind,
                             _signed(glob(assoc)), stream, seq)
    return None


# Linux's sctp_event_subscribe fields, in order, as usrsctp's event types
# (data_io is SCTP_RECVRCVINFO, not an event).
EVENT_TYPES = (None, u.ASSOC_CHANGE, u.PEER_ADDR_CHANGE, u.SEND_FAILED_EVENT, u.REMOTE_ERROR,
               u.SHUTDOWN_EVENT, u.PARTIAL_DELIVERY_EVENT, u.ADAPTATION_INDICATION)
LINUX_EVENTS_SIZE = 14


# -- options -----------------------------------------------------------------------------

def rtoinfo(raw: bytes, ids: Ids) -> bytes:
    """sctp_rtoinfo is laid out alike; only its association id changes."""
    assoc, initial, max_, min_ = u.RTOINFO_S.unpack(raw[:16])
    return u.RTOINFO_S.pack(ids(assoc), initial, max_, min_)


def assocparams_to_usrsctp(raw: bytes, loc: Ids) -> bytes:
    assoc, maxrxt, peers, peer_rwnd, local_rwnd, cookie = st.ASSOCPARAMS_S.unpack(raw)
    return u.ASSOCPARAMS.pack(loc(assoc & 0xFFFFFFFF), peer_rwnd, local_rwnd, cookie, maxrxt,
                              peers)


def assocparams_to_linux(raw: bytes, glob: Ids) -> bytes:
    """The socket's parameters (association 0) have no windows on Linux."""
    assoc, peer_rwnd, local_rwnd, cookie, maxrxt, peers = u.ASSOCPARAMS.unpack(raw)
    if assoc == 0:
        peer_rwnd = local_rwnd = peers = 0
    return st.ASSOCPARAMS_S.pack(_signed(glob(assoc)), maxrxt, peers, peer_rwnd, local_rwnd,
                                 cookie)


def prim_to_usrsctp(raw: bytes, to_conn: ToConn, loc: Ids) -> bytes:
    assoc, addr = st.PRIM_S.unpack(raw)
    return u.SETPRIM.pack(to_conn(addr), loc(assoc & 0xFFFFFFFF))


def prim_to_linux(raw: bytes, to_linux: ToLinux, glob: Ids) -> bytes:
    addr, assoc = u.SETPRIM.unpack(raw)
    return st.PRIM_S.pack(_signed(glob(assoc)), to_linux(addr))


# spp_flags bits are the same up to PMTUD; Linux's SACKDELAY_ENABLE (32) and
# _DISABLE (64) have no usrsctp twin (its delayed SACK is SCTP_DELAYED_SACK).
_SPP_COMMON = 0x1F


def paddrparams_to_usrsctp(raw: bytes, to_conn: ToConn, loc: Ids) -> tuple[bytes, int, int]:
    """(usrsctp's sctp_paddrparams, Linux's sackdelay, Linux's sackdelay flags)."""
    assoc, addr, hb, maxrxt, mtu, sackdelay, flags, _label, _dscp = st.PADDRPARAMS_S.unpack(raw)
    return (u.PADDRPARAMS.pack(to_conn(addr), loc(assoc & 0xFFFFFFFF), hb, mtu,
                               flags & _SPP_COMMON, 0, maxrxt, 0), sackdelay, flags & 0x60)


def paddrparams_to_linux(raw: bytes, to_linux: ToLinux, glob: Ids, sackdelay: int,
                         sack_flags: int) -> bytes:
    addr, assoc, hb, mtu, flags, _label, maxrxt, _dscp = u.PADDRPARAMS.unpack(raw)
    return st.PADDRPARAMS_S.pack(_signed(glob(assoc)), to_linux(addr), hb, maxrxt, mtu,
                                 sackdelay, (flags & _SPP_COMMON) | sack_flags, 0, 0)


def paddrinfo_to_linux(raw: bytes, to_linux: ToLinux, glob: Ids) -> bytes:
    addr, assoc, state, cwnd, srtt, rto, mtu = u.PADDRINFO.unpack_from(raw, 0)
    return st.PADDRINFO_S.pack(_signed(glob(assoc)), to_linux(addr),
                               _PADDRINFO_STATE.get(state & 0x0203, 0), cwnd, srtt, rto, mtu)


def status_to_linux(raw: bytes, to_linux: ToLinux, glob: Ids) -> bytes:
    assoc, state, rwnd, unack, pend, instrms, outstrms, frag = u.STATUS_S.unpack_from(raw, 0)
    primary = paddrinfo_to_linux(raw[u.STATUS_S.size:u.STATUS_S.size + u.PADDRINFO.size],
                                 to_linux, glob)
    return st.STATUS_S.pack(_signed(glob(assoc)), _SSTAT_STATE.get(state & 0xFFFF, 0), rwnd,
                            unack, pend, instrms, outstrms, frag, primary)


def _signed(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v >= 1 << 31 else v
