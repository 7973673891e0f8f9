"""Runs the Erlang half of the differential tests (pyinet_etf_peer.escript):
one `escript` process per test session, spoken to in {packet, 4} frames."""

from __future__ import annotations

import atexit
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

ESCRIPT = Path(__file__).with_name("pyinet_etf_peer.escript")

_u32 = struct.Struct(">I")


@dataclass(frozen=True)
class CorpusEntry:
    id: int
    name: str
    orig: bytes      # term_to_binary output (or hand-written) to decode
    expect: bytes    # what re-encoding must give byte for byte; b"" = no such check


class ErlPeer:
    def __init__(self) -> None:
        self._proc = subprocess.Popen(["escript", str(ESCRIPT)], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE)
        self._corpus: list[CorpusEntry] | None = None

    def _send(self, frame: bytes) -> None:
        self._proc.stdin.write(_u32.pack(len(frame)) + frame)
        self._proc.stdin.flush()

    def _recv(self) -> bytes:
        header = self._proc.stdout.read(4)
        if len(header) != 4:
            raise RuntimeError(f"the Erlang peer exited ({self._proc.poll()})")
        return self._proc.stdout.read(_u32.unpack(header)[0])

    def corpus(self) -> list[CorpusEntry]:
        if self._corpus is None:
            self._send(b"g")
            entries = []
            for _ in range(_u32.unpack(self._recv())[0]):
                frame = self._recv()
                entry_id, name_len = struct.unpack_from(">IH", frame)
                name = frame[6:6 + name_len].decode()
                orig_at = 10 + name_len
                orig_len = _u32.unpack_from(frame, orig_at - 4)[0]
                entries.append(CorpusEntry(entry_id, name, frame[orig_at:orig_at + orig_len],
                                           frame[orig_at + orig_len:]))
            self._corpus = entries
        return self._corpus

    def check(self, encodings: dict[int, bytes]) -> dict[int, str]:
        """{corpus id: our encoding} -> {corpus id: why} for every encoding
        that binary_to_term does not turn into a term =:= the original."""
        self._send(b"c" + b"".join(struct.pack(">II", i, len(b)) + b
                                   for i, b in encodings.items()))
        reply = self._recv()
        failures, at = {}, 4
        for _ in range(_u32.unpack_from(reply)[0]):
            entry_id, why_len = struct.unpack_from(">IH", reply, at)
            failures[entry_id] = reply[at + 6:at + 6 + why_len].decode()
            at += 6 + why_len
        return failures

    def reencode(self, encodings: list[bytes]) -> list[bytes | str]:
        """term_to_binary(binary_to_term(B), [{minor_version, 2}]) for each B,
        or the error as a str."""
        self._send(b"e" + b"".join(_u32.pack(len(b)) + b for b in encodings))
        reply, at, results = self._recv(), 0, []
        while at < len(reply):
            status, size = struct.unpack_from(">BI", reply, at)
            out = reply[at + 5:at + 5 + size]
            results.append(out if status == 0 else out.decode())
            at += 5 + size
        return results

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.stdin.close()
            self._proc.wait(timeout=10)


_peer: ErlPeer | None = None


def peer() -> ErlPeer:
    """The session's one Erlang node, started on first use."""
    global _peer
    if _peer is None:
        _peer = ErlPeer()
        atexit.register(_peer.close)
    return _peer
