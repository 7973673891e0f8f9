"""The TCP requests (PROTOCOL.md, "TCP"): connect, listen, accept and what is done
on a socket. Arguments arrive checked by the Erlang side with OTP's own option
functions; they are checked again here, since a client may talk to us directly.

A socket that is gone answers as OTP answers for a closed port: `closed` on the
data path (send, recv, accept, close, shutdown). What every inet socket answers
(setopts, getopts, sockname, ..., ownership) is in bridge/inet/requests.py.
"""

from __future__ import annotations

import errno
import logging
import os
import socket

from ..errors import posix_atom
from ..etf.terms import atom
from ..requests import (DEFERRED, EINVAL, ERROR, OK, any_term, binary, fail, non_neg_int,
                        one_of, proplist, request, socket_of, timeout)
from .. import addresses, passfd
from ..netns import closed_on_error, open_socket
from ..inet import options as opt
from . import sendfile
from .connection import TcpConnection
from .listener import TcpListener

log = logging.getLogger("bridge.tcp")

TIMEOUT = atom("timeout")
UNDEFINED = atom("undefined")
_SHUTDOWN = {atom("read"): socket.SHUT_RD, atom("write"): socket.SHUT_WR,
             atom("read_write"): socket.SHUT_RDWR}

any_tcp = socket_of((TcpConnection, TcpListener))
ENOTCONN = atom("enotconn")
ENOTSUP = atom("enotsup")


def family(program, value) -> int:
    return addresses.family_of(value)


def port_number(program, value) -> int:
    if type(value) is not int or not 0 <= value <= 65535:
        fail()
    return value


def _open(fam: int, options: list, bind_ip, bind_port: int):
    """inet:open: a socket with its options set and, if asked, bound. Returns
    (sock, opts, passive_due, passed): passed when it is a descriptor the BEAM
    gave (see netns.open_socket)."""
    sock, netns, options, passed = open_socket(fam, socket.SOCK_STREAM, options)
    opts = opt.InetOptions()
    opts.netns = netns
    passive_due = False
    with closed_on_error(sock):
        if passed and bind_ip == UNDEFINED and sock.family != fam:
            # inet_drv's fdopen of a socket it is not to bind: of its family.
            fail()
        for item in options:
            passive_due = opt.apply(sock, opts, item) or passive_due
        if bind_ip != UNDEFINED or bind_port:
            if fam == socket.AF_UNIX:
                sock.bind(addresses.to_python(fam, bind_ip, 0))
            else:
                sock.bind(addresses.to_python(
                    fam, addresses.ANY if bind_ip == UNDEFINED else bind_ip, bind_port))
    return sock, opts, passive_due, passed


@request("tcp_connect", family, any_term, any_term, any_term, non_neg_int, proplist, timeout)
def tcp_connect(program, call, fam, peer_ip, peer_port, bind_ip, bind_port, options, wait):
    """Connect, and reply {ok, S} owned by the caller (or {error, Posix})."""
    address = addresses.to_python(fam, peer_ip, peer_port)
    if program.faults.rules:
        refused = program.faults.connect_refusal("tcp", addresses.to_erlang(fam, address), call.caller)
        if refused is not None:
            return (ERROR, refused)
    sock, opts, passive_due, _passed = _open(fam, options, bind_ip, bind_port)
    sock.setblocking(False)
    err = sock.connect_ex(address)
    if err == 0:
        return _connected(program, call, sock, fam, opts, passive_due)
    if err not in (errno.EINPROGRESS, errno.EAGAIN):
        sock.close()
        return (ERROR, posix_atom(err))
    try:
        # On loopback the handshake is usually over before connect returns:
        # a peer name means established (SYN_SENT has none), so answer now
        # rather than a round through the loop.
        sock.getpeername()
    except OSError:
        _PendingConnect(program, call, sock, fam, opts, passive_due, wait)
        return DEFERRED
    return _connected(program, call, sock, fam, opts, passive_due)


def _connected(program, call, sock, fam, opts, passive_due):
    conn = TcpConnection(program, sock, fam, call.caller, opts)
    if passive_due:
        conn.passive_message()
    return (OK, conn.handle)


