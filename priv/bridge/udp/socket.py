"""A UDP socket hosted here: inet_drv's udp_descriptor (packet_inet_*), ported.

Reading follows the driver's select flag: on in active mode, on while a passive
recv waits, off once a passive recv got its datagram. One readiness event reads up
to `read_packets` datagrams (packet_inet_input) and stops early when the socket
turns passive; each datagram is read into a buffer of `buffer` bytes, so a longer
one arrives truncated, and the statistics count what was read. A connected socket
reads with recv() and names its peer as it was given to connect; a socket with
recvtos, recvttl or recvtclass reads with recvmsg() and delivers the ancillary data.
An error from the kernel (the ICMP port unreachable of an earlier send, say) fails
the waiting recv, or arrives as `{udp_error, S, Reason}` in active mode; the socket
stays open either way.

Sending is synchronous, as packet_inet_command: one sendto (send when connected,
sendmsg with ancillary data), its error the reply. Closing ends the socket and its
handle at once (there is no half-closed UDP socket), and a waiting recv gets
`{error, closed}`.
"""

from __future__ import annotations

import socket

from ..active import PASSIVE
from ..errors import RequestError, oserror_atom
from ..etf.terms import Atom, atom
from ..inet import options as opt
from ..inet.socket import InetSocket, disconnect
from ..requests import CLOSED, DEFERRED, EINVAL, ERROR, OK, Call
from .. import addresses
from . import datagram as dg
from . import options as uopt

TIMEOUT = atom("timeout")
EALREADY = atom("ealready")
_MAX_DATAGRAM = 1 << 24
_FAMILY_ATOMS = {socket.AF_INET: addresses.INET, socket.AF_INET6: addresses.INET6,
                 socket.AF_UNIX: addresses.LOCAL}


class UdpState:
    """What options set on a UDP socket beyond the shared ones."""

    __slots__ = ("read_packets", "cmsg")

    def __init__(self) -> None:
        self.read_packets = uopt.DEFAULT_READ_PACKETS
        self.cmsg: frozenset = frozenset()


def apply_option(sock, family: int, opts: opt.InetOptions, state: UdpState, item) -> bool:
    """One setopts item on a UDP socket. Returns True when a passive message is due."""
    if type(item) is tuple and len(item) == 2 and isinstance(item[0], Atom):
        name, value = item
        if name == "read_packets":
            state.read_packets = uopt.read_packets(value)
            return False
        if name == "add_membership" or name == "drop_membership":
            opt.set_raw(sock, uopt.membership(family, name == "add_membership", value))
            return False
        if name == "multicast_if":
            opt.set_raw(sock, uopt.multicast_if(family, value))
            return False
        if name == "recbuf":
            if type(value) is not int:
                raise RequestError(EINVAL)
            value = opt.driver_int(value)
            opt.set_socket_option(sock, "recbuf", value)
            uopt.recbuf_buffer(opts, value)
            return False
        if name in uopt.RECV_CMSG_OPTIONS:
            due = opt.apply(sock, opts, item)
            state.cmsg = state.cmsg | {name} if value is True else state.cmsg - {name}
            return due
    return opt.apply(sock, opts, item)


