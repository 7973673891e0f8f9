"""The pieces of bridge/sock that need no event loop: sockaddr maps both ways,
the option codecs, the protocol table and the message flags. Each expected term
is what OTP 25.2.3's socket module gives for the same input (the conformance
scenarios in apps/pyinet_conformance/src/pyinet_conformance_socket*.erl run them there)."""

from __future__ import annotations

import socket
import struct
import sys

import pytest

from bridge.etf.terms import atom
from bridge import addresses as sa
from bridge.release import Release
from bridge.sock import options as sopt
from bridge.sock import protocols
from bridge.sock.descriptor import Raise
from bridge.sock.requests import _Reply, msg_flags

A = atom
INET, INET6, LOCAL, UNSPEC = A("inet"), A("inet6"), A("local"), A("unspec")


def m(**kw):
    return {A(k): v for k, v in kw.items()}


# -- sockaddr maps ------------------------------------------------------------------

@pytest.mark.parametrize("term, expected", [
    (m(family=INET, port=80, addr=(127, 0, 0, 1)), (socket.AF_INET, ("127.0.0.1", 80))),
    (m(family=INET, port=0, addr=A("any")), (socket.AF_INET, ("0.0.0.0", 0))),
    (m(family=INET, port=0, addr=A("loopback")), (socket.AF_INET, ("127.0.0.1", 0))),
    (m(family=INET, port=0, addr=A("broadcast")), (socket.AF_INET, ("255.255.255.255", 0))),
    # htons() keeps the low 16 bits of what GET_INT read.
    (m(family=INET, port=65537, addr=A("any")), (socket.AF_INET, ("0.0.0.0", 1))),
    (m(family=INET6, port=9, addr=(0, 0, 0, 0, 0, 0, 0, 1), flowinfo=0, scope_id=3),
     (socket.AF_INET6, ("::1", 9, 0, 3))),
    (m(family=LOCAL, path=b"/tmp/s"), (socket.AF_UNIX, b"/tmp/s")),
    (m(family=LOCAL, path=b"\0abstract"), (socket.AF_UNIX, b"\0abstract")),
    (m(family=UNSPEC, addr=b""), (socket.AF_UNSPEC, b"")),
    (m(family=17, addr=b"\1\2"), (17, b"\1\2")),
])
def test_decode(term, expected):
    assert sa.decode(term) == expected


@pytest.mark.parametrize("term", [
    m(family=INET, addr=A("any")),                          # no port
    m(family=INET, port=0, addr=(1, 2, 3)),
    m(family=INET, port=0, addr=(256, 0, 0, 1)),
    m(family=INET, port=0, addr=A("foo")),
    m(family=INET, port=A("foo"), addr=A("any")),
    m(family=INET6, port=0, addr=A("broadcast"), flowinfo=0, scope_id=0),
    m(family=INET6, port=0, addr=A("any"), flowinfo=-1, scope_id=0),
    m(family=LOCAL, path=b"p" * 108),                      # no room for the NUL
    m(family=LOCAL, path=[47, 116]),                       # the client sends binaries
    m(family=UNSPEC, addr=b"x" * 127),
    m(family=A("foo")),
    {A("addr"): A("any")},
    "not a map",
])
def test_decode_refuses(term):
    with pytest.raises(sa.BadAddress):
        sa.decode(term)


def test_decode_abstract_name_needs_no_terminator():
    assert sa.decode(m(family=LOCAL, path=b"\0" + b"p" * 107))[1][:1] == b"\0"


@pytest.mark.parametrize("family, address, term", [
    (socket.AF_INET, ("127.0.0.1", 5000), m(family=INET, port=5000, addr=(127, 0, 0, 1))),
    (socket.AF_INET6, ("fe80::1%lo", 7, 0, 1),
     m(family=INET6, port=7, addr=(0xFE80, 0, 0, 0, 0, 0, 0, 1), flowinfo=0, scope_id=1)),
    (socket.AF_INET6, ("::ffff:127.0.0.1", 7, 0, 0),
     m(family=INET6, port=7, addr=(0, 0, 0, 0, 0, 0xFFFF, 0x7F00, 1), flowinfo=0,
       scope_id=0)),
    (socket.AF_UNIX, "/tmp/x", m(family=LOCAL, path=b"/tmp/x")),
    (socket.AF_UNIX, b"\0abs", m(family=LOCAL, path=b"\0abs")),
    # getsockname of an unnamed Unix socket: the NIF's empty path.
    (socket.AF_UNIX, "", m(family=LOCAL, path=b"")),
    # recvfrom with no address (a stream socket, an unnamed sender): zeroed.
    (socket.AF_INET, None, m(family=UNSPEC, addr=b"")),
    (socket.AF_UNIX, None, m(family=UNSPEC, addr=b"")),
])
def test_encode(family, address, term):
    assert sa.encode(family, address) == term


