"""The port program's fault layer: which faults each socket has, the rules that
give faults to sockets, the seeded randomness, and the trace of what was done.

A socket with faults gets a wire (stream_wire.py for TCP, datagram_wire.py for
UDP), which stands between its kernel socket and its transport; a socket
without has none, and pays nothing. Faults come from `inject` (one socket) or
from rules, which the layer checks when a socket opens, gets a label or a peer
node, and when the rule is added; deleting a rule takes its faults back.

Randomness: `seed(N)` starts a new run: each fault attached after it gets a
generator of its own, seeded from N and the count of attachments since, so
the same seed and the same sequence of injections give the same choices, in
whatever order the sockets' traffic interleaves. The trace lists every fault
applied (time since the seed, socket, fault, what it did, bytes), for replay
and for a failing test's log; it keeps the last TRACE_MAX entries.
"""

from __future__ import annotations

import logging
import random
from collections import deque

from ..etf.terms import atom
from . import kinds as k
from . import rules as r
from .datagram_wire import DatagramWire
from .listener_wire import ListenerWire
from .sctp_wire import SctpWire
from .stream_wire import StreamWire

log = logging.getLogger("bridge.fault")

TRACE_MAX = 200_000
UNDEFINED = atom("undefined")
_WIRES = {"tcp": StreamWire, "tcp_listen": ListenerWire, "udp": DatagramWire, "sctp": SctpWire}
_FIRED_AT_ONCE = (k.Reset, k.HalfClose, k.Abort)


