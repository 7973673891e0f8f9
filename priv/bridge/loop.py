"""The port program's one event loop: epoll, timers, and deferred calls.

Why not asyncio: every socket here is driven by plain non-blocking calls from a
callback, and the loop's own overhead is on the path of every message, so a
level-triggered epoll loop with a timer heap is both simpler and faster. Nothing in
a callback may block.

One iteration: wait for readiness (up to the next timer), run the fd callbacks,
run the due timers, run the calls queued with call_soon, then the `idle` hooks
(which is where the frames produced by this iteration are written out together).
"""

from __future__ import annotations

import heapq
import itertools
import os
import select
import time
from collections import deque
from typing import Callable

_READ = select.EPOLLIN | select.EPOLLRDHUP | select.EPOLLHUP | select.EPOLLERR
_WRITE = select.EPOLLOUT | select.EPOLLHUP | select.EPOLLERR
_HANGUP = select.EPOLLRDHUP | select.EPOLLHUP | select.EPOLLERR


class Timer:
    __slots__ = ("when", "callback", "args", "cancelled")

    def __init__(self, when: float, callback: Callable, args: tuple):
        self.when = when
        self.callback = callback
        self.args = args
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True
        self.callback = None  # drop references early
        self.args = ()


class EventLoop:
    def __init__(self) -> None:
        self._epoll = select.epoll()
        self._readers: dict[int, Callable[[], None]] = {}
        self._writers: dict[int, Callable[[], None]] = {}
        self._hangups: dict[int, Callable[[], None]] = {}
        self._masks: dict[int, int] = {}
        self._timers: list[tuple[float, int, Timer]] = []
        self._seq = itertools.count()
        self._ready: deque = deque()
        self._idle: list[Callable[[], None]] = []
        self._busy = False
        # Seconds to poll awake after activity; PYINET_SPIN_US (microseconds, 0
        # to sleep at once) or the pyinet application key `spin_us` sets it.
        self.spin = float(os.environ.get("PYINET_SPIN_US", "100")) / 1e6
        self.stopping = False

    time = staticmethod(time.monotonic)

    # -- file descriptors ----------------------------------------------------------

    def add_reader(self, fd: int, callback: Callable[[], None]) -> None:
        self._readers[fd] = callback
        self._update(fd)

    def remove_reader(self, fd: int) -> None:
        if self._readers.pop(fd, None) is not None:
            self._update(fd)

    def add_writer(self, fd: int, callback: Callable[[], None]) -> None:
        self._writers[fd] = callback
        self._update(fd)

    def remove_writer(self, fd: int) -> None:
        if self._writers.pop(fd, None) is not None:
            self._update(fd)

    def add_hangup(self, fd: int, callback: Callable[[], None]) -> None:
        """Call `callback` once when the peer shuts down or the socket fails
        (EPOLLRDHUP, HUP, ERR), whether or not anyone reads from it."""
        self._hangups[fd] = callback
        self._update(fd)

    def remove_hangup(self, fd: int) -> None:
        if self._hangups.pop(fd, None) is not None:
            self._update(fd)

    def take_interest(self, fd: int) -> tuple:
        """Remove and return the reader and writer callbacks of `fd` (None
        for each that is not there), for whoever takes over the descriptor."""
        reader = self._readers.pop(fd, None)
        writer = self._writers.pop(fd, None)
        self._update(fd)
        return reader, writer

    def hangup_of(self, fd: int):
        return self._hangups.get(fd)

    def forget(self, fd: int) -> None:
        """Drop every interest in `fd` (call before closing it)."""
        self._readers.pop(fd, None)
        self._writers.pop(fd, None)
        self._hangups.pop(fd, None)
        if self._masks.pop(fd, None) is not None:
            try:
                self._epoll.unregister(fd)
            except OSError:
                pass

    def _update(self, fd: int) -> None:
        mask = ((_READ if fd in self._readers else 0) | (_WRITE if fd in self._writers else 0)
                | (_HANGUP if fd in self._hangups else 0))
        old = self._masks.get(fd)
        if mask == old or (not mask and old is None):
            return
        if not mask:
            del self._masks[fd]
            try:
                self._epoll.unregister(fd)
            except OSError:
                pass
        elif old is None:
            self._epoll.register(fd, mask)
            self._masks[fd] = mask
        else:
            self._epoll.modify(fd, mask)
            self._masks[fd] = mask

    # -- time -----------------------------------------------------------------------

    def call_later(self, delay: float, callback: Callable, *args) -> Timer:
        return self.call_at(self.time() + delay, callback, *args)

    def call_at(self, when: float, callback: Callable, *args) -> Timer:
        timer = Timer(when, callback, args)
        heapq.heappush(self._timers, (when, next(self._seq), timer))
        return timer

    def call_soon(self, callback: Callable, *args) -> None:
        self._ready.append((callback, args))

    def add_idle(self, callback: Callable[[], None]) -> None:
        """Run `callback` at the end of every iteration."""
        self._idle.append(callback)

    # -- running --------------------------------------------------------------------

    def run(self) -> None:
        while not self.stopping:
            self.run_once()

    def run_once(self) -> None:
        timeout = self._poll_timeout()
        events = None
        if timeout != 0 and self.spin and self._busy:
            # Right after activity, poll without sleeping for a moment: the next
            # request or the peer's answer usually comes within microseconds, and
            # catching it awake saves a sleep and a wake-up, each costly (tens of
            # microseconds on a virtual machine). The BEAM's schedulers do the
            # same before they sleep. Measured: ping-pong round trips 2.4x
            # faster, 64 KiB sends 1.5x (bench/, "spin"); idle costs nothing.
            until = time.monotonic() + self.spin
            poll = self._epoll.poll
            while True:
                events = poll(0)
                if events or time.monotonic() >= until:
                    break
        if not events:
            events = self._epoll.poll(timeout)
        self._busy = bool(events)
        readers, writers, hangups = self._readers, self._writers, self._hangups
        for fd, mask in events:
            if mask & _HANGUP:
                cb = hangups.get(fd)
                if cb is not None:
                    self.remove_hangup(fd)  # once: the condition stays, epoll would repeat it
                    cb()
            # Output first, as erts_check_io schedules ready_output before
            # ready_input: it decides which error a blocked sender sees when a
            # reset makes a socket readable and writable at once.
            if mask & (select.EPOLLOUT | select.EPOLLHUP | select.EPOLLERR):
                cb = writers.get(fd)
                if cb is not None:
                    cb()
            if mask & (select.EPOLLIN | select.EPOLLRDHUP | select.EPOLLHUP | select.EPOLLERR):
                cb = readers.get(fd)
                if cb is not None:
                    cb()
        self._run_timers()
        ready = self._ready
        for _ in range(len(ready)):
            callback, args = ready.popleft()
            callback(*args)
        for hook in self._idle:
            hook()

    def _poll_timeout(self) -> float:
        if self._ready or self.stopping:
            return 0
        timers = self._timers
        while timers and timers[0][2].cancelled:
            heapq.heappop(timers)
        if not timers:
            return -1
        return max(0.0, timers[0][0] - self.time())

    def _run_timers(self) -> None:
        timers = self._timers
        if not timers:
            return
        now = self.time()
        while timers and timers[0][0] <= now:
            _, _, timer = heapq.heappop(timers)
            if not timer.cancelled:
                callback, args = timer.callback, timer.args
                timer.cancel()
                callback(*args)

    def close(self) -> None:
        self._epoll.close()
