"""Seeing what the port program does: its stats, its sockets, the wire trace."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from bridge.etf.format import format_term
from bridge.etf.terms import Atom, ImproperList, String, atom
from bridge.trace import read

from bridge_client import ROOT, BridgeProcess, ok


def test_stats_and_sockets_requests():
    b = BridgeProcess()
    try:
        reply = b.call((atom("tcp_listen"), atom("inet"), (127, 0, 0, 1), 0, 5, []))
        assert reply[0] == ok
        tag, stats = b.call((atom("program_stats"),))
        assert tag == ok
        assert stats[atom("sockets")] == 1
        assert stats[atom("sockets_by_kind")] == {atom("tcp_listen"): 1}
        assert stats[atom("frames_in")] >= 2 and stats[atom("frames_out")] >= 2
        assert stats[atom("os_pid")] == b.proc.pid
        tag, [sock] = b.call((atom("program_sockets"),))
        assert sock[atom("state")] == atom("listening")
        assert sock[atom("local")][0] == (127, 0, 0, 1)
        assert sock[atom("reading")] is False
    finally:
        b.close()


def test_sockets_say_whether_the_program_reads_them():
    b = BridgeProcess()
    peer = socket.create_server(("127.0.0.1", 0))
    try:
        port = peer.getsockname()[1]
        tag, _ = b.call((atom("tcp_connect"), atom("inet"), (127, 0, 0, 1), port, atom("undefined"), 0,
                         [(atom("active"), True)], 1000))
        assert tag == ok
        [conn] = [s for s in b.call((atom("program_sockets"),))[1] if s[atom("state")] == atom("connected")]
        assert conn[atom("reading")] is True  # active: reads whatever comes
        assert b.call((atom("inet_setopts"), conn[atom("id")], [(atom("active"), False)])) == ok
        [conn] = [s for s in b.call((atom("program_sockets"),))[1] if s[atom("state")] == atom("connected")]
        assert conn[atom("reading")] is False  # passive, no recv waiting
    finally:
        peer.close()
        b.close()


def test_trace_records_every_frame_in_order(tmp_path):
    path = tmp_path / "wire.trace"
    b = BridgeProcess(env={"PYINET_TRACE": str(path)})
    try:
        b.call((atom("inet_getopts"), 42, []))
    finally:
        assert b.close() == 0
    frames = list(read(str(path)))
    directions = [d for _, d, _ in frames]
    assert directions == [1, 0, 1]  # hello out, request in, reply out
    assert frames[0][2][1][0] == atom("hello")
    assert frames[1][2][2] == (atom("inet_getopts"), 42, [])
    assert frames[2][2][1][1] == (atom("error"), atom("einval"))
    printed = subprocess.run([sys.executable, "-m", "bridge.trace", str(path)], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout.splitlines()
    assert len(printed) == 3 and "{inet_getopts,42,[]}" in printed[1]


@pytest.mark.parametrize("term,text", [
    ((atom("tcp"), b"hi", [104, 105]), '{tcp,<<"hi">>,"hi"}'),
    (atom("Content-Length"), "'Content-Length'"),
    (atom("end"), "'end'"),
    ([], "[]"),
    ([1, 2, 300], "[1,2,300]"),
    (ImproperList([1], b"x"), '[1|<<"x">>]'),
    (String(b"a\nb"), '"a\\nb"'),
    (b"\x00\x01", "<<0,1>>"),
    ({atom("a"): 1}, "#{a => 1}"),
    (True, "true"),
    (-5, "-5"),
])
def test_format_term_writes_erlang(term, text):
    assert format_term(term) == text


def test_format_term_shortens_long_data():
    assert format_term(b"x" * 100, limit=4) == '<<"xxxx"...>>'  # as ~P writes it
    assert format_term(list(range(300, 310)), limit=3) == "[300,301,302|...]"
