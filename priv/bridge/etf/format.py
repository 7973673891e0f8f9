"""Python values of Erlang terms written the way Erlang writes them (~p, on one
line), for people reading logs and wire traces.

    format_term((atom("tcp"), b"hi", [104, 105])) == '{tcp,<<"hi">>,"hi"}'
"""

from __future__ import annotations

import math
import re

from .terms import (Atom, BitBinary, Export, FrozenList, FrozenMap, Fun, ImproperList, Pid, Port,
                    Reference, String)

_UNQUOTED = re.compile(r"[a-z][A-Za-z0-9_@]*\Z")
_RESERVED = frozenset("after and andalso band begin bnot bor bsl bsr bxor case catch cond div end "
                      "fun if let maybe not of or orelse receive rem try when xor".split())
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\", "\x0b": "\\v", "\x08": "\\b",
            "\x0c": "\\f", "\x1b": "\\e", "\x7f": "\\d"}


def format_atom(name: str) -> str:
    if _UNQUOTED.match(name) and name not in _RESERVED:
        return name
    return "'" + _escape(name, "'") + "'"


def _escape(text: str, quote: str) -> str:
    out = []
    for ch in text:
        if ch == quote:
            out.append("\\" + ch)
        elif ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 32:
            out.append("\\^" + chr(ord(ch) + 64))
        else:
            out.append(ch)
    return "".join(out)


def _printable(codes) -> bool:
    return bool(codes) and all(type(c) is int and (32 <= c < 127 or c in (9, 10, 13) or 160 <= c < 256)
                               for c in codes)


def _binary(data: bytes) -> str:
    if data and all(32 <= b < 127 or b in (9, 10, 13) for b in data):
        return '<<"' + _escape(data.decode("latin-1"), '"') + '">>'
    return "<<" + ",".join(str(b) for b in data) + ">>"


def format_term(term, limit: int = 0) -> str:
    """The term as Erlang prints it; with `limit` > 0, binaries and lists longer
    than that are shortened (as ~P does) so that a trace line stays readable."""
    return _fmt(term, limit)


def _fmt(t, limit: int) -> str:
    if t is True:
        return "true"
    if t is False:
        return "false"
    if t is None:
        return "undefined"
    if isinstance(t, Atom):
        return format_atom(t)
    if isinstance(t, int):
        return str(t)
    if isinstance(t, float):
        if math.isfinite(t):
            return repr(t) if "e" not in repr(t) else f"{t:e}"
        return repr(t)
    if isinstance(t, String):
        return _fmt(list(t), limit)
    if isinstance(t, (bytes, bytearray, memoryview)):
        data = bytes(t)
        if limit and len(data) > limit:
            return _binary(data[:limit])[:-2] + "...>>"
        return _binary(data)
    if isinstance(t, str):
        return _fmt([ord(c) for c in t], limit)
    if isinstance(t, (list, FrozenList)):
        items = list(t)
        if _printable(items):
            text = "".join(map(chr, items))
            if limit and len(text) > limit:
                return '"' + _escape(text[:limit], '"') + '"...'
            return '"' + _escape(text, '"') + '"'
        if limit and len(items) > limit:
            return "[" + ",".join(_fmt(x, limit) for x in items[:limit]) + "|...]"
        return "[" + ",".join(_fmt(x, limit) for x in items) + "]"
    if isinstance(t, ImproperList):
        return "[" + ",".join(_fmt(x, limit) for x in t.items) + "|" + _fmt(t.tail, limit) + "]"
    if isinstance(t, tuple):
        return "{" + ",".join(_fmt(x, limit) for x in t) + "}"
    if isinstance(t, (dict, FrozenMap)):
        pairs = t.items() if isinstance(t, dict) else t.pairs
        return "#{" + ",".join(f"{_fmt(k, limit)} => {_fmt(v, limit)}" for k, v in pairs) + "}"
    if isinstance(t, Pid):
        return f"<{t.node}.{t.id}.{t.serial}>"
    if isinstance(t, Port):
        return f"#Port<{t.node}.{t.id}>"
    if isinstance(t, Reference):
        return f"#Ref<{t.node}." + ".".join(str(i) for i in reversed(t.ids)) + ">"
    if isinstance(t, BitBinary):
        whole = ",".join(str(b) for b in t.data[:-1])
        last = f"{t.data[-1] >> (8 - t.bits)}:{t.bits}"
        return "<<" + (whole + "," if whole else "") + last + ">>"
    if isinstance(t, Export):
        return f"fun {format_atom(t.module)}:{format_atom(t.function)}/{t.arity}"
    if isinstance(t, Fun):
        return f"#Fun<{t.module}.{t.arity}>"
    return repr(t)
