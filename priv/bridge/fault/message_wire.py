"""What the wires of whole messages share (datagram_wire.py for UDP,
sctp_wire.py for SCTP): a DatagramShaper each way, faults attached to the
directions they name, and a send that is written at once when nothing holds
it (a kernel error then reaches the caller) or when due (an error then is
only recorded: the caller had its `ok`, as a network would lose it).
"""

from __future__ import annotations

import errno

from . import kinds as k
from .datagram import DatagramShaper
from .wire import Wire

RECV_SIZE = 65536
ANC_SIZE = 1024
READS_PER_WAKEUP = 64


class MessageWire(Wire):
    """Subclasses give `_write(item)` (one message to the kernel, as the
    transport's call would have), `_received(data, anc, flags, addr, now)`
    (one read into the receive shaper; False: read no more now) and
    `_sync()`."""

    def __init__(self, layer, sock, socket_stand_in: type):
        super().__init__(layer, sock, socket_stand_in)
        self.inbound = DatagramShaper(k.RECV, self.log, self.rng_for)
        self.outbound = DatagramShaper(k.SEND, self.log, self.rng_for)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.fd} in={self.inbound!r} out={self.outbound!r}>"

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

    def _read_kernel(self) -> None:
        """What the socket has, into the receive shaper while it has room."""
        ib = self.inbound
        now = self.loop.time()
        for _ in range(READS_PER_WAKEUP):
            if ib.full:
                break
            try:
                data, anc, flags, addr = self.real.recvmsg(RECV_SIZE, ANC_SIZE)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:
                self._read_failed()
                ib.feed_error(exc.errno or errno.EIO, None, now)
                continue
            if self._received(data, anc, flags, addr, now) is False:
                break

    def _read_failed(self) -> None:
        """A read failed: a subclass forgets what it had of a message."""

    def _sent(self, at_once: bool, now: float, size: int) -> int:
        """After a send was fed to the send shaper: `at_once` when nothing
        held it back, so that it goes out now and its error is the caller's."""
        ob = self.outbound
        if at_once and ob.ready(now):
            n = self._write(ob.take(now))
            self._flush()
            return n
        self._flush()
        return size

    def _flush(self) -> None:
        ob = self.outbound
        while (item := ob.take(self.loop.time())) is not None:
            try:
                self._write(item)
            except OSError:
                self.log(None, "send_failed", len(item.payload))
        self._arm(self.loop.time())

    def close(self) -> None:
        if not self.closed:
            self.inbound.drop_all()
            self.outbound.drop_all()
            self._close_kernel()
