"""sendmsg and recvmsg of a `socket` API socket, as the NIF does them
(esock_sendmsg, esock_recvmsg): a message is a map of `iov` (the data, a list
of binaries), `addr` (where to, where from), `ctrl` (control messages,
cmsg.py) and, received, `flags`.

A mixin of SockSocket (ops.py), whose writer and reader queues, counters and
selects they share with send and recv: `transmit` for the write, the same
reader checks and result rules as recvfrom for the read.
"""

from __future__ import annotations

import socket

from ..etf.terms import atom
from .. import addresses as sa
from . import cmsg
from . import options as sopt
from .descriptor import CLOSED, INVALID, OK, STATE, error, invalid

IOV_MAX = 1024
ADDR, IOV, CTRL, FLAGS = atom("addr"), atom("iov"), atom("ctrl"), atom("flags")
_IOV = atom("iov")

# The flags recvmsg reports (esock_encode_msg_flags), in the NIF's order.
MSG_FLAG_BITS = tuple((atom(name), bit) for name, bit in (
    ("cmsg_cloexec", 0x40000000), ("confirm", 0x800), ("ctrunc", 0x8), ("dontroute", 0x4),
    ("eor", 0x80), ("errqueue", 0x2000), ("more", 0x8000), ("nosignal", 0x4000), ("oob", 0x1),
    ("peek", 0x2), ("trunc", 0x20)))


def _iov(value):
    """An erlang:iovec() (a proper list of binaries), else None."""
    if not isinstance(value, list):
        return None
    for item in value:
        if not isinstance(item, (bytes, bytearray, memoryview)):
            return None
    return value


class Messages:
    """sendmsg and recvmsg (see the module docstring)."""

    __slots__ = ()

    def sendmsg(self, caller, msg: dict, flags: int, ref, iov):
        """esock_sendmsg: `msg` is the encoded message (prim_socket:enc_msg),
        `iov` the data still to go. Answers as send does, `{iov, Written}` when
        a stream socket sent the first IOV_MAX binaries of more, or
        `{invalid, addr | iov | ctrl}`."""
        if not self.write_open:
            return error(CLOSED)
        if self.connector is not None:
            return invalid(STATE)
        if self.writer is not None and self.writer.pid != caller:
            # Queued (or refused) by transmit before anything is looked at.
            return self.transmit(caller, ref, 0, None)
        dest = None
        if ADDR in msg:
            try:
                dest = sa.decode(msg[ADDR])
            except sa.BadAddress:
                return (INVALID, ADDR)
        data = _iov(iov)
        if data is None:
            return (INVALID, _IOV)
        stream = self.type == socket.SOCK_STREAM
        more = False
        if len(data) > IOV_MAX:
            if not stream:
                return (INVALID, _IOV)
            more = any(len(b) for b in data[IOV_MAX:])
            data = data[:IOV_MAX]
        ancillary = []
        if CTRL in msg:
            try:
                ancillary = cmsg.encode(msg[CTRL])
            except cmsg.BadControl:
                return (INVALID, CTRL)
        size = sum(len(b) for b in data)
        address = None
        if dest is not None:
            if dest[0] != self.domain:
                # The NIF gives any address to the kernel, whose error it is.
                return self.transmit(caller, ref, size, lambda: _wrong_family())
            address = dest[1]

        def write():
            if address is None:
                return self.sock.sendmsg(data, ancillary, flags)
            return self.sock.sendmsg(data, ancillary, flags, address)
        result = self.transmit(caller, ref, size, write)
        if more and result == OK:
            return (_IOV, size)
        return result

    def recvmsg(self, caller, bufsz: int, ctrlsz: int, flags: int, ref):
        """esock_recvmsg: one message of at most `bufsz` bytes (0: the socket's
        {otp, rcvbuf}) with at most `ctrlsz` bytes of control messages (0:
        {otp, rcvctrlbuf}); a stream socket's is what one read gives."""
        result = self.receive_one(caller, ref, lambda: self.sock.recvmsg(
            self._read_size(bufsz or self.rbufsz), ctrlsz or self.rctrlsz, flags))
        if not (type(result) is tuple and result[0] is OK):
            return result
        data, ancillary, msg_flags, address = result[1]
        message = {IOV: [data], CTRL: cmsg.decode(ancillary),
                   FLAGS: sopt.bit_names(msg_flags, MSG_FLAG_BITS)}
        if address is not None and address != "" and address != b"":
            message[ADDR] = sa.encode(self.domain, address)
        return (OK, message)


def _wrong_family():
    import errno
    raise OSError(errno.EAFNOSUPPORT, "address of another family")
