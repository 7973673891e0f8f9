"""The requests of the `socket` API (PROTOCOL.md, "socket requests"): one per
prim_socket function, each answering what prim_socket answers, so that
pyinet_socket.erl can do what socket.erl does with it. Replies the NIF would
raise come back as `{raise, Reason}` for the caller to raise.

A socket id names an open socket or a closed one (bridge/sock/registry.py):
every request checks its arguments first and then answers `{error, closed}`
for a closed socket, in the order the NIF checks them.
"""

from __future__ import annotations

import socket
import weakref

from ..errors import RequestError, oserror_atom
from ..etf.terms import Atom, Reference, atom
from ..requests import DEFERRED, any_term, binary, fail, request
from .. import addresses as sa
from .. import passfd
from . import cmsg
from . import options as sopt
from . import protocols
from .descriptor import CONNECTED, ERROR, INVALID, OK, UNDEFINED, ZERO, Raise
from .ops import UNDECODABLE, SockSocket, open_socket
from .registry import lookup

RAISE = atom("raise")
SELECT, IOV = atom("select"), atom("iov")
BADARG = atom("badarg")
SOCKADDR = atom("sockaddr")
INTEGER_RANGE = atom("integer_range")

MSG_FLAGS = {"cmsg_cloexec": 0x40000000, "confirm": 0x800, "ctrunc": 0x8, "dontroute": 0x4,
             "eor": 0x80, "errqueue": 0x2000, "more": 0x8000, "nosignal": 0x4000, "oob": 0x1,
             "peek": 0x2, "trunc": 0x20}


def a_socket(program, value) -> SockSocket:
    if type(value) is not int:
        fail()
    sock = lookup(program, value)
    if sock is None:
        return SockSocket(program, None, 0, 0, 0, None, sid=value)
    if not isinstance(sock, SockSocket):
        raise Raise(BADARG)
    return sock


def select_ref(program, value):
    if not isinstance(value, Reference) and not (value == ZERO and isinstance(value, Atom)):
        raise Raise(BADARG)
    return value


def a_ref(program, value):
    if not isinstance(value, Reference):
        raise Raise(BADARG)
    return value


def c_int(program, value) -> int:
    if type(value) is not int:
        raise Raise(BADARG)
    return value


def msg_flags(program, value) -> int:
    """prim_socket:enc_msg_flags (an integer is flags already encoded)."""
    if type(value) is int:
        return value
    if not isinstance(value, list):
        raise Raise((INVALID, (atom("msg_flags"), value)))
    flags = 0
    for i, flag in enumerate(value):
        if isinstance(flag, Atom) and not isinstance(flag, bool):
            if flag not in MSG_FLAGS:
                raise _Reply((ERROR, (INVALID, (atom("msg_flag"), flag))))
            flags |= MSG_FLAGS[flag]
        elif type(flag) is int and flag >= 0:
            flags |= flag
        else:
            raise Raise((INVALID, (atom("msg_flags"), value[i:])))
    return flags


class _Reply(Exception):
    """An answer found while checking the arguments (what prim_socket throws)."""

    def __init__(self, term):
        super().__init__(term)
        self.term = term


def nif(name: str, *checks):
    """Register a request whose checks and handler may raise as the NIF does,
    or answer early as prim_socket does."""
    def wrap(handler):
        def checked(program, call, *values):
            try:
                args = [check(program, v) for check, v in zip(checks, values)]
                return handler(program, call, *args)
            except Raise as exc:
                return (RAISE, exc.reason)
            except _Reply as exc:
                return exc.term
        return request(name, *([any_term] * len(checks)))(checked)
    return wrap


def _address(value):
    """(family, address) or the NIF's {invalid, sockaddr}."""
    try:
        return sa.decode(value)
    except sa.BadAddress:
        raise _Reply((INVALID, SOCKADDR)) from None


# -- open -------------------------------------------------------------------------------------

def _domain(value):
    if isinstance(value, Atom) and not isinstance(value, bool):
        return sa.DOMAINS.get(value)
    return value if sopt.c_int(value) else None


