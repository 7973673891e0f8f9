"""The C codec against the pure-Python one, its reference: on generated terms,
on random and mutated bytes (the erl corpus and generated encodings), on the
odd values and arguments the C code hands back to Python, and at the edge of
Python's recursion limit. The same bytes out of encode; out of decode the
same values (types, pids' `ext`, binaries' type); for bad input the same
exception (type, message and offset)."""

from __future__ import annotations

import collections
import enum
import inspect
import os
import random
import subprocess
import sys
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.etf import (
    PURE_PYTHON as P, Atom, BitBinary, Export, FrozenList, FrozenMap, Fun, ImproperList, Pid,
    Port, Reference, String, atom,
)
from etf.convert import canon
from etf.fuzz import mutate
from etf.implementations import C, needs_c
from etf.peer import peer
from etf.strategies import terms
from needs import needs_erl

pytestmark = [needs_c,
              pytest.mark.filterwarnings("ignore:Generating overly large repr")]

fixed = settings(derandomize=True, database=None, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def outcome(function, *args, **kwargs):
    """What a call gives, comparable across implementations: its value in
    canonical form, or its exception's type, message and offset."""
    try:
        value = function(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 (any exception must be the same)
        return ("raises", type(exc), str(exc), getattr(exc, "offset", None))
    if type(value) is tuple and len(value) == 2 and type(value[1]) is int:
        return ("prefix", canon(value[0]), value[1])   # decode_prefix
    if type(value) is bytes:
        return ("bytes", value)
    return ("term", canon(value))


def same_decoding(*args, **kwargs) -> None:
    assert outcome(C.decode, *args, **kwargs) == outcome(P.decode, *args, **kwargs)
    assert outcome(C.decode_prefix, *args, **kwargs) == outcome(P.decode_prefix, *args, **kwargs)


def same_encoding(term, **kwargs) -> None:
    assert outcome(C.encode, term, **kwargs) == outcome(P.encode, term, **kwargs)


def test_same_signatures():
    def parameters(function):
        return [(p.name, p.kind, p.default)
                for p in inspect.signature(function).parameters.values()]
    for name in ("decode", "decode_prefix", "encode"):
        assert parameters(getattr(C, name)) == parameters(getattr(P, name)), name


@pytest.mark.parametrize("environment, expected", [
    ({}, "c"), ({"PYINET_PURE_PYTHON": "1"}, "python"), ({"PYINET_PURE_PYTHON": "0"}, "c"),
])
def test_selection(environment, expected):
    """bridge.etf uses C when it is built, unless PYINET_PURE_PYTHON=1."""
    env = {k: v for k, v in os.environ.items() if k != "PYINET_PURE_PYTHON"} | environment
    code = ("import bridge.etf as e; print(e.IMPLEMENTATION, e.decode.__module__, "
            "e.encode(e.decode(b'\\x83a\\x01')))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True, cwd=os.path.dirname(os.path.dirname(os.path.abspath(
                             __file__)))).stdout.split()
    assert out[0] == expected and out[2] == "b'\\x83a\\x01'"
    assert out[1] == ("bridge.etf._cetf" if expected == "c" else "bridge.etf.decode")


# Generated terms.

@settings(fixed, max_examples=200)
@given(terms, st.sampled_from([False, True, 1, 9]))
def test_generated_terms(term, compressed):
    same_encoding(term, compressed=compressed)
    data = P.encode(term, compressed=compressed)
    for given_data in (data, bytearray(data), memoryview(bytearray(data))):
        same_decoding(given_data)


@settings(fixed, max_examples=150)
@given(terms, st.booleans(), st.randoms(use_true_random=False))
def test_mutated_generated_encodings(term, compressed, rng):
    data = P.encode(term, compressed=compressed)
    for _ in range(5):
        mutated = mutate(data, rng)
        same_decoding(mutated)
        same_decoding(memoryview(bytearray(mutated)), max_depth=rng.randint(0, 4))


@settings(fixed, max_examples=500)
@given(st.binary(max_size=48))
def test_random_bytes(tail):
    same_decoding(b"\x83" + tail)
    same_decoding(b"\x83" + tail, max_depth=1)


@needs_erl
def test_mutated_corpus():
    """Every corpus entry decoded alike, whole and mutated (a few thousand
    inputs; tests/etf/fuzz.py runs millions)."""
    rng = random.Random(1234)
    corpus = peer().corpus()
    for entry in corpus:
        same_decoding(entry.orig)
        same_decoding(memoryview(bytearray(entry.orig)))
        for _ in range(8):
            same_decoding(mutate(entry.orig, rng))


