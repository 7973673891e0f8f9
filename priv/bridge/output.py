"""Frames on their way to the BEAM: queued during a loop iteration, written together.

Every frame this program produces goes through `FrameWriter.write()`. Frames are
collected while the loop iteration runs and written with one writev() at its end, so
a burst of messages costs one system call, and a large payload is passed to the
kernel as its own buffer instead of being concatenated.

When the BEAM reads more slowly than we produce, the pipe fills and frames wait
here. Past `high_water` bytes the writer says it is congested; sockets then stop
reading from the network until it drains below `low_water`, so a slow BEAM slows
the peers down instead of growing this queue without bound.
"""

from __future__ import annotations

import errno
import os
from collections import deque
from typing import Callable

from .framing import frame_header

_IOV_MAX = 512
_SMALL = 4096  # payload pieces below this are joined rather than given their own iovec


class FrameWriter:
    def __init__(self, loop, fd: int, *, high_water: int = 8 << 20, low_water: int = 2 << 20,
                 on_broken: Callable[[], None] | None = None):
        self._loop = loop
        self._fd = fd
        self._chunks: deque = deque()  # bytes-like pieces still to write, in order
        self._pending = 0
        self._writer_armed = False
        self._high = high_water
        self._low = low_water
        self._on_broken = on_broken
        self._waiters: list[Callable[[], None]] = []
        self.frames_out = 0
        self.bytes_out = 0
        self.broken = False
        self.tracer = None

    @property
    def pending(self) -> int:
        return self._pending

    @property
    def congested(self) -> bool:
        return self._pending > self._high

    def when_drained(self, callback: Callable[[], None]) -> None:
        """Call `callback` once the queue is below the low-water mark."""
        self._waiters.append(callback)

    def write(self, *pieces) -> None:
        """Queue one frame made of `pieces` (bytes-like, concatenated in order)."""
        size = 0
        for p in pieces:
            size += len(p)
        chunks = self._chunks
        chunks.append(frame_header(size))
        for p in pieces:
            chunks.append(p)
        self._pending += size + 4
        self.frames_out += 1
        self.bytes_out += size + 4
        if self.tracer is not None:
            self.tracer.frame_out(pieces)

    def flush(self) -> None:
        """Write as much as the pipe takes now; arm the fd for the rest."""
        if not self._chunks or self.broken:
            return
        chunks = self._chunks
        while chunks:
            iov = self._gather()
            try:
                written = os.writev(self._fd, iov)
            except BlockingIOError:
                break
            except InterruptedError:
                continue
            except OSError as exc:
                if exc.errno in (errno.EPIPE, errno.EBADF):
                    self._broken()
                    return
                raise
            self._consume(written)
        if chunks and not self._writer_armed:
            self._writer_armed = True
            self._loop.add_writer(self._fd, self._on_writable)
        elif not chunks and self._writer_armed:
            self._writer_armed = False
            self._loop.remove_writer(self._fd)
        if self._waiters and self._pending <= self._low:
            waiters, self._waiters = self._waiters, []
            for w in waiters:
                w()

    def _on_writable(self) -> None:
        self.flush()

    def _gather(self) -> list:
        """Take up to _IOV_MAX buffers off the queue, small neighbours joined into
        one, and put them back as they will be handed to writev, so that a partial
        write resumes at the right place."""
        chunks = self._chunks
        iov: list = []
        small: list = []
        while chunks and len(iov) < _IOV_MAX - 1:
            piece = chunks.popleft()
            if len(piece) < _SMALL:
                small.append(piece)
                if len(small) < 64:
                    continue
                iov.append(b"".join(small))
                small = []
            else:
                if small:
                    iov.append(small[0] if len(small) == 1 else b"".join(small))
                    small = []
                iov.append(piece)
        if small:
            iov.append(small[0] if len(small) == 1 else b"".join(small))
        chunks.extendleft(reversed(iov))
        return iov

    def _consume(self, written: int) -> None:
        self._pending -= written
        chunks = self._chunks
        while written:
            head = chunks[0]
            if written >= len(head):
                written -= len(head)
                chunks.popleft()
            else:
                chunks[0] = memoryview(head)[written:]
                written = 0

    def _broken(self) -> None:
        self.broken = True
        self._chunks.clear()
        self._pending = 0
        if self._on_broken is not None:
            self._on_broken()
