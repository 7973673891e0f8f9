"""Decoding the External Term Format into the Python values of terms.py.

One module for the one format, long because its hot loop reads the common
tags inline (a call per term is most of the cost); the codec's other parts
(terms.py, encode.py, the C twins) are their own modules.

Theory of operation
-------------------
`_read_term` reads a term with one loop over the terms inside it, in the
order they are written: a tuple, list or map pushes itself onto a stack of
open containers and is built when its last term has been read, so nesting
costs no Python recursion and is bounded by `max_depth` alone. The common
leaves (small atoms and integers, binaries, pids) are read inline in that
loop, since a Python call per term is most of the cost of decoding. Every
other tag goes through `_READERS`, the table of readers keyed by tag: a
reader is `reader(data, pos, depth) -> (term, end)`, `pos` being the offset
just after the tag byte, `end` the offset just after the term, and `depth`
how many more levels of containers may be opened below it.

Every declared length (a binary, a string, a bignum, the element count of a
container) is checked against what is left of the input before anything is
allocated, so a LIST_EXT claiming 2**32 elements in ten bytes fails at once.
Fixed-size fields are read without checks: past the end of the input,
indexing raises IndexError and struct raises struct.error (names and
identifiers are taken with "{n}s" structs rather than sliced, partly for
this), and the top level turns that into a DecodeError naming the innermost
term being read, which it finds in the traceback: readers never rebind
`pos`, and the loop keeps the offset of the term it is reading in `i`.

Binaries are slices of the input: bytes in, bytes out (one copy each); a
memoryview in gives read-only memoryview slices of the caller's buffer (no
copy, valid only while the caller leaves that buffer unchanged). A bytearray
is copied to bytes once first, since such a buffer is usually reused.

This module is the reference for _cetf_decode.c, which must give the same
values and hands errors, funs and other rare cases back to the functions
here (decode, decode_prefix, _READERS, _map, _as_input): a change here is a
change there too, and tests/test_etf_differential.py compares the two.
"""

from __future__ import annotations

import re
import struct
import zlib

from .tags import (
    ATOM_CACHE_REF, ATOM_EXT, ATOM_UTF8_EXT, BINARY_EXT, BIT_BINARY_EXT, COMPRESSED,
    DIST_FRAG_HEADER, DIST_HEADER, EXPORT_EXT, FLOAT_EXT, FUN_EXT, INTEGER_EXT,
    LARGE_BIG_EXT, LARGE_TUPLE_EXT, LIST_EXT, LOCAL_EXT, MAP_EXT, NEW_FLOAT_EXT,
    NEW_FUN_EXT, NEW_PID_EXT, NEW_PORT_EXT, NEW_REFERENCE_EXT, NEWER_REFERENCE_EXT,
    NIL_EXT, PID_EXT, PORT_EXT, REFERENCE_EXT, SMALL_ATOM_EXT, SMALL_ATOM_UTF8_EXT,
    SMALL_BIG_EXT, SMALL_INTEGER_EXT, SMALL_TUPLE_EXT, STRING_EXT, TAG_NAMES,
    V4_PORT_EXT, VERSION,
)
from .terms import (
    Atom, BitBinary, Export, FrozenList, FrozenMap, Fun, ImproperList, Pid, Port,
    Reference, atom,
)

__all__ = ["decode", "decode_prefix", "EtfError", "DecodeError",
           "DEFAULT_MAX_DEPTH", "DEFAULT_MAX_SIZE"]

# Deeper than any message pyinet handles. Containers cost no recursion, but
# funs in funs' free variables do, a frame each: 300 stays below Python's
# default recursion limit of 1000 with room for the caller's frames.
DEFAULT_MAX_DEPTH = 300
# Bounds the size a compressed term may declare (OTP itself distrusts sizes
# above 32 MiB and decompresses to check them).
DEFAULT_MAX_SIZE = 128 * 1024 * 1024


class EtfError(Exception):
    """Base of the codec's errors."""


class DecodeError(EtfError, ValueError):
    """Input that is not one valid term; `offset` is where the problem is."""

    def __init__(self, message: str, offset: int):
        super().__init__(message, offset)
        self.message = message
        self.offset = offset

    def __str__(self) -> str:
        return self.message


