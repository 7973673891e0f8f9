"""Encode and decode speed of bridge.etf, both implementations (the C
extension and the pure-Python reference), against erlang-py on the messages
pyinet handles on every call.

    python bench/codec_bench.py [--quick]

Each figure is the median, over at least 5 repetitions, of the mean time of
one operation in a loop. "enc+dec" encodes the term and decodes the bytes
(ours decodes from a memoryview, as the port program does, so binaries are
not copied). For erlang-py, binaries are wrapped in OtpErlangBinary, since it
writes plain bytes as a string (a list). The C column is left out when the
extension is not built (python setup.py build_ext --inplace)."""

from __future__ import annotations

import os
import statistics
import sys
import time

import erlang

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from bridge.etf import IMPLEMENTATION, PURE_PYTHON, decode, load_c  # noqa: E402

# name -> (encode, decode) of each implementation there is.
IMPLEMENTATIONS = {"python": (PURE_PYTHON.encode, PURE_PYTHON.decode)}
_C = load_c()
if _C is not None:
    IMPLEMENTATIONS["c"] = (_C.encode, _C.decode)

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


def _median_us(functions: dict, iterations: dict, repetitions: int) -> dict:
    """Median microseconds per call of each of `functions` ({name: fn}),
    timed in alternate bursts so that other load on the machine falls on
    all of them alike."""
    samples = {name: [] for name in functions}
    for _ in range(repetitions):
        for name, fn in functions.items():
            count = iterations[name]
            start = time.perf_counter()
            for _ in range(count):
                fn()
            samples[name].append((time.perf_counter() - start) / count * 1e6)
    return {name: statistics.median(times) for name, times in samples.items()}


def _cases(encode, decode, ours, ours_bytes):
    return {
        "enc+dec": lambda: decode(memoryview(encode(ours))),
        "encode": lambda: encode(ours),
        "decode": lambda: decode(memoryview(ours_bytes)),
    }


def run(quick: bool = False) -> list[dict]:
    """Rows of {"name", "unit", "ours", "erlang_py", "ratio"}: median
    microseconds per operation of the implementation bridge.etf uses
    ("ours", IMPLEMENTATION) and of erlang-py, ratio = erlang_py / ours;
    and of each implementation, "python" and "c" (None when not built),
    with "ratio_python" and "ratio_c"."""
    repetitions = 5 if quick else 15
    rows = []
    for size in (64, 65536):
        for name, ours, theirs in _shapes(size):
            theirs_bytes = erlang.term_to_binary(theirs)
            iterations = (400 if quick else 4000) if size == 64 else (200 if quick else 2000)
            cases = {"erlang_py": {
                "enc+dec": lambda: erlang.binary_to_term(erlang.term_to_binary(theirs)),
                "encode": lambda: erlang.term_to_binary(theirs),
                "decode": lambda: erlang.binary_to_term(theirs_bytes),
            }}
            for impl, (encode, decode) in IMPLEMENTATIONS.items():
                ours_bytes = encode(ours)
                assert erlang.binary_to_term(ours_bytes) == theirs
                cases[impl] = _cases(encode, decode, ours, ours_bytes)
            counts = {impl: iterations for impl in IMPLEMENTATIONS}
            counts["erlang_py"] = max(1, iterations // 8)
            for operation in ("enc+dec", "encode", "decode"):
                us = _median_us({impl: fns[operation] for impl, fns in cases.items()},
                                counts, repetitions)
                row = {"name": f"{operation} {name}", "unit": "us",
                       "implementation": IMPLEMENTATION, "ours": us[IMPLEMENTATION],
                       "erlang_py": us["erlang_py"],
                       "ratio": us["erlang_py"] / us[IMPLEMENTATION]}
                for impl in ("python", "c"):
                    row[impl] = us.get(impl)
                    row[f"ratio_{impl}"] = us["erlang_py"] / us[impl] if impl in us else None
                rows.append(row)
    return rows


def main() -> None:
    rows = run(quick="--quick" in sys.argv[1:])
    width = max(len(row["name"]) for row in rows)

    def us(value):
        return f"{value:>9.2f}" if value is not None else f"{'-':>9}"

    def ratio(value):
        return f"{value:>7.1f}x" if value is not None else f"{'-':>8}"

    print(f"bridge.etf uses: {IMPLEMENTATION}")
    print(f"{'operation':<{width}}  {'c us':>9}  {'python us':>9}  {'erlang-py us':>12}  "
          f"{'c ratio':>8}  {'py ratio':>8}")
    for row in rows:
        print(f"{row['name']:<{width}}  {us(row['c'])}  {us(row['python'])}  "
              f"{row['erlang_py']:>12.2f}  {ratio(row['ratio_c'])}  {ratio(row['ratio_python'])}")


if __name__ == "__main__":
    main()
