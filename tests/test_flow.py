"""Flow control and closing, against the port program as a process: what
gen_tcp cannot show on its own (the descriptor's state flags, the owner's exit
reason reaching monitors, output that outlives the handle) and the event loop's
order, which decides the error a blocked sender sees."""

from __future__ import annotations

import socket
import struct
import time

import pytest

from bridge.etf.terms import atom
from bridge.loop import EventLoop

from bridge_client import CALLER, ok

PYINET = atom("pyinet")
BIG = 1 << 20


def _listen(bridge, opts=()):
    _, listener = bridge.call((atom("tcp_listen"), atom("inet"), (127, 0, 0, 1), 0, 5,
                               [(atom("active"), False), (atom("mode"), atom("binary")), *opts]))
    lid = listener[2][2]
    _, (_, port) = bridge.call((atom("inet_sockname"), lid))
    return lid, port


def _slow_connection(bridge):
    """A hosted connection whose peer (a plain socket) does not read."""
    lid, port = _listen(bridge, [(atom("sndbuf"), 4096)])
    peer = socket.socket()
    peer.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    peer.connect(("127.0.0.1", port))
    _, conn = bridge.call((atom("tcp_accept"), lid, 1000))
    return conn, peer


def _control(bridge, tag, timeout=5.0):
    """The program's next control frame tagged `tag`, or None."""
    try:
        return _frames_until(bridge, lambda msg: msg[0] == tag, timeout)[-1]
    except TimeoutError:
        return None
    raise TimeoutError(tag)


def _drain(peer):
    peer.settimeout(5)
    n = 0
    while chunk := peer.recv(65536):
        n += len(chunk)
    return n


def test_writers_run_before_readers():
    loop = EventLoop()
    a, b = socket.socketpair()
    b.send(b"x")
    order = []
    loop.add_reader(a.fileno(), lambda: order.append("read"))
    loop.add_writer(a.fileno(), lambda: order.append("write"))
    loop.run_once()
    assert order == ["write", "read"]
    loop.close()
    a.close()
    b.close()


def test_status_flags(bridge):
    lid, _ = _listen(bridge)
    assert bridge.call((atom("inet_getstatus"), lid)) == (ok, [atom("listen"), atom("open")])
    conn, peer = _slow_connection(bridge)
    cid = conn[2][2]
    assert bridge.call((atom("inet_getstatus"), cid)) == (ok, [atom("connected"), atom("open")])
    assert bridge.call((atom("tcp_send"), cid, b"x" * BIG)) == ok
    ref = bridge.new_ref()
    bridge.write_term((ref, CALLER, (atom("tcp_send"), cid, b"y")))
    assert bridge.call((atom("inet_getstatus"), cid)) == (ok, [atom("busy"), atom("connected"),
                                                         atom("open")])
    peer.close()


def test_owner_exit_reason_goes_to_monitors(bridge):
    lid, _ = _listen(bridge)
    bridge.write_term((PYINET, (atom("down"), CALLER, atom("killed"))))
    assert _control(bridge, atom("closed"))[2] == atom("killed")


def test_output_outlives_the_owner(bridge):
    conn, peer = _slow_connection(bridge)
    cid = conn[2][2]
    assert bridge.call((atom("tcp_send"), cid, b"x" * BIG)) == ok
    bridge.write_term((PYINET, (atom("down"), CALLER, atom("killed"))))
    _control(bridge, atom("closed"))
    assert _drain(peer) == BIG
    peer.close()


def test_linger_zero_discards_output(bridge):
    conn, peer = _slow_connection(bridge)
    cid = conn[2][2]
    linger = (atom("linger"), (True, 0))
    assert bridge.call((atom("inet_setopts"), cid, [linger])) == ok
    assert bridge.call((atom("tcp_send"), cid, b"x" * BIG)) == ok
    bridge.write_term((PYINET, (atom("down"), CALLER, atom("normal"))))
    _control(bridge, atom("closed"))
    with pytest.raises(ConnectionResetError):
        _drain(peer)
    peer.close()


def test_closing_with_positive_linger_does_not_stop_the_loop(bridge):
    # All output is in the kernel (nothing queued here) but the peer's window
    # holds only part of it: a lingering close() would wait for the rest.
    lid, port = _listen(bridge, [(atom("sndbuf"), 65536)])
    peer = socket.socket()
    peer.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    peer.connect(("127.0.0.1", port))
    _, conn = bridge.call((atom("tcp_accept"), lid, 1000))
    cid = conn[2][2]
    assert bridge.call((atom("inet_setopts"), cid, [(atom("linger"), (True, 3))])) == ok
    assert bridge.call((atom("tcp_send"), cid, b"x" * 32768)) == ok
    time.sleep(0.1)
    assert bridge.call((atom("inet_getstat"), cid, [atom("send_pend")])) == (ok, [(atom("send_pend"), 0)])
    started = time.monotonic()
    bridge.write_term((PYINET, (atom("down"), CALLER, atom("normal"))))
    _control(bridge, atom("closed"))
    assert time.monotonic() - started < 1.0
    # The peer still gets everything, then the end of the stream.
    assert _drain(peer) == 32768
    peer.close()


