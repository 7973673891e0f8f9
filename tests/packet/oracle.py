"""OTP as the reference: one `escript packet_oracle.escript` per test session,
shared by every test_packet_* module, asked in batches.

Comparison happens in Erlang with =:=, so it is OTP's own notion of equality
that decides (a String and a binary with the same bytes differ, [] and ""
do not). Terms travel as external term format through our codec, bridge.etf.
"""

from __future__ import annotations

import atexit
import os
import select
import shutil
import struct
import subprocess
from pathlib import Path

from bridge.etf import decode, encode
from bridge.etf.terms import String, atom
from bridge.packet import decode_packet

ESCRIPT = Path(__file__).with_name("packet_oracle.escript")
REPLY_TIMEOUT = 60.0
BADARG = atom("badarg")


def _readable(term):
    # bridge.etf decodes strings as lists of ints; show them as String.
    if isinstance(term, tuple):
        return tuple(_readable(t) for t in term)
    if isinstance(term, list):
        if term and all(type(t) is int and 0 <= t <= 255 for t in term):
            return String(bytes(term))
        return [_readable(t) for t in term]
    return term


class ErlangOracle:
    def __init__(self) -> None:
        escript = shutil.which("escript")
        if escript is None:
            raise RuntimeError("escript not found: Erlang/OTP is needed for the packet tests")
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        try:
            self._proc = subprocess.Popen(
                [escript, str(ESCRIPT), str(to_child_r), str(from_child_w)],
                pass_fds=(to_child_r, from_child_w),
                stdin=subprocess.DEVNULL,
            )
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        self._to_child = to_child_w
        self._from_child = from_child_r

    def call(self, request):
        payload = encode(request)
        data = struct.pack(">I", len(payload)) + payload
        while data:
            data = data[os.write(self._to_child, data):]
        (size,) = struct.unpack(">I", self._read_exactly(4))
        return _readable(decode(self._read_exactly(size)))

    def _read_exactly(self, size: int) -> bytes:
        chunks = []
        while size:
            ready, _, _ = select.select([self._from_child], [], [], REPLY_TIMEOUT)
            if not ready:
                raise TimeoutError("packet oracle did not answer")
            chunk = os.read(self._from_child, size)
            if not chunk:
                raise EOFError(f"packet oracle exited ({self._proc.poll()})")
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        os.close(self._to_child)  # eof: the escript halts
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        os.close(self._from_child)

    # The requests.

    def decode(self, cases):
        """OTP's decode_packet results (or badarg) for (type, data, options)."""
        return self.call((atom("decode"), [tuple(c) for c in cases]))

    def driver(self, cases):
        """gen_tcp:recv results for (socket_options, data, steps) cases."""
        return self.call((atom("driver"), [tuple(c) for c in cases]))

    def driver_mismatches(self, cases):
        """(index, gen_tcp's results) for each (socket_options, data, steps,
        expected) case whose recv results are not exactly `expected`."""
        return self.call((atom("driver_check"), [tuple(c) for c in cases]))


_oracle: ErlangOracle | None = None


def oracle() -> ErlangOracle:
    """The session's one oracle process, started on first use."""
    global _oracle
    if _oracle is None:
        _oracle = ErlangOracle()
        atexit.register(_oracle.close)
    return _oracle


def ours(ptype, data, options):
    """Our decode_packet, with ValueError as the atom badarg."""
    try:
        return decode_packet(ptype, data, options)
    except ValueError:
        return BADARG


def decode_packet_mismatches(cases, batch: int = 2000) -> list[str]:
    """Run every (type, data, options) case through our decode_packet and
    OTP's; describe each case where they differ."""
    cases = [tuple(c) for c in cases]
    failures = []
    for first in range(0, len(cases), batch):
        chunk = cases[first:first + batch]
        request = [(t, d, o, ours(t, d, o)) for t, d, o in chunk]
        for index, actual in oracle().call((atom("check"), request)):
            t, d, o, expected = request[index]
            failures.append(
                f"decode_packet({t!r}, {bytes(d)!r}, {o!r}):\n"
                f"    OTP:  {actual!r}\n    ours: {expected!r}")
    return failures