_u32 = struct.Struct(">I").unpack_from
_i32 = struct.Struct(">i").unpack_from
_f64 = struct.Struct(">d").unpack_from
_u32_u32_u32 = struct.Struct(">III").unpack_from
_u32_u32_u8 = struct.Struct(">IIB").unpack_from
_u32_u8 = struct.Struct(">IB").unpack_from
# ID and Creation of each port encoding.
_PORT_FIELDS = {NEW_PORT_EXT: struct.Struct(">II"), V4_PORT_EXT: struct.Struct(">QI"),
                PORT_EXT: struct.Struct(">IB")}
# The 1..5 id words of a reference; with the creation byte before them for
# NEW_REFERENCE_EXT.
_ID_WORDS = [None] + [struct.Struct(">" + "I" * n).unpack_from for n in range(1, 6)]
_OLD_REF_WORDS = [None] + [struct.Struct(">B" + "I" * n).unpack_from for n in range(1, 6)]

# _TAKE[n](data, at)[0] is the n bytes at `at` as a bytes object, from bytes
# and memoryviews alike: a memoryview slice would need another copy to be
# hashed (a view of a bytearray cannot be), and struct raises at the end of
# the input where slicing would silently come up short. Up to the longest
# atom (255 characters of 4 bytes) with a pid around it.
_TAKE_MAX = 1040
_TAKE = [struct.Struct(f"{n}s").unpack_from for n in range(_TAKE_MAX)]


def _take(data, at: int, size: int) -> bytes:
    if size < _TAKE_MAX:
        return _TAKE[size](data, at)[0]
    if at + size > len(data):
        raise struct.error("past the end of the input")
    return bytes(data[at:at + size])


_MAX_ATOM_CHARACTERS = 255
# Caches from the raw name bytes to the decoded atom, one per encoding since
# the same bytes mean different names in Latin-1 and UTF-8. Pids and ports
# are cached by their whole encoding, since a connection sees the same few
# again and again: decoded pids and ports are shared, values not to be
# changed. The caches stop growing at a bound, so hostile input that names
# many atoms cannot make them grow without end.
_UTF8_ATOMS: dict[bytes, object] = {}
_LATIN1_ATOMS: dict[bytes, object] = {}
_ATOM_CACHE_LIMIT = 65536
_IDENTIFIERS: dict[bytes, object] = {}
_IDENTIFIER_CACHE_LIMIT = 4096


def _truncated(tag_at: int, data, need_end: int) -> DecodeError:
    name = TAG_NAMES.get(data[tag_at], "term")
    return DecodeError(f"truncated {name} at offset {tag_at}: needs {need_end - tag_at} "
                       f"bytes, {len(data) - tag_at} left", tag_at)


def _too_deep(tag_at: int, data) -> DecodeError:
    return DecodeError(f"{TAG_NAMES[data[tag_at]]} at offset {tag_at} is nested "
                       f"deeper than max_depth", tag_at)


# Atoms.

def _new_atom(data, tag_at: int, name: bytes, encoding: str, cache: dict):
    """Decode an atom the cache does not hold (`name` is its bytes)."""
    try:
        text = str(name, encoding)
    except UnicodeDecodeError:
        raise DecodeError(f"{TAG_NAMES[data[tag_at]]} at offset {tag_at} is not valid "
                          f"{encoding}", tag_at) from None
    if len(text) > _MAX_ATOM_CHARACTERS:
        raise DecodeError(f"{TAG_NAMES[data[tag_at]]} at offset {tag_at} has more than "
                          f"{_MAX_ATOM_CHARACTERS} characters", tag_at)
    value = True if text == "true" else False if text == "false" else atom(text)
    if len(cache) < _ATOM_CACHE_LIMIT:
        cache[name] = value
    return value


def _read_small_atom_utf8(data, pos, depth):
    size = data[pos]
    name = _TAKE[size](data, pos + 1)[0]
    value = _UTF8_ATOMS.get(name)
    if value is None:
        value = _new_atom(data, pos - 1, name, "utf-8", _UTF8_ATOMS)
    return value, pos + 1 + size


