"""Python values for Erlang terms.

The mapping, both directions:

    Erlang                      Python
    ------                      ------
    atom                        Atom (a str subclass); `true`/`false` decode to
                                True/False, and None encodes as `undefined`
    integer                     int
    float                       float
    binary                      bytes (memoryview/bytearray also encode)
    bitstring                   BitBinary
    [] and proper lists         list
    "chars" (STRING_EXT)        list of ints on decode; String encodes as one
    improper list               ImproperList
    tuple                       tuple
    map                         dict (list and map keys become FrozenList/FrozenMap)
    pid / reference / port      Pid / Reference / Port (exact bytes kept)
    fun M:F/A                   Export
    other funs                  Fun (opaque, exact bytes kept)

Pids, references and ports keep the exact bytes they were decoded from, so that
re-encoding them gives the same bytes back: the BEAM compares them by value, but a
peer that hashes or stores their encoding must see them unchanged.
"""

from __future__ import annotations

__all__ = [
    "Atom", "atom", "Pid", "Reference", "Port", "BitBinary", "ImproperList",
    "Export", "Fun", "String", "FrozenList", "FrozenMap",
]


class Atom(str):
    """An Erlang atom. Compares equal to the str of its name."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Atom({str.__repr__(self)})"


_atom_cache: dict[str, Atom] = {}


def atom(name: str) -> Atom:
    """Return the shared Atom for `name` (atoms are few and compared often)."""
    a = _atom_cache.get(name)
    if a is None:
        if len(_atom_cache) < 65536:
            a = _atom_cache[name] = Atom(name)
        else:
            a = Atom(name)
    return a


class _Identifier:
    """Common base of Pid, Reference and Port: compared by value, re-encoded by
    the exact bytes they came from (`ext`, the encoding without the 131 version
    byte), or by a canonical encoding built by the encoder when `ext` is None."""

    __slots__ = ("ext",)

    def _key(self) -> tuple:
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self._key() == other._key()  # type: ignore[attr-defined]

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash((type(self).__name__,) + self._key())


class Pid(_Identifier):
    __slots__ = ("node", "id", "serial", "creation")

    def __init__(self, node: str, id: int, serial: int, creation: int, ext: bytes | None = None):
        self.node = atom(node) if not isinstance(node, Atom) else node
        self.id = id
        self.serial = serial
        self.creation = creation
        self.ext = ext

    def _key(self) -> tuple:
        return (self.node, self.id, self.serial, self.creation)

    def __repr__(self) -> str:
        return f"Pid({self.node!r}, {self.id}, {self.serial}, {self.creation})"

    def __str__(self) -> str:
        return f"<{self.node}.{self.id}.{self.serial}>"


class Reference(_Identifier):
    __slots__ = ("node", "creation", "ids")

    def __init__(self, node: str, creation: int, ids: tuple[int, ...], ext: bytes | None = None):
        self.node = atom(node) if not isinstance(node, Atom) else node
        self.creation = creation
        self.ids = tuple(ids)
        self.ext = ext

    def _key(self) -> tuple:
        return (self.node, self.creation, self.ids)

    def __repr__(self) -> str:
        return f"Reference({self.node!r}, {self.creation}, {self.ids!r})"

    def __str__(self) -> str:
        return "#Ref<" + ".".join(str(i) for i in (0,) + tuple(reversed(self.ids))) + ">"


class Port(_Identifier):
    __slots__ = ("node", "id", "creation")

    def __init__(self, node: str, id: int, creation: int, ext: bytes | None = None):
        self.node = atom(node) if not isinstance(node, Atom) else node
        self.id = id
        self.creation = creation
        self.ext = ext

    def _key(self) -> tuple:
        return (self.node, self.id, self.creation)

    def __repr__(self) -> str:
        return f"Port({self.node!r}, {self.id}, {self.creation})"

    def __str__(self) -> str:
        return f"#Port<0.{self.id}>"


class BitBinary:
    """A bitstring whose size is not a multiple of 8: `data` holds the bytes and
    `bits` (1..8) says how many high bits of the last byte belong to it."""

    __slots__ = ("data", "bits")

    def __init__(self, data: bytes, bits: int):
        if not data or not 1 <= bits <= 8:
            raise ValueError("BitBinary needs at least one byte and 1..8 bits in the last")
        self.data = bytes(data)
        self.bits = bits

    @property
    def bit_size(self) -> int:
        return 8 * (len(self.data) - 1) + self.bits

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BitBinary) and self.bits == other.bits and self.data == other.data

    def __hash__(self) -> int:
        return hash(("BitBinary", self.data, self.bits))

    def __repr__(self) -> str:
        return f"BitBinary({self.data!r}, {self.bits})"


class ImproperList:
    """A list whose tail is not []: `[1, 2 | tail]` is ImproperList([1, 2], tail)."""

    __slots__ = ("items", "tail")

    def __init__(self, items, tail):
        if not items:
            raise ValueError("an improper list has at least one element")
        if isinstance(tail, list):
            raise ValueError("the tail of an improper list is not a list")
        self.items = list(items)
        self.tail = tail

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ImproperList) and self.items == other.items and self.tail == other.tail

    def __hash__(self) -> int:
        return hash(("ImproperList", FrozenList(self.items), self.tail))

    def __repr__(self) -> str:
        return f"ImproperList({self.items!r}, {self.tail!r})"


class Export:
    """`fun Module:Function/Arity`."""

    __slots__ = ("module", "function", "arity")

    def __init__(self, module: str, function: str, arity: int):
        self.module = atom(module) if not isinstance(module, Atom) else module
        self.function = atom(function) if not isinstance(function, Atom) else function
        self.arity = arity

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Export) and self.module == other.module
                and self.function == other.function and self.arity == other.arity)

    def __hash__(self) -> int:
        return hash(("Export", self.module, self.function, self.arity))

    def __repr__(self) -> str:
        return f"Export({self.module!r}, {self.function!r}, {self.arity})"


class Fun:
    """A local fun (NEW_FUN_EXT), kept as its exact encoding: Python cannot call
    it, only pass it back. `module` and `arity` are decoded for display."""

    __slots__ = ("ext", "module", "arity")

    def __init__(self, ext: bytes, module: str = "", arity: int = 0):
        self.ext = bytes(ext)
        self.module = module
        self.arity = arity

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Fun) and self.ext == other.ext

    def __hash__(self) -> int:
        return hash(("Fun", self.ext))

    def __repr__(self) -> str:
        return f"Fun(<{self.module}/{self.arity}>)"


class String(bytes):
    """A Latin-1 charlist held as bytes: encodes as STRING_EXT, the form OTP uses
    for lists of small integers (list-mode socket data, for instance)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"String({bytes.__repr__(self)})"


class FrozenList(tuple):
    """A list used as a map key (Python lists are unhashable). Never equal to a
    tuple, since [1, 2] and {1, 2} are different Erlang terms."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return type(other) is FrozenList and tuple.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(("FrozenList", tuple(self)))

    def __repr__(self) -> str:
        return f"FrozenList({list(self)!r})"


class FrozenMap:
    """A map used as a map key; keeps its pairs in decode order."""

    __slots__ = ("pairs", "_set")

    def __init__(self, pairs):
        self.pairs = tuple(pairs.items()) if isinstance(pairs, dict) else tuple(pairs)
        self._set = frozenset(self.pairs)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FrozenMap) and self._set == other._set

    def __hash__(self) -> int:
        return hash(("FrozenMap", self._set))

    def __repr__(self) -> str:
        return f"FrozenMap({dict(self.pairs)!r})"
