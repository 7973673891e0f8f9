"""`{packet, 4}` framing of the port's stdin, sans-I/O.

The BEAM writes each request as a 4-byte big-endian length and that many bytes.
`FrameReader` follows asyncio's BufferedProtocol contract so that the I/O edge reads
straight into memory the reader owns:

    buf = reader.get_buffer()        # writable memoryview
    n = readinto(buf)                # the edge fills it
    reader.buffer_updated(n, now)    # the reader takes note
    for frame in reader.frames():    # complete frames, in order
        ...                          # reader.began: when they began to arrive

Small frames are returned as bytes (copied out of the shared read buffer, which is
reused). A frame larger than `direct_threshold` is not copied: when it began in a
read it gets a buffer of its own, exactly its size, and the edge reads the rest into
it directly; when a read brought all of it, it is returned as a memoryview of the
shared buffer. Either way a 64 KiB send payload is copied once, by the kernel, on
its way in. A view of the shared buffer is valid while the frames of that read are
handled; what keeps data longer (the TCP send queue, a send held back) keeps
`kept(data)`, a copy where the view is of a much larger buffer. Should a view
outlive its read all the same, the reader leaves that buffer to it and takes a
new one: it can tell, as the buffer cannot be resized while any view of it is
alive. The edge must therefore release the view get_buffer gave it once the read
is done.

`began` is the `now` of the read that brought the first bytes of the frames just
made ready. A 128 MiB send takes a while to cross the pipe; its send_timeout, like
inet_drv's, runs from when it was handed over, not from when its last byte came.

A frame longer than `max_frame` cannot be a request we can serve; its bytes are
skipped (the stream stays in step) and reported as an `OversizedFrame`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

_LENGTH = struct.Struct(">I")


@dataclass(frozen=True, slots=True)
class OversizedFrame:
    """A frame that was skipped because it declared `length` > max_frame."""

    length: int


class FrameReader:
    def __init__(self, *, buffer_size: int = 256 * 1024, direct_threshold: int = 16 * 1024,
                 max_frame: int = 1 << 30):
        self._buf = bytearray(buffer_size)
        self._lent = False  # a large frame was handed out as a view of _buf
        self._start = 0  # first unconsumed byte in _buf
        self._end = 0  # one past the last byte read into _buf
        self._direct_threshold = direct_threshold
        self._max_frame = max_frame
        self._big: bytearray | None = None  # the dedicated buffer of a large frame
        self._big_filled = 0
        self._big_began = 0.0
        self.began = 0.0
        self._skip = 0  # bytes of an oversized frame still to discard
        self._ready: list = []

    # -- the BufferedProtocol side -------------------------------------------------

    def get_buffer(self) -> memoryview:
        if self._big is not None:
            return memoryview(self._big)[self._big_filled:]
        if self._lent:
            self._reclaim()
        if self._end == len(self._buf):
            self._compact()
        return memoryview(self._buf)[self._end:]

    def buffer_updated(self, nbytes: int, now: float = 0.0) -> None:
        if self._big is not None:
            self._big_filled += nbytes
            if self._big_filled == len(self._big):
                # get_buffer gave this read to the large frame alone.
                self._ready.append(memoryview(self._big))
                self.began = self._big_began
                self._big = None
                self._big_filled = 0
            return
        self.began = now
        self._end += nbytes
        self._split()

    def frames(self):
        """Yield the complete frames received so far (bytes, memoryview or OversizedFrame)."""
        while self._ready:
            ready, self._ready = self._ready, []
            yield from ready

    @property
    def buffered(self) -> int:
        """Bytes held that do not yet form a complete frame."""
        return (self._end - self._start) + self._big_filled

    # -- internal -------------------------------------------------------------------

    def _reclaim(self) -> None:
        """Reuse the shared buffer unless a view of a large frame from it is
        still alive, which only an export-free bytearray lets us resize."""
        self._lent = False
        buf = self._buf
        try:
            buf.append(0)
        except BufferError:
            pending = self._end - self._start
            fresh = bytearray(len(buf))
            fresh[:pending] = memoryview(buf)[self._start:self._end]
            self._buf, self._start, self._end = fresh, 0, pending
        else:
            del buf[-1]

    def _compact(self) -> None:
        pending = self._end - self._start
        if self._start:
            self._buf[:pending] = self._buf[self._start:self._end]
            self._start, self._end = 0, pending

    def _split(self) -> None:
        buf, start, end = self._buf, self._start, self._end
        view = memoryview(buf)
        while True:
            if self._skip:
                dropped = min(self._skip, end - start)
                self._skip -= dropped
                start += dropped
                if self._skip:
                    break
            if end - start < 4:
                break
            (length,) = _LENGTH.unpack_from(buf, start)
            if length > self._max_frame:
                self._ready.append(OversizedFrame(length))
                self._skip = length
                start += 4
                continue
            if end - start - 4 >= length:
                frame = view[start + 4:start + 4 + length]
                if length > self._direct_threshold:
                    self._lent = True
                else:
                    frame = bytes(frame)
                self._ready.append(frame)
                start += 4 + length
                continue
            if length > self._direct_threshold or length + 4 > len(buf):
                # Give the rest of this frame a buffer of its own and move what we
                # already have of it there; the edge will read the remainder into it.
                have = end - start - 4
                self._big = bytearray(length)
                self._big[:have] = view[start + 4:end]
                self._big_filled = have
                self._big_began = self.began
                start = end
            break
        view.release()  # the frames' views are of the buffer, not of this one
        if start == end:
            start = end = 0
        self._start, self._end = start, end


def kept(data):
    """`data`, to be kept after its frame has been handled (a queued or held
    send): a view of a buffer more than twice its size, such as the reader's
    shared one, is copied, so that it does not keep that whole buffer."""
    if type(data) is memoryview and data.nbytes * 2 < len(data.obj):
        return bytes(data)
    return data


def frame_header(length: int) -> bytes:
    """The 4-byte length that precedes a frame of `length` bytes."""
    return _LENGTH.pack(length)
