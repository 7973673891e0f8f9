"""The UDP requests (PROTOCOL.md, "UDP"): open, sendto, connect, recv and close.
The inet requests (setopts, getopts, sockname, peername, getstat, owner,
set_owner, getstatus) are the shared ones of bridge/tcp/requests.py.

A socket that is gone answers as gen_udp answers for a closed port: `closed`
(gen_udp finds no socket before it looks at anything else). Arguments are
checked after that, so a closed socket wins over a bad argument there too.
"""

from __future__ import annotations

import socket

from ..etf.terms import Atom, atom
from ..inet import options as opt
from ..requests import INFINITY, OK, any_term, binary, fail, non_neg_int, proplist, request, \
    socket_of
from .. import addresses
from ..netns import closed_on_error, open_socket
from .socket import UdpSocket, UdpState, apply_option, python_address

UNDEFINED = atom("undefined")

a_udp_socket = socket_of(UdpSocket)
_UINT32_MAX = 0xFFFFFFFF


def family(program, value) -> int:
    return addresses.family_of(value)


def recv_length(program, value) -> int:
    # prim_inet:recvfrom accepts any 32-bit length, and the driver ignores it.
    if type(value) is not int or not 0 <= value <= _UINT32_MAX:
        fail()
    return value


def recv_timeout(program, value) -> float | None:
    if value == INFINITY and not isinstance(value, bool):
        return None
    if type(value) is not int or not 0 <= value < _UINT32_MAX:
        fail()
    return value / 1000.0


@request("udp_open", family, any_term, non_neg_int, proplist)
def udp_open(program, call, fam, bind_ip, bind_port, options):
    """inet:open_bind (inet:open for a Unix socket): a datagram socket with its
    options set, then bound; an IP socket is always bound, to any:0 when told
    nothing. A leading {netns, Path} creates it in that network namespace; a
    leading {fd, Name} takes the descriptor the BEAM passed, bound only when
    told where."""
    sock, netns, options, passed = open_socket(fam, socket.SOCK_DGRAM, options)
    opts = opt.InetOptions()
    opts.netns = netns
    state = UdpState()
    passive_due = False
    with closed_on_error(sock):
        if passed and bind_ip == UNDEFINED and sock.family != fam:
            # inet_drv's fdopen of a socket it is not to bind: of its family.
            fail()
        for item in options:
            passive_due = apply_option(sock, fam, opts, state, item) or passive_due
        if passed and bind_ip == UNDEFINED:
            pass  # inet:open_fd: a descriptor the BEAM gave is bound already
        elif fam != socket.AF_UNIX:
            sock.bind(addresses.to_python(
                fam, addresses.ANY if bind_ip == UNDEFINED else bind_ip, bind_port))
        elif bind_ip != UNDEFINED:
            sock.bind(addresses.to_python(fam, bind_ip, 0))
    udp = UdpSocket(program, sock, fam, call.caller, opts, state)
    if passive_due:
        udp.passive_message()
    return (OK, udp.handle)


@request("udp_sendto", a_udp_socket, any_term, any_term, any_term, binary)
def udp_sendto(program, call, sock, address, port, anc, data):
    """One datagram to Address (ignored on a connected socket, as the driver does
    after checking it)."""
    if not isinstance(anc, list):
        fail()
    reply = sock.sendto(python_address(sock.family, address, port), anc, data)
    sock.port_command(_command_size(sock.family, address, anc, data))
    return reply


def _command_size(family: int, address, anc: list, data) -> int:
    """The size of prim_inet:sendto/4's port command for this send, which
    port_info counts as output: the address as enc_value(set, addr, _)
    writes it (a family byte, the port, the address; `any` without one), the
    ancillary data's length and items (an option byte and an int32 each),
    the datagram."""
    if family == socket.AF_UNIX:
        path = address[1] if type(address) is tuple and len(address) == 2 else b""
        addr = 2 + (len(path) if isinstance(path, (bytes, bytearray, memoryview)) else 0)
    elif address == addresses.ANY and isinstance(address, Atom):
        addr = 3
    elif family == socket.AF_INET6:
        addr = 27
    else:
        addr = 7
    return addr + 4 + 5 * len(anc) + len(data)


@request("udp_connect", a_udp_socket, any_term, any_term)
def udp_connect(program, call, sock, address, port):
    return sock.connect(python_address(sock.family, address, port))


@request("udp_recv", a_udp_socket, recv_length, recv_timeout)
def udp_recv(program, call, sock, _length, wait):
    return sock.recv(call, wait)


@request("udp_close", a_udp_socket)
def udp_close(program, call, sock):
    sock.close()
    return OK
