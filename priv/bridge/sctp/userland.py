"""The userland SCTP stack (usrsctp) inside the port program's one event loop.

Theory of operation.
- usrsctp runs without threads (usrsctp_init_nothreads): nothing in it runs
  unless we call it, so nothing races the loop and no lock is ever held
  across a Python callback. The loop drives its timers: while any userland
  socket exists (or a closed one's associations may still be shutting down),
  a 10 ms tick calls usrsctp_handle_timers with the milliseconds that
  passed. 10 ms is the granularity of usrsctp's own timer thread, which this
  tick replaces; idle, the tick stops.
- Its sockets are AF_CONN: the stack never touches the network. A packet it
  sends comes out through conn_output(addr, bytes), where `addr` is a token
  of ours that names a *path*: one of our UDP sockets and a peer's IP and UDP
  port. We send the bytes there as one UDP datagram: SCTP over UDP (RFC
  6951), which Linux's kernel SCTP speaks too (net.sctp.udp_port,
  net.sctp.encap_port). A datagram read from one of our UDP sockets goes in
  through usrsctp_conninput with the token of the path it came by; the stack
  finds the association by its own header (ports and verification tag).
  AF_CONN names a path by one token on both ends, so a token is our local
  socket and the remote address together, and every token is registered as
  one of the stack's addresses.
- UDP sockets ("bindings") are the endpoints' local addresses: binding a
  userland socket to {IP, Port} binds a UDP socket to the same IP and port,
  so the kernel's UDP port space gives out and checks the ports (eaddrinuse,
  reuseaddr) across every process on the host, and two port programs
  reach each other with nothing shared. A peer's UDP port is its SCTP port,
  unless the application key `sctp_encap_port` (PYINET_SCTP_ENCAP_PORT) names
  the one all peers listen on, as a kernel peer's net.sctp.udp_port does
  (9899 by RFC 6951); replies go where the peer's packets came from.
- Callbacks from C (conn_output, the socket upcalls) never block and never
  call back into usrsctp: conn_output does one non-blocking sendto, an
  upcall only notes the socket, and the loop settles the noted sockets'
  readiness after the C call returned (endpoint.py turns it into an eventfd
  that epoll watches like any socket).
"""

from __future__ import annotations

import ctypes
import errno
import logging
import os
import socket
import struct

from . import usrsctp_lib as u

log = logging.getLogger("bridge.sctp.userland")

TICK = 0.010          # seconds: usrsctp's own timer granularity
READ_DATAGRAMS = 64   # datagrams read from one UDP socket per readiness event
DRAIN_SECONDS = 3.0   # how long a closed socket's addresses stay open for its shutdowns
MAX_DATAGRAM = 65536
# The largest path MTU given to usrsctp (a loopback's route says 65536):
# datagrams that large overrun a UDP socket's default receive buffer (208 KiB)
# in a few packets, and every loss is a retransmission timeout. Measured on
# loopback with 64 KiB messages: 1280 bytes 32 MB/s, 9000 99, 16384 151,
# 32768 159, 65000 72.
MAX_PATH_MTU = 16384


class Binding:
    """One UDP socket: a local address of userland SCTP endpoints."""

    __slots__ = ("family", "sock", "fd", "address", "refs", "tokens")

    def __init__(self, family: int, sock: socket.socket) -> None:
        self.family = family
        self.sock = sock
        self.fd = sock.fileno()
        self.address = sock.getsockname()
        self.refs = 0
        self.tokens: set[int] = set()

    def __repr__(self) -> str:
        return f"<Binding {self.address} refs={self.refs}>"


class Path:
    __slots__ = ("token", "binding", "remote")

    def __init__(self, token: int, binding: Binding, remote: tuple) -> None:
        self.token = token
        self.binding = binding
        self.remote = remote   # (ip text, UDP port)


_stack: "UserlandStack | None" = None


def stack_for(loop) -> "UserlandStack":
    """The process's one stack (usrsctp can be started once per process)."""
    global _stack
    if _stack is None:
        _stack = UserlandStack(loop)
    return _stack