def _read_atom_utf8(data, pos, depth):
    size = data[pos] << 8 | data[pos + 1]
    name = _take(data, pos + 2, size)
    value = _UTF8_ATOMS.get(name)
    if value is None:
        value = _new_atom(data, pos - 1, name, "utf-8", _UTF8_ATOMS)
    return value, pos + 2 + size


def _read_small_atom(data, pos, depth):
    size = data[pos]
    name = _TAKE[size](data, pos + 1)[0]
    value = _LATIN1_ATOMS.get(name)
    if value is None:
        value = _new_atom(data, pos - 1, name, "latin-1", _LATIN1_ATOMS)
    return value, pos + 1 + size


def _read_atom(data, pos, depth):
    size = data[pos] << 8 | data[pos + 1]
    name = _take(data, pos + 2, size)
    value = _LATIN1_ATOMS.get(name)
    if value is None:
        value = _new_atom(data, pos - 1, name, "latin-1", _LATIN1_ATOMS)
    return value, pos + 2 + size


_ATOM_READERS = {
    SMALL_ATOM_UTF8_EXT: _read_small_atom_utf8, ATOM_UTF8_EXT: _read_atom_utf8,
    SMALL_ATOM_EXT: _read_small_atom, ATOM_EXT: _read_atom,
}


def _read_atom_field(data, at: int, what: str):
    """The atom at `at` inside a pid, reference, port or fun, as an Atom even
    when it is named true or false."""
    reader = _ATOM_READERS.get(data[at])
    if reader is None:
        raise DecodeError(f"{what} at offset {at}: expected an atom, found "
                          f"{TAG_NAMES.get(data[at], data[at])}", at)
    value, end = reader(data, at + 1, 0)
    if value is True or value is False:
        value = atom("true" if value else "false")
    return value, end


def _atom_field_end(data, at: int, what: str) -> int:
    tag = data[at]
    if tag == SMALL_ATOM_UTF8_EXT or tag == SMALL_ATOM_EXT:
        return at + 2 + data[at + 1]
    if tag == ATOM_UTF8_EXT or tag == ATOM_EXT:
        return at + 3 + (data[at + 1] << 8 | data[at + 2])
    raise DecodeError(f"{what} at offset {at}: expected an atom, found "
                      f"{TAG_NAMES.get(tag, tag)}", at)


# Numbers.

def _read_small_integer(data, pos, depth):
    return data[pos], pos + 1


def _read_integer(data, pos, depth):
    return _i32(data, pos)[0], pos + 4


def _read_new_float(data, pos, depth):
    value = _f64(data, pos)[0]
    if value - value != 0:  # inf - inf and nan - nan are nan
        raise DecodeError(f"NEW_FLOAT_EXT at offset {pos - 1} is not finite", pos - 1)
    return value, pos + 8


# The syntax sys_chars_to_double (erts/emulator/sys/unix/sys_float.c) accepts,
# stricter than Python's float(): no inf/nan, no underscores, a decimal part.
_FLOAT_STRING = re.compile(rb"[+-]?[0-9]+[.,][0-9]+(?:[eE][+-]?[0-9]+)?")


def _read_float(data, pos, depth):
    text = _TAKE[31](data, pos)[0].split(b"\0", 1)[0]
    value = None
    if _FLOAT_STRING.fullmatch(text):
        value = float(text.replace(b",", b"."))
    if value is None or value - value != 0:
        raise DecodeError(f"FLOAT_EXT at offset {pos - 1} is not a finite float", pos - 1)
    return value, pos + 31


def _big(data, pos, start, end):
    if end > len(data):
        raise _truncated(pos - 1, data, end)
    value = int.from_bytes(data[start:end], "little")
    return -value if data[start - 1] else value


def _read_small_big(data, pos, depth):
    end = pos + 2 + data[pos]
    return _big(data, pos, pos + 2, end), end


def _read_large_big(data, pos, depth):
    end = pos + 5 + _u32(data, pos)[0]
    return _big(data, pos, pos + 5, end), end


# Binaries and strings.

def _read_binary(data, pos, depth):
    end = pos + 4 + _u32(data, pos)[0]
    if end > len(data):
        raise _truncated(pos - 1, data, end)
    return data[pos + 4:end], end


