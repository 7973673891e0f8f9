"""Requests about the port program itself: its health and its sockets, for
pyinet:stats() and pyinet:i()."""

from __future__ import annotations

import os
import platform
import time

from .etf.terms import atom
from .requests import OK, request

_STARTED = time.monotonic()


class LagMeter:
    """How late the event loop runs a timer: a loop busy with one thing delays
    every other socket by about that much."""

    INTERVAL = 0.5

    def __init__(self, loop):
        self.loop = loop
        self.last = 0.0
        self.max = 0.0
        self._expected = 0.0

    def start(self) -> None:
        self._expected = self.loop.time() + self.INTERVAL
        self.loop.call_at(self._expected, self._tick)

    def _tick(self) -> None:
        now = self.loop.time()
        self.last = max(0.0, now - self._expected)
        self.max = max(self.max, self.last)
        self._expected = now + self.INTERVAL
        self.loop.call_at(self._expected, self._tick)


@request("program_stats")
def stats(program, call):
    kinds: dict = {}
    queued = 0
    for sock in program.sockets.values():
        kinds[atom(sock.kind)] = kinds.get(atom(sock.kind), 0) + 1
        queued += sock.send_pending()
    lag = program.lag
    return (OK, {
        atom("sockets"): len(program.sockets),
        atom("sockets_by_kind"): kinds,
        atom("frames_in"): program.frames_in,
        atom("frames_out"): program.writer.frames_out,
        atom("bytes_in"): program.bytes_in,
        atom("bytes_out"): program.writer.bytes_out,
        atom("output_queue"): program.writer.pending,
        atom("input_buffered"): program.reader.buffered,
        atom("send_queues"): queued,
        atom("loop_lag_ms"): round(lag.last * 1000, 3) if lag else 0.0,
        atom("loop_lag_max_ms"): round(lag.max * 1000, 3) if lag else 0.0,
        atom("uptime_s"): round(time.monotonic() - _STARTED, 3),
        atom("os_pid"): os.getpid(),
        atom("python"): platform.python_version().encode(),
    })


@request("program_sockets")
def sockets(program, call):
    return (OK, [sock.describe() for sock in program.sockets.values()])
