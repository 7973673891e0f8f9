"""Encode and decode speed of bridge.etf against erlang-py on the messages
pyinet handles on every call.

    python bench/codec_bench.py [--quick]

Each figure is the median, over at least 5 repetitions, of the mean time of
one operation in a loop. "enc+dec" encodes the term and decodes the bytes
(ours decodes from a memoryview, as the port program does, so binaries are
not copied). For erlang-py, binaries are wrapped in OtpErlangBinary, since it
writes plain bytes as a string (a list)."""

from __future__ import annotations

import os
import statistics
import sys
import time

import erlang

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from bridge.etf import decode, encode  # noqa: E402

# A pid, a port and a reference as a node named pyinet@localhost writes them.
_NODE = b"w\x10pyinet@localhost"
PID_EXT = b"\x83X" + _NODE + bytes.fromhex("000000560000000000000001")
ROUTER_PID_EXT = b"\x83X" + _NODE + bytes.fromhex("000000500000000000000001")
PORT_EXT = b"\x83Y" + _NODE + bytes.fromhex("0000000700000001")
REF_EXT = b"\x83Z\x00\x03" + _NODE + bytes.fromhex("00000001" "0003c1f2" "a6c40002" "8d6e5d11")


def _shapes(size: int):
    """(name, our term, erlang-py's term) for the two hot shapes."""
    data = bytes(range(256)) * (size // 256) + bytes(size % 256)
    ours, theirs = {}, {}
    for name, ext in [("pid", PID_EXT), ("router", ROUTER_PID_EXT), ("port", PORT_EXT),
                      ("ref", REF_EXT)]:
        ours[name] = decode(ext)
        theirs[name] = erlang.binary_to_term(ext)
    socket_ours = (decode(b"\x83w\x05$inet"), decode(b"\x83w\x0apyinet_tcp"),
                   (ours["router"], ours["port"], 7))
    socket_theirs = (erlang.OtpErlangAtom("$inet"), erlang.OtpErlangAtom("pyinet_tcp"),
                     (theirs["router"], theirs["port"], 7))
    tcp = decode(b"\x83w\x03tcp")
    send = decode(b"\x83w\x04send")
    label = "64 B" if size == 64 else f"{size // 1024} KiB"
    return [
        (f"{{Pid, {{tcp, S, Data}}}} {label}",
         (ours["pid"], (tcp, socket_ours, data)),
         (theirs["pid"], (erlang.OtpErlangAtom("tcp"), socket_theirs,
                          erlang.OtpErlangBinary(data)))),
        (f"{{Ref, Pid, {{send, 7, Data}}}} {label}",
         (ours["ref"], ours["pid"], (send, 7, data)),
         (theirs["ref"], theirs["pid"], (erlang.OtpErlangAtom("send"), 7,
                                         erlang.OtpErlangBinary(data)))),
    ]


def _median_us(ours, theirs, iterations: int, repetitions: int) -> tuple[float, float]:
    """Median microseconds per call of `ours` and of `theirs`, timed in
    alternate bursts so that other load on the machine falls on both."""
    samples = ([], [])
    for _ in range(repetitions):
        for fn, times, count in ((ours, samples[0], iterations),
                                 (theirs, samples[1], max(1, iterations // 8))):
            start = time.perf_counter()
            for _ in range(count):
                fn()
            times.append((time.perf_counter() - start) / count * 1e6)
    return statistics.median(samples[0]), statistics.median(samples[1])


def run(quick: bool = False) -> list[dict]:
    """Rows of {"name", "unit", "ours", "erlang_py", "ratio"}: median
    microseconds per operation, ratio = erlang_py / ours."""
    repetitions = 5 if quick else 15
    rows = []
    for size in (64, 65536):
        for name, ours, theirs in _shapes(size):
            ours_bytes = encode(ours)
            theirs_bytes = erlang.term_to_binary(theirs)
            assert erlang.binary_to_term(ours_bytes) == theirs
            iterations = (400 if quick else 4000) if size == 64 else (200 if quick else 2000)
            cases = {
                "enc+dec": (lambda: decode(memoryview(encode(ours))),
                            lambda: erlang.binary_to_term(erlang.term_to_binary(theirs))),
                "encode": (lambda: encode(ours), lambda: erlang.term_to_binary(theirs)),
                "decode": (lambda: decode(memoryview(ours_bytes)),
                           lambda: erlang.binary_to_term(theirs_bytes)),
            }
            for operation, (ours_fn, theirs_fn) in cases.items():
                ours_us, theirs_us = _median_us(ours_fn, theirs_fn, iterations, repetitions)
                rows.append({"name": f"{operation} {name}", "unit": "us", "ours": ours_us,
                             "erlang_py": theirs_us, "ratio": theirs_us / ours_us})
    return rows


def main() -> None:
    rows = run(quick="--quick" in sys.argv[1:])
    width = max(len(row["name"]) for row in rows)
    print(f"{'operation':<{width}}  {'ours us':>9}  {'erlang-py us':>12}  {'ratio':>7}")
    for row in rows:
        print(f"{row['name']:<{width}}  {row['ours']:>9.2f}  {row['erlang_py']:>12.2f}  "
              f"{row['ratio']:>6.1f}x")


if __name__ == "__main__":
    main()