def _read_bit_binary(data, pos, depth):
    size, bits = _u32_u8(data, pos)
    end = pos + 5 + size
    if (bits == 0) != (size == 0) or bits > 8:
        raise DecodeError(f"BIT_BINARY_EXT at offset {pos - 1} has {bits} bits in the "
                          f"last of {size} bytes", pos - 1)
    if end > len(data):
        raise _truncated(pos - 1, data, end)
    if bits == 8 or size == 0:
        return data[pos + 5:end], end
    # OTP zeroes the unused low bits when encoding and ignores them when
    # comparing, so they are cleared here to make equal bitstrings equal.
    last = data[end - 1] & (0xFF00 >> bits) & 0xFF
    return BitBinary(bytes(data[pos + 5:end - 1]) + bytes((last,)), bits), end


def _read_string(data, pos, depth):
    end = pos + 2 + (data[pos] << 8 | data[pos + 1])
    if end > len(data):
        raise _truncated(pos - 1, data, end)
    return list(data[pos + 2:end]), end


# Terms and their containers (see the theory of operation above).

def _read_term(data, i, max_depth):
    """Read the term whose tag is at offset `i`; return (term, end)."""
    readers = _READERS
    atoms = _UTF8_ATOMS
    identifiers = _IDENTIFIERS
    take = _TAKE
    size_of = len(data)
    open_around = []  # (tag_at, items, remaining) of the containers around this one
    tag_at = -1       # where the innermost open container starts (-1: none)
    items = None      # the terms it holds so far
    remaining = 0     # how many more it holds
    while True:
        tag = data[i]
        if tag == SMALL_ATOM_UTF8_EXT:
            size = data[i + 1]
            name = take[size](data, i + 2)[0]
            item = atoms.get(name)
            if item is None:
                item = _new_atom(data, i, name, "utf-8", atoms)
            i += 2 + size
        elif tag == SMALL_INTEGER_EXT:
            item = data[i + 1]
            i += 2
        elif tag == SMALL_TUPLE_EXT:
            if data[i + 1]:
                if len(open_around) >= max_depth:
                    raise _too_deep(i, data)
                open_around.append((tag_at, items, remaining))
                tag_at, items, remaining = i, [], data[i + 1]
                i += 2
                continue
            item = ()
            i += 2
        elif tag == BINARY_EXT:
            end = i + 5 + _u32(data, i + 1)[0]
            if end > size_of:
                raise _truncated(i, data, end)
            item = data[i + 5:end]
            i = end
        elif tag == NEW_PID_EXT and data[i + 1] == SMALL_ATOM_UTF8_EXT:
            end = i + 15 + data[i + 2]
            item = identifiers.get(take[end - i](data, i)[0])
            if item is None:
                item, end = _read_new_pid(data, i + 1, 0)
            i = end
        elif tag == LIST_EXT or tag == MAP_EXT or tag == LARGE_TUPLE_EXT:
            count = _u32(data, i + 1)[0]
            # Each term takes a byte at least; a list's tail is one more.
            count = count + 1 if tag == LIST_EXT else 2 * count if tag == MAP_EXT else count
            if count > size_of - i - 5:
                raise _truncated(i, data, i + 5 + count)
            if count:
                if len(open_around) >= max_depth:
                    raise _too_deep(i, data)
                open_around.append((tag_at, items, remaining))
                tag_at, items, remaining = i, [], count
                i += 5
                continue
            item = () if tag == LARGE_TUPLE_EXT else {}
            i += 5
        elif tag == NIL_EXT:
            item = []
            i += 1
        else:
            item, i = readers[tag](data, i + 1, max_depth - len(open_around))
        # Put the term in its container, and close the containers it fills.
        while True:
            if items is None:
                return item, i
            items.append(item)
            remaining -= 1
            if remaining:
                break
            if data[tag_at] == SMALL_TUPLE_EXT or data[tag_at] == LARGE_TUPLE_EXT:
                item = tuple(items)
            elif data[tag_at] == LIST_EXT:
                item = _list(items)
            else:
                item = _map(data, tag_at, items)
            tag_at, items, remaining = open_around.pop()


def _read_container(data, pos, depth):
    return _read_term(data, pos - 1, depth)


def _read_nil(data, pos, depth):
    return [], pos


