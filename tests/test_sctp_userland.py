"""The userland SCTP backend (usrsctp over UDP): its translations of
usrsctp's structures to Linux's (sctp/rfc6458.py), the ABORT it answers an
unreachable port with, and real associations through the port program on
this host, which needs no kernel SCTP. The gen_sctp scenarios on this backend
are compared with native traces by `make test-sctp-userland`.

Needs Debian's libusrsctp2 (the Makefile's package list): without it the
module is skipped, and PYINET_SETUP_STRICT (make test) makes that a failure.
"""

from __future__ import annotations

import os
import socket
import struct
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bridge.etf.terms import atom  # noqa: E402
from bridge.sctp import rfc6458 as tr  # noqa: E402
from bridge.sctp import structs as st  # noqa: E402
from bridge.sctp import usrsctp_lib as u  # noqa: E402
from bridge.sctp.userland import out_of_the_blue_abort  # noqa: E402

from bridge_client import BridgeProcess, ok  # noqa: E402
from needs import needs  # noqa: E402

A = atom
LO = (127, 0, 0, 1)

if u.load() is None:
    if os.environ.get("PYINET_SETUP_STRICT"):
        raise RuntimeError(f"libusrsctp2 is not installed: {u.load_error()}")
    pytest.skip("libusrsctp2 is not installed", allow_module_level=True)


def same(x):
    return x


# -- translations (no I/O) ---------------------------------------------------------------

def test_assoc_change_comm_up_keeps_streams_and_takes_the_machine_wide_id():
    raw = struct.pack("=HHIHHHHI", u.ASSOC_CHANGE, 0, 20, 1, 0, 5, 7, 3)
    linux = tr.notification(raw, same, lambda uid: uid + 100)
    assert st.notification_term(linux) == (
        False, (A("sctp_assoc_change"), A("comm_up"), 0, 5, 7, 103))


def test_comm_lost_has_no_streams_and_the_cause_in_network_order():
    raw = struct.pack("=HHIHHHHI", u.ASSOC_CHANGE, 0, 20, 2, 12, 5, 7, 3)
    linux = tr.notification(raw, same, same)
    # What native gen_sctp shows for a user initiated abort: 3072 = htons(12).
    assert st.notification_term(linux)[1] == (A("sctp_assoc_change"), A("comm_lost"), 3072,
                                              0, 0, 3)


def test_cant_assoc_names_no_association():
    raw = struct.pack("=HHIHHHHI", u.ASSOC_CHANGE, 0, 20, 5, 0, 10, 0, 3)
    assert st.notification_term(tr.notification(raw, same, same))[1] == (
        A("sctp_assoc_change"), A("cant_assoc"), 0, 0, 0, 0)


def test_shutdown_and_adaptation_events():
    raw = struct.pack("=HHII", u.SHUTDOWN_EVENT, 0, 12, 4)
    assert st.notification_term(tr.notification(raw, same, same))[1] == (
        A("sctp_shutdown_event"), 4)
    raw = struct.pack("=HHIII", u.ADAPTATION_INDICATION, 0, 16, 0x0a0b0c0d, 4)
    term = st.notification_term(tr.notification(raw, same, same))[1]
    assert term[0] == A("sctp_adaptation_event") and term[2] == 4


def test_kinds_linux_never_sends_are_dropped():
    raw = struct.pack("=HHII", 0x000a, 0, 12, 4)   # SCTP_SENDER_DRY_EVENT
    assert tr.notification(raw, same, same) is None


def test_addr_confirmed_is_recognised():
    raw = struct.pack("=HHI128sIII4x", u.PEER_ADDR_CHANGE, 0, 152, bytes(128), 6, 0, 3)
    assert tr.is_addr_confirmed(raw)
    raw = struct.pack("=HHI128sIII4x", u.PEER_ADDR_CHANGE, 0, 152, bytes(128), 2, 0, 3)
    assert not tr.is_addr_confirmed(raw)


def test_rcvinfo_becomes_sndrcvinfo_with_cumtsn_only_when_unordered():
    ordered = u.RCVINFO.pack(2, 9, 0, socket.htonl(7), 1000, 999, 5, 3)
    term = st.sndrcvinfo_term(tr.sndrcvinfo(ordered, same))
    assert term == (A("sctp_sndrcvinfo"), 2, 9, [], 7, 5, 0, 1000, 0, 3)
    unordered = u.RCVINFO.pack(2, 0, u.SCTP_UNORDERED, socket.htonl(7), 1000, 999, 5, 3)
    term = st.sndrcvinfo_term(tr.sndrcvinfo(unordered, same))
    assert term[3] == [A("unordered")] and term[8] == 999


