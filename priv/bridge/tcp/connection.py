"""A connected TCP socket hosted here: inet_drv's tcp_descriptor, ported.

The state is inet_drv's, because its quirks show through gen_tcp: `connected`
(IS_CONNECTED), the socket closed under a still valid handle (`sock is None`,
inet_drv's desc close: recv then says enotconn, getopts einval), and the
tcp_add_flags that make the next send or recv after a failure answer `closed` or
`econnreset` once. `exited` is the port gone (driver_exit): the handle is dead.

The class is one state machine, as inet_drv's descriptor is, in three files by
concept: receive_side.py reads and delivers (over the sans-I/O ReceiveBuffer of
receiver.py), send_side.py writes (over the sans-I/O Sender of sender.py), and
this module holds the state, the options, shutdown, close and linger.
"""

from __future__ import annotations

import errno
import logging
import socket
import struct

from ..active import MULTI, ONCE, PASSIVE
from ..errors import RequestError, posix_atom
from ..etf.terms import atom
from ..requests import CLOSED, DEFERRED, EINVAL, OK, Call
from . import messages as msg
from ..inet.socket import ENOTCONN, OPEN, InetSocket
from .receive_side import ERROR, ReceiveSide
from .receiver import ReceiveBuffer
from .send_side import SendSide
from .sender import Sender

log = logging.getLogger("bridge.tcp")

_BUSY = atom("busy")
_CONNECTED = atom("connected")
# ?INET_CLOSE_TIMEOUT: prim_inet:close waits this long with no progress before
# giving up on pending output, and prim_inet:send this long for its reply before
# it watches the port.
CLOSE_IDLE_TIMEOUT = 5.0
CLOSE_MAX_WAIT = 180.0