def _list(items):
    """A LIST_EXT's elements and, last, its tail, as a Python value."""
    tail = items.pop()
    # OTP's encoder never writes these, but binary_to_term accepts a list
    # whose tail is another list, and a LIST_EXT of no elements is its tail.
    if not items:
        return tail
    if type(tail) is list:
        if tail:
            items.extend(tail)
        return items
    if type(tail) is ImproperList:
        return ImproperList(items + tail.items, tail.tail)
    return ImproperList(items, tail)


def _freeze(term):
    """A hashable equivalent of a map key: lists and maps, wherever they are
    inside it, become FrozenList and FrozenMap, and binaries that are views
    of a writable buffer (which Python cannot hash) become bytes."""
    kind = type(term)
    if kind is memoryview:
        return bytes(term)
    if kind is list:
        return FrozenList(map(_freeze, term))
    if kind is dict:
        return FrozenMap([(_freeze(k), _freeze(v)) for k, v in term.items()])
    if kind is tuple:
        return tuple(map(_freeze, term))
    if kind is ImproperList:
        return ImproperList(list(map(_freeze, term.items)), _freeze(term.tail))
    return term


def _map(data, tag_at, items):
    """A MAP_EXT's keys and values, in turn, as a dict."""
    pairs = iter(items)
    try:
        result = dict(zip(pairs, pairs))
    except TypeError:  # a list or map inside a key, or a binary in a bytearray
        pairs = iter(items)
        result = {_freeze(key): value for key, value in zip(pairs, pairs)}
    if 2 * len(result) != len(items):
        # OTP rejects duplicate keys; Python also merges keys that Erlang
        # keeps apart (1 and 1.0, true and 1), which cannot be represented.
        raise DecodeError(f"MAP_EXT at offset {tag_at} has keys that are equal in "
                          f"Python (duplicates, or such as 1 and 1.0, or true and 1)",
                          tag_at)
    return result


# Pids, ports and references keep their exact encoding (`ext`).

def _remember(ext, value):
    if len(_IDENTIFIERS) >= _IDENTIFIER_CACHE_LIMIT:
        _IDENTIFIERS.clear()
    _IDENTIFIERS[ext] = value
    return value


def _read_new_pid(data, pos, depth):
    if data[pos] == SMALL_ATOM_UTF8_EXT:
        end = pos + 14 + data[pos + 1]
    else:
        end = _atom_field_end(data, pos, "NEW_PID_EXT") + 12
    ext = _take(data, pos - 1, end - pos + 1)
    pid = _IDENTIFIERS.get(ext)
    if pid is None:
        node, i = _read_atom_field(data, pos, "NEW_PID_EXT")
        pid = _remember(ext, Pid(node, *_u32_u32_u32(data, i), ext))
    return pid, end


def _read_pid(data, pos, depth):
    end = _atom_field_end(data, pos, "PID_EXT") + 9
    ext = _take(data, pos - 1, end - pos + 1)
    node, i = _read_atom_field(data, pos, "PID_EXT")
    return Pid(node, *_u32_u32_u8(data, i), ext), end


def _read_port(data, pos, depth):
    tag = data[pos - 1]
    fields = _PORT_FIELDS[tag]
    if data[pos] == SMALL_ATOM_UTF8_EXT:
        size = 3 + data[pos + 1] + fields.size
    else:
        size = _atom_field_end(data, pos, TAG_NAMES[tag]) + 1 - pos + fields.size
    ext = _take(data, pos - 1, size)
    port = _IDENTIFIERS.get(ext)
    if port is None:
        node, i = _read_atom_field(data, pos, TAG_NAMES[tag])
        port = _remember(ext, Port(node, *fields.unpack_from(data, i), ext))
    return port, pos - 1 + size


_new_reference = Reference.__new__


def _reference(node, creation, ids, ext):
    # Built without __init__, which would check `node` and copy `ids`:
    # a reference is decoded with almost every request.
    ref = _new_reference(Reference)
    ref.node = node
    ref.creation = creation
    ref.ids = ids
    ref.ext = ext
    return ref


# NEWER_REFERENCE_EXT up to its id words (tag, word count, node, creation)
# -> (node, creation, unpacker of the words). A node sends references from
# one node name and creation, so this is almost always a hit.
_REFERENCE_HEADS: dict[bytes, tuple] = {}