def test_send_info_flags_and_timetolive():
    sri = st.pack_sndrcvinfo((A("sctp_sndrcvinfo"), 3, A("undefined"), 1 | 8, 0x01020304, 6,
                              500, A("undefined"), A("undefined"), 7))
    spa = tr.sendv_spa(sri, lambda gid: gid - 4)
    valid, info, policy, ttl, _ = u.SPA.unpack(spa)
    assert valid == u.SEND_SNDINFO_VALID | u.SEND_PRINFO_VALID
    assert (policy, ttl) == (u.PR_SCTP_TTL, 500)
    sid, flags, ppid, context, assoc = u.SNDINFO.unpack(info)
    assert (sid, flags, context, assoc) == (3, u.SCTP_UNORDERED | u.SCTP_EOF, 6, 3)
    assert ppid == socket.htonl(0x01020304)   # on the wire as gen_sctp puts it


def test_assocparams_of_the_socket_have_no_windows():
    raw = u.ASSOCPARAMS.pack(0, 1000, 1024, 60000, 10, 1)
    assert st.ASSOCPARAMS_S.unpack(tr.assocparams_to_linux(raw, same)) == (0, 10, 0, 0, 0, 60000)


def test_out_of_the_blue_abort_answers_an_init_with_its_tag():
    lib = u.load()
    init = struct.pack("!HHI", 5000, 6000, 0) + bytes(4) + struct.pack("!BBHI", 1, 0, 20, 0xABCD)
    abort = out_of_the_blue_abort(init + bytes(12), lib.crc32c)
    assert struct.unpack("!HHI", abort[:8]) == (6000, 5000, 0xABCD)
    assert struct.unpack("!BBH", abort[12:16]) == (6, 0, 4)
    check = bytearray(abort)
    check[8:12] = bytes(4)
    assert struct.unpack("=I", abort[8:12])[0] == lib.crc32c(bytes(check), len(check))


def test_out_of_the_blue_abort_reflects_a_tag_and_never_answers_an_abort():
    data = struct.pack("!HHI", 5000, 6000, 77) + bytes(4) + struct.pack("!BBH", 0, 3, 20)
    abort = out_of_the_blue_abort(data + bytes(16), u.load().crc32c)
    assert struct.unpack("!HHI", abort[:8]) == (6000, 5000, 77)
    assert abort[13] == 1   # the T bit
    aborted = struct.pack("!HHI", 5000, 6000, 77) + bytes(4) + struct.pack("!BBH", 6, 0, 4)
    assert out_of_the_blue_abort(aborted, u.load().crc32c) is None


# -- associations through the port program --------------------------------------------------

EVENTS = (A("sctp_event_subscribe"),) + (True,) * 7 + (False, False)
USERLAND = [(A("mode"), A("binary")), (A("buffer"), 65536), (A("sctp_events"), EVENTS),
            (A("sctp_backend"), A("userland"))]


def open_bound(b, options=()):
    reply = b.call((A("sctp_open"), A("inet"), A("seqpacket"), USERLAND + list(options)))
    assert reply[0] == ok, reply
    s = reply[1][2][2]
    bound = b.call((A("sctp_bind"), s, (LO, 0)))
    assert bound[0] == ok and bound[1] > 0, bound
    return s, bound[1]


def recv(b, s):
    reply = b.call((A("sctp_recv"), s, 10000), timeout=15)
    assert reply[0] == ok, reply
    return reply[1]


def sndrcvinfo(assoc_id, stream=0, ppid=0, flags=0):
    u_ = A("undefined")
    return (A("sctp_sndrcvinfo"), stream, u_, flags, ppid, 0, 0, u_, u_, assoc_id)


def test_the_hello_names_the_userland_backend(bridge):
    assert A("userland") in bridge.hello[1][1][A("sctp_backends")]


