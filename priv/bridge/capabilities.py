"""What this program can host on this machine, announced in the hello frame."""

from __future__ import annotations

import socket

from .etf.terms import atom


def kernel_sctp() -> bool:
    """True when the kernel has SCTP (a socket can be opened)."""
    proto = getattr(socket, "IPPROTO_SCTP", 132)
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_SEQPACKET, proto)
    except OSError:
        return False
    s.close()
    return True


def transports() -> dict:
    sctp = kernel_sctp()
    return {
        atom("transports"): [atom("tcp"), atom("udp")] + ([atom("sctp")] if sctp else []),
        atom("sctp"): atom("kernel") if sctp else atom("unavailable"),
    }
