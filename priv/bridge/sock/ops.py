"""The operations of a `socket` API socket, each as its NIF function does it:
esock_accept, esock_connect, esock_send/sendto, esock_recv/recvfrom (with
recv_check_result and friends), esock_shutdown, esock_cancel and the options.

Each takes the caller's pid and the request's select ref (or `zero` for a
polling recv) and returns the term nif_* returns; prim_socket-level work
(computing the rest of a partial send, waiting) is pyinet_socket.erl's. A
result the NIF raises is a `Raise`.

Its length is one concept's: the NIF's operations on one descriptor, each
with its counters and select rules, in prim_socket_nif.c's order; the option
tables are options.py's and the requestor queues descriptor.py's; sendmsg and
recvmsg (messages.py), sendfile (sendfile.py) and ioctl (ioctl.py) are mixins
of the same class.
"""

from __future__ import annotations

import errno
import socket

from ..errors import posix_atom
from ..etf.terms import Atom, Pid, atom
from .. import addresses as sa
from . import options as sopt
from .descriptor import (ACCEPTING, ALREADY, BOUND, CLOSED, CONNECTED, CONNECTING, INVALID,
                         LISTENING, MORE, NOT_FOUND, OK, SELECT, SELECT_SENT, STATE, UNDEFINED,
                         ZERO, Descriptor, Raise, error, invalid)
from .ioctl import Ioctl
from .messages import Messages
from .sendfile import Sendfile
TIMEOUT = atom("timeout")
EINVAL = atom("einval")
# An address the NIF could not decode, for a release that connects anyway
# (Release.connect_undecodable_address_is_einval).
UNDECODABLE = object()

_WOULD_BLOCK = (errno.EAGAIN, errno.EWOULDBLOCK, errno.EINPROGRESS)
_STREAM_READ_MAX = 16 << 20
_HOW = {atom("read"): socket.SHUT_RD, atom("write"): socket.SHUT_WR,
        atom("read_write"): socket.SHUT_RDWR}
NOT_OWNER = atom("not_owner")
VALUE = atom("value")
SOCKET_OPTION = atom("socket_option")
OTP = atom("otp")
_OTP_OPTIONS = {"debug": 1001, "iow": 1002, "controlling_process": 1003, "rcvbuf": 1004,
                "rcvctrlbuf": 1006, "sndctrlbuf": 1007, "fd": 1008, "meta": 1009,
                "use_registry": 1010, "domain": 1999}


