"""An SCTP socket hosted here: inet_drv's sctp_inet port (a udp_descriptor
with IS_SCTP), ported.

One socket is one port: one-to-many (`seqpacket`), one-to-one (`stream`), or
peeled off an association (one-to-one and connected: the only kind whose
peername works). There is no closed-but-valid handle as in TCP: close ends the
port, and every later call finds it gone.

Reading follows inet_drv's `sock_select(FD_READ)` flag, `select_read`: on when
a setopts that changed `active` succeeded (to whether the socket is now
active), and in passive mode while a recv waits; off after a passive delivery,
an error, a recv timeout, or when an active socket turns passive. A message
may come in several reads (no MSG_EOR yet): the pieces are kept until the last
one, across recv calls, as udesc->i_buf is. One readiness event reads at most
INET_PACKET_POLL (5) pieces and then sets the port's one timer to zero, which
on a passive socket times the waiting recv out: a message in more pieces than
that (a large message, a small `buffer`) makes a recv time out, and a later one
gets it whole.

What is delivered (packet_reply_binary_data, inet_async_binary_data,
packet_binary_message):
- passive: `{ok, {IP, Port, AncData, Data | Event}}`, or for an error event
  `{error, {AddrBytes, AncData, Event}}` (the address as the driver's raw
  header, which prim_inet passes through untouched);
- active: `{sctp, S, IP, Port, {AncData, Data | Event}}`, `sctp_error` as the
  tag for an error event, and `{sctp_error, S, Posix}` when reading fails.
"""

from __future__ import annotations

import errno
import logging
import socket
import struct

from ..active import PASSIVE
from ..errors import RequestError, oserror_atom, posix_atom
from ..etf.terms import String, atom
from ..inet.socket import InetSocket
from ..requests import CLOSED, DEFERRED, EINVAL, ERROR, OK, Call
from . import kernel
from . import options as sopt
from . import structs as st

log = logging.getLogger("bridge.sctp")

SCTP = atom("sctp")
SCTP_ERROR = atom("sctp_error")
SCTP_PASSIVE = atom("sctp_passive")
TIMEOUT = atom("timeout")
EALREADY = atom("ealready")
ENOTCONN = atom("enotconn")
OK_TAG = atom("ok")
_OPEN, _CONNECTED, _LISTEN = atom("open"), atom("connected"), atom("listen")

READ_PACKETS = 5           # INET_PACKET_POLL
ANC_BUFF_SIZE = 1460 // 2  # ANC_BUFF_SIZE: INET_DEF_BUFFER/2

_TOS_CMSGS = {(socket.IPPROTO_IP, socket.IP_TOS): atom("tos"),
              (socket.IPPROTO_IPV6, 67): atom("tclass"),
              (socket.IPPROTO_IP, socket.IP_TTL): atom("ttl"),
              (socket.IPPROTO_IP, 13): atom("tos"),
              (socket.IPPROTO_IPV6, 66): atom("tclass"),
              (socket.IPPROTO_IP, 12): atom("ttl")}


