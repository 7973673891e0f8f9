"""A connected TCP socket hosted here: inet_drv's tcp_descriptor, ported.

The state is inet_drv's, because its quirks show through gen_tcp: `connected`
(IS_CONNECTED), the socket closed under a still valid handle (`sock is None`,
inet_drv's desc close: recv then says enotconn, getopts einval), and the
tcp_add_flags that make the next send or recv after a failure answer `closed` or
`econnreset` once. `exited` is the port gone (driver_exit): the handle is dead.

Reading follows `select_read`, the flag inet_drv toggles with sock_select: on in
active mode, on while a passive recv waits, off after a passive delivery or when
reading is closed. The receive buffer (receiver.py) decides how much to read.
Writing follows inet_drv's send path: write at once if nothing is queued, queue
the rest; when the queue passes high_watermark the sender waits for its reply until
it drains below low_watermark (or send_timeout), and later senders wait behind it,
as processes suspended on a busy port would.
"""

from __future__ import annotations

import errno
import logging
import socket
import struct
from collections import deque

from .. import packet as packets
from ..active import MULTI, ONCE, PASSIVE
from ..errors import RequestError, posix_atom
from ..etf.terms import atom
from ..requests import CLOSED, DEFERRED, EINVAL, NO_REPLY, OK, Call
from . import messages as msg
from ..inet.socket import ENOTCONN, OPEN, InetSocket
from .receiver import TCP_MAX_PACKET_SIZE, PacketError, ReceiveBuffer
from .sendqueue import SendQueue

log = logging.getLogger("bridge.tcp")

RAW = packets.PACKET_TYPES[0]

_SENDABLE = atom("sendable")
_UNSENDABLE = atom("unsendable")
_BUSY_CTL = atom("busy")
# The client counts each send as its size plus this: the largest packet header
# (4 bytes) that this program may add, so its count is never below the queue.
SEND_COUNT_MARGIN = 4

TIMEOUT = atom("timeout")
EALREADY = atom("ealready")
ENOMEM = atom("enomem")
ECONNRESET_ATOM = atom("econnreset")
EMSGSIZE = errno.EMSGSIZE
ERROR = atom("error")
_OK_TUPLE_TAG = atom("ok")
_BUSY = atom("busy")
_CONNECTED = atom("connected")
# ?INET_CLOSE_TIMEOUT: prim_inet:close waits this long with no progress before
# giving up on pending output, and prim_inet:send this long for its reply before
# it watches the port.
CLOSE_IDLE_TIMEOUT = 5.0
# A body whose length is known is read in pieces of at most this: a header may
# announce up to 2 GiB, and one read of that would allocate it all at once.
EXACT_READ_LIMIT = 1 << 20
CLOSE_MAX_WAIT = 180.0


