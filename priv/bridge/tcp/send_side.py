"""The send side of a TCP connection: inet_drv's tcp_inet_commandv, tcp_sendv
and tcp_inet_output, as the half of TcpConnection (connection.py) that gives the
sans-I/O Sender (sender.py) the socket, the loop's timers and the callers.

It also keeps the connection *sendable*, the state in which the client may
send without waiting for the reply (PROTOCOL.md, "Flow control"); and write
errors, which change the whole connection (tcp_send_or_shutdown_error), are
here because writing finds them.
"""

from __future__ import annotations

import errno
import socket
import struct

from ..errors import posix_atom
from ..framing import kept
from ..etf.terms import atom
from ..requests import CLOSED, DEFERRED, NO_REPLY, OK, Call
from ..inet.socket import ENOTCONN
from . import sendfile
from .sender import BUSY, DELAYED, QUEUED, TIMED_OUT, WRITE, send_count

_SENDABLE = atom("sendable")
_UNSENDABLE = atom("unsendable")
_BUSY_CTL = atom("busy")
TIMEOUT = atom("timeout")
ECONNRESET_ATOM = atom("econnreset")
ERROR = atom("error")
# getsockopt(SO_MEMINFO): the socket's memory as the kernel counts it; we read
# SK_MEMINFO_SNDBUF and SK_MEMINFO_WMEM_QUEUED.
_SO_MEMINFO = 55
_MEMINFO = struct.Struct("9I")


