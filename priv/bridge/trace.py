"""The wire trace: every frame in and out of the port program, with timestamps.

Recording: `python -m bridge --trace FILE` (or PYINET_TRACE=FILE; the pyinet
application passes it on from its `trace` key). Each frame is one msgpack array
`[seconds, direction, payload]`: seconds since the Unix epoch (float),
direction 0 for a frame from the BEAM and 1 for one to it, payload the frame's
bytes (an ETF term). msgpack streams, so a trace can be read while it grows, and
it costs one write per frame only while tracing is on.

Reading: `python -m bridge.trace FILE [--limit N]` prints one line per frame,
the term written as Erlang writes it.
"""

from __future__ import annotations

import argparse
import sys
import time

DIRECTIONS = {0: "in ", 1: "out"}


class TraceWriter:
    def __init__(self, path: str):
        try:
            import msgpack
        except ImportError:
            raise SystemExit("pyinet bridge: --trace needs the msgpack package (pip install msgpack)")
        self._packer = msgpack.Packer(use_bin_type=True)
        self._file = open(path, "ab", buffering=1 << 16)

    def frame_in(self, payload) -> None:
        self._file.write(self._packer.pack([time.time(), 0, bytes(payload)]))

    def frame_out(self, pieces) -> None:
        self._file.write(self._packer.pack([time.time(), 1, b"".join(bytes(p) for p in pieces)]))

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> None:
        self._file.close()


def read(path: str):
    """Yield (seconds, direction, term or DecodeError) for each recorded frame."""
    import msgpack

    from .etf import DecodeError, decode

    with open(path, "rb") as f:
        for when, direction, payload in msgpack.Unpacker(f, raw=False):
            try:
                term = decode(payload)
            except DecodeError as exc:
                term = exc
            yield when, direction, term


def main(argv: list[str] | None = None) -> int:
    from .etf.format import format_term

    parser = argparse.ArgumentParser(prog="python -m bridge.trace",
                                     description="Print a pyinet wire trace as Erlang terms.")
    parser.add_argument("file")
    parser.add_argument("--limit", type=int, default=64,
                        help="shorten binaries and lists longer than this (0: never)")
    args = parser.parse_args(argv)
    start = None
    for when, direction, term in read(args.file):
        start = when if start is None else start
        text = (f"undecodable: {term}" if isinstance(term, Exception)
                else format_term(term, args.limit))
        sys.stdout.write(f"{when - start:+12.6f} {DIRECTIONS.get(direction, '?  ')} {text}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
