"""The options of a userland SCTP endpoint (endpoint.py), in Linux's terms:
what SctpSocket and options.py set and read with setsockopt, getsockopt and
kernel.py's getsockopt_in, on usrsctp's socket (SCTP options, translated by
rfc6458.py, association ids mapped) or on the endpoint's first UDP socket
(socket and IP options, which act on the encapsulated packets and read back
as the kernel answers them). Buffer sizes and linger go to both.

Linux's answers kept where usrsctp's differ: sctp_i_want_mapped_v4_addr is
the endpoint's own flag (AF_CONN addresses have no family), ipv6_v6only reads
what was set (UDP turns it on when bound to an IPv6 address), the default
send parameters are kept here per association (every send names them), and
an association id the socket does not know names the association with the
address given, as Linux looks a transport up.
"""

from __future__ import annotations

import ctypes
import errno
import os
import socket
import struct

from . import rfc6458 as tr
from . import structs as st
from . import usrsctp_lib as u

_SO_RCVBUF, _SO_SNDBUF, _SO_LINGER = socket.SO_RCVBUF, socket.SO_SNDBUF, socket.SO_LINGER
_BOTH_LEVELS = {_SO_RCVBUF, _SO_SNDBUF, _SO_LINGER}
_SPP_PMTUD_ENABLE, _SPP_PMTUD_DISABLE = 0x08, 0x10
_INT_OPTIONS = {st.NODELAY: u.NODELAY, st.AUTOCLOSE: u.AUTOCLOSE,
                st.DISABLE_FRAGMENTS: u.DISABLE_FRAGMENTS}


def _oserror(err: int) -> OSError:
    return OSError(err, os.strerror(err))


