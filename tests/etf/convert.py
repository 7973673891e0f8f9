"""Comparing terms exactly, and reading erlang-py's objects as ours.

Python's == is too forgiving to judge a codec: True == 1 == 1.0, Atom("a") ==
"a", b"x" == memoryview(b"x"). `canon` turns a term into nested tuples that
are equal only when the terms are the same Erlang term in the same Python
types (map order, pids' `ext` and the type of binaries aside, when asked)."""

from __future__ import annotations

import struct

import erlang

from bridge.etf import (
    Atom, BitBinary, Export, FrozenList, FrozenMap, Fun, ImproperList, Pid, Port,
    Reference, String, atom,
)


def canon(term, *, map_order: bool = True, ext: bool = True, binary_type: bool = True):
    def c(t):
        kind = type(t)
        if kind is bool:
            return ("bool", t)
        if kind is int:
            return ("int", t)
        if kind is float:
            return ("float", struct.pack(">d", t))  # keeps -0.0 apart from 0.0
        if kind is Atom:
            return ("atom", str(t))
        if kind is str:
            return ("str", t)
        if kind is String:
            return ("String", bytes(t))
        if kind in (bytes, bytearray, memoryview):
            return (kind.__name__ if binary_type else "binary", bytes(t))
        if kind is list:
            return ("list", tuple(map(c, t)))
        if kind is FrozenList:
            return ("FrozenList", tuple(map(c, t)))
        if kind is tuple:
            return ("tuple", tuple(map(c, t)))
        if kind is dict or kind is FrozenMap:
            pairs = [(c(k), c(v)) for k, v in (t.items() if kind is dict else t.pairs)]
            return (kind.__name__, tuple(pairs if map_order else sorted(pairs, key=repr)))
        if kind is ImproperList:
            return ("ImproperList", tuple(map(c, t.items)), c(t.tail))
        if kind is BitBinary:
            return ("BitBinary", t.data, t.bits)
        if kind in (Pid, Reference, Port):
            return (kind.__name__, t._key(), t.ext if ext else None)
        if kind is Export:
            return ("Export", str(t.module), str(t.function), t.arity)
        if kind is Fun:
            return ("Fun", t.ext)
        if t is None:
            return ("None",)
        raise TypeError(f"not a term: {kind}")
    return c(term)


def _freeze(term):
    """What our decoder makes of a map key."""
    if type(term) is list:
        return FrozenList(map(_freeze, term))
    if type(term) is dict:
        return FrozenMap([(_freeze(k), _freeze(v)) for k, v in term.items()])
    if type(term) is tuple:
        return tuple(map(_freeze, term))
    if type(term) is ImproperList:
        return ImproperList([_freeze(i) for i in term.items], _freeze(term.tail))
    return term


def _atom_name(a: erlang.OtpErlangAtom) -> Atom:
    value = a.value
    return atom(value if isinstance(value, str) else value.decode("latin-1"))


def _ints(raw: bytes) -> tuple[int, ...]:
    return struct.unpack(f">{len(raw) // 4}I", raw)


def from_erlang_py(term):
    """erlang-py's decoding of a term, in our types. Pids, ports and
    references come without `ext`: erlang-py does not keep which encoding it
    read (REFERENCE_EXT and a one-word NEW_REFERENCE_EXT look the same)."""
    if term is None:  # erlang-py reads the atom undefined as None
        return atom("undefined")
    if isinstance(term, (bool, int, float)):
        return term
    if isinstance(term, bytes):  # STRING_EXT
        return list(term)
    if isinstance(term, erlang.OtpErlangAtom):
        a = _atom_name(term)
        return True if a == "true" else False if a == "false" else a
    if isinstance(term, erlang.OtpErlangBinary):
        return term.value if term.bits == 8 else BitBinary(term.value, term.bits)
    if isinstance(term, erlang.OtpErlangList):
        items = [from_erlang_py(i) for i in term.value]
        if not term.improper:
            return items
        return ImproperList(items[:-1], items[-1])
    if isinstance(term, list):
        return [from_erlang_py(i) for i in term]
    if isinstance(term, tuple):
        return tuple(from_erlang_py(i) for i in term)
    if isinstance(term, dict):
        return {_freeze(from_erlang_py(k)): from_erlang_py(v) for k, v in term.items()}
    if isinstance(term, erlang.OtpErlangPid):
        return Pid(_atom_name(term.node), int.from_bytes(term.id, "big"),
                   int.from_bytes(term.serial, "big"), int.from_bytes(term.creation, "big"))
    if isinstance(term, erlang.OtpErlangPort):
        return Port(_atom_name(term.node), int.from_bytes(term.id, "big"),
                    int.from_bytes(term.creation, "big"))
    if isinstance(term, erlang.OtpErlangReference):
        return Reference(_atom_name(term.node), int.from_bytes(term.creation, "big"),
                         _ints(term.id))
    if isinstance(term, erlang.OtpErlangFunction):
        if term.tag == 113:  # EXPORT_EXT: module, function, arity
            at, module = erlang._binary_to_atom(0, term.value)
            at, function = erlang._binary_to_atom(at, term.value)
            return Export(_atom_name(module), _atom_name(function), term.value[at + 1])
        return Fun(bytes((term.tag,)) + term.value)
    raise TypeError(f"erlang-py gave {type(term)}")

