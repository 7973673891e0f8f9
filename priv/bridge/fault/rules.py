"""Which sockets a rule catches: the `match` of `pyinet_fault:add_rule/1`.

A match is a map; every key given must hold (no key: every socket):

| key | holds when |
|---|---|
| `local_address`, `local_port` | the socket's own address (sockname) is that IP tuple / port |
| `peer_address`, `peer_port` | the peer's (peername; a connect's destination) |
| `transport` | `tcp` (connections and listen sockets), `udp` or `sctp` |
| `owner_node` | the owner process runs on that node |
| `peer_node` | the socket carries distribution to that node (pyinet_dist says so) |
| `label` | `pyinet_fault:label(Socket, Label)` gave it that label (accepted sockets take their listen socket's) |
| `between` | `{GroupA, GroupB}`: one side of the socket is in one group and the other side in the other (partitions) |

A group is a map `#{nodes => [Node], labels => [Label], addresses => [{IP, Port}]}`:
a socket's own side is in it by its owner's node or its label, its peer's side
by its peer node or by the peer's address (the addresses of the sockets that
carry the group's labels, which pyinet_fault collects node-wide).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import RequestError
from ..etf.terms import Atom, Pid
from . import kinds as k

_KEYS = {"local_address", "local_port", "peer_address", "peer_port", "transport",
         "owner_node", "peer_node", "label", "between"}
_TRANSPORTS = {"tcp", "udp", "sctp"}
_NO_VALUE = object()


@dataclass(frozen=True)
class Group:
    nodes: frozenset = frozenset()
    labels: tuple = ()
    addresses: tuple = ()


@dataclass(frozen=True)
class Match:
    term: Any = None
    conditions: tuple = ()          # (key, value) pairs, all must hold
    between: tuple | None = None    # (Group, Group)


@dataclass
class Rule:
    id: int
    match: Match
    fault: k.Fault
    term: Any = None
    sockets: set = field(default_factory=set)  # ids of the sockets it caught


def parse_match(term) -> Match:
    if not isinstance(term, dict):
        raise k.BadFault(term)
    conditions = []
    between = None
    for key, value in term.items():
        if not isinstance(key, Atom) or key not in _KEYS:
            raise k.BadFault(term)
        if key == "between":
            if type(value) is not tuple or len(value) != 2:
                raise k.BadFault(term)
            between = (_group(value[0], term), _group(value[1], term))
        elif key == "transport" and value not in _TRANSPORTS:
            raise k.BadFault(term)
        elif key.endswith("_port") and (type(value) is not int or not 0 <= value <= 65535):
            raise k.BadFault(term)
        else:
            conditions.append((str(key), value))
    return Match(term, tuple(conditions), between)


def _group(value, term) -> Group:
    if not isinstance(value, dict):
        raise k.BadFault(term)
    nodes = value.get("nodes", [])
    labels = value.get("labels", [])
    addrs = value.get("addresses", [])
    if not all(isinstance(x, list) for x in (nodes, labels, addrs)):
        raise k.BadFault(term)
    if any(not isinstance(n, Atom) for n in nodes) or set(value) - {"nodes", "labels", "addresses"}:
        raise k.BadFault(term)
    return Group(frozenset(nodes), tuple(labels), tuple(addrs))


class View:
    """What a match is checked against: one socket's sides, looked up once."""

    def __init__(self, transport: str, local=_NO_VALUE, peer=_NO_VALUE, owner=None,
                 label=_NO_VALUE, peer_node=_NO_VALUE):
        self.transport = transport
        self.local = local
        self.peer = peer
        self.owner_node = owner.node if isinstance(owner, Pid) else _NO_VALUE
        self.label = label
        self.peer_node = peer_node

    @classmethod
    def of_socket(cls, sock, label=_NO_VALUE, peer_node=_NO_VALUE) -> "View":
        return cls({"tcp_listen": "tcp"}.get(sock.kind, sock.kind), _address(sock.sockname),
                   _address(sock.peername), sock.owner, label, peer_node)

    def get(self, key: str):
        if key == "transport":
            return self.transport
        if key in ("local_address", "local_port"):
            return _part(self.local, key)
        if key in ("peer_address", "peer_port"):
            return _part(self.peer, key)
        return getattr(self, key)

    def in_group(self, group: Group, side: str) -> bool:
        if side == "local":
            return (self.owner_node in group.nodes
                    or (self.label is not _NO_VALUE and self.label in group.labels))
        return (self.peer_node in group.nodes
                or (self.peer is not _NO_VALUE and any(_same_address(self.peer, a)
                                                       for a in group.addresses)))


def matches(match: Match, view: View) -> bool:
    for key, value in match.conditions:
        got = view.get(key)
        if got is _NO_VALUE or got != value:
            return False
    if match.between is not None:
        a, b = match.between
        if not ((view.in_group(a, "local") and view.in_group(b, "peer"))
                or (view.in_group(b, "local") and view.in_group(a, "peer"))):
            return False
    return True


def _same_address(peer, address) -> bool:
    """The peer is at `address`: the same port, and the same IP or `address`
    bound to any (a listen socket's own address, which its peers see as the
    IP they connected to)."""
    if type(address) is not tuple or len(address) != 2 or address[1] != peer[1]:
        return False
    ip = address[0]
    return ip == peer[0] or (type(ip) is tuple and not any(ip))


def _address(getter):
    try:
        value = getter()
    except (RequestError, OSError):
        return _NO_VALUE
    return value if type(value) is tuple and len(value) == 2 else _NO_VALUE


def _part(address, key: str):
    if address is _NO_VALUE:
        return _NO_VALUE
    return address[0] if key.endswith("address") else address[1]
