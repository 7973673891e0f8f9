"""file:sendfile/2,5 on a pyinet gen_tcp socket: inet_drv's TCP_REQ_SENDFILE.

The file is a descriptor the BEAM passed (passfd.py); its bytes go from it to
the socket with os.sendfile, never through this program's memory nor the
BEAM's pipe. As in inet_drv:
- the file goes out after everything queued before it, and sends that come
  while it goes out wait until it is all out (tcp_send requests are held
  here, and the socket is unsendable meanwhile, so that the client makes its
  sends requests);
- it is not counted in the socket's statistics (getstat shows none of it);
- TCP_CORK is on while it goes (prim_inet:sendfile's nopush), unless the
  socket had nopush on already;
- the reply is {ok, BytesSent} once the file is out (or at its end, when it
  has fewer bytes than asked), or the error that stopped it.

A send that the client did not wait for and that was already on its way when
the file started is held like the others (SendSide.send asks `hold`): it goes
out after the file, never in the middle of it.
"""

from __future__ import annotations

import errno
import os
import socket

from ..framing import kept
from ..requests import CLOSED, DEFERRED, ERROR, OK

_CHUNK = 0x7FFFF000  # the most Linux's sendfile moves in one call
_POLL_FIRST, _POLL_MAX = 0.002, 0.02
_TCP_CORK = getattr(socket, "TCP_CORK", 3)

# Connection -> the FileSend going out on it.
_sending: dict = {}


class FileSend:
    """One file going out on one connection (see the module docstring)."""

    def __init__(self, conn, call, fd: int, offset: int, count: int):
        self.conn, self.call, self.fd = conn, call, fd
        self.offset, self.left, self.sent = offset, count, 0
        self.held: list = []       # (call, data) of the sends that came meanwhile
        self.timer = None
        self.poll = _POLL_FIRST
        self.corked = False
        self.was_sendable = conn.sendable
        _sending[conn] = self
        conn._set_sendable(False)
        self._start()

    def __repr__(self) -> str:
        return f"<FileSend {self.conn.id} sent={self.sent} left={self.left}>"

    # -- waiting for the queue, then for room -----------------------------------------

    def _retry_later(self, callback) -> None:
        self.timer = self.conn.loop.call_later(self.poll, callback)
        self.poll = min(self.poll * 2, _POLL_MAX)

    def _start(self) -> None:
        """The file goes after what is queued: wait until the queue is empty."""
        self.timer = None
        conn = self.conn
        if conn.sock is None:
            return self._finish((ERROR, CLOSED))
        sender = conn.sender
        if sender.queue or sender.busy is not None or sender.blocked:
            return self._retry_later(self._start)
        self.poll = _POLL_FIRST
        try:
            if not conn.sock.getsockopt(socket.IPPROTO_TCP, _TCP_CORK):
                conn.sock.setsockopt(socket.IPPROTO_TCP, _TCP_CORK, 1)
                self.corked = True
        except OSError:
            pass
        self._write()

    def _on_writable(self) -> None:
        self.conn.loop.remove_writer(self.conn.fd)
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        self._write()

    def _write(self) -> None:
        self.timer = None
        conn = self.conn
        if conn.sock is None:
            return self._finish((ERROR, CLOSED))
        while self.left > 0:
            try:
                n = os.sendfile(conn.fd, self.fd, self.offset, min(self.left, _CHUNK))
            except (BlockingIOError, InterruptedError):
                # Room comes with writability; the timer only in case the
                # connection took the writer meanwhile (a send of the race above).
                conn.loop.add_writer(conn.fd, self._on_writable)
                return self._retry_later(self._write)
            except OSError as exc:
                return self._failed(exc.errno or errno.EIO)
            if n == 0:
                break  # the end of the file
            self.offset += n
            self.left -= n
            self.sent += n
            self.poll = _POLL_FIRST
        self._finish(None)

    def _failed(self, err: int) -> None:
        """A write error ends the connection as a send's does (inet_drv's
        tcp_send_error), with this caller waiting for it (before OTP 26;
        release.py); the caller hears `closed` even with show_econnreset
        (which the next recv then tells)."""
        waiting = not self.conn.program.release.sendfile_error_leaves_send_closed
        reason = self.conn._send_or_shutdown_error(err, False, caller_waiting=waiting)
        if err in (errno.EPIPE, errno.ECONNRESET):
            reason = CLOSED
        self._finish((ERROR, reason))

    # -- done ------------------------------------------------------------------------------

    def _finish(self, error) -> None:
        conn = self.conn
        _sending.pop(conn, None)
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        os.close(self.fd)
        if conn.sock is not None:
            if conn._writing:
                # The connection's own writer, if the file took its place.
                conn.loop.add_writer(conn.fd, conn._on_writable)
            else:
                conn.loop.remove_writer(conn.fd)
            if self.corked:
                try:
                    conn.sock.setsockopt(socket.IPPROTO_TCP, _TCP_CORK, 0)
                except OSError:
                    pass
            if self.was_sendable:
                conn._set_sendable(True)
        self.call.reply(error if error is not None else (OK, self.sent))
        for call, data in self.held:
            reply = conn.send(call, data)
            if reply is not DEFERRED:
                call.reply(reply)


def start(conn, call, fd: int, offset: int, count: int):
    """Send `count` bytes of the file `fd` from `offset` on `conn`; the reply
    comes later (DEFERRED)."""
    FileSend(conn, call, fd, offset, count)
    return DEFERRED


def sending(conn) -> bool:
    """Whether a file is going out on `conn`."""
    return conn in _sending


def hold(conn, call, data) -> bool:
    """A send on a connection whose file is going out waits for it: True if
    it was held (its reply comes when the file is out)."""
    sending = _sending.get(conn)
    if sending is None:
        return False
    sending.held.append((call, kept(data)))
    return True