class SockSocket(Messages, Sendfile, Ioctl, Descriptor):
    """A socket of the `socket` API: the operations here, sendmsg and recvmsg
    in messages.py, sendfile in sendfile.py, ioctl in ioctl.py."""

    # -- bind, listen, connect -------------------------------------------------------------

    def bind(self, family: int, address):
        if not self.is_open:
            return error(CLOSED)
        err = self._kernel("bind", family, address)
        if err:
            return error(posix_atom(err))
        self.rstate |= BOUND
        return OK

    def _kernel(self, call: str, family: int, address) -> int:
        """bind or connect; 0 or an errno. An address of another family goes to
        the kernel as it is, for the kernel's own answer."""
        if family != self.domain:
            return sa.raw_call(call, self.fd, family, address)
        try:
            if call == "bind":
                self.sock.bind(address)
                return 0
            return self.sock.connect_ex(address)
        except OSError as exc:
            return exc.errno or errno.EINVAL

    def bindx(self, addresses: list, add: bool):
        """esock_bindx: sctp_bindx for an SCTP socket (the NIF raises notsup
        for any other); an address it cannot decode is {invalid, {sockaddr,
        N}}, N its place in the list."""
        if self.protocol != socket.IPPROTO_SCTP:
            raise Raise(atom("notsup"))
        if not self.is_open:
            return error(CLOSED)
        decoded = []
        for i, address in enumerate(addresses, 1):
            try:
                decoded.append(sa.decode(address))
            except sa.BadAddress:
                return (INVALID, (atom("sockaddr"), i))
        from ..sctp import kernel
        try:
            for family, address in decoded:
                kernel.bindx(self.sock, sa._sockaddr(family, address), add)
        except OSError as exc:
            return error(posix_atom(exc.errno))
        self.rstate |= BOUND
        return OK

    def listen(self, backlog: int):
        if not self.is_open:
            return error(CLOSED)
        try:
            self.sock.listen(backlog)
        except OSError as exc:
            return error(posix_atom(exc.errno))
        self.rstate |= LISTENING
        return OK

    def connect(self, caller, ref, family: int | None, address):
        if not self.write_open:
            return error(CLOSED)
        if self.writer is not None:
            return invalid(STATE)
        if self.connector is not None:
            if self.connector.pid != caller:
                if address is not None:
                    return error(ALREADY)
                raise Raise((INVALID, STATE))
            self.release(self.connector)
            self.connector = None
            self.wstate &= ~CONNECTING
            err = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                return error(posix_atom(err))
            self.wstate |= CONNECTED
            return OK
        if address is None:
            raise Raise((INVALID, STATE))
        if address is UNDECODABLE:
            return error(EINVAL)
        err = self._kernel("connect", family, address)
        if err == 0:
            self.wstate |= CONNECTED
            return OK
        if err == errno.EINPROGRESS:
            self.select_write(caller, ref)
            self.connector = self.new_requestor(caller, ref)
            self.wstate |= CONNECTING
            return SELECT
        return error(posix_atom(err))

    # -- accept -----------------------------------------------------------------------------

    def accept(self, caller, ref):
        if not self.is_open:
            return error(CLOSED)
        if self.reader is not None:
            return invalid(STATE)
        c = self.cnt
        if self.acceptor is None:
            c["acc_tries"] += 1
            try:
                conn, _ = self.sock.accept()
            except OSError as exc:
                if exc.errno in _WOULD_BLOCK:
                    self.acceptor = self.new_requestor(caller, ref)
                    self.select_read(caller, ref)
                    self.rstate |= ACCEPTING
                    return SELECT
                c["acc_fails"] += 1
                return error(posix_atom(exc.errno))
            return self._accepted(conn, caller)
        if self.acceptor.pid == caller:
            c["acc_tries"] += 1
            try:
                conn, _ = self.sock.accept()
            except OSError as exc:
                if exc.errno in _WOULD_BLOCK:
                    # The NIF selects with the new ref but keeps the first one
                    # as the acceptor's: cancel and abort name that one.
                    c["acc_waits"] += 1
                    self.select_read(caller, ref)
                    self.rstate |= ACCEPTING
                    return SELECT
                c["acc_fails"] += 1
                self.release(self.acceptor)
                reason = posix_atom(exc.errno)
                self.abort_queue(self.acceptors, reason)
                self.acceptor = None
                return error(reason)
            result = self._accepted(conn, self.acceptor.pid)
            self.release(self.acceptor)
            self.acceptor = self.activate_next(self.acceptors, True)
            if self.acceptor is None:
                self.rstate &= ~ACCEPTING
            return result
        if self.queued(self.acceptors, caller):
            raise Raise((INVALID, STATE))
        self.acceptors.append(self.new_requestor(caller, ref))
        return SELECT

    def _accepted(self, conn: socket.socket, owner):
        self.cnt["acc_success"] += 1
        new = type(self)(self.program, conn, self.domain, self.type, self.protocol, owner)
        new.rbufsz, new.rnum = self.rbufsz, self.rnum
        new.rctrlsz, new.wctrlsz = self.rctrlsz, self.wctrlsz
        new.iow, new.dbg, new.use_reg = self.iow, self.dbg, self.use_reg
        if self.program.release.accept_marks_accepted:
            new.wstate |= CONNECTED
        else:
            # OTP 25's NIF marks the listening socket, not the new one
            # (esock_accept_accepted).
            self.wstate |= CONNECTED
        return (OK, new.handle)

    # -- send, sendto -----------------------------------------------------------------------

    def send(self, caller, data, flags: int, ref, dest=None):
        if dest is None:
            def write():
                return self.sock.send(data, flags)
        elif dest[0] != self.domain:
            def write():
                return sa.raw_sendto(self.fd, data, flags, *dest)
        else:
            def write():
                return self.sock.sendto(data, flags, dest[1])
        return self.transmit(caller, ref, len(data), write)

    def transmit(self, caller, ref, size: int, write):
        """esock_send and its kin: one write of `size` bytes by `write()` (it
        returns what the kernel took), with the writer queue, the counters and
        the select of a write that could not complete."""
        if not self.write_open:
            return error(CLOSED)
        if self.connector is not None:
            return invalid(STATE)
        if self.writer is not None and self.writer.pid != caller:
            if self.queued(self.writers, caller):
                raise Raise((INVALID, STATE))
            self.writers.append(self.new_requestor(caller, ref))
            return SELECT
        self.cnt["write_tries"] += 1
        try:
            written = write()
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK, errno.EINTR):
                return self._send_retry(caller, -1, ref)
            return self._send_fail(exc.errno)
        if written < size:
            return self._send_retry(caller, written, ref)
        return self._send_ok(written)

    def _send_ok(self, written: int):
        c = self.cnt
        c["write_pkg"] += 1
        c["write_byte"] += written
        self._write_pkg_done(written)
        self.next_writer()
        return OK

    def next_writer(self) -> None:
        """The current writer is done: the next queued one (if any) gets its turn."""
        if self.writer is not None:
            self.release(self.writer)
            self.writer = self.activate_next(self.writers, False)

    def _write_pkg_done(self, written: int) -> None:
        self.write_pkg_max_cnt += written
        if self.write_pkg_max_cnt > self.cnt["write_pkg_max"]:
            self.cnt["write_pkg_max"] = self.write_pkg_max_cnt
        self.write_pkg_max_cnt = 0

    def _send_fail(self, err: int):
        self.cnt["write_fails"] += 1
        reason = posix_atom(err)
        if err != errno.EINVAL and self.writer is not None:
            self.release(self.writer)
            self.abort_queue(self.writers, reason)
            self.writer = None
        return error(reason)

    def _send_retry(self, caller, written: int, ref):
        if written >= 0 and self.type != socket.SOCK_STREAM:
            # A datagram goes in one piece or truncated: done with it.
            self.cnt["write_pkg"] += 1
            self.cnt["write_byte"] += written
            self._write_pkg_done(written)
            self.next_writer()
            return (OK, written)
        if written >= 0:
            self.write_pkg_max_cnt += written
        if self.writer is None:
            self.writer = self.new_requestor(caller, ref)
        else:
            self.writer.ref = ref
        self.select_write(caller, ref)
        self.cnt["write_waits"] += 1
        return (SELECT, written) if written >= 0 else SELECT

    # -- recv, recvfrom ---------------------------------------------------------------------

    def _check_reader(self, caller, ref):
        """recv_check_reader: None to go on, else the answer."""
        if self.reader is not None and self.reader.pid != caller:
            if self.queued(self.readers, caller):
                raise Raise((INVALID, STATE))
            if ref == ZERO:
                return TIMEOUT if self.program.release.poll_behind_current_reader_times_out \
                    else None
            self.readers.append(self.new_requestor(caller, ref))
            return SELECT
        return None

    def recv(self, caller, length: int, flags: int, ref):
        if not self.is_open:
            return error(CLOSED)
        if self.acceptor is not None:
            return invalid(STATE)
        answer = self._check_reader(caller, ref)
        if answer is not None:
            return answer
        release = self.program.release
        if release.stream_recv_buffers:
            return self._recv_buffered(caller, length, flags, ref)
        bufsz = length or self.rbufsz
        self.cnt["read_tries"] += 1
        try:
            data = self.sock.recv(self._read_size(bufsz), flags)
        except OSError as exc:
            return self._recv_fail(caller, exc.errno, ref)
        read = len(data)
        if read == 0 and self.type == socket.SOCK_STREAM:
            self.cnt["read_fails"] += 1
            self._recv_error_current(CLOSED)
            return error(CLOSED)
        if read == bufsz:
            if length == 0 and self.type == socket.SOCK_STREAM:
                return self._recv_full_maybe_done(caller, data, ref)
            if release.recv_restarts_buffer_count:
                self.rnumcnt = 0
            self._read_pkg_done(read)
            self._update_current_reader()
            return (OK, data)
        short = length > 0 and self.type == socket.SOCK_STREAM
        if not short or ref == ZERO:
            self.rnumcnt = 0
            self._read_pkg_done(read)
            self._update_current_reader()
            return (TIMEOUT if short and release.recv_poll_answers_timeout else OK, data)
        self.cnt["read_byte"] += read
        if release.recv_restarts_buffer_count:
            self.rnumcnt = 0
        if release.read_pkg_max_counts_every_read:
            self.read_pkg_max_cnt += read
            self._read_pkg_max()
        self._init_current_reader(caller, ref)
        self.select_read(caller, ref)
        return (SELECT, data)

    def _recv_buffered(self, caller, length: int, flags: int, ref):
        """OTP 26+'s essio_recv: a stream recv of N bytes that gets fewer keeps
        them (read_buf) and selects (or, polled with `zero`, answers
        `{timeout, Data}`); the next call reads only the rest. Counted as the
        NIF counts: each partial read adds all that is kept so far to
        read_byte, and so does the delivery."""
        recv_len = length or self.rbufsz
        kept = self.read_buf or b""
        if kept:
            if length == 0 or len(kept) == recv_len:
                return self._recv_done(kept, len(kept), None)
            if len(kept) > recv_len:
                return self._recv_done(kept[:recv_len], len(kept), kept[recv_len:])
        self.cnt["read_tries"] += 1
        try:
            data = self.sock.recv(self._read_size(recv_len - len(kept)), flags)
        except OSError as exc:
            self.rnumcnt = 0
            return self._recv_fail(caller, exc.errno, ref)
        stream = self.type == socket.SOCK_STREAM
        if not data and stream:
            self.read_buf = None
            self._recv_error_current(CLOSED)
            return error((CLOSED, kept) if kept else CLOSED)
        got = kept + data if kept else data
        if len(got) < recv_len:
            self.rnumcnt = 0
            short = stream and length > 0
            if short and ref != ZERO:
                self.cnt["read_byte"] += len(got)
                self.read_buf = got
                self._init_current_reader(caller, ref)
                self.select_read(caller, ref)
                return SELECT
            self.read_buf = None
            return self._recv_partial_done(got, TIMEOUT if short else OK)
        self.read_buf = None
        if length == 0 and stream:
            return self._recv_full_maybe_done(caller, got, ref)
        return self._recv_done(got, len(got), None)

    def _recv_done(self, data: bytes, counted: int, keep: bytes | None):
        """recv_check_full_done: the NIF counts all it held (`counted`), also
        when it keeps the tail for the next call."""
        self.read_buf = keep
        self.rnumcnt = 0
        self._read_pkg_done(counted)
        self._update_current_reader()
        return (OK, data)

    def _recv_partial_done(self, data: bytes, tag):
        """recv_check_partial_done: `{ok, Data}`, or `{timeout, Data}` for a
        short stream read polled with `zero`."""
        self._read_pkg_done(len(data))
        self._update_current_reader()
        return (tag, data)

    def _read_size(self, bufsz: int) -> int:
        """How much to read at once. Python allocates it all before reading, so
        a stream read of a huge Length reads in parts: one shorter than Length
        is a partial read for the NIF's rules too, and the caller comes back for
        the rest (a datagram is never that large)."""
        if self.type == socket.SOCK_STREAM:
            return min(bufsz, _STREAM_READ_MAX)
        return bufsz

    def _recv_full_maybe_done(self, caller, data: bytes, ref):
        c = self.cnt
        c["read_byte"] += len(data)
        self.read_pkg_max_cnt += len(data)
        self.rnumcnt += 1
        if self.rnumcnt >= self.rnum:
            self.rnumcnt = 0
            if self.program.release.recv_counts_last_buffer_twice:
                c["read_byte"] += len(data)
                self.read_pkg_max_cnt += len(data)
            c["read_pkg"] += 1
            self._read_pkg_max()
            self._update_current_reader()
            return (OK, data)
        self._init_current_reader(caller, ref)
        return (MORE, data)

    def _read_pkg_done(self, read: int) -> None:
        self.cnt["read_pkg"] += 1
        self.cnt["read_byte"] += read
        self.read_pkg_max_cnt += read
        self._read_pkg_max()

    def _read_pkg_max(self) -> None:
        if self.read_pkg_max_cnt > self.cnt["read_pkg_max"]:
            self.cnt["read_pkg_max"] = self.read_pkg_max_cnt
        self.read_pkg_max_cnt = 0

    def _recv_fail(self, caller, err: int, ref):
        if self.program.release.recv_restarts_buffer_count:
            self.rnumcnt = 0
        if err == errno.ECONNRESET:
            self.cnt["read_fails"] += 1
            self._recv_error_current(atom("econnreset"))
            return error(atom("econnreset"))
        if err in (errno.EAGAIN, errno.EWOULDBLOCK):
            if ref == ZERO:
                return TIMEOUT if self.program.release.recv_poll_answers_timeout else OK
            self.rnumcnt = 0
            self._init_current_reader(caller, ref)
            self.select_read(caller, ref)
            return SELECT
        self.cnt["read_fails"] += 1
        reason = posix_atom(err)
        self._recv_error_current(reason)
        return error(reason)

    def _init_current_reader(self, caller, ref) -> None:
        if self.reader is None:
            self.reader = self.new_requestor(caller, ref)
        else:
            self.reader.ref = ref

    def _update_current_reader(self) -> None:
        if self.reader is not None:
            self.release(self.reader)
            self.reader = self.activate_next(self.readers, True)

    def _recv_error_current(self, reason) -> None:
        if self.reader is not None:
            self.release(self.reader)
            self.abort_queue(self.readers, reason)
            self.reader = None

    def recvfrom(self, caller, length: int, flags: int, ref):
        bufsz = length or self.rbufsz
        result = self.receive_one(caller, ref, lambda: self.sock.recvfrom(
            self._read_size(bufsz), flags))
        if type(result) is tuple and result[0] is OK:
            data, address = result[1]
            return (OK, (sa.encode(self.domain, address), data))
        return result

    def receive_one(self, caller, ref, read):
        """esock_recvfrom and esock_recvmsg: one read by `read()` (a tuple whose
        first element is the data) of a message, done whatever its size, with
        recv_check_entry's checks before and recv_check_result's after;
        `(ok, What read())` or the answer."""
        if not self.is_open:
            return error(CLOSED)
        if self.acceptor is not None:
            return invalid(STATE)
        answer = self._check_reader(caller, ref)
        if answer is not None:
            return answer
        self.cnt["read_tries"] += 1
        try:
            got = read()
        except OSError as exc:
            return self._recv_fail(caller, exc.errno, ref)
        data = got[0]
        if not data and self.type == socket.SOCK_STREAM:
            self.cnt["read_fails"] += 1
            self._recv_error_current(CLOSED)
            return error(CLOSED)
        self.rnumcnt = 0
        self.cnt["read_pkg"] += 1
        self.cnt["read_byte"] += len(data)
        if self.program.release.read_pkg_max_counts_every_read and \
                len(data) > self.cnt["read_pkg_max"]:
            # Before OTP 28 recvfrom and recvmsg leave read_pkg_max alone.
            self.cnt["read_pkg_max"] = len(data)
        self._update_current_reader()
        return (OK, got)

    # -- shutdown, cancel -------------------------------------------------------------------

    def shutdown(self, how):
        if not self.is_open:
            return error(CLOSED)
        try:
            self.sock.shutdown(_HOW[how])
        except OSError as exc:
            return error(posix_atom(exc.errno))
        return OK

    def cancel(self, caller, op, ref):
        if op in ("recv", "recvfrom", "recvmsg"):
            return self._cancel(caller, ref, "reader", self.readers, True)
        if op in ("send", "sendto", "sendmsg", "sendfile"):
            return self._cancel(caller, ref, "writer", self.writers, False)
        if op == "accept":
            return self._cancel(caller, ref, "acceptor", self.acceptors, True)
        if op == "connect":
            if not self.write_open:
                return error(CLOSED)
            c = self.connector
            if c is None or c.pid != caller or c.ref != ref:
                return error(NOT_FOUND) if self.program.release.cancel_connect_is_error else NOT_FOUND
            result = OK if self.cancel_write_select() else SELECT_SENT
            self.release(c)
            self.connector = None
            self.wstate &= ~CONNECTING
            return result
        if not self.is_open:
            return error(CLOSED)
        raise Raise(atom("badarg"))

    def _cancel(self, caller, ref, current: str, queue, read: bool):
        if not (self.is_open if read else self.write_open):
            return error(CLOSED)
        req = getattr(self, current)
        if req is None:
            return NOT_FOUND
        if req.pid != caller:
            return OK if self.unqueue(queue, caller, ref) else NOT_FOUND
        if req.ref != ref:
            return NOT_FOUND
        self.release(req)
        cancelled = self.cancel_read_select() if read else self.cancel_write_select()
        nxt = self.activate_next(queue, read)
        setattr(self, current, nxt)
        if nxt is None and current == "acceptor":
            self.rstate &= ~ACCEPTING
        return OK if cancelled else SELECT_SENT

    # -- options ----------------------------------------------------------------------------

    def setopt(self, caller, level, name, value):
        if level == OTP and isinstance(level, Atom):
            return self._setopt_otp(caller, name, value)
        entry = sopt.lookup(level, name, self.program.release)
        if entry is None:
            return invalid((SOCKET_OPTION, (level, name)))
        if not self.write_open:
            return error(CLOSED)
        klevel, kopt, (encode, _) = entry
        if encode is None:
            return invalid((SOCKET_OPTION, (level, name)))
        raw = encode(value)
        if raw is sopt.INVALID_VALUE:
            return invalid((SOCKET_OPTION, (level, name), value))
        try:
            self.sock.setsockopt(klevel, kopt, raw)
        except OSError as exc:
            return error(posix_atom(exc.errno))
        return OK

    def getopt(self, level, name):
        if level == OTP and isinstance(level, Atom):
            return self._getopt_otp(name)
        entry = sopt.lookup(level, name, self.program.release)
        if entry is None:
            return invalid((SOCKET_OPTION, (level, name)))
        if not self.is_open:
            return error(CLOSED)
        klevel, kopt, (_, decode) = entry
        if decode is None:
            return invalid((SOCKET_OPTION, (level, name)))
        try:
            return (OK, decode(self.sock, klevel, kopt))
        except OSError as exc:
            return error(posix_atom(exc.errno))

    def setopt_native(self, level, name, value):
        resolved = sopt.native(level, name, self.program.release)
        if resolved is None:
            return invalid((SOCKET_OPTION, (level, name)))
        if not self.write_open:
            return error(CLOSED)
        raw = sopt.native_value(value)
        if raw is sopt.INVALID_VALUE:
            return invalid(VALUE)
        try:
            self.sock.setsockopt(*resolved, raw)
        except OSError as exc:
            return error(posix_atom(exc.errno))
        return OK

    def getopt_native(self, level, name, spec):
        """getopt_native with a value spec: integer, boolean, a size or a binary
        (whose size counts; the kernel is not shown its contents)."""
        resolved = sopt.native(level, name, self.program.release)
        if resolved is None:
            return invalid((SOCKET_OPTION, (level, name)))
        if not self.is_open:
            return error(CLOSED)
        try:
            if spec == "integer" and isinstance(spec, Atom):
                return (OK, self.sock.getsockopt(*resolved))
            if spec == "boolean" and isinstance(spec, Atom):
                return (OK, self.sock.getsockopt(*resolved) != 0)
            if sopt.c_int(spec) and spec >= 0:
                return (OK, self.sock.getsockopt(*resolved, spec))
            if isinstance(spec, (bytes, bytearray, memoryview)):
                return (OK, self.sock.getsockopt(*resolved, len(spec)))
        except OSError as exc:
            return error(posix_atom(exc.errno))
        return invalid((atom("value_spec"), spec))

    def _setopt_otp(self, caller, name, value):
        option = (OTP, name)
        num = _OTP_OPTIONS.get(name) if isinstance(name, Atom) else None
        if num is None:
            return invalid((SOCKET_OPTION, option))
        bad = invalid((SOCKET_OPTION, option, value))
        if not (self.is_open if name in ("rcvbuf", "rcvctrlbuf") else self.write_open):
            return error(CLOSED)
        if name in ("debug", "iow"):
            if value is not True and value is not False:
                return bad
            setattr(self, "dbg" if name == "debug" else "iow", value)
        elif name in ("controlling_process", "meta"):
            if caller != self.owner:
                return invalid(NOT_OWNER)
            if name == "meta":
                self.meta = value
            elif not isinstance(value, Pid):
                return bad
            elif value != self.owner:
                self.owner = value
                self.program.owner_changed(self)
        elif name == "rcvbuf":
            decoded = _rcvbuf(value)
            if decoded is None:
                return bad
            self.rnum, self.rbufsz = decoded
        elif name in ("rcvctrlbuf", "sndctrlbuf"):
            size = _bufsz(value, 1024)
            if size is None:
                return bad
            setattr(self, "rctrlsz" if name == "rcvctrlbuf" else "wctrlsz", size)
        elif name == "use_registry":
            if value is not True:
                return bad
            self.use_reg = True
        else:
            raise Raise((INVALID, (atom("otp_socket_option"), num)))
        return OK

    def _getopt_otp(self, name):
        option = (OTP, name)
        if not isinstance(name, Atom) or name not in _OTP_OPTIONS:
            return invalid((SOCKET_OPTION, option))
        if name == "use_registry":
            return (OK, self.use_reg)
        if not (self.write_open if name == "meta" else self.is_open):
            return error(CLOSED)
        value = {"debug": self.dbg, "iow": self.iow, "controlling_process": self.owner,
                 "rcvbuf": self.rbufsz if self.rnum == 0 else (self.rnum, self.rbufsz),
                 "rcvctrlbuf": self.rctrlsz, "sndctrlbuf": self.wctrlsz, "fd": self.fd,
                 "meta": self.meta, "domain": sopt.domain_name(self.domain)}[name]
        return (OK, UNDEFINED if value is None else value)


def _bufsz(value, default):
    if value == atom("default") and isinstance(value, Atom):
        return default
    if type(value) is int and 0 < value < (1 << 63):
        return value
    return None


def _rcvbuf(value):
    size = _bufsz(value, 8192)
    if size is not None:
        return 0, size
    if type(value) is tuple and len(value) == 2 and type(value[0]) is int \
            and 0 < value[0] < (1 << 32):
        size = _bufsz(value[1], 8192)
        if size is not None:
            return value[0], size
    return None


def open_socket(program, caller, domain, type_, protocol, netns=None):
    """esock_open4: a socket owned by the caller, or an errno."""
    from ..netns import socket_in
    if netns is not None:
        sock = socket_in(netns, domain, type_, protocol)
    else:
        sock = socket.socket(domain, type_, protocol)
    if protocol == 0:
        try:
            protocol = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PROTOCOL)
        except OSError:
            pass
    return SockSocket(program, sock, domain, type_, protocol, caller)

