"""What every inet socket hosted here shares: its id and handle, its owner, its
options and their setopts/getopts, its statistics, and sockname/peername.

Every transport's socket classes (TCP's connected and listening sockets, UDP's,
SCTP's) derive from `InetSocket`; they decide what an option change sets off,
and name the Erlang module their handle carries (`module`).
"""

from __future__ import annotations

import ctypes
import socket
import struct

from ..active import ACTIVE
from ..errors import RequestError, oserror_atom
from ..etf.terms import Atom, atom
from .. import addresses
from . import options as opt
from ..etf import encode

EINVAL = atom("einval")
ENOTCONN = atom("enotconn")
OPEN = atom("open")

STAT_NAMES = ("recv_oct", "recv_cnt", "recv_max", "recv_avg", "recv_dvi",
              "send_oct", "send_cnt", "send_max", "send_avg", "send_pend")


class Stats:
    """inet_drv's counters (inet_input_count / inet_output_count): per delivered
    packet on the way in, per send on the way out. Averages are doubles, reported
    truncated, as there."""

    __slots__ = ("recv_oct", "recv_cnt", "recv_max", "_recv_avg", "_recv_dvi",
                 "send_oct", "send_cnt", "send_max", "_send_avg")

    def __init__(self) -> None:
        self.recv_oct = self.recv_cnt = self.recv_max = 0
        self.send_oct = self.send_cnt = self.send_max = 0
        self._recv_avg = self._recv_dvi = self._send_avg = 0.0

    def received(self, n: int) -> None:
        self.recv_cnt += 1
        self.recv_oct += n
        avg = self._recv_avg + (n - self._recv_avg) / self.recv_cnt
        self._recv_avg = avg
        if n > self.recv_max:
            self.recv_max = n
        self._recv_dvi += ((n - avg) - self._recv_dvi) / self.recv_cnt

    def sent(self, n: int) -> None:
        self.send_cnt += 1
        self.send_oct += n
        self._send_avg += (n - self._send_avg) / self.send_cnt
        if n > self.send_max:
            self.send_max = n

    @property
    def recv_avg(self) -> int:
        return int(self._recv_avg)

    @property
    def recv_dvi(self) -> int:
        return int(abs(self._recv_dvi))

    @property
    def send_avg(self) -> int:
        return int(self._send_avg)


