"""The SCTP calls Python's socket module cannot make, and `KernelApi`, which
makes them on one kernel socket: the calls socket.py asks of a socket beyond
Python's socket methods, which the userland endpoint (endpoint.py) answers
too.

Several SCTP getsockopt calls carry input in their buffer (the association id,
a peer address, the id to peel off), which `socket.getsockopt` cannot pass: it
hands the kernel a zeroed buffer. Those go through libc's getsockopt with
ctypes, errno kept. Everything else (socket, bind, listen, connect, sendmsg,
recvmsg, setsockopt) is the socket module's own; sctp_bindx is a setsockopt.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import socket

from . import structs as st

_libc = None


def _getsockopt_fn():
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        _libc.getsockopt.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_void_p,
                                     ctypes.POINTER(ctypes.c_uint32)]
    return _libc.getsockopt


def _getsockopt(fd: int, optname: int, data: bytes, size: int) -> tuple[int, bytes]:
    buf = ctypes.create_string_buffer(bytes(data).ljust(size, b"\0"), size)
    length = ctypes.c_uint32(size)
    if _getsockopt_fn()(fd, st.SOL_SCTP, optname, buf, ctypes.byref(length)) < 0:
        return ctypes.get_errno(), buf.raw
    return 0, buf.raw[:length.value]


def getsockopt_in(fd: int, optname: int, data: bytes, size: int | None = None) -> bytes:
    """getsockopt(fd, SOL_SCTP, optname) with `data` as the buffer's initial
    content (padded to `size`); the bytes the kernel wrote back."""
    err, reply = _getsockopt(fd, optname, data, len(data) if size is None else size)
    if err:
        raise OSError(err, os.strerror(err))
    return reply


def connectx(fd: int, packed: bytes) -> tuple[int, int]:
    """sctp_connectx as libsctp makes it (SCTP_SOCKOPT_CONNECTX3): the
    addresses packed back to back. Returns (errno, assoc id); on a
    non-blocking socket the association is under way with EINPROGRESS, and
    its id is known already."""
    addrs = ctypes.create_string_buffer(packed, len(packed))
    param = st.CONNECTX3_S.pack(0, len(packed), ctypes.addressof(addrs))
    err, reply = _getsockopt(fd, st.SOCKOPT_CONNECTX3, param, len(param))
    assoc_id = st.CONNECTX3_S.unpack_from(reply, 0)[0] if err in (0, 115) else 0
    return err, assoc_id


def peeloff(fd: int, assoc_id: int) -> int:
    """sctp_peeloff: the descriptor of a new one-to-one socket for the association."""
    reply = getsockopt_in(fd, st.SOCKOPT_PEELOFF, st.PEELOFF_S.pack(assoc_id, 0))
    return st.PEELOFF_S.unpack(reply)[1]


def bindx(sock: socket.socket, packed: bytes, add: bool = True) -> None:
    """sctp_bindx with addresses already packed (sockaddr_in/in6 back to back)."""
    sock.setsockopt(st.SOL_SCTP, st.SOCKOPT_BINDX_ADD if add else st.SOCKOPT_BINDX_REM, packed)


def _addrs(fd: int, optname: int, assoc_id: int) -> list:
    size = 4096
    while True:
        try:
            reply = getsockopt_in(fd, optname, st.GETADDRS_S.pack(assoc_id, 0), size)
        except OSError as exc:
            if exc.errno == 12 and size < 1 << 20:  # ENOMEM: the buffer is too small
                size *= 4
                continue
            raise
        _, count = st.GETADDRS_S.unpack_from(reply, 0)
        return st.unpack_sockaddr_list(reply[st.GETADDRS_S.size:], count)


def local_addrs(fd: int, assoc_id: int) -> list:
    """sctp_getladdrs: [{IP, Port}]."""
    return _addrs(fd, st.GET_LOCAL_ADDRS, assoc_id)


def peer_addrs(fd: int, assoc_id: int) -> list:
    """sctp_getpaddrs: [{IP, Port}]."""
    return _addrs(fd, st.GET_PEER_ADDRS, assoc_id)


class KernelApi:
    """This module's calls on one kernel SCTP socket."""

    __slots__ = ("sock",)

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def getsockopt_in(self, optname: int, data: bytes, size: int | None = None) -> bytes:
        return getsockopt_in(self.sock.fileno(), optname, data, size)

    def connectx(self, packed: bytes) -> tuple[int, int]:
        return connectx(self.sock.fileno(), packed)

    def peeloff(self, assoc_id: int) -> socket.socket:
        fd = peeloff(self.sock.fileno(), assoc_id)
        return socket.socket(self.sock.family, socket.SOCK_STREAM, st.SOL_SCTP, fileno=fd)

    def bindx(self, packed: bytes, add: bool = True) -> None:
        bindx(self.sock, packed, add)

    def local_addrs(self, assoc_id: int) -> list:
        return local_addrs(self.sock.fileno(), assoc_id)

    def peer_addrs(self, assoc_id: int) -> list:
        return peer_addrs(self.sock.fileno(), assoc_id)


def api_of(sock):
    """The SCTP calls of a socket: KernelApi for a kernel socket; a userland
    endpoint makes them itself."""
    return KernelApi(sock) if isinstance(sock, socket.socket) else sock