class UdpSocket(InetSocket):
    kind = "udp"
    module = atom("pyinet_udp")

    def __init__(self, program, sock: socket.socket, family: int, owner, opts, state: UdpState):
        self.family = family
        super().__init__(program, sock, family, owner, opts)
        sock.setblocking(False)
        self.state = state
        self.connected = False
        self.remote = None  # the peer as connect was given it, in Python's form
        self.select_read = False
        self._reading = False
        self.recv_call: Call | None = None
        self.recv_timer = None
        if opts.active.active:
            self._select(True)

    def make_handle(self, program) -> tuple:
        # The family travels in the handle: gen_udp resolves names and picks
        # its send clauses by the family module of the socket (inet_db's
        # lookup_socket), and pyinet_udp does the same without asking.
        tag, module, (router, port, sid) = program.make_handle(self.module, self.id)
        return (tag, module, (router, port, sid, _FAMILY_ATOMS[self.family]))

    def __repr__(self) -> str:
        state = "connected" if self.connected else ("open" if self.sock is not None else "closed")
        return f"<UdpSocket {self.id} {state} active={self.opts.active.term()!r}>"

    def state_name(self) -> str:
        return "connected" if self.connected else super().state_name()

    # -- receiving (packet_inet_input; reading as InetSocket says) ---------------------------

    def _input(self) -> int:
        """Read up to read_packets datagrams; returns how many were delivered."""
        count = 0
        for _ in range(self.state.read_packets):
            try:
                payload, addr, anc = self._read_one()
            except (BlockingIOError, InterruptedError):
                return count
            except OSError as exc:
                reason = oserror_atom(exc)
                if not self.opts.active.active:
                    self._select(False)
                    self._recv_reply((ERROR, reason))
                else:
                    self._send_owner((dg.UDP_ERROR, self.handle, reason))
                return count
            self.stats.received(len(payload))
            self._deliver(payload, addr, anc)
            count += 1
            if not self.opts.active.active:
                self._select(False)
                return count
        return count

    def _read_one(self):
        # No datagram is larger (a Unix one is bounded by the sender's buffer),
        # and Python allocates the whole size before each read.
        size = min(self.opts.buffer, _MAX_DATAGRAM)
        sock = self.sock
        if self.connected:
            return sock.recv(size), self.remote, ([] if self.state.cmsg else None)
        if self.state.cmsg:
            payload, ancdata, _flags, addr = sock.recvmsg(size, dg.ANC_BUFF_SIZE)
            return payload, addr, dg.ancillary_term(ancdata)
        payload, addr = sock.recvfrom(size)
        return payload, addr, None

    def _deliver(self, payload: bytes, addr, anc) -> None:
        o = self.opts
        if not o.active.active:
            sender = dg.sender_term(self.family, addr)
            self._recv_reply(dg.recv_reply(sender, anc, payload, o.binary, o.header))
            return
        if o.deliver_port:
            message = dg.port_message(self.handle, dg.driver_address(self.family, addr), payload,
                                      o.binary, o.header)
        else:
            message = dg.active_message(self.handle, dg.sender_term(self.family, addr), anc,
                                        payload, o.binary, o.header)
        self._send_owner(message)
        if o.active.delivered():
            self.passive_message()

    def _send_owner(self, message) -> None:
        self.program.send(self.owner, message)

    def passive_message(self) -> None:
        self._send_owner((dg.UDP_PASSIVE, self.handle))

    def _recv_reply(self, reply) -> None:
        call, self.recv_call = self.recv_call, None
        self._cancel_recv_timer()
        if call is not None:
            call.reply(reply)

    # -- passive recv (PACKET_REQ_RECV) ------------------------------------------------------

    def recv(self, call: Call, timeout: float | None):
        if self.opts.active.active:
            return (ERROR, EINVAL)
        if self.recv_call is not None:
            return (ERROR, EALREADY)
        self.recv_call = call
        if self._input() == 0 and self.recv_call is call:
            self._select(True)
            if timeout is not None:
                self.recv_timer = self.loop.call_later(timeout, self._recv_timeout)
        return DEFERRED

    def _recv_timeout(self) -> None:
        self.recv_timer = None
        self._select(False)
        self._recv_reply((ERROR, TIMEOUT))

    def _cancel_recv_timer(self) -> None:
        if self.recv_timer is not None:
            self.recv_timer.cancel()
            self.recv_timer = None

    # -- options -------------------------------------------------------------------------

    def _setopt(self, item) -> None:
        if type(item) is tuple and len(item) == 2 and item[0] == "active":
            self.set_active(item[1])
        elif apply_option(self.sock, self.family, self.opts, self.state, item):
            self.passive_message()

    def options_changed(self, old_active: int, old_ptype) -> None:
        active = self.opts.active.mode
        if active != old_active:
            self._select(active != PASSIVE)

    def getopts(self, names: list) -> list:
        out = []
        for name in names:
            if isinstance(name, Atom) and not isinstance(name, bool):
                if name in uopt.GETOPT_OMITTED:
                    continue
                if name == "read_packets":
                    out.append((name, self.state.read_packets))
                    continue
                if name == "multicast_if":
                    value = uopt.get_multicast_if(self.sock, self.family)
                    if value is not None:
                        out.append((name, value))
                    continue
                if name == "pktoptions":
                    if self.family == socket.AF_UNIX:
                        raise RequestError(EINVAL)
                    continue
            out.extend(super().getopts([name]))
        return out

    # -- sending (packet_inet_command) ------------------------------------------------------

    def sendto(self, address, anc: list, data) -> object:
        cmsgs = dg.compile_ancillary(anc)
        self.stats.sent(len(data))
        try:
            if cmsgs:
                self.sock.sendmsg([data], cmsgs, 0, *(() if self.connected else (address,)))
            elif self.connected:
                self.sock.send(data)
            else:
                self.sock.sendto(data, address)
        except OSError as exc:
            return (ERROR, oserror_atom(exc))
        return OK

    def send_pending(self) -> int:
        return 0

    # -- connect (INET_REQ_CONNECT on a datagram socket) -----------------------------------

    def connect(self, address) -> object:
        if self.connected:
            # Linux keeps the source address of the old association otherwise.
            disconnect(self.fd)
        try:
            self.sock.connect(address)
        except OSError as exc:
            disconnect(self.fd)
            self.connected = False
            self.remote = None
            return (ERROR, oserror_atom(exc))
        self.connected = True
        self.remote = address
        return OK

    def status(self) -> list:
        if self.sock is None:
            return []
        return [atom("connected"), atom("open")] if self.connected else [atom("open")]

    # -- closing ---------------------------------------------------------------------------

    def close(self, reason=None) -> None:
        """packet_inet_stop: whoever waits is told `closed`; the socket is gone."""
        if self.sock is None:
            return
        self._cancel_recv_timer()
        call, self.recv_call = self.recv_call, None
        self.select_read = self._reading = False
        self.close_socket()
        if call is not None:
            call.reply((ERROR, CLOSED))
        self.program.unregister(self, reason)

    _exit = close


def python_address(family: int, address, port) -> object:
    """The Python address for an Erlang destination: an IP tuple (or any,
    loopback) with its port, a sockaddr map, or {local, Path}."""
    if family == socket.AF_UNIX:
        return addresses.to_python(family, address, 0)
    if type(address) is tuple and len(address) == 2 and address[0] == addresses.LOCAL:
        raise RequestError(EINVAL)
    return addresses.to_python(family, address, port)
