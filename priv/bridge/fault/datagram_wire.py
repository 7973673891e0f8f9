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
from .datagram import DatagramShaper
from .wire import SocketStandIn, Wire, oserror

_RECV_SIZE = 65536
_ANC_SIZE = 1024
_READS_PER_WAKEUP = 64


class DatagramWire(Wire):
    transport = k.UDP

    def __init__(self, layer, sock):
        super().__init__(layer, sock, _DatagramSocketStandIn)
        self.inbound = DatagramShaper(k.RECV, self.log, self.rng_for)
        self.outbound = DatagramShaper(k.SEND, self.log, self.rng_for)
        self.take_place()
        self._sync()

    def __repr__(self) -> str:
        return f"<DatagramWire {self.fd} in={self.inbound!r} out={self.outbound!r}>"

    # -- faults ---------------------------------------------------------------------

    def attach(self, fault: k.Fault) -> None:
        now = self.loop.time()
        for d in fault.dirs:
            (self.inbound if d == k.RECV else self.outbound).attach(fault, now)
        self._sync()

    def detach(self, fault: k.Fault) -> None:
        self.inbound.detach(fault)
        self.outbound.detach(fault)
        self._flush()
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
        ib = self.inbound
        now = self.loop.time()
        for _ in range(_READS_PER_WAKEUP):
            if ib.full:
                break
            try:
                payload, anc, flags, addr = self.real.recvmsg(_RECV_SIZE, _ANC_SIZE)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:
                ib.feed_error(exc.errno or errno.EIO, None, now)
                continue
            ib.feed(payload, (anc, flags & ~socket.MSG_TRUNC, addr), now)
        self._sync()

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
        if copies and nothing_held and ob.ready(now):
            n = self._write(ob.take(now))  # at once: a kernel error reaches the caller
            self._flush()
            return n
        self._flush()
        return len(payload)

    def _write(self, item) -> int:
        method, anc, flags, address = item.meta
        if method == "sendmsg":
            return self.real.sendmsg([item.payload], anc, flags, *address)
        if method == "sendto":
            return self.real.sendto(item.payload, *address)
        return self.real.send(item.payload)

    def _flush(self) -> None:
        ob = self.outbound
        while (item := ob.take(self.loop.time())) is not None:
            try:
                self._write(item)
            except OSError:
                self.log(None, "send_failed", len(item.payload))
        self._arm(self.loop.time())

    def _sync(self) -> None:
        if self.closed:
            return
        now = self.loop.time()
        self._ready_to_read(now)
        self._set_kernel_reading(self.read_cb is not None and not self.inbound.full,
                                 self._on_kernel_readable)
        self._arm(now)

    def close(self) -> None:
        if not self.closed:
            self.inbound.drop_all()
            self.outbound.drop_all()
            self._close_kernel()


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
