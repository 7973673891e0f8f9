"""A listening TCP socket: accept/2 with any number of waiting acceptors.

As inet_drv's multi-accept: acceptors queue in call order, each with its own
timeout; a connection goes to the first in line and becomes a socket owned by it,
with the listen socket's options; closing the listen socket answers every waiting
acceptor `{error, closed}`.
"""

from __future__ import annotations

import socket
from collections import deque

from ..errors import posix_atom
from ..etf.terms import atom
from ..requests import CLOSED, DEFERRED, ERROR, OK, Call
from ..inet import options as opt
from .connection import TcpConnection
from ..inet.socket import ENOTCONN, OPEN, InetSocket, RequestError

TIMEOUT = atom("timeout")
_ACCEPTING = atom("accepting")
_LISTEN = atom("listen")


# prim_inet:accept_opts/3: the kernel options an accepted socket gets from its
# listen socket by getopts and setopts ([active, delay_send] are local options,
# copied with InetOptions), and the family's own (inet_tcp's and inet6_tcp's
# accept_family_opts/0). Linux would not carry SO_PRIORITY over by itself.
_ACCEPT_OPTS = ("nodelay", "keepalive", "priority", "linger")
_ACCEPT_FAMILY_OPTS = {socket.AF_INET: ("tos", "ttl", "recvtos", "recvttl"),
                       socket.AF_INET6: ("tclass", "recvtclass")}


class AcceptOptions:
    """prim_inet:accept_opts/3 for one listen socket, without asking the
    kernel what it already said: the listen socket's values are read once
    (again after a setopts on it), and so are those a new connection comes
    with (every one from this listen socket comes with the same): an option
    that already has the listen socket's value is not set again. That is
    what setting it would leave (the TOS and priority trick puts both back
    after every set), at dozens of system calls less per accept."""

    __slots__ = ("_names", "_values", "_fresh")

    def __init__(self, family: int):
        self._names = _ACCEPT_OPTS + _ACCEPT_FAMILY_OPTS.get(family, ())
        self.forget()

    def forget(self) -> None:
        """The listen socket's options may have changed."""
        self._values = None
        self._fresh = None

    def apply(self, listen_sock: socket.socket, conn_sock: socket.socket) -> None:
        if self._values is None:
            # getopts leaves out what the kernel will not report.
            self._values = [(name, value) for name in self._names
                            if (value := opt.get_socket_option(listen_sock, name)) is not None]
        if self._fresh is None:
            self._fresh = {name: opt.get_socket_option(conn_sock, name) for name in self._names}
        fresh = self._fresh
        # setopts applies the list last first, as prim_inet encodes it.
        for name, value in reversed(self._values):
            if fresh.get(name) != value:
                opt.set_socket_option(conn_sock, name, value)


class TcpListener(InetSocket):
    module = atom("pyinet_tcp")
    kind = "tcp_listen"

    def __init__(self, program, sock: socket.socket, family: int, owner, opts):
        super().__init__(program, sock, family, owner, opts)
        sock.setblocking(False)
        self.acceptors: deque = deque()  # [call, timer]
        self._watching = False
        self.exited = False
        self._accept_options = AcceptOptions(family)

    def __repr__(self) -> str:
        return f"<TcpListener {self.id} acceptors={len(self.acceptors)}>"

    def accept(self, call: Call, timeout: float | None):
        if self.sock is None:
            return (ERROR, CLOSED)
        if not self.acceptors:
            reply = self._try_accept(call.caller)
            if reply is not None:
                return reply
        if timeout == 0:
            return (ERROR, TIMEOUT)
        entry = [call, None]
        if timeout is not None:
            entry[1] = self.loop.call_later(timeout, self._accept_timeout, entry)
        self.acceptors.append(entry)
        self.program.watch(call.caller)
        self._watch(True)
        return DEFERRED

    def _try_accept(self, owner):
        """One accept(); the reply for the acceptor, or None when none is pending."""
        try:
            conn_sock, _ = self.sock.accept()
        except (BlockingIOError, InterruptedError):
            return None
        except OSError as exc:
            return (ERROR, posix_atom(exc.errno))
        try:
            self._accept_options.apply(self.sock, conn_sock)
        except RequestError as exc:
            conn_sock.close()
            return (ERROR, exc.reason)
        conn = TcpConnection(self.program, conn_sock, self.family, owner, self.opts.copy())
        return (OK, conn.handle)

    def _on_readable(self) -> None:
        while self.acceptors:
            call, timer = self.acceptors[0]
            reply = self._try_accept(call.caller)
            if reply is None:
                return
            self._dequeue(self.acceptors[0])
            call.reply(reply)
        self._watch(False)

    def _dequeue(self, entry) -> None:
        self.acceptors.remove(entry)
        if entry[1] is not None:
            entry[1].cancel()
        self.program.unwatch(entry[0].caller)

    def _accept_timeout(self, entry) -> None:
        entry[1] = None
        if entry not in self.acceptors:
            return
        self._dequeue(entry)
        entry[0].reply((ERROR, TIMEOUT))
        if not self.acceptors:
            self._watch(False)

    def _watch(self, on: bool) -> None:
        if on != self._watching and self.sock is not None:
            self._watching = on
            if on:
                self.loop.add_reader(self.fd, self._on_readable)
            else:
                self.loop.remove_reader(self.fd)

    def options_changed(self, old_active: int, old_ptype) -> None:
        self._accept_options.forget()

    def caller_died(self, pid) -> None:
        """An acceptor that died stops waiting (inet_drv monitors them)."""
        for entry in [e for e in self.acceptors if e[0].caller == pid]:
            self._dequeue(entry)

    def status(self) -> list:
        if self.sock is None:
            return []
        return ([_ACCEPTING] if self.acceptors else []) + [_LISTEN, OPEN]

    def state_name(self) -> str:
        return "listening" if self.sock is not None else "closed"

    def passive_message(self) -> None:
        self.program.send(self.owner, (atom("tcp_passive"), self.handle))

    def peername(self):
        raise RequestError(ENOTCONN)

    def close(self, call: Call):
        self._exit()
        return OK

    def _exit(self, reason=None) -> None:
        if self.exited:
            return
        self.exited = True
        while self.acceptors:
            entry = self.acceptors[0]
            self._dequeue(entry)
            entry[0].reply((ERROR, CLOSED))
        self.close_socket()
        self.program.unregister(self, reason)
