"""The External Term Format codec: every message between the BEAM and the
port program crosses it. No I/O here; see decode.py and encode.py for how
each direction works and terms.py for the Python side of the mapping."""

from .decode import (
    DEFAULT_MAX_DEPTH, DEFAULT_MAX_SIZE, DecodeError, EtfError, decode, decode_prefix,
)
from .encode import EncodeError, encode
from .terms import (
    Atom, BitBinary, Export, FrozenList, FrozenMap, Fun, ImproperList, Pid, Port,
    Reference, String, atom,
)

__all__ = [
    "encode", "decode", "decode_prefix", "EtfError", "DecodeError", "EncodeError",
    "DEFAULT_MAX_DEPTH", "DEFAULT_MAX_SIZE",
    "Atom", "atom", "Pid", "Reference", "Port", "BitBinary", "ImproperList", "Export",
    "Fun", "String", "FrozenList", "FrozenMap",
]
