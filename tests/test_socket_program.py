"""The socket requests against the port program as a process (PROTOCOL.md,
"socket requests"), for what the conformance scenarios cannot show: the frames
themselves (select and abort messages, the watch and owner control messages),
requestors that die, and closed sockets remembered or not."""

from __future__ import annotations

import socket
import time

from bridge.etf.terms import Pid, atom

from bridge_client import CALLER, error, ok

A = atom
OTHER = Pid("test@localhost", 78, 0, 1)
PYINET = A("pyinet")
SELECT = A("select")
LO = {A("family"): A("inet"), A("port"): 0, A("addr"): A("loopback")}


def call_as(bridge, pid, request):
    ref = bridge.new_ref()
    bridge.write_term((ref, pid, request))
    deadline = time.monotonic() + 5
    while True:
        frame = bridge.read_frame(max(0.0, deadline - time.monotonic()))
        assert frame is not None, f"no reply to {request!r}"
        dest, msg = frame
        if dest == pid and type(msg) is tuple and len(msg) == 2 and msg[0] == ref:
            return msg[1]
        bridge.others.append(frame)


def wait_for(bridge, match, timeout=2.0):
    """The first frame (already set aside or coming) that `match` accepts."""
    for frame in bridge.others:
        if match(frame):
            bridge.others.remove(frame)
            return frame
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        frame = bridge.read_frame(deadline - time.monotonic())
        if frame is None:
            break
        if match(frame):
            return frame
        bridge.others.append(frame)
    return None


def socket_msg(dest, tag, info=None):
    def match(frame):
        d, msg = frame
        return (d == dest and type(msg) is tuple and len(msg) == 4 and msg[0] == A("$socket")
                and msg[2] == tag and (info is None or msg[3] == info))
    return match


def control(msg):
    return lambda frame: frame == (PYINET, msg)


def open_socket(bridge, domain="inet", type_="stream", protocol="tcp", pid=CALLER):
    reply = call_as(bridge, pid, (A("sock_open"), A(domain), A(type_), A(protocol), {}))
    assert reply[0] == ok, reply
    handle = reply[1]
    return handle, handle[1][3]


def listener(bridge):
    handle, sid = open_socket(bridge)
    assert bridge.call((A("sock_bind"), sid, LO)) == ok
    assert bridge.call((A("sock_listen"), sid, 5)) == ok
    _, addr = bridge.call((A("sock_sockname"), sid))
    return handle, sid, addr[A("port")]


def test_handle_shape_and_owner(bridge):
    handle, sid = open_socket(bridge)
    undefined = A("undefined")  # no init: the router and port are unknown
    assert handle == (A("$socket"), (A("pyinet_socket"), undefined, undefined, sid))
    assert wait_for(bridge, control((A("owner"), handle, CALLER)))
    assert bridge.call((A("sock_close"), sid)) == ok
    assert wait_for(bridge, control((A("closed"), handle)))


def test_accept_select_message(bridge):
    lhandle, lsid, port = listener(bridge)
    ref = bridge.new_ref()
    assert bridge.call((A("sock_accept"), lsid, ref)) == SELECT
    client = socket.create_connection(("127.0.0.1", port))
    try:
        assert wait_for(bridge, socket_msg(CALLER, SELECT, ref))
        reply = bridge.call((A("sock_accept"), lsid, bridge.new_ref()))
        assert reply[0] == ok and reply[1][0] == A("$socket")
        asid = reply[1][1][3]
        client.sendall(b"hello")
        assert bridge.call((A("sock_recv"), asid, 5, [], bridge.new_ref())) == (ok, b"hello")
    finally:
        client.close()


def test_queued_reader_that_dies_leaves_its_place(bridge):
    lhandle, lsid, port = listener(bridge)
    client = socket.create_connection(("127.0.0.1", port))
    try:
        _, handle = bridge.call((A("sock_accept"), lsid, bridge.new_ref()))
        sid = handle[1][3]
        assert bridge.call((A("sock_recv"), sid, 0, [], bridge.new_ref())) == SELECT
        other_ref = bridge.new_ref()
        assert call_as(bridge, OTHER, (A("sock_recv"), sid, 0, [], other_ref)) == SELECT
        assert wait_for(bridge, control((A("watch"), OTHER)))
        info = bridge.call((A("sock_info"), sid))
        assert info[A("num_readers")] == 2
        bridge.write_term((PYINET, (A("down"), OTHER, A("killed"))))
        assert bridge.call((A("sock_info"), sid))[A("num_readers")] == 1
        assert wait_for(bridge, control((A("unwatch"), OTHER)))
    finally:
        client.close()


