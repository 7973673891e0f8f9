"""The port program: stdin frames in, requests dispatched, frames out on stdout.

Frames from the BEAM are ETF terms of two shapes (PROTOCOL.md has them all):

    {Ref, Caller, {Name, Arg...}}   a request; the reply goes to Caller as {Ref, Reply}
    {pyinet, Control}               a message for the program itself (init, owner_down)

Frames to the BEAM are `{Dest, Msg}`: the client delivers Msg to Dest (`Dest ! Msg`),
or handles it itself when Dest is the atom `pyinet`. The first frame is always the
hello that names the protocol version and what this program can do.

Nothing a frame contains may stop this program: an undecodable frame or a request
of the wrong shape is logged and dropped, or answered with an error when it names
someone to answer.
"""

from __future__ import annotations

import argparse
import fcntl
import logging
import os
import platform
import sys

from . import __version__, PROTOCOL_VERSION
from .errors import RequestError
from .etf import DecodeError, EncodeError, decode, encode
from .etf.terms import Atom, Pid, Port, atom
from .framing import FrameReader, OversizedFrame
from .loop import EventLoop
from .output import FrameWriter
from .release import Release, follow_release
from .requests import EINVAL, NO_REPLY, Call, dispatch

log = logging.getLogger("bridge")

PYINET = atom("pyinet")
_TCP_SEND = atom("tcp_send")
_CONTROLS = atom("controls")
_PAIR, _TRIPLE = b"\x83h\x02", b"\x83h\x03"  # the start of an encoded 2- and 3-tuple
_F_SETPIPE_SZ = 1031
# Sends batched together are small ones, whose cost is the write itself; a
# large send goes out on its own at once, and a batch is written when it
# holds this much: later bytes would wait for the earlier ones to be read.
_BATCH_SEND_MAX = 8 * 1024
_BATCH_MAX = 256 * 1024
_READ_BUDGET = 4 << 20  # bytes read from stdin per loop iteration, so sockets get their turn


