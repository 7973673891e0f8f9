"""One direction of a datagram socket under faults, sans-I/O.

A datagram goes in with the time it came (`feed(payload, meta, now, stream)`)
and comes out when the faults let it (`take(now)`); `meta` is the edge's (the
sender's address, ancillary data, what call sends it) and passes untouched.
Each datagram meets, in this order: blackhole, drop_stream, drop, truncate,
corrupt, duplicate (a copy follows the original), reorder (held until the
window is full or the hold time passed, then let go in a random order),
latency and jitter (a due time each: with jitter a later datagram may
overtake an earlier one, as on a network), and on the way out bandwidth.
Errors the kernel reports (`feed_error`) pass every fault, in order. Random
choices use the generator of the fault that makes them (rng_for), one draw per
datagram per fault, so a seed gives the same choices for the same datagrams.
"""

from __future__ import annotations

import bisect
import itertools

from . import kinds as k

CAPACITY = 1024  # datagrams held at most; the edge stops reading (or drops sends) past it
_EPSILON = 1e-6  # tokens short by less than this are enough (float arithmetic)


class Item:
    __slots__ = ("due", "seq", "payload", "meta", "error")

    def __init__(self, due: float, seq: int, payload: bytes, meta, error: int = 0):
        self.due = due
        self.seq = seq
        self.payload = payload
        self.meta = meta
        self.error = error

    def __lt__(self, other: "Item") -> bool:
        return (self.due, self.seq) < (other.due, other.seq)


