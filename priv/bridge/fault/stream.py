"""One direction of a byte stream under faults, sans-I/O.

Bytes go in with the time they came (`feed(data, now)`), and come out as
pieces when the faults let them (`take(max_len, now)`); `next_time()` says when
something more may come out, so the edge (stream_wire.py) knows when to look
again. An end, EOF or an error, goes in the same queue (`feed_end`) and comes
out after the bytes before it, once, then EOF for ever (a kernel socket reports
an error once). Nothing here reads a clock or touches a socket.

What a fault does to the bytes, in the order a byte meets them: blackhole
(dropped), truncate (after N bytes, the rest dropped and an end queued),
corrupt (a byte inverted), latency and jitter (a due time; order kept), then
on the way out bandwidth (a token bucket), chunks (pieces of exact sizes, with
a pause between on the send side) and stall (nothing comes out). What is held
is bounded by `capacity`: the edge stops reading from the kernel (recv) or
stops taking the transport's writes (send) when it is full, so backpressure
stays what the kernel makes it.
"""

from __future__ import annotations

from collections import deque

from . import kinds as k

CAPACITY = 256 * 1024
_QUANTUM_MAX = 64 * 1024
_EPSILON = 1e-6  # tokens short by less than this are enough (float arithmetic)


class End:
    """The end of the stream: `errno` 0 for EOF. `action` is what the edge
    does to the kernel socket when the end comes out on the send side
    (`shut_wr`, `shut_rdwr`) or when it is queued on the receive side."""

    __slots__ = ("errno", "action")

    def __init__(self, errno: int = 0, action: str | None = None):
        self.errno = errno
        self.action = action

    def __repr__(self) -> str:
        return f"End({self.errno}, {self.action})"


EOF = End()


