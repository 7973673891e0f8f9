"""The fault layer: deterministic network faults on hosted sockets, driven
from Erlang (`pyinet_fault`).

A fault sits between a socket's kernel socket and its transport's core: the
core sees only the bytes, ends and errors the layer lets through, with the
errnos the kernel would give, so every transport keeps its own semantics
under every fault and has no branch for any. The pieces:

- kinds.py: the fault terms, parsed and checked (the catalogue is there);
- stream.py, datagram.py: one direction of a stream / of datagrams under
  faults, sans-I/O (time passed in);
- wire.py, stream_wire.py, datagram_wire.py, sctp_wire.py, listener_wire.py:
  the edge that stands in for the socket and the loop of a TCP connection / a
  UDP socket / an SCTP socket (either backend) / a TCP listen socket;
- rules.py: which sockets a rule catches (partitions among them);
- layer.py: the program's faults, rules, seeded randomness and trace;
- requests.py: the `fault_` requests (PROTOCOL.md).
"""

from . import requests  # noqa: F401  (registers the requests)
