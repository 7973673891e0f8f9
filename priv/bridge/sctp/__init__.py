"""SCTP sockets hosted by the port program: gen_sctp's semantics, inet_drv's
sctp_inet rules, the kernel's SCTP through the socket module.

Importing the package registers its requests with the dispatcher.
"""

from . import requests  # noqa: F401