@needs_erl
def test_corpus_identities():
    """Pids, ports and atoms come back as the same kind of shared objects."""
    for entry in peer().corpus():
        ours = C.decode(entry.orig)
        if isinstance(ours, Atom):
            assert ours is atom(str(ours))
        if isinstance(ours, (Pid, Port, Reference)):
            assert type(ours.node) is Atom and ours.node is atom(str(ours.node))
            assert type(ours.ext) is bytes


# Values C leaves to Python, or handles apart.

class Color(enum.IntEnum):
    RED = 1


class Text(str):
    pass


class Items(list):
    def __len__(self):
        return 1


class Indexable:
    def __index__(self):
        return 7


Point = collections.namedtuple("Point", "x y")


def _pid(**fields):
    pid = Pid("a@b", 1, 2, 3)
    for name, value in fields.items():
        setattr(pid, name, value)
    return pid


ODD_TERMS = [
    Color.RED, [Color.RED], [1, Color.RED], [1, True], [1, 300, Color.RED], [1, 2.5],
    [1, Indexable()], [Indexable()], [1, True, Indexable()], [True, 1], [0] * 65535,
    [0] * 65536, [255, 256], [-1], [1 << 70],
    Text("abc"), Atom("a" * 255), Atom("é" * 128), Atom("é" * 200), Atom("\ud800"), Atom(""),
    Point(1, 2), collections.OrderedDict(a=1), Items([1, 2, 3]), Items([]),
    1 << 31, -(1 << 31) - 1, (1 << 64) - 1, -(1 << 64), 1 << 2040, -(1 << 2047), 1 << 70000,
    0.0, -0.0, 1e308, float("nan"), float("inf"), 5e-324,
    "", "abc", "é", "\u20ac", "\U0001f600" * 3, "x" * 65536, "é" * 65536, "\ud800",
    String(b""), String(b"x"), String(b"x" * 65536), bytearray(b"ab"),
    memoryview(b"abc"), memoryview(b"abcd")[::2], memoryview(b"abcd").cast("H"),
    memoryview(bytearray(b"abcdef")).cast("B", (2, 3)), memoryview(b"a")[0:0],
    FrozenList([]), FrozenList([1, 2]), FrozenList([1, "x"]), FrozenMap({1: 2}),
    FrozenMap([(1, 2, 3)]), FrozenMap([]),
    ImproperList([1], 2), ImproperList([1], ImproperList([2], 3)),
    BitBinary(b"\xff", 1), BitBinary(b"\xff", 8), BitBinary(b"\x01\xff", 7),
    Export("m", "f", 0), Export("m", "f", 255), Export(Text("m"), "f", 1),
    Fun(b"p\x00"), Fun(b""),
    _pid(), _pid(ext=None), _pid(ext=b""), _pid(ext=bytearray(b"Xw\x03a@b" + bytes(12))),
    _pid(ext="text"), _pid(id=1 << 32), _pid(id=-1), _pid(id=True), _pid(id=2.0),
    _pid(node="a@b"), _pid(node=Text("a@b")), _pid(node=1), _pid(node="n" * 256),
    Reference("a@b", 1, (1, 2, 3)), Reference("a@b", 1, ()), Reference("a@b", 1, (1,) * 6),
    Reference("a@b", 1 << 32, (1,)),
    Port("a@b", 0, 1), Port("a@b", (1 << 28) - 1, 1), Port("a@b", 1 << 28, 1),
    Port("a@b", (1 << 64) - 1, 1), Port("a@b", 1 << 64, 1), Port("a@b", -1, 1),
    None, True, False, object(), {1, 2}, b"x" * 70000, {(): []}, {1: 1, 1.0: 2},
]


def _broken_objects():
    """Values whose slots were changed after they were built."""
    values = []
    bit = BitBinary(b"\x01", 1)
    bit.bits = 0
    values.append(bit)
    bit = BitBinary(b"\x01", 1)
    bit.data = b""
    values.append(bit)
    improper = ImproperList([1], 2)
    improper.items = []
    values.append(improper)
    improper = ImproperList([1], 2)
    improper.items = (1, 2)
    values.append(improper)
    export = Export("m", "f", 1)
    export.arity = 256
    values.append(export)
    ref = Reference("a@b", 1, (1,))
    ref.ids = [1, 2]
    values.append(ref)
    fun = Fun(b"x")
    fun.ext = bytearray(b"x")
    values.append(fun)
    values.append(Pid.__new__(Pid))   # no slot set at all
    return values


