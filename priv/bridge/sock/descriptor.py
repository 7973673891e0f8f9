"""One socket of the `socket` API: prim_socket_nif.c's ESockDescriptor, ported.

Theory of operation. Every operation is non-blocking and answers at once, as the
NIF does: done (`ok`, `{ok, _}`), failed (`{error, _}`), or `select`, meaning
"you are now the current reader (writer, acceptor, connector); when the socket
is ready you get `{'$socket', S, select, Ref}`, then call again". Waiting, the
deadline and the `nowait` forms are the caller's business (pyinet_socket.erl,
a port of socket.erl). The rules kept from the NIF:

- One current reader, writer, acceptor and connector at a time; another process
  asking meanwhile is queued and answered `select`; it gets its select message
  when the current one completes (activate_next_*); asking twice while queued
  raises `{invalid, state}`. Reading and accepting exclude each other, as do
  writing and connecting (`{error, {invalid, state}}`).
- A select is one-shot and names one (pid, ref); selecting again replaces it.
  cancel/3 answers `ok` when it took a pending select back and `select_sent`
  when the message had already gone.
- Closing (or the owner dying) sends `{'$socket', S, abort, {Ref, closed}}` to
  every queued requestor, and to the current one only if its select was still
  pending (it would otherwise call again and see `closed`).
- A requestor that dies is forgotten and the next one activated (the client
  tells us, see PortProgram.watch). The owner dying closes the socket.
- Counters (socket:info/1) are counted where the NIF counts them, quirks
  included: read_waits never moves, a partial stream write is left out of
  write_byte, recvfrom does not touch read_pkg_max (before OTP 28: the
  release's own rules are named in release.py).

The handle is `{'$socket', {pyinet_socket, Router, Port, Id}}`: OTP's socket
term shape, so that `{'$socket', S, select, Ref}` patterns and socket-aware
code work unchanged, with our own inner term where OTP has a NIF resource.
"""

from __future__ import annotations

import errno
import os
import socket
from collections import deque

from ..errors import posix_atom
from ..etf.terms import atom
from ..inet.socket import close_kernel_socket
from .. import addresses as sa
from . import options as sopt
from . import protocols
from .registry import bury

SOCKET_TAG = atom("$socket")
MODULE = atom("pyinet_socket")
OK, ERROR, SELECT, MORE = atom("ok"), atom("error"), atom("select"), atom("more")
CLOSED, INVALID, STATE = atom("closed"), atom("invalid"), atom("state")
ABORT, ALREADY = atom("abort"), atom("already")
NOT_FOUND, SELECT_SENT = atom("not_found"), atom("select_sent")
ZERO = atom("zero")
UNDEFINED = atom("undefined")

BOUND, LISTENING, ACCEPTING, CONNECTING, CONNECTED = 0x1, 0x2, 0x4, 0x8, 0x10
SELECTED, CLOSING, CLOSED_ST = 0x100, 0x200, 0x400
_STATE_NAMES = ((BOUND, "bound"), (LISTENING, "listening"), (ACCEPTING, "accepting"),
                (CONNECTING, "connecting"), (CONNECTED, "connected"),
                (SELECTED, "selected"), (CLOSING, "closing"), (CLOSED_ST, "closed"))

RECV_BUFFER_SIZE = 8192
CTRL_BUFFER_SIZE = 1024

COUNTERS = ("read_byte", "read_fails", "read_pkg", "read_pkg_max", "read_tries", "read_waits",
            "write_byte", "write_fails", "write_pkg", "write_pkg_max", "write_tries",
            "write_waits", "acc_success", "acc_fails", "acc_tries", "acc_waits")


