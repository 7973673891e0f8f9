"""A test client for `python -m bridge`: the port program in a subprocess, spoken
to over its stdin/stdout exactly as the BEAM does ({packet, 4} frames of ETF)."""

from __future__ import annotations

import os
import select
import struct
import subprocess
import sys
import time
from pathlib import Path

from bridge.etf import decode, encode
from bridge.etf.terms import Pid, Reference, atom

ROOT = Path(__file__).resolve().parent.parent

# A pid and a reference as the BEAM would send them; the bridge only echoes them.
CALLER = Pid("test@localhost", 77, 0, 1)
PYINET = atom("pyinet")
CONTROLS = atom("controls")


def unbatch(term) -> list:
    """The messages one frame stands for, in the order the router handles them."""
    if type(term) is tuple and len(term) == 3:
        dest, msg, controls = term
        return [(PYINET, c) for c in controls] + [(dest, msg)]
    if type(term) is tuple and len(term) == 2 and term[0] == PYINET \
            and type(term[1]) is tuple and len(term[1]) == 2 and term[1][0] == CONTROLS:
        return [(PYINET, c) for c in term[1][1]]
    return [term]


class BridgeProcess:
    def __init__(self, env: dict | None = None):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bridge"], cwd=ROOT, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})
        self._buf = b""
        self._terms: list = []  # what the last frame stood for, not yet read
        self._refs = 0
        self.others: list = []  # frames read while waiting for a particular reply
        self.hello = self.read_frame()

    # -- frames -----------------------------------------------------------------

    def write_raw(self, data: bytes) -> None:
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def write_frame(self, payload: bytes) -> None:
        self.write_raw(struct.pack(">I", len(payload)) + payload)

    def write_term(self, term) -> None:
        self.write_frame(encode(term))

    def read_frame(self, timeout: float = 5.0):
        """The next message's term, or None if none arrives within `timeout`:
        {Dest, Msg} or {pyinet, Control}, one at a time, as the client's
        router handles them (a frame {Dest, Msg, Controls} or {pyinet,
        {controls, Controls}} stands for each control, then {Dest, Msg})."""
        if not self._terms:
            term = self.read_raw_frame(timeout)
            if term is None:
                return None
            self._terms = unbatch(term)
        return self._terms.pop(0)

    def read_raw_frame(self, timeout: float = 5.0):
        """The next frame's term as it is, or None if none arrives within `timeout`."""
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while True:
            if len(self._buf) >= 4:
                (n,) = struct.unpack(">I", self._buf[:4])
                if len(self._buf) >= 4 + n:
                    frame, self._buf = self._buf[4:4 + n], self._buf[4 + n:]
                    return decode(frame)
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    return None
                self._buf += chunk

    # -- requests -----------------------------------------------------------------

    def new_ref(self) -> Reference:
        self._refs += 1
        return Reference("test@localhost", 1, (self._refs, 0, 0))

    def call(self, request: tuple, timeout: float = 5.0):
        """Send {Ref, Caller, Request}; return the Reply of {Caller, {Ref, Reply}},
        setting aside any other frame (kept in self.others)."""
        ref = self.new_ref()
        self.write_term((ref, CALLER, request))
        return self.reply_to(ref, timeout)

    def reply_to(self, ref, timeout: float = 5.0):
        deadline = time.monotonic() + timeout
        while True:
            frame = self.read_frame(max(0.0, deadline - time.monotonic()))
            if frame is None:
                raise TimeoutError(f"no reply to {ref!r}")
            dest, msg = frame
            if dest == CALLER and type(msg) is tuple and len(msg) == 2 and msg[0] == ref:
                return msg[1]
            self.others.append(frame)

    def close(self, timeout: float = 5.0) -> int:
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        try:
            return self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()

    def stderr(self) -> str:
        return self.proc.stderr.read().decode(errors="replace")


ok = atom("ok")
error = atom("error")
