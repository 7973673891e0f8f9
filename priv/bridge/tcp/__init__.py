"""TCP sockets hosted by the port program: gen_tcp's semantics, inet_drv's rules.

Importing the package registers its requests with the dispatcher.
"""

from . import requests  # noqa: F401