def available() -> bool:
    return u.load() is not None


class UserlandStack:
    def __init__(self, loop) -> None:
        lib = u.load()
        if lib is None:
            raise OSError(errno.EPROTONOSUPPORT, u.load_error() or "libusrsctp not found")
        self.lib = lib
        self.loop = loop
        self.encap_port = int(os.environ.get("PYINET_SCTP_ENCAP_PORT", "0") or 0)
        # SCTP on IP itself (raw_ip.py) instead of UDP, where asked for.
        self.raw = None
        if os.environ.get("PYINET_SCTP_ENCAPSULATION", "udp") == "raw":
            from .raw_ip import RawIp
            self.raw = RawIp(self)
        self.paths: dict[int, Path] = {}
        self._path_of: dict[tuple, int] = {}
        self._next_token = 0x10000
        self.endpoints: dict[int, object] = {}   # usrsctp socket pointer -> endpoint
        self._noted: set[int] = set()
        self._settle_due = False
        self._draining: dict[tuple, tuple] = {}  # (family, address) -> (binding, timer)
        self._tick_timer = None
        self._last_tick = 0.0
        self.sent = self.received = 0
        # Association ids: usrsctp's per socket (and its peeled-off ones),
        # Linux's machine-wide: (group, usrsctp id) <-> ours.
        self._gid_of: dict[tuple[int, int], int] = {}
        self._uid_of: dict[int, tuple[int, int]] = {}
        self._next_gid = 0
        self._next_group = 0
        self._mtus: dict[str, int] = {}
        # Kept referenced: C holds these pointers for the life of the process.
        self._conn_output = u.CONN_OUTPUT(self._on_conn_output)
        self._upcall = u.UPCALL(self._on_upcall)
        self.upcall_pointer = ctypes.cast(self._upcall, ctypes.c_void_p)
        lib.init_nothreads(0, ctypes.cast(self._conn_output, ctypes.c_void_p), None)
        for name, value in u.LINUX_SYSCTLS.items():
            lib.sysctl(name, value)

    # -- callbacks from C: note, never block, never re-enter -------------------------

    def _on_conn_output(self, addr, buf, length, tos, set_df) -> int:
        path = self.paths.get(addr)
        if path is None:
            return errno.EHOSTUNREACH
        try:
            path.binding.sock.sendto(ctypes.string_at(buf, length), path.remote)
        except OSError as exc:
            # A full socket buffer or an unreachable peer is a lost packet,
            # which SCTP retransmits; it never waits here.
            log.debug("conn_output to %s: %s", path.remote, exc)
            return 0
        self.sent += 1
        return 0

    def _on_upcall(self, so, arg, flags) -> None:
        self._noted.add(so)
        if not self._settle_due:
            self._settle_due = True
            self.loop.call_soon(self.settle)

    def settle(self) -> None:
        """After the C call that made them: the noted endpoints' readiness."""
        self._settle_due = False
        noted, self._noted = self._noted, set()
        for so in noted:
            ep = self.endpoints.get(so)
            if ep is not None:
                ep.update_readiness()

    # -- association ids -------------------------------------------------------------

    def new_group(self) -> int:
        self._next_group += 1
        return self._next_group

    def global_id(self, group: int, uid: int) -> int:
        """The machine-wide id of usrsctp's association `uid` of this group."""
        if uid == 0:
            return 0
        key = (group, uid)
        gid = self._gid_of.get(key)
        if gid is None:
            self._next_gid += 1
            gid = self._next_gid
            self._gid_of[key] = gid
            self._uid_of[gid] = key
        return gid

    def group_ids(self, group: int) -> list:
        return sorted(gid for gid, (g, _) in self._uid_of.items() if g == group)

    def local_id(self, group: int, gid: int) -> int:
        """usrsctp's id of association `gid` in this group; one that no
        association has when it is another group's or unknown."""
        if gid == 0:
            return 0
        key = self._uid_of.get(gid)
        if key is None or key[0] != group:
            return 0xFFFFFFF0
        return key[1]

    # -- endpoints -------------------------------------------------------------------

    def add_endpoint(self, so: int, endpoint) -> None:
        self.endpoints[so] = endpoint
        self.lib.set_upcall(so, self.upcall_pointer, None)
        self._start_ticking()

    def remove_endpoint(self, so: int) -> None:
        self.endpoints.pop(so, None)

    # -- bindings (UDP sockets) and paths ---------------------------------------------

    def bind(self, sock: socket.socket, address: tuple) -> Binding:
        """Bind this UDP socket (a new endpoint's) to `address`; a closed
        endpoint's draining socket on the same address gives way first."""
        key = (sock.family, address[0], address[1])
        drained = self._draining.pop(key, None)
        if drained is not None:
            drained[1].cancel()
            self._close_binding(drained[0])
        sock.bind(address)
        sock.setblocking(False)
        # ICMP errors (port unreachable: no SCTP endpoint there) are read
        # from the error queue and answered as an SCTP stack would (below).
        if sock.family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, _IPV6_RECVERR, 1)
        else:
            sock.setsockopt(socket.IPPROTO_IP, _IP_RECVERR, 1)
        binding = Binding(sock.family, sock)
        self.loop.add_reader(binding.fd, lambda: self._on_datagrams(binding))
        if self.raw is not None:
            self.raw.ports[binding.address[1]] += 1
        return binding

    def release(self, binding: Binding, linger: bool) -> None:
        """An endpoint stops using a binding; the last one closes it, after a
        while when associations may still be shutting down through it."""
        binding.refs -= 1
        if binding.refs > 0:
            return
        if not linger:
            self._close_binding(binding)
            return
        key = (binding.family, binding.address[0], binding.address[1])
        timer = self.loop.call_later(DRAIN_SECONDS, self._drained, key)
        self._draining[key] = (binding, timer)

    def _drained(self, key) -> None:
        entry = self._draining.pop(key, None)
        if entry is not None:
            self._close_binding(entry[0])

    def _close_binding(self, binding: Binding) -> None:
        self.loop.forget(binding.fd)
        if self.raw is not None:
            self.raw.ports[binding.address[1]] -= 1
        for token in binding.tokens:
            path = self.paths.pop(token, None)
            if path is not None:
                self._path_of.pop((id(binding), path.remote), None)
                self.lib.deregister_address(token)
        binding.tokens.clear()
        try:
            binding.sock.close()
        except OSError:
            pass

    def path(self, binding: Binding, remote: tuple) -> int:
        """The token of the path from this binding to remote (IP text, UDP port)."""
        key = (id(binding), remote)
        token = self._path_of.get(key)
        if token is None:
            self._next_token += 1
            token = self._next_token
            self._path_of[key] = token
            self.paths[token] = Path(token, binding, remote)
            binding.tokens.add(token)
            self.lib.register_address(token)
        return token

    def carrier(self, endpoint_binding: Binding, ip: str) -> Binding:
        """The binding whose socket carries packets to `ip`: the endpoint's
        UDP socket, or with raw IP the stack's raw socket of that family."""
        if self.raw is not None:
            return self.raw.binding(socket.AF_INET6 if ":" in ip else socket.AF_INET)
        return endpoint_binding

    def path_mtu(self, ip: str) -> int | None:
        """The MTU of an SCTP packet to `ip` over UDP: the route's MTU less the
        IP and UDP headers (usrsctp cannot discover it on AF_CONN, and starts
        every path at 1280, which costs 50 packets a 64 KiB message on a
        loopback of 65536). None when the route cannot be asked."""
        mtu = self._mtus.get(ip)
        if mtu is None:
            six = ":" in ip
            probe = socket.socket(socket.AF_INET6 if six else socket.AF_INET, socket.SOCK_DGRAM)
            try:
                probe.connect((ip, 9))
                route = probe.getsockopt(socket.IPPROTO_IPV6 if six else socket.IPPROTO_IP,
                                         _IPV6_MTU if six else _IP_MTU)
            except OSError:
                return None
            finally:
                probe.close()
            headers = (40 if six else 20) + (0 if self.raw is not None else 8)
            mtu = min(route - headers, MAX_PATH_MTU)
            self._mtus[ip] = mtu
        return mtu

    def remote_udp_port(self, sctp_port: int) -> int:
        """Where a path's packets go: the peer's UDP port (0 for raw IP)."""
        if self.raw is not None:
            return 0
        return self.encap_port or sctp_port

    # -- input -------------------------------------------------------------------------

    def _on_datagrams(self, binding: Binding) -> None:
        conninput = self.lib.conninput
        for _ in range(READ_DATAGRAMS):
            try:
                data, source = binding.sock.recvfrom(MAX_DATAGRAM)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:
                log.debug("udp %s: %s", binding.address, exc)
                self._read_errors(binding)
                continue
            self.received += 1
            if len(data) < 12:
                continue
            conninput(self.path(binding, (source[0], source[1])), data, len(data), 0)

    def _read_errors(self, binding: Binding) -> None:
        """An ICMP port unreachable says that no SCTP endpoint listens at the
        UDP port a packet went to. A host with SCTP there would have answered
        the packet with an ABORT (RFC 9260, 8.4, out of the blue); the stack
        gets that ABORT, so that a connect to nobody fails at once with
        cant_assoc, as toward a kernel without the port, instead of retrying
        the INIT for a minute."""
        for _ in range(READ_DATAGRAMS):
            try:
                data, _anc, _flags, dest = binding.sock.recvmsg(MAX_DATAGRAM, 512,
                                                                socket.MSG_ERRQUEUE)
            except OSError:
                return
            abort = out_of_the_blue_abort(data, self.lib.crc32c)
            if abort is not None and dest:
                self.lib.conninput(self.path(binding, (dest[0], dest[1])), abort, len(abort), 0)

    # -- timers ------------------------------------------------------------------------

    def _start_ticking(self) -> None:
        if self._tick_timer is None:
            self._last_tick = self.loop.time()
            self._tick_timer = self.loop.call_later(TICK, self._tick)

    def _tick(self) -> None:
        now = self.loop.time()
        elapsed = int((now - self._last_tick) * 1000)
        if elapsed > 0:
            self._last_tick += elapsed / 1000
            self.lib.handle_timers(elapsed)
        if self.endpoints or self._draining:
            self._tick_timer = self.loop.call_later(TICK, self._tick)
        else:
            self._tick_timer = None


