"""The fault layer's edge for an SCTP socket (either backend): between its
socket and the transport, as datagram_wire.py is for UDP.

What the shapers carry are whole messages: the wire reads a message's pieces
(until MSG_EOR) from the socket and feeds the message, with its ancillary
data (the #sctp_sndrcvinfo{}, whose stream `drop_stream` looks at), and the
transport reads it back in pieces of the size it asks, as from the kernel.
Notifications (MSG_NOTIFICATION) and the end of a one-to-one socket's input
are not the peer's data: they keep their place and meet only the delays. On
the way out, a send's #sctp_sndrcvinfo{} says its stream; an `abort` or `eof`
send is not data and goes through unharmed, in its place.

The `abort` fault aborts every association of the socket, as gen_sctp:abort/2
does one: an empty send with SCTP_ABORT to each (one-to-one: the one).
"""

from __future__ import annotations

import errno
import struct

from ..sctp import structs as st
from . import kinds as k
from .message_wire import MessageWire
from .wire import SocketStandIn, oserror

_GET_ASSOC_ID_LIST = 29   # SCTP_GET_ASSOC_ID_LIST: struct sctp_assoc_ids
_MAX_ASSOCS = 4096


class SctpWire(MessageWire):
    def __init__(self, layer, sock):
        super().__init__(layer, sock, _SctpSocketStandIn)
        self.one_to_one = sock.one_to_one
        self._assembling: list = []   # pieces of the message being read
        self._handing = None          # [rest, anc, flags, addr] of the message being read out
        self.take_place()
        self._sync()

    @property
    def idle(self) -> bool:
        return super().idle and self._handing is None and not self._assembling

    # -- faults ---------------------------------------------------------------------

    def attach(self, fault: k.Fault) -> None:
        if isinstance(fault, k.Abort):
            self._abort_all(fault)
            return
        super().attach(fault)

    def _abort_all(self, fault) -> None:
        for assoc in ([0] if self.one_to_one else self._associations()):
            sri = st.SNDRCVINFO.pack(0, 0, st.SCTP_ABORT, 0, 0, 0, 0, 0, assoc)
            try:
                self.real.sendmsg([b""], [(st.SOL_SCTP, st.SCTP_SNDRCV, sri)])
            except OSError:
                continue  # gone already
            self.log(fault, "aborted", 0)

    def _associations(self) -> list:
        ids = getattr(self.real, "association_ids", None)
        if ids is not None:
            return ids()
        try:
            raw = self.real.getsockopt(st.SOL_SCTP, _GET_ASSOC_ID_LIST, 4 + 4 * _MAX_ASSOCS)
        except OSError:
            return []
        count = struct.unpack_from("=I", raw)[0]
        return list(struct.unpack_from(f"={count}i", raw, 4))

    # -- receiving --------------------------------------------------------------------

    def _on_kernel_readable(self) -> None:
        self._read_kernel()
        self._sync()

    def _received(self, data, anc, flags, addr, now: float) -> bool:
        """A piece of a message (until MSG_EOR), a whole one, or the end of a
        one-to-one socket's input (after which nothing more is read now)."""
        ib = self.inbound
        if not flags & st.MSG_EOR:
            if not data and not flags:
                ib.feed_event(b"", (anc, flags, addr), now)  # a one-to-one socket's end
                return False
            self._assembling.append(data)
            return True
        if self._assembling:
            self._assembling.append(data)
            data = b"".join(self._assembling)
            self._assembling.clear()
        meta = (anc, flags, addr)
        if flags & st.MSG_NOTIFICATION:
            ib.feed_event(data, meta, now)
        else:
            ib.feed(data, meta, now, stream=_stream(anc))
        return True

    def _read_failed(self) -> None:
        self._assembling.clear()

    def read_piece(self, size: int):
        """The next piece of at most `size` of the message being read out."""
        if self._handing is None:
            item = self.inbound.take(self.loop.time())
            if item is None and not self.inbound.full:
                # A read asks the socket itself, as one on the socket would:
                # the userland stack does not always say when it has
                # something (its own abort's notification).
                self._read_kernel()
                item = self.inbound.take(self.loop.time())
            if item is None:
                self._sync()
                raise BlockingIOError(errno.EAGAIN, "held by a fault")
            if item.error:
                self._sync()
                raise oserror(item.error)
            anc, flags, addr = item.meta
            self._handing = [item.payload, anc, flags, addr]
        rest, anc, flags, addr = self._handing
        if not rest and not flags:
            self._handing = None  # the end of input: nothing, no flags
            self._sync()
            return b"", anc, 0, addr
        piece, rest = rest[:size], rest[size:]
        if rest:
            self._handing[0] = rest
            return piece, anc, flags & ~st.MSG_EOR, addr
        self._handing = None
        self._sync()
        return piece, anc, flags, addr

    # -- sending ------------------------------------------------------------------------

    def send(self, data: bytes, ancdata: list, flags: int, address) -> int:
        ob = self.outbound
        now = self.loop.time()
        sri = _sndrcvinfo(ancdata)
        call = (ancdata, flags, address)
        if ob.full:
            self.log(None, "dropped", len(data))
            return len(data)
        nothing_held = ob.next_time(now) is None
        if sri is not None and struct.unpack_from("=HHH", sri)[2] & (st.SCTP_ABORT | st.SCTP_EOF):
            ob.feed_event(data, call, now)
        else:
            ob.feed(data, call, now, stream=_stream(ancdata))
        return self._sent(nothing_held, now, len(data))

    def _write(self, item) -> int:
        ancdata, flags, address = item.meta
        if address is None:
            return self.real.sendmsg([item.payload], ancdata, flags)
        return self.real.sendmsg([item.payload], ancdata, flags, address)

    def _sync(self) -> None:
        if self.closed:
            return
        now = self.loop.time()
        if self._handing is not None and self.read_cb is not None and not self._read_soon:
            self._read_soon = True
            self.loop.call_soon(self._fire_read)
        self._ready_to_read(now)
        self._set_kernel_reading(self.read_cb is not None and not self.inbound.full,
                                 self._on_kernel_readable)
        self._arm(now)

    def _fire_read(self) -> None:
        self._read_soon = False
        cb = self.read_cb
        if cb is not None and not self.closed and (
                self._handing is not None or self.inbound.ready(self.loop.time())):
            cb()
        self._sync()


def _sndrcvinfo(ancdata):
    for level, kind, value in ancdata or ():
        if level == st.SOL_SCTP and kind == st.SCTP_SNDRCV:
            return bytes(value)
    return None


def _stream(ancdata) -> int | None:
    sri = _sndrcvinfo(ancdata)
    return struct.unpack_from("=H", sri)[0] if sri else None


class _SctpSocketStandIn(SocketStandIn):
    __slots__ = ()

    def recvmsg(self, size: int, ancsize: int = 0, flags: int = 0):
        return self._wire.read_piece(size)

    def sendmsg(self, buffers, ancdata=(), flags: int = 0, address=None) -> int:
        return self._wire.send(b"".join(bytes(b) for b in buffers), list(ancdata), flags, address)