class InetSocket:
    """Base of every hosted socket. Subclasses set `module` (the Erlang module
    of their handle) and `kind`."""

    module: Atom

    def __init__(self, program, sock: socket.socket | None, family: int, owner, opts: opt.InetOptions):
        self.program = program
        self.loop = program.loop
        self.id = program.new_socket_id()
        self.handle = self.make_handle(program)
        self.handle_ext = encode(self.handle)[1:]  # the prefix of every message of this socket
        self.sock = sock
        self.fd = sock.fileno() if sock is not None else -1
        self.family = family
        self.owner = owner
        self.opts = opts
        self.stats = Stats()
        # What erlang:port_info/2 would count as written to the port
        # (`output`, which inet:info/1 shows): the data of every send that
        # reached it, with prim_inet's own encoding around a datagram's; and
        # how many sends, to each of which prim_inet adds a reply reference
        # from OTP 26 on (the client adds its size: pyinet_inet:info/4).
        self.commanded = 0
        self.commands = 0
        program.register(self)
        program.owner_changed(self)
        if program.faults.watching:
            # Once the transport has set itself up, before its first read.
            self.loop.call_soon(program.faults.socket_opened, self)

    def make_handle(self, program) -> tuple:
        """The socket term the BEAM sees; a transport may add to its handle."""
        return program.make_handle(self.module, self.id)

    def remake_handle(self) -> None:
        self.handle = self.make_handle(self.program)
        self.handle_ext = encode(self.handle)[1:]
        prefix = getattr(self, "_prefix", None)
        if prefix is not None:
            prefix.owner = None  # rebuilt with the new handle on the next message

    # -- ownership -------------------------------------------------------------------

    def set_owner(self, owner) -> None:
        self.owner = owner
        self.program.owner_changed(self)
        self._update_reading()

    def held_back(self) -> bool:
        """Is reading paused because the owner's mailbox is long? Only {active, true}
        delivery is held back, the kind nothing else limits: a passive recv or
        {active, once | N} is asked for, and the asker may be waiting for exactly that."""
        return self.opts.active.mode == ACTIVE and self.owner in self.program.paused_owners

    # -- event interest: reading ------------------------------------------------------
    #
    # A socket reads from the kernel only while its input is wanted (`select_read`,
    # the flag inet_drv toggles with sock_select: active, or a recv waiting), its
    # owner's delivery is not held back, and the BEAM reads the program's output.
    # When the output is what stops it, it asks to be called again once that
    # drains. Transports say when input is possible at all and what a readable
    # socket does (`_input`); a listening socket wants none of this.

    select_read = False
    _reading = False
    _awaiting_drain = False

    def input_possible(self) -> bool:
        """Whether the socket can have input: it is open (and, for a transport
        that says so, its input has not ended)."""
        return self.sock is not None

    def _select(self, on: bool) -> None:
        self.select_read = on
        self._update_reading()

    def _update_reading(self) -> None:
        possible = self.select_read and self.input_possible()
        congested = self.program.writer.congested
        want = possible and not congested and not self.held_back()
        if want != self._reading:
            self._reading = want
            if want:
                self.loop.add_reader(self.fd, self._on_readable)
            else:
                self.loop.remove_reader(self.fd)
        # Whether or not it was reading before: input wanted (made active
        # again, say) while the output is congested waits for the drain, or
        # nothing would ever look again.
        if possible and congested and not self._awaiting_drain:
            self._awaiting_drain = True
            self.program.writer.when_drained(self._drained)

    def _drained(self) -> None:
        self._awaiting_drain = False
        self._update_reading()

    def owner_flow_changed(self) -> None:
        """The client paused or resumed delivery to this socket's owner."""
        self._update_reading()

    def _on_readable(self) -> None:
        if self.program.writer.congested:
            self._update_reading()
            return
        self._input()

    def _input(self) -> None:
        """Read what the kernel has and deliver it."""
        raise NotImplementedError

    # -- options ----------------------------------------------------------------------

    def setopts(self, options: list) -> None:
        """Apply options in order; the first bad one raises einval (earlier ones stay)."""
        old_active = self.opts.active.mode
        old_ptype = self.opts.ptype
        try:
            for item in options:
                self._setopt(item)
        finally:
            self.options_changed(old_active, old_ptype)

    def _setopt(self, item) -> None:
        if type(item) is tuple and len(item) == 2 and item[0] == "active":
            self.set_active(item[1])
        elif opt.apply(self.sock, self.opts, item):
            self.passive_message()

    def set_active(self, value) -> None:
        try:
            passive_due = self.opts.active.set(value)
        except ValueError:
            raise RequestError(EINVAL) from None
        if passive_due:
            self.passive_message()

    def _require_socket(self) -> None:
        if self.sock is None:
            raise RequestError(EINVAL)

    def options_changed(self, old_active: int, old_ptype) -> None:
        """Called after setopts, whether it succeeded or not."""

    def getopts(self, names: list) -> list:
        """As inet_fill_opts: a socket closed under its handle still answers its
        local options and leaves out what getsockopt cannot tell."""
        out = []
        for name in names:
            if type(name) is tuple and len(name) == 4 and name[0] == atom("raw"):
                value = opt.get_raw(self.sock, *name[1:])
                if value is not None:
                    out.append((atom("raw"), name[1], name[2], value))
                continue
            if not isinstance(name, Atom) or isinstance(name, bool):
                raise RequestError(EINVAL)
            if name == "active":
                out.append((name, self.opts.active.term()))
            elif name in opt.LOCAL_OPTIONS:
                out.append((name, opt.LOCAL_OPTIONS[name][1](self.opts)))
            elif name in opt.SOCKET_OPTIONS:
                value = opt.get_socket_option(self.sock, name)
                if value is not None:
                    out.append((name, value))
            elif name == "netns":
                if self.opts.netns is not None:
                    out.append((name, self.opts.netns))
            elif name in opt.GETOPT_CONSTANT:
                value = opt.GETOPT_CONSTANT[name]
                if value is not None:
                    out.append((name, value))
            else:
                raise RequestError(EINVAL)
        return out

    def passive_message(self) -> None:
        raise NotImplementedError

    # -- addresses and statistics ---------------------------------------------------------

    def sockname(self):
        if self.sock is None:
            # getsockname on the descriptor inet_drv closed.
            raise RequestError(atom("ebadf"))
        try:
            return addresses.to_erlang(self.family, self.sock.getsockname())
        except OSError as exc:
            raise RequestError(oserror_atom(exc)) from None

    def peername(self):
        if self.sock is None:
            raise RequestError(EINVAL)
        try:
            return addresses.to_erlang(self.family, self.sock.getpeername())
        except OSError as exc:
            raise RequestError(oserror_atom(exc)) from None

    def send_pending(self) -> int:
        return 0

    def status(self) -> list:
        """The state flags of inet_drv's descriptor, named and ordered as
        prim_inet:getstatus/1 names them; a socket closed under its handle has
        none."""
        return [OPEN] if self.sock is not None else []

    def port_command(self, size: int) -> None:
        """A send that reached the port: `size` bytes written to it."""
        self.commanded += size
        self.commands += 1

    def port_monitors(self) -> list:
        """The processes the port would monitor (erlang:port_info(P, monitors)):
        inet_drv monitors the processes waiting in accept, nobody else."""
        return []

    def getstat(self, names: list) -> list:
        out = []
        for name in names:
            if not isinstance(name, Atom) or name not in STAT_NAMES:
                raise RequestError(EINVAL)
            value = self.send_pending() if name == "send_pend" else getattr(self.stats, name)
            out.append((name, value))
        return out

    def describe(self) -> dict:
        """What pyinet:i() shows of this socket."""
        info = {atom("id"): self.id, atom("socket"): self.handle, atom("kind"): atom(self.kind),
                atom("owner"): self.owner, atom("state"): atom(self.state_name()),
                atom("active"): self.opts.active.term(),
                atom("packet"): opt.LOCAL_OPTIONS["packet"][1](self.opts),
                atom("mode"): opt.LOCAL_OPTIONS["mode"][1](self.opts),
                atom("send_pend"): self.send_pending(),
                # Whether it reads the kernel socket now: a socket that is
                # active but not reading is held back by the BEAM's pace.
                atom("reading"): self._reading}
        for name in STAT_NAMES[:-1]:
            info[atom(name)] = getattr(self.stats, name)
        for key, get in ((atom("local"), self.sockname), (atom("peer"), self.peername)):
            try:
                info[key] = get()
            except RequestError:
                pass
        return info

    def state_name(self) -> str:
        return "open" if self.sock is not None else "closed"

    # -- teardown -------------------------------------------------------------------------

    def close_socket(self) -> None:
        """Close the kernel socket (inet_drv's desc close); the handle stays valid."""
        if self.sock is not None:
            close_kernel_socket(self.loop, self.fd, self.sock)
            self.sock = None
            self.fd = -1

    def _exit(self, reason=None) -> None:
        """driver_exit: the socket is gone, handle and all; `reason` is what
        inet:monitor/1 reports."""
        raise NotImplementedError

    def abort(self) -> None:
        """The BEAM is gone: close now."""
        self._exit()

    def owner_died(self, reason=None) -> None:
        """The owner exited with `reason`: the socket goes with it."""
        self._exit(reason=reason)


