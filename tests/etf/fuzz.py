"""Fuzzing the C codec, outside the test suite:

    python tests/etf/fuzz.py [--inputs 1000000] [--seed 1] [--c-only]

Mutates the terms of the erl corpus (tests/etf/pyinet_etf_peer.escript) and
decodes each mutant with both implementations, as bytes or as a memoryview,
whole or from an offset, with random limits: the outcome must be the same
(value, types and pids' `ext` included, or exception type, message and
offset). Each value decoded is encoded again by both, which must give the
same bytes. Prints a line per 100,000 inputs and every difference; exits 1
if there was one.

--c-only runs the C decoder alone, many times faster, to hunt crashes (best
with the extension built with -fsanitize=address,undefined and libasan
preloaded): the calls C hands to Python are answered by a stub that raises
at once, so every input is parsed by C as far as C goes, and nothing else
is checked."""

from __future__ import annotations

import argparse
import os
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE), os.path.dirname(os.path.dirname(HERE))]

from bridge.etf import PURE_PYTHON, load_c  # noqa: E402
from etf.convert import canon  # noqa: E402


def mutate(data: bytes, rng: random.Random) -> bytes:
    """`data` with one to three random edits: bytes changed, inserted,
    deleted or cut off, and length fields claiming more (or less) than
    there is."""
    encoded = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        at = rng.randint(0, len(encoded))
        edit = rng.choice(["flip", "flip", "cut", "insert", "delete", "truncate", "length"])
        if edit == "flip" and at < len(encoded):
            encoded[at] = rng.randrange(256)
        elif edit == "insert":
            encoded[at:at] = rng.randbytes(rng.randint(1, 8))
        elif edit == "delete":
            del encoded[at:at + rng.randint(1, 8)]
        elif edit == "truncate":
            del encoded[at:]
        elif edit == "length":
            encoded[at:at + 4] = rng.choice([b"\xff\xff\xff\xf0", b"\x00\x00\x00\x01",
                                             b"\x00\x00\x01\x00"])
        else:
            encoded[at:at + 1] = b""
    return bytes(encoded)


def outcome(function, *args, **kwargs):
    try:
        value = function(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001
        return ("raises", type(exc), str(exc), getattr(exc, "offset", None)), None
    if function.__name__ == "decode_prefix":
        return ("prefix", canon(value[0]), value[1]), value[0]
    return ("term", canon(value)), value


def mutants(corpus, count: int, rng: random.Random):
    """(function name, args, kwargs) of `count` calls on mutated terms."""
    for _ in range(count):
        data = rng.choice(corpus)
        if rng.random() < 0.1:   # two terms spliced
            other = rng.choice(corpus)
            data = data[:rng.randint(1, len(data))] + other[rng.randint(1, len(other)):]
        data = mutate(data, rng)
        if rng.random() < 0.3:
            data = memoryview(bytearray(data))
        kwargs = {}
        if rng.random() < 0.1:
            kwargs["max_depth"] = rng.randint(0, 5)
        if rng.random() < 0.2:
            offset = rng.randint(0, 3)
            yield "decode_prefix", (bytes(offset) + bytes(data), offset), kwargs
        else:
            yield "decode", (data,), kwargs


class _Refused(Exception):
    pass


def _refuse(*args, **kwargs):
    raise _Refused


def c_only(corpus, count: int, rng: random.Random) -> int:
    """Decode `count` mutants with C alone (see the top of the file)."""
    import importlib
    import types

    from bridge.etf import _cetf
    decode, encode, terms = (importlib.import_module(f"bridge.etf.{name}")
                             for name in ("decode", "encode", "terms"))
    stub = types.SimpleNamespace(**vars(decode))
    stub.decode = stub.decode_prefix = _refuse
    _cetf.setup(terms, stub, encode)
    decoded, started = 0, time.monotonic()
    for n, (name, args, kwargs) in enumerate(mutants(corpus, count, rng), 1):
        try:
            getattr(_cetf, name)(*args, **kwargs)
            decoded += 1
        except _Refused:
            pass
        except Exception:  # noqa: BLE001 (a reader called back may raise)
            pass
        if n % 500_000 == 0:
            print(f"{n} inputs, {decoded} decoded by C, {time.monotonic() - started:.0f} s",
                  flush=True)
    print(f"done: {count} inputs, {decoded} decoded by C, no crash, "
          f"{time.monotonic() - started:.0f} s")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--c-only", action="store_true")
    args = parser.parse_args()
    c, py = load_c(), PURE_PYTHON
    if c is None:
        print("the C codec is not built (python setup.py build_ext --inplace)")
        return 2
    from etf.peer import peer
    corpus = [entry.orig for entry in peer().corpus()]
    rng = random.Random(args.seed)
    if args.c_only:
        return c_only(corpus, args.inputs, rng)
    differences, decoded, started = 0, 0, time.monotonic()
    for n, (name, call_args, kwargs) in enumerate(mutants(corpus, args.inputs, rng), 1):
        ours, value = outcome(getattr(c, name), *call_args, **kwargs)
        theirs, _ = outcome(getattr(py, name), *call_args, **kwargs)
        if ours != theirs:
            differences += 1
            print(f"DIFFERENT {name}({bytes(call_args[0])!r}, {call_args[1:]}, {kwargs}):\n"
                  f"  c:      {ours}\n  python: {theirs}", flush=True)
        elif ours[0] != "raises":
            decoded += 1
            encoded = outcome(c.encode, value)[0], outcome(py.encode, value)[0]
            if encoded[0] != encoded[1]:
                differences += 1
                print(f"DIFFERENT encode({value!r}):\n  c:      {encoded[0]}\n"
                      f"  python: {encoded[1]}", flush=True)
        if n % 100_000 == 0:
            print(f"{n} inputs, {decoded} decoded, {differences} differences, "
                  f"{time.monotonic() - started:.0f} s", flush=True)
    print(f"done: {args.inputs} inputs, {decoded} decoded, {differences} differences, "
          f"{time.monotonic() - started:.0f} s")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
