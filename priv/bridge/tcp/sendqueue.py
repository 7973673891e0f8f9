"""The output queue of a TCP socket, sans-I/O: bytes accepted by send/2 that the
kernel has not taken yet (inet_drv's driver queue, driver_enqv/driver_deq).

Data is kept as the buffers it arrived in, never joined: `iov()` hands the kernel
up to `IOV_MAX` of them for one writev/sendmsg, and `consume(n)` drops what it took.

A buffer may carry a credit: what the client counted for that send while the
socket was sendable without waiting (see connection.py). `consume()` returns the
credits of the buffers it finished, for the program to acknowledge.
"""

from __future__ import annotations

from collections import deque

from ..framing import kept

IOV_MAX = 1024


class SendQueue:
    __slots__ = ("_chunks", "_credits", "size")

    def __init__(self) -> None:
        self._chunks: deque = deque()
        self._credits: deque = deque()
        self.size = 0

    def __bool__(self) -> bool:
        return self.size > 0

    def append(self, data, credit: int = 0) -> None:
        if len(data):
            self._chunks.append(kept(data))
            self._credits.append(credit)
            self.size += len(data)

    def iov(self) -> list:
        chunks = self._chunks
        if len(chunks) <= IOV_MAX:
            return list(chunks)
        return [chunks[i] for i in range(IOV_MAX)]

    def consume(self, n: int) -> int:
        """Drop the first n bytes; return the credits of the buffers finished."""
        chunks, credits = self._chunks, self._credits
        self.size -= n
        released = 0
        while n:
            head = chunks[0]
            if n >= len(head):
                n -= len(head)
                chunks.popleft()
                released += credits.popleft()
            else:
                chunks[0] = memoryview(head)[n:]
                n = 0
        return released

    def clear(self) -> int:
        """Drop everything; return the credits dropped with it."""
        released = sum(self._credits)
        self._chunks.clear()
        self._credits.clear()
        self.size = 0
        return released
