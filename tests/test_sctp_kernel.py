"""SCTP through the port program on a kernel that has SCTP: the requests of
PROTOCOL.md ("SCTP") against real associations, the ppid byte order against a
plain kernel socket and against pysctp, and the ctypes getsockopt.

On a kernel without SCTP pytest skips the module, saying so; `make test-sctp`
runs it where SCTP is (in the VM here), as a plain script, because pytest
takes minutes to start there:

    .venv/bin/python tests/test_sctp_kernel.py     # "sctp-python: N passed, N failed"
"""

from __future__ import annotations

import os
import select
import socket
import struct
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bridge.capabilities import kernel_sctp  # noqa: E402
from bridge.etf.terms import atom  # noqa: E402
from bridge.sctp import kernel  # noqa: E402
from bridge.sctp import structs as st  # noqa: E402

from bridge_client import CALLER, BridgeProcess, error, ok  # noqa: E402

if __name__ != "__main__":
    import pytest

    pytestmark = pytest.mark.skipif(
        not kernel_sctp(), reason="this kernel has no SCTP: make test-sctp runs these in a VM")

A = atom
LO = (127, 0, 0, 1)
WAIT = 10000  # ms; the VM is slow
_bridge = None


def bridge() -> BridgeProcess:
    global _bridge
    if _bridge is None:
        _bridge = BridgeProcess()
    return _bridge


def call(*request, timeout: float = 20.0):
    return bridge().call(tuple(request), timeout=timeout)


def sid(handle) -> int:
    return handle[2][2]


def sndrcvinfo(assoc_id=0, stream=0, ppid=0, context=0, flags=0):
    u = A("undefined")
    return (A("sctp_sndrcvinfo"), stream, u, flags, ppid, context, 0, u, u, assoc_id)


# gen_sctp's own defaults for a new socket (#sctp_opts{} in inet_int.hrl):
# without the events a new SCTP socket reports nothing, not even comm_up.
EVENTS = (A("sctp_event_subscribe"),) + (True,) * 7 + (False, False)
DEFAULTS = [(A("mode"), A("binary")), (A("buffer"), 65536), (A("sctp_events"), EVENTS)]


def open_socket(options=(), kind="seqpacket", family="inet", address=(LO, 0)):
    reply = call(A("sctp_open"), A(family), A(kind), DEFAULTS + list(options))
    assert reply[0] == ok, reply
    s = sid(reply[1])
    assert call(A("sctp_bind"), s, address)[0] == ok
    return s, reply[1]


def port_of(s) -> int:
    return call(A("inet_sockname"), s)[1][1]


def associate():
    """A listening server and a client associated with it, both passive:
    (server, client, server port, client assoc id, server assoc id)."""
    srv, _ = open_socket()
    assert call(A("sctp_listen"), srv, 5) == ok
    cli, _ = open_socket()
    sp = port_of(srv)
    assert call(A("sctp_connect"), cli, (LO, sp)) == ok
    up = call(A("sctp_recv"), cli, WAIT)
    assert up[0] == ok and up[1][3][:2] == (A("sctp_assoc_change"), A("comm_up")), up
    srv_up = call(A("sctp_recv"), srv, WAIT)
    assert srv_up[0] == ok and srv_up[1][3][1] == A("comm_up"), srv_up
    return srv, cli, sp, up[1][3][5], srv_up[1][3][5]


def close(*sockets):
    for s in sockets:
        call(A("sctp_close"), s)


def owner_message(timeout: float = 10.0):
    """The next message the program sent the test's process (not a reply,
    not a control message for the client)."""
    b = bridge()
    while b.others:
        dest, msg = b.others.pop(0)
        if dest == CALLER:
            return msg
    deadline = time.monotonic() + timeout
    while True:
        frame = b.read_frame(max(0.0, deadline - time.monotonic()))
        if frame is None:
            return None
        if frame[0] == CALLER:
            return frame[1]


# -- tests ---------------------------------------------------------------------------

def test_open_bind_listen_and_names():
    s, handle = open_socket()
    assert handle[:2] == (A("$inet"), A("pyinet_sctp"))
    assert call(A("sctp_lookup"), s) == (ok, A("inet"))
    assert call(A("sctp_listen"), s, 5) == ok
    name = call(A("inet_sockname"), s)
    assert name[0] == ok and name[1][0] == LO and name[1][1] > 0
    assert call(A("sctp_socknames"), s, 0) == (ok, [name[1]])
    assert call(A("inet_peername"), s) == (error, A("enotconn"))
    close(s)
    assert call(A("sctp_lookup"), s) == (error, A("closed"))
    assert call(A("inet_getopts"), s, [A("mode")]) == (error, A("einval"))


