"""Requests from the BEAM: the table of handlers and the checks on their arguments.

A request frame is `{Ref, Caller, {Name, Arg...}}`. The handler registered for Name
with `@request(name, check...)` gets a `Call` and the arguments, each converted by
its check; a check that fails replies `{error, einval}` (or the error the check
names, such as `closed` for a socket id that is gone) without calling the handler.
A handler returns the reply term, or DEFERRED when it will call `call.reply()`
later (a recv waiting for data, an accept waiting for a connection).
"""

from __future__ import annotations

import struct
from typing import Any, Callable

from .errors import RequestError
from .etf.terms import Atom, Pid, Reference, atom

EINVAL = atom("einval")
CLOSED = atom("closed")
OK = atom("ok")
ERROR = atom("error")
INFINITY = atom("infinity")

_OK_TAG = b"h\x02w\x02ok"  # the start of {ok, _}: SMALL_TUPLE_EXT 2, the atom ok
_BINARY_EXT = struct.Struct(">BI")


class _Deferred:
    def __repr__(self) -> str:
        return "DEFERRED"


DEFERRED = _Deferred()


class Call:
    """One request waiting for its reply: `{Ref, Reply}` sent to Caller."""

    __slots__ = ("program", "caller", "ref", "replied")

    def __init__(self, program, caller: Pid, ref):
        self.program = program
        self.caller = caller
        self.ref = ref
        self.replied = False

    def reply(self, term) -> None:
        if self.replied:
            return
        self.replied = True
        self.program.send(self.caller, (self.ref, term))

    def error(self, reason) -> None:
        self.reply((ERROR, reason))

    def reply_ok_binary(self, data) -> None:
        """Reply {ok, Data} with Data a binary, handing the payload to the writer
        as its own buffer: a large recv is not copied into a joined frame."""
        caller_ext = getattr(self.caller, "ext", None)
        ref_ext = self.ref.ext if isinstance(self.ref, Reference) else None
        if caller_ext is None or ref_ext is None or self.replied:
            self.reply((OK, data))
            return
        self.replied = True
        self.program.send_encoded(b"\x83h\x02" + caller_ext + b"h\x02" + ref_ext + _OK_TAG,
                                  _BINARY_EXT.pack(109, len(data)), data)

    def __repr__(self) -> str:
        return f"<Call {self.caller} {self.ref!r}{' replied' if self.replied else ''}>"


class _NoReply(Call):
    """The call of a send the client did not wait for: its reply goes nowhere."""

    def __init__(self) -> None:
        super().__init__(None, None, None)

    def reply(self, term) -> None:
        pass

    def reply_ok_binary(self, data) -> None:
        pass

    def __repr__(self) -> str:
        return "<NO_REPLY>"


NO_REPLY = _NoReply()

Handler = Callable[..., Any]
REQUESTS: dict[str, tuple[Handler, tuple]] = {}


def request(name: str, *checks: Callable):
    """Register the handler of request `name` whose arguments pass `checks`."""

    def register(handler: Handler) -> Handler:
        if name in REQUESTS:
            raise ValueError(f"request {name} registered twice")
        REQUESTS[name] = (handler, checks)
        return handler

    return register


def dispatch(program, call: Call, req: tuple) -> None:
    """Run the handler of `req` and send its reply (unless it was deferred)."""
    entry = REQUESTS.get(req[0])
    if entry is None:
        call.error(atom("enotsup"))
        return
    handler, checks = entry
    if len(req) - 1 != len(checks):
        call.error(EINVAL)
        return
    try:
        args = [check(program, value) for check, value in zip(checks, req[1:])]
        result = handler(program, call, *args)
    except RequestError as exc:
        call.error(exc.reason)
        return
    if result is not DEFERRED:
        call.reply(result)


# -- argument checks: (program, value) -> converted value, or RequestError ----------

def fail(reason=EINVAL):
    raise RequestError(reason)


def any_term(program, value):
    return value


def pid(program, value) -> Pid:
    if not isinstance(value, Pid):
        fail()
    return value


def an_atom(program, value) -> Atom:
    if not isinstance(value, Atom) or isinstance(value, bool):
        fail()
    return value


def one_of(*names: str):
    allowed = frozenset(names)

    def check(program, value):
        if not isinstance(value, str) or isinstance(value, bool) or value not in allowed:
            fail()
        return atom(value)

    return check


def non_neg_int(program, value) -> int:
    if type(value) is not int or value < 0:
        fail()
    return value


def timeout(program, value) -> float | None:
    """A timeout in milliseconds or `infinity`; returned in seconds or None."""
    if value == INFINITY and isinstance(value, Atom):
        return None
    if type(value) is not int or value < 0:
        fail()
    return value / 1000.0


def binary(program, value):
    if not isinstance(value, (bytes, bytearray, memoryview)):
        fail()
    return value


def proplist(program, value) -> list:
    if not isinstance(value, list):
        fail()
    return value


def atom_list(program, value) -> list:
    if not isinstance(value, list):
        fail()
    for v in value:
        if not isinstance(v, Atom) and not isinstance(v, (tuple, bool)):
            fail()
    return value


def socket_of(kind: type | tuple, missing=CLOSED):
    """The socket with this id, which must be of `kind`; a socket that is gone (or
    never was) gives {error, missing}, as OTP answers for a closed port."""

    def check(program, value):
        if type(value) is not int:
            fail()
        sock = program.sockets.get(value)
        if sock is None or not isinstance(sock, kind):
            fail(missing)
        return sock

    return check