def _type(value):
    if isinstance(value, Atom) and not isinstance(value, bool):
        return sopt.TYPES.get(value)
    return value if sopt.c_int(value) else None


def _protocol(value) -> int:
    if value == atom("default") and isinstance(value, Atom):
        return 0
    if isinstance(value, Atom) and not isinstance(value, bool):
        num = protocols.number(value)
        if num is None:
            raise _Reply((ERROR, (INVALID, (atom("protocol"), value))))
        return num
    if type(value) is tuple and len(value) == 2 and value[0] == atom("raw") \
            and type(value[1]) is int:
        return value[1]
    if type(value) is int:
        return value
    raise Raise((INVALID, (atom("protocol"), value)))


@nif("sock_open", any_term, any_term, any_term, any_term)
def sock_open(program, call, domain, type_, protocol, opts):
    proto = _protocol(protocol)
    if not sopt.c_int(proto):
        # The NIF's {invalid, {integer_range, P}} meets an `if` in prim_socket:open/4.
        raise Raise(atom("if_clause"))
    if not isinstance(opts, dict):
        raise Raise(BADARG)
    dom, typ = _domain(domain), _type(type_)
    if dom is None:
        return (ERROR, (INVALID, (atom("domain"), domain)))
    if typ is None:
        return (ERROR, (INVALID, (atom("type"), type_)))
    netns = opts.get(atom("netns"))
    if netns is not None and not isinstance(netns, (bytes, bytearray, memoryview)):
        netns = None
    try:
        sock = open_socket(program, call.caller, dom, typ, proto, netns and bytes(netns))
    except OSError as exc:
        return (ERROR, oserror_atom(exc))
    _apply_switches(program, sock, opts)
    return (OK, sock.handle)


def _apply_switches(program, sock, opts: dict) -> None:
    """A new socket's debug and registry: its options', else the program's
    switches (esock_open_is_debug, esock_open_use_registry)."""
    switches = _switches(program)
    debug = opts.get(atom("debug"))
    sock.dbg = debug if debug is True or debug is False else switches["socket_debug"]
    use_reg = opts.get(atom("use_registry"))
    sock.use_reg = use_reg if use_reg is True or use_reg is False else switches["use_registry"]


_SWITCHES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _switches(program) -> dict:
    return _SWITCHES.setdefault(program, {"debug": False, "socket_debug": False,
                                          "use_registry": True})


@request("sock_command", any_term, any_term)
def sock_command(program, call, command, value):
    """socket:debug/1, socket_debug/1, use_registry/1: the NIF's global switches."""
    if command not in ("debug", "socket_debug", "use_registry") or \
            not isinstance(command, Atom) or (value is not True and value is not False):
        fail()
    _switches(program)[str(command)] = value
    return OK


@nif("sock_open_fd", any_term, any_term, any_term)
def sock_open_fd(program, call, name, orig_fd, opts):
    """socket:open(FD, Opts): a socket on the descriptor the BEAM passed through
    the receiver `name` (passfd.py); `orig_fd` is its number in the BEAM, which
    info/1 shows as {fromfd, FD}. As the NIF: the domain, type and protocol are
    the options' where they name one, else the kernel's, and one the kernel
    cannot tell is {invalid, domain | type}; then the descriptor is dup'ed
    (this program's copy is its dup), which fails with ebadf for no descriptor."""
    if not isinstance(opts, dict) or type(orig_fd) is not int:
        raise Raise(BADARG)
    proto = _protocol(opts[atom("protocol")]) if atom("protocol") in opts else None
    dom = _domain(opts[atom("domain")]) if atom("domain") in opts else None
    typ = _type(opts[atom("type")]) if atom("type") in opts else None
    try:
        fd = passfd.take(name)
    except RequestError:
        fd = None
    try:
        # Python asks the kernel for the domain, type and protocol.
        kernel = socket.socket(fileno=fd) if fd is not None else None
    except OSError:
        # Not a socket: the kernel tells nothing of it.
        passfd.close_fd(fd)
        kernel = None
    dom = dom or (kernel.family if kernel is not None else None)
    typ = typ or (kernel.type if kernel is not None else None)
    if dom is None or typ is None:
        if kernel is not None:
            kernel.close()
        return (INVALID, atom("domain" if dom is None else "type"))
    if kernel is None:
        return (ERROR, atom("ebadf" if fd is None else "enotsock"))
    if proto is None:
        proto = kernel.proto
    kernel.detach()
    sock = SockSocket(program, socket.socket(dom, typ, proto, fileno=fd), dom, typ, proto,
                      call.caller)
    sock.ctype = (atom("fromfd"), orig_fd)
    if _connected(sock.sock):
        sock.wstate |= CONNECTED
    _apply_switches(program, sock, opts)
    return (OK, sock.handle)


