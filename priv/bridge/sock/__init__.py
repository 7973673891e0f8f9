"""Sockets of OTP's `socket` API hosted by the port program: the socket NIF's
semantics (select, abort, counters), ported to Python.

Importing the package registers its requests with the dispatcher.
"""

from . import requests  # noqa: F401
