"""The SCTP requests (PROTOCOL.md, "SCTP"): what prim_inet asks of an sctp_inet
port, one request each. The Erlang side (pyinet_sctp) has checked option and
record types as prim_inet does and completed records with their defaults.

A socket that is gone answers as gen_sctp answers for a closed port: `closed`
where gen_sctp looks the socket up first (lookup, listen, connect, send, recv,
peeloff, close), `einval` where prim_inet asks the port directly (socknames,
peernames). What every inet socket answers (setopts, getopts, sockname, ...,
ownership) is in bridge/inet/requests.py.
"""

from __future__ import annotations

import socket

from ..errors import RequestError, oserror_atom
from ..etf.terms import Atom, atom
from ..requests import (EINVAL, OK, any_term, binary, fail, non_neg_int,
                        proplist, request, socket_of, timeout)
from .. import addresses
from . import backends
from . import options as sopt
from . import structs as st
from .socket import SctpSocket

ADD, REMOVE = atom("add"), atom("remove")
_TYPES = {atom("seqpacket"): socket.SOCK_SEQPACKET, atom("stream"): socket.SOCK_STREAM}
_FAMILY_NAMES = {socket.AF_INET: atom("inet"), socket.AF_INET6: atom("inet6")}

sctp_socket = socket_of(SctpSocket)
sctp_socket_einval = socket_of(SctpSocket, missing=EINVAL)


def inet_family(program, value) -> int:
    fam = addresses.family_of(value)
    if fam not in (socket.AF_INET, socket.AF_INET6):
        fail()
    return fam


def sock_type(program, value) -> int:
    kind = _TYPES.get(value) if isinstance(value, Atom) else None
    if kind is None:
        fail()
    return kind


def uint32(program, value) -> int:
    if type(value) is not int:
        fail()
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


def _address(family: int, addr) -> tuple[int, object]:
    """An Erlang address for bind/connect ({IP | any | loopback, Port}, or a
    sockaddr map) as (family, Python address), as inet_set_faddress reads it:
    an IP's own family, the socket's for any and loopback."""
    if isinstance(addr, dict):
        fam = addresses.family_of(addr.get(atom("family")))
        return fam, addresses.from_map(fam, addr)
    if type(addr) is not tuple or len(addr) != 2:
        fail()
    ip, port = addr
    if type(ip) is tuple and len(ip) in (4, 8):
        fam = socket.AF_INET if len(ip) == 4 else socket.AF_INET6
    else:
        fam = family
    return fam, addresses.to_python(fam, ip, port)


def _packed(family: int, addr) -> bytes:
    """The sockaddr_in or sockaddr_in6 sctp_bindx takes for this address."""
    if isinstance(addr, dict):
        addr = (addr.get(atom("addr"), atom("any")), addr.get(atom("port"), 0))
    try:
        return st.pack_sockaddr(family, addr, exact=True)
    except st.StructError:
        fail()


@request("sctp_open", inet_family, sock_type, proplist)
def sctp_open(program, call, family, kind, options):
    """prim_inet:open(sctp, Family, Type) and its setopts: {ok, S} owned by
    the caller, on the backend an `{sctp_backend, B}` in the options names
    (anywhere in them), else the program's default (backends.py)."""
    backend = backends.default()
    rest = []
    for item in options:
        if type(item) is tuple and len(item) == 2 and item[0] == backends.OPTION:
            if item[1] not in (backends.KERNEL, backends.USERLAND):
                fail()
            backend = item[1]
        else:
            rest.append(item)
    options = rest
    try:
        sock = backends.new_socket(program, backend, family, kind)
    except OSError as exc:
        raise RequestError(oserror_atom(exc)) from None
    s = SctpSocket(program, sock, family, call.caller, sopt.SctpOptions(),
                   one_to_one=kind == socket.SOCK_STREAM)
    try:
        s.setopts(options)
    except RequestError:
        s.close()
        raise
    return (OK, s.handle)