class StreamShaper:
    def __init__(self, direction: str, log, rng_for, capacity: int = CAPACITY):
        self.direction = direction
        self._log = log           # log(fault, action, nbytes)
        self._rng_for = rng_for   # rng_for(fault) -> random.Random
        self.capacity = capacity
        self._segments: deque = deque()   # [due, bytes]
        self.size = 0
        self.end: End | None = None
        self._end_due = 0.0
        self._ended = False       # the end came out; only EOF from now on
        self._last_due = 0.0
        self.fed = 0              # bytes fed so far (offsets of corrupt count from here)
        self.faults: list = []
        self._chunks = None       # [fault, deque of sizes, pause]
        self._not_before = 0.0
        self._truncate = None     # [fault, bytes left]
        self._corrupt: list = []  # [fault, absolute offset]
        self._latency = 0.0
        self._jitter: list = []   # faults
        self._rate = 0            # bytes a second, 0: no limit
        self._tokens = 0.0
        self._tokens_at = 0.0
        self.stalled = False
        self._blackhole = None
        self._delay_fault = None

    def __repr__(self) -> str:
        return (f"<StreamShaper {self.direction} held={self.size} end={self.end!r} "
                f"faults={[f.term for f in self.faults]!r}>")

    # -- faults ---------------------------------------------------------------------

    def attach(self, fault: k.Fault, now: float) -> None:
        self.faults.append(fault)
        if isinstance(fault, k.Chunks):
            self._chunks = [fault, deque(fault.sizes), fault.pause]
        elif isinstance(fault, k.Truncate):
            self._truncate = [fault, fault.length]
            if fault.length == 0:
                self._cut(fault, now)
        elif isinstance(fault, k.Corrupt):
            self._corrupt.append([fault, self.fed + fault.offset])
        elif isinstance(fault, k.Bandwidth):
            self._tokens_at = now
            self._tokens = 0.0
        elif isinstance(fault, k.Blackhole):
            self._blackhole = fault
        self._recompute()

    def detach(self, fault: k.Fault) -> None:
        """The fault goes; what it held back comes out as the others allow."""
        if fault not in self.faults:
            return
        self.faults.remove(fault)
        if self._chunks is not None and self._chunks[0] is fault:
            self._chunks = None
            self._not_before = 0.0
        if self._truncate is not None and self._truncate[0] is fault:
            self._truncate = None
        if self._blackhole is fault:
            self._blackhole = None
        self._corrupt = [item for item in self._corrupt if item[0] is not fault]
        self._recompute()
        if not any(isinstance(f, (k.Latency, k.Jitter)) for f in self.faults):
            for seg in self._segments:
                seg[0] = 0.0
            self._last_due = 0.0
            self._end_due = 0.0

    def _recompute(self) -> None:
        self._latency = sum(f.delay for f in self.faults if isinstance(f, k.Latency))
        self._jitter = [f for f in self.faults if isinstance(f, k.Jitter)]
        self._delay_fault = next((f for f in self.faults if isinstance(f, (k.Latency, k.Jitter))), None)
        rates = [f.rate for f in self.faults if isinstance(f, k.Bandwidth)]
        self._rate = min(rates) if rates else 0
        self.stalled = any(isinstance(f, k.Stall) for f in self.faults)

    @property
    def finished(self) -> bool:
        """The end is queued or came out: the source has nothing more to give."""
        return self.end is not None or self._ended

    @property
    def idle(self) -> bool:
        """No fault and nothing held: the edge may step aside."""
        return not self.faults and not self._segments and self.end is None

    # -- in -------------------------------------------------------------------------

    @property
    def room(self) -> int:
        if self.end is not None:
            return self.capacity  # what comes after an end is dropped: take it all
        return max(0, self.capacity - self.size)

    def feed(self, data, now: float) -> int:
        """Bytes from the source; returns how many are held (the rest dropped)."""
        n = len(data)
        if not n:
            return 0
        start = self.fed
        self.fed += n
        if self.end is not None or self._ended:
            self._log(None, "dropped_after_end", n)
            return 0
        if self._blackhole is not None:
            self._log(self._blackhole, "blackholed", n)
            return 0
        if self._truncate is not None:
            fault, left = self._truncate
            if n >= left:
                if n > left:
                    self._log(fault, "truncated", n - left)
                data = data[:left]
                n = left
                self._truncate = None
                if n:
                    self._hold(data, now)
                self._cut(fault, now)
                return n
            self._truncate[1] = left - n
        if self._corrupt:
            data = self._apply_corrupt(data, start)
        self._hold(data, now)
        return n

    def _hold(self, data, now: float) -> None:
        due = now + self._latency
        for fault in self._jitter:
            due += self._rng_for(fault).uniform(0.0, fault.spread)
        due = max(due, self._last_due)
        self._last_due = due
        self._segments.append([due, bytes(data)])
        self.size += len(data)
        if due > now:
            self._log(self._delay_fault, "delayed", len(data))

    def _apply_corrupt(self, data, start: int):
        end = start + len(data)
        buf = None
        for item in list(self._corrupt):
            fault, at = item
            if start <= at < end:
                if buf is None:
                    buf = bytearray(data)
                buf[at - start] ^= 0xFF
                self._corrupt.remove(item)
                self._log(fault, "corrupted", 1)
        return data if buf is None else bytes(buf)

    def _cut(self, fault, now: float) -> None:
        """Truncation: the end comes after what is held; the connection closes."""
        self.feed_end(End(0, "shut_rdwr"), now)
        self._log(fault, "closed", 0)

    def feed_end(self, end: End, now: float) -> None:
        """EOF or an error from the source, after what is held."""
        if self.end is None and not self._ended:
            self.end = end
            self._end_due = max(now + self._latency, self._last_due)

    def fail_now(self, end: End) -> None:
        """An error that comes before anything held (which is dropped)."""
        if self.size:
            self._log(None, "dropped_after_end", self.size)
        self._segments.clear()
        self.size = 0
        self.end = end
        self._end_due = 0.0
        self._ended = False

    def push_front(self, data) -> None:
        """What the kernel did not take of a piece goes first next time."""
        if data:
            self._segments.appendleft([0.0, bytes(data)])
            self.size += len(data)

    def drop_all(self) -> int:
        n = self.size
        self._segments.clear()
        self.size = 0
        return n

    # -- out ------------------------------------------------------------------------

    def take(self, max_len: int, now: float):
        """The next piece that may pass now (bytes, at most max_len), the End,
        or None when nothing may pass yet."""
        if self.stalled or now < self._not_before:
            return None
        segs = self._segments
        if not segs:
            if self._ended:
                return EOF
            if self.end is not None and self._end_due <= now:
                end, self.end = self.end, None
                self._ended = True
                return end
            return None
        if segs[0][0] > now:
            return None
        want = max_len
        chunks = self._chunks
        if chunks is not None:
            size = chunks[1][0]
            due = self._due_bytes(now, size)
            if due < size and not (self.end is not None and due == self.size):
                return None  # the piece is not all here yet
            want = min(want, size)
        if self._rate:
            tokens = self._refill(now)
            quantum = min(want, self.size, max(1, min(self._rate // 50, _QUANTUM_MAX)))
            if tokens + _EPSILON < quantum:
                return None
            want = min(want, max(quantum, int(tokens + _EPSILON)))
        piece = self._pop(want, now)
        if self._rate:
            self._tokens -= len(piece)
        if chunks is not None:
            sizes = chunks[1]
            sizes[0] -= len(piece)
            if sizes[0] <= 0:
                sizes.popleft()
                self._log(chunks[0], "piece", len(piece))
                if chunks[2]:
                    self._not_before = now + chunks[2]
                if not sizes:
                    self._chunks = None
        return piece

    def _due_bytes(self, now: float, enough: int) -> int:
        total = 0
        for due, data in self._segments:
            if due > now or total >= enough:
                break
            total += len(data)
        return total

    def _pop(self, want: int, now: float) -> bytes:
        segs = self._segments
        parts = []
        got = 0
        while segs and got < want and segs[0][0] <= now:
            seg = segs[0]
            data = seg[1]
            room = want - got
            if len(data) <= room:
                segs.popleft()
                parts.append(data)
                got += len(data)
            else:
                parts.append(data[:room])
                seg[1] = data[room:]
                got += room
        self.size -= got
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def _refill(self, now: float) -> float:
        burst = max(float(self._rate) / 10.0, 1.0)
        self._tokens = min(burst, self._tokens + (now - self._tokens_at) * self._rate)
        self._tokens_at = now
        return self._tokens

    def next_time(self, now: float) -> float | None:
        """When a take() that returns None now may return something; None when
        only new input (or a fault's removal) can change that."""
        if self.stalled:
            return None
        if not self._segments:
            if self.end is not None and not self._ended and self._end_due > now:
                return self._end_due
            return None
        at = max(self._segments[0][0], self._not_before)
        if self._rate and at <= now:
            need = min(self.size, max(1, min(self._rate // 50, _QUANTUM_MAX)))
            missing = need - self._refill(now)
            if missing > _EPSILON:
                at = now + missing / self._rate
        if self._chunks is not None and at <= now:
            size = self._chunks[1][0]
            if self._due_bytes(now, size) < size:
                # Waiting for later bytes of the piece: when the next is due.
                later = [due for due, _ in self._segments if due > now]
                return min(later) if later else None
        return at if at > now else now

    def ready(self, now: float) -> bool:
        """Whether take() would give something now."""
        if self.stalled or now < self._not_before:
            return False
        segs = self._segments
        if not segs:
            return self._ended or (self.end is not None and self._end_due <= now)
        if segs[0][0] > now:
            return False
        if self._chunks is not None:
            size = self._chunks[1][0]
            due = self._due_bytes(now, size)
            if due < size and not (self.end is not None and due == self.size):
                return False
        if self._rate:
            quantum = min(self.size, max(1, min(self._rate // 50, _QUANTUM_MAX)))
            if self._refill(now) + _EPSILON < quantum:
                return False
        return True