class _PendingConnect:
    """A non-blocking connect waiting for the socket to become writable."""

    def __init__(self, program, call, sock, fam, opts, passive_due, wait):
        self.program, self.call, self.sock = program, call, sock
        self.fam, self.opts, self.passive_due = fam, opts, passive_due
        self.fd = sock.fileno()
        program.loop.add_writer(self.fd, self._on_writable)
        self.timer = program.loop.call_later(wait, self._on_timeout) if wait is not None else None
        program.connecting.add(self)

    def _done(self) -> None:
        self.program.loop.forget(self.fd)
        self.program.connecting.discard(self)
        if self.timer is not None:
            self.timer.cancel()

    def _on_writable(self) -> None:
        self._done()
        err = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            self.sock.close()
            self.call.error(posix_atom(err))
            return
        self.call.reply(_connected(self.program, self.call, self.sock, self.fam, self.opts,
                                   self.passive_due))

    def _on_timeout(self) -> None:
        self.timer = None
        self._done()
        self.sock.close()
        self.call.error(TIMEOUT)

    def abort(self) -> None:
        self._done()
        self.sock.close()


@request("tcp_listen", family, any_term, non_neg_int, any_term, proplist)
def tcp_listen(program, call, fam, bind_ip, bind_port, backlog, options):
    if type(backlog) is not int:
        fail()
    sock, opts, passive_due, passed = _open(fam, options, bind_ip, bind_port)
    with closed_on_error(sock):
        if bind_ip == UNDEFINED and not bind_port and fam != socket.AF_UNIX and not passed:
            # OTP binds a listen socket to any:0 when told nothing (a socket it
            # was given is taken to be bound).
            sock.bind(("0.0.0.0" if fam == socket.AF_INET else "::", 0))
        sock.listen(max(backlog, 0))
    listener = TcpListener(program, sock, fam, call.caller, opts)
    if passive_due:
        listener.passive_message()
    return (OK, listener.handle)


@request("tcp_fdopen", family, proplist)
def tcp_fdopen(program, call, fam, options):
    """inet:fdopen (gen_tcp:fdopen/2): a socket on the descriptor the BEAM passed
    (a leading {fd, Name}) with inet:setopts/2's options: connected if it is,
    else one that is only open (send and recv say enotconn, accept einval:
    inet_drv makes no listen socket of a listening descriptor either)."""
    sock, opts, passive_due, passed = _open(fam, options, UNDEFINED, 0)
    with closed_on_error(sock):
        if not passed:
            fail()
        try:
            sock.getpeername()
            connected = True
        except OSError:
            connected = False
    conn = TcpConnection(program, sock, fam, call.caller, opts, connected=connected)
    if passive_due:
        conn.passive_message()
    return (OK, conn.handle)


# The port of a listen socket answers the data path with enotconn, and the port
# of a connected socket answers accept with einval (inet_drv's state checks).

@request("tcp_accept", any_tcp, timeout)
def accept(program, call, listener, wait):
    if not isinstance(listener, TcpListener):
        return (ERROR, EINVAL)
    return listener.accept(call, wait)


@request("tcp_send", any_tcp, binary)
def send(program, call, conn, data):
    if isinstance(conn, TcpListener):
        conn.port_command(len(data))
        return (ERROR, ENOTCONN)
    conn.port_command(len(data))
    return conn.send(call, data)


@request("tcp_sendfile", any_tcp, any_term, non_neg_int, non_neg_int)
def tcp_sendfile(program, call, conn, name, offset, count):
    """prim_inet:sendfile's TCP_REQ_SENDFILE: Count bytes (at most) of the file
    the BEAM passed through the receiver Name, from Offset (tcp/sendfile.py)."""
    fd = passfd.take(name)
    if isinstance(conn, TcpListener) or not conn.connected:
        os.close(fd)
        return (ERROR, ENOTCONN)
    if conn.loop is not program.loop:
        # A fault stands in for the socket (fault/wire.py): the file must
        # pass through it, so it goes the way of gen_tcp:send, which
        # file:sendfile takes by itself on enotsup.
        os.close(fd)
        return (ERROR, ENOTSUP)
    return sendfile.start(conn, call, fd, offset, count)


@request("tcp_recv", any_tcp, non_neg_int, timeout)
def recv(program, call, conn, length, wait):
    if isinstance(conn, TcpListener):
        return (ERROR, ENOTCONN)
    return conn.recv(call, length, wait)


@request("tcp_unrecv", any_tcp, binary)
def unrecv(program, call, conn, data):
    if isinstance(conn, TcpListener):
        return (ERROR, ENOTCONN)
    return conn.unrecv(data)


@request("tcp_shutdown", any_tcp, one_of("read", "write", "read_write"))
def shutdown(program, call, conn, how):
    if isinstance(conn, TcpListener):
        return (ERROR, ENOTCONN)
    return conn.shutdown(_SHUTDOWN[how])


@request("tcp_close", any_tcp)
def close(program, call, sock):
    return sock.close(call)