class EndpointOptions:
    """Mixed into UserlandEndpoint: its setsockopt, getsockopt and
    getsockopt_in."""

    def setsockopt(self, level: int, optname: int, value) -> None:
        if level != st.SOL_SCTP:
            self.udp.setsockopt(level, optname, value)
            if (level, optname) == (socket.IPPROTO_IPV6, socket.IPV6_V6ONLY):
                self.v6only = 1 if value else 0
            if level == socket.SOL_SOCKET and optname in _BOTH_LEVELS:
                raw = struct.pack("=i", value) if isinstance(value, int) else bytes(value)
                self._usr_set(u.SOL_SOCKET, optname, raw)
            return
        raw = struct.pack("=i", value) if isinstance(value, int) else bytes(value)
        if optname == st.I_WANT_MAPPED_V4_ADDR:
            # How this endpoint shows an IPv4 peer of an IPv6 socket: ours
            # to decide, usrsctp's AF_CONN addresses have no family.
            self.mapped = struct.unpack("=i", raw[:4])[0] != 0
        elif optname in _INT_OPTIONS:
            self._usr_set(u.IPPROTO_SCTP, _INT_OPTIONS[optname], raw[:4])
        elif optname == st.RTOINFO:
            self._usr_set(u.IPPROTO_SCTP, u.RTOINFO, tr.rtoinfo(raw, self.loc))
        elif optname == st.ASSOCINFO:
            self._usr_set(u.IPPROTO_SCTP, u.ASSOCINFO, tr.assocparams_to_usrsctp(raw, self.loc))
        elif optname == st.INITMSG:
            self._usr_set(u.IPPROTO_SCTP, u.INITMSG, raw)
        elif optname in (st.PRIMARY_ADDR, st.SET_PEER_PRIMARY_ADDR):
            target = u.PRIMARY_ADDR if optname == st.PRIMARY_ADDR else u.SET_PEER_PRIMARY_ADDR
            conn = self.to_conn(st.PRIM_S.unpack(raw)[1])
            self._usr_set(u.IPPROTO_SCTP, target,
                          tr.prim_to_usrsctp(raw, lambda _: conn, self._loc_or_by(conn)))
        elif optname == st.ADAPTATION_LAYER:
            self._usr_set(u.IPPROTO_SCTP, u.ADAPTATION_LAYER, raw[:4])
        elif optname == st.PEER_ADDR_PARAMS:
            params, sackdelay, sack_flags = tr.paddrparams_to_usrsctp(raw, self.to_conn, self.loc)
            self._usr_set(u.IPPROTO_SCTP, u.PEER_ADDR_PARAMS, params)
            user_flags = st.PADDRPARAMS_S.unpack(raw)[6]
            if user_flags & _SPP_PMTUD_DISABLE:
                self.pmtud_off = True
            elif user_flags & _SPP_PMTUD_ENABLE:
                self.pmtud_off = False
            if sack_flags:
                delay = 0 if sack_flags & 0x40 else (sackdelay or self.sack_delay[0])
                assoc = self.loc(struct.unpack_from("=I", raw, 0)[0])
                self._usr_set(u.IPPROTO_SCTP, u.DELAYED_SACK, u.SACK_INFO.pack(assoc, delay, 0))
                self.sack_delay = (delay or self.sack_delay[0], sack_flags)
        elif optname == st.DEFAULT_SEND_PARAM:
            assoc = st.SNDRCVINFO.unpack(raw)[8]
            if assoc and self.type == socket.SOCK_SEQPACKET and not self._assoc_exists(assoc):
                raise _oserror(errno.EINVAL)
            self.default_send[assoc] = raw
        elif optname == st.EVENTS:
            self.events = bytearray(raw[:tr.LINUX_EVENTS_SIZE].ljust(tr.LINUX_EVENTS_SIZE, b"\0"))
            self._set_events()
        elif optname == st.MAXSEG:
            self._usr_set(u.IPPROTO_SCTP, u.MAXSEG,
                          u.ASSOC_VALUE.pack(0, struct.unpack("=i", raw[:4])[0] & 0xFFFFFFFF))
        else:
            raise _oserror(errno.ENOPROTOOPT)

    def _set_events(self) -> None:
        on = struct.pack("=i", 1 if self.events[0] else 0)
        self._usr_set(u.IPPROTO_SCTP, u.RECVRCVINFO, on, check=False)
        for i, kind in enumerate(tr.EVENT_TYPES):
            if kind is not None:
                self._usr_set(u.IPPROTO_SCTP, u.EVENT,
                              u.EVENT_S.pack(0, kind, 1 if self.events[i] else 0), check=False)

    def _loc_or_by(self, conn: bytes):
        """`loc`, except that an id this socket does not know names the
        association with that peer address: Linux looks a transport up by
        address and checks the id only when it names an association."""
        def loc(gid: int) -> int:
            uid = self.loc(gid)
            if uid == 0xFFFFFFF0:
                found = self.lib.getassocid(self.so, conn[:u.SOCKADDR_CONN.size])
                return found or uid
            return uid
        return loc

    def _assoc_exists(self, assoc: int) -> bool:
        try:
            return bool(self.peer_addrs_python(assoc))
        except OSError:
            return False

    def _usr_set(self, level: int, optname: int, raw: bytes, check: bool = True) -> None:
        if self.lib.setsockopt(self.so, level, optname, raw, len(raw)) < 0 and check:
            raise _oserror(ctypes.get_errno() or errno.EINVAL)

    def _usr_get(self, level: int, optname: int, data: bytes, size: int) -> bytes:
        buf = ctypes.create_string_buffer(bytes(data).ljust(size, b"\0"), size)
        length = ctypes.c_uint32(size)
        if self.lib.getsockopt(self.so, level, optname, buf, ctypes.byref(length)) < 0:
            raise _oserror(ctypes.get_errno() or errno.EINVAL)
        return buf.raw[:length.value]

    def getsockopt(self, level: int, optname: int, buflen: int = 0):
        if (level, optname) == (socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) and not buflen:
            self.udp.getsockopt(level, optname)   # the error of an IPv4 socket
            return self.v6only
        if level != st.SOL_SCTP:
            if buflen:
                return self.udp.getsockopt(level, optname, buflen)
            return self.udp.getsockopt(level, optname)
        if optname == st.I_WANT_MAPPED_V4_ADDR:
            return int(self.mapped) if not buflen else struct.pack("=i", int(self.mapped))
        if optname in _INT_OPTIONS:
            value = struct.unpack("=i", self._usr_get(u.IPPROTO_SCTP, _INT_OPTIONS[optname],
                                                      b"", 4)[:4])[0]
            return value if not buflen else struct.pack("=i", value)
        if optname == st.MAXSEG:
            value = u.ASSOC_VALUE.unpack(self._usr_get(u.IPPROTO_SCTP, u.MAXSEG,
                                                       bytes(8), 8))[1]
            return value if not buflen else struct.pack("=i", value)
        if optname == st.INITMSG:
            return self._usr_get(u.IPPROTO_SCTP, u.INITMSG, b"", 8)
        if optname == st.ADAPTATION_LAYER:
            return self._usr_get(u.IPPROTO_SCTP, u.ADAPTATION_LAYER, b"", 4)
        if optname == st.EVENTS:
            return bytes(self.events)[:buflen or tr.LINUX_EVENTS_SIZE]
        raise _oserror(errno.ENOPROTOOPT)

    def getsockopt_in(self, optname: int, data: bytes, size: int | None = None) -> bytes:
        """kernel.getsockopt_in: an SCTP option read with input in its buffer."""
        if optname == st.RTOINFO:
            raw = self._usr_get(u.IPPROTO_SCTP, u.RTOINFO, tr.rtoinfo(data, self.loc), 16)
            return tr.rtoinfo(raw, self.glob)
        if optname == st.ASSOCINFO:
            assoc = st.ASSOCPARAMS_S.unpack(data)[0]
            raw = self._usr_get(u.IPPROTO_SCTP, u.ASSOCINFO,
                                u.ASSOCPARAMS.pack(self.loc(assoc & 0xFFFFFFFF), 0, 0, 0, 0, 0),
                                20)
            return tr.assocparams_to_linux(raw, self.glob)
        if optname in (st.PRIMARY_ADDR, st.SET_PEER_PRIMARY_ADDR):
            target = u.PRIMARY_ADDR if optname == st.PRIMARY_ADDR else u.SET_PEER_PRIMARY_ADDR
            assoc = st.PRIM_S.unpack(data)[0]
            raw = self._usr_get(u.IPPROTO_SCTP, target,
                                u.SETPRIM.pack(bytes(128), self.loc(assoc & 0xFFFFFFFF)),
                                u.SETPRIM.size)
            return tr.prim_to_linux(raw, self.to_linux, self.glob)
        if optname == st.PEER_ADDR_PARAMS:
            params, _, _ = tr.paddrparams_to_usrsctp(data, self.to_conn, self.loc)
            raw = self._usr_get(u.IPPROTO_SCTP, u.PEER_ADDR_PARAMS, params, u.PADDRPARAMS.size)
            linux = tr.paddrparams_to_linux(raw, self.to_linux, self.glob, *self.sack_delay)
            fields = list(st.PADDRPARAMS_S.unpack(linux))
            if fields[6] & _SPP_PMTUD_DISABLE and not self.pmtud_off:
                fields[6] = fields[6] & ~_SPP_PMTUD_DISABLE | _SPP_PMTUD_ENABLE
                if fields[0] == 0:
                    fields[4] = 0   # the socket's own: no path, no MTU (Linux's 0)
            return st.PADDRPARAMS_S.pack(*fields)
        if optname == st.DEFAULT_SEND_PARAM:
            assoc = st.SNDRCVINFO.unpack(data)[8]
            if assoc and self.type == socket.SOCK_SEQPACKET and not self._assoc_exists(assoc):
                raise _oserror(errno.EINVAL)
            raw = self.default_send.get(assoc, self.default_send.get(0))
            if raw is None:
                return st.SNDRCVINFO.pack(0, 0, 0, 0, 0, 0, 0, 0, assoc)
            fields = list(st.SNDRCVINFO.unpack(raw))
            fields[8] = assoc
            return st.SNDRCVINFO.pack(*fields)
        if optname == st.STATUS:
            assoc = st.STATUS_S.unpack(data)[0]
            raw = self._usr_get(u.IPPROTO_SCTP, u.STATUS,
                                struct.pack("=I", self.loc(assoc & 0xFFFFFFFF)),
                                u.STATUS_S.size + u.PADDRINFO.size)
            return tr.status_to_linux(raw, self.to_linux, self.glob)
        if optname == st.GET_PEER_ADDR_INFO:
            assoc, addr = struct.unpack_from("=i128s", data, 0)
            conn = self.to_conn(addr)
            query = u.PADDRINFO.pack(conn, self._loc_or_by(conn)(assoc & 0xFFFFFFFF),
                                     0, 0, 0, 0, 0)
            raw = self._usr_get(u.IPPROTO_SCTP, u.GET_PEER_ADDR_INFO, query, u.PADDRINFO.size)
            return tr.paddrinfo_to_linux(raw, self.to_linux, self.glob)
        raise _oserror(errno.EINVAL)
