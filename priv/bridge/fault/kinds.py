"""The fault kinds: the Erlang terms `pyinet_fault` takes, parsed and checked.

One vocabulary for every transport. `Dir` is the direction a fault acts on,
seen from the socket it is attached to: `recv` (bytes or datagrams coming from
the peer), `send` (going to the peer) or `both`.

| term | transports | what it does |
|---|---|---|
| `{chunks, Sizes}`, `{chunks, recv, Sizes}` | tcp | received bytes reach the socket's packet machine in exactly these pieces, then as they come |
| `{chunks, send, Sizes}`, `{chunks, send, Sizes, PauseMs}` | tcp | our writes reach the kernel in these pieces, with a pause between |
| `{latency, Dir, Ms}` | tcp, udp, sctp | everything is held back `Ms` (order kept) |
| `{jitter, Dir, MaxMs}` | tcp, udp, sctp | a random extra delay of 0..MaxMs (order kept on streams; datagrams may overtake) |
| `{bandwidth, Dir, BytesPerSec}` | tcp, udp, sctp | at most that many bytes a second pass |
| `{stall, Dir}` | tcp | recv: the socket stops reading from the kernel (the peer's window fills, its sends block); send: our writes stop reaching the kernel (send queue, busy, send_timeout) |
| `reset` | tcp | a real RST: the peer sees a reset, and so does this socket (`econnreset` from its next read) |
| `{half_close, recv}` | tcp | this socket sees end of input, as if the peer had shut down writing |
| `{half_close, send}` | tcp | the peer sees end of input: our write side is shut down in the kernel after what is queued |
| `{fail, Op, Posix}` | tcp (`send`, `recv`), tcp listen (`accept`), rules (`connect`) | the next such operation fails with `Posix`, as the kernel reports it; a failed send or recv leaves the connection dead (reset for `econnreset`, silent otherwise) |
| `blackhole`, `{blackhole, Dir}` | tcp, udp, sctp | bytes or datagrams (SCTP: data messages; its events still come) dropped, the connection stays up |
| `{truncate, Dir, N}` | tcp | N more bytes pass, then the connection is closed (shut down both ways in the kernel) |
| `{truncate, Dir, N}` | udp, sctp | every datagram is cut to N bytes |
| `{corrupt, Dir, Offset}` | tcp, udp, sctp | the byte at `Offset` (counted from the injection; for datagrams and messages, in every one) is inverted |
| `{drop, Dir, P}` | udp, sctp | each datagram dropped with probability P |
| `{duplicate, Dir, P}` | udp, sctp | each datagram sent twice with probability P |
| `{reorder, Dir, Window}`, `{reorder, Dir, Window, HoldMs}` | udp, sctp | datagrams are held until `Window` have come (or `HoldMs`, default 50, passed) and go on in a random order |
| `abort` | sctp | every association of the socket is aborted (a real ABORT chunk) |
| `{drop_stream, Dir, Stream}` | sctp | data on that stream is dropped |

Random choices come from the seeded generator of the port program
(`pyinet_fault:seed/1`); see layer.py.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass
from typing import Any

from ..etf.terms import Atom, atom

RECV, SEND = "recv", "send"
DIRECTIONS = {"recv": (RECV,), "send": (SEND,), "both": (RECV, SEND)}

TCP, TCP_LISTEN, UDP, SCTP, CONNECT = "tcp", "tcp_listen", "udp", "sctp", "connect"
STREAM = frozenset({TCP})
DATAGRAM = frozenset({UDP, SCTP})
ANY_DATA = STREAM | DATAGRAM

MAX_MS = 3_600_000  # an hour: a delay beyond it is a mistake, not a test


class BadFault(ValueError):
    """A term that is not a fault (or not one for this socket): {error, {bad_fault, Term}}."""

    def __init__(self, term):
        super().__init__(term)
        self.term = term


@dataclass(frozen=True)
class Fault:
    """A parsed fault. `term` is what the user gave (for traces and `rules/0`);
    `dirs` the directions it acts on; `transports` where it applies."""

    term: Any
    dirs: tuple = ()

    transports = ANY_DATA

    def applies_to(self, transport: str) -> bool:
        return transport in self.transports


@dataclass(frozen=True)
class Chunks(Fault):
    sizes: tuple = ()
    pause: float = 0.0
    transports = STREAM


@dataclass(frozen=True)
class Latency(Fault):
    delay: float = 0.0


@dataclass(frozen=True)
class Jitter(Fault):
    spread: float = 0.0


@dataclass(frozen=True)
class Bandwidth(Fault):
    rate: int = 0


@dataclass(frozen=True)
class Stall(Fault):
    transports = STREAM


@dataclass(frozen=True)
class Reset(Fault):
    transports = STREAM


@dataclass(frozen=True)
class HalfClose(Fault):
    transports = STREAM


@dataclass(frozen=True)
class Fail(Fault):
    op: str = ""
    errno: int = 0
    reason: Atom = atom("eio")

    def applies_to(self, transport: str) -> bool:
        return {"send": TCP, "recv": TCP, "accept": TCP_LISTEN, "connect": CONNECT}[self.op] == transport


@dataclass(frozen=True)
class Blackhole(Fault):
    pass


@dataclass(frozen=True)
class Truncate(Fault):
    length: int = 0


@dataclass(frozen=True)
class Corrupt(Fault):
    offset: int = 0


@dataclass(frozen=True)
class Drop(Fault):
    probability: float = 0.0
    transports = DATAGRAM


@dataclass(frozen=True)
class Duplicate(Fault):
    probability: float = 0.0
    transports = DATAGRAM


@dataclass(frozen=True)
class Reorder(Fault):
    window: int = 2
    hold: float = 0.05
    transports = DATAGRAM


@dataclass(frozen=True)
class Abort(Fault):
    transports = frozenset({SCTP})


@dataclass(frozen=True)
class DropStream(Fault):
    stream: int = 0
    transports = frozenset({SCTP})


# The errno of each posix atom, for {fail, Op, Posix}: what the kernel would
# raise, so that the transport reports it through its own path.
_ERRNOS = {name.lower(): number for name, number in errno.__dict__.items()
           if name.startswith("E") and name.isupper() and type(number) is int}


def parse(term) -> Fault:
    """The Fault for `term`, or BadFault."""
    try:
        fault = _parse(term)
    except (TypeError, ValueError, KeyError, IndexError):
        fault = None
    if fault is None:
        raise BadFault(term)
    return fault


def _is(value, name: str) -> bool:
    return isinstance(value, Atom) and not isinstance(value, bool) and value == name


def _dirs(value) -> tuple:
    if not isinstance(value, Atom) or isinstance(value, bool):
        raise ValueError(value)
    return DIRECTIONS[value]


def _ms(value) -> float:
    if type(value) is not int or not 0 <= value <= MAX_MS:
        raise ValueError(value)
    return value / 1000.0


def _positive(value) -> int:
    if type(value) is not int or value <= 0:
        raise ValueError(value)
    return value


def _non_negative(value) -> int:
    if type(value) is not int or value < 0:
        raise ValueError(value)
    return value


def _probability(value) -> float:
    if type(value) not in (int, float) or not 0 <= value <= 1:
        raise ValueError(value)
    return float(value)


def _sizes(value) -> tuple:
    if not isinstance(value, list) or not value or len(value) > 100_000:
        raise ValueError(value)
    return tuple(_positive(v) for v in value)


def _parse(t):
    if isinstance(t, Atom) and not isinstance(t, bool):
        if t == "reset":
            return Reset(t, (RECV, SEND))
        if t == "blackhole":
            return Blackhole(t, (RECV, SEND))
        if t == "abort":
            return Abort(t, (SEND,))
        return None
    if type(t) is not tuple or not t or not isinstance(t[0], Atom):
        return None
    name, args = t[0], t[1:]
    n = len(args)
    if name == "chunks":
        if n == 1:
            return Chunks(t, (RECV,), _sizes(args[0]))
        if n in (2, 3):
            dirs = _dirs(args[0])
            if len(dirs) != 1:
                return None
            pause = _ms(args[2]) if n == 3 else 0.0
            if dirs == (RECV,) and pause:
                return None  # a reader has no pause of its own: see latency
            return Chunks(t, dirs, _sizes(args[1]), pause)
        return None
    if name == "latency" and n == 2:
        return Latency(t, _dirs(args[0]), _ms(args[1]))
    if name == "jitter" and n == 2:
        return Jitter(t, _dirs(args[0]), _ms(args[1]))
    if name == "bandwidth" and n == 2:
        return Bandwidth(t, _dirs(args[0]), _positive(args[1]))
    if name == "stall" and n == 1:
        return Stall(t, _dirs(args[0]))
    if name == "half_close" and n == 1:
        dirs = _dirs(args[0])
        return HalfClose(t, dirs) if len(dirs) == 1 else None
    if name == "fail" and n == 2:
        op, reason = args
        if not isinstance(op, Atom) or op not in ("send", "recv", "connect", "accept"):
            return None
        if not isinstance(reason, Atom) or isinstance(reason, bool) or reason not in _ERRNOS:
            return None
        dirs = (SEND,) if op == "send" else (RECV,)
        return Fail(t, dirs, str(op), _ERRNOS[reason], atom(str(reason)))
    if name == "blackhole" and n == 1:
        return Blackhole(t, _dirs(args[0]))
    if name == "truncate" and n == 2:
        return Truncate(t, _dirs(args[0]), _non_negative(args[1]))
    if name == "corrupt" and n == 2:
        return Corrupt(t, _dirs(args[0]), _non_negative(args[1]))
    if name == "drop" and n == 2:
        return Drop(t, _dirs(args[0]), _probability(args[1]))
    if name == "duplicate" and n == 2:
        return Duplicate(t, _dirs(args[0]), _probability(args[1]))
    if name == "reorder" and n in (2, 3):
        window = _positive(args[1])
        if window > 10_000:
            return None
        hold = _ms(args[2]) if n == 3 else 0.05
        return Reorder(t, _dirs(args[0]), window, hold)
    if name == "drop_stream" and n == 2:
        stream = _non_negative(args[1])
        return DropStream(t, _dirs(args[0]), stream) if stream <= 65535 else None
    return None