class SendSide:
    """TcpConnection's writing; its state is the connection's (sender,
    sendable, the send timer and the tcp_add_flags)."""

    __slots__ = ()

    # -- sends that need no reply --------------------------------------------------------
    #
    # While a socket is connected and has seen no error, no end of input and no
    # shutdown, the client may send without waiting for the reply, counting what
    # is outstanding (PROTOCOL.md, "Flow control"): in that state inet_drv
    # answers `ok` to every send that does not reach the high watermark. Any
    # event that could make a send fail makes the socket unsendable *before* any
    # reply or message that tells of it, so nobody can observe the difference.

    #
    # The client may also send without waiting while what it has outstanding
    # fits in the kernel's send buffer as it was when the program last said
    # (`send_room`): those sends will all be written whole the moment they
    # arrive, so each finds the queue empty, where inet_drv answers `ok`
    # whatever the send's size. The room only grows between reports but for
    # our own writes, which the client counts; the kernel's buffer shrinks
    # only under global TCP memory pressure (sk_stream_moderate_sndbuf), where
    # a send may then be queued that inet_drv would have made its caller wait for.

    def _set_sendable(self, on: bool, room: int | None = None, tell: bool = True) -> None:
        """Say the socket is sendable (with the room to report), or is no
        longer: without `tell` only when {closed, S} follows, which takes it
        out of the client's table as {unsendable, Id} does."""
        if on and self.connected and not self.exited and self.pending_shutdown is None:
            self.sendable = True
            self._announced_high = self.opts.high_watermark
            self.program.control(_SENDABLE, self.id, self.opts.high_watermark,
                                 self.send_room() if room is None else room,
                                 self.opts.active.active)
            self.loop.add_hangup(self.fd, self._on_hangup)
        elif not on and self.sendable:
            self.sendable = False
            if tell:
                self.program.control(_UNSENDABLE, self.id)
                if self.sock is not None:
                    self.loop.remove_hangup(self.fd)

    def _on_hangup(self) -> None:
        # The peer finished sending or the socket failed: a later write may fail.
        self._set_sendable(False)

    def send_room(self) -> int:
        """Bytes of sends (as send_count counts them) the kernel will take
        whole now: its send buffer's free room, when nothing is queued."""
        sock = self.sock
        if self.sender.queue or self.sender.holding or type(sock) is not socket.socket:
            return 0  # queued output goes first (and a fault's wire keeps its own room)
        try:
            info = _MEMINFO.unpack(sock.getsockopt(socket.SOL_SOCKET, _SO_MEMINFO, _MEMINFO.size))
        except OSError:
            return 0
        return max(0, info[3] - info[5])  # SNDBUF - WMEM_QUEUED

    def send_no_reply(self, data) -> None:
        """A send the client counted as outstanding and did not wait for."""
        self.send(NO_REPLY, data)

    def send_no_reply_batch(self, datas: list) -> None:
        """Sends the client did not wait for, which arrived together: written
        with one sendmsg where the queue is empty (as many writes would
        leave the kernel the same bytes in the same order); each is still
        one send to the counters, the credit and the Sender. What the kernel
        does not take goes on as the single sends would have gone."""
        for data in datas:
            self.port_command(len(data))  # inet:info/1's output, as send_no_reply counts it
        sender = self.sender
        began = self.program.frame_began
        if (len(datas) == 1 or sendfile.sending(self) or sender.must_wait or sender.queue
                or sender.holding
                or self.opts.delay_send or not self.connected or not self.sendable
                or self.pending_shutdown is not None):
            for data in datas:
                self.send(NO_REPLY, data)
            return
        ptype = self.opts.ptype
        units = []   # [header, data] of each send
        iov = []
        for data in datas:
            header = sender.header_for(len(data))
            units.append((header, data))
            if header:
                iov.append(header)
            if len(data):
                iov.append(data)
        try:
            n = self.sock.sendmsg(iov) if iov else 0
        except (BlockingIOError, InterruptedError):
            n = 0
        except OSError:
            # As the first of them would have found it; the rest follow it.
            for data in datas:
                self.send(NO_REPLY, data)
            return
        credit = 0
        for i, (header, data) in enumerate(units):
            self.stats.sent(len(data) + ptype.header_size)
            size = len(header) + len(data)
            if n >= size:
                n -= size
                credit += send_count(len(data))
                continue
            # The first send the kernel did not take whole: its rest is queued
            # (wrote_at_once), and the sends after it find the queue non-empty.
            sender.queue_rest(header, data, n, send_count(len(data)))
            self._update_writing()
            for later in datas[i + 1:]:
                self._command(NO_REPLY, later, began)
            break
        self._ack(credit)

    # -- sending (tcp_inet_commandv, tcp_sendv, tcp_inet_output) -----------------------------
    #
    # The policy is the Sender's (sender.py); here it meets the socket, the
    # loop's timers and the callers.

    def _update_writing(self) -> None:
        want = self.sock is not None and self.sender.wants_write()
        if want != self._writing:
            self._writing = want
            if want:
                self.loop.add_writer(self.fd, self._on_writable)
            else:
                self.loop.remove_writer(self.fd)

    def send(self, call: Call, data) -> object:
        if sendfile.hold(self, call, data):
            # A file is going out: every send waits until it is out, also
            # one the client did not wait for.
            return DEFERRED
        sender = self.sender
        if sender.must_wait:
            # A busy port suspends the next sender until it is not busy.
            sender.blocked.append((call, kept(data)))
            return DEFERRED
        return self._command(call, data, self.program.frame_began)

    def _command(self, call: Call, data, began: float) -> object:
        """A send handed over at loop time `began` (its send_timeout runs from then)."""
        if not self.connected:
            if self.delayed_close_send:
                self.delayed_close_send = False
                if self.delayed_econnreset:
                    return (ERROR, ECONNRESET_ATOM)
                return (ERROR, CLOSED)
            return (ERROR, ENOTCONN)
        if self.pending_shutdown is not None:
            return self._send_error_reply(call, errno.EPIPE, shutdown=True)
        return self._sendv(call, data, began)

    def _sendv(self, call: Call, data, began: float) -> object:
        sender = self.sender
        size = len(data)
        self.stats.sent(size + self.opts.ptype.header_size)
        # What the client counted for this send while the socket was sendable.
        credit = send_count(size) if self.sendable else 0
        outcome = sender.offer(call, data, credit, began)
        if outcome is WRITE:
            header = sender.offered_header
            try:
                n = self.sock.sendmsg([header, data]) if header else self.sock.send(data)
            except (BlockingIOError, InterruptedError):
                n = 0
            except OSError as exc:
                sender.forget_offer()
                return self._send_error_reply(call, exc.errno or errno.EIO)
            credit = sender.wrote_at_once(n)
            if credit:
                self._ack(credit)
            else:
                self._update_writing()
            return OK
        if outcome is QUEUED:
            return OK
        if outcome is BUSY:
            # The port is busy: the sender waits, and so will every later one.
            if self.sendable:
                self.program.control(_BUSY_CTL, self.id, True)
            self._sync_send_timer()
            return DEFERRED
        if outcome is DELAYED:
            self.loop.call_later(0, self._delayed_output)
            return OK
        if outcome is TIMED_OUT:
            return (ERROR, TIMEOUT)
        self._ack(credit)  # EMPTY
        return OK

    def _leave_busy(self):
        """End the busy state; returns the caller that was busy, or None."""
        call = self.sender.leave_busy()
        self._busy_ended(call)
        return call

    def _busy_ended(self, call) -> None:
        if call is not None and self.sendable:
            self.program.control(_BUSY_CTL, self.id, False)
        self._sync_send_timer()

    def _sync_send_timer(self) -> None:
        """Keep the loop's timer on the sender's deadline."""
        at = self.sender.deadline
        if at == self._send_timer_at:
            return
        if self._send_timer is not None:
            self._send_timer.cancel()
        self._send_timer = None if at is None else self.loop.call_at(at, self._on_send_deadline)
        self._send_timer_at = at

    def _ack(self, credit: int) -> None:
        if credit and self.sendable:
            self.program.ack(self.id, credit)

    def _delayed_output(self) -> None:
        self.sender.flush_delayed()
        self._output()

    def _on_writable(self) -> None:
        self._output()

    def _output(self) -> None:
        """tcp_inet_output: write queued data; wake the busy sender below low_watermark."""
        sender = self.sender
        queue = sender.queue
        while True:
            if not queue:
                self._update_writing()
                self._queue_empty()
                return
            try:
                n = self.sock.sendmsg(queue.iov())
            except (BlockingIOError, InterruptedError):
                self._update_writing()
                return
            except OSError as exc:
                if self.flushing:
                    self._end_flush()
                else:
                    self._send_error(exc.errno or errno.EIO)
                return
            self._ack(sender.wrote(n))
            call = sender.release()
            if call is not None:
                self._busy_ended(call)
                call.reply(OK)
                self._resume_blocked_sends()
                if self.sock is None:
                    return

    def _queue_empty(self) -> None:
        # The pending flag stays set, as in inet_drv: a later send fails at once.
        if self.pending_shutdown is not None:
            how = self.pending_shutdown
            try:
                self.sock.shutdown(how)
                self.shutdown_wr_done = True
            except OSError as exc:
                if not self.flushing:
                    self._send_error(exc.errno or errno.EIO, shutdown=True)
                    return
        if self.flushing:
            self._end_flush()
        elif self.close_calls:
            self._finish_close()

    def _resume_blocked_sends(self) -> None:
        sender = self.sender
        while (item := sender.next_blocked()) is not None:
            call, data = item
            # A sender suspended on a busy port hands its data over only now.
            reply = self._command(call, data, self.loop.time())
            if reply is not DEFERRED:
                call.reply(reply)

    def _on_send_deadline(self) -> None:
        self._send_timer = self._send_timer_at = None
        call = self.sender.expire(self.loop.time())
        if call is None:
            self._sync_send_timer()  # woken before the deadline: wait on
            return
        self._busy_ended(call)
        call.reply((ERROR, TIMEOUT))
        if self.opts.send_timeout_close:
            if self.opts.active.active and self.program.release.send_timeout_close_reports_closed:
                self._active_closed()
            else:
                self._desc_close()
        self._resume_blocked_sends()

    def _fail_busy_sender(self, reason) -> bool:
        """A blocked send gets {error, reason} (the queue is dropped); True if there was one."""
        if self.sender.busy is None:
            return False
        self.sender.drop()
        self._update_writing()
        call = self._leave_busy()
        call.reply((ERROR, reason))
        self._resume_blocked_sends()
        return True

    def _send_error_reply(self, call: Call, err: int, shutdown: bool = False):
        """tcp_send_error for a send that has a caller waiting on this very call
        (a send nobody waits for leaves the error for the next send, as
        TCP_ADDF_DELAYED_CLOSE_SEND does when there is no caller)."""
        reason = self._send_or_shutdown_error(err, shutdown, caller_waiting=call is not NO_REPLY)
        return (ERROR, reason)

    def _send_error(self, err: int, shutdown: bool = False) -> None:
        """tcp_send_error from the output path: the caller to tell is the busy one."""
        # The busy state ends before the socket may exit, so that the busy
        # caller hears the error itself, not the `closed` of an exit.
        busy = self._leave_busy()
        reason = self._send_or_shutdown_error(
            err, shutdown, caller_waiting=busy is not None and busy is not NO_REPLY)
        if busy is not None:
            busy.reply((ERROR, reason))
            self._resume_blocked_sends()

    def _send_or_shutdown_error(self, err: int, shutdown: bool, caller_waiting: bool):
        """tcp_send_or_shutdown_error: returns the reason a waiting caller gets."""
        self._set_sendable(False)
        if not shutdown and err == errno.EPIPE and not self.shutdown_wr_done:
            err = errno.ECONNRESET
        show = err == errno.ECONNRESET and self.opts.show_econnreset
        reason = posix_atom(err) if show else CLOSED
        if self.opts.active.active:
            if show:
                self._error_message(err)
            self._active_closed()
        else:
            self._close_check(CLOSED)
            if not caller_waiting:
                self.delayed_close_send = True
            self._desc_close()
            self.delayed_close_recv = True
            if show:
                self.delayed_econnreset = True
        return reason

    def _active_closed(self) -> None:
        """An active socket that writing closed: the owner hears
        {tcp_closed, S}, and the port ends (exit_on_close) or the socket closes."""
        self._closed_message()
        if self.opts.exit_on_close:
            self._exit()
        else:
            self._desc_close()

    def send_pending(self) -> int:
        return self.sender.queue.size

