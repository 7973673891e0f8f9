"""The fault layer's edge for a TCP connection: between the kernel socket and
the transport.

A connection under faults gets a `StreamWire`. The wire takes the place of the
connection's kernel socket (`conn.sock`) and of the event loop as the
connection sees it (`conn.loop`), so the transport runs unchanged and sees only
the bytes, ends and errors the wire lets through, with the errnos the kernel
would give:

- reading: while the transport wants input (it registered a reader), the wire
  reads the kernel socket into the receive StreamShaper (stream.py), up to the
  shaper's capacity, and calls the transport's reader whenever the shaper has
  a piece ready (level-triggered, as epoll would). The transport's
  `sock.recv(n)` gets that piece, `b""` at the end, or the error.
- writing: the transport's `sock.send`/`sendmsg` hand bytes to the send
  StreamShaper (BlockingIOError when it is full, so the transport queues, goes
  busy and times out as over a full kernel buffer); the wire writes what
  comes out to the kernel, and calls the transport's writer when there is room
  again. A kernel error ends the connection for writing: the transport's next
  write raises it.
- hangups (the peer's FIN or RST) pass straight to the loop: they only make
  the transport stop its no-reply sends, which is always safe.

Closing the stand-in while the send shaper still holds bytes keeps the kernel
socket until they are written (as the kernel keeps a closed socket's send
buffer), bounded by LINGER_MAX.
"""

from __future__ import annotations

import errno
import socket

from ..inet.socket import disconnect
from . import kinds as k
from .stream import EOF, End, StreamShaper
from .wire import SocketStandIn, Wire, oserror

READ_MAX = 64 * 1024
WRITE_MAX = 256 * 1024
LINGER_MAX = 60.0
# A connection that died silently (an injected etimedout, ehostunreach, ...)
# sends no FIN when the transport closes it: the kernel socket is kept, its
# input dropped, until the peer closes or this long has passed.
SILENT_MAX = 300.0