class SctpSocket(InetSocket):
    module = atom("pyinet_sctp")
    kind = "sctp"

    def __init__(self, program, sock: socket.socket, family: int, owner, opts: sopt.SctpOptions,
                 one_to_one: bool = False, connected: bool = False):
        super().__init__(program, sock, family, owner, opts)
        sock.setblocking(False)
        # The SCTP calls beyond Python's socket methods (kernel.py), which a
        # userland endpoint (endpoint.py) makes itself.
        self.api = kernel.api_of(sock)
        self.one_to_one = one_to_one
        self.connected = connected
        self.listening = False
        self.select_read = False
        self._reading = False
        self._pieces: list = []
        self._eof = False
        self.recv_call: Call | None = None
        self.timer = None
        self.exited = False

    def __repr__(self) -> str:
        kind = "one-to-one" if self.one_to_one else "one-to-many"
        return (f"<SctpSocket {self.id} {kind} active={self.opts.active.term()!r} "
                f"buffered={sum(map(len, self._pieces))}>")

    # -- event interest (InetSocket's, but a one-to-one socket's input can end) --------

    def input_possible(self) -> bool:
        return self.sock is not None and not self._eof

    # -- receiving (packet_inet_input) --------------------------------------------------

    def _input(self) -> int:
        """packet_inet_input: the number of messages delivered."""
        count = 0
        for _ in range(READ_PACKETS):
            try:
                data, anc, flags, addr = self.sock.recvmsg(self.opts.buffer, ANC_BUFF_SIZE)
            except (BlockingIOError, InterruptedError):
                if not self.opts.active.active:
                    self._select(True)
                return count
            except OSError as exc:
                self._pieces.clear()
                if not self.opts.active.active:
                    self._recv_reply((ERROR, oserror_atom(exc)))
                    self._select(False)
                else:
                    self._send_owner((SCTP_ERROR, self.handle, oserror_atom(exc)))
                return count
            self.stats.received(len(data))
            if not flags & st.MSG_EOR:
                if not data and not flags:
                    return self._at_eof(count)
                self._pieces.append(data)
                continue
            if self._pieces:
                self._pieces.append(data)
                data = b"".join(self._pieces)
                self._pieces.clear()
            if not self._reply(data, anc, flags, addr):
                # The driver's code < 0: nothing delivered, and reading and
                # the recv timer left as they were.
                return count
            count += 1
            if not self.opts.active.active:
                self._cancel_timer()
                self._select(False)
                return count
        # INET_PACKET_POLL pieces and no message yet: driver_set_timer(port,
        # 0), which on a passive socket times the waiting recv out.
        self._set_timer(0)
        return count

    def _at_eof(self, count: int) -> int:
        """The peer of a one-to-one socket shut down, and every read gives
        nothing. inet_drv goes on polling it, each round ending in a zero
        timer that times a waiting recv out; here reading stops, and a recv
        times out the same way."""
        self._eof = True
        self._update_reading()
        if not self.opts.active.active:
            self._set_timer(0)
        return count

    def _reply(self, data: bytes, anc: list, flags: int, addr) -> bool:
        """packet_reply_binary_data: one whole message to the recv caller or
        the owner. False when nothing could be delivered: no recv waits (the
        message is lost, as when deq_async finds no caller), or the event is
        one sctp_parse_async_event has no clause for. The latter is what a
        partial delivery aborted becomes: the driver reads it onto the
        unfinished message it holds and parses the message's bytes as the
        event's header. It then builds no term at all, so the recv caller,
        already taken off the queue, is never answered; so here."""
        source = self._source(addr)
        anc_terms = _ancillary(anc)
        is_error = False
        if flags & st.MSG_NOTIFICATION:
            try:
                is_error, body = st.notification_term(data)
            except struct.error:
                is_error, body = False, None
            if body is None:
                log.warning("socket %d: dropped an event inet_drv cannot build (type %#x)",
                            self.id, int.from_bytes(data[:2], "little") if data else 0)
                self.recv_call = None
                return False
        elif self.opts.binary:
            body = data
        else:
            body = String(data)
        if not self.opts.active.active:
            if self.recv_call is None:
                return False
            if is_error:
                self._recv_reply((ERROR, (st.address_header(source), anc_terms, body)))
            else:
                self._recv_reply((OK_TAG, (source[0], source[1], anc_terms, body)))
            return True
        tag = SCTP_ERROR if is_error else SCTP
        self._send_owner((tag, self.handle, source[0], source[1], (anc_terms, body)))
        if self.opts.active.delivered():
            self.passive_message()
        return True

    def _source(self, addr) -> tuple:
        if isinstance(addr, tuple) and len(addr) >= 2 and isinstance(addr[0], str) and addr[0]:
            try:
                return st.python_address(addr)
            except OSError:
                pass
        if self.family == socket.AF_INET6:
            return ((0, 0, 0, 0, 0, 0, 0, 0), 0)
        return ((0, 0, 0, 0), 0)

    def _send_owner(self, message) -> None:
        self.program.send(self.owner, message)

    def passive_message(self) -> None:
        self._send_owner((SCTP_PASSIVE, self.handle))

    # -- passive recv (PACKET_REQ_RECV) ----------------------------------------------------

    def recv(self, call: Call, timeout: float | None):
        if self.opts.active.active:
            return (ERROR, EINVAL)
        if self.recv_call is not None:
            return (ERROR, EALREADY)
        self.recv_call = call
        # At end of input the driver's own zero timer beats the recv's timeout.
        if self._input() == 0 and timeout is not None and not self._eof:
            self._set_timer(timeout)
        return DEFERRED

    def _set_timer(self, seconds: float) -> None:
        """driver_set_timer: a port has one timer, and a new one replaces it
        (the zero timer of a long message replaces a recv's timeout)."""
        self._cancel_timer()
        self.timer = self.loop.call_later(seconds, self._on_timer)

    def _cancel_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def _on_timer(self) -> None:
        """packet_inet_timeout: passive, the waiting recv (if any) times out
        and reading stops; active, reading goes on."""
        self.timer = None
        if not self.opts.active.active:
            self._select(False)
            self._recv_reply((ERROR, TIMEOUT))
        elif self._reading:
            self._input()

    def _recv_reply(self, reply) -> None:
        call, self.recv_call = self.recv_call, None
        self._cancel_timer()
        if call is not None:
            call.reply(reply)

    # -- options ------------------------------------------------------------------------

    def setopts(self, options: list) -> None:
        """sctp_set_opts: in order; the first failure stops the list, einval,
        and then the read selection is left as it was."""
        old_active = self.opts.active.mode
        for item in options:
            if sopt.apply(self.sock, self.opts, item):
                self.passive_message()
        if self.opts.active.mode != old_active:
            self._select(self.opts.active.mode != PASSIVE)

    def getopts(self, names: list) -> list:
        return sopt.fill(self.sock, self.api, self.opts, names)

    # -- sending (packet_inet_command) --------------------------------------------------

    def sendmsg(self, sri: bytes, data) -> object:
        self.stats.sent(len(data))
        try:
            self.sock.sendmsg([data], [(st.SOL_SCTP, st.SCTP_SNDRCV, sri)])
        except OSError as exc:
            return (ERROR, oserror_atom(exc))
        return OK

    def default_send_params(self, assoc_id: int):
        """inet_sctp:send/4's getopts of sctp_default_send_param, or None."""
        try:
            raw = self.api.getsockopt_in(st.DEFAULT_SEND_PARAM,
                                       st.SNDRCVINFO.pack(0, 0, 0, 0, 0, 0, 0, 0, assoc_id))
        except OSError:
            return None
        return st.SNDRCVINFO.unpack(raw)

    # -- associations -----------------------------------------------------------------------

    def connect(self, address) -> object:
        """INET_REQ_CONNECT on SCTP: start the association; the caller hears
        `ok` at once (or the error of connect itself) and waits for its
        #sctp_assoc_change{} like any other message."""
        err = self.sock.connect_ex(address)
        if err in (0, errno.EINPROGRESS):
            return OK
        return (ERROR, posix_atom(err))

    def connectx(self, packed: bytes) -> object:
        """INET_REQ_CONNECT with an address list: {ok, AssocId} once the
        association is under way."""
        err, assoc_id = self.api.connectx(packed)
        if err in (0, errno.EINPROGRESS):
            return (OK, assoc_id & 0xFFFFFFFF)
        return (ERROR, posix_atom(err))

    def listen(self, backlog: int) -> object:
        try:
            self.sock.listen(backlog)
        except OSError as exc:
            return (ERROR, oserror_atom(exc))
        self.listening = True
        return OK

    def peeloff(self, caller, assoc_id: int):
        try:
            sock = self.api.peeloff(assoc_id)
        except OSError as exc:
            return (ERROR, oserror_atom(exc))
        # sctp_inet_copy: mode and buffer come along, the rest is a new port's.
        opts = sopt.SctpOptions(binary=self.opts.binary, buffer=self.opts.buffer)
        peeled = SctpSocket(self.program, sock, self.family, caller, opts, one_to_one=True,
                            connected=True)
        return (OK, peeled.handle)

    # -- addresses --------------------------------------------------------------------------

    def peername(self):
        if not self.connected:
            raise RequestError(ENOTCONN)
        return super().peername()

    def addresses(self, local: bool, assoc_id: int):
        """sctp_getladdrs / sctp_getpaddrs."""
        try:
            return (self.api.local_addrs if local else self.api.peer_addrs)(assoc_id)
        except OSError as exc:
            raise RequestError(oserror_atom(exc)) from None

    def status(self) -> list:
        if self.sock is None:
            return []
        states = [_LISTEN] if self.listening else []
        if self.connected:
            states.append(_CONNECTED)
        return states + [_OPEN]

    def describe(self) -> dict:
        info = {atom("id"): self.id, atom("socket"): self.handle, atom("kind"): atom(self.kind),
                atom("owner"): self.owner, atom("state"): atom(self.state_name()),
                atom("active"): self.opts.active.term(),
                atom("mode"): atom("binary") if self.opts.binary else atom("list")}
        for name in ("recv_oct", "recv_cnt", "send_oct", "send_cnt"):
            info[atom(name)] = getattr(self.stats, name)
        try:
            info[atom("local")] = self.sockname()
        except RequestError:
            pass
        return info

    # -- teardown -----------------------------------------------------------------------------

    def close(self) -> object:
        self._exit()
        return OK

    def _exit(self, reason=None) -> None:
        if self.exited:
            return
        self.exited = True
        self._reading = False
        self.select_read = False
        # packet_inet_stop: async_error_am_all(closed).
        self._recv_reply((ERROR, CLOSED))
        self.close_socket()
        self.program.unregister(self, reason)


def _ancillary(anc: list) -> list:
    """sctp_parse_ancillary_data: the IP-level items (tos, tclass, ttl), then
    the SCTP_SNDRCV ones as #sctp_sndrcvinfo{}."""
    out = []
    for level, kind, data in anc:
        name = _TOS_CMSGS.get((level, kind))
        if name is not None:
            out.append((name, _cmsg_int(data)))
        elif level == st.SOL_SCTP and kind == st.SCTP_SNDRCV and len(data) >= st.SNDRCVINFO.size:
            out.append(st.sndrcvinfo_term(data))
    return out


def _cmsg_int(data: bytes) -> int:
    """put_cmsg_int32: whatever width the kernel used."""
    if len(data) in (1, 2, 4, 8):
        return int.from_bytes(data, "little")
    return 0
