"""Hypothesis strategies for Python values the codec encodes, and what each
decodes back to (`expected`)."""

from __future__ import annotations

from hypothesis import strategies as st

from bridge.etf import (
    Atom, BitBinary, Export, FrozenList, FrozenMap, ImproperList, Pid, Port, Reference,
    String, atom,
)

# Node names other than the test node's own (nonode@nohost, creation 0),
# which OTP would read as local identifiers and hold to local limits.
_NODES = ["a@b", "other@host.example", "nodé@hóst", "x" * 200 + "@h"]

_u32 = st.integers(0, 2**32 - 1)

atom_names = st.text(max_size=12) | st.text(max_size=255)
atoms = atom_names.map(atom)
integers = (st.integers(-300, 300) | st.integers(-2**32 - 5, 2**32 + 5)
            | st.integers(-2**70, 2**70) | st.integers(-2**2100, 2**2100))
floats = st.floats(allow_nan=False, allow_infinity=False)  # not Erlang floats
binaries = st.binary(max_size=300)
bit_binaries = st.builds(BitBinary, st.binary(min_size=1, max_size=20), st.integers(1, 7))
pids = st.builds(Pid, st.sampled_from(_NODES), _u32, _u32, _u32)
references = st.builds(Reference, st.sampled_from(_NODES), _u32,
                       st.lists(_u32, min_size=1, max_size=5).map(tuple))
ports = st.builds(Port, st.sampled_from(_NODES), st.integers(0, 2**64 - 1), _u32)
exports = st.builds(Export, atoms, atoms, st.integers(0, 255))
byte_lists = st.lists(st.integers(0, 255), max_size=40)  # written as STRING_EXT

# Hashable scalars for map keys. Left out: str and String (the same Erlang key
# as a FrozenList of their code points, so a dict could hold one key twice),
# None (the atom undefined, the same key as Atom("undefined")), and the atoms
# true and false (they decode to True and False, which Python dicts take for
# 1 and 0).
key_scalars = (integers | floats | binaries | pids | references | ports | exports
               | atoms.filter(lambda a: a not in ("true", "false", "undefined")))
keys = st.recursive(
    key_scalars,
    lambda inner: (st.lists(inner, max_size=4).map(tuple)
                   | st.lists(inner, max_size=4).map(FrozenList)
                   | st.dictionaries(inner, inner, max_size=3).map(FrozenMap)),
    max_leaves=8)

scalars = (key_scalars | atoms | st.none() | st.booleans() | bit_binaries
           | st.text(max_size=20) | st.binary(max_size=20).map(String)
           | byte_lists | st.binary(max_size=20).map(bytearray)
           | st.binary(max_size=20).map(memoryview))

# A tail that is a list, str or String would make the list proper ([1 | "ab"]
# is [1, 97, 98]), so improper tails come from the key scalars, which are none
# of those.
_tails = key_scalars

terms = st.recursive(
    scalars,
    lambda inner: (st.lists(inner, max_size=6)
                   | st.lists(inner, max_size=6).map(tuple)
                   | st.dictionaries(keys, inner, max_size=5)
                   | st.builds(ImproperList, st.lists(inner, min_size=1, max_size=4), _tails)),
    max_leaves=25)


def expected(term, key: bool = False):
    """What decode(encode(term)) gives: the documented asymmetries applied."""
    kind = type(term)
    if term is None:
        return atom("undefined")
    if kind is Atom and term in ("true", "false"):
        return term == "true"
    if kind is str:
        return expected([ord(c) for c in term], key)
    if kind is String:
        return expected(list(term), key)
    if kind in (bytearray, memoryview):
        return bytes(term)
    if kind is BitBinary:  # the unused low bits of the last byte read as zero
        return BitBinary(term.data[:-1] + bytes((term.data[-1] & (0xFF00 >> term.bits) & 0xFF,)),
                         term.bits)
    if kind is list or kind is FrozenList:
        items = [expected(i, key) for i in term]
        return FrozenList(items) if key else items
    if kind is tuple:
        return tuple(expected(i, key) for i in term)
    if kind is dict or kind is FrozenMap:
        pairs = [(expected(k, True), expected(v, key))
                 for k, v in (term.items() if kind is dict else term.pairs)]
        return FrozenMap(pairs) if key else dict(pairs)
    if kind is ImproperList:
        return ImproperList([expected(i, key) for i in term.items], expected(term.tail, key))
    return term