def _read_newer_reference(data, pos, depth):
    if data[pos + 2] == SMALL_ATOM_UTF8_EXT:
        head_size = 9 + data[pos + 3]
    else:
        head_size = _atom_field_end(data, pos + 2, "NEWER_REFERENCE_EXT") + 5 - pos
    size = head_size + 4 * (data[pos] << 8 | data[pos + 1])
    ext = _take(data, pos - 1, size)
    head = _REFERENCE_HEADS.get(ext[:head_size])
    if head is None:
        head = _reference_head(data, pos, ext[:head_size])
    node, creation, unpack_ids = head
    ref = _new_reference(Reference)
    ref.node = node
    ref.creation = creation
    ref.ids = unpack_ids(ext, head_size)
    ref.ext = ext
    return ref, pos - 1 + size


def _reference_head(data, pos, head: bytes):
    words = data[pos] << 8 | data[pos + 1]
    if not 1 <= words <= 5:
        raise DecodeError(f"NEWER_REFERENCE_EXT at offset {pos - 1} has {words} id "
                          f"words, not 1 to 5", pos - 1)
    node, i = _read_atom_field(data, pos + 2, "NEWER_REFERENCE_EXT")
    value = (node, _u32(data, i)[0], _ID_WORDS[words])
    if len(_REFERENCE_HEADS) >= _IDENTIFIER_CACHE_LIMIT:
        _REFERENCE_HEADS.clear()
    _REFERENCE_HEADS[head] = value
    return value


def _read_new_reference(data, pos, depth):
    words = data[pos] << 8 | data[pos + 1]
    if not 1 <= words <= 5:
        raise DecodeError(f"NEW_REFERENCE_EXT at offset {pos - 1} has {words} id "
                          f"words, not 1 to 5", pos - 1)
    node, i = _read_atom_field(data, pos + 2, "NEW_REFERENCE_EXT")
    end = i + 1 + 4 * words
    fields = _OLD_REF_WORDS[words](data, i)
    return _reference(node, fields[0], fields[1:], _take(data, pos - 1, end - pos + 1)), end


def _read_reference(data, pos, depth):
    node, i = _read_atom_field(data, pos, "REFERENCE_EXT")
    ref_id, creation = _u32_u8(data, i)
    return _reference(node, creation, (ref_id,), _take(data, pos - 1, i + 6 - pos)), i + 5


# Funs.

def _read_export(data, pos, depth):
    module, i = _read_atom_field(data, pos, "EXPORT_EXT")
    function, i = _read_atom_field(data, i, "EXPORT_EXT")
    if data[i] != SMALL_INTEGER_EXT:
        raise DecodeError(f"EXPORT_EXT at offset {pos - 1}: arity at offset {i} is not "
                          f"a SMALL_INTEGER_EXT", i)
    return Export(module, function, data[i + 1]), i + 2


def _read_fun_integer(data, at, fun_at):
    tag = data[at]
    if tag == SMALL_INTEGER_EXT:
        return at + 2
    if tag == INTEGER_EXT:
        return at + 5
    raise DecodeError(f"NEW_FUN_EXT at offset {fun_at}: expected an integer at offset "
                      f"{at}", at)


def _read_new_fun(data, pos, depth):
    # The Size field is not trusted (OTP 23+ can write it too large, see
    # dec_term in external.c): the end is found by reading every field.
    arity = data[pos + 4]
    free_count = _u32(data, pos + 25)[0]
    if free_count > 255:
        raise DecodeError(f"NEW_FUN_EXT at offset {pos - 1} has {free_count} free "
                          f"variables", pos - 1)
    if free_count and not depth:
        raise _too_deep(pos - 1, data)
    module, i = _read_atom_field(data, pos + 29, "NEW_FUN_EXT")
    i = _read_fun_integer(data, i, pos - 1)
    i = _read_fun_integer(data, i, pos - 1)
    if data[i] not in (NEW_PID_EXT, PID_EXT):
        raise DecodeError(f"NEW_FUN_EXT at offset {pos - 1}: expected a pid at offset "
                          f"{i}", i)
    _, i = _READERS[data[i]](data, i + 1, depth)
    for _ in range(free_count):
        _, i = _READERS[data[i]](data, i + 1, depth - 1)
    return Fun(_take(data, pos - 1, i - pos + 1), module, arity), i