class TcpConnection(InetSocket):
    module = atom("pyinet_tcp")
    kind = "tcp"

    def __init__(self, program, sock: socket.socket, family: int, owner, opts):
        super().__init__(program, sock, family, owner, opts)
        sock.setblocking(False)
        self.connected = True
        self.exited = False
        self.select_read = False
        self._reading = False
        self._writing = False
        self.rb = ReceiveBuffer()
        # The release is the program's for life: looked up once, not per read.
        self._reads_again = program.release.tcp_recv_reads_again
        self._configure_receiver()
        self.txq = SendQueue()
        self.recv_call: Call | None = None
        self.recv_timer = None
        self.busy_call: Call | None = None  # the sender waiting for low_watermark
        self.busy_since = 0.0
        self.send_timer = None
        self.blocked_sends: deque = deque()  # (call, data) behind a busy sender
        self.delay_timer = None
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
        if opts.active.active:
            self._select(True)
        self._set_sendable(True)

    # -- sends that need no reply --------------------------------------------------------
    #
    # While a socket is connected and has seen no error, no end of input and no
    # shutdown, the client may send without waiting for the reply, counting what
    # is outstanding (PROTOCOL.md, "Flow control"): in that state inet_drv
    # answers `ok` to every send that does not reach the high watermark. Any
    # event that could make a send fail makes the socket unsendable *before* any
    # reply or message that tells of it, so nobody can observe the difference.

    def _set_sendable(self, on: bool) -> None:
        if on and self.connected and not self.exited and self.pending_shutdown is None:
            self.sendable = True
            self._announced_high = self.opts.high_watermark
            self.program.control(_SENDABLE, self.id, self.opts.high_watermark)
            self.loop.add_hangup(self.fd, self._on_hangup)
        elif not on and self.sendable:
            self.sendable = False
            self.program.control(_UNSENDABLE, self.id)
            if self.sock is not None:
                self.loop.remove_hangup(self.fd)

    def _on_hangup(self) -> None:
        # The peer finished sending or the socket failed: a later write may fail.
        self._set_sendable(False)

    def send_no_reply(self, data) -> None:
        """A send the client counted as outstanding and did not wait for."""
        self.send(NO_REPLY, data)

    def __repr__(self) -> str:
        state = "connected" if self.connected else ("closed" if self.sock is None else "read-closed")
        return (f"<TcpConnection {self.id} {state} active={self.opts.active.term()!r} "
                f"buffered={self.rb.buffered} queued={self.txq.size}>")

    def state_name(self) -> str:
        if self.connected:
            return "connected"
        return "closed" if self.sock is None else "read_closed"

    # -- event interest --------------------------------------------------------------

    # Reading: InetSocket's _select and _update_reading.

    def _update_writing(self) -> None:
        want = bool(self.txq) and self.sock is not None and self.delay_timer is None
        if want != self._writing:
            self._writing = want
            if want:
                self.loop.add_writer(self.fd, self._on_writable)
            else:
                self.loop.remove_writer(self.fd)

    def _configure_receiver(self) -> None:
        o = self.opts
        self.rb.configure(o.ptype, o.packet_size, o.buffer, o.line_delimiter, o.read_ahead)

    # -- receiving (tcp_recv, tcp_deliver) -------------------------------------------

    def _input(self) -> None:
        self._recv(0)

    def _recv(self, request_len: int) -> int:
        """inet_drv's tcp_recv: read and deliver what is complete. A read of
        known length reads once; one of unknown length (a read ahead, or a
        packet header) is read again at once where the release does that.
        Returns the number of packets delivered, or -1 when the socket failed."""
        rb = self.rb
        raw_and_empty = rb.buf is None and self.opts.ptype is RAW
        try:
            # plan() also remembers a pending length for the reads to come.
            nread = rb.plan(request_len)
        except PacketError:
            return self._recv_error(EMSGSIZE)
        if nread == 0:
            return self._deliver()
        while True:
            exact = rb.remain > 0
            if nread > EXACT_READ_LIMIT and exact:
                nread = EXACT_READ_LIMIT
            try:
                data = self.sock.recv(nread)
            except (BlockingIOError, InterruptedError):
                return 0
            except ConnectionResetError:
                if self.opts.show_econnreset:
                    return self._recv_error(errno.ECONNRESET)
                return self._recv_closed()
            except OSError as exc:
                return self._recv_error(exc.errno or errno.EIO)
            if not data:
                return self._recv_closed()
            if raw_and_empty and (not request_len or len(data) == request_len):
                # What one read into an empty buffer gave is the whole packet: hand it
                # over as it is (through the buffer it would be copied twice).
                rb.clear()
                return self._deliver_one(data)
            raw_and_empty = False
            try:
                if rb.feed(data):
                    return self._deliver()
                if exact or not self._reads_again:
                    return 0
                nread = rb.plan(0)
            except PacketError:
                return self._recv_error(EMSGSIZE)
            if nread == 0:
                return self._deliver()

    def _deliver(self) -> int:
        """tcp_deliver: hand over the ready packet, and in active mode every
        further complete one, until the socket turns passive."""
        count = 0
        rb = self.rb
        while True:
            if self._deliver_one(rb.take()) < 0:
                return -1
            count += 1
            if not self.opts.active.active:
                return count
            try:
                if not rb.ready():
                    return count
            except PacketError:
                # inet_drv reports this on the next read, not now.
                return count

    def _deliver_one(self, packet: bytes) -> int:
        """One packet of tcp_deliver's loop; a passive socket stops reading after it."""
        self.stats.received(len(packet))
        if self._reply_data(packet) < 0:
            return -1
        if not self.opts.active.active:
            self._cancel_recv_timer()
            self._select(False)
        return 1

    def _deliver_buffered(self) -> int:
        """tcp_deliver(desc, 0): deliver if a complete packet is already buffered."""
        rb = self.rb
        if rb.buf is None or rb.remain > 0:
            return 0
        try:
            if not rb.ready():
                return 0
        except PacketError:
            return -1
        return self._deliver()

    def _reply_data(self, packet: bytes) -> int:
        """tcp_reply_data: one packet to the recv caller or as an active message."""
        o = self.opts
        ptype = o.ptype
        if o.deliver_port:
            body = packets.packet_body(ptype, packet, 0, len(packet))
            self._send_owner((self.handle, (msg.DATA, msg.data_term(body, o.binary, o.header))))
        elif ptype.parsed:
            term = self._parse(ptype, packet)
            if not o.active.active:
                self._recv_reply((_OK_TUPLE_TAG, term))
                return 1
            self._send_owner((msg.HTTP, self.handle, term) if ptype.http else term)
        else:
            body = packet if ptype is RAW else packets.packet_body(ptype, packet, 0, len(packet))
            if not o.active.active:
                if o.binary and not o.header and self.recv_call is not None:
                    call, self.recv_call = self.recv_call, None
                    self._cancel_recv_timer()
                    call.reply_ok_binary(body)
                else:
                    self._recv_reply((_OK_TUPLE_TAG, msg.data_term(body, o.binary, o.header)))
                return 1
            if o.binary and not o.header:
                prefix = self._prefix.get(self.owner, self.handle_ext)
                self.program.send_encoded(prefix, msg.binary_ext_header(len(body)), body)
            else:
                self._send_owner((msg.TCP, self.handle, msg.data_term(body, o.binary, o.header)))
        if o.active.delivered():
            self.passive_message()
        return 1

    def _parse(self, ptype, packet: bytes):
        if ptype.http:
            term, self.rb.http_state = packets.parse_http(packet, self.rb.http_state, ptype.as_binary)
            return term
        # ssl_tls_inetdrv: {ssl_tls, S, Type, {Major, Minor}, Data}, active or not.
        return (msg.SSL_TLS, self.handle) + packets.table.parse_ssl_tls(packet)[2:]

    def _send_owner(self, message) -> None:
        self.program.send(self.owner, message)

    def passive_message(self) -> None:
        self._send_owner((msg.TCP_PASSIVE, self.handle))

    def _closed_message(self) -> None:
        if not self.close_sent:
            self.close_sent = True
            self._send_owner((msg.TCP_CLOSED, self.handle))

    def _error_message(self, err: int) -> None:
        self._send_owner((msg.TCP_ERROR, self.handle, posix_atom(err)))

    def _recv_reply(self, reply) -> None:
        call, self.recv_call = self.recv_call, None
        self._cancel_recv_timer()
        if call is not None:
            call.reply(reply)

    def _recv_error_all(self, reason) -> None:
        """async_error_am_all: the waiting recv (there is at most one) fails."""
        self._recv_reply((ERROR, reason))

    def _recv_closed(self) -> int:
        """tcp_recv_closed: the peer closed its side."""
        self._set_sendable(False)
        blocking_send = self._fail_busy_sender(CLOSED)
        if not blocking_send:
            self.delayed_close_send = True
        if not self.opts.active.active:
            self._cancel_recv_timer()
            self.rb.clear()
            if self.opts.exit_on_close:
                self._desc_close()
            else:
                self._select(False)
            self._recv_error_all(CLOSED)
        else:
            self.rb.clear()
            self._closed_message()
            if self.opts.exit_on_close:
                self._exit()
            else:
                self._select(False)
        return -1

    def _recv_error(self, err: int) -> int:
        """tcp_recv_error: reading failed."""
        self._set_sendable(False)
        self._fail_busy_sender(CLOSED)
        if not self.opts.active.active:
            self._cancel_recv_timer()
            self.rb.clear()
            if self.opts.exit_on_close:
                self._desc_close()
            else:
                self._select(False)
            self._recv_error_all(posix_atom(err))
        else:
            self.rb.clear()
            self._error_message(err)
            self._closed_message()
            if self.opts.exit_on_close:
                self._exit()
            else:
                self._select(False)
        return -1

    # -- passive recv ----------------------------------------------------------------------

    def recv(self, call: Call, length: int, timeout: float | None):
        """TCP_REQ_RECV."""
        if not self.connected:
            if self.delayed_close_recv:
                self.delayed_close_recv = self.delayed_close_send = False
                if self.delayed_econnreset:
                    self.delayed_econnreset = False
                    return (ERROR, ECONNRESET_ATOM)
                return (ERROR, CLOSED)
            return (ERROR, ENOTCONN)
        if self.opts.active.active:
            return (ERROR, EINVAL)
        if self.opts.ptype is not RAW and length != 0:
            return (ERROR, EINVAL)
        if length > TCP_MAX_PACKET_SIZE:
            return (ERROR, ENOMEM)
        if self.recv_call is not None:
            return (ERROR, EALREADY)
        self.recv_call = call
        if self._recv(length) == 0 and self.recv_call is call:
            if timeout == 0:
                self._recv_reply((ERROR, TIMEOUT))
            else:
                if timeout is not None:
                    self.recv_timer = self.loop.call_later(timeout, self._recv_timeout)
                self._select(True)
        return DEFERRED

    def _recv_timeout(self) -> None:
        self.recv_timer = None
        self._select(False)
        self.rb.remain = 0
        self._recv_reply((ERROR, TIMEOUT))

    def _cancel_recv_timer(self) -> None:
        if self.recv_timer is not None:
            self.recv_timer.cancel()
            self.recv_timer = None

    def unrecv(self, data) -> object:
        if not self.connected:
            return (ERROR, ENOTCONN)
        self.rb.push_front(bytes(data))
        if self.opts.active.active:
            self._deliver_buffered()
        return OK

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

    # -- sending (tcp_inet_commandv, tcp_sendv, tcp_inet_output) -----------------------------

    def send(self, call: Call, data) -> object:
        if self.busy_call is not None or self.blocked_sends:
            # A busy port suspends the next sender until it is not busy.
            self.blocked_sends.append((call, data))
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
        o = self.opts
        size = len(data)
        hsize = o.ptype.header_size
        if hsize:
            # put_int8/16/32 in inet_drv: a length too large for the header wraps.
            header = (size & ((1 << (8 * hsize)) - 1)).to_bytes(hsize, "big")
        else:
            header = b""
        self.stats.sent(size + len(header))
        # What the client counted for this send while the socket was sendable.
        credit = size + SEND_COUNT_MARGIN if self.sendable else 0
        txq = self.txq
        if txq:
            txq.append(header)
            txq.append(data, credit)
            if txq.size >= o.high_watermark:
                if o.send_timeout == 0:
                    return (ERROR, TIMEOUT)
                self._enter_busy(call)
                self.busy_since = began
                if o.send_timeout is not None:
                    self.send_timer = self.loop.call_at(began + o.send_timeout / 1000.0, self._send_timeout)
                return DEFERRED
            return OK
        if not header and not size:
            self._ack(credit)
            return OK
        if o.delay_send:
            txq.append(header)
            txq.append(data, credit)
            if self.delay_timer is None:
                self.delay_timer = self.loop.call_later(0, self._delayed_output)
            return OK
        try:
            if header:
                n = self.sock.sendmsg([header, data])
            else:
                n = self.sock.send(data)
        except (BlockingIOError, InterruptedError):
            n = 0
        except OSError as exc:
            return self._send_error_reply(call, exc.errno or errno.EIO)
        total = len(header) + size
        if n == total:
            self._ack(credit)
            return OK
        if n < len(header):
            txq.append(header[n:])
            txq.append(data, credit)
        else:
            txq.append(memoryview(data)[n - len(header):], credit)
        self._update_writing()
        return OK

    def _enter_busy(self, call: Call) -> None:
        """The port is busy: the sender waits, and so will every later one."""
        self.busy_call = call
        if self.sendable:
            self.program.control(_BUSY_CTL, self.id, True)

    def _leave_busy(self):
        call, self.busy_call = self.busy_call, None
        if call is not None and self.sendable:
            self.program.control(_BUSY_CTL, self.id, False)
        return call

    def _ack(self, credit: int) -> None:
        if credit and self.sendable:
            self.program.ack(self.id, credit)

    def _delayed_output(self) -> None:
        self.delay_timer = None
        self._output()

    def _on_writable(self) -> None:
        self._output()

    def _output(self) -> None:
        """tcp_inet_output: write queued data; wake the busy sender below low_watermark."""
        txq = self.txq
        while True:
            if not txq:
                self._update_writing()
                self._queue_empty()
                return
            try:
                n = self.sock.sendmsg(txq.iov())
            except (BlockingIOError, InterruptedError):
                self._update_writing()
                return
            except OSError as exc:
                if self.flushing:
                    self._end_flush()
                else:
                    self._send_error(exc.errno or errno.EIO)
                return
            self._ack(txq.consume(n))
            left = txq.size
            if left <= self.opts.low_watermark and self.busy_call is not None:
                self._cancel_send_timer()
                call = self._leave_busy()
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
        while self.blocked_sends and self.busy_call is None:
            call, data = self.blocked_sends.popleft()
            # A sender suspended on a busy port hands its data over only now.
            reply = self._command(call, data, self.loop.time())
            if reply is not DEFERRED:
                call.reply(reply)

    def _send_timeout(self) -> None:
        self.send_timer = None
        call = self._leave_busy()
        if call is not None:
            call.reply((ERROR, TIMEOUT))
        if self.opts.send_timeout_close:
            self._desc_close()
        self._resume_blocked_sends()

    def _cancel_send_timer(self) -> None:
        if self.send_timer is not None:
            self.send_timer.cancel()
            self.send_timer = None

    def _fail_busy_sender(self, reason) -> bool:
        """A blocked send gets {error, reason} (the queue is dropped); True if there was one."""
        if self.busy_call is None:
            return False
        self.txq.clear()
        self._update_writing()
        self._cancel_send_timer()
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
        if busy is not None:
            self._cancel_send_timer()
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
            self._closed_message()
            if self.opts.exit_on_close:
                self._exit()
            else:
                self._desc_close()
        else:
            self._close_check(CLOSED)
            if not caller_waiting:
                self.delayed_close_send = True
            self._desc_close()
            self.delayed_close_recv = True
            if show:
                self.delayed_econnreset = True
        return reason

    def send_pending(self) -> int:
        return self.txq.size

    def status(self) -> list:
        if self.sock is None:
            return []
        states = [_BUSY] if self.busy_call is not None else []
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
        if how != socket.SHUT_RD and self.txq:
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
        linger = None
        if self.sock is not None:
            try:
                linger = _linger(self.sock)
            except OSError:
                pass
        if self.txq and self.sock is not None and linger != (True, 0):
            self.close_calls.append(call)
            wait = linger[1] if linger and linger[0] else CLOSE_MAX_WAIT
            if self.close_timer is None:
                self._close_progress = self.txq.size
                self.close_timer = self.loop.call_later(min(wait, CLOSE_IDLE_TIMEOUT), self._close_tick,
                                                        self.loop.time() + wait)
            return DEFERRED
        self._finish_close()
        return OK

    def _close_tick(self, deadline: float) -> None:
        self.close_timer = None
        left = self.txq.size
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
        self.txq.clear()
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
        self._set_sendable(False)
        self.exited = True
        self._cancel_send_timer()
        self._cancel_recv_timer()
        if self.busy_call is not None:
            # A closed port never answers the busy sender: OTP 25's
            # prim_inet:send/3 waits ?INET_CLOSE_TIMEOUT for the reply, then
            # monitors the port and takes its 'DOWN' for {error, closed};
            # later ones monitor it from the start and see the 'DOWN' at once.
            call = self._leave_busy()
            wait = 0.0 if self.program.release.send_monitors_port else CLOSE_IDLE_TIMEOUT
            self.loop.call_at(max(self.loop.time(), self.busy_since + wait),
                              call.reply, (ERROR, CLOSED))
        # Senders suspended on the busy port resume into a port_command on a
        # dead port: badarg, which prim_inet:send/3 turns into einval.
        while self.blocked_sends:
            call, _ = self.blocked_sends.popleft()
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
        self.txq.clear()
        self._writing = False
        self.close_socket()

    def abort(self) -> None:
        self._exit()

    def owner_died(self, reason=None) -> None:
        self._exit(flush=True, reason=reason)


class _Exited(Exception):
    """setopts made the socket exit; stop applying options."""


def _linger(sock: socket.socket) -> tuple[bool, int]:
    onoff, secs = struct.unpack("ii", sock.getsockopt(socket.SOL_SOCKET, socket.SO_LINGER, 8))
    return bool(onoff), secs