def test_data_and_events_between_two_hosted_sockets():
    srv, cli, sp, ca, sa = associate()
    assert call(A("sctp_sendmsg"), cli, sndrcvinfo(ca, stream=1, ppid=0x01020304, context=5),
                b"hello") == ok
    reply = call(A("sctp_recv"), srv, WAIT)
    assert reply[0] == ok
    ip, port, anc, data = reply[1]
    assert data == b"hello" and ip == LO
    (info,) = anc
    assert info[0] == A("sctp_sndrcvinfo") and info[1] == 1 and info[4] == 0x01020304
    assert info[9] == sa
    status = call(A("inet_getopts"), cli, [(A("sctp_status"), (A("sctp_status"), ca) + (None,) * 8)])
    assert status[0] == ok and status[1][0][1][2] == A("established"), status
    close(cli, srv)


def test_ppid_against_a_plain_kernel_socket():
    srv, _ = open_socket()
    assert call(A("sctp_listen"), srv, 5) == ok
    sp = port_of(srv)
    raw = socket.socket(socket.AF_INET, socket.SOCK_SEQPACKET, st.SOL_SCTP)
    try:
        raw.bind(("127.0.0.1", 0))
        # The kernel takes sinfo_ppid as it goes on the wire (network order).
        sri = struct.pack("=HHH2xIIIIIi", 0, 0, 0, socket.htonl(0x0A0B0C0D), 0, 0, 0, 0, 0)
        raw.sendmsg([b"from raw"], [(st.SOL_SCTP, st.SCTP_SNDRCV, sri)], 0, ("127.0.0.1", sp))
        while True:
            reply = call(A("sctp_recv"), srv, WAIT)
            assert reply[0] == ok, reply
            if reply[1][3] == b"from raw":
                break
        assert reply[1][2][0][4] == 0x0A0B0C0D
    finally:
        raw.close()
        close(srv)


def test_interop_with_pysctp():
    import sctp  # pysctp, a second implementation on the same kernel

    srv, _ = open_socket()
    assert call(A("sctp_listen"), srv, 5) == ok
    sp = port_of(srv)
    peer = sctp.sctpsocket_tcp(socket.AF_INET)
    try:
        peer.events.clear()
        peer.events.data_io = True
        peer.events.flush()
        peer.connect(("127.0.0.1", sp))
        peer.sctp_send(b"from pysctp", ppid=0x01020304)
        while True:
            reply = call(A("sctp_recv"), srv, WAIT)
            assert reply[0] == ok, reply
            if reply[1][3] == b"from pysctp":
                break
        assert reply[1][2][0][4] == 0x01020304
        assoc = reply[1][2][0][9]
        assert call(A("sctp_sendmsg"), srv, sndrcvinfo(assoc, ppid=0x01020304), b"back") == ok
        assert select.select([peer.sock()], [], [], 10)[0]
        _, _, msg, notif = peer.sctp_recv(100)
        assert msg == b"back"
        # pysctp shows the ppid as the kernel stores it, byte-swapped.
        assert socket.ntohl(notif.ppid) == 0x01020304
    finally:
        peer.close()
        close(srv)


def test_active_messages_reach_the_owner():
    srv, cli, sp, ca, sa = associate()
    assert call(A("inet_setopts"), srv, [(A("active"), 2)]) == ok
    for n in (1, 2):
        assert call(A("sctp_sendmsg"), cli, sndrcvinfo(ca), bytes([n])) == ok
    seen = []
    while len(seen) < 3:
        msg = owner_message()
        assert msg is not None, seen
        seen.append(msg)
    assert [m[0] for m in seen] == [A("sctp"), A("sctp"), A("sctp_passive")]
    assert [m[4][1] for m in seen[:2]] == [b"\x01", b"\x02"]
    assert call(A("inet_getopts"), srv, [A("active")]) == (ok, [(A("active"), False)])
    close(cli, srv)


def test_recv_timeout_ealready_and_closed():
    s, _ = open_socket()
    assert call(A("sctp_recv"), s, 0) == (error, A("timeout"))
    started = time.monotonic()
    assert call(A("sctp_recv"), s, 100) == (error, A("timeout"))
    assert time.monotonic() - started >= 0.09
    b = bridge()
    waiting = b.new_ref()
    b.write_term((waiting, CALLER, (A("sctp_recv"), s, A("infinity"))))
    assert call(A("sctp_recv"), s, 10) == (error, A("ealready"))
    assert call(A("sctp_close"), s) == ok
    # The waiting recv was answered before the close was: set aside by call().
    assert (CALLER, (waiting, (error, A("closed")))) in b.others
    assert call(A("sctp_recv"), s, 10) == (error, A("closed"))