_LINGER = struct.Struct("ii")


def close_kernel_socket(loop, fd: int, sock: socket.socket) -> None:
    """The loop forgets the descriptor, and the socket closes without making
    the loop wait (see _unlinger)."""
    loop.forget(fd)
    _unlinger(sock)
    try:
        sock.close()
    except OSError:
        pass


def _unlinger(sock: socket.socket) -> None:
    """Linux's close() waits out a positive linger time even on a non-blocking
    socket, which would stop the one event loop (inet_drv blocks a scheduler
    there). Without it the kernel still sends what is left, and the peer sees
    the same; {true, 0} (reset on close) is kept."""
    try:
        onoff, secs = _LINGER.unpack(sock.getsockopt(socket.SOL_SOCKET, socket.SO_LINGER, 8))
        if onoff and secs > 0:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER.pack(0, 0))
    except OSError:
        pass


class _SockaddrUnspec(ctypes.Structure):
    _fields_ = [("family", ctypes.c_ushort), ("data", ctypes.c_char * 14)]


_libc = None


def disconnect(fd: int) -> None:
    """connect() to an AF_UNSPEC address, which Python's connect() cannot say:
    a datagram socket forgets its peer (inet_drv's disassoc_sa); a connected
    TCP socket is reset (Linux's tcp_disconnect: an RST to the peer, and
    ECONNRESET from the next read here)."""
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    addr = _SockaddrUnspec(socket.AF_UNSPEC)
    _libc.connect(fd, ctypes.byref(addr), ctypes.sizeof(addr))
