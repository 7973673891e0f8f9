"""The port program as a process: the hello, requests, and surviving bad input."""

from __future__ import annotations

import os
import socket
import struct
import time

import pytest

from bridge import PROTOCOL_VERSION
from bridge.etf import encode
from bridge.etf.terms import Pid, atom

from bridge_client import CALLER, BridgeProcess, error, ok

PYINET = atom("pyinet")


def test_hello_is_the_first_frame(bridge):
    dest, (tag, info) = bridge.hello
    assert dest == PYINET and tag == atom("hello")
    assert info[atom("protocol")] == PROTOCOL_VERSION
    assert info[atom("os_pid")] == bridge.proc.pid
    assert atom("tcp") in info[atom("transports")]
    assert info[atom("sctp")] in (atom("kernel"), atom("userland"), atom("unavailable"))


def test_stdin_closed_means_exit_within_a_second(bridge):
    reply = bridge.call((atom("tcp_listen"), atom("inet"), (127, 0, 0, 1), 0, 5, []))
    assert reply[0] == ok
    started = time.monotonic()
    assert bridge.close(timeout=5) == 0
    assert time.monotonic() - started < 1.0


def test_a_new_sockets_owner_and_sendable_come_with_the_reply_that_gives_it():
    """Control messages made before a frame go in it, applied first: a connect's
    reply is one frame {Caller, {Ref, {ok, S}}, [{owner, S, Caller}, {sendable, ...}]}."""
    b = BridgeProcess()
    peer = socket.create_server(("127.0.0.1", 0))
    try:
        ref = b.new_ref()
        b.write_term((ref, CALLER, (atom("tcp_connect"), atom("inet"), (127, 0, 0, 1),
                                    peer.getsockname()[1], atom("undefined"), 0, [], 1000)))
        frame = b.read_raw_frame()
        assert len(frame) == 3, frame
        dest, (got_ref, (tag, handle)), controls = frame
        assert (dest, got_ref, tag) == (CALLER, ref, ok)
        assert [c[0] for c in controls] == [atom("owner"), atom("sendable")]
        assert controls[0] == (atom("owner"), handle, CALLER)
        assert controls[1][1] == handle[2][2]
    finally:
        peer.close()
        b.close()


def test_control_messages_with_no_frame_to_go_with_come_on_their_own():
    """An owner that dies: its socket closes ({closed, S}) with nothing to go
    with; two sockets closing in one turn of the loop are one frame."""
    b = BridgeProcess()
    try:
        owner = Pid("test@localhost", 78, 0, 1)
        handles = []
        for _ in range(2):
            tag, handle = b.call((atom("tcp_listen"), atom("inet"), (127, 0, 0, 1), 0, 5, []))
            assert tag == ok
            assert b.call((atom("inet_set_owner"), handle[2][2], owner)) == ok
            handles.append(handle)
        b.others.clear()
        b._terms.clear()
        b.write_term((PYINET, (atom("down"), owner)))
        frame = b.read_raw_frame()
        assert frame == (PYINET, (atom("controls"), [(atom("closed"), h) for h in handles])), frame
    finally:
        b.close()


def test_listen_connect_send_recv(bridge):
    ok_, listener = bridge.call((atom("tcp_listen"), atom("inet"), (127, 0, 0, 1), 0, 5,
                                 [(atom("active"), False), (atom("mode"), atom("binary"))]))
    lid = listener[2][2]
    ok_, (ip, port) = bridge.call((atom("inet_sockname"), lid))
    assert ip == (127, 0, 0, 1)
    peer = socket.create_connection(("127.0.0.1", port))
    ok_, conn = bridge.call((atom("tcp_accept"), lid, 1000))
    cid = conn[2][2]
    peer.sendall(b"hello")
    assert bridge.call((atom("tcp_recv"), cid, 5, 1000)) == (ok, b"hello")
    assert bridge.call((atom("tcp_send"), cid, b"world")) == ok
    assert peer.recv(5) == b"world"
    assert bridge.call((atom("tcp_close"), cid)) == ok
    assert peer.recv(5) == b""
    peer.close()