def test_an_association_carries_streams_ppids_and_unordered_messages(bridge):
    b = bridge
    srv, sport = open_bound(b)
    cli, cport = open_bound(b, [(A("sctp_initmsg"), (A("sctp_initmsg"), 5, 5, 0, 0))])
    assert b.call((A("sctp_listen"), srv, 5)) == ok
    assert b.call((A("sctp_connect"), cli, (LO, sport))) == ok
    up = recv(b, cli)
    assert up[:2] == (LO, sport) and up[3][:2] == (A("sctp_assoc_change"), A("comm_up"))
    assert up[3][3:5] == (5, 5)
    server_up = recv(b, srv)
    assert server_up[3][:2] == (A("sctp_assoc_change"), A("comm_up"))
    assert up[3][5] != server_up[3][5]   # machine-wide ids: two associations, two ids
    for stream in range(5):
        flags = 1 if stream % 2 else 0
        data = b"on stream %d" % stream
        assert b.call((A("sctp_sendmsg"), cli, sndrcvinfo(up[3][5], stream, 1000 + stream,
                                                          flags), data)) == ok
        ip, port, anc, got = recv(b, srv)
        assert (ip, port, got) == (LO, cport, data)
        info = anc[0]
        assert (info[1], info[4]) == (stream, 1000 + stream)
        assert info[3] == ([A("unordered")] if flags else [])
    assert b.call((A("sctp_close"), cli)) == ok
    assert b.call((A("sctp_close"), srv)) == ok


def test_connect_to_a_closed_port_fails_at_once_with_cant_assoc(bridge):
    b = bridge
    gone, gport = open_bound(b)
    assert b.call((A("sctp_close"), gone)) == ok
    cli, _ = open_bound(b)
    assert b.call((A("sctp_connect"), cli, (LO, gport))) == ok
    event = recv(b, cli)[3]
    assert event == (A("sctp_assoc_change"), A("cant_assoc"), 0, 0, 0, 0)


def test_a_port_in_use_is_eaddrinuse_across_processes(bridge):
    b = bridge
    _, port = open_bound(b)
    other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        with pytest.raises(OSError):
            other.bind(("127.0.0.1", port))   # the UDP port is taken: the SCTP port is
    finally:
        other.close()
    reply = b.call((A("sctp_open"), A("inet"), A("seqpacket"), USERLAND))
    s = reply[1][2][2]
    assert b.call((A("sctp_bind"), s, (LO, port))) == (A("error"), A("eaddrinuse"))


# -- SCTP on IP itself (raw sockets), where the kernel has no SCTP -------------------------

def _raw_sockets_allowed() -> bool:
    try:
        socket.socket(socket.AF_INET, socket.SOCK_RAW, 132).close()
    except OSError:
        return False
    return True


# The raw-IP carrier is for kernels without SCTP only: where the kernel has
# it, its SCTP takes protocol 132 and the userland backend uses UDP
# (make test-sctp covers that kernel in the VM).
@pytest.mark.skipif(os.path.isdir("/proc/net/sctp"),
                    reason="this kernel has SCTP, so pyinet never carries SCTP over raw IP here")
@needs(_raw_sockets_allowed(), "raw sockets need CAP_NET_RAW: run make test as root")
def test_an_association_over_raw_ip_carries_data_as_sctp_packets():
    sniffer = socket.socket(socket.AF_INET, socket.SOCK_RAW, 132)
    sniffer.setblocking(False)
    b = BridgeProcess(env={"PYINET_SCTP_ENCAPSULATION": "raw"})
    try:
        srv, sport = open_bound(b)
        cli, cport = open_bound(b)
        assert b.call((A("sctp_listen"), srv, 5)) == ok
        assert b.call((A("sctp_connect"), cli, (LO, sport))) == ok
        up = recv(b, cli)[3]
        assert up[:2] == (A("sctp_assoc_change"), A("comm_up"))
        assert recv(b, srv)[3][:2] == (A("sctp_assoc_change"), A("comm_up"))
        assert b.call((A("sctp_sendmsg"), cli, sndrcvinfo(up[5], 0, 42), b"raw")) == ok
        _, port, anc, data = recv(b, srv)
        assert (port, data, anc[0][4]) == (cport, b"raw", 42)
        # What crossed the loopback: IP packets of protocol 132 between the
        # two ports (an IPv4 raw socket sees the IP header first).
        seen = set()
        for _ in range(1000):
            try:
                packet = sniffer.recv(65536)
            except BlockingIOError:
                break
            body = packet[(packet[0] & 0x0F) * 4:]
            seen.add(struct.unpack_from("!HH", body, 0))
        assert (cport, sport) in seen and (sport, cport) in seen
    finally:
        b.close()
        sniffer.close()