@pytest.mark.parametrize("term", ODD_TERMS + _broken_objects(),
                         ids=lambda term: type(term).__name__)
@pytest.mark.parametrize("compressed", [False, True])
def test_odd_terms(term, compressed):
    same_encoding(term, compressed=compressed)
    same_encoding([term, (term, {1: term})], compressed=compressed)
    if isinstance(term, (list, tuple, dict)) or term is None:
        return
    same_encoding(ImproperList([term], term), compressed=compressed)


def test_released_memoryview():
    view = memoryview(b"abc")
    view.release()
    same_encoding(view)
    same_decoding(view)


def test_odd_arguments():
    data = P.encode((atom("a"), [1, 2]))
    calls = [
        ((), {}), ((data, 0), {}), ((data,), {"max_depth": 1.5}), ((data,), {"max_depth": None}),
        ((data,), {"max_depth": True}), ((data,), {"max_depth": -1}),
        ((data,), {"max_depth": 1 << 100}), ((data,), {"max_size": "x"}),
        ((), {"data": data}), ((data,), {"other": 1}), ((data,), {"offset": 0}),
        (("text",), {}), ((12,), {}), ((data[:1],), {}), ((b"",), {}),
    ]
    for args, kwargs in calls:
        same_decoding(*args, **kwargs)
    for offset in [-1, 0, 1, len(data) - 1, len(data), 1 << 70, 1.0, None, True]:
        assert (outcome(C.decode_prefix, data, offset)
                == outcome(P.decode_prefix, data, offset)), offset
        assert (outcome(C.decode_prefix, b"xx" + data, offset)
                == outcome(P.decode_prefix, b"xx" + data, offset)), offset
    packed = P.encode(bytes(100), compressed=True)
    for max_size in [0, 1, 99, 100, 1 << 80, -1, 2.0, None]:
        same_decoding(packed, max_size=max_size)
    for compressed in [None, 0, 10, -1, 1.0, "x", 1 << 70, True, False, 6]:
        same_encoding((atom("a"), bytes(100)), compressed=compressed)
        same_encoding(object(), compressed=compressed)
    for args, kwargs in [((), {}), ((1, 2), {}), ((1,), {"level": 1}), ((), {"term": 1})]:
        assert outcome(C.encode, *args, **kwargs) == outcome(P.encode, *args, **kwargs)


def test_map_keys():
    same_decoding(P.encode({FrozenList([1]): 1, b"k": 2, (FrozenMap({}),): 3}))
    same_decoding(memoryview(bytearray(P.encode({b"k": 1, FrozenList([b"x"]): 2}))))
    same_decoding(memoryview(P.encode({b"k": 1, FrozenList([b"x"]): 2})))
    same_decoding(memoryview(bytearray(P.encode({b"k": 1, b"j": 2}))))
    # Keys equal in Python, with a key that must be frozen too.
    same_decoding(b"\x83t\x00\x00\x00\x03a\x01a\x01jjF?\xf0\x00\x00\x00\x00\x00\x00a\x02")


def test_one_byte_bitstrings_leave_shared_bytes_alone():
    """A one-byte bytes object made from a string is a shared singleton:
    clearing the unused bits of a decoded bitstring must not write to it."""
    before = bytes([255])
    assert C.decode(b"\x83M\x00\x00\x00\x01\x03\xff") == BitBinary(b"\xe0", 3)
    assert bytes([255]) == before == b"\xff" and b"\xff".decode("latin-1") == "\xff"


def test_caches_overflow():
    """More atoms and pids than the caches hold, twice: the same values."""
    names = [f"atom_{i}" for i in range(6000)]
    data = P.encode([atom(n) for n in names] + [Pid("n@h", i, 0, 1) for i in range(3000)]
                    + [Port("n@h", i, 1) for i in range(3000)])
    for _ in range(2):
        same_decoding(data)
    assert all(a is atom(n) for a, n in zip(C.decode(data), names))


def test_threads():
    data = P.encode([(atom(f"t{i}"), Pid("n@h", i, 0, 1), b"x" * i) for i in range(300)])
    expected = canon(P.decode(data))
    failures = []

    def work():
        for _ in range(30):
            if canon(C.decode(data)) != expected or C.encode(C.decode(data)) != data:
                failures.append(1)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures


