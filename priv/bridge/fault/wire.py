"""What every wire shares: standing in for a socket's kernel socket and its
place in the event loop, the one timer that wakes the shapers, and calling
the transport's reader while input is ready (level-triggered, as epoll).

A wire takes the transport's registrations with the loop when it arrives and
gives them back when it steps aside; in between the transport's `sock` and
`loop` are the stand-ins below, and the transport does not know.
"""

from __future__ import annotations

import os


def oserror(err: int) -> OSError:
    """The OSError the kernel would raise (the builtin subclass for err:
    ConnectionResetError for ECONNRESET, ...)."""
    return OSError(err, os.strerror(err))


class Wire:
    """Subclasses give `inbound` and `outbound` shapers (with `ready`,
    `next_time`, `idle`), `_sync()` (the kernel's side) and `_flush()` (write
    what may go out)."""

    def __init__(self, layer, sock, socket_stand_in: type):
        self.layer = layer
        self.conn = sock
        self.loop = layer.program.loop
        self.real = sock.sock
        self.fd = sock.fd
        self.log = lambda fault, action, n: layer.record(sock, fault, action, n)  # noqa: E731
        self.rng_for = lambda fault: layer.rng_for(sock, fault)  # noqa: E731
        self.read_cb = None
        self.write_cb = None
        self.hangup_cb = self.loop.hangup_of(self.fd)
        self._timer = None
        self._timer_at = None
        self._read_soon = False
        self._kernel_reading = False
        self.closed = False
        self.socket = socket_stand_in(self)
        self.events = LoopStandIn(self)

    def take_place(self) -> None:
        """Stand in for the transport's socket; its registrations move here."""
        self.read_cb, self.write_cb = self.loop.take_interest(self.fd)
        self.conn.sock = self.socket
        self.conn.loop = self.events

    @property
    def idle(self) -> bool:
        return self.inbound.idle and self.outbound.idle

    def step_aside(self) -> bool:
        """With no fault left and nothing held, give the transport its kernel
        socket and the loop back; False if the wire must stay."""
        if not self.idle or self.closed:
            return False
        self._cancel_timer()
        if self._kernel_reading:
            self.loop.remove_reader(self.fd)
        self._stop_kernel_writing()
        self.conn.sock = self.real
        self.conn.loop = self.loop
        if self.read_cb is not None:
            self.loop.add_reader(self.fd, self.read_cb)
        if self.write_cb is not None:
            self.loop.add_writer(self.fd, self.write_cb)
        self.closed = True
        return True

    def _stop_kernel_writing(self) -> None:
        """A subclass that writes when the kernel is writable stops here."""

    def _close_kernel(self) -> None:
        """The end: the kernel socket closes, the layer forgets the wire."""
        self.closed = True
        self._cancel_timer()
        self.loop.forget(self.fd)
        try:
            self.real.close()
        except OSError:
            pass
        self.layer.wire_closed(self.conn)

    # -- the transport's interest ------------------------------------------------------

    def want_read(self, cb) -> None:
        self.read_cb = cb
        self._sync()

    def want_write(self, cb) -> None:
        self.write_cb = cb
        self._sync()

    def forget(self) -> None:
        """The transport is done with the descriptor (it is about to close it)."""
        self.read_cb = self.write_cb = self.hangup_cb = None
        self.loop.remove_hangup(self.fd)

    def _ready_to_read(self, now: float) -> None:
        """Call the transport's reader soon if input is ready for it."""
        if self.read_cb is not None and not self._read_soon and self.inbound.ready(now):
            self._read_soon = True
            self.loop.call_soon(self._fire_read)

    def _fire_read(self) -> None:
        self._read_soon = False
        cb = self.read_cb
        if cb is not None and not self.closed and self.inbound.ready(self.loop.time()):
            cb()
        self._sync()

    def _set_kernel_reading(self, want: bool, callback) -> None:
        if want != self._kernel_reading:
            self._kernel_reading = want
            if want:
                self.loop.add_reader(self.fd, callback)
            else:
                self.loop.remove_reader(self.fd)

    # -- the one timer ------------------------------------------------------------------

    def _arm(self, now: float) -> None:
        """The timer at when either shaper may next let something through."""
        times = [t for t in (self.inbound.next_time(now), self.outbound.next_time(now))
                 if t is not None]
        at = min(times) if times else None
        if at is not None and at <= now:
            # Ready now: input is the reader's (called soon), output the
            # flush's that follows whatever made it ready, or the kernel's
            # writability.
            at = None
        if at == self._timer_at:
            return
        self._cancel_timer()
        if at is not None:
            self._timer = self.loop.call_at(at, self._on_timer)
            self._timer_at = at

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self._timer_at = None

    def _on_timer(self) -> None:
        self._timer = self._timer_at = None
        if self.closed:
            return
        self._flush()
        self._sync()


class SocketStandIn:
    """What the transport holds as its kernel socket while a wire is there:
    the wire's methods where it has them, the kernel socket's otherwise."""

    __slots__ = ("_wire",)

    def __init__(self, wire):
        self._wire = wire

    def close(self) -> None:
        self._wire.close()

    def fileno(self) -> int:
        return self._wire.fd

    def __getattr__(self, name):
        return getattr(self._wire.real, name)


class LoopStandIn:
    """The event loop as the transport sees it while a wire is there: its
    interest in its descriptor goes to the wire, everything else to the loop."""

    __slots__ = ("_wire",)

    def __init__(self, wire):
        self._wire = wire

    def add_reader(self, fd: int, callback) -> None:
        self._wire.want_read(callback)

    def remove_reader(self, fd: int) -> None:
        self._wire.want_read(None)

    def add_writer(self, fd: int, callback) -> None:
        self._wire.want_write(callback)

    def remove_writer(self, fd: int) -> None:
        self._wire.want_write(None)

    def add_hangup(self, fd: int, callback) -> None:
        self._wire.hangup_cb = callback
        self._wire.loop.add_hangup(fd, callback)

    def remove_hangup(self, fd: int) -> None:
        self._wire.hangup_cb = None
        self._wire.loop.remove_hangup(fd)

    def forget(self, fd: int) -> None:
        self._wire.forget()

    def __getattr__(self, name):
        return getattr(self._wire.loop, name)
