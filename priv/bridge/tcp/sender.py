"""The send side of one TCP socket, sans-I/O: inet_drv's tcp_sendv and
tcp_inet_output policy, with the socket, the clock and the replies left to the
caller (connection.py, the asyncio edge).

The rules, from inet_drv:
- a send that finds the queue empty is written at once; what the kernel does
  not take is queued (`offer` answers WRITE, then `wrote_at_once` says how much went);
- a send that finds data queued joins the queue; if the queue then holds
  `high_watermark` bytes or more, its caller is *busy*: it waits for its reply
  until the queue drains to `low_watermark` (`release`) or `send_timeout`
  passes (`deadline`, `expire`), and every later sender waits behind it
  (`blocked`), as processes suspended on a busy port would;
- `delay_send` holds the first send of an empty queue back until the loop has
  taken its other work, so that later sends join it (DELAYED, then `flush_delayed`).

Time is passed in (`now`, in the loop's seconds). The options are the
socket's own InetOptions (plain data: packet type, watermarks, send_timeout,
delay_send), read where they apply, so that setopts has nothing to tell the
sender. Calls are opaque here: the sender keeps them and hands them back; the
edge replies to them.

Credit is the client's count of a send it did not wait for (PROTOCOL.md, "Flow
control"): the sender returns it when the kernel has taken the send's last byte.
"""

from __future__ import annotations

from collections import deque

from .sendqueue import SendQueue

# The client counts each send it does not wait for as send_count(size): its
# size plus the largest packet header this program may add (4 bytes), so that
# its count is never below the queue, plus what the kernel may charge the
# socket's send buffer for it beyond its bytes (a buffer head of at most
# SKB_OVERHEAD bytes for each SKB_SEGMENT bytes or part: measured 832 on
# Linux 6.1), so that its count is never below what the kernel charges either
# (send_room, in send_side.py). The hello tells the client
# (send_count => {Margin, Overhead, Segment}).
SEND_COUNT_MARGIN = 4
SKB_OVERHEAD = 1024
SKB_SEGMENT = 32768


def send_count(size: int) -> int:
    return size + SEND_COUNT_MARGIN + SKB_OVERHEAD * (1 + size // SKB_SEGMENT)

# What `offer` decided; the edge acts on it.
WRITE = "write"        # write header + data now, then report with wrote_at_once()
QUEUED = "queued"      # appended behind queued data: reply ok
DELAYED = "delayed"    # queued for a delayed write: reply ok, flush_delayed() soon
BUSY = "busy"          # queued past high_watermark: the caller waits (deadline)
TIMED_OUT = "timed_out"  # queued past high_watermark with send_timeout 0: {error, timeout}
EMPTY = "empty"        # nothing to write: reply ok, return the credit now


class Sender:
    __slots__ = ("opts", "queue", "busy", "busy_since", "deadline", "blocked", "holding",
                 "offered_header", "_data", "_credit")

    def __init__(self, opts) -> None:
        self.opts = opts  # the socket's InetOptions
        self.queue = SendQueue()
        self.busy = None            # the caller waiting for low_watermark
        self.busy_since = 0.0       # when its send was handed over
        self.deadline: float | None = None  # when the busy caller times out
        self.blocked: deque = deque()  # (call, data) waiting behind the busy caller
        self.holding = False        # a delayed write is due; nothing is written before it
        # The send that `offer` answered WRITE for, until wrote_at_once: its
        # header here, its data with the edge that offered it.
        self.offered_header = b""
        self._data = b""
        self._credit = 0

    def __repr__(self) -> str:
        return (f"<Sender queued={self.queue.size} busy={self.busy is not None} "
                f"blocked={len(self.blocked)}>")

    @property
    def must_wait(self) -> bool:
        """A new sender waits: someone is busy, or already waits behind them."""
        return self.busy is not None or bool(self.blocked)

    def wants_write(self) -> bool:
        """There is queued data the kernel should take when it can."""
        return bool(self.queue) and not self.holding

    # -- a send ------------------------------------------------------------------------------

    def header_for(self, size: int) -> bytes:
        """The packet header of a send of `size` bytes (b"" for raw)."""
        hsize = self.opts.ptype.header_size
        if not hsize:
            return b""
        # put_int8/16/32 in inet_drv: a length too large for the header wraps.
        return (size & ((1 << (8 * hsize)) - 1)).to_bytes(hsize, "big")

    def offer(self, call, data, credit: int, now: float) -> str:
        """One send's data, handed over at `now`; returns what to do with it."""
        opts = self.opts
        size = len(data)
        header = self.header_for(size)
        queue = self.queue
        if queue:
            queue.append(header)
            queue.append(data, credit)
            if queue.size < opts.high_watermark:
                return QUEUED
            send_timeout = opts.send_timeout  # milliseconds; None is infinity
            if send_timeout == 0:
                return TIMED_OUT
            self.busy = call
            self.busy_since = now
            if send_timeout is not None:
                self.deadline = now + send_timeout / 1000.0
            return BUSY
        if not size and not header:
            return EMPTY
        if opts.delay_send:
            queue.append(header)
            queue.append(data, credit)
            if self.holding:
                return QUEUED
            self.holding = True
            return DELAYED
        self.offered_header = header
        self._data = data
        self._credit = credit
        return WRITE

    def wrote_at_once(self, n: int) -> int:
        """The kernel took n bytes of the send answered WRITE; the rest is
        queued. Returns its credit if it all went, else 0 (the queue returns it)."""
        header, data, credit = self.offered_header, self._data, self._credit
        self.offered_header = self._data = b""
        self._credit = 0
        hlen = len(header)
        if n == hlen + len(data):
            return credit
        queue = self.queue
        if n < hlen:
            queue.append(header[n:])
            queue.append(data, credit)
        else:
            queue.append(memoryview(data)[n - hlen:], credit)
        return 0

    def queue_rest(self, header: bytes, data, n: int, credit: int) -> None:
        """A send written with others of which the kernel took n bytes (less
        than all): its rest is queued, as wrote_at_once does for one."""
        self.offered_header, self._data, self._credit = header, data, credit
        self.wrote_at_once(n)

    def forget_offer(self) -> None:
        """The write of the send answered WRITE failed: it is not queued."""
        self.offered_header = self._data = b""
        self._credit = 0

    # -- the queue draining ------------------------------------------------------------------

    def wrote(self, n: int) -> int:
        """The kernel took n bytes of the queue; returns the credit they finish."""
        return self.queue.consume(n)

    def flush_delayed(self) -> None:
        """The delayed write is due: the queue may be written."""
        self.holding = False

    def release(self):
        """The busy caller, if the queue has drained to low_watermark: it gets `ok`."""
        if self.busy is not None and self.queue.size <= self.opts.low_watermark:
            return self.leave_busy()
        return None

    def expire(self, now: float):
        """The busy caller, if its send_timeout has passed at `now`: it gets
        `{error, timeout}`; its data stays queued."""
        if self.busy is not None and self.deadline is not None and now >= self.deadline:
            return self.leave_busy()
        return None

    def leave_busy(self):
        """End the busy state; returns the caller that was busy, or None."""
        call, self.busy = self.busy, None
        self.deadline = None
        return call

    def next_blocked(self):
        """The next (call, data) waiting behind a busy caller, once nobody is busy."""
        if self.busy is None and self.blocked:
            return self.blocked.popleft()
        return None

    def drop(self) -> int:
        """Forget everything queued (the socket closed); returns the credit dropped."""
        self.holding = False
        return self.queue.clear()
