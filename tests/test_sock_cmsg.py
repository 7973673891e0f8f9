"""The control messages of sendmsg and recvmsg (bridge/sock/cmsg.py), sans-I/O:
what the NIF encodes for a map and decodes from the kernel's bytes. The
conformance scenarios (pyinet_conformance_socket_msg) compare the same against
OTP; these pin the cases a loopback send cannot produce."""

from __future__ import annotations

import socket
import struct

import pytest

from bridge.etf.terms import atom
from bridge.sock import cmsg

A = atom
LEVEL, TYPE, DATA, VALUE = A("level"), A("type"), A("data"), A("value")


def test_values_are_encoded_by_type():
    assert cmsg.encode([{LEVEL: 0, TYPE: A("tos"), VALUE: A("lowdelay")},
                        {LEVEL: 0, TYPE: A("ttl"), VALUE: 7},
                        {LEVEL: 41, TYPE: A("tclass"), VALUE: 8}]) == [
        (socket.IPPROTO_IP, socket.IP_TOS, struct.pack("i", 0x10)),
        (socket.IPPROTO_IP, socket.IP_TTL, struct.pack("i", 7)),
        (socket.IPPROTO_IPV6, cmsg.IPV6_TCLASS, struct.pack("i", 8))]


def test_data_goes_as_it_is_and_numbers_need_data():
    assert cmsg.encode([{LEVEL: A("socket"), TYPE: 1, DATA: b"\x04\0\0\0"}]) == [
        (socket.SOL_SOCKET, 1, b"\x04\0\0\0")]
    with pytest.raises(cmsg.BadControl):
        cmsg.encode([{LEVEL: 0, TYPE: 2, VALUE: 3}])


@pytest.mark.parametrize("bad", [
    [{LEVEL: 0, TYPE: A("nosuchtype"), VALUE: 1}],
    [{LEVEL: 0, TYPE: A("tos"), VALUE: A("fast")}],
    [{LEVEL: 0, TYPE: A("ttl"), VALUE: 1 << 40}],
    [{LEVEL: 0, TYPE: A("ttl")}],
    [{TYPE: A("ttl"), VALUE: 1}],
    [b"not a map"],
    A("not_a_list"),
])
def test_what_the_nif_cannot_encode(bad):
    with pytest.raises(cmsg.BadControl):
        cmsg.encode(bad)


def test_levels_by_name_as_prim_socket_encodes_them():
    msg = {A("iov"): [b"x"], cmsg.CTRL_KEY: [{LEVEL: A("ip"), TYPE: A("ttl"), VALUE: 1},
                                             {LEVEL: A("socket"), TYPE: 1, DATA: b""},
                                             {TYPE: A("no_level")}]}
    encoded = cmsg.encode_levels(msg)
    # A map without a level is left out, as the comprehension's pattern does.
    assert encoded[cmsg.CTRL_KEY] == [{LEVEL: 0, TYPE: A("ttl"), VALUE: 1},
                                      {LEVEL: A("socket"), TYPE: 1, DATA: b""}]
    with pytest.raises(cmsg.BadLevel):
        cmsg.encode_levels({cmsg.CTRL_KEY: [{LEVEL: A("nosuchproto"), TYPE: 1}]})
    with pytest.raises(cmsg.BadGenerator):
        cmsg.encode_levels({cmsg.CTRL_KEY: A("foo")})


def test_received_ones_named_and_valued():
    pktinfo = struct.pack("i4s4s", 1, bytes([127, 0, 0, 1]), bytes([127, 0, 0, 2]))
    out = cmsg.decode([(socket.IPPROTO_IP, cmsg.IP_PKTINFO, pktinfo),
                       (socket.IPPROTO_IP, socket.IP_TOS, b"\x08"),
                       (socket.IPPROTO_IP, socket.IP_TTL, struct.pack("i", 64)),
                       (socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("i", 9)),
                       (socket.IPPROTO_IP, 99, b"??")])
    assert out == [
        {LEVEL: A("ip"), TYPE: A("pktinfo"), DATA: pktinfo,
         VALUE: {A("ifindex"): 1, A("spec_dst"): (127, 0, 0, 1), A("addr"): (127, 0, 0, 2)}},
        {LEVEL: A("ip"), TYPE: A("tos"), DATA: b"\x08", VALUE: A("throughput")},
        {LEVEL: A("ip"), TYPE: A("ttl"), DATA: struct.pack("i", 64), VALUE: 64},
        {LEVEL: A("socket"), TYPE: A("rights"), DATA: struct.pack("i", 9)},
        {LEVEL: A("ip"), TYPE: 99, DATA: b"??"}]


def test_extended_error_and_its_offender():
    err = struct.pack("IBBBBII", 111, 2, 3, 3, 0, 0, 0)
    offender = struct.pack("<H", socket.AF_INET) + struct.pack(">H", 53) + bytes([10, 0, 0, 1])
    [msg] = cmsg.decode([(socket.IPPROTO_IP, cmsg.IP_RECVERR, err + offender)])
    assert msg[VALUE] == {A("error"): A("econnrefused"), A("origin"): A("icmp"), A("type"): 3,
                          A("code"): 3, A("info"): 0, A("data"): 0,
                          A("offender"): {A("family"): A("inet"), A("port"): 53,
                                          A("addr"): (10, 0, 0, 1)}}


def test_short_data_has_no_value():
    [msg] = cmsg.decode([(socket.IPPROTO_IP, socket.IP_TTL, b"\x01")])
    assert VALUE not in msg