def test_raw_sockaddr_layout():
    raw = sa._sockaddr(socket.AF_INET, ("127.0.0.1", 0x1234))
    assert raw == socket.AF_INET.to_bytes(2, sys.byteorder) + b"\x12\x34\x7f\0\0\1" + bytes(8)
    raw6 = sa._sockaddr(socket.AF_INET6, ("::1", 1, 2, 3))
    assert len(raw6) == 28 and raw6[8:24] == socket.inet_pton(socket.AF_INET6, "::1")
    assert sa._sockaddr(socket.AF_UNSPEC, b"") == bytes(2)


def test_raw_call_gives_the_kernels_errno():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        # An IPv6 address on an IPv4 socket: the kernel's answer, not Python's TypeError.
        err = sa.raw_call("bind", s.fileno(), socket.AF_INET6, ("::1", 0, 0, 0))
        assert err != 0
        assert sa.raw_call("connect", s.fileno(), socket.AF_UNSPEC, b"") == 0
    finally:
        s.close()


# -- options -----------------------------------------------------------------------

def test_lookup_knows_the_aliases_of_a_level():
    assert sopt.lookup(A("tcp"), A("nodelay")) == sopt.lookup(A("TCP"), A("nodelay"))
    assert sopt.lookup(A("IPv6"), A("v6only"))[0] == socket.IPPROTO_IPV6
    assert sopt.lookup(A("hopopt"), A("ttl")) is None   # not the first name of 0
    assert sopt.lookup(A("socket"), A("rcvtimeo")) is None


def test_lookup_by_level_name_only_from_28():
    # OTP 29.1.2: {'TCP', nodelay} is an invalid option; {tcp, nodelay} is not.
    r29, r27 = Release(29), Release(27)
    assert sopt.lookup(A("TCP"), A("nodelay"), r29) is None
    assert sopt.lookup(A("IPv6"), A("v6only"), r29) is None
    assert sopt.lookup(A("tcp"), A("nodelay"), r29) == sopt.lookup(A("TCP"), A("nodelay"), r27)
    assert sopt.lookup(A("tcp"), A("keepcnt"), r29) is not None
    # Native options still take a level by any of its names.
    assert sopt.native(A("TCP"), 1, r29) == (socket.IPPROTO_TCP, 1)
    assert sopt.native(A("TCP"), A("nodelay"), r29) is None


def test_ip_tos_in_three_readings_from_28():
    """What OTP 29.1.2's socket:setopt/getopt({ip, tos}) give on a UDP socket."""
    enc, get = sopt.lookup(A("ip"), A("tos"), Release(29))[2]
    assert sopt.lookup(A("ip"), A("tos"), Release(27))[2][0](A("cs1")) is sopt.INVALID_VALUE
    cases = [(A("lowdelay"), 16), (A("mincost"), 2), (A("cs1"), 32), (A("af11"), 40),
             (A("ef"), 184), (A("le"), 4), (A("nqb"), 180), (A("cs7"), 224), (0x20, 32),
             (m(precedence=A("priority"), tos=A("lowdelay")), 16),   # every name: 0
             (m(precedence=7, tos=2), 228), (m(precedence=8, tos=0), 0),
             (m(precedence=A("routine"), tos=32), 0), (m(precedence=0, tos=15), 30),
             (m(precedence=0, tos=0, extra=1), 0)]
    for value, native in cases:
        assert enc(value) == native, value
    for value in [A("default"), A("priority"), A("foo"), m(tos=A("lowdelay")),
                  m(precedence=-1, tos=0), m(precedence=0, tos=A("foo")), (1, 2), 1 << 40]:
        assert enc(value) is sopt.INVALID_VALUE, value
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        def read(native):
            s.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, native)
            return get(s, socket.IPPROTO_IP, socket.IP_TOS)
        assert read(0) == m(native=0, tos=m(tos=A("default"), precedence=A("routine")),
                            dscp=A("cs0"))
        assert read(32) == m(native=32, tos=m(tos=A("default"), precedence=1), dscp=A("cs1"))
        assert read(184) == m(native=184, tos=m(tos=12, precedence=5), dscp=A("ef"))
        assert read(168) == m(native=168, tos=m(tos=A("throughput"), precedence=5), dscp=42)
    finally:
        s.close()


