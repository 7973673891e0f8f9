"""The `fault_` requests (PROTOCOL.md, "Faults"), which `pyinet_fault` sends.

Bad input is `{error, {bad_fault, Term}}`: an unknown fault, one that does not
apply to the socket's transport, an ill-formed rule.
"""

from __future__ import annotations

import logging

from ..etf.format import format_term
from ..etf.terms import Atom, atom
from ..inet.socket import InetSocket
from ..requests import CLOSED, ERROR, OK, any_term, fail, non_neg_int, request, socket_of
from . import kinds as k

log = logging.getLogger("bridge.fault")

BAD_FAULT = atom("bad_fault")
any_inet = socket_of(InetSocket)


def _bad(term):
    return (ERROR, (BAD_FAULT, term))


@request("fault_inject", any_inet, any_term)
def inject(program, call, sock, term):
    if sock.sock is None:
        return (ERROR, CLOSED)
    try:
        program.faults.inject(sock, term)
    except k.BadFault:
        return _bad(term)
    return OK


@request("fault_clear", any_inet)
def clear(program, call, sock):
    program.faults.clear(sock)
    return OK


@request("fault_faults", any_inet)
def faults(program, call, sock):
    return (OK, program.faults.describe(sock))


@request("fault_label", any_inet, any_term)
def label(program, call, sock, value):
    program.faults.label(sock, value)
    return OK


@request("fault_peer_node", any_inet, any_term)
def peer_node(program, call, sock, node):
    if not isinstance(node, Atom):
        fail()
    program.faults.peer_node(sock, node)
    return OK


@request("fault_rule_add", non_neg_int, any_term, any_term)
def rule_add(program, call, rule_id, match, fault):
    try:
        program.faults.add_rule(rule_id, match, fault)
    except k.BadFault:
        return _bad({atom("match"): match, atom("fault"): fault})
    return OK


@request("fault_rule_delete", non_neg_int)
def rule_delete(program, call, rule_id):
    program.faults.delete_rule(rule_id)
    return OK


@request("fault_seed", any_term)
def seed(program, call, value):
    if type(value) is not int:
        fail()
    program.faults.seed(value)
    return OK


@request("fault_trace")
def trace(program, call):
    return (OK, program.faults.trace_terms())


@request("fault_trace_write", any_term, any_term)
def trace_write(program, call, path, entries):
    """Write trace entries (pyinet_fault:trace/0's, from every program) as
    msgpack, one map per entry, the Erlang terms in their printed form."""
    if not isinstance(path, (bytes, str)) or not isinstance(entries, list):
        fail()
    try:
        import msgpack
    except ImportError:
        return (ERROR, atom("enotsup"))
    try:
        with open(path, "wb") as out:
            for entry in entries:
                out.write(msgpack.packb(_plain(entry), use_bin_type=True))
    except OSError as exc:
        from ..errors import oserror_atom
        return (ERROR, oserror_atom(exc))
    return OK


def _plain(entry):
    """One trace entry for msgpack: numbers stay numbers, every other term is
    written as Erlang prints it."""
    if not isinstance(entry, dict):
        return {"entry": format_term(entry)}
    return {str(key): value if type(value) in (int, float) else format_term(value)
            for key, value in entry.items()}
