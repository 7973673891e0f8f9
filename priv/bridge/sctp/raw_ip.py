"""SCTP straight on IP (protocol 132) for the userland stack, where the
kernel does not claim the protocol and the program may open raw sockets
(CAP_NET_RAW): the application key `sctp_encapsulation` set to `raw`
(PYINET_SCTP_ENCAPSULATION), instead of RFC 6951's UDP.

One raw socket per address family carries every association of the stack.
A raw socket receives every SCTP packet that reaches the host, whoever it is
for: only those for a port one of this stack's endpoints holds go in (with
several port programs, each takes its own), and nothing is answered for the
others, so a connect to a port nobody holds waits out its INIT timer instead
of failing at once. Ports are still given out and checked by the kernel: a
userland endpoint keeps a UDP socket bound to its address and port, which
carries nothing here but the reservation.

Where the kernel has SCTP it answers every SCTP packet itself (an ABORT for
a port it does not know), so this mode is for hosts without it; there,
without a raw socket reading, the kernel would answer ICMP protocol
unreachable.
"""

from __future__ import annotations

import logging
import socket
import struct
from collections import Counter

log = logging.getLogger("bridge.sctp.raw_ip")

IPPROTO_SCTP = 132
READ_PACKETS = 64
MAX_PACKET = 65536


class RawIp:
    """The stack's raw sockets and the ports whose packets it takes."""

    def __init__(self, stack) -> None:
        self.stack = stack
        self._bindings: dict[int, object] = {}
        self.ports: Counter = Counter()

    def binding(self, family: int):
        """The raw socket's binding for this family (opened on first use)."""
        binding = self._bindings.get(family)
        if binding is None:
            from .userland import Binding
            sock = socket.socket(family, socket.SOCK_RAW, IPPROTO_SCTP)
            sock.setblocking(False)
            binding = Binding(family, sock)
            binding.refs = 1   # the stack's for its life
            self._bindings[family] = binding
            self.stack.loop.add_reader(binding.fd, lambda: self._on_packets(binding))
        return binding

    def _on_packets(self, binding) -> None:
        for _ in range(READ_PACKETS):
            try:
                data, source = binding.sock.recvfrom(MAX_PACKET)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                log.debug("raw %s: %s", binding.family, exc)
                continue
            if binding.family == socket.AF_INET:
                # An IPv4 raw socket hands over the IP header too.
                if not data:
                    continue
                data = data[(data[0] & 0x0F) * 4:]
            if len(data) < 12:
                continue
            (dst_port,) = struct.unpack_from("!H", data, 2)
            if self.ports[dst_port] <= 0:
                continue   # another process's, or nobody's
            self.stack.received += 1
            self.stack.lib.conninput(self.stack.path(binding, (source[0], 0)), data, len(data), 0)