class FaultLayer:
    def __init__(self, program):
        self.program = program
        self.seed_value = 0
        self._attachments = 0
        self._rngs: dict = {}
        self.epoch = program.loop.time()
        self.rules: dict[int, r.Rule] = {}
        self.wires: dict[int, object] = {}
        self.faults: dict[int, list] = {}   # socket id -> [(origin, Fault)]
        self.labels: dict[int, object] = {}
        self.peer_nodes: dict[int, object] = {}
        self.trace: deque = deque(maxlen=TRACE_MAX)
        self.trace_lost = 0
        self._seq = 0

    @property
    def watching(self) -> bool:
        """Whether a new socket must be looked at (rules to check, labels to inherit)."""
        return bool(self.rules or self.labels)

    # -- randomness and the trace ---------------------------------------------------------

    def seed(self, value: int) -> None:
        self.seed_value = value
        self._attachments = 0
        self._rngs.clear()
        self.epoch = self.program.loop.time()
        self.trace.clear()
        self.trace_lost = 0
        self._seq = 0
        # Faults already attached draw from generators of their own, so that
        # the ones attached from now on are numbered from one whatever was there.
        count = 0
        for sid, faults in self.faults.items():
            for _, fault in faults:
                count += 1
                self._rngs[(sid, id(fault))] = random.Random(f"{value}:before:{count}")

    def _new_rng(self, sid: int, fault) -> None:
        self._attachments += 1
        self._rngs[(sid, id(fault))] = random.Random(f"{self.seed_value}:{self._attachments}")

    def rng_for(self, sock, fault) -> random.Random:
        rng = self._rngs.get((sock.id, id(fault)))
        if rng is None:
            self._new_rng(sock.id, fault)
            rng = self._rngs[(sock.id, id(fault))]
        return rng

    def record(self, sock, fault, action: str, nbytes: int) -> None:
        if len(self.trace) == self.trace.maxlen:
            self.trace_lost += 1
        self._seq += 1
        elapsed = self.program.loop.time() - self.epoch
        self.trace.append((self._seq, round(elapsed * 1000.0, 3), sock.handle,
                           UNDEFINED if fault is None else fault.term, atom(action), nbytes))

    def trace_terms(self) -> list:
        return [{atom("seq"): seq, atom("time"): t, atom("socket"): handle, atom("fault"): term,
                 atom("action"): action, atom("bytes"): n}
                for seq, t, handle, term, action, n in self.trace]

    # -- faults on one socket -----------------------------------------------------------------

    def inject(self, sock, term) -> None:
        fault = k.parse(term)
        if not fault.applies_to(sock.kind):
            raise k.BadFault(term)
        self._attach(sock, fault, "inject")

    def _attach(self, sock, fault, origin) -> None:
        if sock.sock is None:
            return  # closed under its handle: nothing left to misbehave
        wire = self.wires.get(sock.id)
        if wire is None:
            wire = self.wires[sock.id] = _WIRES[sock.kind](self, sock)
        self.faults.setdefault(sock.id, []).append((origin, fault))
        self._new_rng(sock.id, fault)
        self.record(sock, fault, "injected" if origin == "inject" else "caught", 0)
        wire.attach(fault)
        if isinstance(fault, _FIRED_AT_ONCE):
            self.fired(sock, fault)

    def fired(self, sock, fault) -> None:
        """A one-shot fault did what it does: it is no longer the socket's."""
        faults = self.faults.get(sock.id)
        if faults:
            self.faults[sock.id] = [(o, f) for o, f in faults if f is not fault]

    def clear(self, sock, origin=None) -> None:
        """Take the socket's faults back (those of one origin, or all)."""
        faults = self.faults.get(sock.id, [])
        keep = [(o, f) for o, f in faults if origin is not None and o != origin]
        wire = self.wires.get(sock.id)
        for o, f in faults:
            if (o, f) not in keep and wire is not None:
                wire.detach(f)
                self._rngs.pop((sock.id, id(f)), None)
        if keep:
            self.faults[sock.id] = keep
        else:
            self.faults.pop(sock.id, None)
            if wire is not None and wire.step_aside():
                del self.wires[sock.id]

    def wire_closed(self, sock) -> None:
        self.wires.pop(sock.id, None)
        for _, fault in self.faults.pop(sock.id, []):
            self._rngs.pop((sock.id, id(fault)), None)
        self.labels.pop(sock.id, None)
        self.peer_nodes.pop(sock.id, None)
        for rule in self.rules.values():
            rule.sockets.discard(sock.id)

    def socket_gone(self, sock) -> None:
        """The socket left the program (its wire, if any, may still be writing)."""
        if sock.id not in self.wires:
            self.wire_closed(sock)

    # -- labels and peers ------------------------------------------------------------------------

    def label(self, sock, value) -> None:
        self.labels[sock.id] = value
        self._check_rules(sock)

    def peer_node(self, sock, node) -> None:
        self.peer_nodes[sock.id] = node
        self._check_rules(sock)

    def socket_opened(self, sock) -> None:
        """A new socket: an accepted one takes its listen socket's label, then
        the rules are checked."""
        if sock.id not in self.program.sockets:
            return
        if sock.kind == "tcp" and sock.id not in self.labels:
            label = self._listener_label(sock)
            if label is not None:
                self.labels[sock.id] = label[0]
        self._check_rules(sock)

    def _listener_label(self, conn):
        try:
            local = conn.sockname()
        except Exception:
            return None
        for sid, value in self.labels.items():
            other = self.program.sockets.get(sid)
            if other is None or other.kind != "tcp_listen" or other.family != conn.family:
                continue
            try:
                address = other.sockname()
            except Exception:
                continue
            if r._same_address(local, address):
                return (value,)
        return None

    # -- rules -------------------------------------------------------------------------------------

    def add_rule(self, rule_id: int, match_term, fault_term) -> None:
        match = r.parse_match(match_term)
        fault = k.parse(fault_term)
        self.delete_rule(rule_id)
        rule = r.Rule(rule_id, match, fault, (match_term, fault_term))
        self.rules[rule_id] = rule
        if not isinstance(fault, k.Fail) or fault.op != "connect":
            for sock in list(self.program.sockets.values()):
                self._check_rule(rule, sock)

    def delete_rule(self, rule_id: int) -> None:
        rule = self.rules.pop(rule_id, None)
        if rule is None:
            return
        for sid in list(rule.sockets):
            sock = self.program.sockets.get(sid)
            if sock is not None:
                self.clear(sock, origin=("rule", rule_id))

    def set_rules(self, rules: list) -> None:
        """The whole rule set, as the client keeps it (a new program starts with it)."""
        for rule_id in list(self.rules):
            self.delete_rule(rule_id)
        for rule_id, match_term, fault_term in rules:
            try:
                self.add_rule(rule_id, match_term, fault_term)
            except k.BadFault:
                log.warning("dropped an ill-formed fault rule %r", rule_id)

    def _check_rules(self, sock) -> None:
        for rule in list(self.rules.values()):
            self._check_rule(rule, sock)

    def _check_rule(self, rule, sock) -> None:
        if sock.id in rule.sockets or sock.sock is None:
            return
        transport = sock.kind
        if not rule.fault.applies_to(transport) or (transport == k.TCP and not sock.connected):
            return
        view = r.View.of_socket(sock, self.labels.get(sock.id, r._NO_VALUE),
                                self.peer_nodes.get(sock.id, r._NO_VALUE))
        if r.matches(rule.match, view):
            rule.sockets.add(sock.id)
            self._attach(sock, rule.fault, ("rule", rule.id))

    def connect_refusal(self, transport: str, peer, owner):
        """The error a connect to `peer` ({IP, Port}) by `owner` gets from a
        `{fail, connect, Posix}` rule, or None."""
        view = r.View(transport, peer=peer, owner=owner)
        for rule in self.rules.values():
            fault = rule.fault
            if isinstance(fault, k.Fail) and fault.op == "connect" and r.matches(rule.match, view):
                self._seq += 1
                self.trace.append((self._seq, round((self.program.loop.time() - self.epoch) * 1000.0, 3),
                                   UNDEFINED, fault.term, atom("failed"), 0))
                return fault.reason
        return None

    def describe(self, sock) -> list:
        return [f.term for _, f in self.faults.get(sock.id, [])]