class StreamWire(Wire):
    def __init__(self, layer, conn):
        super().__init__(layer, conn, _StreamSocketStandIn)
        self.inbound = StreamShaper(k.RECV, self.log, self.rng_for)
        self.outbound = StreamShaper(k.SEND, self.log, self.rng_for)
        self._kernel_writing = False
        self._write_soon = False
        self._fail_send: k.Fail | None = None
        self.write_errno = 0        # the connection is dead for writing: what writes raise
        self.drain_kernel = False   # read and drop what the kernel gets (after an injected end)
        self.read_dead = False      # stop reading the kernel altogether (a silent failure)
        self.write_shut = False     # the kernel's write side is shut: writes go to it (EPIPE)
        self.silent = False         # died without a word to the peer: close without one too
        self._pending_shutdown = None
        self.closing = False
        self.take_place()
        self._sync()

    def __repr__(self) -> str:
        return f"<StreamWire {self.fd} in={self.inbound!r} out={self.outbound!r}>"

    # -- faults ---------------------------------------------------------------------

    def attach(self, fault: k.Fault) -> None:
        now = self.loop.time()
        if isinstance(fault, k.Reset):
            self._reset(fault)
        elif isinstance(fault, k.HalfClose):
            if fault.dirs == (k.RECV,):
                # What the peer sent before its end comes first, as a FIN
                # follows the data before it.
                self._pull_kernel(now)
                self.inbound.feed_end(EOF, now)
                self.drain_kernel = True
            else:
                self.outbound.feed_end(End(0, "shut_wr"), now)
                self._hang_up()
            self.layer.record(self.conn, fault, "half_closed", 0)
        elif isinstance(fault, k.Fail):
            if fault.op == "recv":
                self._fail_recv(fault)
            else:
                self._fail_send = fault
                self._hang_up()
        else:
            for d in fault.dirs:
                (self.inbound if d == k.RECV else self.outbound).attach(fault, now)
            if isinstance(fault, k.Truncate) and k.SEND in fault.dirs:
                self._hang_up()
        self._sync()
        self._flush()

    def detach(self, fault: k.Fault) -> None:
        self.inbound.detach(fault)
        self.outbound.detach(fault)
        if self._fail_send is fault:
            self._fail_send = None
        self._sync()
        self._flush()

    @property
    def idle(self) -> bool:
        return (super().idle and self._fail_send is None
                and not (self.write_errno or self.drain_kernel or self.read_dead or self.write_shut
                         or self._pending_shutdown is not None or self.closing))

    def _stop_kernel_writing(self) -> None:
        if self._kernel_writing:
            self._kernel_writing = False
            self.loop.remove_writer(self.fd)

    def _reset(self, fault) -> None:
        dropped = self.inbound.drop_all() + self.outbound.drop_all()
        if dropped:
            self.layer.record(self.conn, fault, "dropped", dropped)
        disconnect(self.fd)  # an RST to the peer; ECONNRESET from our next read
        self.layer.record(self.conn, fault, "reset", 0)

    def _pull_kernel(self, now: float) -> None:
        """Everything the kernel has received now, into the receive shaper."""
        ib = self.inbound
        while not ib.finished:
            try:
                data = self.real.recv(READ_MAX)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                ib.feed_end(End(exc.errno or errno.EIO), now)
                return
            if not data:
                ib.feed_end(EOF, now)
                return
            ib.feed(data, now)

    def _fail_recv(self, fault) -> None:
        self.layer.record(self.conn, fault, "failed", 0)
        self.layer.fired(self.conn, fault)
        self.inbound.fail_now(End(fault.errno))
        self._die(fault)

    def _die(self, fault) -> None:
        """After an injected error the connection is dead: reset for
        econnreset (the peer sees it too), silent otherwise."""
        dropped = self.outbound.drop_all()
        if dropped:
            self.layer.record(self.conn, fault, "dropped", dropped)
        if fault.errno == errno.ECONNRESET:
            disconnect(self.fd)
        else:
            self.silent = True
        self.read_dead = True
        self.write_errno = errno.EPIPE
        self._hang_up()

    def _hang_up(self) -> None:
        """Tell the transport a later write may fail (as the loop's hangup
        would), so that its next send waits for its answer."""
        cb, self.hangup_cb = self.hangup_cb, None
        if cb is not None:
            self.loop.remove_hangup(self.fd)
            cb()

    # -- the transport's side: reading ------------------------------------------------

    def recv(self, n: int):
        piece = self.inbound.take(n, self.loop.time())
        if piece is None:
            self._sync()
            raise BlockingIOError(errno.EAGAIN, "held by a fault")
        if isinstance(piece, End):
            if piece.action:
                self._kernel_end(piece)
            self._sync()
            if piece.errno:
                raise oserror(piece.errno)
            return b""
        self._sync()
        return piece

    # -- the transport's side: writing ------------------------------------------------

    def send(self, buffers) -> int:
        if self.write_errno:
            raise oserror(self.write_errno)
        if self.write_shut:
            return self.real.sendmsg(buffers)  # the kernel's own EPIPE
        data = buffers[0] if len(buffers) == 1 else b"".join(buffers)
        if not data:
            return 0
        if self._fail_send is not None:
            fault, self._fail_send = self._fail_send, None
            self.layer.record(self.conn, fault, "failed", 0)
            self.layer.fired(self.conn, fault)
            if fault.errno == errno.ECONNRESET:
                # The reset is reported once: reads find the end, not it again.
                self.inbound.fail_now(EOF)
            self._die(fault)
            raise oserror(fault.errno)
        ob = self.outbound
        if ob.end is not None:
            return len(data)  # past a queued end: gone, as the kernel would drop it
        room = ob.room
        if room == 0:
            raise BlockingIOError(errno.EAGAIN, "held by a fault")
        if len(data) > room:
            data = data[:room]
        ob.feed(data, self.loop.time())
        self._flush()
        return len(data)

    def shutdown(self, how: int) -> None:
        if how == socket.SHUT_RD:
            self.real.shutdown(how)
            return
        if self.outbound.size or self.outbound.end is not None:
            self._pending_shutdown = how  # after what is held, as the kernel orders it
            return
        self.real.shutdown(how)

    # -- the kernel's side --------------------------------------------------------------

    def _sync(self) -> None:
        """Keep the kernel reader, the transport's reader and the timer where
        the shapers are."""
        if self.closed:
            return
        now = self.loop.time()
        ib = self.inbound
        self._ready_to_read(now)
        self._set_kernel_reading(
            not self.read_dead and not ib.stalled
            and (self.drain_kernel or (not ib.finished and self.read_cb is not None and ib.room > 0)),
            self._on_kernel_readable)
        if (self.write_cb is not None and not self._write_soon
                and (self.outbound.room > 0 or self.write_errno or self.write_shut)):
            self._write_soon = True
            self.loop.call_soon(self._fire_write)
        self._arm(now)

    def _fire_write(self) -> None:
        self._write_soon = False
        cb = self.write_cb
        if cb is not None and not self.closed:
            cb()
        self._sync()

    def _on_kernel_readable(self) -> None:
        ib = self.inbound
        now = self.loop.time()
        try:
            data = self.real.recv(min(READ_MAX, max(ib.room, 1)))
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            ib.feed_end(End(exc.errno or errno.EIO), now)
        else:
            if data:
                if self.drain_kernel:
                    self.layer.record(self.conn, None, "dropped_after_end", len(data))
                else:
                    ib.feed(data, now)
            else:
                if self.drain_kernel:
                    self.drain_kernel = False
                ib.feed_end(EOF, now)
        self._sync()

    def _flush(self) -> None:
        """Write what the send shaper lets out."""
        if self.closed:
            return
        ob = self.outbound
        freed = False
        while not self.write_errno:
            piece = ob.take(WRITE_MAX, self.loop.time())
            if piece is None:
                break
            if isinstance(piece, End):
                self._kernel_end(piece)
                break
            try:
                n = self.real.send(piece)
            except (BlockingIOError, InterruptedError):
                ob.push_front(piece)
                break
            except OSError as exc:
                self._write_failed(exc.errno or errno.EIO)
                break
            freed = True
            if n < len(piece):
                ob.push_front(piece[n:])
                break
        want = bool(ob.size) and not self.write_errno and not ob.stalled and ob.ready(self.loop.time())
        if want != self._kernel_writing:
            self._kernel_writing = want
            if want:
                self.loop.add_writer(self.fd, self._on_kernel_writable)
            else:
                self.loop.remove_writer(self.fd)
        if not ob.size and self._pending_shutdown is not None and not self.write_errno:
            how, self._pending_shutdown = self._pending_shutdown, None
            try:
                self.real.shutdown(how)
            except OSError:
                pass
        if self.closing and (not ob.size or self.write_errno):
            self._close_now()
            return
        if freed:
            self._sync()
        else:
            self._arm(self.loop.time())

    def _on_kernel_writable(self) -> None:
        self._flush()

    def _kernel_end(self, end: End) -> None:
        how = {"shut_wr": socket.SHUT_WR, "shut_rdwr": socket.SHUT_RDWR}.get(end.action)
        if how is None:
            return
        try:
            self.real.shutdown(how)
        except OSError:
            pass
        self.write_shut = True

    def _write_failed(self, err: int) -> None:
        dropped = self.outbound.drop_all()
        if dropped:
            self.layer.record(self.conn, None, "dropped", dropped)
        self.write_errno = err
        self._sync()

    # -- closing ----------------------------------------------------------------------------

    def close(self) -> None:
        if self.closed or self.closing:
            return
        self.read_cb = self.write_cb = None
        if self._kernel_reading:
            self._kernel_reading = False
            self.loop.remove_reader(self.fd)
        dropped = self.inbound.drop_all()
        if dropped:
            self.layer.record(self.conn, None, "dropped", dropped)
        ob = self.outbound
        if ob.size and not self.write_errno and not ob.stalled and not _linger_zero(self.real):
            # The kernel would go on sending a closed socket's buffer: so do we.
            self.closing = True
            self.loop.call_later(LINGER_MAX, self._close_now)
            self._flush()
            return
        self._close_now()

    def _close_now(self) -> None:
        if self.closed:
            return
        if self.silent and not self.closing:
            self._linger_silently()
            return
        self.closing = False
        dropped = self.outbound.drop_all()
        if dropped:
            self.layer.record(self.conn, None, "dropped", dropped)
        self._close_kernel()

    def _linger_silently(self) -> None:
        self.closing = True
        self.read_cb = self.write_cb = None
        self._cancel_timer()
        if self._kernel_writing:
            self._kernel_writing = False
            self.loop.remove_writer(self.fd)
        self.loop.add_reader(self.fd, self._silent_readable)
        self.loop.call_later(SILENT_MAX, self._close_now)

    def _silent_readable(self) -> None:
        try:
            data = self.real.recv(READ_MAX)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if data:
            self.layer.record(self.conn, None, "dropped_after_end", len(data))
        else:
            self._close_now()


def _linger_zero(sock) -> bool:
    try:
        data = sock.getsockopt(socket.SOL_SOCKET, socket.SO_LINGER, 8)
    except OSError:
        return False
    return data[:4] != b"\0\0\0\0" and data[4:8] == b"\0\0\0\0"


class _StreamSocketStandIn(SocketStandIn):
    __slots__ = ()

    def recv(self, n: int):
        return self._wire.recv(n)

    def send(self, data) -> int:
        return self._wire.send([data])

    def sendmsg(self, buffers, *_ancillary) -> int:
        return self._wire.send(list(buffers))

    def shutdown(self, how: int) -> None:
        self._wire.shutdown(how)