_IP_RECVERR, _IPV6_RECVERR = 11, 25
_IP_MTU, _IPV6_MTU = 14, 24
_INIT, _ABORT, _SHUTDOWN_COMPLETE = 1, 6, 14
_COMMON_HEADER = struct.Struct("!HHI")


def out_of_the_blue_abort(packet: bytes, crc32c) -> bytes | None:
    """The ABORT a peer with no endpoint for `packet` sends back (RFC 9260,
    8.4 and 8.5.1): to an INIT with its initiate tag, to anything else with
    the packet's tag and the T bit; nothing to an ABORT or a SHUTDOWN
    COMPLETE. `crc32c` computes the checksum (usrsctp_crc32c)."""
    if len(packet) < 16:
        return None
    src, dst, vtag = _COMMON_HEADER.unpack_from(packet, 0)
    chunk = packet[12]
    if chunk in (_ABORT, _SHUTDOWN_COMPLETE):
        return None
    if chunk == _INIT:
        if len(packet) < 20:
            return None
        tag, t_bit = struct.unpack_from("!I", packet, 16)[0], 0
    else:
        tag, t_bit = vtag, 1
    abort = bytearray(_COMMON_HEADER.pack(dst, src, tag) + bytes(4) +
                      struct.pack("!BBH", _ABORT, t_bit, 4))
    # usrsctp_crc32c gives the value as the header field holds it in memory.
    struct.pack_into("=I", abort, 8, crc32c(bytes(abort), len(abort)))
    return bytes(abort)