def _connected(kernel) -> bool:
    try:
        kernel.getpeername()
        return True
    except OSError:
        return False


# -- the rest, one per prim_socket function ------------------------------------------------

@nif("sock_bind", a_socket, any_term)
def sock_bind(program, call, sock, address):
    return sock.bind(*_address(address))


@nif("sock_listen", a_socket, c_int)
def sock_listen(program, call, sock, backlog):
    if not sopt.c_int(backlog):
        return (INVALID, (INTEGER_RANGE, backlog))
    return sock.listen(backlog)


@nif("sock_connect", a_socket, any_term, any_term)
def sock_connect(program, call, sock, ref, address):
    """{sock_connect, Id, Ref, Addr} starts a connect, {sock_connect, Id,
    undefined, undefined} completes it (prim_socket:connect/3 and /1)."""
    if ref == UNDEFINED and address == UNDEFINED:
        return sock.connect(call.caller, None, None, None)
    a_ref(program, ref)
    if program.release.connect_undecodable_address_is_einval:
        try:
            family, address = sa.decode(address)
        except sa.BadAddress:
            family, address = None, UNDECODABLE
        return sock.connect(call.caller, ref, family, address)
    return sock.connect(call.caller, ref, *_address(address))


@nif("sock_accept", a_socket, any_term)
def sock_accept(program, call, sock, ref):
    return sock.accept(call.caller, ref)


def _sent(result, flags: int):
    """prim_socket:send's results, with the number written where it has the rest."""
    if result == atom("select"):
        return (atom("select"), flags)
    if type(result) is tuple and result[0] == atom("select"):
        return (atom("select"), result[1], flags)
    return result


@nif("sock_send", a_socket, binary, msg_flags, a_ref)
def sock_send(program, call, sock, data, flags, ref):
    return _sent(sock.send(call.caller, data, flags, ref), flags)


@nif("sock_sendto", a_socket, binary, any_term, msg_flags, a_ref)
def sock_sendto(program, call, sock, data, dest, flags, ref):
    return _sent(sock.send(call.caller, data, flags, ref, _address(dest)), flags)


@nif("sock_recv", a_socket, c_int, msg_flags, select_ref)
def sock_recv(program, call, sock, length, flags, ref):
    if length < 0:
        raise Raise(BADARG)
    if length >= 1 << 63:
        return (INVALID, (INTEGER_RANGE, length))
    result = sock.recv(call.caller, length, flags, ref)
    if type(result) is tuple and result[0] is OK and len(result) == 2:
        # The payload goes out as its own buffer, not copied into the frame.
        call.reply_ok_binary(result[1])
        return DEFERRED
    return result


@nif("sock_recvfrom", a_socket, c_int, msg_flags, select_ref)
def sock_recvfrom(program, call, sock, length, flags, ref):
    if length < 0:
        raise Raise(BADARG)
    if length >= 1 << 63:
        return (INVALID, (INTEGER_RANGE, length))
    return sock.recvfrom(call.caller, length, flags, ref)