# At the edge of Python's recursion limit: C must give up where Python does.

def _lowest_limit() -> int:
    """The lowest recursion limit Python accepts here (the current depth as
    Python counts it, plus one)."""
    limit = 1
    while True:
        try:
            sys.setrecursionlimit(limit)
            return limit
        except RecursionError:
            limit += 1


def _outcomes_near_the_limit(function, make):
    """The outcome of function(make(room)) with `room` = 0..59 frames to
    spare past this one."""
    results = []
    limit = sys.getrecursionlimit()
    try:
        lowest = _lowest_limit()
        for room in range(60):
            value = make(room)
            sys.setrecursionlimit(lowest + room)
            try:
                result = outcome(function, value)
            except RecursionError:   # in outcome() itself
                result = ("raises", RecursionError)
            # Where a RecursionError is raised (and so its message) depends
            # on the test's own frames; its type is what counts.
            results.append(result[:2] if result[1] is RecursionError else result)
    finally:
        sys.setrecursionlimit(limit)
    return results


def _kinds(results):
    return [result if result[0] == "raises" else result[0] for result in results]


_FUN = (b"p\x00\x00\x00\x00\x00" + bytes(16) + b"\x00\x00\x00\x00\x00\x00\x00\x01"
        b"w\x01ma\x00a\x00Xw\x03a@b" + bytes(12))


def _fresh_names(room: int, who: str) -> bytes:
    """{Atom, Reference} with names no cache has seen: the pure decoder's
    longest chain of calls."""
    name = f"fresh_{who}_{room}".encode()
    node = f"node_{who}_{room}@host".encode()
    return (b"\x83h\x02w" + bytes([len(name)]) + name + b"Z\x00\x01w" + bytes([len(node)])
            + node + bytes(8))


@pytest.mark.parametrize("case", [
    ("decode", b"\x83" + _FUN * 12 + b"a\x01"),
    ("decode", _fresh_names),
    ("decode_prefix", b"\x83" + _FUN * 3 + b"a\x01"),
    ("decode", P.encode(bytes(1000), compressed=True)),
    ("decode", P.encode({FrozenList([FrozenList([1])]): 1})),
    ("encode", [[[[[[[[[[1]]]]]]]]]]),
    ("encode", {1: (FrozenList([FrozenMap({2: ImproperList([3], Pid("n@h", 1, 2, 3))})]),)}),
    ("encode", [Color.RED, [Color.RED, [Color.RED]]]),
], ids=["funs", "atom", "prefix", "compressed", "frozen", "lists", "mixed", "callbacks"])
def test_recursion_limit(case):
    """Near the limit, where Python's own codec fails depends on the state of
    its caches and of CPython's specializing interpreter (the first runs of a
    function take more of the budget): both are warmed by a first sweep."""
    name, value = case
    if callable(value):   # fresh names for every call, cold caches
        for sweep in ("first", "second"):
            ours = _outcomes_near_the_limit(getattr(C, name), lambda room: value(room, "c" + sweep))
            theirs = _outcomes_near_the_limit(getattr(P, name),
                                              lambda room: value(room, "py" + sweep))
        ours, theirs = _kinds(ours), _kinds(theirs)
    else:
        for _ in range(2):
            ours = _outcomes_near_the_limit(getattr(C, name), lambda room: value)
            theirs = _outcomes_near_the_limit(getattr(P, name), lambda room: value)
    assert ours == theirs
    assert ours[-1][0] != "raises"


@pytest.fixture
def deep_stack():
    """Room for canon() on deep terms (it recurses)."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(10_000)
    yield
    sys.setrecursionlimit(limit)


def test_deep_terms(deep_stack):
    for depth in [100, 240, 260, 400, 2000]:
        nested = [1]
        for _ in range(depth):
            nested = [nested]
        same_encoding(nested)
        same_encoding(tuple(nested))
        data = b"\x83" + b"l\x00\x00\x00\x01" * depth + b"a\x01" + b"j" * depth
        same_decoding(data, max_depth=depth)
        same_decoding(data, max_depth=depth - 1)
        same_decoding(data, max_depth=10**6)


def test_big_payload_round_trip():
    payload = bytes(range(256)) * 4096
    term = (atom("tcp"), (atom("$inet"), atom("pyinet_tcp"), 7), payload)
    data = C.encode(term)
    assert data == P.encode(term)
    assert C.decode(memoryview(data))[2].obj is data
    same_decoding(data)
    same_decoding(memoryview(bytearray(data)))