def test_pieces_are_put_back_together():
    srv, cli, sp, ca, sa = associate()
    assert call(A("inet_setopts"), srv, [(A("buffer"), 100)]) == ok
    assert call(A("sctp_sendmsg"), cli, sndrcvinfo(ca), b"x" * 450) == ok
    reply = call(A("sctp_recv"), srv, WAIT)
    assert reply[0] == ok and reply[1][3] == b"x" * 450
    stats = call(A("inet_getstat"), srv, [A("recv_cnt"), A("recv_oct")])
    assert dict(stats[1])[A("recv_oct")] >= 450
    close(cli, srv)


def test_peeloff_gives_a_connected_one_to_one_socket():
    srv, cli, sp, ca, sa = associate()
    reply = call(A("sctp_peeloff"), srv, sa)
    assert reply[0] == ok, reply
    p = sid(reply[1])
    assert call(A("inet_getopts"), p, [A("active"), A("mode")]) == \
        (ok, [(A("active"), False), (A("mode"), A("binary"))])
    peer = call(A("inet_peername"), p)
    assert peer[0] == ok and peer[1][0] == LO
    assert call(A("sctp_sendmsg"), cli, sndrcvinfo(ca), b"peeled") == ok
    assert call(A("sctp_recv"), p, WAIT)[1][3] == b"peeled"
    assert call(A("sctp_peeloff"), srv, sa) == (error, A("einval"))
    close(p, cli, srv)


def test_setopts_stops_at_the_first_refused_option():
    s, _ = open_socket()
    # In driver order: nodelay (a TCP option) first, refused; sctp_nodelay not set.
    assert call(A("inet_setopts"), s, [(A("nodelay"), True), (A("sctp_nodelay"), True)]) == \
        (error, A("einval"))
    assert call(A("inet_getopts"), s, [A("sctp_nodelay")]) == (ok, [(A("sctp_nodelay"), False)])
    assert call(A("inet_setopts"), s, [(A("sctp_nodelay"), True), (A("nodelay"), True)]) == \
        (error, A("einval"))
    assert call(A("inet_getopts"), s, [A("sctp_nodelay")]) == (ok, [(A("sctp_nodelay"), True)])
    assert call(A("inet_getopts"), s, [A("sctp_nodelay"), A("nodelay")]) == (error, A("einval"))
    close(s)


def test_connectx_returns_the_association_id_at_once():
    srv, _ = open_socket()
    assert call(A("sctp_listen"), srv, 5) == ok
    sp = port_of(srv)
    cli, _ = open_socket()
    reply = call(A("sctp_connectx"), cli, [(LO, sp)])
    assert reply[0] == ok and reply[1] > 0, reply
    up = call(A("sctp_recv"), cli, WAIT)
    assert up[1][3][1] == A("comm_up") and up[1][3][5] == reply[1]
    assert call(A("sctp_connectx"), cli, []) == (error, A("einval"))
    close(cli, srv)


def test_kernel_helpers_keep_errno_and_input():
    a = socket.socket(socket.AF_INET, socket.SOCK_SEQPACKET, st.SOL_SCTP)
    try:
        a.bind(("127.0.0.1", 0))
        try:
            kernel.peeloff(a.fileno(), 4242)
        except OSError as exc:
            assert exc.errno == 22  # EINVAL, as sctp_peeloff(3) sets it
        else:
            raise AssertionError("peeloff of no association succeeded")
        assert kernel.local_addrs(a.fileno(), 0) == [((127, 0, 0, 1), a.getsockname()[1])]
    finally:
        a.close()


# -- a runner for where pytest is too slow to start --------------------------------------

def main() -> int:
    tests = [(name, fn) for name, fn in globals().items()
             if name.startswith("test_") and callable(fn)]
    if not kernel_sctp():
        print(f"sctp-python: this kernel has no SCTP; {len(tests)} tests not run")
        print(f"sctp-python: 0 passed, {len(tests)} failed")
        return 1
    passed = failed = 0
    for name, fn in tests:
        started = time.monotonic()
        try:
            fn()
        except Exception:
            failed += 1
            print(f"FAIL - {name}")
            traceback.print_exc(file=sys.stdout)
        else:
            passed += 1
            print(f"ok - {name} ({time.monotonic() - started:.1f} s)")
        sys.stdout.flush()
    if _bridge is not None:
        _bridge.close()
    print(f"sctp-python: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