@nif("sock_sendmsg", a_socket, any_term, msg_flags, a_ref, any_term)
def sock_sendmsg(program, call, sock, msg, flags, ref, iov):
    """prim_socket:sendmsg: Msg as prim_socket:enc_msg leaves it (its addr with
    the family's defaults; its ctrl levels still names, which enc_cmsgs turns
    into numbers here, throwing for one that is none), IOV what is left to go."""
    if not isinstance(msg, dict):
        raise Raise(BADARG)
    try:
        encoded = cmsg.encode_levels(msg)
    except cmsg.BadLevel as exc:
        raise _Reply((ERROR, (INVALID, (atom("protocol"), exc.level)))) from None
    except cmsg.BadGenerator as exc:
        raise Raise((atom("bad_generator"), exc.value)) from None
    result = sock.sendmsg(call.caller, encoded, flags, ref, iov)
    # What goes on after a select (or after the first IOV_MAX binaries) needs
    # the message and flags as encoded, which socket.erl keeps in its
    # continuation.
    if result == SELECT:
        return (SELECT, encoded, flags)
    if type(result) is tuple and result[0] in (SELECT, IOV) and len(result) == 2:
        return (result[0], result[1], encoded, flags)
    return result


@nif("sock_recvmsg", a_socket, c_int, c_int, msg_flags, select_ref)
def sock_recvmsg(program, call, sock, bufsz, ctrlsz, flags, ref):
    if bufsz < 0 or ctrlsz < 0:
        raise Raise(BADARG)
    return sock.recvmsg(call.caller, bufsz, ctrlsz, flags, ref)


@nif("sock_sendfile", a_socket, any_term, any_term, any_term, a_ref)
def sock_sendfile(program, call, sock, name, offset, count, ref):
    """prim_socket:sendfile/5 (Name: the receiver the file's descriptor was
    passed through) and /4 (Name undefined: go on after a select)."""
    if type(offset) is not int or type(count) is not int or count < 0:
        raise Raise(BADARG)
    if name == UNDEFINED:
        return sock.sendfile(call.caller, ref, None, offset, count)
    try:
        fd = passfd.take(name)
    except RequestError:
        return (ERROR, (INVALID, atom("efile")))
    return sock.sendfile(call.caller, ref, fd, offset, count)


@nif("sock_ioctl", a_socket, any_term, any_term)
def sock_ioctl(program, call, sock, request, args):
    if not isinstance(args, list) or len(args) > 2:
        raise Raise(BADARG)
    return sock.ioctl(request, args)


@nif("sock_bindx", a_socket, any_term, any_term)
def sock_bindx(program, call, sock, addresses, action):
    """prim_socket:bind/3, sctp_bindx: the addresses encoded, an undecodable
    one answered {invalid, {sockaddr, N}} (its place in the list)."""
    if not isinstance(addresses, list) or action not in ("add", "remove") \
            or not isinstance(action, Atom):
        raise Raise(BADARG)
    return sock.bindx(addresses, action == "add")


@nif("sock_close", a_socket)
def sock_close(program, call, sock):
    return sock.close()


@nif("sock_shutdown", a_socket, any_term)
def sock_shutdown(program, call, sock, how):
    if how not in ("read", "write", "read_write") or not isinstance(how, Atom):
        raise Raise((INVALID, (atom("how"), how)))
    return sock.shutdown(how)


@nif("sock_setopt", a_socket, any_term, any_term, any_term)
def sock_setopt(program, call, sock, level, name, value):
    return sock.setopt(call.caller, level, name, value)


@nif("sock_getopt", a_socket, any_term, any_term)
def sock_getopt(program, call, sock, level, name):
    return sock.getopt(level, name)


@nif("sock_setopt_native", a_socket, any_term, any_term, any_term)
def sock_setopt_native(program, call, sock, level, name, value):
    return sock.setopt_native(level, name, value)


@nif("sock_getopt_native", a_socket, any_term, any_term, any_term)
def sock_getopt_native(program, call, sock, level, name, spec):
    return sock.getopt_native(level, name, spec)


@nif("sock_sockname", a_socket)
def sock_sockname(program, call, sock):
    return sock.sockname()


@nif("sock_peername", a_socket)
def sock_peername(program, call, sock):
    return sock.peername()


@nif("sock_cancel", a_socket, any_term, a_ref)
def sock_cancel(program, call, sock, op, ref):
    if not isinstance(op, Atom) or isinstance(op, bool):
        raise Raise(BADARG)
    return sock.cancel(call.caller, op, ref)


@nif("sock_info", a_socket)
def sock_info(program, call, sock):
    return sock.info()

