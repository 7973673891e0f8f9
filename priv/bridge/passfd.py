"""Descriptors the BEAM hands to this program: a socket for `{fd, N}`,
gen_tcp:fdopen/2 and socket:open(FD), an open file for sendfile.

A descriptor number names a file in one process only; this program is another
process, so the descriptor has to travel. It travels as SCM_RIGHTS over a Unix
datagram socket (the BEAM's socket module sends it: pyinet_fd.erl):

1. `{program_fd_receiver, OsPid}` makes a *receiver*, a Unix datagram socket
   bound to a random name in the abstract namespace, and answers that name.
2. The BEAM sends one datagram to it, with the descriptor as SCM_RIGHTS.
3. The request that uses the descriptor names the receiver (`{fd, Name}` among
   its options, or as an argument); `take` reads the datagram and keeps the
   descriptor only if the kernel says (SCM_CREDENTIALS) that OsPid sent it.

A receiver serves one descriptor and lives at most RECEIVER_LIFETIME seconds:
this program opens no lasting channel besides its stdin and stdout, and a
receiver nobody uses costs nothing for long. What it received and nobody took
is closed with it.
"""

from __future__ import annotations

import array
import os
import secrets
import socket
import struct

from .errors import RequestError, oserror_atom
from .etf.terms import atom
from .requests import OK, fail, request

RECEIVER_LIFETIME = 10.0
_CREDENTIALS = struct.Struct("iII")  # struct ucred: pid, uid, gid
_ANCILLARY_SIZE = socket.CMSG_SPACE(4 * 4) + socket.CMSG_SPACE(_CREDENTIALS.size)
EBADF = atom("ebadf")
EINVAL = atom("einval")

_receivers: dict = {}


class Receiver:
    """One descriptor on its way from the BEAM (see the module docstring)."""

    __slots__ = ("name", "sock", "os_pid", "timer")

    def __init__(self, loop, os_pid: int):
        self.os_pid = os_pid
        self.name = b"\0pyinet-fd-" + secrets.token_hex(16).encode()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
            self.sock.bind(self.name)
            self.sock.setblocking(False)
        except OSError:
            self.sock.close()
            raise
        self.timer = loop.call_later(RECEIVER_LIFETIME, self.close)
        _receivers[self.name] = self

    def __repr__(self) -> str:
        return f"<Receiver {self.name[1:].decode()} from {self.os_pid}>"

    def close(self) -> None:
        _receivers.pop(self.name, None)
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        # A descriptor sent and never taken is closed with the socket it waits in.
        for fd in self._receive():
            os.close(fd)
        self.sock.close()

    def _receive(self) -> list:
        """The descriptors of the datagrams waiting, each checked for its sender."""
        fds: list = []
        while True:
            try:
                _, ancillary, _, _ = self.sock.recvmsg(16, _ANCILLARY_SIZE)
            except (BlockingIOError, OSError):
                return fds
            sender, received = None, []
            for level, kind, data in ancillary:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    received.extend(array.array("i", data[:len(data) - len(data) % 4]))
                elif level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                    sender = _CREDENTIALS.unpack(data[:_CREDENTIALS.size])[0]
            if sender == self.os_pid:
                fds.extend(received)
            else:
                for fd in received:
                    os.close(fd)

    def take(self) -> int:
        """The descriptor the BEAM sent: this program's own from now on."""
        fds = self._receive()
        self.close()
        if not fds:
            raise RequestError(EBADF)
        for extra in fds[1:]:
            os.close(extra)
        return fds[0]


def take(name) -> int:
    """The descriptor waiting in the receiver `name`, or RequestError: einval
    for a name that is no receiver (gone, or never was), ebadf when nothing
    came from the BEAM."""
    receiver = _receivers.get(bytes(name)) if isinstance(name, (bytes, bytearray, memoryview)) else None
    if receiver is None:
        raise RequestError(EINVAL)
    return receiver.take()


def close_fd(fd: int) -> None:
    """Close a descriptor taken here that turned out to be of no use."""
    os.close(fd)


def _os_pid(program, value) -> int:
    if type(value) is not int or value <= 0:
        fail()
    return value


@request("program_fd_receiver", _os_pid)
def program_fd_receiver(program, call, os_pid):
    """A receiver for one descriptor from the process `os_pid` (the BEAM)."""
    try:
        receiver = Receiver(program.loop, os_pid)
    except OSError as exc:
        fail(oserror_atom(exc))
    return (OK, receiver.name)