def _frames_until(bridge, want, timeout=5.0):
    """Control frames of the program until `want(msg)` holds; returns them all."""
    got = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        frame = bridge.read_frame(max(0.0, deadline - time.monotonic()))
        if frame is None:
            break
        dest, msg = frame
        if dest == PYINET and type(msg) is tuple:
            got.append(msg)
            if want(msg):
                return got
    raise TimeoutError(got)


def test_sendable_and_acks_carry_the_kernels_room(bridge):
    """The room the client may fill without waiting (PROTOCOL.md, "Flow
    control"): the kernel's free send buffer while nothing is queued, 0 while
    something is."""
    lid, port = _listen(bridge, [(atom("sndbuf"), 65536)])
    peer = socket.create_connection(("127.0.0.1", port))
    peer.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    ref = bridge.new_ref()
    bridge.write_term((ref, CALLER, (atom("tcp_accept"), lid, 1000)))
    frames = _frames_until(bridge, lambda m: m[0] == atom("sendable"))
    _, sid, high, room, active = frames[-1]
    assert active is False
    # A new socket says no room: its first send goes unwaited anyway.
    assert high == 8192 and room == 0
    _, conn = bridge.reply_to(ref)
    assert conn[2][2] == sid
    # A send the client counted and did not wait for: acked with the room after it.
    bridge.write_term((PYINET, (atom("tcp_send"), sid, b"x" * 1000)))
    acked = _frames_until(bridge, lambda m: m[0] == atom("acked"))[-1]
    [(acked_id, credit, room_after)] = acked[1]
    assert acked_id == sid and credit == 1000 + 4 + 1024
    # SO_SNDBUF as the kernel doubles it, at most; nothing queued.
    assert 65536 < room_after <= 2 * 65536
    # The peer does not read: what the kernel will not take is queued, and
    # while something is queued the room is 0, whatever the kernel has free.
    for _ in range(64):
        bridge.write_term((PYINET, (atom("tcp_send"), sid, b"y" * 65536)))
    _frames_until(bridge, lambda m: m[0] == atom("busy"), timeout=10)
    peer.settimeout(5)
    taken = 0
    while taken < 4 * 65536:   # enough for a few sends to go out whole
        taken += len(peer.recv(65536))
    acked = _frames_until(bridge, lambda m: m[0] == atom("acked"), timeout=10)[-1]
    assert [room for (_, _, room) in acked[1]] == [0]
    peer.close()


def _send_frame(sid: int, data: bytes) -> bytes:
    from bridge.etf import encode
    payload = encode((PYINET, (atom("tcp_send"), sid, data)))
    return struct.pack(">I", len(payload)) + payload


def test_sends_that_arrive_together_go_out_in_order_each_counted(bridge):
    lid, port = _listen(bridge, [(atom("packet"), 2)])
    peer = socket.create_connection(("127.0.0.1", port))
    _, conn = bridge.call((atom("tcp_accept"), lid, 1000))
    sid = conn[2][2]
    datas = [bytes([i]) * (i + 1) for i in range(50)]
    bridge.write_raw(b"".join(_send_frame(sid, d) for d in datas))
    peer.settimeout(5)
    got = b""
    want = sum(2 + len(d) for d in datas)
    while len(got) < want:
        got += peer.recv(65536)
    out, at = [], 0
    while at < len(got):
        (n,) = struct.unpack_from(">H", got, at)
        out.append(got[at + 2:at + 2 + n])
        at += 2 + n
    assert out == datas
    credit = 0
    deadline = time.monotonic() + 5
    while credit < sum(len(d) + 4 + 1024 for d in datas) and time.monotonic() < deadline:
        for m in _frames_until(bridge, lambda m: m[0] == atom("acked")):
            if m[0] == atom("acked"):
                credit += sum(c for (_, c, _) in m[1])
    assert credit == sum(len(d) + 4 + 1024 for d in datas)
    _, stats = bridge.call((atom("inet_getstat"), sid, [atom("send_cnt"), atom("send_oct")]))
    assert stats == [(atom("send_cnt"), 50), (atom("send_oct"), want)]
    peer.close()


def test_sends_together_beyond_what_the_kernel_takes_queue_and_go_busy(bridge):
    """The peer does not read: the kernel takes part of the batch, the rest is
    queued as single sends would have been, past the high watermark the socket
    is busy, and once the peer reads everything arrives, in order."""
    conn, peer = _slow_connection(bridge)
    sid = conn[2][2]
    chunk = 4096
    datas = [bytes([i % 251]) * chunk for i in range(64)]
    bridge.write_raw(b"".join(_send_frame(sid, d) for d in datas))
    _frames_until(bridge, lambda m: m[0] == atom("busy") and m[2] is True, timeout=10)
    got = _drain_exactly(peer, chunk * len(datas))
    assert got == b"".join(datas)
    peer.close()


def _drain_exactly(peer, n: int) -> bytes:
    peer.settimeout(5)
    got = b""
    while len(got) < n:
        chunk = peer.recv(65536)
        if not chunk:
            break
        got += chunk
    return got
