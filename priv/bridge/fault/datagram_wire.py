"""The fault layer's edge for a UDP socket: between the kernel socket and the
transport, as stream_wire.py is for TCP.

The wire takes the place of the socket's kernel socket (`sock.sock`) and of
the event loop as the socket sees it. While the transport wants input, the
wire reads every datagram the kernel has (with its sender, ancillary data and
flags) into the receive DatagramShaper (datagram.py), and calls the
transport's reader while one is due; the transport's `recv`, `recvfrom` and
`recvmsg` get it, cut to the size they ask for (MSG_TRUNC set, as the kernel
does). A send goes through the send shaper: when no fault holds it, it is
written at once and a kernel error reaches the caller as usual; a datagram
held back (latency, reorder, bandwidth) is written when due, and an error then
is only recorded (the caller had its `ok`, as a network would lose it).
"""

from __future__ import annotations

import errno
import socket

from . import kinds as k
from .message_wire import MessageWire
from .wire import SocketStandIn, oserror


class DatagramWire(MessageWire):
    def __init__(self, layer, sock):
        super().__init__(layer, sock, _DatagramSocketStandIn)
        self.take_place()
        self._sync()

    # -- receiving --------------------------------------------------------------------

    def take(self):
        item = self.inbound.take(self.loop.time())
        self._sync()
        if item is None:
            raise BlockingIOError(errno.EAGAIN, "held by a fault")
        if item.error:
            raise oserror(item.error)
        return item

    def _on_kernel_readable(self) -> None:
        self._read_kernel()
        self._sync()

    def _received(self, data, anc, flags, addr, now: float) -> None:
        self.inbound.feed(data, (anc, flags & ~socket.MSG_TRUNC, addr), now)

    # -- sending ------------------------------------------------------------------------

    def send(self, payload, call: tuple) -> int:
        """A datagram the transport sends; `call` says how (the method, the
        ancillary data, flags and address it was given)."""
        ob = self.outbound
        payload = bytes(payload)
        now = self.loop.time()
        if ob.full:
            self.log(None, "dropped", len(payload))
            return len(payload)
        nothing_held = ob.next_time(now) is None
        copies = ob.feed(payload, call, now)
        return self._sent(bool(copies) and nothing_held, now, len(payload))

    def _write(self, item) -> int:
        method, anc, flags, address = item.meta
        if method == "sendmsg":
            return self.real.sendmsg([item.payload], anc, flags, *address)
        if method == "sendto":
            return self.real.sendto(item.payload, *address)
        return self.real.send(item.payload)

    def _sync(self) -> None:
        if self.closed:
            return
        now = self.loop.time()
        self._ready_to_read(now)
        self._set_kernel_reading(self.read_cb is not None and not self.inbound.full,
                                 self._on_kernel_readable)
        self._arm(now)


class _DatagramSocketStandIn(SocketStandIn):
    __slots__ = ()

    def recv(self, size: int):
        return self._wire.take().payload[:size]

    def recvfrom(self, size: int):
        item = self._wire.take()
        return item.payload[:size], item.meta[2]

    def recvmsg(self, size: int, ancsize: int = 0, flags: int = 0):
        item = self._wire.take()
        anc, kflags, addr = item.meta
        if len(item.payload) > size:
            kflags |= socket.MSG_TRUNC
        return item.payload[:size], anc, kflags, addr

    def send(self, data) -> int:
        return self._wire.send(data, ("send", None, 0, ()))

    def sendto(self, data, address) -> int:
        return self._wire.send(data, ("sendto", None, 0, (address,)))

    def sendmsg(self, buffers, ancdata=(), flags: int = 0, *address) -> int:
        return self._wire.send(b"".join(buffers), ("sendmsg", list(ancdata), flags, address))