class DatagramShaper:
    def __init__(self, direction: str, log, rng_for, capacity: int = CAPACITY):
        self.direction = direction
        self._log = log
        self._rng_for = rng_for
        self.capacity = capacity
        self._queue: list[Item] = []      # sorted by (due, seq)
        self._held: list[Item] = []       # waiting for the reorder window
        self._held_since = 0.0
        self._seq = itertools.count()
        self.faults: list = []
        self._rate = 0
        self._tokens = 0.0
        self._tokens_at = 0.0

    def __repr__(self) -> str:
        return (f"<DatagramShaper {self.direction} queued={len(self._queue)} held={len(self._held)} "
                f"faults={[f.term for f in self.faults]!r}>")

    # -- faults ---------------------------------------------------------------------

    def attach(self, fault: k.Fault, now: float) -> None:
        self.faults.append(fault)
        if isinstance(fault, k.Bandwidth):
            self._tokens_at = now
        self._recompute()

    def detach(self, fault: k.Fault) -> None:
        if fault in self.faults:
            self.faults.remove(fault)
            self._recompute()
            if not any(isinstance(f, k.Reorder) for f in self.faults):
                self._release_held(0.0)

    def _recompute(self) -> None:
        rates = [f.rate for f in self.faults if isinstance(f, k.Bandwidth)]
        self._rate = min(rates) if rates else 0

    def _of(self, kind):
        return [f for f in self.faults if isinstance(f, kind)]

    @property
    def idle(self) -> bool:
        return not self.faults and not self._queue and not self._held

    @property
    def full(self) -> bool:
        return len(self._queue) + len(self._held) >= self.capacity

    # -- in -------------------------------------------------------------------------

    def feed(self, payload: bytes, meta, now: float, stream: int | None = None) -> int:
        """A datagram from the source; returns how many copies will come out (0: dropped)."""
        n = len(payload)
        for fault in self.faults:
            if isinstance(fault, k.Blackhole):
                self._log(fault, "blackholed", n)
                return 0
            if isinstance(fault, k.DropStream) and stream == fault.stream:
                self._log(fault, "dropped", n)
                return 0
        for fault in self._of(k.Drop):
            if self._rng_for(fault).random() < fault.probability:
                self._log(fault, "dropped", n)
                return 0
        for fault in self._of(k.Truncate):
            if len(payload) > fault.length:
                self._log(fault, "truncated", len(payload) - fault.length)
                payload = payload[:fault.length]
        for fault in self._of(k.Corrupt):
            if fault.offset < len(payload):
                buf = bytearray(payload)
                buf[fault.offset] ^= 0xFF
                payload = bytes(buf)
                self._log(fault, "corrupted", 1)
        copies = 1
        for fault in self._of(k.Duplicate):
            if self._rng_for(fault).random() < fault.probability:
                copies += 1
                self._log(fault, "duplicated", len(payload))
        for _ in range(copies):
            self._enter(Item(now, next(self._seq), payload, meta), now)
        return copies

    def feed_event(self, payload: bytes, meta, now: float) -> None:
        """Something that is not the peer's data (an SCTP notification, an
        end): no loss, only the delays, in its place."""
        self._schedule(Item(now, next(self._seq), payload, meta), now, log=False)

    def feed_error(self, errno: int, meta, now: float) -> None:
        """An error the kernel reported on this direction: it keeps its place."""
        self._insert(Item(now, next(self._seq), b"", meta, errno))

    def _enter(self, item: Item, now: float) -> None:
        reorder = self._of(k.Reorder)
        if reorder:
            if not self._held:
                self._held_since = now
            self._held.append(item)
            fault = reorder[0]
            if len(self._held) >= fault.window:
                self._shuffle_out(fault, now)
            return
        self._schedule(item, now)

    def _shuffle_out(self, fault, now: float) -> None:
        held, self._held = self._held, []
        order = list(range(len(held)))
        self._rng_for(fault).shuffle(order)
        if order != sorted(order):
            self._log(fault, "reordered", sum(len(h.payload) for h in held))
        for i in order:
            item = held[i]
            item.seq = next(self._seq)
            self._schedule(item, now)

    def _release_held(self, now: float) -> None:
        held, self._held = self._held, []
        for item in held:
            self._schedule(item, now)

    def _schedule(self, item: Item, now: float, log: bool = True) -> None:
        due = now
        delayed = None
        for fault in self.faults:
            if isinstance(fault, k.Latency):
                due += fault.delay
                delayed = fault
            elif isinstance(fault, k.Jitter):
                due += self._rng_for(fault).uniform(0.0, fault.spread)
                delayed = fault
        if delayed is not None and log:
            self._log(delayed, "delayed", len(item.payload))
        item.due = due
        self._insert(item)

    def _insert(self, item: Item) -> None:
        bisect.insort(self._queue, item)

    # -- out ------------------------------------------------------------------------

    def take(self, now: float) -> Item | None:
        self._check_hold(now)
        q = self._queue
        if not q or q[0].due > now:
            return None
        item = q[0]
        if self._rate and not item.error:
            tokens = self._refill(now)
            if tokens + _EPSILON < min(len(item.payload), self._burst()):
                return None
            self._tokens -= len(item.payload)
        q.pop(0)
        return item

    def _check_hold(self, now: float) -> None:
        if self._held:
            reorder = self._of(k.Reorder)
            if not reorder:
                self._release_held(now)
            elif now - self._held_since >= reorder[0].hold:
                self._shuffle_out(reorder[0], now)

    def _burst(self) -> float:
        return max(float(self._rate) / 10.0, 1.0)

    def _refill(self, now: float) -> float:
        self._tokens = min(self._burst(), self._tokens + (now - self._tokens_at) * self._rate)
        self._tokens_at = now
        return self._tokens

    def ready(self, now: float) -> bool:
        self._check_hold(now)
        q = self._queue
        if not q or q[0].due > now:
            return False
        if self._rate and not q[0].error:
            return self._refill(now) + _EPSILON >= min(len(q[0].payload), self._burst())
        return True

    def next_time(self, now: float) -> float | None:
        times = []
        if self._held:
            reorder = self._of(k.Reorder)
            times.append(self._held_since + reorder[0].hold if reorder else now)
        q = self._queue
        if q:
            at = q[0].due
            if self._rate and not q[0].error and at <= now:
                missing = min(len(q[0].payload), self._burst()) - self._refill(now)
                if missing > _EPSILON:
                    at = now + missing / self._rate
            times.append(at)
        return max(min(times), now) if times else None

    def drop_all(self) -> int:
        n = len(self._queue) + len(self._held)
        self._queue.clear()
        self._held.clear()
        return n
