"""The requests every inet socket answers, whatever its transport (TCP, UDP,
SCTP): inet:setopts/getopts, sockname/peername, getstat, the status flags of
inet:info/1, and ownership (PROTOCOL.md, "Requests every inet socket answers").

A socket that is gone answers as inet answers for a closed port: `einval`,
since prim_inet asks the port directly, except `inet_set_owner`, the last step
of controlling_process/2, which says `closed`. Each transport's socket class
(an `InetSocket`) decides what an option means to it.
"""

from __future__ import annotations

from ..etf.terms import atom
from ..requests import ERROR, OK, pid, proplist, request, socket_of
from .socket import InetSocket

NOT_OWNER = atom("not_owner")

inet_socket = socket_of(InetSocket)
inet_socket_einval = socket_of(InetSocket, missing=atom("einval"))


@request("inet_setopts", inet_socket_einval, proplist)
def inet_setopts(program, call, sock: InetSocket, options):
    sock.setopts(options)
    return OK


@request("inet_getopts", inet_socket_einval, proplist)
def inet_getopts(program, call, sock: InetSocket, names):
    return (OK, sock.getopts(names))


@request("inet_sockname", inet_socket_einval)
def inet_sockname(program, call, sock: InetSocket):
    return (OK, sock.sockname())


@request("inet_peername", inet_socket_einval)
def inet_peername(program, call, sock: InetSocket):
    return (OK, sock.peername())


@request("inet_getstat", inet_socket_einval, proplist)
def inet_getstat(program, call, sock: InetSocket, names):
    return (OK, sock.getstat(names))


@request("inet_getstatus", inet_socket_einval)
def inet_getstatus(program, call, sock: InetSocket):
    """prim_inet:getstatus/1, which inet:info/1 reports as `states`."""
    return (OK, sock.status())


@request("inet_port_info", inet_socket_einval)
def inet_port_info(program, call, sock: InetSocket):
    """What inet:info/1 takes from erlang:port_info/1 that is the socket's
    (input, output, monitors) and the number of sends; the client adds the
    owner as links, and memory (PROTOCOL.md)."""
    return (OK, [(atom("input"), 0), (atom("output"), sock.commanded),
                 (atom("commands"), sock.commands),
                 (atom("monitors"), [(atom("process"), p) for p in sock.port_monitors()])])


@request("inet_owner", inet_socket_einval)
def inet_owner(program, call, sock: InetSocket):
    return (OK, sock.owner)


@request("inet_set_owner", inet_socket, pid)
def inet_set_owner(program, call, sock: InetSocket, new_owner):
    """The last step of controlling_process/2 (port_connect): only the owner
    may take it."""
    if call.caller != sock.owner:
        return (ERROR, NOT_OWNER)
    if new_owner != sock.owner:
        sock.set_owner(new_owner)
    return OK