@pytest.mark.parametrize("request_", [
    (atom("no_such_request"),),
    (atom("tcp_recv"),),                         # wrong arity
    (atom("tcp_recv"), 1, 2, 3, 4),              # wrong arity
    (atom("tcp_recv"), atom("x"), 0, 1000),      # wrong type
    (atom("tcp_recv"), 999, 0, 1000),            # unknown socket id
    (atom("inet_setopts"), 999, []),              # unknown socket id, einval kind
    (atom("tcp_listen"), atom("nofamily"), (127, 0, 0, 1), 0, 5, []),
    (atom("tcp_listen"), atom("inet"), (300, 0, 0, 1), 0, 5, []),
    (atom("tcp_listen"), atom("inet"), (127, 0, 0, 1), 0, 5, [(atom("packet"), atom("bogus"))]),
    (atom("tcp_listen"), atom("inet"), (127, 0, 0, 1), 0, 5, [atom("junk")]),
])
def test_bad_requests_get_an_error_reply(bridge, request_):
    reply = bridge.call(request_)
    assert type(reply) is tuple and reply[0] == error, reply
    # ... and the program is still there and answers.
    assert bridge.call((atom("inet_getopts"), 999, [])) == (error, atom("einval"))


@pytest.mark.parametrize("payload", [
    b"",                                     # empty frame
    b"\x83",                                 # version byte only
    b"\x83h\x02",                            # truncated tuple
    b"not etf at all",
    b"\x83l\xff\xff\xff\xffj",               # a list that claims 4 G elements
    encode(42),                              # a term that is no request
    encode((1, 2)),                          # a 2-tuple that is no control message
    encode((PYINET, (atom("bogus"),))),      # unknown control message
    encode((PYINET, atom("init"))),          # control message of the wrong shape
    encode((1, 2, 3)),                       # no caller pid: cannot be answered
    encode((atom("ref"), CALLER, 42)),       # request is not a tuple: answered
])
def test_bad_frames_are_dropped_and_the_program_lives_on(bridge, payload):
    bridge.write_frame(payload)
    assert bridge.call((atom("inet_getopts"), 999, [])) == (error, atom("einval"))
    assert bridge.proc.poll() is None


def test_request_without_caller_is_answered_to_no_one(bridge):
    bridge.write_term((1, 2, (atom("tcp_recv"), 1, 0, 0)))
    assert bridge.call((atom("inet_getopts"), 999, [])) == (error, atom("einval"))
    assert all(f[0] != 2 for f in bridge.others)


def test_frames_split_and_coalesced_arbitrarily(bridge):
    frames = b"".join(struct.pack(">I", len(p)) + p for p in
                      [encode((bridge.new_ref(), CALLER, (atom("inet_getopts"), 999, [])))
                       for _ in range(50)])
    for i in range(0, len(frames), 7):
        bridge.write_raw(frames[i:i + 7])
    replies = [bridge.read_frame() for _ in range(50)]
    assert all(r[1][1] == (error, atom("einval")) for r in replies)


def test_oversized_frame_is_skipped_and_framing_stays_in_step():
    b = BridgeProcess(env={"PYINET_MAX_FRAME": "1024"})
    try:
        b.write_frame(b"\x00" * 5000)
        assert b.call((atom("inet_getopts"), 999, [])) == (error, atom("einval"))
    finally:
        b.close()


def test_no_output_but_frames_on_stdout(bridge):
    bridge.write_frame(b"garbage")
    bridge.call((atom("inet_getopts"), 999, []))
    bridge.close()
    assert bridge.proc.stdout.read() == b""  # every byte was part of a frame


