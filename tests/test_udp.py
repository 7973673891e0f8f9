"""The UDP terms and option rules, without the event loop: what inet_drv builds for
a datagram (packet_binary_message, inet_async_binary_data, inet_port_binary_data),
its ancillary data both ways, and the UDP cases of inet_set_opts. Each expected
term was seen on OTP 25.2.3 (apps/pyinet_conformance/src/pyinet_conformance_udp.erl runs them there)."""

from __future__ import annotations

import socket
import struct
import sys

import pytest

from bridge.errors import RequestError
from bridge.etf import encode
from bridge.etf.terms import ImproperList, String, atom
from bridge.inet import options as opt
from bridge.udp import datagram as dg
from bridge.udp import options as uopt
from bridge.udp.socket import UdpState, apply_option, python_address

S = (atom("$inet"), atom("pyinet_udp"), (atom("undefined"), atom("undefined"), 1, atom("inet")))
LO = (127, 0, 0, 1)
EINVAL = atom("einval")


def native_int(n: int, size: int) -> bytes:
    return n.to_bytes(size, sys.byteorder)


# -- senders ----------------------------------------------------------------------

@pytest.mark.parametrize("family, addr, term", [
    (socket.AF_INET, ("127.0.0.1", 5000), (LO, 5000)),
    (socket.AF_INET6, ("::1", 7, 0, 0), ((0, 0, 0, 0, 0, 0, 0, 1), 7)),
    (socket.AF_INET6, ("::ffff:127.0.0.1", 9, 0, 0), ((0, 0, 0, 0, 0, 0xFFFF, 0x7F00, 1), 9)),
    (socket.AF_INET6, ("fe80::1%lo", 9, 0, 1), ((0xFE80, 0, 0, 0, 0, 0, 0, 1), 9)),
    (socket.AF_UNIX, "/tmp/a", ((atom("local"), b"/tmp/a"), 0)),
    (socket.AF_UNIX, b"\0abstract", ((atom("local"), b"\0abstract"), 0)),
    # An unbound sender has no address at all: {unspec, <<>>}, as the driver's
    # zeroed buffer reads.
    (socket.AF_UNIX, None, ((atom("unspec"), b""), 0)),
    (socket.AF_UNIX, "", ((atom("unspec"), b""), 0)),
])
def test_sender_terms(family, addr, term):
    assert dg.sender_term(family, addr) == term


@pytest.mark.parametrize("family, addr, encoded", [
    # {deliver, port} on OTP: {S, {data, <<1,167,65,127,0,0,1,"port">>}} from port 42817.
    (socket.AF_INET, ("127.0.0.1", 42817), bytes([1, 167, 65, 127, 0, 0, 1])),
    (socket.AF_INET6, ("::1", 258, 0, 0), bytes([2, 1, 2]) + bytes(15) + b"\x01"),
    (socket.AF_UNIX, "/x", bytes([5, 2]) + b"/x"),
    (socket.AF_UNIX, None, bytes([0])),
])
def test_driver_address(family, addr, encoded):
    assert dg.driver_address(family, addr) == encoded


# -- data terms -------------------------------------------------------------------

def test_active_message_forms():
    sender = (LO, 4000)
    assert dg.active_message(S, sender, None, b"hi", True, 0) == (
        atom("udp"), S, LO, 4000, b"hi")
    anc = [(atom("ttl"), 64), (atom("tos"), 0)]
    assert dg.active_message(S, sender, anc, b"hi", True, 0) == (
        atom("udp"), S, LO, 4000, anc, b"hi")
    msg = dg.active_message(S, sender, None, b"hi", False, 0)
    assert isinstance(msg[4], String) and msg[4] == b"hi"


def test_header_in_binary_mode():
    # {udp, S, IP, Port, [104, 100 | <<"r">>]}; a datagram shorter than the
    # header is all a string.
    data = dg.active_message(S, (LO, 1), None, b"hdr", True, 2)[4]
    assert data == ImproperList([104, 100], b"r")
    short = dg.active_message(S, (LO, 1), None, b"h", True, 2)[4]
    assert isinstance(short, String) and short == b"h"


