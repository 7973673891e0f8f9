"""UDP requests against the port program as a process (PROTOCOL.md, "UDP"), for
what the conformance scenarios cannot show: the frames themselves, and the one
case OTP cannot run (a connected socket with recvtos, which reads an
uninitialised msghdr in inet_drv and has crashed the emulator here)."""

from __future__ import annotations

import socket
import time

import pytest

from bridge.etf.terms import Atom, atom

from bridge_client import CALLER, error, ok

UDP = atom("udp")
INET = atom("inet")
LO = (127, 0, 0, 1)
ACTIVE_FALSE = (atom("active"), False)
BINARY = (atom("mode"), atom("binary"))


def open_udp(bridge, opts, family=INET, addr=LO):
    reply = bridge.call((atom("udp_open"), family, addr, 0, opts))
    assert reply[0] == ok, reply
    handle = reply[1]
    sid = handle[2][2]
    ok_, (_ip, port) = bridge.call((atom("inet_sockname"), sid))
    return handle, sid, port


def is_message(frame) -> bool:
    """A socket message for CALLER ({udp, S, ...}), not a reply ({Ref, Reply})."""
    return frame[0] == CALLER and isinstance(frame[1][0], Atom)


def next_message(bridge, timeout=2.0):
    for frame in bridge.others:
        if is_message(frame):
            bridge.others.remove(frame)
            return frame[1]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        frame = bridge.read_frame(deadline - time.monotonic())
        if frame is None:
            break
        if is_message(frame):
            return frame[1]
    return None


def test_hello_names_udp(bridge):
    assert UDP in bridge.hello[1][1][atom("transports")]


def test_handle_carries_the_family(bridge):
    handle, _, _ = open_udp(bridge, [])
    assert handle[0] == atom("$inet") and handle[1] == atom("pyinet_udp")
    assert handle[2][3] == INET


def test_passive_recv_and_sendto(bridge):
    _, sid, port = open_udp(bridge, [ACTIVE_FALSE, BINARY])
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer.bind(("127.0.0.1", 0))
    peer.sendto(b"ping", ("127.0.0.1", port))
    assert bridge.call((atom("udp_recv"), sid, 0, 1000)) == (
        ok, (LO, peer.getsockname()[1], b"ping"))
    assert bridge.call((atom("udp_sendto"), sid, LO, peer.getsockname()[1], [], b"pong")) == ok
    assert peer.recv(10) == b"pong"
    peer.close()


def test_active_message_frame(bridge):
    handle, _, port = open_udp(bridge, [BINARY])
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer.sendto(b"hello", ("127.0.0.1", port))
    assert next_message(bridge) == (UDP, handle, LO, peer.getsockname()[1], b"hello")
    peer.close()


def test_connected_with_recvtos_reports_no_ancillary_data(bridge):
    handle, sid, port = open_udp(bridge, [BINARY, (atom("recvtos"), True)])
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer.bind(("127.0.0.1", 0))
    pport = peer.getsockname()[1]
    assert bridge.call((atom("udp_connect"), sid, LO, pport)) == ok
    peer.sendto(b"c", ("127.0.0.1", port))
    assert next_message(bridge) == (UDP, handle, LO, pport, [], b"c")
    peer.close()


@pytest.mark.parametrize("length, timeout", [(-1, 10), (1 << 32, 10), (0, -1),
                                             (0, 0xFFFFFFFF), (0, atom("soon"))])
def test_recv_arguments_checked_after_the_socket(bridge, length, timeout):
    _, sid, _ = open_udp(bridge, [ACTIVE_FALSE])
    assert bridge.call((atom("udp_recv"), sid, length, timeout)) == (error, atom("einval"))
    assert bridge.call((atom("udp_close"), sid)) == ok
    assert bridge.call((atom("udp_recv"), sid, length, timeout)) == (error, atom("closed"))


def test_a_closed_socket(bridge):
    _, sid, _ = open_udp(bridge, [ACTIVE_FALSE])
    assert bridge.call((atom("udp_close"), sid)) == ok
    closed, einval = (error, atom("closed")), (error, atom("einval"))
    assert bridge.call((atom("udp_sendto"), sid, LO, 9, [], b"x")) == closed
    assert bridge.call((atom("udp_connect"), sid, LO, 9)) == closed
    assert bridge.call((atom("udp_close"), sid)) == closed
    assert bridge.call((atom("inet_setopts"), sid, [])) == einval
    assert bridge.call((atom("inet_getopts"), sid, [atom("active")])) == einval


def test_open_fails_cleanly(bridge):
    assert bridge.call((atom("udp_open"), INET, (192, 0, 2, 1), 0, [])) == (
        error, atom("eaddrnotavail"))
    assert bridge.call((atom("udp_open"), INET, LO, 0, [(atom("read_packets"), 0)])) == (
        error, atom("einval"))
    assert bridge.call((atom("udp_open"), atom("nofamily"), LO, 0, [])) == (
        error, atom("einval"))
