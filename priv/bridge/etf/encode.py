"""Encoding Python values (terms.py) into the External Term Format, byte for
byte as term_to_binary(T, [{minor_version, 2}]) does (the default from OTP 26).

The encoder walks the term once and appends the pieces to a list that is
joined at the end, so a large binary is copied once, into the result. The
common types are tested first with `type(x) is ...`, and the usual leaves of
tuples, lists and maps are written inline by `_encode_items` (a Python call
per term is most of the cost); subclasses and rarer types go through
`_encode_other`.

This module is the reference for _cetf_encode.c, which must write the same
bytes and gives every value it does not encode itself to `_encode` here: a
change here is a change there too, and tests/test_etf_differential.py
compares the two.
"""

from __future__ import annotations

import struct
import zlib
from itertools import chain

from .decode import EtfError
from .tags import (
    ATOM_UTF8_EXT, BINARY_EXT, BIT_BINARY_EXT, COMPRESSED, EXPORT_EXT, INTEGER_EXT,
    LARGE_BIG_EXT, LARGE_TUPLE_EXT, LIST_EXT, MAP_EXT, NEW_FLOAT_EXT, NEW_PID_EXT,
    NEW_PORT_EXT, NEWER_REFERENCE_EXT, NIL_EXT, SMALL_ATOM_UTF8_EXT, SMALL_BIG_EXT,
    SMALL_INTEGER_EXT, SMALL_TUPLE_EXT, STRING_EXT, V4_PORT_EXT, VERSION,
)
from .terms import (
    Atom, BitBinary, Export, FrozenList, FrozenMap, Fun, ImproperList, Pid, Port,
    Reference, String,
)

__all__ = ["encode", "EncodeError"]


class EncodeError(EtfError, TypeError):
    """A Python value that has no Erlang term (or is out of a term's range)."""


_pack_tag_u32 = struct.Struct(">BI").pack
_pack_tag_i32 = struct.Struct(">Bi").pack
_pack_tag_u16 = struct.Struct(">BH").pack
_pack_tag_f64 = struct.Struct(">Bd").pack
_pack_tag_u32_u8 = struct.Struct(">BIB").pack
_pack_u32_u32_u32 = struct.Struct(">III").pack
_pack_u32_u32 = struct.Struct(">II").pack
_pack_u64_u32 = struct.Struct(">QI").pack

_chain = chain.from_iterable  # a map's pairs as key, value, key, value...
_VERSION = bytes((VERSION,))
_NIL = bytes((NIL_EXT,))
_SMALL_INTEGERS = [bytes((SMALL_INTEGER_EXT, n)) for n in range(256)]
_SMALL_TUPLE_HEADERS = [bytes((SMALL_TUPLE_EXT, n)) for n in range(256)]
_INT32_MIN, _INT32_MAX = -(1 << 31), (1 << 31) - 1
_STRING_EXT_MAX = 65535
# OTP 25 writes NEW_PORT_EXT while a port number fits its 28 significant bits
# (ERTS_MAX_V3_PORT_NUMBER), V4_PORT_EXT beyond; OTP 26 and later always
# V4_PORT_EXT. set_port_form() chooses (the port program follows the release
# that runs it); both forms decode everywhere since OTP 24.
_MAX_V3_PORT_NUMBER = (1 << 28) - 1
_v3_port_limit = _MAX_V3_PORT_NUMBER


def set_port_form(always_v4: bool) -> None:
    """Write every port as V4_PORT_EXT (OTP 26+) or, when it fits, as
    NEW_PORT_EXT (OTP 25). A port decoded from bytes keeps its own form."""
    global _v3_port_limit
    _v3_port_limit = -1 if always_v4 else _MAX_V3_PORT_NUMBER

# Atom name -> its encoding. Bounded like the atom table it mirrors.
_ATOMS: dict[str, bytes] = {}
_ATOM_CACHE_LIMIT = 65536


def _encode_atom(name: str) -> bytes:
    if len(name) > 255:
        raise EncodeError(f"atom of {len(name)} characters: Erlang allows 255 "
                          f"(system_limit)")
    try:
        text = name.encode("utf-8")
    except UnicodeEncodeError:
        raise EncodeError(f"atom {name!r} is not valid Unicode") from None
    if len(text) < 256:
        encoded = bytes((SMALL_ATOM_UTF8_EXT, len(text))) + text
    else:
        encoded = _pack_tag_u16(ATOM_UTF8_EXT, len(text)) + text
    if len(_ATOMS) < _ATOM_CACHE_LIMIT:
        _ATOMS[str(name)] = encoded
    return encoded


_TRUE = _encode_atom("true")
_FALSE = _encode_atom("false")
_UNDEFINED = _encode_atom("undefined")