# Tags that are not terms here.

def _refuse(reason: str):
    def read_refused(data, pos, depth):
        name = TAG_NAMES.get(data[pos - 1], f"tag {data[pos - 1]}")
        raise DecodeError(f"{name} at offset {pos - 1}: {reason}", pos - 1)
    return read_refused


_READERS = [_refuse("not a term tag")] * 256
_READERS[ATOM_CACHE_REF] = _refuse("atom cache references are only valid after a "
                                   "distribution header")
_READERS[DIST_HEADER] = _READERS[DIST_FRAG_HEADER] = _refuse(
    "distribution headers are not decoded outside the distribution")
_READERS[LOCAL_EXT] = _refuse("the local format of term_to_binary(T, [local]) can only "
                              "be decoded by the node instance that encoded it")
_READERS[FUN_EXT] = _refuse("the old fun format has not been decoded since OTP 23")
_READERS[COMPRESSED] = _refuse("a compressed term can only be at the top level")
for _tag, _reader in {
    SMALL_INTEGER_EXT: _read_small_integer, INTEGER_EXT: _read_integer,
    SMALL_BIG_EXT: _read_small_big, LARGE_BIG_EXT: _read_large_big,
    NEW_FLOAT_EXT: _read_new_float, FLOAT_EXT: _read_float,
    **_ATOM_READERS,
    BINARY_EXT: _read_binary, BIT_BINARY_EXT: _read_bit_binary, STRING_EXT: _read_string,
    SMALL_TUPLE_EXT: _read_container, LARGE_TUPLE_EXT: _read_container,
    LIST_EXT: _read_container, MAP_EXT: _read_container, NIL_EXT: _read_nil,
    NEW_PID_EXT: _read_new_pid, PID_EXT: _read_pid,
    NEW_PORT_EXT: _read_port, V4_PORT_EXT: _read_port, PORT_EXT: _read_port,
    NEWER_REFERENCE_EXT: _read_newer_reference, NEW_REFERENCE_EXT: _read_new_reference,
    REFERENCE_EXT: _read_reference,
    EXPORT_EXT: _read_export, NEW_FUN_EXT: _read_new_fun,
}.items():
    _READERS[_tag] = _reader
del _tag, _reader

# The functions that follow the `pos` convention, to find in a traceback.
_READER_CODES = frozenset(reader.__code__ for reader in _READERS)
_TERM_CODE = _read_term.__code__


# The top level.

def _as_input(data):
    kind = type(data)
    if kind is bytes:
        return data
    if kind is memoryview:
        if not data.c_contiguous:
            raise TypeError("decode needs a C-contiguous memoryview")
        if data.format != "B" or data.ndim != 1:
            data = data.cast("B")
        # Read-only, so that the binaries handed out cannot write to the
        # caller's buffer.
        return data.toreadonly()
    if isinstance(data, (bytes, bytearray)):
        return bytes(data)
    raise TypeError(f"decode needs bytes, bytearray or memoryview, not "
                    f"{kind.__qualname__}")


def _error_from_overrun(exc: BaseException, data) -> DecodeError:
    """A fixed-size read ran past the end: name the innermost term being read
    (a reader's `pos`, or the loop's `i` or open container) that starts in
    the input."""
    tag_at = None
    tb = exc.__traceback__
    while tb is not None:
        code, local = tb.tb_frame.f_code, tb.tb_frame.f_locals
        candidates = []
        if code in _READER_CODES:
            candidates = [local["pos"] - 1]
        elif code is _TERM_CODE:
            candidates = [local["tag_at"], local["i"]]
        for at in candidates:
            if 0 <= at < len(local["data"]):
                tag_at, data = at, local["data"]
        tb = tb.tb_next
    if tag_at is None:
        return DecodeError(f"truncated input at offset {len(data)}", len(data))
    return DecodeError(f"truncated {TAG_NAMES.get(data[tag_at], 'term')} at offset "
                       f"{tag_at}", tag_at)