def test_recv_reply_forms():
    assert dg.recv_reply((LO, 1), None, b"x", True, 0) == (atom("ok"), (LO, 1, b"x"))
    assert dg.recv_reply((LO, 1), [], b"x", True, 0) == (atom("ok"), (LO, 1, [], b"x"))


def test_port_message_counts_the_header_from_the_address():
    addr = bytes([1, 167, 182, 127, 0, 0, 1])
    # OTP: {data, [1,167,182,127,0,0,1,112,111 | <<"rt+header">>]} with {header, 9}.
    msg = dg.port_message(S, addr, b"port+header", True, 9)
    assert msg == (S, (atom("data"), ImproperList(list(addr + b"po"), b"rt+header")))
    short = dg.port_message(S, addr, b"x", True, 9)[1][1]
    assert isinstance(short, String) and short == addr + b"x"
    assert dg.port_message(S, addr, b"port", True, 0)[1][1] == addr + b"port"


def test_empty_datagram_in_list_mode_is_the_empty_list():
    data = dg.active_message(S, (LO, 1), None, b"", False, 0)[4]
    assert encode(data) == encode([])


# -- ancillary data ---------------------------------------------------------------

def test_ancillary_terms_keep_the_kernel_order_and_sizes():
    cmsgs = [
        (socket.IPPROTO_IP, socket.IP_TTL, native_int(64, 4)),
        (socket.IPPROTO_IP, socket.IP_TOS, bytes([16])),   # IP_TOS comes as one byte
        (socket.IPPROTO_IPV6, 67, native_int(32, 4)),       # IPV6_TCLASS
        (socket.SOL_SOCKET, 29, b"\0" * 16),                # SO_TIMESTAMP: not reported
    ]
    assert dg.ancillary_term(cmsgs) == [(atom("ttl"), 64), (atom("tos"), 16),
                                        (atom("tclass"), 32)]


def test_compile_ancillary():
    cmsgs = dg.compile_ancillary([(atom("tos"), 16), (atom("ttl"), 7)])
    # prim_inet hands them over last first.
    assert cmsgs == [(socket.IPPROTO_IP, socket.IP_TTL, struct.pack("=i", 7)),
                     (socket.IPPROTO_IP, socket.IP_TOS, struct.pack("=i", 16))]
    assert dg.compile_ancillary([]) == []


@pytest.mark.parametrize("anc", [
    [(atom("tos"), 8), (atom("ttl"), 3), (atom("tos"), 4)],   # room for two only
    [(atom("active"), True)],
    [atom("binary")],
    [(atom("tos"), atom("foo"))],
    [(atom("tos"), 1 << 31)],
    atom("foo"),
])
def test_compile_ancillary_refuses(anc):
    with pytest.raises(RequestError) as info:
        dg.compile_ancillary(anc)
    assert info.value.reason == EINVAL


# -- option rules -------------------------------------------------------------------

def test_read_packets():
    assert uopt.read_packets(1) == 1
    assert uopt.read_packets((1 << 32) + 3) == 3  # what 32 bits leave of it
    for bad in (0, -1, 1 << 31, atom("foo")):
        with pytest.raises(RequestError):
            uopt.read_packets(bad)


def test_membership_ipv4_is_an_ip_mreqn_with_the_index_through_htonl():
    level, name, mreq = uopt.membership(socket.AF_INET, True, ((239, 1, 1, 1), LO, 0))
    assert (level, name) == (socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP)
    assert mreq == bytes([239, 1, 1, 1, 127, 0, 0, 1]) + bytes(4)
    _, name, mreq = uopt.membership(socket.AF_INET, False, ((239, 1, 1, 1), atom("any"), 2))
    assert name == socket.IP_DROP_MEMBERSHIP
    assert mreq[4:8] == bytes(4) and mreq[8:] == struct.pack(">i", 2)