@pytest.mark.parametrize("value, raw", [
    (m(onoff=True, linger=10), struct.pack("ii", 1, 10)),
    (m(onoff=False, linger=0), struct.pack("ii", 0, 0)),
    (A("abort"), struct.pack("ii", 1, 0)),
])
def test_linger_encodes(value, raw):
    enc, _ = sopt.lookup(A("socket"), A("linger"))[2]
    assert enc(value) == raw


@pytest.mark.parametrize("value", [m(onoff=True, linger=-1), m(onoff=1, linger=0),
                                   m(onoff=True), (True, 10), A("foo")])
def test_linger_refuses(value):
    enc, _ = sopt.lookup(A("socket"), A("linger"))[2]
    assert enc(value) is sopt.INVALID_VALUE


def test_value_codecs():
    tos = sopt.lookup(A("ip"), A("tos"))[2][0]
    assert (tos(A("lowdelay")), tos(A("mincost")), tos(0x20)) == (0x10, 0x02, 0x20)
    assert tos(A("foo")) is sopt.INVALID_VALUE
    hops = sopt.lookup(A("ipv6"), A("unicast_hops"))[2][0]
    assert (hops(A("default")), hops(7)) == (-1, 7)
    assert hops(-1) is sopt.INVALID_VALUE and hops(256) is sopt.INVALID_VALUE
    pmtu = sopt.lookup(A("ip"), A("mtu_discover"))[2][0]
    assert (pmtu(A("want")), pmtu(A("dont")), pmtu(A("do")), pmtu(A("probe")), pmtu(1)) \
        == (1, 0, 2, 3, 1)
    boolean = sopt.lookup(A("socket"), A("reuseaddr"))[2][0]
    assert (boolean(True), boolean(False)) == (1, 0)
    assert boolean(1) is sopt.INVALID_VALUE
    device = sopt.lookup(A("socket"), A("bindtodevice"))[2][0]
    assert device(list(b"lo")) == b"lo" and device(list(b"x" * 16)) is sopt.INVALID_VALUE
    assert sopt.lookup(A("socket"), A("type"))[2][0] is None  # get-only


def test_string_getters_keep_or_strip_the_nul():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        _, _, (_, get) = sopt.lookup(A("tcp"), A("congestion"))
        name = get(s, socket.IPPROTO_TCP, 13)
        # TCP_CA_NAME_MAX bytes less one NUL: what OTP returns.
        assert len(name) == 15 and bytes(name).rstrip(b"\0")
        _, _, (_, get) = sopt.lookup(A("socket"), A("bindtodevice"))
        assert get(s, socket.SOL_SOCKET, socket.SO_BINDTODEVICE) == []
    finally:
        s.close()


def test_protocol_getter_says_default_for_unix():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        _, _, (_, get) = sopt.lookup(A("socket"), A("protocol"))
        assert get(s, socket.SOL_SOCKET, socket.SO_PROTOCOL) == A("default")
    finally:
        s.close()


# -- protocols and flags ---------------------------------------------------------------

def test_protocols():
    assert protocols.name(6) == A("tcp") and protocols.name(0) == A("ip")
    assert protocols.number(A("TCP")) == 6 and protocols.number(A("hopopt")) == 0
    assert protocols.aliases(41) == ["ipv6", "IPv6"]
    assert protocols.name(99999) == 99999


def test_msg_flags():
    assert msg_flags(None, []) == 0
    assert msg_flags(None, [A("peek"), A("oob"), 0x100]) == 0x103
    assert msg_flags(None, 0x40) == 0x40
    with pytest.raises(_Reply) as reply:
        msg_flags(None, [A("peek"), A("foo")])
    assert reply.value.term == (A("error"), (A("invalid"), (A("msg_flag"), A("foo"))))
    with pytest.raises(Raise) as raised:
        msg_flags(None, [A("peek"), -1, A("oob")])
    assert raised.value.reason == (A("invalid"), (A("msg_flags"), [-1, A("oob")]))