def _read_top(data, offset: int, max_depth: int):
    """The term whose tag is at `offset`, and its end; errors as DecodeError."""
    try:
        term, end = _read_term(data, offset, max_depth)
    except (IndexError, struct.error) as exc:
        raise _error_from_overrun(exc, data) from None
    except RecursionError:  # only funs recurse, in their free variables
        raise DecodeError(f"term at offset {offset} is nested too deeply for Python's "
                          f"stack; lower max_depth", offset) from None
    if end > len(data):
        raise DecodeError(f"truncated input: the term at offset {offset} ends past the "
                          f"end of the input ({len(data)} bytes)", len(data))
    return term, end


def _read_compressed(data, tag_at: int, max_depth: int, max_size: int):
    if tag_at + 5 > len(data):
        raise _truncated(tag_at, data, tag_at + 5)
    size = _u32(data, tag_at + 1)[0]
    if not 0 < size <= max_size:
        raise DecodeError(f"COMPRESSED at offset {tag_at} declares {size} bytes, not "
                          f"1 to max_size ({max_size})", tag_at)
    inflater = zlib.decompressobj()
    stream = memoryview(data)[tag_at + 5:]
    try:
        raw = inflater.decompress(stream, size)
        if not inflater.eof:
            # Exactly `size` bytes came out; the stream must end right here.
            if inflater.decompress(inflater.unconsumed_tail, 1) or not inflater.eof:
                raise DecodeError(f"COMPRESSED at offset {tag_at}: the data is longer "
                                  f"than the declared {size} bytes, or cut short", tag_at)
    except zlib.error as exc:
        raise DecodeError(f"COMPRESSED at offset {tag_at}: {exc}", tag_at) from None
    if len(raw) != size:
        raise DecodeError(f"COMPRESSED at offset {tag_at} declares {size} bytes but "
                          f"holds {len(raw)}", tag_at)
    if type(data) is memoryview:
        raw = memoryview(raw)  # binaries keep the type the caller chose
    try:
        term, end = _read_top(raw, 0, max_depth)
    except DecodeError as exc:
        raise DecodeError(f"in the compressed term at offset {tag_at}: {exc.message} "
                          f"(offset in the decompressed data)", tag_at) from None
    if end != size:
        raise DecodeError(f"in the compressed term at offset {tag_at}: trailing bytes at "
                          f"offset {end} of the decompressed data", tag_at)
    return term, len(data) - len(inflater.unused_data)


def _decode_at(data, offset: int, max_depth: int, max_size: int):
    if not 0 <= offset < len(data):
        raise DecodeError(f"no term at offset {offset}: the input has {len(data)} bytes",
                          offset)
    if data[offset] != VERSION:
        raise DecodeError(f"expected the version byte {VERSION} at offset {offset}, "
                          f"found {data[offset]}", offset)
    if offset + 1 == len(data):
        raise DecodeError(f"truncated input: nothing after the version byte at offset "
                          f"{offset}", offset + 1)
    if data[offset + 1] == COMPRESSED:
        return _read_compressed(data, offset + 1, max_depth, max_size)
    return _read_top(data, offset + 1, max_depth)


def decode_prefix(data, offset: int = 0, *, max_depth: int = DEFAULT_MAX_DEPTH,
                  max_size: int = DEFAULT_MAX_SIZE):
    """Decode the one term that starts at `offset` (with its version byte) and
    return `(term, end)`, `end` being the offset just after it."""
    return _decode_at(_as_input(data), offset, max_depth, max_size)


def decode(data, *, max_depth: int = DEFAULT_MAX_DEPTH,
           max_size: int = DEFAULT_MAX_SIZE):
    """Decode `data`, which must hold exactly one term (version byte first).

    `max_depth` bounds the nesting of tuples, lists, maps and funs' free
    variables; `max_size` the size a compressed term may decompress to.
    Binaries come back as bytes, or as read-only memoryview slices of `data`
    when `data` is a memoryview (no copy)."""
    if type(data) is not bytes:
        data = _as_input(data)
    # The common case in one frame; anything else goes the careful way.
    try:
        if data[0] == VERSION and data[1] != COMPRESSED:
            term, end = _read_term(data, 1, max_depth)
            if end == len(data):
                return term
    except (IndexError, struct.error, RecursionError):
        pass
    term, end = _decode_at(data, 0, max_depth, max_size)
    if end != len(data):
        raise DecodeError(f"trailing bytes at offset {end} after the term "
                          f"({len(data) - end} of them)", end)
    return term
