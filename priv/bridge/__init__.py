"""pyinet's port program: Python-hosted TCP, UDP and SCTP sockets for the BEAM.

Run as `python -m bridge` by the Erlang application `pyinet` (or by any client that
speaks PROTOCOL.md over `open_port/2` with `{packet, 4}`).
"""

__version__ = "0.1.0"

# Bumped on every change a client could notice (PROTOCOL.md, "Versions").
PROTOCOL_VERSION = 4
