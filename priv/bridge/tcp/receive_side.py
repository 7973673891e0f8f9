"""The receive side of a TCP connection: inet_drv's tcp_recv, tcp_deliver and
the passive recv request, as the half of TcpConnection (connection.py) that
reads the kernel socket and delivers packets to the owner or the recv caller.

Reading follows `select_read`, the flag inet_drv toggles with sock_select: on in
active mode, on while a passive recv waits, off after a passive delivery or when
reading is closed. What to read, and what is a complete packet, is the sans-I/O
receive buffer's (receiver.py). The end of input and read errors change the
whole connection (tcp_recv_closed, tcp_recv_error); they are here because
reading finds them.
"""

from __future__ import annotations

import errno

from .. import packet as packets
from ..errors import posix_atom
from ..etf.terms import atom
from ..requests import CLOSED, DEFERRED, EINVAL, OK, Call
from . import messages as msg
from ..inet.socket import ENOTCONN
from .receiver import TCP_MAX_PACKET_SIZE, PacketError

RAW = packets.PACKET_TYPES[0]

TIMEOUT = atom("timeout")
EALREADY = atom("ealready")
ENOMEM = atom("enomem")
ECONNRESET_ATOM = atom("econnreset")
EMSGSIZE = errno.EMSGSIZE
ERROR = atom("error")
_OK_TUPLE_TAG = atom("ok")
# A body whose length is known is read in pieces of at most this: a header may
# announce up to 2 GiB, and one read of that would allocate it all at once.
EXACT_READ_LIMIT = 1 << 20


class ReceiveSide:
    """TcpConnection's reading and delivering; its state is the connection's
    (rb, recv_call, recv_timer, select_read and the tcp_add_flags)."""

    __slots__ = ()

    # -- receiving (tcp_recv, tcp_deliver) -------------------------------------------

    def _configure_receiver(self) -> None:
        o = self.opts
        self.rb.configure(o.ptype, o.packet_size, o.buffer, o.line_delimiter, o.read_ahead)

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

    def passive_message(self) -> None:
        self._send_owner((msg.TCP_PASSIVE, self.handle))

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
        self._input_ended(CLOSED, None)
        return -1

    def _recv_error(self, err: int) -> int:
        """tcp_recv_error: reading failed."""
        self._set_sendable(False)
        self._fail_busy_sender(CLOSED)
        self._input_ended(posix_atom(err), err)
        return -1

    def _input_ended(self, reason, err: int | None) -> None:
        """What tcp_recv_closed and tcp_recv_error share: the waiting recv
        gets {error, reason}, or the active owner {tcp_error, S, err} (an
        error only) and {tcp_closed, S}; then the socket closes or exits
        (exit_on_close) or merely stops reading."""
        self.rb.clear()
        if not self.opts.active.active:
            self._cancel_recv_timer()
            if self.opts.exit_on_close:
                self._desc_close()
            else:
                self._select(False)
            self._recv_error_all(reason)
        else:
            if err is not None:
                self._error_message(err)
            self._closed_message()
            if self.opts.exit_on_close:
                self._exit()
            else:
                self._select(False)

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

