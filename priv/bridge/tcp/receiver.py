"""The input buffer of a TCP socket, sans-I/O: inet_drv's tcp_recv, tcp_remain and
tcp_deliver, without the socket.

Theory of operation. Bytes read from the kernel collect in `buf`. The packet type
decides where the next packet ends (`bridge.packet.get_length`). How much to read
next is decided the way inet_drv decides it, because it shows through: in raw
mode a message holds at most one read of `buffer` bytes; `recv(S, N)` reads exactly
what is missing so the rest stays in the kernel; a line longer than the buffer is
cut at the buffer size. The socket layer drives it:

    nread = rb.plan(request_len)   # > 0: read up to nread bytes; 0: a packet is ready
    rb.feed(data)                  # after a read; True when a packet is ready
    packet = rb.take()             # the ready packet, header included
    rb.ready()                     # after a delivery: is another packet complete?

`PacketError` (inet_drv's EMSGSIZE) is raised when a packet is invalid or larger
than packet_size. "Virtual size" (`size`) is inet_drv's i_bufsz: the buffer size
when the buffer was started, grown to hold the current packet, reset when empty.

With `read_ahead` false (OTP 27's `{read_ahead, false}`) a packet of unknown
length is read a header at a time (packet_header_length), so that nothing past
the packet leaves the kernel.
"""

from __future__ import annotations

from .. import packet as packets

RAW = packets.PACKET_TYPES[0]

TCP_MAX_PACKET_SIZE = 0x4000000  # 64 MiB, as inet_drv

# packet_header_length: the fewest bytes that can tell a packet's length, by
# TCP_PB_* code; raw reads ahead whatever read_ahead says, and the types not
# named (lines, http) are read a byte at a time.
_HEADER_LENGTH = {1: 1, 2: 2, 3: 4, 4: 2, 5: 4, 6: 12, 7: 8, 9: 4, 12: 5}


class PacketError(Exception):
    """The next packet cannot be framed: inet_drv reports emsgsize."""


class ReceiveBuffer:
    __slots__ = ("buf", "size", "remain", "_ready_len", "ptype", "packet_size", "bufsz",
                 "delimiter", "http_state", "read_ahead")

    def __init__(self, ptype: packets.PacketType = RAW, packet_size: int = 0,
                 bufsz: int = 1460, delimiter: int = 10):
        self.buf: bytearray | None = None
        self.size = 0
        self.remain = 0
        self._ready_len = 0
        # 0 while an http request/response line is expected, 1 in the headers; it
        # survives packet type changes, as in inet_drv.
        self.http_state = 0
        self.configure(ptype, packet_size, bufsz, delimiter)

    def configure(self, ptype: packets.PacketType, packet_size: int, bufsz: int,
                  delimiter: int, read_ahead: bool = True) -> None:
        self.ptype = ptype
        self.packet_size = packet_size
        self.bufsz = bufsz
        self.delimiter = delimiter
        self.read_ahead = read_ahead

    @property
    def buffered(self) -> int:
        return len(self.buf) if self.buf is not None else 0

    def clear(self) -> None:
        self.buf = None
        self.size = 0
        self.remain = 0
        self._ready_len = 0

    def push_front(self, data: bytes) -> None:
        """gen_tcp:unrecv/2: `data` goes before everything buffered."""
        if self.buf is None:
            self.buf = bytearray(data)
            self.size = len(data)
        else:
            self.buf[:0] = data
            self.size += len(data)
        self.remain = 0

    # -- framing ----------------------------------------------------------------------

    def _header_length(self) -> int:
        """packet_header_length: how much to read to learn more of the packet's
        length, or 0 to read ahead."""
        if self.read_ahead or self.ptype is RAW:
            return 0
        hlen = _HEADER_LENGTH.get(self.ptype.code)
        n = len(self.buf) if self.buf is not None else 0
        return hlen - n if hlen is not None and hlen > n else 1

    def _length(self) -> int:
        buf = self.buf
        if self.ptype.headers_only:
            # packet_get_length puts the socket in header state for httph and
            # httph_bin, and the parse of the line reads that state.
            self.http_state = 1
        return self.ptype.length(buf, 0, len(buf), self.packet_size, self.size, self.delimiter,
                                 self.http_state)

    def _remain(self) -> tuple[int, int]:
        """tcp_remain: (0, len) when a packet of len bytes is complete; (k, exact)
        when k more bytes are needed (exact is k when known, else 0)."""
        n = len(self.buf)
        tlen = self._length()
        if tlen > 0:
            if tlen <= n:
                return 0, tlen
            self.size = max(self.size, tlen)
            return tlen - n, tlen - n
        if tlen == 0:
            hlen = self._header_length()
            if hlen:
                return hlen, 0
            free = self.size - n
            if free <= 0:
                if self.packet_size and self.packet_size > n:
                    self.size = self.packet_size
                    return self.packet_size - n, 0
                raise PacketError
            return free, 0
        raise PacketError

    def plan(self, request_len: int = 0) -> int:
        """How many bytes to read next, or 0 when a packet is ready to take."""
        if self.buf is None:
            size = request_len if request_len > 0 else self.bufsz
            self.buf = bytearray()
            self.size = size
            self.remain = request_len
            return request_len or self._header_length() or size
        if request_len > 0:
            n = len(self.buf)
            if n >= request_len:
                self._ready_len = request_len
                return 0
            self.size = max(self.size, request_len)
            self.remain = request_len - n
            return self.remain
        if self.remain == 0:
            nread, exact = self._remain()
            if nread == 0:
                self._ready_len = exact
                return 0
            if exact:
                self.remain = exact
            return nread
        return self.remain

    def feed(self, data) -> bool:
        """Add bytes just read. True when a packet is ready to take."""
        if self.buf is None:
            self.buf = bytearray(data)
            self.size = max(self.bufsz, len(data))
        else:
            self.buf += data
        if self.remain > 0:
            self.remain -= len(data)
            if self.remain <= 0:
                self.remain = 0
                self._ready_len = len(self.buf)
                return True
            return False
        nread, exact = self._remain()
        if nread == 0:
            self._ready_len = exact
            return True
        if exact:
            self.remain = exact
        return False

    def ready(self) -> bool:
        """After a delivery (tcp_deliver's loop): is the next packet complete?"""
        if self.buf is None or self.remain > 0:
            return False
        nread, exact = self._remain()
        if nread == 0:
            self._ready_len = exact
            return True
        if exact:
            self.remain = exact
        return False

    def take(self) -> bytes:
        """Remove and return the ready packet (header included)."""
        length = self._ready_len
        buf = self.buf
        if length == len(buf):
            packet = bytes(buf)
            self.clear()
        else:
            packet = bytes(buf[:length])
            del buf[:length]
            self.remain = 0
        self._ready_len = 0
        return packet