def _atom(name: str) -> bytes:
    return _ATOMS.get(name) or _encode_atom(name)


def _big(value: int) -> bytes:
    sign = 0
    if value < 0:
        sign, value = 1, -value
    size = (value.bit_length() + 7) >> 3
    digits = value.to_bytes(size, "little")
    if size < 256:
        return bytes((SMALL_BIG_EXT, size, sign)) + digits
    return _pack_tag_u32_u8(LARGE_BIG_EXT, size, sign) + digits


def _integer(value: int) -> bytes:
    if 0 <= value < 256:
        return _SMALL_INTEGERS[value]
    if _INT32_MIN <= value <= _INT32_MAX:
        return _pack_tag_i32(INTEGER_EXT, value)
    return _big(value)


def _encode(term, out) -> None:
    """Append the encoding of `term` to `out` (a list's append)."""
    kind = type(term)
    if kind is tuple:
        if len(term) < 256:
            out(_SMALL_TUPLE_HEADERS[len(term)])
        else:
            out(_pack_tag_u32(LARGE_TUPLE_EXT, len(term)))
        _encode_items(term, out)
    elif kind is Atom:
        out(_ATOMS.get(term) or _encode_atom(term))
    elif kind is int:
        if 0 <= term < 256:
            out(_SMALL_INTEGERS[term])
        elif _INT32_MIN <= term <= _INT32_MAX:
            out(_pack_tag_i32(INTEGER_EXT, term))
        else:
            out(_big(term))
    elif kind is bytes:
        out(_pack_tag_u32(BINARY_EXT, len(term)))
        out(term)
    elif kind is Pid or kind is Reference or kind is Port:
        out(term.ext or _identifier(term))
    elif kind is list:
        _encode_list(term, out)
    elif kind is dict:
        out(_pack_tag_u32(MAP_EXT, len(term)))
        _encode_items(_chain(term.items()), out)
    elif term is True:
        out(_TRUE)
    elif term is False:
        out(_FALSE)
    elif term is None:
        out(_UNDEFINED)
    elif kind is float:
        if term - term != 0:  # inf - inf and nan - nan are nan
            raise EncodeError(f"{term!r} is not an Erlang float")
        out(_pack_tag_f64(NEW_FLOAT_EXT, term))
    elif kind is str:
        _encode_charlist(term, out)
    else:
        _encode_other(term, out)


def _encode_items(items, out) -> None:
    """Append the encodings of `items` one after the other: the body of
    tuples, lists and maps. A call per term is most of the cost of encoding,
    so the usual leaves and tuples are written here inline."""
    atoms = _ATOMS
    small_integers = _SMALL_INTEGERS
    for item in items:
        kind = type(item)
        if kind is Atom:
            out(atoms.get(item) or _encode_atom(item))
        elif kind is int and 0 <= item < 256:
            out(small_integers[item])
        elif kind is tuple and len(item) < 256:
            out(_SMALL_TUPLE_HEADERS[len(item)])
            _encode_items(item, out)
        elif kind is bytes:
            out(_pack_tag_u32(BINARY_EXT, len(item)))
            out(item)
        elif kind is Pid or kind is Reference or kind is Port:
            out(item.ext or _identifier(item))
        else:
            _encode(item, out)


def _encode_list(items, out) -> None:
    if not items:
        out(_NIL)
        return
    # OTP writes a proper list of bytes as STRING_EXT. bytes() accepts any
    # list of ints in 0..255, bools included, which are atoms here.
    if len(items) <= _STRING_EXT_MAX and type(items[0]) is int:
        try:
            chars = bytes(items)
        except (TypeError, ValueError):
            chars = None
        if chars is not None and bool not in set(map(type, items)):
            out(_pack_tag_u16(STRING_EXT, len(chars)))
            out(chars)
            return
    out(_pack_tag_u32(LIST_EXT, len(items)))
    _encode_items(items, out)
    out(_NIL)


def _encode_charlist(text: str, out) -> None:
    """A str is an Erlang string: the list of its code points."""
    if not text:
        out(_NIL)
        return
    if len(text) <= _STRING_EXT_MAX:
        try:
            chars = text.encode("latin-1")
        except UnicodeEncodeError:
            pass
        else:
            out(_pack_tag_u16(STRING_EXT, len(chars)))
            out(chars)
            return
    out(_pack_tag_u32(LIST_EXT, len(text)))
    for code_point in map(ord, text):
        out(_integer(code_point))
    out(_NIL)


def _encode_string(chars: bytes, out) -> None:
    if not chars:
        out(_NIL)
    elif len(chars) <= _STRING_EXT_MAX:
        out(_pack_tag_u16(STRING_EXT, len(chars)))
        out(chars)
    else:
        out(_pack_tag_u32(LIST_EXT, len(chars)))
        out(b"".join(map(_SMALL_INTEGERS.__getitem__, chars)))
        out(_NIL)


