"""Which SCTP serves a new socket: the kernel's (a socket of the socket
module, kernel.py for what it lacks) or usrsctp's in this process
(endpoint.py over userland.py), both driven by the same socket class.

The choice is per socket: gen_sctp's open options may carry
`{sctp_backend, kernel | userland}` (pyinet_sctp takes it out of what
inet:sctp_options/2 checks); otherwise the program's default, the
environment variable PYINET_SCTP_BACKEND (which the pyinet application sets
from its key `sctp_backend`), else the kernel where it has SCTP, else
userland where libusrsctp is installed. The hello frame names the default
(`sctp`) and every backend that works here (`sctp_backends`).
"""

from __future__ import annotations

import errno
import os
import socket

from ..etf.terms import Atom, atom
from . import structs as st

KERNEL, USERLAND = atom("kernel"), atom("userland")
UNAVAILABLE = atom("unavailable")
OPTION = atom("sctp_backend")

_kernel_sctp: bool | None = None


def kernel_available() -> bool:
    """True when the kernel has SCTP (a socket can be opened)."""
    global _kernel_sctp
    if _kernel_sctp is None:
        try:
            s = socket.socket(socket.AF_INET, socket.SOCK_SEQPACKET, st.SOL_SCTP)
        except OSError:
            _kernel_sctp = False
        else:
            s.close()
            _kernel_sctp = True
    return _kernel_sctp


def userland_available() -> bool:
    from . import userland
    return userland.available()


def available() -> list[Atom]:
    return ([KERNEL] if kernel_available() else []) + ([USERLAND] if userland_available() else [])


def default() -> Atom:
    """The backend of a socket whose options name none."""
    wanted = os.environ.get("PYINET_SCTP_BACKEND", "")
    if wanted in ("kernel", "userland"):
        return atom(wanted)
    if kernel_available():
        return KERNEL
    return USERLAND if userland_available() else UNAVAILABLE


def new_socket(program, backend: Atom, family: int, kind: int):
    """A new SCTP socket of this backend; OSError as socket() gives it (the
    kernel's esocktnosupport where it has no SCTP; eprotonosupport where
    libusrsctp is missing)."""
    if backend == USERLAND:
        from .endpoint import UserlandEndpoint
        from .userland import stack_for
        if not userland_available():
            raise OSError(errno.EPROTONOSUPPORT, "libusrsctp2 is not installed")
        return UserlandEndpoint(stack_for(program.loop), family, kind)
    return socket.socket(family, kind, st.SOL_SCTP)