def test_membership_ipv6_drops_even_when_adding():
    level, name, mreq = uopt.membership(socket.AF_INET6, True, ((0xFF02, 0, 0, 0, 0, 0, 0, 1), 3))
    assert (level, name) == (socket.IPPROTO_IPV6, uopt.IPV6_DROP_MEMBERSHIP)
    assert mreq[:2] == b"\xff\x02" and mreq[16:] == struct.pack("=i", 3)


@pytest.mark.parametrize("family, value", [
    (socket.AF_INET, ((0xFF02, 0, 0, 0, 0, 0, 0, 1), 0)),   # group of the other family
    (socket.AF_INET6, ((239, 1, 1, 1), atom("any"))),
    (socket.AF_UNIX, ((239, 1, 1, 1), atom("any"))),
    (socket.AF_INET, (239, 1, 1, 1)),
    (socket.AF_INET, ((239, 1, 1, 1), atom("foo"))),
])
def test_membership_refuses(family, value):
    with pytest.raises(RequestError):
        uopt.membership(family, True, value)


def test_multicast_if_is_the_value_in_network_order_either_way():
    assert uopt.multicast_if(socket.AF_INET, LO) == (
        socket.IPPROTO_IP, socket.IP_MULTICAST_IF, bytes(LO))
    assert uopt.multicast_if(socket.AF_INET6, 1) == (
        socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, b"\0\0\0\1")
    with pytest.raises(RequestError):
        uopt.multicast_if(socket.AF_UNIX, LO)
    with pytest.raises(RequestError):
        uopt.multicast_if(socket.AF_INET, atom("foo"))


def test_recbuf_drags_buffer_up_to_64k():
    o = opt.InetOptions()
    uopt.recbuf_buffer(o, 20000)
    assert o.buffer == 20000
    uopt.recbuf_buffer(o, 100000)
    assert o.buffer == 1 << 16
    o = opt.InetOptions()
    o.buffer, o.buffer_set = 3000, True
    uopt.recbuf_buffer(o, 50000)
    assert o.buffer == 3000


@pytest.fixture
def udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    yield s
    s.close()


def test_recv_flags_follow_a_successful_setsockopt(udp):
    o, state = opt.InetOptions(), UdpState()
    apply_option(udp, socket.AF_INET, o, state, (atom("recvtos"), True))
    apply_option(udp, socket.AF_INET, o, state, (atom("recvttl"), True))
    assert state.cmsg == {"recvtos", "recvttl"}
    apply_option(udp, socket.AF_INET, o, state, (atom("recvtos"), False))
    assert state.cmsg == {"recvttl"}


def test_recv_flags_unchanged_when_the_kernel_refuses():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        o, state = opt.InetOptions(), UdpState()
        with pytest.raises(RequestError):
            apply_option(s, socket.AF_UNIX, o, state, (atom("recvtos"), True))
        assert state.cmsg == frozenset()
    finally:
        s.close()


def test_active_zero_at_open_is_due_a_passive_message(udp):
    o, state = opt.InetOptions(), UdpState()
    assert apply_option(udp, socket.AF_INET, o, state, (atom("active"), 0)) is True


def test_python_addresses():
    assert python_address(socket.AF_INET, LO, 9) == ("127.0.0.1", 9)
    assert python_address(socket.AF_INET, atom("any"), 0) == ("0.0.0.0", 0)
    assert python_address(socket.AF_INET6, atom("loopback"), 9) == ("::1", 9)
    m = {atom("family"): atom("inet6"), atom("addr"): (0, 0, 0, 0, 0, 0, 0, 1),
         atom("port"): 5, atom("scope_id"): 1}
    assert python_address(socket.AF_INET6, m, 0) == ("::1", 5, 0, 1)
    assert python_address(socket.AF_UNIX, (atom("local"), b"/p"), 0) == b"/p"
    with pytest.raises(RequestError):
        python_address(socket.AF_INET, (atom("local"), b"/p"), 0)
