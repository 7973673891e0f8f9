"""Closed sockets of the `socket` API, still answerable.

A NIF socket outlives its close for as long as the BEAM holds its handle:
info/1 still shows its counters and states, and every operation answers
`{error, closed}` after checking its arguments as for an open socket. This
program cannot see when the BEAM drops a handle, so it keeps the most recent
closed sockets (GRAVEYARD_SIZE of them, a few hundred bytes each) and answers
for an older or unknown id as for a socket closed with nothing counted.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict

GRAVEYARD_SIZE = 4096

_graveyards: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def bury(program, sock) -> None:
    yard = _graveyards.setdefault(program, OrderedDict())
    yard[sock.id] = sock
    while len(yard) > GRAVEYARD_SIZE:
        yard.popitem(last=False)


def lookup(program, sid: int):
    """The socket with this id, open or closed; None if the program never had it."""
    sock = program.sockets.get(sid)
    if sock is not None:
        return sock
    yard = _graveyards.get(program)
    return yard.get(sid) if yard is not None else None