class Raise(Exception):
    """The NIF raises (badarg, {invalid, state}): the caller gets the exception."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def error(reason):
    return (ERROR, reason)


def invalid(what):
    return (ERROR, (INVALID, what))


class Requestor:
    __slots__ = ("pid", "ref")

    def __init__(self, pid, ref):
        self.pid = pid
        self.ref = ref

    def __repr__(self) -> str:
        return f"<Requestor {self.pid} {self.ref!r}>"


class Descriptor:
    """A hosted socket of the `socket` API (see the module docstring)."""

    kind = "socket"

    def __init__(self, program, sock: socket.socket | None, domain: int, type_: int,
                 protocol: int, owner, sid: int | None = None):
        self.program = program
        self.loop = program.loop
        self.id = program.new_socket_id() if sid is None else sid
        self.handle = (SOCKET_TAG, (MODULE, program.router, program.port, self.id))
        self.sock = sock
        self.fd = sock.fileno() if sock is not None else -1
        self.domain, self.type, self.protocol = domain, type_, protocol
        self.owner = owner
        self.rstate = self.wstate = 0
        self.reader = self.writer = self.acceptor = self.connector = None
        self.readers: deque = deque()
        self.writers: deque = deque()
        self.acceptors: deque = deque()
        self._rsel: Requestor | None = None  # whose read select is pending
        self._wsel: Requestor | None = None
        self.rbufsz, self.rnum, self.rnumcnt = RECV_BUFFER_SIZE, 0, 0
        self.rctrlsz = self.wctrlsz = CTRL_BUFFER_SIZE
        self.dbg = self.iow = False
        self.use_reg = True
        # socket:info/1's ctype: normal, or {fromfd, FD} for socket:open(FD).
        self.ctype = atom("normal")
        # The file of a sendfile going on, its counters from the first one on
        # (sendfile.py), and what the sendfile has moved so far.
        self.sendfile_fd: int | None = None
        self.sendfile_cnt: dict | None = None
        self.sendfile_max_cnt = 0
        self.meta = UNDEFINED
        self.cnt = dict.fromkeys(COUNTERS, 0)
        self.read_pkg_max_cnt = self.write_pkg_max_cnt = 0
        # What a stream recv of N bytes got short of N, kept for the next call
        # (OTP 26+: readBuf/readResult of the NIF; see ops.recv).
        self.read_buf: bytes | None = None
        if sock is not None:
            sock.setblocking(False)
            program.register(self)
            program.owner_changed(self)
        else:
            self.rstate = self.wstate = CLOSING | CLOSED_ST
            self.owner = None

    def __repr__(self) -> str:
        return (f"<SockDescriptor {self.id} {sopt.type_name(self.type)} "
                f"r={self.states(self.rstate)} w={self.states(self.wstate)}>")

    @staticmethod
    def states(state: int) -> list:
        return [atom(name) for bit, name in _STATE_NAMES if state & bit]

    @property
    def is_open(self) -> bool:
        return not self.rstate & (CLOSING | CLOSED_ST)

    @property
    def write_open(self) -> bool:
        return not self.wstate & (CLOSING | CLOSED_ST)

    # -- messages ----------------------------------------------------------------------

    def _msg(self, pid, tag, info) -> None:
        self.program.send(pid, (SOCKET_TAG, self.handle, tag, info))

    def send_abort(self, req: Requestor, reason) -> None:
        self._msg(req.pid, ABORT, (req.ref, reason))

    # -- requestors (the NIF's monitors are the client's watches) ---------------------------

    def new_requestor(self, pid, ref) -> Requestor:
        self.program.watch(pid)
        return Requestor(pid, ref)

    def release(self, req: Requestor | None) -> None:
        if req is not None and req.pid is not None:
            self.program.unwatch(req.pid)
            req.pid = None

    def queued(self, queue: deque, pid) -> bool:
        return any(r.pid == pid for r in queue)

    def unqueue(self, queue: deque, pid, ref=None) -> bool:
        for r in queue:
            if r.pid == pid and (ref is None or r.ref == ref):
                queue.remove(r)
                self.release(r)
                return True
        return False

    def abort_queue(self, queue: deque, reason) -> None:
        while queue:
            req = queue.popleft()
            self.send_abort(req, reason)
            self.release(req)

    # -- select (enif_select: one-shot, one pid and ref per direction) ----------------------

    def select_read(self, pid, ref) -> None:
        if self._rsel is None:
            self.loop.add_reader(self.fd, self._on_readable)
        self._rsel = Requestor(pid, ref)
        self.rstate |= SELECTED

    def select_write(self, pid, ref) -> None:
        if self._wsel is None:
            self.loop.add_writer(self.fd, self._on_writable)
        self._wsel = Requestor(pid, ref)
        self.wstate |= SELECTED

    def _on_readable(self) -> None:
        self.loop.remove_reader(self.fd)
        req, self._rsel = self._rsel, None
        if req is not None:
            self._msg(req.pid, SELECT, req.ref)

    def _on_writable(self) -> None:
        self.loop.remove_writer(self.fd)
        req, self._wsel = self._wsel, None
        if req is not None:
            self._msg(req.pid, SELECT, req.ref)

    def cancel_read_select(self) -> bool:
        """True if a pending read select was taken back (no message will come)."""
        if self._rsel is None:
            return False
        self._rsel = None
        self.loop.remove_reader(self.fd)
        return True

    def cancel_write_select(self) -> bool:
        if self._wsel is None:
            return False
        self._wsel = None
        self.loop.remove_writer(self.fd)
        return True

    def activate_next(self, queue: deque, read: bool):
        """activate_next_*: the first queued requestor becomes current and gets a
        select; None when nobody waits."""
        if not queue:
            return None
        req = queue.popleft()
        (self.select_read if read else self.select_write)(req.pid, req.ref)
        return req

    # -- closing (esock_close + esock_do_stop + finalize) ----------------------------------

    def close(self):
        if not self.is_open:
            return error(CLOSED)
        self._stop()
        self._close_socket()
        return OK

    def _stop(self) -> None:
        self.rstate |= CLOSING
        self.wstate |= CLOSING
        write_cancelled = self.cancel_write_select()
        read_cancelled = self.cancel_read_select()
        if self.writer is not None:
            if write_cancelled:
                self.send_abort(self.writer, CLOSED)
            self.release(self.writer)
            self.abort_queue(self.writers, CLOSED)
            self.writer = None
        if self.connector is not None:
            if write_cancelled:
                self.send_abort(self.connector, CLOSED)
            self.release(self.connector)
            self.connector = None
        if self.reader is not None:
            if read_cancelled:
                self.send_abort(self.reader, CLOSED)
            self.release(self.reader)
            self.abort_queue(self.readers, CLOSED)
            self.reader = None
        if self.acceptor is not None:
            if read_cancelled:
                self.send_abort(self.acceptor, CLOSED)
            self.release(self.acceptor)
            self.abort_queue(self.acceptors, CLOSED)
            self.acceptor = None

    def _close_socket(self, reason=None) -> None:
        self.rstate |= CLOSED_ST
        self.wstate |= CLOSED_ST
        self.meta = UNDEFINED
        self.owner = None
        if self.sock is not None:
            close_kernel_socket(self.loop, self.fd, self.sock)
            self.sock = None
        if self.sendfile_fd is not None:
            os.close(self.sendfile_fd)
            self.sendfile_fd = None
        bury(self.program, self)
        self.program.unregister(self, reason)

    def owner_died(self, reason=None) -> None:
        """esock_down for the controlling process: the socket closes."""
        if self.is_open:
            self._stop()
            self._close_socket(reason)

    def abort(self) -> None:
        """The BEAM is gone: close now, tell nobody (PortProgram.shutdown)."""
        if self.sock is not None:
            self.loop.forget(self.fd)
            self.sock.close()
            self.sock = None

    def caller_died(self, pid) -> None:
        """esock_down for any other process: it stops waiting wherever it waited."""
        if self.connector is not None and self.connector.pid == pid:
            self.release(self.connector)
            self.connector = None
            self.wstate &= ~CONNECTING
            return
        for current, queue, read in (("acceptor", self.acceptors, True),
                                     ("writer", self.writers, False),
                                     ("reader", self.readers, True)):
            req = getattr(self, current)
            if req is not None and req.pid == pid:
                self.release(req)
                nxt = self.activate_next(queue, read)
                setattr(self, current, nxt)
                if nxt is None and current == "acceptor":
                    self.rstate &= ~ACCEPTING
            while self.unqueue(queue, pid):
                pass

    # -- addresses ---------------------------------------------------------------------------

    def sockname(self):
        if not self.is_open:
            return error(CLOSED)
        try:
            return (OK, sa.encode(self.domain, self.sock.getsockname()))
        except OSError as exc:
            return error(posix_atom(exc.errno or errno.EINVAL))

    def peername(self):
        if not self.is_open:
            return error(CLOSED)
        try:
            return (OK, sa.encode(self.domain, self.sock.getpeername()))
        except OSError as exc:
            return error(posix_atom(exc.errno or errno.EINVAL))

    # -- observability -----------------------------------------------------------------------

    def info(self) -> dict:
        """nif_info for this socket; prim_socket names the protocol."""
        c = self.cnt
        return {
            atom("domain"): sopt.domain_name(self.domain),
            atom("type"): sopt.type_name(self.type),
            atom("protocol"): protocols.name(self.protocol),
            atom("owner"): UNDEFINED if self.owner is None else self.owner,
            atom("rstates"): self.states(self.rstate),
            atom("wstates"): self.states(self.wstate),
            atom("ctype"): self.ctype,
            atom("counters"): {atom(k): v for k, v in
                               (c if self.sendfile_cnt is None
                                else {**c, **self.sendfile_cnt}).items()},
            atom("num_readers"): (self.reader is not None) + len(self.readers),
            atom("num_writers"): (self.writer is not None) + len(self.writers),
            atom("num_acceptors"): (self.acceptor is not None) + len(self.acceptors),
        }

    def send_pending(self) -> int:
        return 0

    def describe(self) -> dict:
        """What pyinet:i() and pyinet_socket:i() show of this socket."""
        info = {atom("id"): self.id, atom("socket"): self.handle, atom("kind"): atom(self.kind),
                atom("owner"): UNDEFINED if self.owner is None else self.owner,
                atom("state"): atom("open" if self.is_open else "closed"),
                atom("active"): False, atom("packet"): atom("raw"), atom("mode"): atom("binary"),
                atom("send_pend"): 0, atom("recv_oct"): self.cnt["read_byte"],
                atom("send_oct"): self.cnt["write_byte"],
                atom("domain"): sopt.domain_name(self.domain),
                atom("type"): sopt.type_name(self.type),
                atom("use_registry"): self.use_reg}
        for key, get in ((atom("local"), self.sockname), (atom("peer"), self.peername)):
            result = get()
            if result[0] == OK and _inet_address(result[1]) is not None:
                info[key] = _inet_address(result[1])
        return info


def _inet_address(sockaddr: dict):
    """A sockaddr map as pyinet:i() prints addresses: {IP, Port} or {local, Path}."""
    if sockaddr.get(sa.FAMILY) == sa.LOCAL:
        return (sa.LOCAL, sockaddr[sa.PATH])
    if sa.ADDR in sockaddr and sa.PORT in sockaddr:
        return (sockaddr[sa.ADDR], sockaddr[sa.PORT])
    return None