def _identifier(term) -> bytes:
    """NEW_PID_EXT, NEWER_REFERENCE_EXT or NEW_PORT_EXT/V4_PORT_EXT for an
    identifier built in Python (one decoded from bytes has its `ext`)."""
    try:
        node = _atom(term.node)
        if type(term) is Pid:
            return bytes((NEW_PID_EXT,)) + node + _pack_u32_u32_u32(
                term.id, term.serial, term.creation)
        if type(term) is Reference:
            if not 1 <= len(term.ids) <= 5:
                raise EncodeError(f"a reference has 1 to 5 id words, not {len(term.ids)}")
            return (_pack_tag_u16(NEWER_REFERENCE_EXT, len(term.ids)) + node
                    + struct.pack(f">{1 + len(term.ids)}I", term.creation, *term.ids))
        if term.id <= _v3_port_limit:
            return bytes((NEW_PORT_EXT,)) + node + _pack_u32_u32(term.id, term.creation)
        return bytes((V4_PORT_EXT,)) + node + _pack_u64_u32(term.id, term.creation)
    except struct.error as exc:
        raise EncodeError(f"{term!r} has a field out of range: {exc}") from None


def _encode_other(term, out) -> None:
    if isinstance(term, String):
        _encode_string(bytes(term), out)
    elif isinstance(term, FrozenList):
        _encode_list(list(term), out)
    elif isinstance(term, (bytes, bytearray, memoryview)):
        if isinstance(term, memoryview) and (term.ndim != 1 or term.format != "B"):
            term = term.cast("B") if term.c_contiguous else term.tobytes()
        out(_pack_tag_u32(BINARY_EXT, len(term)))
        out(term)
    elif isinstance(term, Atom):
        out(_atom(term))
    elif isinstance(term, bool):
        out(_TRUE if term else _FALSE)
    elif isinstance(term, int):
        out(_integer(int(term)))
    elif isinstance(term, float):
        _encode(float(term), out)
    elif isinstance(term, str):
        _encode_charlist(str(term), out)
    elif isinstance(term, tuple):
        _encode(tuple(term), out)
    elif isinstance(term, list):
        _encode_list(term, out)
    elif isinstance(term, dict):
        _encode(dict(term), out)
    elif isinstance(term, FrozenMap):
        out(_pack_tag_u32(MAP_EXT, len(term.pairs)))
        _encode_items(_chain(term.pairs), out)
    elif isinstance(term, ImproperList):
        out(_pack_tag_u32(LIST_EXT, len(term.items)))
        _encode_items(term.items, out)
        _encode(term.tail, out)
    elif isinstance(term, BitBinary):
        data, bits = term.data, term.bits
        if bits == 8:
            out(_pack_tag_u32(BINARY_EXT, len(data)))
            out(data)
        else:
            out(_pack_tag_u32_u8(BIT_BINARY_EXT, len(data), bits))
            out(data[:-1])
            out(bytes((data[-1] & (0xFF00 >> bits) & 0xFF,)))
    elif isinstance(term, (Pid, Reference, Port)):
        out(term.ext or _identifier(term))
    elif isinstance(term, Export):
        if not 0 <= term.arity <= 255:
            raise EncodeError(f"{term!r}: arity is 0 to 255")
        out(bytes((EXPORT_EXT,)) + _atom(term.module) + _atom(term.function)
            + _SMALL_INTEGERS[term.arity])
    elif isinstance(term, Fun):
        out(term.ext)
    else:
        raise EncodeError(f"cannot encode {type(term).__qualname__} as an Erlang term")


def _compress(raw: bytes, level: int) -> bytes:
    # Like term_to_binary: keep the compressed form only when it is no longer
    # than the plain one (zlib gets an output buffer of len(raw) - 5 bytes).
    packed = zlib.compress(raw, level)
    if len(packed) <= len(raw) - 5:
        return _VERSION + _pack_tag_u32(COMPRESSED, len(raw)) + packed
    return _VERSION + raw


def encode(term, *, compressed: bool | int = False) -> bytes:
    """The external format of `term`, starting with the version byte 131.

    `compressed=True` (zlib level 6) or a level 0..9 gives the compressed form
    when it is smaller, as term_to_binary(T, [{compressed, Level}]) does."""
    parts = [_VERSION]
    try:
        _encode(term, parts.append)
    except RecursionError:
        raise EncodeError("term nested too deeply to encode") from None
    if compressed is False:
        return b"".join(parts)
    level = 6 if compressed is True else compressed
    if type(level) is not int or not 0 <= level <= 9:
        raise ValueError(f"compressed is True, False or a level 0..9, not {compressed!r}")
    parts[0] = b""
    return _compress(b"".join(parts), level)
