"""The inet layer: what every hosted inet socket shares, whatever its transport.
The socket base (`socket.py`: id, handle, owner, statistics, setopts/getopts),
the option table (`options.py`: inet_drv's local options and the kernel socket
options) and the requests every inet socket answers (`requests.py`, registered
when the package is imported)."""

from . import requests  # noqa: F401