def test_owner_exit_closes_and_aborts_the_queue(bridge):
    handle, sid = open_socket(bridge, "inet", "dgram", "udp")
    assert bridge.call((A("sock_bind"), sid, LO)) == ok
    assert bridge.call((A("sock_recvfrom"), sid, 0, [], bridge.new_ref())) == SELECT
    ref = bridge.new_ref()
    assert call_as(bridge, OTHER, (A("sock_recvfrom"), sid, 0, [], ref)) == SELECT
    bridge.write_term((PYINET, (A("down"), CALLER, A("normal"))))
    abort = wait_for(bridge, socket_msg(OTHER, A("abort")))
    assert abort[1][3] == (ref, A("closed"))
    assert wait_for(bridge, control((A("closed"), handle, A("normal"))))
    assert call_as(bridge, OTHER, (A("sock_recvfrom"), sid, 0, [], ref)) == (error, A("closed"))


def test_current_reader_gets_an_abort_only_while_its_select_is_pending(bridge):
    handle, sid = open_socket(bridge, "inet", "dgram", "udp")
    assert bridge.call((A("sock_bind"), sid, LO)) == ok
    ref = bridge.new_ref()
    assert call_as(bridge, OTHER, (A("sock_recv"), sid, 0, [], ref)) == SELECT
    assert bridge.call((A("sock_close"), sid)) == ok
    assert wait_for(bridge, socket_msg(OTHER, A("abort"), (ref, A("closed"))))


def test_closed_sockets_keep_their_counters(bridge):
    handle, sid = open_socket(bridge, "inet", "dgram", "udp")
    assert bridge.call((A("sock_bind"), sid, LO)) == ok
    _, addr = bridge.call((A("sock_sockname"), sid))
    assert bridge.call((A("sock_sendto"), sid, b"abc", addr, [], bridge.new_ref())) == ok
    assert bridge.call((A("sock_close"), sid)) == ok
    info = bridge.call((A("sock_info"), sid))
    assert info[A("counters")][A("write_byte")] == 3
    assert info[A("wstates")] == [A("closing"), A("closed")]
    assert info[A("owner")] == A("undefined")
    assert bridge.call((A("sock_send"), sid, b"x", [], bridge.new_ref())) == (error, A("closed"))


def test_unknown_ids_answer_as_closed_sockets(bridge):
    assert bridge.call((A("sock_recv"), 999, 0, [], bridge.new_ref())) == (error, A("closed"))
    # The address is checked first, as for any closed socket.
    assert bridge.call((A("sock_bind"), 999, {A("family"): A("inet")})) == \
        (A("invalid"), A("sockaddr"))
    info = bridge.call((A("sock_info"), 999))
    assert info[A("rstates")] == [A("closing"), A("closed")]


def test_raises_come_back_as_raise(bridge):
    _, sid = open_socket(bridge)
    assert bridge.call((A("sock_shutdown"), sid, A("foo"))) == \
        (A("raise"), (A("invalid"), (A("how"), A("foo"))))
    assert bridge.call((A("sock_recv"), sid, 0, [], A("notaref"))) == (A("raise"), A("badarg"))
    assert bridge.call((A("sock_connect"), sid, A("undefined"), A("undefined"))) == \
        (A("raise"), (A("invalid"), A("state")))


def test_tcp_ids_are_not_socket_ids(bridge):
    reply = bridge.call((A("tcp_listen"), A("inet"), (127, 0, 0, 1), 0, 5, []))
    sid = reply[1][2][2]
    assert bridge.call((A("sock_info"), sid)) == (A("raise"), A("badarg"))


def test_sockets_lists_socket_kind(bridge):
    handle, sid = open_socket(bridge, "local", "dgram", "default")
    _, described = bridge.call((A("program_sockets"),))
    [mine] = [d for d in described if d[A("socket")] == handle]
    assert mine[A("kind")] == A("socket") and mine[A("domain")] == A("local")


def test_watches_are_given_back(bridge):
    lhandle, lsid, port = listener(bridge)
    client = socket.create_connection(("127.0.0.1", port))
    try:
        _, handle = bridge.call((A("sock_accept"), lsid, bridge.new_ref()))
        sid = handle[1][3]
        ref = bridge.new_ref()
        assert call_as(bridge, OTHER, (A("sock_recv"), sid, 0, [], ref)) == SELECT
        assert wait_for(bridge, control((A("watch"), OTHER)))
        client.sendall(b"data")
        assert wait_for(bridge, socket_msg(OTHER, SELECT, ref))
        assert call_as(bridge, OTHER, (A("sock_recv"), sid, 0, [], bridge.new_ref())) == \
            (ok, b"data")
        assert wait_for(bridge, control((A("unwatch"), OTHER)))
    finally:
        client.close()
