"""The fault layer's edge for a listening TCP socket: `{fail, accept, Posix}`.

Its next accept() raises the error, as the kernel's would; the connection
waiting, if any, stays for the accept after.
"""

from __future__ import annotations

from . import kinds as k
from .wire import SocketStandIn, oserror


class ListenerWire:
    def __init__(self, layer, listener):
        self.layer = layer
        self.conn = listener
        self.real = listener.sock
        self.fd = listener.fd
        self.failures: list = []
        self.socket = _ListenerSocketStandIn(self)
        listener.sock = self.socket

    def attach(self, fault: k.Fault) -> None:
        self.failures.append(fault)

    def detach(self, fault: k.Fault) -> None:
        if fault in self.failures:
            self.failures.remove(fault)

    def accept(self):
        if self.failures:
            fault = self.failures.pop(0)
            self.layer.record(self.conn, fault, "failed", 0)
            self.layer.fired(self.conn, fault)
            raise oserror(fault.errno)
        return self.real.accept()

    def step_aside(self) -> bool:
        if self.failures:
            return False
        if self.conn.sock is self.socket:
            self.conn.sock = self.real
        return True

    def close(self) -> None:
        self.real.close()
        self.layer.wire_closed(self.conn)


class _ListenerSocketStandIn(SocketStandIn):
    __slots__ = ()

    def accept(self):
        return self._wire.accept()
