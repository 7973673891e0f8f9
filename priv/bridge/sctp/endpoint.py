"""A usrsctp socket that the SCTP socket class (socket.py) drives as it
drives a kernel one: the methods of Python's socket object it calls
(recvmsg, sendmsg, bind, connect_ex, listen, getsockopt, setsockopt,
getsockname, close) and those of kernel.py (getsockopt_in, connectx,
peeloff, bindx, local_addrs, peer_addrs), with Linux's numbers and
structures on this side and usrsctp's on the other (rfc6458.py translates).
Everything inet_drv decides stays in socket.py, whatever the backend.

- Readiness: an eventfd stands for the usrsctp socket in epoll. It is
  readable exactly while usrsctp has something to read (or a piece of a
  message is held here), so the loop's level-triggered reading works
  unchanged; the stack's upcalls and every recvmsg keep it true.
- Addresses: local ones are the UDP sockets bound for this endpoint
  (userland.Binding); a peer's is a path token, shown as the path's IP with
  the SCTP port of the sockaddr_conn.
- Options: endpoint_options.py (the SCTP ones to usrsctp, translated;
  socket-level and IP ones to the endpoint's first UDP socket).
- A message is handed out in pieces of at most the caller's size, as the
  kernel does (MSG_EOR on the last): usrsctp is read with a larger buffer,
  since a notification must be whole to be translated.
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
from .endpoint_options import EndpointOptions
from .userland import Binding, UserlandStack

_READ_CHUNK = 65536
_SPP_PMTUD_DISABLE = 0x10


def _oserror(err: int) -> OSError:
    return OSError(err, os.strerror(err))


class UserlandEndpoint(EndpointOptions):
    """One usrsctp socket (one-to-many `seqpacket` or one-to-one `stream`)."""

    def __init__(self, stack: UserlandStack, family: int, kind: int, so: int | None = None,
                 parent: "UserlandEndpoint | None" = None) -> None:
        self.stack = stack
        self.lib = stack.lib
        self.family = family
        self.type = kind
        self.proto = st.SOL_SCTP
        if so is None:
            so = self.lib.socket(u.AF_CONN, kind, u.IPPROTO_SCTP, None, None, 0, None)
            if not so:
                raise _oserror(ctypes.get_errno() or errno.ENOMEM)
        self.so = so
        self.lib.set_non_blocking(so, 1)
        self._efd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
        self._flagged = False
        self._held = b""          # the rest of a message read from usrsctp
        self._held_meta = None    # its (flags, anc, addr)
        self.aborted: set[int] = set()   # associations this socket aborted
        self._partial = False     # the held message has more to come from usrsctp
        self._eor = 0
        self._bufsize = 1
        self.closed = False
        self._owns_udp = parent is None
        self.group = stack.new_group() if parent is None else parent.group
        if parent is None:
            self.udp = socket.socket(family, socket.SOCK_DGRAM)
            if family == socket.AF_INET6:
                # Linux's default for any new socket (net.ipv6.bindv6only 0).
                self.udp.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            # What ipv6_v6only reads: UDP turns it on when bound to an IPv6
            # address that is not the wildcard, SCTP does not.
            self.v6only = 0
            self.bindings: list[Binding] = []
            self.events = bytearray(tr.LINUX_EVENTS_SIZE)
            self.mapped = True   # Linux's default
            self.default_send: dict[int, bytes] = {}
            self.sack_delay = (200, 0x20)
            self.pmtud_off = False
        else:
            self.udp = parent.udp
            self.bindings = list(parent.bindings)
            for b in self.bindings:
                b.refs += 1
            self.events = bytearray(parent.events)
            self.mapped = parent.mapped
            self.v6only = parent.v6only
            self.default_send = dict(parent.default_send)
            self.sack_delay = parent.sack_delay
            self.pmtud_off = parent.pmtud_off
        stack.add_endpoint(so, self)
        self._set_events()

    def __repr__(self) -> str:
        return f"<UserlandEndpoint {self.getsockname()} {len(self.bindings)} addresses>"

    def glob(self, uid: int) -> int:
        return self.stack.global_id(self.group, uid)

    def loc(self, gid: int) -> int:
        return self.stack.local_id(self.group, gid)

    def association_ids(self) -> list:
        """The machine-wide ids of this socket's associations, past ones too
        (an ABORT to one that is gone fails, harmlessly): what the fault
        layer's `abort` aborts."""
        return self.stack.group_ids(self.group)

    # -- what the loop sees ----------------------------------------------------------

    def fileno(self) -> int:
        return self._efd

    def setblocking(self, flag: bool) -> None:
        """Always non-blocking."""

    def update_readiness(self) -> None:
        if self.closed:
            return
        held = bool(self._held) and (not self._partial or len(self._held) >= self._bufsize)
        readable = held or bool(self.lib.get_events(self.so) & u.SCTP_EVENT_READ)
        while readable and not self._held and self._skip_addr_confirmed():
            readable = bool(self.lib.get_events(self.so) & u.SCTP_EVENT_READ)
        if readable and not self._flagged:
            os.eventfd_write(self._efd, 1)
            self._flagged = True
        elif not readable and self._flagged:
            try:
                os.eventfd_read(self._efd)
            except BlockingIOError:
                pass
            self._flagged = False

    def _skip_addr_confirmed(self) -> bool:
        """Read away a notification that a path was confirmed: usrsctp sends
        one for the path an association comes up on, Linux none (and an
        unread one would make close abort the association, as unread data
        does on Linux). True when one was read."""
        n, head, flags = self._recvv(64, u.MSG_PEEK)
        if n < 8 or not flags & u.MSG_NOTIFICATION:
            return False
        if struct.unpack_from("=H", head, 0)[0] != u.PEER_ADDR_CHANGE:
            return False
        length = struct.unpack_from("=I", head, 4)[0]
        n, whole, flags = self._recvv(max(length, 64), u.MSG_PEEK)
        if n < 0 or not tr.is_addr_confirmed(whole):
            return False
        self._recvv(max(length, 64), 0)
        return True

    def _recvv(self, size: int, flags: int) -> tuple[int, bytes, int]:
        """usrsctp_recvv without the address or the info (every pointer
        given: the library writes through them unchecked)."""
        buf = ctypes.create_string_buffer(size)
        frm = ctypes.create_string_buffer(128)
        frmlen = ctypes.c_uint32(128)
        info = ctypes.create_string_buffer(u.RCVINFO.size)
        infolen = ctypes.c_uint32(u.RCVINFO.size)
        infotype = ctypes.c_uint(0)
        mflags = ctypes.c_int(flags)
        n = self.lib.recvv(self.so, buf, size, frm, ctypes.byref(frmlen), info,
                           ctypes.byref(infolen), ctypes.byref(infotype), ctypes.byref(mflags))
        return n, buf.raw[:max(n, 0)], mflags.value

    # -- addresses -----------------------------------------------------------------

    def _to_python(self, ip: str, port: int) -> tuple:
        if ip.startswith("::ffff:") and "." in ip and not self.mapped:
            return (ip[7:], port)
        if ":" in ip:
            return (ip, port, 0, 0)
        if self.family == socket.AF_INET6 and self.mapped:
            return ("::ffff:" + ip, port, 0, 0)
        return (ip, port)

    def _peer(self, raw: bytes) -> tuple | None:
        """A usrsctp sockaddr_conn as Python's address of the peer."""
        port, token = u.parse_sockaddr_conn(raw)
        path = self.stack.paths.get(token)
        if path is None:
            return None
        return self._to_python(path.remote[0], port)

    def to_linux(self, raw: bytes) -> bytes:
        """A usrsctp sockaddr (in a structure) as Linux's sockaddr_storage."""
        peer = self._peer(raw)
        if peer is None:
            # No address: Linux's zeroed one of the socket's family.
            return struct.pack("=H", self.family).ljust(st.SOCKADDR_STORAGE, b"\0")
        return _linux_sockaddr(peer)

    def to_conn(self, raw: bytes) -> bytes:
        """A Linux sockaddr_storage naming a peer as usrsctp's sockaddr_conn."""
        family = struct.unpack_from("=H", raw, 0)[0]
        if family not in (socket.AF_INET, socket.AF_INET6):
            return bytes(128)
        (ip, port) = st.unpack_sockaddr(raw)
        text = _ip_text(ip)
        token = self._token_for(text, port)
        return u.sockaddr_conn(port, token).ljust(128, b"\0")

    def _token_for(self, ip: str, port: int) -> int:
        wanted = {ip, "::ffff:" + ip}
        udp_ports = {port, self.stack.remote_udp_port(port)}
        carriers = list(self.bindings)
        if self.stack.raw is not None:
            carriers = [self.stack.raw.binding(socket.AF_INET6 if ":" in ip else socket.AF_INET)]
        for b in carriers:
            for token in b.tokens:
                path = self.stack.paths.get(token)
                if path is not None and path.remote[0] in wanted and path.remote[1] in udp_ports:
                    return token
        return 0

    def getsockname(self):
        if self.bindings:
            return self.bindings[0].address
        return self.udp.getsockname()

    def getpeername(self):
        addrs = self.peer_addrs_python(0)
        if not addrs:
            raise _oserror(errno.ENOTCONN)
        return addrs[0]

    def peer_addrs_python(self, assoc_id: int) -> list:
        ptr = ctypes.c_void_p()
        n = self.lib.getpaddrs(self.so, self.loc(assoc_id & 0xFFFFFFFF), ctypes.byref(ptr))
        if n < 0:
            raise _oserror(ctypes.get_errno() or errno.EINVAL)
        out = []
        try:
            for i in range(n):
                raw = ctypes.string_at(ptr.value + i * u.SOCKADDR_CONN.size, u.SOCKADDR_CONN.size)
                peer = self._peer(raw)
                if peer is not None:
                    out.append(peer)
        finally:
            if n > 0:
                self.lib.freepaddrs(ptr)
        return out

    def peer_addrs(self, assoc_id: int) -> list:
        """sctp_getpaddrs, as kernel.peer_addrs: [{IP, Port}]."""
        return [st.python_address(a) for a in self.peer_addrs_python(assoc_id)]

    def local_addrs(self, assoc_id: int) -> list:
        """sctp_getladdrs: the addresses this endpoint is bound to."""
        if assoc_id and not self.peer_addrs_python(assoc_id):
            raise _oserror(errno.EINVAL)
        return [st.python_address(b.address) for b in self.bindings]

    # -- binding and associations --------------------------------------------------------

    def bind(self, address: tuple) -> None:
        if self.bindings:
            raise _oserror(errno.EINVAL)
        binding = self.stack.bind(self.udp, address)
        binding.refs += 1
        self.bindings.append(binding)
        port = binding.address[1]
        if self.lib.bind(self.so, u.sockaddr_conn(port, 0), u.SOCKADDR_CONN.size) < 0:
            err = ctypes.get_errno() or errno.EADDRINUSE
            self.bindings.clear()
            self.stack.release(binding, False)
            self.udp = socket.socket(self.family, socket.SOCK_DGRAM)
            raise _oserror(err)
        ip = binding.address[0]
        if ip.startswith("127.") or ip == "::1":
            # Bound to the loopback: every path is the loopback's.
            self._set_path_mtu(0, bytes(128), self.stack.path_mtu(ip))

    def _autobind(self) -> None:
        if not self.bindings:
            self.bind(("::", 0, 0, 0) if self.family == socket.AF_INET6 else ("0.0.0.0", 0))

    def bindx(self, packed: bytes, add: bool = True) -> None:
        for addr in _unpack_linux_list(packed):
            python = _python_of(addr)
            if add:
                if not self.bindings:
                    self.bind(python)
                    continue
                port = self.bindings[0].address[1]
                if python[1] not in (0, port):
                    raise _oserror(errno.EINVAL)
                sock = socket.socket(self.family, socket.SOCK_DGRAM)
                try:
                    binding = self.stack.bind(sock, (python[0], port) + tuple(python[2:]))
                except OSError:
                    sock.close()
                    raise
                binding.refs += 1
                self.bindings.append(binding)
            else:
                for b in self.bindings[1:]:
                    if _ip_text(st.python_address(b.address)[0]) == _ip_text(
                            st.python_address(python)[0]):
                        self.bindings.remove(b)
                        self.stack.release(b, False)
                        break
                else:
                    raise _oserror(errno.EINVAL)

    def _conn_address(self, python: tuple) -> bytes:
        ip, port = python[0], python[1]
        binding = self.stack.carrier(self._binding_for(ip), ip)
        token = self.stack.path(binding, (ip, self.stack.remote_udp_port(port)))
        return u.sockaddr_conn(port, token)

    def _binding_for(self, ip: str) -> Binding:
        want6 = ":" in ip
        for b in self.bindings:
            if (b.family == socket.AF_INET6) == want6:
                return b
        return self.bindings[0]

    def connect_ex(self, address: tuple) -> int:
        try:
            self._autobind()
        except OSError as exc:
            return exc.errno
        conn = self._conn_address(address)
        if self.lib.connect(self.so, conn, len(conn)) < 0:
            err = ctypes.get_errno()
            if err != errno.EINPROGRESS:
                return err
        self._set_path_mtu(self.lib.getassocid(self.so, conn), conn, self.stack.path_mtu(address[0]))
        return errno.EINPROGRESS

    def _set_path_mtu(self, uid: int, conn: bytes, mtu: int | None) -> None:
        """The path's MTU from the route (userland.path_mtu), fixed: usrsctp
        would probe upward from 1280 with no ICMP to guide it. Reading the
        option still shows discovery on (ours) unless the user turns it off."""
        if mtu is None:
            return
        params = u.PADDRPARAMS.pack(conn.ljust(128, b"\0"), uid, 0, mtu, _SPP_PMTUD_DISABLE, 0, 0, 0)
        self.lib.setsockopt(self.so, u.IPPROTO_SCTP, u.PEER_ADDR_PARAMS, params, len(params))

    def connectx(self, packed: bytes) -> tuple[int, int]:
        """sctp_connectx. usrsctp 0.9.5's connectx takes no AF_CONN address, so
        the association starts with connect to the first address; the others
        are not added as paths (a deviation: no multihoming toward a peer)."""
        try:
            self._autobind()
        except OSError as exc:
            return exc.errno, 0
        addrs = _unpack_linux_list(packed)
        if not addrs:
            return errno.EINVAL, 0
        if len(set(addrs)) < len(addrs):
            return errno.EADDRNOTAVAIL, 0   # as Linux answers one address given twice
        first = _python_of(addrs[0])
        conn = self._conn_address(first)
        if self.lib.connect(self.so, conn, len(conn)) < 0:
            err = ctypes.get_errno()
            if err != errno.EINPROGRESS:
                return err, 0
        uid = self.lib.getassocid(self.so, conn)
        self._set_path_mtu(uid, conn, self.stack.path_mtu(first[0]))
        return errno.EINPROGRESS, self.glob(uid)

    def listen(self, backlog: int) -> None:
        if self.lib.listen(self.so, backlog) < 0:
            raise _oserror(ctypes.get_errno() or errno.EINVAL)

    def peeloff(self, assoc_id: int) -> "UserlandEndpoint":
        so = self.lib.peeloff(self.so, self.loc(assoc_id & 0xFFFFFFFF))
        if not so:
            err = ctypes.get_errno() or errno.EINVAL
            # Linux: einval for an association the socket does not have.
            raise _oserror(errno.EINVAL if err == errno.ENOENT else err)
        return UserlandEndpoint(self.stack, self.family, socket.SOCK_STREAM, so=so, parent=self)

    # -- data -------------------------------------------------------------------------

    def sendmsg(self, buffers, ancdata=(), flags=0, address=None) -> int:
        data = b"".join(bytes(b) for b in buffers)
        sri = None
        for level, kind, value in ancdata:
            if level == st.SOL_SCTP and kind == st.SCTP_SNDRCV:
                sri = bytes(value)
        if sri is None:
            sri = st.SNDRCVINFO.pack(0, 0, 0, 0, 0, 0, 0, 0, 0)
        sflags, assoc = st.SNDRCVINFO.unpack(sri)[2], st.SNDRCVINFO.unpack(sri)[8] & 0xFFFFFFFF
        if not data and not sflags & (st.SCTP_EOF | st.SCTP_ABORT):
            raise _oserror(errno.EINVAL)   # Linux: nothing to send is einval
        if sflags & st.SCTP_ABORT:
            self.aborted.add(assoc)
        spa = tr.sendv_spa(sri, self.loc)
        n = self.lib.sendv(self.so, data, len(data), None, 0, spa, len(spa), u.SENDV_SPA, 0)
        err = ctypes.get_errno() if n < 0 else 0
        self.stack.settle()
        if n < 0:
            if err in (errno.EAGAIN, errno.EWOULDBLOCK):
                raise BlockingIOError(err, os.strerror(err))
            # Linux: epipe for an association that is not there.
            raise _oserror(errno.EPIPE if err == errno.ENOENT else err)
        return n

    def recvmsg(self, bufsize: int, ancbufsize: int = 0, flags: int = 0):
        """A piece of at most `bufsize` of the next message. As the kernel
        hands over a message it holds whole in pieces of the size asked, a
        piece that is not a message's last is handed out only once it is
        that size: what usrsctp has of a message so far is kept here until
        then (BlockingIOError meanwhile, readiness on usrsctp's)."""
        bufsize = max(bufsize, 1)
        self._bufsize = bufsize
        if not self._held:
            self._read_message()
        while self._partial and len(self._held) < bufsize:
            n, more, raw_flags = self._recvv(_READ_CHUNK, 0)
            if n < 0:
                self.update_readiness()
                raise BlockingIOError(errno.EAGAIN, os.strerror(errno.EAGAIN))
            self._held += more
            self._partial = not raw_flags & u.MSG_EOR
            self._eor = 0 if self._partial else st.MSG_EOR
        piece, self._held = self._held[:bufsize], self._held[bufsize:]
        mflags, anc, addr = self._held_meta
        if self._held or self._partial:
            mflags &= ~st.MSG_EOR
        else:
            mflags |= self._eor
        self.update_readiness()
        return piece, anc, mflags, addr

    def _read_message(self) -> None:
        """One read from usrsctp: a whole message, or what has come of it."""
        buf = ctypes.create_string_buffer(_READ_CHUNK)
        frm = ctypes.create_string_buffer(128)
        frmlen = ctypes.c_uint32(128)
        info = ctypes.create_string_buffer(u.RCVINFO.size)
        infolen = ctypes.c_uint32(u.RCVINFO.size)
        infotype = ctypes.c_uint(0)
        mflags = ctypes.c_int(0)
        n = self.lib.recvv(self.so, buf, _READ_CHUNK, frm, ctypes.byref(frmlen), info,
                           ctypes.byref(infolen), ctypes.byref(infotype), ctypes.byref(mflags))
        if n < 0:
            err = ctypes.get_errno()
            self.update_readiness()
            if err in (errno.EAGAIN, errno.EWOULDBLOCK):
                raise BlockingIOError(err, os.strerror(err))
            raise _oserror(err)
        data = buf.raw[:n]
        raw_flags = mflags.value
        flags = st.MSG_EOR if raw_flags & u.MSG_EOR else 0
        addr = self._peer(frm.raw)
        anc = []
        if raw_flags & u.MSG_NOTIFICATION:
            while not raw_flags & u.MSG_EOR:
                more, raw_flags = self._read_more()
                data += more
            translated = tr.notification(data, self.to_linux, self.glob)
            translated = self._local_abort_cause(translated)
            if translated is None:
                # A kind Linux would not send: read the next one instead.
                self._held, self._held_meta = b"", None
                return self._read_message()
            data = translated
            flags = st.MSG_NOTIFICATION | st.MSG_EOR
        elif infotype.value == u.RECVV_RCVINFO and self.events[0]:
            anc.append((st.SOL_SCTP, st.SCTP_SNDRCV, tr.sndrcvinfo(info.raw, self.glob)))
        self._eor = flags & st.MSG_EOR
        self._partial = bool(n) and not raw_flags & (u.MSG_EOR | u.MSG_NOTIFICATION)
        if n == 0 and not raw_flags:
            # The one-to-one peer shut down: the kernel's zero-length read.
            flags = 0
        self._held = data
        self._held_meta = (flags & ~st.MSG_EOR, anc, addr)

    def _local_abort_cause(self, note: bytes | None) -> bytes | None:
        """Linux tells the side that aborted its own association the cause
        it sent (User Initiated Abort, 12, in network byte order); usrsctp
        tells it none."""
        if note is None or len(note) < 20 or struct.unpack_from("=H", note, 0)[0] != st.ASSOC_CHANGE:
            return note
        state, error = struct.unpack_from("=HH", note, 8)
        assoc = struct.unpack_from("=i", note, 16)[0] & 0xFFFFFFFF
        if state == 1 and error == 0 and assoc in self.aborted:
            return note[:10] + struct.pack("=H", 12 << 8) + note[12:]
        return note

    def _read_more(self) -> tuple[bytes, int]:
        n, data, flags = self._recvv(_READ_CHUNK, 0)
        if n < 0:
            return b"", u.MSG_EOR
        return data, flags

    # -- teardown ------------------------------------------------------------------------

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        # A socket that has exchanged packets may have associations shutting
        # down in the stack after usrsctp_close: its addresses stay a while.
        linger = any(b.tokens for b in self.bindings)
        self.stack.remove_endpoint(self.so)
        self.lib.close(self.so)
        self.stack.settle()
        for b in self.bindings:
            self.stack.release(b, linger)
        if self._owns_udp and not self.bindings:
            self.udp.close()
        self.bindings = []
        try:
            os.close(self._efd)
        except OSError:
            pass


def _ip_text(ip) -> str:
    if isinstance(ip, str):
        return ip
    if len(ip) == 4:
        return "%d.%d.%d.%d" % ip
    return socket.inet_ntop(socket.AF_INET6, struct.pack("!8H", *ip))


def _python_of(erlang_addr) -> tuple:
    ip, port = erlang_addr
    text = _ip_text(ip)
    return (text, port, 0, 0) if ":" in text else (text, port)


def _linux_sockaddr(python: tuple) -> bytes:
    ip, port = st.python_address(python)
    family = socket.AF_INET if len(ip) == 4 else socket.AF_INET6
    return st.pack_sockaddr(family, (ip, port))


def _unpack_linux_list(packed: bytes) -> list:
    """sockaddr_in/in6 back to back (what sctp_bindx and connectx take) as
    Erlang {IP, Port}."""
    out = []
    offset = 0
    while offset + 2 <= len(packed):
        family = struct.unpack_from("=H", packed, offset)[0]
        size = 16 if family == socket.AF_INET else 28
        out.append(st.unpack_sockaddr(packed[offset:offset + size]))
        offset += size
    return out
