"""What this program can host on this machine, announced in the hello frame."""

from __future__ import annotations

from .etf.terms import atom
from .sctp import backends


def kernel_sctp() -> bool:
    """True when the kernel has SCTP (a socket can be opened)."""
    return backends.kernel_available()


def transports() -> dict:
    """`transports`, with sctp when any backend serves it; `sctp`, the
    backend of a new socket (kernel, userland or unavailable); and
    `sctp_backends`, every one that works here."""
    sctp = backends.default()
    return {
        atom("transports"): [atom("tcp"), atom("udp")]
        + ([atom("sctp")] if sctp != backends.UNAVAILABLE else []),
        atom("sctp"): sctp,
        atom("sctp_backends"): backends.available(),
    }
