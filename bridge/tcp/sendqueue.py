"""The output queue of a TCP socket, sans-I/O: bytes accepted by send/2 that the
kernel has not taken yet (inet_drv's driver queue, driver_enqv/driver_deq).

Data is kept as the buffers it arrived in, never joined: `iov()` hands the kernel
up to `IOV_MAX` of them for one writev/sendmsg, and `consume(n)` drops what it took.
"""

from __future__ import annotations

from collections import deque

IOV_MAX = 1024


class SendQueue:
    __slots__ = ("_chunks", "size")

    def __init__(self) -> None:
        self._chunks: deque = deque()
        self.size = 0

    def __bool__(self) -> bool:
        return self.size > 0

    def append(self, data) -> None:
        if len(data):
            self._chunks.append(data)
            self.size += len(data)

    def iov(self) -> list:
        chunks = self._chunks
        if len(chunks) <= IOV_MAX:
            return list(chunks)
        return [chunks[i] for i in range(IOV_MAX)]

    def consume(self, n: int) -> int:
        """Drop the first n bytes; return what is left."""
        chunks = self._chunks
        self.size -= n
        while n:
            head = chunks[0]
            if n >= len(head):
                n -= len(head)
                chunks.popleft()
            else:
                chunks[0] = memoryview(head)[n:]
                n = 0
        return self.size

    def clear(self) -> None:
        self._chunks.clear()
        self.size = 0
