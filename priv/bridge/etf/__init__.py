"""The External Term Format codec: every message between the BEAM and the
port program crosses it. No I/O here; see decode.py and encode.py for how
each direction works and terms.py for the Python side of the mapping.

Two implementations give the same results, byte for byte and error for
error: decode.py and encode.py in pure Python (the reference), and the C
extension _cetf.c, which does the common work in C and hands the rest to
them. `decode`, `decode_prefix` and `encode` here are the C ones when the
extension is built (`python setup.py build_ext --inplace`) and the pure
ones otherwise, or when the environment sets PYINET_PURE_PYTHON=1;
IMPLEMENTATION says which ("c" or "python")."""

from __future__ import annotations

import os
from typing import Callable, NamedTuple

from . import decode as _decode_module
from . import encode as _encode_module
from . import terms as _terms_module
from .decode import DEFAULT_MAX_DEPTH, DEFAULT_MAX_SIZE, DecodeError, EtfError
from .encode import EncodeError
from .terms import (
    Atom, BitBinary, Export, FrozenList, FrozenMap, Fun, ImproperList, Pid, Port,
    Reference, String, atom,
)

__all__ = [
    "encode", "decode", "decode_prefix", "EtfError", "DecodeError", "EncodeError",
    "DEFAULT_MAX_DEPTH", "DEFAULT_MAX_SIZE", "IMPLEMENTATION", "Implementation",
    "PURE_PYTHON", "load_c", "follow_release", "set_port_form",
    "Atom", "atom", "Pid", "Reference", "Port", "BitBinary", "ImproperList", "Export",
    "Fun", "String", "FrozenList", "FrozenMap",
]


class Implementation(NamedTuple):
    """One implementation of the codec's three functions."""
    name: str
    decode: Callable
    decode_prefix: Callable
    encode: Callable


PURE_PYTHON = Implementation("python", _decode_module.decode, _decode_module.decode_prefix,
                             _encode_module.encode)


_c_implementation: Implementation | None = None


def load_c() -> Implementation | None:
    """The C implementation, or None when the extension is not built (or
    does not load). Available to tests whatever PYINET_PURE_PYTHON says."""
    global _c_implementation
    if _c_implementation is None:
        try:
            from . import _cetf
        except ImportError:
            return None
        _cetf.setup(_terms_module, _decode_module, _encode_module)
        _c_implementation = Implementation("c", _cetf.decode, _cetf.decode_prefix, _cetf.encode)
    return _c_implementation


def _choose() -> Implementation:
    if os.environ.get("PYINET_PURE_PYTHON", "") not in ("", "0"):
        return PURE_PYTHON
    return load_c() or PURE_PYTHON


_chosen = _choose()
IMPLEMENTATION: str = _chosen.name
decode = _chosen.decode
decode_prefix = _chosen.decode_prefix
encode = _chosen.encode


def set_port_form(always_v4: bool) -> None:
    """Write ports built in Python as V4_PORT_EXT always (OTP 26+), or as
    NEW_PORT_EXT when they fit (OTP 25), in both implementations."""
    _encode_module.set_port_form(always_v4)
    if load_c() is not None:
        from . import _cetf
        _cetf.set_port_form(always_v4)


def follow_release(otp_release: int) -> None:
    """Encode as that OTP release's term_to_binary does, where releases differ
    (ports: V4_PORT_EXT always from OTP 26)."""
    set_port_form(otp_release >= 26)