class PortProgram:
    def __init__(self, loop: EventLoop, *, stdin_fd: int = 0, stdout_fd: int = 1,
                 release: Release | None = None):
        self.loop = loop
        self.release = Release.from_environment() if release is None else release
        follow_release(self.release)
        self.stdin_fd = stdin_fd
        self.stdout_fd = stdout_fd
        self.reader = FrameReader(max_frame=int(os.environ.get("PYINET_MAX_FRAME", 1 << 30)))
        self.writer = FrameWriter(loop, stdout_fd, on_broken=self.shutdown)
        self.sockets: dict[int, object] = {}
        self._next_id = 1
        self.router: Pid | Atom = atom("undefined")
        self.port: Port | Atom = atom("undefined")
        self.frames_in = 0
        self.bytes_in = 0
        # Loop time at which the frame being handled began to arrive (FrameReader.began).
        self.frame_began = 0.0
        self._watched: dict = {}
        self.connecting: set = set()  # connects in progress, to abort at shutdown
        self.tracer = None
        self.lag = None
        # Owners whose mailboxes the client found too long: their sockets stop
        # reading from the network until the client says resume.
        self.paused_owners: set = set()
        self._acks: dict[int, int] = {}  # socket id -> bytes no longer outstanding
        self._controls: list = []  # control messages waiting for the next frame (control())
        self._closing_told: int | None = None  # the socket a close not waited for closes
        from .fault.layer import FaultLayer
        self.faults = FaultLayer(self)
        self._stdin_is_file = False
        self._control = {
            "init": self._control_init,
            "down": self._control_down,
            "pause": self._control_pause,
            "tcp_send": self._control_send,
            "resume": self._control_resume,
            "faults": self._control_faults,
            "inet_setopts": self._control_setopts,
            "tcp_close": self._control_close,
        }

    # -- life cycle -----------------------------------------------------------------

    def start(self) -> None:
        for fd in (self.stdin_fd, self.stdout_fd):
            os.set_blocking(fd, False)
            try:
                # A 64 KiB pipe would cut every large send into several wake-ups.
                fcntl.fcntl(fd, _F_SETPIPE_SZ, 1 << 20)
            except OSError:
                pass
        try:
            self.loop.add_reader(self.stdin_fd, self._on_stdin)
        except PermissionError:
            # stdin is a regular file (a replayed trace, a test): always readable.
            self._stdin_is_file = True
            self.loop.call_soon(self._on_stdin)
        self.loop.add_idle(self.flush_output)
        from .admin import LagMeter
        self.lag = LagMeter(self.loop)
        self.lag.start()
        self.control(atom("hello"), hello_info(self.release))
        self.flush_output()

    def shutdown(self) -> None:
        """The BEAM is gone (stdin closed or stdout broken): close everything, stop."""
        if self.loop.stopping:
            return
        self.loop.stopping = True
        for sock in list(self.sockets.values()):
            try:
                sock.abort()
            except Exception:  # closing must go on whatever one socket does
                log.exception("closing %r", sock)
        self.sockets.clear()
        for pending in list(self.connecting):
            pending.abort()

    # -- sockets --------------------------------------------------------------------

    def new_socket_id(self) -> int:
        sid = self._next_id
        self._next_id += 1
        return sid

    def make_handle(self, module: Atom, sid: int) -> tuple:
        """The socket term the BEAM sees: {'$inet', Module, {Router, Port, Id}}."""
        return (atom("$inet"), module, (self.router, self.port, sid))

    def register(self, sock) -> None:
        self.sockets[sock.id] = sock

    def unregister(self, sock, reason=None) -> None:
        """The socket is gone; `reason` is what monitors of it are told
        (normal unless it went with its owner)."""
        if self.sockets.pop(sock.id, None) is not None:
            self.faults.socket_gone(sock)
            if sock.id == self._closing_told:
                return  # the client's router knows (_control_close)
            if reason is None:
                self.control(atom("closed"), sock.handle)
            else:
                self.control(atom("closed"), sock.handle, reason)

    def owner_changed(self, sock) -> None:
        self.control(atom("owner"), sock.handle, sock.owner)

    def ack(self, sid: int, credit: int) -> None:
        """Bytes the client counted as outstanding on socket `sid` are gone
        (written to the kernel); told once per loop iteration."""
        self._acks[sid] = self._acks.get(sid, 0) + credit

    def _flush_acks(self) -> None:
        """{acked, [{Id, Bytes, Room}]}: with the bytes, the kernel's room now
        (send_side.py). Acks wait for the end of the loop iteration, so that
        a run of sends is acked once, but never behind another frame: a
        reply that follows a write in time follows its ack (a close after a
        send and the recv that saw it then finds nothing outstanding)."""
        if self._acks:
            acks, self._acks = self._acks, {}
            sockets = self.sockets
            out = []
            for sid, credit in acks.items():
                room = getattr(sockets.get(sid), "send_room", None)
                out.append((sid, credit, room() if room is not None else 0))
            self.control(atom("acked"), out)

    def watch(self, pid) -> None:
        """Ask the client to tell us ({down, Pid, Reason}) when `pid` exits."""
        count = self._watched.get(pid, 0)
        self._watched[pid] = count + 1
        if count == 0:
            self.control(atom("watch"), pid)

    def unwatch(self, pid) -> None:
        count = self._watched.get(pid, 0)
        if count <= 1:
            self._watched.pop(pid, None)
            if count == 1:
                self.control(atom("unwatch"), pid)
        else:
            self._watched[pid] = count - 1

    # -- output ---------------------------------------------------------------------

    def send(self, dest, msg) -> None:
        """Queue the frame that makes the client do `Dest ! Msg`, with the
        control messages still waiting, which the client applies first:
        {Dest, Msg, Controls}."""
        controls = self._take_controls()
        try:
            payload = encode((dest, msg, controls) if controls else (dest, msg))
        except EncodeError:
            log.exception("cannot encode a message for %r", dest)
            self._write_controls(controls)
            return
        self.writer.write(payload)

    def send_encoded(self, head: bytes, *pieces) -> None:
        """Queue a frame already encoded by a fast path: the encoding of
        {Dest, Msg} cut in pieces, `head` starting with its tuple header.
        Control messages waiting go with it as send() sends them."""
        controls = self._take_controls()
        if controls:
            if head.startswith(_PAIR):
                self.writer.write(_TRIPLE + head[len(_TRIPLE):], *pieces, encode(controls)[1:])
                return
            self._write_controls(controls)
        self.writer.write(head, *pieces)

    def control(self, *msg) -> None:
        """A control message for the client ({pyinet, Msg}). It waits for the
        next frame of this loop iteration and goes in it, so that a new
        socket's owner and sendable state arrive with the reply that gives
        it (one frame, one message to the router, where they were three);
        the order of everything the client sees stays the order it was made."""
        if self._acks:
            self._flush_acks()
        self._controls.append(msg if len(msg) > 1 else msg[0])

    def flush_output(self) -> None:
        """The end of a loop iteration: what waits goes out, in one writev."""
        self._write_controls(self._take_controls())
        self.writer.flush()

    def _take_controls(self) -> list:
        """The control messages made since the last frame (the acks counted
        since then made one first), no longer waiting."""
        if self._acks:
            self._flush_acks()
        controls = self._controls
        if controls:
            self._controls = []
        return controls

    def _write_controls(self, controls: list) -> None:
        """Control messages as a frame of their own: {pyinet, Msg}, or
        {pyinet, {controls, [Msg]}} for several."""
        if controls:
            self.writer.write(encode((PYINET, controls[0] if len(controls) == 1
                                      else (_CONTROLS, controls))))

    # -- input ----------------------------------------------------------------------

    def _on_stdin(self) -> None:
        reader = self.reader
        budget = _READ_BUDGET
        while budget > 0:
            buf = reader.get_buffer()
            try:
                n = os.readv(self.stdin_fd, [buf])
            except BlockingIOError:
                break
            except InterruptedError:
                continue
            except OSError as exc:
                log.error("reading stdin: %s", exc)
                n = 0
            if n == 0:
                self.shutdown()
                return
            room = len(buf)
            buf.release()  # the reader reuses its buffer only when no view of it is left
            budget -= n
            self.bytes_in += n
            reader.buffer_updated(n, self.loop.time())
            self._handle_frames(reader)
            if n < room:
                break
        if self._stdin_is_file:
            self.loop.call_soon(self._on_stdin)

    def _handle_frames(self, reader) -> None:
        """The frames one read brought. A run of small sends that need no
        reply on one socket is handed over as one batch (one write for them
        all, where each would otherwise cost its own); any other frame, and
        the end of the read, hand the run over first, so that everything
        keeps its order."""
        batch_sid, batch, batched = None, [], 0
        for frame in reader.frames():
            term = self._decode(frame, reader.began)
            if term is None:
                continue
            send = _small_no_reply_send(term)
            if send is not None:
                sid, data = send
                if batch and (sid != batch_sid or batched + len(data) > _BATCH_MAX):
                    self._send_batch(batch_sid, batch)
                    batch, batched = [], 0
                batch_sid = sid
                batch.append(data)
                batched += len(data)
                continue
            if batch:
                self._send_batch(batch_sid, batch)
                batch_sid, batch, batched = None, [], 0
            self._handle_safely(term)
        if batch:
            self._send_batch(batch_sid, batch)

    def _send_batch(self, sid: int, datas: list) -> None:
        sock = self.sockets.get(sid)
        send = getattr(sock, "send_no_reply_batch", None)
        if send is not None:
            send(datas)

    def handle_frame(self, frame, began: float | None = None) -> None:
        """Handle one request frame; `began` is the loop time at which it began to
        arrive (now, if not given)."""
        term = self._decode(frame, began)
        if term is not None:
            self._handle_safely(term)

    def _decode(self, frame, began: float | None):
        """The frame's term (None when it cannot be one), counted and traced."""
        self.frame_began = self.loop.time() if began is None else began
        self.frames_in += 1
        if self.tracer is not None and not isinstance(frame, OversizedFrame):
            self.tracer.frame_in(frame)
        if isinstance(frame, OversizedFrame):
            log.error("dropped a frame of %d bytes (larger than the limit)", frame.length)
            return None
        try:
            return decode(frame)
        except DecodeError as exc:
            log.error("dropped an undecodable frame of %d bytes: %s", len(frame), exc)
            return None

    def _handle_safely(self, term) -> None:
        try:
            self._handle_term(term)
        except Exception:  # a bug must cost one request, not the whole program
            log.exception("request failed: %.200r", term)
            caller = _caller_of(term)
            if caller is not None:
                self.send(caller[0], (caller[1], (atom("error"), EINVAL)))

    def _handle_term(self, term) -> None:
        if type(term) is tuple and len(term) == 3:
            ref, caller, req = term
            if isinstance(caller, Pid):
                call = Call(self, caller, ref)
                if type(req) is tuple and req and isinstance(req[0], Atom):
                    dispatch(self, call, req)
                else:
                    call.error(EINVAL)
                return
        elif type(term) is tuple and len(term) == 2 and term[0] == PYINET:
            ctl = term[1]
            name = ctl[0] if type(ctl) is tuple and ctl else ctl
            handler = self._control.get(name) if isinstance(name, Atom) else None
            if handler is not None:
                try:
                    handler(*(ctl[1:] if type(ctl) is tuple else ()))
                    return
                except (TypeError, RequestError):
                    pass
            log.warning("dropped an unknown control message: %.200r", ctl)
            return
        log.warning("dropped a frame that is not a request: %.200r", term)

    # -- control messages from the client --------------------------------------------

    def _control_init(self, info) -> None:
        if not isinstance(info, dict):
            raise TypeError
        router = info.get(atom("router"), self.router)
        port = info.get(atom("port"), self.port)
        renamed = (router, port) != (self.router, self.port) and self.router != atom("undefined")
        self.router, self.port = router, port
        if renamed:
            # The node became alive after this program started (pyinet_dist's
            # listen socket is made before net_kernel names the node): the
            # handles the BEAM sees from now on name the router and port as
            # they are encoded now.
            for sock in self.sockets.values():
                remake = getattr(sock, "remake_handle", None)
                if remake is not None:
                    remake()

    def _control_send(self, sid, data) -> None:
        """A send the client did not wait for (PROTOCOL.md, "Flow control")."""
        sock = self.sockets.get(sid) if type(sid) is int else None
        send = getattr(sock, "send_no_reply", None)
        if send is not None and isinstance(data, (bytes, memoryview)):
            send(data)

    def _control_faults(self, seed, rules) -> None:
        """The fault state the client keeps (pyinet_fault), for a program that starts."""
        if type(seed) is not int or not isinstance(rules, list):
            raise TypeError
        self.faults.seed(seed)
        self.faults.set_rules([tuple(rule) for rule in rules if type(rule) is tuple and len(rule) == 3])

    def _control_setopts(self, sid, options) -> None:
        """An inet_setopts the client did not wait for: `{active, once | true}`
        on a sendable socket, whose answer can only be ok (pyinet_tcp)."""
        sock = self.sockets.get(sid) if type(sid) is int else None
        if sock is not None and isinstance(options, list):
            try:
                sock.setopts(options)
            except RequestError as exc:
                log.warning("setopts %r on socket %d: %r", options, sid, exc.reason)

    def _control_close(self, sid) -> None:
        """A tcp_close the client did not wait for: a passive sendable socket
        with nothing outstanding, whose answer can only be an immediate ok
        (pyinet_tcp:close/1)."""
        sock = self.sockets.get(sid) if type(sid) is int else None
        if sock is not None and hasattr(sock, "close"):
            # The client told its router first that the socket is gone, so
            # no {closed, S} goes back (a frame to decode and a write a
            # connection less).
            self._closing_told = sid
            try:
                sock.close(NO_REPLY)
            finally:
                self._closing_told = None

    def _control_pause(self, pid) -> None:
        self.paused_owners.add(pid)
        self._owner_flow_changed(pid)

    def _control_resume(self, pid) -> None:
        self.paused_owners.discard(pid)
        self._owner_flow_changed(pid)

    def _owner_flow_changed(self, pid) -> None:
        for sock in list(self.sockets.values()):
            if sock.owner == pid:
                changed = getattr(sock, "owner_flow_changed", None)
                if changed is not None:
                    changed()

    def _control_down(self, pid, reason=None) -> None:
        """A process we asked the client to watch is gone: its sockets close, and
        it stops waiting wherever it waited (accept). A port goes down with the
        reason its owner exited with."""
        self.paused_owners.discard(pid)
        for sock in list(self.sockets.values()):
            if sock.owner == pid:
                sock.owner_died(reason)
            else:
                gone = getattr(sock, "caller_died", None)
                if gone is not None:
                    gone(pid)