def test_random_frames_never_kill_it(bridge):
    rng = __import__("random").Random(1234)
    for _ in range(300):
        size = rng.choice([0, 1, 2, 5, 30, 200])
        payload = bytes(rng.getrandbits(8) for _ in range(size))
        if payload and rng.random() < 0.7:
            payload = b"\x83" + payload
        bridge.write_frame(payload)
    assert bridge.call((atom("inet_getopts"), 999, [])) == (error, atom("einval"))
    assert bridge.proc.poll() is None


def test_a_close_not_waited_for_sends_no_closed(bridge):
    """{pyinet, {tcp_close, Id}} comes after the client told its router
    ({closed, S}), so no {closed, S} comes back; a waited close's does."""
    ok_, listener = bridge.call((atom("tcp_listen"), atom("inet"), (127, 0, 0, 1), 0, 5,
                                 [(atom("active"), False)]))
    lid = listener[2][2]
    ok_, (ip, port) = bridge.call((atom("inet_sockname"), lid))
    peers = [socket.create_connection(("127.0.0.1", port)) for _ in range(2)]
    quiet, waited = [bridge.call((atom("tcp_accept"), lid, 1000))[1] for _ in peers]
    bridge.write_term((PYINET, (atom("tcp_close"), quiet[2][2])))
    assert bridge.call((atom("tcp_close"), waited[2][2])) == ok
    assert peers[0].recv(5) == b""  # closed all the same
    closed = [f[1][1] for f in bridge.others
              if f[0] == PYINET and type(f[1]) is tuple and f[1][0] == atom("closed")]
    assert closed == [waited]
    for peer in peers:
        peer.close()


def test_input_wanted_while_the_output_is_congested_is_read_once_it_drains(bridge):
    """A socket made active while the BEAM is not reading the program's output
    (the output past its high-water mark) reads once the output drains, as
    one that was reading when the output congested does."""
    import threading
    ok_, listener = bridge.call((atom("tcp_listen"), atom("inet"), (127, 0, 0, 1), 0, 5,
                                 [(atom("active"), False), (atom("mode"), atom("binary"))]))
    lid = listener[2][2]
    ok_, (ip, port) = bridge.call((atom("inet_sockname"), lid))
    flood_peer = socket.create_connection(("127.0.0.1", port))
    flood = bridge.call((atom("tcp_accept"), lid, 1000))[1]
    quiet_peer = socket.create_connection(("127.0.0.1", port))
    quiet = bridge.call((atom("tcp_accept"), lid, 1000))[1]
    assert bridge.call((atom("inet_setopts"), flood[2][2], [(atom("active"), True)])) == ok
    sent = [0]

    def pour():
        chunk = b"f" * 65536
        try:
            for _ in range(32 * 16):  # 32 MiB, well past the 8 MiB high-water mark
                flood_peer.sendall(chunk)
                sent[0] += len(chunk)
        except OSError:
            pass

    pourer = threading.Thread(target=pour, daemon=True)
    pourer.start()
    # Not reading: the program's output fills the pipe, then its queue, until
    # it stops reading the flood, whose sender then stalls.
    last, still = -1, 0
    for _ in range(200):
        time.sleep(0.05)
        still = still + 1 if sent[0] == last else 0
        last = sent[0]
        if still >= 6:
            break
    assert still >= 6 and sent[0] < 32 << 20, "the flood never stalled"
    bridge.write_term((PYINET, (atom("inet_setopts"), quiet[2][2], [(atom("active"), True)])))
    quiet_peer.sendall(b"hello")
    deadline = time.monotonic() + 30
    got = None
    while got is None and time.monotonic() < deadline:
        frame = bridge.read_frame(timeout=max(0.0, deadline - time.monotonic()))
        if frame is None:
            break
        msg = frame[1]
        if type(msg) is tuple and len(msg) == 3 and msg[0] == atom("tcp") and msg[1] == quiet:
            got = bytes(msg[2])
    assert got == b"hello"
    flood_peer.close()
    quiet_peer.close()
    pourer.join(5)
