"""The one place where OS errors become the reasons an Erlang caller sees.

inet_drv reports an errno as the atom `erl_errno_id()` gives it (erts
beam/erl_posix_str.c): the lower-case errno name, with the Linux aliases resolved
the way that switch resolves them. Python's `errno.errorcode` agrees except for
errno 35, which OTP calls edeadlk.
"""

from __future__ import annotations

import errno

from .etf.terms import Atom, atom

_OVERRIDES = {errno.EDEADLK: "edeadlk"}

_POSIX_ATOMS: dict[int, Atom] = {
    number: atom(_OVERRIDES.get(number, name.lower())) for number, name in errno.errorcode.items()
}

UNKNOWN = atom("unknown")


def posix_atom(err: int) -> Atom:
    """The inet posix atom for an errno number, as inet_drv's error_atom()."""
    return _POSIX_ATOMS.get(err, UNKNOWN)


def oserror_atom(exc: OSError) -> Atom:
    """The inet posix atom for an OSError (socket.gaierror and friends have no errno)."""
    if exc.errno is None:
        return atom("einval")
    return posix_atom(exc.errno)


class RequestError(Exception):
    """A request cannot be carried out; `reason` is the term replied as {error, Reason}."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason
