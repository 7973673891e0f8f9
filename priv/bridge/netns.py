"""The socket of a new inet_drv port: created inside another network namespace
(the `{netns, Path}` option), with another protocol (`{protocol, mptcp}`), or
passed by the BEAM (`{fd, N}`, through passfd.py).

As inet_drv does it (HAVE_SETNS in open_new_socket): enter the namespace named by
the file, create the socket, go back. The socket stays in that namespace for life.
This program has one thread, so nothing else runs while it is away. Entering a
namespace needs CAP_SYS_ADMIN; without it the caller gets eperm, as from OTP.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import socket

from . import passfd
from .errors import RequestError, oserror_atom
from .etf.terms import atom

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def _setns(fd: int) -> None:
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def socket_in(path: bytes, family: int, type_: int, proto: int = 0) -> socket.socket:
    """A new socket in the network namespace of `path` (e.g. /var/run/netns/x)."""
    current = os.open("/proc/self/ns/net", os.O_RDONLY)
    try:
        target = os.open(path, os.O_RDONLY)
        try:
            _setns(target)
        finally:
            os.close(target)
        try:
            return socket.socket(family, type_, proto)
        finally:
            # Failing to come back would leave every later socket in the wrong
            # namespace: better to stop than to serve from there.
            try:
                _setns(current)
            except OSError as exc:
                raise SystemExit(f"pyinet bridge: cannot return to its network namespace: {exc}")
    finally:
        os.close(current)


# prim_inet:open's protocols other than the type's own (OTP 29: {protocol, mptcp}).
_PROTOCOLS = {"mptcp": getattr(socket, "IPPROTO_MPTCP", 262)}


def _leading(options: list, name: str):
    """The value of a leading {name, Value} option, and the options after it."""
    if options and type(options[0]) is tuple and len(options[0]) == 2 and options[0][0] == name:
        return options[0][1], options[1:]
    return None, options


def open_socket(family: int, type_: int, options: list):
    """inet:open's first step for an inet_drv socket: a new socket, in the
    network namespace that a leading `{netns, Path}` option names, with the
    protocol a `{protocol, mptcp}` after it names (the Erlang side puts them
    first, where prim_inet:open takes them); or, for a leading `{fd, Name}`,
    the descriptor the BEAM passed through the receiver Name (passfd.py), as
    prim_inet:fdopen takes the socket it is given. Returns the socket, the
    namespace (or None), the other options and whether the socket was passed
    (inet:open_fd binds it only when told where); RequestError for a bad value
    or the errno of a failed open."""
    passed, options = _leading(options, "fd")
    if passed is not None:
        fd = passfd.take(passed)
        try:
            return socket.socket(fileno=fd), None, options, True
        except OSError as exc:
            os.close(fd)
            raise RequestError(oserror_atom(exc)) from None
    netns, options = _leading(options, "netns")
    if netns is not None:
        if not isinstance(netns, (bytes, bytearray, memoryview)):
            raise RequestError(atom("einval"))
        netns = bytes(netns)
    protocol, options = _leading(options, "protocol")
    proto = 0
    if protocol is not None:
        proto = _PROTOCOLS.get(protocol) if type(protocol) is not bool else None
        if proto is None or type_ != socket.SOCK_STREAM:
            raise RequestError(atom("einval"))
    try:
        if netns is not None:
            sock = socket_in(netns, family, type_, proto)
        else:
            sock = socket.socket(family, type_, proto)
    except OSError as exc:
        raise RequestError(oserror_atom(exc)) from None
    return sock, netns, options, False


@contextlib.contextmanager
def closed_on_error(sock: socket.socket):
    """The setup of a new socket (its options, bind, listen): if it fails, the
    socket is closed and an OSError becomes the request's error (its errno)."""
    try:
        yield
    except RequestError:
        sock.close()
        raise
    except OSError as exc:
        sock.close()
        raise RequestError(oserror_atom(exc)) from None