class TcpConnection(ReceiveSide, SendSide, InetSocket):
    module = atom("pyinet_tcp")
    kind = "tcp"

    def __init__(self, program, sock: socket.socket, family: int, owner, opts,
                 connected: bool = True):
        super().__init__(program, sock, family, owner, opts)
        if sock.gettimeout() != 0.0:  # a connect's socket is non-blocking already
            sock.setblocking(False)
        # False only for gen_tcp:fdopen/2 of a descriptor that is not connected.
        self.connected = connected
        self.exited = False
        self.select_read = False
        self._reading = False
        self._writing = False
        self.rb = ReceiveBuffer()
        # The release is the program's for life: looked up once, not per read.
        self._reads_again = program.release.tcp_recv_reads_again
        self._configure_receiver()
        self.recv_call: Call | None = None
        self.recv_timer = None
        self.sender = Sender(opts)
        self._send_timer = None
        self._send_timer_at: float | None = None
        self.close_calls: list = []
        self.close_timer = None
        self._close_progress = 0
        # tcp_add_flags
        self.delayed_close_send = False
        self.delayed_close_recv = False
        self.delayed_econnreset = False
        self.close_sent = False
        self.flushing = False  # closed, with queued output still going out
        self.shutdown_wr_done = False
        self.pending_shutdown: int | None = None
        self._prefix = msg.TcpMessagePrefix()
        self.sendable = False
        self._announced_high = 0
        if opts.active.active and connected:
            self._select(True)
        # No room yet: a first send goes unwaited anyway, and its ack says
        # the room (a system call less for every new connection).
        self._set_sendable(True, room=0)

    def __repr__(self) -> str:
        state = "connected" if self.connected else ("closed" if self.sock is None else "read-closed")
        return (f"<TcpConnection {self.id} {state} active={self.opts.active.term()!r} "
                f"buffered={self.rb.buffered} queued={self.sender.queue.size}>")

    def state_name(self) -> str:
        if self.connected:
            return "connected"
        return "closed" if self.sock is None else "read_closed"

    # -- messages to the owner, from either side ------------------------------------

    def _send_owner(self, message) -> None:
        self.program.send(self.owner, message)

    def _closed_message(self) -> None:
        if not self.close_sent:
            self.close_sent = True
            self._send_owner((msg.TCP_CLOSED, self.handle))

    def _error_message(self, err: int) -> None:
        self._send_owner((msg.TCP_ERROR, self.handle, posix_atom(err)))

    def send_no_reply(self, data) -> None:
        # Counted as written to the port (inet:info/1's output), as a send
        # with a reply is in tcp/requests.py.
        self.port_command(len(data))
        super().send_no_reply(data)

    # -- options -----------------------------------------------------------------------------

    def set_active(self, value) -> None:
        super().set_active(value)
        if self.opts.active.active and not self.connected and self.sock is None and not self.exited:
            # Turning a closed socket active reports the close now (INET_LOPT_ACTIVE).
            if self.delayed_econnreset:
                self.delayed_econnreset = False
                self._error_message(errno.ECONNRESET)
            self._closed_message()
            if self.opts.exit_on_close:
                self._exit()
                raise _Exited

    def setopts(self, options: list) -> None:
        try:
            super().setopts(options)
        except _Exited:
            pass

    def options_changed(self, old_active: int, old_ptype) -> None:
        self._configure_receiver()
        if self.sendable and self.opts.high_watermark != self._announced_high:
            self._set_sendable(True)
        if self.exited or not self.connected:
            return
        active = self.opts.active.mode
        if old_active == PASSIVE and active in (ONCE, MULTI) and self.opts.ptype == old_ptype:
            if self._recv(0) >= 0 and self.opts.active.active:
                self._select(True)
            return
        if active != old_active:
            self._select(active != PASSIVE)
        if active != PASSIVE and (old_active == PASSIVE or self.opts.ptype != old_ptype):
            if old_active != PASSIVE and self.program.release.packet_change_forgets_remain:
                self.rb.remain = 0
            self._deliver_buffered()

    def getopts(self, names: list) -> list:
        if self.exited:
            raise RequestError(EINVAL)
        return super().getopts(names)

    def peername(self):
        if not self.connected:
            raise RequestError(ENOTCONN)
        return super().peername()

    def status(self) -> list:
        if self.sock is None:
            return []
        states = [_BUSY] if self.sender.busy is not None else []
        if self.connected:
            states.append(_CONNECTED)
        states.append(OPEN)
        return states

    # -- shutdown and close -----------------------------------------------------------------

    def shutdown(self, how: int):
        if not self.connected:
            return (ERROR, ENOTCONN)
        if how != socket.SHUT_RD:
            self._set_sendable(False)
        if how != socket.SHUT_RD and self.sender.queue:
            # TCP_ADDF_PENDING_SHUT_WR wins over PENDING_SHUT_RDWR once set.
            if self.pending_shutdown != socket.SHUT_WR:
                self.pending_shutdown = how
            return OK
        try:
            self.sock.shutdown(how)
        except OSError as exc:
            if how != socket.SHUT_RD:
                self.shutdown_wr_done = True
            return (ERROR, posix_atom(exc.errno or errno.EIO))
        # inet_drv sets TCP_ADDF_SHUTDOWN_WR_DONE here only when shutdown()
        # fails, so a later send's EPIPE still counts as a reset (econnreset
        # with show_econnreset).
        return OK

    def close(self, call: Call):
        """gen_tcp:close/1: as prim_inet:close, wait for queued output unless
        lingering for 0 seconds, then close."""
        queue = self.sender.queue
        linger = None
        if queue and self.sock is not None:
            try:
                linger = _linger(self.sock)
            except OSError:
                pass
        if queue and self.sock is not None and linger != (True, 0):
            self.close_calls.append(call)
            wait = linger[1] if linger and linger[0] else CLOSE_MAX_WAIT
            if self.close_timer is None:
                self._close_progress = queue.size
                self.close_timer = self.loop.call_later(min(wait, CLOSE_IDLE_TIMEOUT), self._close_tick,
                                                        self.loop.time() + wait)
            return DEFERRED
        self._finish_close()
        return OK

    def _close_tick(self, deadline: float) -> None:
        self.close_timer = None
        left = self.sender.queue.size
        if left == 0 or self.loop.time() >= deadline or left == self._close_progress:
            self._finish_close()
            return
        self._close_progress = left
        self.close_timer = self.loop.call_later(min(CLOSE_IDLE_TIMEOUT, deadline - self.loop.time()),
                                                self._close_tick, deadline)

    def _finish_close(self) -> None:
        if self.close_timer is not None:
            self.close_timer.cancel()
            self.close_timer = None
        calls, self.close_calls = self.close_calls, []
        self._close_check(CLOSED)
        self._exit(tell_monitors=True, flush=True)
        for call in calls:
            call.reply(OK)

    def _close_check(self, reason) -> None:
        """tcp_close_check: whoever waits on this socket is told it closed."""
        self._cancel_recv_timer()
        self._recv_error_all(reason)

    def _desc_close(self) -> None:
        """tcp_desc_close: drop buffers and the kernel socket; the handle stays."""
        self._set_sendable(False)
        self.rb.clear()
        self.sender.drop()
        self.connected = False
        self._reading = self._writing = False
        self.select_read = False
        self.close_socket()

    def _exit(self, tell_monitors: bool = True, flush: bool = False, reason=None) -> None:
        """driver_exit: the socket is gone, handle and all. With `flush` (the
        port closed, or gone with its owner) output still queued goes on being
        sent, as tcp_inet_flush keeps it unless linger is {true, 0}. `reason`
        is what inet:monitor/1 reports (the owner's exit reason)."""
        if self.exited:
            return
        sender = self.sender
        # {closed, S} (unregister, below) needs no {unsendable, Id} before
        # it unless a reply goes out in between, whose caller could act on it
        # (the descriptor's interest goes when it closes).
        self._set_sendable(False, tell=sender.busy is not None or bool(sender.blocked)
                           or self.recv_call is not None)
        self.exited = True
        self._cancel_recv_timer()
        if sender.busy is not None:
            # A closed port never answers the busy sender: OTP 25's
            # prim_inet:send/3 waits ?INET_CLOSE_TIMEOUT for the reply, then
            # monitors the port and takes its 'DOWN' for {error, closed};
            # later ones monitor it from the start and see the 'DOWN' at once.
            busy_since = sender.busy_since
            call = self._leave_busy()
            wait = 0.0 if self.program.release.send_monitors_port else CLOSE_IDLE_TIMEOUT
            self.loop.call_at(max(self.loop.time(), busy_since + wait),
                              call.reply, (ERROR, CLOSED))
        # Senders suspended on the busy port resume into a port_command on a
        # dead port: badarg, which prim_inet:send/3 turns into einval.
        while sender.blocked:
            call, _ = sender.blocked.popleft()
            call.reply((ERROR, EINVAL))
        self._recv_error_all(CLOSED)
        if flush and self._writing and not self._linger_zero():
            self._flush_in_background()
        else:
            self._desc_close()
        self.program.unregister(self, reason)

    def _linger_zero(self) -> bool:
        try:
            return _linger(self.sock) == (True, 0)
        except OSError:
            return False

    def _flush_in_background(self) -> None:
        """A closing port: nothing more is read or delivered (erts drops the
        output of a closing port), the queue is written out, then the socket
        closes."""
        self.flushing = True
        self.connected = False
        self.rb.clear()
        self._select(False)

    def _end_flush(self) -> None:
        self.flushing = False
        self.sender.drop()
        self._writing = False
        self.close_socket()

    def owner_died(self, reason=None) -> None:
        self._exit(flush=True, reason=reason)




class _Exited(Exception):
    """setopts made the socket exit; stop applying options."""


def _linger(sock: socket.socket) -> tuple[bool, int]:
    onoff, secs = struct.unpack("ii", sock.getsockopt(socket.SOL_SOCKET, socket.SO_LINGER, 8))
    return bool(onoff), secs