def _small_no_reply_send(term):
    """(Id, Binary) of `{pyinet, {tcp_send, Id, Binary}}` with a small
    Binary, the sends worth batching; else None."""
    if type(term) is tuple and len(term) == 2 and term[0] == PYINET:
        ctl = term[1]
        if (type(ctl) is tuple and len(ctl) == 3 and ctl[0] == _TCP_SEND and type(ctl[1]) is int
                and isinstance(ctl[2], (bytes, memoryview)) and len(ctl[2]) < _BATCH_SEND_MAX):
            return ctl[1], ctl[2]
    return None


def _caller_of(term):
    if type(term) is tuple and len(term) == 3 and isinstance(term[1], Pid):
        return term[1], term[0]
    return None


def hello_info(release: Release | None = None) -> dict:
    from .capabilities import transports
    from .tcp.sender import SEND_COUNT_MARGIN, SKB_OVERHEAD, SKB_SEGMENT
    info = {
        atom("protocol"): PROTOCOL_VERSION,
        # How the client counts each send (PROTOCOL.md, "Flow control").
        atom("send_count"): (SEND_COUNT_MARGIN, SKB_OVERHEAD, SKB_SEGMENT),
        atom("otp_release"): (release or Release()).otp,
        atom("version"): __version__.encode(),
        atom("os_pid"): os.getpid(),
        atom("python"): platform.python_version().encode(),
    }
    info.update(transports())
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bridge",
                                     description="pyinet's port program (see PROTOCOL.md)")
    parser.add_argument("--trace", metavar="FILE", default=os.environ.get("PYINET_TRACE") or None,
                        help="record every frame in and out (read with python -m bridge.trace)")
    parser.add_argument("--log-level", default=os.environ.get("PYINET_LOG", "WARNING"))
    args = parser.parse_args(argv)
    logging.basicConfig(stream=sys.stderr,
                        level=getattr(logging, args.log_level.upper(), logging.WARNING),
                        format="pyinet bridge %(process)d %(levelname)s %(name)s: %(message)s")
    from . import admin, fault, inet, sctp, sock, tcp, udp  # noqa: F401  (they register their requests)
    loop = EventLoop()
    program = PortProgram(loop)
    if args.trace:
        from .trace import TraceWriter
        program.tracer = program.writer.tracer = TraceWriter(args.trace)
    program.start()
    try:
        loop.run()
    finally:
        program.flush_output()
        if program.tracer is not None:
            program.tracer.close()
    return 0
