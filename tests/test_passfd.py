"""Descriptors handed to the port program (bridge/passfd.py): what the
conformance scenarios cannot show, the receiver's checks. Here the test process
plays the BEAM and sends its own descriptors with SCM_RIGHTS."""

from __future__ import annotations

import array
import os
import socket

from bridge.etf.terms import atom


A = atom
INET = A("inet")


def send_fd(name: bytes, fd: int) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.sendmsg([b"fd"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]))],
                  0, name)


def receiver(bridge, pid: int) -> bytes:
    tag, name = bridge.call((A("program_fd_receiver"), pid))
    assert tag == A("ok")
    assert name.startswith(b"\0pyinet-fd-")
    return name


def test_a_socket_handed_over_is_used(bridge):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as mine:
        mine.bind(("127.0.0.1", 0))
        name = receiver(bridge, os.getpid())
        send_fd(name, mine.fileno())
        tag, _ = bridge.call((A("udp_open"), INET, A("undefined"), 0, [(A("fd"), name)]))
        assert tag == A("ok")
        # The receiver served its one descriptor and is gone.
        assert bridge.call((A("udp_open"), INET, A("undefined"), 0, [(A("fd"), name)])) == (
            A("error"), A("einval"))


def test_only_from_the_process_named(bridge):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as mine:
        name = receiver(bridge, os.getpid() + 100000)
        send_fd(name, mine.fileno())
        assert bridge.call((A("udp_open"), INET, A("undefined"), 0, [(A("fd"), name)])) == (
            A("error"), A("ebadf"))


def test_nothing_sent_and_unknown_names(bridge):
    name = receiver(bridge, os.getpid())
    assert bridge.call((A("tcp_fdopen"), INET, [(A("fd"), name)])) == (A("error"), A("ebadf"))
    assert bridge.call((A("tcp_fdopen"), INET, [(A("fd"), b"\0nothing")])) == (
        A("error"), A("einval"))
    assert bridge.call((A("tcp_fdopen"), INET, [])) == (A("error"), A("einval"))
    assert bridge.call((A("program_fd_receiver"), -1)) == (A("error"), A("einval"))