@request("sctp_lookup", sctp_socket)
def sctp_lookup(program, call, s):
    """inet_db:lookup_socket/1: the family, or closed."""
    return (OK, _FAMILY_NAMES[s.family])


@request("sctp_bind", sctp_socket_einval, any_term)
def sctp_bind(program, call, s, addr):
    """INET_REQ_BIND: {ok, Port}. An address of the other family goes through
    sctp_bindx, which binds an unbound socket to it as bind() would."""
    fam, pyaddr = _address(s.family, addr)
    try:
        if fam == s.family:
            s.sock.bind(pyaddr)
        else:
            s.api.bindx(_packed(s.family, addr))
        port = pyaddr[1]
        if port == 0:
            port = s.sock.getsockname()[1]
    except OSError as exc:
        raise RequestError(oserror_atom(exc)) from None
    return (OK, port)


@request("sctp_bindx", sctp_socket_einval, any_term, proplist)
def sctp_bindx(program, call, s, how, addrs):
    """SCTP_REQ_BINDX: one address at a time, as the driver calls sctp_bindx."""
    if how not in (ADD, REMOVE) or not isinstance(how, Atom):
        fail()
    for addr in addrs:
        packed = _packed(s.family, addr)
        try:
            s.api.bindx(packed, how == ADD)
        except OSError as exc:
            raise RequestError(oserror_atom(exc)) from None
    return OK


@request("sctp_listen", sctp_socket, non_neg_int)
def sctp_listen(program, call, s, backlog):
    return s.listen(backlog)


@request("sctp_connect", sctp_socket, any_term)
def sctp_connect(program, call, s, addr):
    _fam, pyaddr = _address(s.family, addr)
    return s.connect(pyaddr)


@request("sctp_connectx", sctp_socket, proplist)
def sctp_connectx(program, call, s, addrs):
    """gen_sctp:connectx_init: one association to the peer at all these addresses."""
    if not addrs:
        fail()
    return s.connectx(b"".join(_packed(s.family, addr) for addr in addrs))


@request("sctp_sendmsg", sctp_socket, any_term, binary)
def sctp_sendmsg(program, call, s, sri, data):
    """gen_sctp:send/3 (and eof/2, abort/2): a #sctp_sndrcvinfo{} and the data."""
    try:
        packed = st.pack_sndrcvinfo(sri)
    except st.StructError:
        fail()
    return s.sendmsg(packed, data)


@request("sctp_send", sctp_socket, uint32, non_neg_int, binary)
def sctp_send(program, call, s, assoc_id, stream, data):
    """gen_sctp:send/4: the association's default send parameters with this
    stream (inet_sctp:send/4), or only the stream when they cannot be read."""
    defaults = s.default_send_params(assoc_id)
    if defaults is None:
        sri = st.SNDRCVINFO.pack(stream & 0xFFFF, 0, 0, 0, 0, 0, 0, 0, assoc_id)
    else:
        _, _, flags, ppid, context, ttl, _, _, _ = defaults
        sri = st.SNDRCVINFO.pack(stream & 0xFFFF, 0, flags, ppid, context, ttl, 0, 0, assoc_id)
    return s.sendmsg(sri, data)


@request("sctp_recv", sctp_socket, timeout)
def sctp_recv(program, call, s, wait):
    return s.recv(call, wait)


@request("sctp_peeloff", sctp_socket, uint32)
def sctp_peeloff(program, call, s, assoc_id):
    return s.peeloff(call.caller, assoc_id)


@request("sctp_close", sctp_socket)
def sctp_close(program, call, s):
    return s.close()


@request("sctp_socknames", sctp_socket_einval, uint32)
def sctp_socknames(program, call, s, assoc_id):
    return (OK, s.addresses(True, assoc_id))


@request("sctp_peernames", sctp_socket_einval, uint32)
def sctp_peernames(program, call, s, assoc_id):
    return (OK, s.addresses(False, assoc_id))
