"""Leaks of the C codec, outside the test suite:

    python tests/etf/leaks.py [--rounds 1000000]

Runs each workload (the hot messages, every tag, the paths that hand work
back to Python, errors) `rounds` times (a tenth of that for the slow ones)
after a warm-up, and reports how much the interpreter's allocated blocks
(sys.getallocatedblocks: objects and other small allocations that were never
freed) and the process's resident memory grew. A leak of one reference per
call shows as about `rounds` blocks; exits 1 if a workload grew by more than
1% of its calls."""

from __future__ import annotations

import argparse
import enum
import gc
import os
import sys
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE), os.path.dirname(os.path.dirname(HERE))]

from bridge.etf import (  # noqa: E402
    BitBinary, DecodeError, EncodeError, Export, FrozenList, FrozenMap, ImproperList, Pid,
    Port, Reference, String, atom, load_c,
)


class Color(enum.IntEnum):
    RED = 1


def _rss_kib() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def workloads(c):
    node = b"w\x10pyinet@localhost"
    pid = c.decode(b"\x83X" + node + bytes.fromhex("000000560000000000000001"))
    port = c.decode(b"\x83Y" + node + bytes.fromhex("0000000700000001"))
    ref = c.decode(b"\x83Z\x00\x03" + node + bytes(16))
    data = bytes(range(64))
    fun = (b"\x83p\x00\x00\x00\x00\x00" + bytes(16) + b"\x00\x00\x00\x00\x00\x00\x00\x01"
           b"w\x01ma\x00a\x00Xw\x03a@b" + bytes(12) + b"a\x01")  # free variable: 1
    tcp = (pid, (atom("tcp"), (atom("$inet"), atom("pyinet_tcp"), (pid, port, 7)), data))
    send = (ref, pid, (atom("tcp_send"), 7, data))
    every = [
        1, 300, -5, 1 << 40, -(1 << 70), 1 << 3000, 1.5, atom("ok"), True, False, None,
        atom("é" * 100), b"bin", BitBinary(b"\xff\x01", 3), [], [1, 2, 3], [1, "x"], "text",
        "é\u20ac", String(b"chars"), ImproperList([1, 2], atom("t")), (), (1,) * 300, {},
        {atom("k"): [1], FrozenList([1]): FrozenMap({2: 3})}, {b"k": 1}, pid, port, ref,
        Pid("a@b", 1, 2, 3), Reference("a@b", 1, (1, 2)), Port("a@b", 1 << 30, 1),
        Export("m", "f", 2), c.decode(fun), bytearray(b"ba"), memoryview(b"mv"),
    ]
    every_bytes = c.encode(every)
    old_forms = [b"\x83c1.50000000000000000000e+00\x00\x00\x00\x00\x00", b"\x83d\x00\x02ok",
                 b"\x83gw\x03a@b\x00\x00\x00\x01\x00\x00\x00\x02\x03",
                 b"\x83fw\x03a@b\x00\x00\x00\x01\x03",
                 b"\x83r\x00\x02w\x03a@b\x02\x00\x00\x00\x01\x00\x00\x00\x02",
                 b"\x83ew\x03a@b\x00\x00\x00\x63\x01", fun,
                 b"\x83l\x00\x00\x00\x01a\x01k\x00\x02\x02\x03",
                 b"\x83l\x00\x00\x00\x01a\x01l\x00\x00\x00\x01a\x02a\x03",
                 b"\x83M\x00\x00\x00\x01\x03\xff"]
    packed = c.encode(bytes(1000), compressed=True)
    bad_input = [b"\x83h\x02a\x01m\x00\x00\x01\x00", b"\x83w\x02\xff\xfe", b"\x83R\x00",
                 b"\x83t\x00\x00\x00\x02a\x01a\x01a\x01a\x02", b"\x83P\x00\x00\x00\x05xx",
                 b"\x83a\x01\x00"]

    def hot():
        c.decode(memoryview(c.encode(tcp)))
        c.decode(c.encode(send))
        c.decode_prefix(memoryview(bytearray(c.encode(send))), 0)

    def every_tag():
        c.decode(every_bytes)
        c.decode(memoryview(bytearray(every_bytes)))
        c.encode(every)

    def handed_back():   # callbacks and whole calls given to Python
        for data in old_forms:
            c.decode(data)
        c.decode(packed)
        c.decode(memoryview(packed))
        c.encode([Color.RED, 1.5, (Color.RED,)])
        c.encode((atom("a"), bytes(100)), compressed=9)
        c.decode(every_bytes, max_depth=5.5)

    def errors():
        for data in bad_input:
            try:
                c.decode(data)
            except DecodeError:
                pass
        for term in (object(), float("nan"), Pid("a@b", -1, 0, 0), [1, {2}]):
            try:
                c.encode(term)
            except EncodeError:
                pass
        try:
            c.encode(1, compressed=10)
        except ValueError:
            pass

    return [("hot messages", hot, 1), ("every tag", every_tag, 1),
            ("handed to Python", handed_back, 10), ("errors", errors, 10)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1_000_000)
    args = parser.parse_args()
    c = load_c()
    if c is None:
        print("the C codec is not built (python setup.py build_ext --inplace)")
        return 2
    zlib.compress(b"")   # load what the workloads load, before counting
    failed = False
    for name, work, slowness in workloads(c):
        rounds = args.rounds // slowness
        for _ in range(max(1, rounds // 10)):   # warm-up: caches filled, code specialized
            work()
        gc.collect()
        blocks, rss, started = sys.getallocatedblocks(), _rss_kib(), time.monotonic()
        for _ in range(rounds):
            work()
        gc.collect()
        grown = sys.getallocatedblocks() - blocks
        print(f"{name:<18} {rounds:>9} rounds  blocks {grown:+7d}  "
              f"RSS {_rss_kib() - rss:+7d} KiB  {time.monotonic() - started:6.1f} s", flush=True)
        failed |= grown > rounds // 100
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
